/*
 * Logging.  Owns the syslog connection (ident "mailproc", LOG_PID,
 * LOG_MAIL) and the one-line user-facing errors on stderr.  With debug on,
 * every syslog line is also written to stderr.  The helpers keep errno.
 * Callers pass untrusted values through log_quote() first.
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

/* Holds the calling thread's info lines back until log_release(): the
 * lines of work that a later commit may still undo.  Warnings and errors
 * always go out at once.  log_release(1) sends the held lines, in order;
 * log_release(0) drops them.  Either returns how many there were. */
void log_hold(void);
int log_release(int keep);

/* Prints "mailproc: <what>: <why>" on stderr (and logs it at LOG_ERR). */
void log_user_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The one way a value goes into a key=value log line: s as it is when it
 * is a plain token (non-empty; no space, control character, '"', '\\'
 * or '='), else in double quotes with '"' and '\\' escaped by a
 * backslash and control characters as \n, \r, \t or \xHH.  UTF-8 is
 * kept.  A value too long for buf is cut at a character boundary and
 * ends in "..." (inside the quotes).  Returns buf; s may be NULL ("-").
 * size should be at least 8. */
const char *log_quote(char *buf, size_t size, const char *s);

/* log_quote() into a buffer of this size: enough for any value the log
 * lines carry (addresses, Message-IDs, reasons), cut beyond. */
#define LOG_VALUE_MAX 256

#endif
