/*
 * text.c: format=flowed and HTML rendering.
 *
 * GMime decodes MIME but renders neither, so these two live here.  The
 * HTML renderer is intentionally small: support mail needs the words and
 * the line structure, not layout.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "text.h"

size_t
text_normalise_newlines(char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			s[n++] = '\n';
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else {
			s[n++] = s[i];
		}
	}
	if (n < len)
		s[n] = '\0';
	return n;
}

char *
text_unflow(const char *s, int delsp)
{
	struct buf b = { 0 };
	int prev_soft = 0, prev_depth = 0;

	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		int depth = 0, soft;

		while (depth < (int)len && s[depth] == '>')
			depth++;
		/* A signature separator is never flowed (RFC 3676 §4.3). */
		soft = len > (size_t)depth && s[len - 1] == ' ' &&
		       !(len - depth == 3 && memcmp(s + depth, "-- ", 3) == 0);
		if (prev_soft && depth != prev_depth)
			buf_add(&b, "\n", 1);
		if ((!prev_soft || depth != prev_depth) && depth > 0) {
			/* The quote marks, then one space for readability
			 * (the stuffed space itself is dropped below). */
			buf_add(&b, s, (size_t)depth);
			buf_add(&b, " ", 1);
		}
		{
			const char *p = s + depth;
			size_t n = len - (size_t)depth;
			if (n > 0 && *p == ' ') {	/* space-stuffing */
				p++;
				n--;
			}
			if (soft && delsp && n > 0)
				n--;
			buf_add(&b, p, n);
		}
		if (!soft)
			buf_add(&b, "\n", 1);
		prev_soft = soft;
		prev_depth = depth;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return buf_detach(&b, NULL);
}

static const struct {
	const char *name;
	const char *utf8;
} entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "copy", "\xc2\xa9" },
	{ "reg", "\xc2\xae" }, { "yen", "\xc2\xa5" }, { "hellip", "..." },
	{ "mdash", "\xe2\x80\x94" }, { "ndash", "\xe2\x80\x93" },
	{ "laquo", "\xc2\xab" }, { "raquo", "\xc2\xbb" },
	{ "middot", "\xc2\xb7" }, { "times", "\xc3\x97" },
	{ "rsquo", "\xe2\x80\x99" }, { "lsquo", "\xe2\x80\x98" },
	{ "rdquo", "\xe2\x80\x9d" }, { "ldquo", "\xe2\x80\x9c" },
};

static size_t
utf8_put(char *out, unsigned long c)
{
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	} else if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	} else if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Decodes the reference at s ('&'); returns bytes consumed, 0 if none. */
static size_t
entity(const char *s, struct buf *b)
{
	const char *semi = strchr(s, ';');
	char tmp[4];
	size_t i, n;

	if (semi == NULL || semi - s > 12)
		return 0;
	n = (size_t)(semi - s);
	if (s[1] == '#') {
		char *end;
		unsigned long c = (s[2] == 'x' || s[2] == 'X') ?
			strtoul(s + 3, &end, 16) : strtoul(s + 2, &end, 10);
		if (end != semi)
			return 0;
		buf_add(b, tmp, utf8_put(tmp, c));
		return n + 1;
	}
	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (strlen(entities[i].name) == n - 1 &&
		    strncmp(s + 1, entities[i].name, n - 1) == 0) {
			buf_add(b, entities[i].utf8, strlen(entities[i].utf8));
			return n + 1;
		}
	return 0;
}

static int
tag_is(const char *tag, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len >= n && strncasecmp(tag, name, n) == 0 &&
	       (len == n || !isalnum((unsigned char)tag[n]));
}

char *
text_from_html(const char *h)
{
	static const char *const breaks[] = {
		"br", "/p", "p", "/div", "div", "/li", "/tr", "hr", "/h1",
		"/h2", "/h3", "/h4", "/h5", "/h6", "/table", "/blockquote",
		"/pre", "/ul", "/ol", "/title",
	};
	struct buf b = { 0 };
	int space = 0, pre = 0;

	while (*h != '\0') {
		if (strncmp(h, "<!--", 4) == 0) {
			const char *e = strstr(h + 4, "-->");
			h = e ? e + 3 : h + strlen(h);
			continue;
		}
		if (*h == '<') {
			const char *e = strchr(h, '>');
			const char *tag = h + 1;
			size_t len, i;

			if (e == NULL)
				break;
			len = (size_t)(e - tag);
			if (tag_is(tag, len, "script") ||
			    tag_is(tag, len, "style") ||
			    tag_is(tag, len, "head")) {
				char close[16];
				const char *c;
				size_t nl = strcspn(tag, " \t\r\n>");
				snprintf(close, sizeof(close), "</%.*s",
					 (int)(nl < 8 ? nl : 8), tag);
				c = strcasestr(e, close);
				h = c ? strchr(c, '>') : NULL;
				h = h ? h + 1 : e + strlen(e);
				continue;
			}
			if (tag_is(tag, len, "pre"))
				pre = 1;
			else if (tag_is(tag, len, "/pre"))
				pre = 0;
			for (i = 0; i < sizeof(breaks) / sizeof(breaks[0]);
			     i++)
				if (tag_is(tag, len, breaks[i])) {
					buf_add(&b, "\n", 1);
					space = 0;
					break;
				}
			if (tag_is(tag, len, "li"))
				buf_add(&b, "- ", 2);
			else if (tag_is(tag, len, "td") ||
				 tag_is(tag, len, "th"))
				buf_add(&b, " ", 1);
			h = e + 1;
			continue;
		}
		if (*h == '&') {
			size_t n = entity(h, &b);
			if (n > 0) {
				h += n;
				space = 0;
				continue;
			}
		}
		if (!pre && isspace((unsigned char)*h)) {
			if (!space && b.len > 0 && b.p[b.len - 1] != '\n')
				buf_add(&b, " ", 1);
			space = 1;
			h++;
			continue;
		}
		space = 0;
		buf_add(&b, h, 1);
		h++;
	}
	/* Collapse runs of more than two newlines and trailing spaces. */
	if (!b.oom && b.p != NULL) {
		size_t i, n = 0, nls = 0;
		for (i = 0; i < b.len; i++) {
			char c = b.p[i];
			if (c == '\n') {
				while (n > 0 && b.p[n - 1] == ' ')
					n--;
				if (++nls > 2)
					continue;
			} else if (c == ' ' && n > 0 && b.p[n - 1] == '\n') {
				continue;
			} else {
				nls = 0;
			}
			b.p[n++] = c;
		}
		while (n > 0 && (b.p[n - 1] == '\n' || b.p[n - 1] == ' '))
			n--;
		b.p[n] = '\0';
		b.len = n;
		/* Drop leading newlines. */
		i = strspn(b.p, "\n");
		memmove(b.p, b.p + i, b.len - i + 1);
	}
	return buf_detach(&b, NULL);
}
