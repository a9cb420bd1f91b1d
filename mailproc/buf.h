/*
 * A growing byte string, NUL-terminated after every append.  After a
 * failed allocation it stays failed and every later append is a no-op,
 * so callers check once, at buf_detach().  Used by the modules that build
 * text piece by piece (charset, text, tmpl, rules).
 */
#ifndef MP_BUF_H
#define MP_BUF_H

#include <stddef.h>

struct buf {
	char *p;		/* NULL until the first append */
	size_t len, cap;
	int oom;		/* an allocation failed */
};

/* Makes room for n more bytes and a NUL after them, for callers that
 * write into p + len themselves (iconv).  Returns 0, or -1 (failed). */
int buf_reserve(struct buf *b, size_t n);

void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);

/* Returns the contents as a new malloc'd NUL-terminated string ("" when
 * nothing was added) with its length in *len_r (if not NULL), and resets
 * b; or NULL, freeing everything, if an allocation failed. */
char *buf_detach(struct buf *b, size_t *len_r);

/* Frees the contents and resets b. */
void buf_release(struct buf *b);

#endif
