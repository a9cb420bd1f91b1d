/*
 * outenc.c: what outgoing text looks like on the wire.
 *
 * ISO-2022-JP goes out as 7bit, so its lines are limited to 998 octets
 * (RFC 5322 §2.1.1) and a relay that breaks a longer one breaks it inside
 * a JIS character.  Long lines are therefore folded here, with
 * format=flowed soft breaks (RFC 3676 §4.2, DelSp=yes §4.3: Japanese has
 * no spaces to break at, so the added space is deleted when a reader
 * joins the lines again), and every line is converted on its own so that
 * it ends in ASCII (RFC 1468).  Readers without format=flowed see a
 * mail folded as Japanese mailers fold it.
 *
 * Encoded words (RFC 2047 §2: at most 75 characters; §5: a character is
 * never split between two words) are made here rather than by GMime,
 * which writes one word of any length for text without spaces and may
 * choose Q encoding for ISO-2022-JP.  Each ISO-2022-JP word is a
 * complete ISO-2022-JP string that starts and ends in ASCII.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include "outenc.h"

#define FOLD_WIDTH 78		/* RFC 5322 §2.1.1 "SHOULD" */
#define FOLD_HARD 900		/* a word longer than this is cut */
#define EW_MAX 75		/* RFC 2047 §2 */
#define EW_LINE 76		/* RFC 2047 §2: line with encoded words */

/* Converts one line (no LF inside) and flushes the shift state, so the
 * result ends in ASCII.  Appends to out; returns 0, or -1 when a
 * character cannot be encoded. */
static int
iso_line(iconv_t cd, const char *s, size_t len, GByteArray *out)
{
	char buf[1024], *in = (char *)s, *o;
	size_t inleft = len, oleft;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (inleft > 0) {
		size_t rc;

		o = buf;
		oleft = sizeof(buf);
		rc = iconv(cd, &in, &inleft, &o, &oleft);
		g_byte_array_append(out, (guint8 *)buf, sizeof(buf) - oleft);
		if (rc == (size_t)-1 && errno != E2BIG)
			return -1;
	}
	o = buf;
	oleft = sizeof(buf);
	iconv(cd, NULL, NULL, &o, &oleft);
	g_byte_array_append(out, (guint8 *)buf, sizeof(buf) - oleft);
	return 0;
}

GByteArray *
outenc_iso2022jp(const char *utf8, size_t len)
{
	iconv_t cd = iconv_open("ISO-2022-JP", "UTF-8");
	GByteArray *out;
	const char *p = utf8, *end = utf8 + len;

	if (cd == (iconv_t)-1)
		return NULL;
	out = g_byte_array_new();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (iso_line(cd, p, n, out) < 0) {
			g_byte_array_free(out, TRUE);
			out = NULL;
			break;
		}
		if (nl == NULL)
			break;
		g_byte_array_append(out, (const guint8 *)"\n", 1);
		p = nl + 1;
	}
	iconv_close(cd);
	return out;
}

int
outenc_iso2022jp_ok(const char *utf8)
{
	GByteArray *b = outenc_iso2022jp(utf8, strlen(utf8));

	if (b == NULL)
		return 0;
	g_byte_array_free(b, TRUE);
	return 1;
}

/* ---- body folding ---- */

/* Characters a line should not start with, and ones it should not end
 * with (JIS X 4051 line breaking, the usual short lists). */
static const char32_t no_start[] =
	U"、。，．・：；？！゛゜ヽヾゝゞ々ー〜）］｝」』】〕〉》’”"
	U"ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ)]},.:;?!%";
static const char32_t no_end[] = U"（［｛「『【〔〈《‘“([{";

static int
in_set(const char32_t *set, gunichar c)
{
	const char32_t *p;

	for (p = set; *p != 0; p++)
		if (*p == c)
			return 1;
	return 0;
}

/* Whether a line may be broken between p and c. */
static int
can_break(gunichar p, gunichar c)
{
	if (c == ' ' || c == '\t')
		return 0;
	if (p == ' ' || p == '\t')
		return 1;
	if (p < 0x80 && c < 0x80)
		return 0;	/* inside a Latin word */
	return !in_set(no_start, c) && !in_set(no_end, p);
}

/* Running cost of a line: ISO-2022-JP octets (escapes included) or
 * display columns. */
struct cost {
	size_t n;
	int jis, iso;
};

