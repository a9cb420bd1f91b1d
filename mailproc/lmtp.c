/*
 * lmtp.c: the byte-level parts of RFC 2033 LMTP.
 *
 * Kept apart from the server so that every state can be driven by a unit
 * test or a fuzzer with no socket.  Strictness: command verbs and the
 * "FROM:"/"TO:" keywords are case-insensitive (RFC 5321 2.4); a space
 * after the colon is accepted (a common client habit, RFC 5321 forbids
 * it); the path's source route is dropped (RFC 5321 4.1.2, C.).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp.h"

static int
word_is(const char *line, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && strncasecmp(line, w, n) == 0 &&
	       (len == n || line[n] == ' ');
}

static int
param_is(const char *w, size_t wl, const char *name)
{
	return wl == strlen(name) && strncasecmp(w, name, wl) == 0;
}

/* Parses "<path> params..." from p (len bytes) into cmd.  mail says
 * whether SIZE and BODY are allowed. */
static void
parse_path(const char *p, size_t len, int mail, struct lmtp_cmd *cmd)
{
	const char *end = p + len, *close, *a;
	size_t alen;

	while (p < end && *p == ' ')
		p++;
	if (p >= end || *p != '<') {
		cmd->syntax = LMTP_BAD_SYNTAX;
		return;
	}
	p++;
	close = memchr(p, '>', (size_t)(end - p));
	if (close == NULL) {
		cmd->syntax = LMTP_BAD_SYNTAX;
		return;
	}
	a = p;
	if (*a == '@') {	/* source route: @a,@b:user@c */
		const char *colon = memchr(a, ':', (size_t)(close - a));
		if (colon == NULL) {
			cmd->syntax = LMTP_BAD_SYNTAX;
			return;
		}
		a = colon + 1;
	}
	alen = (size_t)(close - a);
	if (alen > LMTP_MAX_ADDR) {
		cmd->syntax = LMTP_BAD_SYNTAX;
		return;
	}
	for (const char *q = a; q < close; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			cmd->syntax = LMTP_BAD_SYNTAX;
			return;
		}
	memcpy(cmd->addr, a, alen);
	cmd->addr[alen] = '\0';

	/* ESMTP parameters (RFC 5321 4.1.2): only those we offered. */
	p = close + 1;
	while (p < end) {
		const char *w;
		size_t wl;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		w = p;
		while (p < end && *p != ' ')
			p++;
		wl = (size_t)(p - w);
		if (mail && wl > 5 && strncasecmp(w, "SIZE=", 5) == 0) {
			long long v = 0;
			size_t i;
			for (i = 5; i < wl; i++) {
				if (!isdigit((unsigned char)w[i]) ||
				    v > 1000000000000000LL) {
					cmd->syntax = LMTP_BAD_SYNTAX;
					return;
				}
				v = v * 10 + (w[i] - '0');
			}
			cmd->size = v;
		} else if (mail && (param_is(w, wl, "BODY=7BIT") ||
				    param_is(w, wl, "BODY=8BITMIME"))) {
			/* the body is taken as bytes either way */
		} else {
			cmd->syntax = LMTP_BAD_PARAM;
			return;
		}
	}
}

void
lmtp_parse(const char *line, size_t len, struct lmtp_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = -1;
	if (memchr(line, '\0', len) != NULL) {
		cmd->verb = LMTP_UNKNOWN;
		return;
	}
	if (word_is(line, len, "LHLO")) {
		cmd->verb = LMTP_LHLO;
		if (len <= 5)
			cmd->syntax = LMTP_BAD_SYNTAX;	/* domain required */
	} else if (word_is(line, len, "HELO") || word_is(line, len, "EHLO")) {
		cmd->verb = LMTP_HELO;
	} else if (len >= 10 && strncasecmp(line, "MAIL FROM:", 10) == 0) {
		cmd->verb = LMTP_MAIL;
		parse_path(line + 10, len - 10, 1, cmd);
	} else if (len >= 8 && strncasecmp(line, "RCPT TO:", 8) == 0) {
		cmd->verb = LMTP_RCPT;
		parse_path(line + 8, len - 8, 0, cmd);
		if (cmd->syntax == LMTP_OK && cmd->addr[0] == '\0')
			cmd->syntax = LMTP_BAD_SYNTAX;
	} else if (word_is(line, len, "MAIL") || word_is(line, len, "RCPT")) {
		cmd->verb = toupper((unsigned char)line[0]) == 'M' ?
			    LMTP_MAIL : LMTP_RCPT;
		cmd->syntax = LMTP_BAD_SYNTAX;
	} else if (word_is(line, len, "DATA")) {
		cmd->verb = LMTP_DATA;
		if (len != 4)
			cmd->syntax = LMTP_BAD_SYNTAX;
	} else if (word_is(line, len, "RSET")) {
		cmd->verb = LMTP_RSET;
		if (len != 4)
			cmd->syntax = LMTP_BAD_SYNTAX;
	} else if (word_is(line, len, "NOOP")) {
		cmd->verb = LMTP_NOOP;	/* RFC 5321 4.1.1.9: may have a word */
	} else if (word_is(line, len, "QUIT")) {
		cmd->verb = LMTP_QUIT;
	} else if (word_is(line, len, "VRFY")) {
		cmd->verb = LMTP_VRFY;
	} else {
		cmd->verb = LMTP_UNKNOWN;
	}
}

