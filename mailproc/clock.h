/*
 * The current time.  Everything that asks "what time is it" asks here, so
 * that tests can run mailproc at a chosen instant: when the environment
 * variable MAILPROC_NOW holds a Unix time (seconds), that is the time.
 */
#ifndef MP_CLOCK_H
#define MP_CLOCK_H

#include <time.h>

/* time(NULL), or MAILPROC_NOW when set to a number. */
time_t clock_now(void);

/* Milliseconds of the monotonic clock (never MAILPROC_NOW): for how long
 * something took. */
long long clock_monotonic_ms(void);

#endif