static void
cost_add(struct cost *k, gunichar c)
{
	if (k->iso) {
		int wide = c >= 0x80;
		if (wide != k->jis)
			k->n += 3;
		k->jis = wide;
		k->n += wide ? 2 : 1;
	} else {
		k->n += g_unichar_iswide(c) ? 2 : 1;
	}
}

/* The cost so far as a whole line (ISO-2022-JP ends in ASCII). */
static size_t
cost_line(const struct cost *k)
{
	return k->n + (k->jis ? 3 : 0);
}

/* Where to soft-break seg (after prefix columns): the offset of the last
 * break opportunity that fits FOLD_WIDTH with the soft space, else the
 * first one after that fits FOLD_HARD, else a character boundary at
 * FOLD_HARD; 0 when seg fits as it is or cannot be broken. */
static size_t
find_break(const char *seg, size_t seglen, size_t prefix, int iso)
{
	struct cost k = { prefix, 0, iso };
	size_t i, brk = 0, last = 0;
	gunichar prev = 0;
	int text = 0;	/* past the leading blanks: a break before
			 * them would leave an empty line */

	for (i = 0; i < seglen;
	     i = (size_t)(g_utf8_next_char(seg + i) - seg)) {
		gunichar c = g_utf8_get_char(seg + i);

		if (i > 0 && text && can_break(prev, c)) {
			if (cost_line(&k) + 1 <= FOLD_WIDTH || brk == 0)
				brk = i;
			if (cost_line(&k) + 1 > FOLD_WIDTH)
				return cost_line(&k) + 1 <= FOLD_HARD ?
					brk : last;
		}
		if (i > 0 && cost_line(&k) + 1 <= FOLD_HARD)
			last = i;
		text = text || (c != ' ' && c != '\t');
		cost_add(&k, c);
		if (cost_line(&k) > FOLD_WIDTH && brk > 0)
			return brk;
		if (cost_line(&k) + 1 > FOLD_HARD)
			return brk > 0 ? brk : last;
		prev = c;
	}
	return 0;	/* fits, or a word under FOLD_HARD */
}

/* Appends one hard line (no LF) to out, folded.  A quoted line's
 * continuations carry its quote marks and a stuffed space; others get a
 * space only if they start with one (RFC 3676 §4.4, §4.5). */
static void
fold_line(GString *out, const char *line, size_t len, int iso)
{
	size_t q = 0, brk;
	const char *seg;
	size_t seglen;
	int first = 1;

	while (q < len && line[q] == '>')
		q++;
	seg = line + q;
	seglen = len - q;
	for (;;) {
		int stuff = !first && (q > 0 || (seglen > 0 && seg[0] == ' '));

		brk = find_break(seg, seglen, q + (size_t)stuff, iso);
		g_string_append_len(out, line, (gssize)q);
		if (stuff)
			g_string_append_c(out, ' ');
		if (brk == 0) {
			g_string_append_len(out, seg, (gssize)seglen);
			g_string_append_c(out, '\n');
			return;
		}
		g_string_append_len(out, seg, (gssize)brk);
		g_string_append(out, " \n");
		seg += brk;
		seglen -= brk;
		first = 0;
	}
}

/* RFC 3676 §4.2, §4.4 for a hard line of a flowed text. */
static void
flow_hard_line(GString *out, const char *line, size_t len)
{
	if (!(len == 3 && memcmp(line, "-- ", 3) == 0))
		while (len > 0 && line[len - 1] == ' ')
			len--;
	if (len > 0 && (line[0] == ' ' ||
			(len >= 5 && memcmp(line, "From ", 5) == 0)))
		g_string_append_c(out, ' ');
	g_string_append_len(out, line, (gssize)len);
}

/* Whether a line of n octets is wider than FOLD_WIDTH. */
static int
too_wide(const char *s, size_t n, int iso)
{
	struct cost k = { 0, 0, iso };
	const char *p;

	/* A character takes at most as many columns as it has octets. */
	if (!iso && n <= FOLD_WIDTH)
		return 0;
	for (p = s; p < s + n && cost_line(&k) <= FOLD_WIDTH;
	     p = g_utf8_next_char(p))
		cost_add(&k, g_utf8_get_char(p));
	return cost_line(&k) > FOLD_WIDTH;
}

