/*
 * Logging.  Owns the syslog connection (ident "mailproc", LOG_PID,
 * LOG_MAIL) and the one-line user-facing errors on stderr.  With debug on,
 * every syslog line is also written to stderr.  The helpers keep errno.
 * Callers pass untrusted values through log_safe() first.
 */
#ifndef MP_LOG_H
#define MP_LOG_H

#include <stddef.h>

/* Opens syslog once; debug also copies lines to stderr. */
void log_open(int debug);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_crit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "mailproc: <what>: <why>" on stderr (and logs it at LOG_ERR). */
void log_user_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies at most size-1 bytes of s into buf with control characters, spaces
 * and non-ASCII bytes replaced so that the value is safe in a key=value log
 * line; long values end in "...".  Returns buf; s may be NULL ("-"). */
const char *log_safe(char *buf, size_t size, const char *s);

#endif
