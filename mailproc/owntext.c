/*
 * owntext.c: the customer's own text of a mail, the part rules and the
 * model read.  Text is NFKC-normalised (full-width letters and digits
 * become ASCII, half-width kana full-width) so that rules are written
 * once; quoted history, attributions and signatures are cut, and only
 * the first body_limit bytes of what remains are kept: a request is
 * stated at the top, and matching time grows with the text.  Subjects
 * lose their reply prefixes and ticket tags.
 */
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rules_priv.h"

/* ---- preparing the text ---------------------------------------------- */

static int
starts_ci(const char *s, const char *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s != '\0'; s++)
		if (g_ascii_strncasecmp(s, needle, n) == 0)
			return 1;
	return 0;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A line that introduces quoted text: "On ... wrote:", "... さんは書きま
 * した:", Gmail's "2024年1月10日(水) 10:00 Name <a@b>:". */
static int
is_attribution(const char *t, size_t len)
{
	if (len == 0 || t[len - 1] != ':')
		return 0;
	if (contains_ci(t, "wrote") || strstr(t, "書きました") != NULL ||
	    strstr(t, "のメッセージ:") != NULL ||
	    strstr(t, "のメール:") != NULL)
		return 1;
	return ends_with(t, len, ">:") && strchr(t, '@') != NULL;
}

/* A line after which everything is history: forwarded or original
 * message markers, Outlook's rule line, "Begin forwarded message:". */
static int
is_separator(const char *t, size_t len)
{
	size_t i;

	if (starts_ci(t, "begin forwarded message"))
		return 1;
	if (len >= 10) {
		for (i = 0; i < len && t[i] == '_'; i++)
			;
		if (i == len)
			return 1;
	}
	if (len < 3 || strncmp(t, "---", 3) != 0)
		return 0;
	return contains_ci(t, "original message") ||
	       contains_ci(t, "forwarded message") ||
	       contains_ci(t, "forwarded by") ||
	       strstr(t, "転送") != NULL ||
	       strstr(t, "元のメッセージ") != NULL ||
	       strstr(t, "オリジナルメッセージ") != NULL;
}

/* The state of unquoting, carried from one chunk of text to the next. */
struct unquoter {
	struct buf out;
	int after_attribution;	/* the last text line introduced a quote */
	int stopped;		/* history or signature reached */
};

/* Appends to q->out the lines of s (NFKC-normalised, whole lines) that the
 * writer wrote now: quoted lines, attribution lines, history after
 * separators and the signature after "-- " are left out. */
static void
unquote_chunk(struct unquoter *q, const char *s)
{
	const char *p = s, *nl, *t;
	size_t len, tlen;

	while (*p != '\0' && !q->stopped) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		for (t = p; t < p + len && rules_is_space((unsigned char)*t); t++)
			;
		tlen = (size_t)(p + len - t);
		while (tlen > 0 && rules_is_space((unsigned char)t[tlen - 1]))
			tlen--;
		if (q->after_attribution && tlen > 0) {
			if (*t != '>') {
				q->stopped = 1;
				break;
			}
			q->after_attribution = 0;
		}
		if ((len == 3 && memcmp(p, "-- ", 3) == 0) ||
		    (len == 2 && memcmp(p, "--", 2) == 0)) {
			q->stopped = 1;
		} else if (tlen > 0 && *t == '>') {
			/* quoted */
		} else if (is_separator(t, tlen)) {
			q->stopped = 1;
		} else if (is_attribution(t, tlen)) {
			q->after_attribution = 1;
		} else {
			buf_add(&q->out, p, len);
			buf_add(&q->out, "\n", 1);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* The end of the next chunk of s to normalise: about want bytes, ended
 * after a newline or, in a very long line, at a character boundary. */
static size_t
chunk_end(const char *s, size_t len, size_t want)
{
	const char *nl;

	if (len <= want)
		return len;
	nl = memchr(s + want, '\n', len - want < want ? len - want : want);
	if (nl != NULL)
		return (size_t)(nl - s) + 1;
	return owntext_utf8_cut(s, len, 2 * want);
}

/* The text to classify: raw text NFKC-normalised and unquoted chunk by
 * chunk until limit bytes are collected, so that a long mail costs no
 * more than a short one.  Returns a malloc'd string or NULL. */
char *
owntext_body(const char *raw, size_t limit)
{
	struct unquoter q = { 0 };
	size_t len = strlen(raw), off = 0, n;
	char *norm;

	while (off < len && !q.stopped && q.out.len < limit &&
	       off < MAX_SCAN) {
		n = chunk_end(raw + off, len - off, limit);
		norm = rules_nfkc_lower(raw + off, (gssize)n);
		unquote_chunk(&q, norm);
		g_free(norm);
		off += n;
	}
	return buf_detach(&q.out, NULL);
}

/* All of a text, NFKC-normalised and unquoted (for forms).  Returns a
 * malloc'd string or NULL. */
char *
owntext_all(const char *raw)
{
	struct unquoter q = { 0 };
	char *norm = rules_nfkc(raw, -1);

	unquote_chunk(&q, norm);
	g_free(norm);
	return buf_detach(&q.out, NULL);
}

/* Strips reply and forward prefixes ("Re:", "Fwd:", "転送:", "Re[2]:")
 * and ticket tags ("[support#12]") from the front of a normalised
 * subject; sets *reply when a prefix was found.  Returns a pointer into
 * s. */
const char *
owntext_subject(const char *s, int *reply)
{
	static const char *const prefixes[] = {
		"re", "fwd", "fw", "aw", "sv", "tr", "wg", "転送", "返信",
	};
	const char *p, *q;
	size_t i, n;
	int again = 1;

	*reply = 0;
	p = s;
	while (again) {
		again = 0;
		while (rules_is_space((unsigned char)*p))
			p++;
		if (*p == '[') {
			q = strchr(p, ']');
			if (q != NULL && memchr(p, '#', (size_t)(q - p))) {
				p = q + 1;
				again = 1;
				continue;
			}
		}
		for (i = 0; i < G_N_ELEMENTS(prefixes); i++) {
			n = strlen(prefixes[i]);
			if (!starts_ci(p, prefixes[i]))
				continue;
			q = p + n;
			if (*q == '[' || *q == '(') {
				q++;
				while (*q >= '0' && *q <= '9')
					q++;
				if (*q != ']' && *q != ')')
					continue;
				q++;
			}
			while (*q == ' ')
				q++;
			if (*q != ':')
				continue;
			p = q + 1;
			*reply = 1;
			again = 1;
			break;
		}
	}
	return p;
}

/* Cuts s to at most max bytes, at a character boundary. */
size_t
owntext_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

char *
rules_own_text(const char *text)
{
	return owntext_body(text != NULL ? text : "", 64 * 1024);
}