char *
outenc_fold_body(const char *utf8, int iso2022jp, int *flowed_r)
{
	GString *out;
	const char *p;
	char *r;
	int flowed = 0;

	for (p = utf8; *p != '\0' && !flowed;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		flowed = too_wide(p, n, iso2022jp);
		p += n + (nl != NULL);
	}
	*flowed_r = flowed;
	if (!flowed)
		return strdup(utf8);
	out = g_string_sized_new(strlen(utf8) + 64);
	for (p = utf8; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		GString *hard = g_string_new(NULL);

		flow_hard_line(hard, p, n);
		fold_line(out, hard->str, hard->len, iso2022jp);
		g_string_free(hard, TRUE);
		if (nl == NULL)
			g_string_truncate(out, out->len - 1);
		p += n + (nl != NULL);
	}
	r = strdup(out->str);
	g_string_free(out, TRUE);
	return r;
}

/* ---- RFC 2047 and RFC 2231 ---- */

int
outenc_needs_encoding(const char *utf8)
{
	const unsigned char *p;

	for (p = (const unsigned char *)utf8; *p != '\0'; p++)
		if (*p >= 0x80)
			return 1;
	return strstr(utf8, "=?") != NULL;
}

static int
is_iso(const char *charset)
{
	return charset != NULL && g_ascii_strcasecmp(charset,
						     "iso-2022-jp") == 0;
}

/* The bytes of utf8[0..n) in charset, as a complete string; NULL if it
 * cannot be encoded. */
static GByteArray *
charset_bytes(const char *s, size_t n, int iso)
{
	GByteArray *b;

	if (iso)
		return outenc_iso2022jp(s, n);
	b = g_byte_array_sized_new((guint)n);
	g_byte_array_append(b, (const guint8 *)s, (guint)n);
	return b;
}

/* One encoded word of s[0..n) appended to out; -1 if not encodable. */
static int
add_word(GString *out, const char *s, size_t n, int iso)
{
	GByteArray *b = charset_bytes(s, n, iso);
	gchar *b64;

	if (b == NULL)
		return -1;
	b64 = g_base64_encode(b->data, b->len);
	g_string_append_printf(out, "=?%s?B?%s?=", iso ? "ISO-2022-JP" :
			       "UTF-8", b64);
	g_free(b64);
	g_byte_array_free(b, TRUE);
	return 0;
}

/* Length of the encoded word for s[0..n); (size_t)-1 if not encodable. */
static size_t
word_len(const char *s, size_t n, int iso)
{
	GByteArray *b = charset_bytes(s, n, iso);
	size_t len;

	if (b == NULL)
		return (size_t)-1;
	len = (iso ? 16 : 10) + 4 * ((b->len + 2) / 3) + 2;
	g_byte_array_free(b, TRUE);
	return len;
}

/* The longest prefix of s[0..n) (whole characters, at least one) whose
 * encoded word is at most max characters. */
static size_t
word_take(const char *s, size_t n, size_t max, int iso)
{
	size_t take = 0, i;

	for (i = 0; i < n;) {
		size_t next = (size_t)(g_utf8_next_char(s + i) - s);

		if (next > n)
			next = n;
		if (take > 0 && word_len(s, next, iso) > max)
			break;
		take = next;
		i = next;
	}
	return take;
}

/* Appends s[0..n) as encoded words to out, whose current line is *col
 * characters long. */
static int
add_words(GString *out, size_t *col, const char *s, size_t n, int iso)
{
	while (n > 0) {
		size_t room = *col + 1 < EW_LINE ? EW_LINE - *col - 1 : 0;
		size_t take, before;

		if (room > EW_MAX)
			room = EW_MAX;
		if (room < (iso ? 30 : 20) && *col > 1) {
			g_string_append(out, "\n");
			*col = 0;
			room = EW_MAX;
		}
		take = word_take(s, n, room, iso);
		g_string_append_c(out, ' ');
		before = out->len;
		if (add_word(out, s, take, iso) < 0)
			return -1;
		*col += 1 + (out->len - before);
		s += take;
		n -= take;
	}
	return 0;
}