/* Decoder states: at the start of a line, inside one, after a CR inside
 * one (held back: CRLF becomes LF), after a dot at the start of a line,
 * after ".\r" at the start of a line. */
enum { D_BOL, D_MID, D_CR, D_DOT, D_DOTCR };

void
lmtp_dot_init(struct lmtp_dot *d)
{
	d->state = D_BOL;
	d->done = 0;
}

size_t
lmtp_dot_feed(struct lmtp_dot *d, const char *in, size_t n, char *out,
	      size_t *outlen_r)
{
	size_t i, o = 0;

	for (i = 0; i < n && !d->done; i++) {
		char c = in[i];

		switch (d->state) {
		case D_BOL:
			if (c == '.') {
				d->state = D_DOT;
				continue;
			}
			break;
		case D_CR:
			if (c == '\n') {
				out[o++] = '\n';
				d->state = D_BOL;
				continue;
			}
			out[o++] = '\r';	/* a lone CR stays */
			break;
		case D_DOT:
			if (c == '\r') {
				d->state = D_DOTCR;
				continue;
			}
			if (c == '\n') {
				d->done = 1;
				continue;
			}
			break;	/* the stuffed dot is dropped */
		case D_DOTCR:
			if (c == '\n') {
				d->done = 1;
				continue;
			}
			/* ".\rX": the dot was stuffing, the CR is data */
			out[o++] = '\r';
			break;
		}
		/* c is an ordinary byte after whatever came before */
		if (c == '\r') {
			d->state = D_CR;
		} else {
			out[o++] = c;
			d->state = c == '\n' ? D_BOL : D_MID;
		}
	}
	*outlen_r = o;
	return i;
}

void
lmtp_hdr_init(struct lmtp_hdr *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	h->name = name;
	if (name == NULL || *name == '\0')
		h->in_body = 1;		/* nothing to look for */
}

/* One complete header line (without LF) in h->line. */
static void
hdr_line(struct lmtp_hdr *h)
{
	size_t nl = strlen(h->name);
	char *v, *e;

	if (h->len > 0 && h->line[h->len - 1] == '\r')
		h->len--;
	if (h->len == 0) {
		h->in_body = 1;
		return;
	}
	h->line[h->len] = '\0';
	if (h->line[0] == ' ' || h->line[0] == '\t')
		return;		/* continuation: a folded login is refused
				 * below by the value check */
	if (strncasecmp(h->line, "Received:", 9) == 0) {
		h->seen_received = 1;
		return;
	}
	if (h->len <= nl || strncasecmp(h->line, h->name, nl) != 0 ||
	    h->line[nl] != ':')
		return;
	if (h->seen_received) {
		h->forged++;
		return;
	}
	if (h->overflow) {
		h->conflict = 1;
		return;
	}
	v = h->line + nl + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (*v == '\0' || strlen(v) > LMTP_MAX_ADDR ||
	    strpbrk(v, " \t\"\\") != NULL) {
		h->conflict = 1;
		return;
	}
	if (h->found > 0 && strcmp(h->value, v) != 0)
		h->conflict = 1;
	snprintf(h->value, sizeof(h->value), "%s", v);
	h->found++;
}

void
lmtp_hdr_feed(struct lmtp_hdr *h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !h->in_body; i++) {
		if (p[i] == '\n') {
			hdr_line(h);
			h->len = 0;
			h->overflow = 0;
			continue;
		}
		if (h->len < sizeof(h->line) - 1)
			h->line[h->len++] = p[i];
		else
			h->overflow = 1;	/* judged by its start */
	}
}

const char *
lmtp_hdr_login(struct lmtp_hdr *h)
{
	if (!h->in_body && h->len > 0) {	/* headers without a body */
		hdr_line(h);
		h->len = 0;
		h->in_body = 1;
	}
	/* No Received: below it, no proof that our smtpd wrote it: some
	 * path into Postfix may add none, and then a client's header would
	 * be the first. */
	if (h->found == 0 || h->conflict || !h->seen_received)
		return NULL;
	return h->value;
}
