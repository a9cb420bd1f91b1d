/* buf.c: growing strings that fail once and report it at the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
buf_reserve(struct buf *b, size_t n)
{
	size_t want;
	char *p;

	if (b->oom)
		return -1;
	if (n > SIZE_MAX / 2 - b->len - 1) {
		b->oom = 1;
		return -1;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if (want < 64)
		want = 64;
	p = realloc(b->p, want);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = want;
	return 0;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_release(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

char *
buf_detach(struct buf *b, size_t *len_r)
{
	char *p;

	buf_add(b, "", 0);
	if (b->oom) {
		buf_release(b);
		return NULL;
	}
	p = b->p;
	if (len_r != NULL)
		*len_r = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}