char *
outenc_header(const char *name, const char *utf8, const char *charset,
	      int phrase, const char *tail)
{
	GString *out = g_string_new(NULL);
	size_t col = strlen(name) + 1;	/* "Name:" */
	const char *p = utf8, *enc = NULL;
	int iso = is_iso(charset);
	char *r;

	/* Raw ASCII words up to the first that needs encoding. */
	while (!phrase && *p != '\0') {
		const char *w = p, *e;
		char *word;
		int needs;

		while (*w == ' ')
			w++;
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		word = g_strndup(w, (gsize)(e - w));
		needs = outenc_needs_encoding(word);
		g_free(word);
		if (needs || w == e)
			break;
		if (col + 1 + (size_t)(e - w) > FOLD_WIDTH && col > 1) {
			g_string_append(out, "\n");
			col = 0;
		}
		g_string_append_c(out, ' ');
		g_string_append_len(out, w, e - w);
		col += 1 + (size_t)(e - w);
		p = e;
	}
	while (*p == ' ')
		p++;
	enc = p;
	if (*enc != '\0' && add_words(out, &col, enc, strlen(enc), iso) < 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	if (tail != NULL) {
		if (col + strlen(tail) > EW_LINE && col > 1 &&
		    tail[0] == ' ')
			g_string_append_c(out, '\n');
		g_string_append(out, tail);
	}
	g_string_append_c(out, '\n');
	r = strdup(out->str);
	g_string_free(out, TRUE);
	return r;
}

/* RFC 2231 attribute-char: what may stand unescaped in a value. */
static int
attr_char(unsigned char c)
{
	return g_ascii_isalnum(c) || strchr("!#$&+-.^_`|~", c) != NULL;
}

static void
add_pct(GString *out, const guint8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != 0 && attr_char(b[i]))
			g_string_append_c(out, (char)b[i]);
		else
			g_string_append_printf(out, "%%%02X", b[i]);
	}
}

static size_t
pct_len(const char *s, size_t n, int iso)
{
	GByteArray *b = charset_bytes(s, n, iso);
	size_t len = 0, i;

	if (b == NULL)
		return (size_t)-1;
	for (i = 0; i < b->len; i++)
		len += b->data[i] != 0 && attr_char(b->data[i]) ? 1 : 3;
	g_byte_array_free(b, TRUE);
	return len;
}

char *
outenc_param(const char *attr, const char *utf8, const char *charset,
	     int rfc2231)
{
	GString *out = g_string_new(";");
	const char *s = utf8;
	size_t n = strlen(utf8), col;
	int iso = is_iso(charset), part = 0;
	char *r;

	if (!rfc2231) {
		g_string_append_printf(out, "\n %s=\"", attr);
		col = 3 + strlen(attr);
		if (add_words(out, &col, s, n, iso) < 0)
			goto fail;
		/* add_words put a space before each word: the first one
		 * goes right after the quote. */
		{
			char *q = strstr(out->str, "=\" ");
			if (q != NULL)
				g_string_erase(out, q - out->str + 2, 1);
		}
		g_string_append_c(out, '"');
		goto done;
	}
	{
		size_t all = pct_len(s, n, iso);

		if (all == (size_t)-1)
			goto fail;
		if (all + strlen(attr) + (iso ? 13 : 7) + 4 <= FOLD_WIDTH) {
			GByteArray *b = charset_bytes(s, n, iso);

			g_string_append_printf(out, "\n %s*=%s''", attr, iso ?
					       "ISO-2022-JP" : "UTF-8");
			add_pct(out, b->data, b->len);
			g_byte_array_free(b, TRUE);
			goto done;
		}
	}
	while (n > 0) {
		char head[128];
		size_t room, take = 0, i;

		snprintf(head, sizeof(head), "%s%s %s*%d*=", part ? ";" : "",
			 "\n", attr, part);
		g_string_append(out, head);
		room = FOLD_WIDTH - strlen(head) - 1;
		if (part == 0) {
			g_string_append_printf(out, "%s''", iso ?
					       "ISO-2022-JP" : "UTF-8");
			room -= iso ? 13 : 7;
		}
		for (i = 0; i < n;) {
			size_t next = (size_t)(g_utf8_next_char(s + i) - s);

			if (next > n)
				next = n;
			if (take > 0 && pct_len(s, next, iso) > room)
				break;
			take = next;
			i = next;
		}
		{
			GByteArray *b = charset_bytes(s, take, iso);
			if (b == NULL)
				goto fail;
			add_pct(out, b->data, b->len);
			g_byte_array_free(b, TRUE);
		}
		s += take;
		n -= take;
		part++;
	}
done:
	r = strdup(out->str);
	g_string_free(out, TRUE);
	return r;
fail:
	g_string_free(out, TRUE);
	return NULL;
}
