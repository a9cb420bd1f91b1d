/* err.c: filling struct mp_err. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int
mp_err_set(struct mp_err *err, enum mp_err_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->kind = kind;
	err->setup = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
mp_err_setup(struct mp_err *err)
{
	if (err == NULL)
		return;
	err->kind = MP_TEMP;
	err->setup = 1;
}

void
mp_err_clear(struct mp_err *err)
{
	if (err == NULL)
		return;
	err->kind = MP_OK;
	err->setup = 0;
	err->msg[0] = '\0';
}
