/* log.c: syslog lines and stderr errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int log_debug;
static int log_opened;

/* The calling thread's held info lines (log_hold()), each ending in
 * '\0'; a line that does not fit is sent at once. */
static __thread struct {
	int on;
	char *buf;
	size_t len, cap;
} held;

#define HELD_MAX (256 * 1024)

void
log_open(int debug)
{
	log_debug = debug;
	if (!log_opened) {
		openlog("mailproc", LOG_PID, LOG_MAIL);
		log_opened = 1;
	}
}

static void
emit(int prio, const char *line)
{
	if (log_opened)
		syslog(prio, "%s", line);
	if (log_debug)
		fprintf(stderr, "mailproc[debug]: %s: %s\n",
			prio == LOG_CRIT ? "crit" : prio == LOG_ERR ? "err" :
			prio == LOG_WARNING ? "warning" : "info", line);
}

/* Keeps line for log_release(); 0, or -1 when it must go out now. */
static int
hold(const char *line)
{
	size_t n = strlen(line) + 1;

	if (held.len + n > held.cap) {
		size_t cap = held.cap ? held.cap * 2 : 8192;
		char *b;

		while (cap < held.len + n)
			cap *= 2;
		if (cap > HELD_MAX || (b = realloc(held.buf, cap)) == NULL)
			return -1;
		held.buf = b;
		held.cap = cap;
	}
	memcpy(held.buf + held.len, line, n);
	held.len += n;
	return 0;
}

static void
log_v(int prio, const char *fmt, va_list ap)
{
	int saved = errno;
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (!(held.on && prio == LOG_INFO && hold(line) == 0))
		emit(prio, line);
	errno = saved;
}

void
log_hold(void)
{
	held.on = 1;
	held.len = 0;
}

int
log_release(int keep)
{
	size_t off = 0;
	int n = 0;

	for (off = 0; off < held.len; off += strlen(held.buf + off) + 1) {
		if (keep)
			emit(LOG_INFO, held.buf + off);
		n++;
	}
	/* Freed each time: a thread's buffer would outlive the thread. */
	held.on = 0;
	held.len = 0;
	free(held.buf);
	held.buf = NULL;
	held.cap = 0;
	return n;
}

#define LOG_FN(name, prio)					\
	void							\
	name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		va_start(ap, fmt);				\
		log_v(prio, fmt, ap);				\
		va_end(ap);					\
	}

LOG_FN(log_info, LOG_INFO)
LOG_FN(log_warning, LOG_WARNING)
LOG_FN(log_error, LOG_ERR)
LOG_FN(log_crit, LOG_CRIT)

void
log_user_error(const char *what, const char *fmt, ...)
{
	int saved = errno;
	char why[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mailproc: %s: %s\n", what, why);
	if (log_opened)
		syslog(LOG_ERR, "%s: %s", what, why);
	errno = saved;
}

/* Whether s can stand unquoted after "key=". */
static int
plain_token(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\' ||
		    *p == '=')
			return 0;
	return 1;
}

/* The escaped form of byte c in a quoted value, into esc; its length. */
static size_t
escape_byte(unsigned char c, char esc[4])
{
	static const char hex[] = "0123456789abcdef";

	esc[0] = '\\';
	if (c == '"' || c == '\\') {
		esc[1] = (char)c;
		return 2;
	}
	if (c == '\n' || c == '\r' || c == '\t') {
		esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	if (c < ' ' || c == 0x7f) {
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 15];
		return 4;
	}
	esc[0] = (char)c;
	return 1;
}

/* n less an incomplete UTF-8 sequence at the end of buf[start..n). */
static size_t
utf8_boundary(const char *buf, size_t start, size_t n)
{
	size_t lead = n, want;
	unsigned char c;

	while (lead > start && ((unsigned char)buf[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == start)
		return n;
	c = (unsigned char)buf[lead - 1];
	if (c < 0xc0)
		return n;	/* continuation bytes after ASCII: keep */
	want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	return n - (lead - 1) >= want ? n : lead - 1;
}

const char *
log_quote(char *buf, size_t size, const char *s)
{
	size_t n = 0, i, len, start, limit, need = 0;
	char esc[4];
	int quoted;

	if (size < 8) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	if (s == NULL)
		s = "-";
	quoted = !plain_token(s);
	start = quoted ? 1 : 0;
	limit = size - 1 - 2 * start;	/* value bytes between the quotes */
	for (i = 0; s[i] != '\0'; i++)
		need += escape_byte((unsigned char)s[i], esc);
	if (quoted)
		buf[n++] = '"';
	for (i = 0; s[i] != '\0'; i++) {
		len = escape_byte((unsigned char)s[i], esc);
		if (need > limit && n - start + len > limit - 3)
			break;
		memcpy(buf + n, esc, len);
		n += len;
	}
	if (need > limit) {
		n = utf8_boundary(buf, start, n);
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	if (quoted)
		buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}
