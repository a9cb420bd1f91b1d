/* log.c: syslog lines and stderr errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int log_debug;
static int log_opened;

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
log_v(int prio, const char *fmt, va_list ap)
{
	int saved = errno;
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_opened)
		syslog(prio, "%s", line);
	if (log_debug)
		fprintf(stderr, "mailproc[debug]: %s\n", line);
	errno = saved;
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

const char *
log_safe(char *buf, size_t size, const char *s)
{
	size_t i, n = 0;

	if (size == 0)
		return "";
	if (s == NULL)
		s = "-";
	for (i = 0; s[i] != '\0' && n + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = (c <= ' ' || c >= 0x7f || c == '"') ? '_' : (char)c;
	}
	buf[n] = '\0';
	if (s[i] != '\0' && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}
