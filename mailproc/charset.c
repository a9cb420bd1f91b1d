/*
 * Charset conversion to UTF-8.
 *
 * Why not just iconv: glibc has no CP50220, so its ISO-2022-JP converter
 * stops at the NEC row 13 and IBM extension characters (① ㈱ Ⅰ ㍻ 髙)
 * that Windows mailers put in ISO-2022-JP mail, and it stops for good at
 * the first bad byte.  Here ISO-2022-JP is decoded by a small ISO 2022
 * state machine of our own: JIS X 0208 pairs become Shift_JIS bytes by
 * arithmetic and are converted from CP932, which knows the extensions.  A
 * consequence is that JIS 0x2141 decodes as U+FF5E (fullwidth tilde), as
 * Windows decodes it, not as U+301C (wave dash).  Every other charset goes
 * through iconv with a loop that replaces an undecodable sequence by
 * U+FFFD and carries on.
 *
 * Memory comes from malloc, never g_malloc, so that running out of it is
 * reported (-1) instead of aborting the process.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "buf.h"
#include "charset.h"

#define REPL		"\xEF\xBF\xBD"	/* U+FFFD in UTF-8 */
#define REPL_LEN	3
#define SNIFF_WINDOW	65536		/* bytes scored when guessing */
#define NAME_MAX_LEN	64
#define CD_CACHE	8

/* A growable byte string.  After a failed allocation oom is set and
 * further appends do nothing, so callers check once at the end. */

/* How far to skip after an undecodable sequence, by input encoding. */
enum skip {
	SKIP_ONE,	/* single-byte charsets and anything unknown */
	SKIP_PAIR,	/* well-formed pairs we built from JIS */
	SKIP_SJIS,
	SKIP_EUC,
	SKIP_UTF16,
	SKIP_UTF32,
};

/* State of one conversion: output, defect flag, open iconv descriptors,
 * and bytes the ISO-2022 decoder has gathered for one iconv call. */
struct conv {
	struct buf out;
	int defect;
	struct {
		const char *name;
		iconv_t cd;
	} cd[CD_CACHE];
	int ncd;
	struct buf pend;
	const char *pend_cs;
	enum skip pend_skip;
};

static void conv_named(struct conv *c, const char *name,
		       const unsigned char *s, size_t n);

/* ---- buffers ---- */

/* Appends the UTF-8 form of code point cp (below U+10000). */
static void
buf_add_bmp(struct buf *b, unsigned int cp)
{
	unsigned char u[3];

	if (cp < 0x80) {
		buf_addc(b, cp);
	} else if (cp < 0x800) {
		u[0] = 0xC0 | (cp >> 6);
		u[1] = 0x80 | (cp & 0x3F);
		buf_add(b, u, 2);
	} else {
		u[0] = 0xE0 | (cp >> 12);
		u[1] = 0x80 | ((cp >> 6) & 0x3F);
		u[2] = 0x80 | (cp & 0x3F);
		buf_add(b, u, 3);
	}
}

/* ---- byte classes ---- */

static int
sjis_lead(unsigned int ch)
{
	return (ch >= 0x81 && ch <= 0x9F) || (ch >= 0xE0 && ch <= 0xFC);
}

static int
sjis_trail(unsigned int ch)
{
	return (ch >= 0x40 && ch <= 0x7E) || (ch >= 0x80 && ch <= 0xFC);
}

static int
euc_byte(unsigned int ch)
{
	return ch >= 0xA1 && ch <= 0xFE;
}

static int
jis_byte(unsigned int ch)
{
	return ch >= 0x21 && ch <= 0x7E;
}

/*
 * Length of the valid UTF-8 sequence at s, or 0 if it is not valid; then
 * *bad_r gets the length of its maximal subpart, the span one U+FFFD
 * replaces (Unicode 15.0 section 3.9, "U+FFFD Substitution of Maximal
 * Subparts").  Rejects overlongs, surrogates and values above U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *s, size_t n, size_t *bad_r)
{
	unsigned int lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 1;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 2;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 3;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;
	} else {
		*bad_r = 1;
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad_r = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return need + 1;
}

/* Length of the JIS designation at s (ESC $ B, ESC $ @, ESC ( I or
 * ESC $ ( x for a Japanese double-byte set), or 0. */
static size_t
jis_escape_len(const unsigned char *s, size_t n)
{
	if (n >= 3 && s[0] == 0x1B) {
		if (s[1] == '$' && (s[2] == 'B' || s[2] == '@'))
			return 3;
		if (s[1] == '(' && s[2] == 'I')
			return 3;
	}
	if (n >= 4 && s[0] == 0x1B && s[1] == '$' && s[2] == '(' &&
	    strchr("@BDOPQ", s[3]) != NULL && s[3] != '\0')
		return 4;
	return 0;
}

/* ---- guessing ---- */

static int
sjis_weight(unsigned int w)
{
	if (w >= 0x829F && w <= 0x82F1)
		return 3;		/* hiragana */
	if (w >= 0x8340 && w <= 0x8396)
		return 3;		/* katakana */
	if (w >= 0x8140 && w <= 0x81FC)
		return 2;		/* punctuation 、。「」 */
	if (w >= 0x889F && w <= 0x9872)
		return 2;		/* JIS level 1 kanji */
	if (w >= 0x8240 && w <= 0x84FC)
		return 1;		/* alphanumerics, Greek, Cyrillic */
	if (w >= 0x989F && w <= 0xEAA4)
		return 0;		/* level 2 kanji: rare in real text */
	if ((w >= 0x8740 && w <= 0x879C) || (w >= 0xED40 && w <= 0xEEFC) ||
	    (w >= 0xFA40 && w <= 0xFC4B))
		return 0;		/* NEC and IBM extensions */
	if (w >= 0xF040 && w <= 0xF9FC)
		return -3;		/* user-defined area */
	return -5;			/* unassigned */
}

/* How plausible s is as CP932 Japanese text: higher is better. */
static long
score_sjis(const unsigned char *s, size_t n)
{
	long sc = 0;
	size_t i = 0;

	while (i < n) {
		if (s[i] < 0x80 || (s[i] >= 0xA1 && s[i] <= 0xDF)) {
			i++;		/* ASCII, half-width katakana */
		} else if (sjis_lead(s[i]) && i + 1 < n &&
			   sjis_trail(s[i + 1])) {
			sc += sjis_weight((unsigned int)s[i] << 8 | s[i + 1]);
			i += 2;
		} else {
			sc -= 5;
			i++;
		}
	}
	return sc;
}

static int
euc_weight(unsigned int row, unsigned int cell)
{
	if (row == 4)
		return cell <= 0xF3 ? 3 : -5;	/* hiragana */
	if (row == 5)
		return cell <= 0xF6 ? 3 : -5;	/* katakana */
	if (row == 1)
		return 2;
	if (row >= 16 && row <= 47)
		return 2;			/* level 1 kanji */
	if (row == 2 || row == 3 || (row >= 6 && row <= 8))
		return 1;
	if (row == 13 || (row >= 48 && row <= 84) ||
	    (row >= 89 && row <= 92))
		return 0;
	return -5;
}

/* How plausible s is as EUC-JP Japanese text: higher is better. */
static long
score_euc(const unsigned char *s, size_t n)
{
	long sc = 0;
	size_t i = 0;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
		} else if (s[i] == 0x8E && i + 1 < n && s[i + 1] >= 0xA1 &&
			   s[i + 1] <= 0xDF) {
			i += 2;		/* half-width katakana */
		} else if (s[i] == 0x8F && i + 2 < n && euc_byte(s[i + 1]) &&
			   euc_byte(s[i + 2])) {
			i += 3;		/* JIS X 0212 */
		} else if (euc_byte(s[i]) && i + 1 < n && euc_byte(s[i + 1])) {
			sc += euc_weight(s[i] - 0xA0, s[i + 1]);
			i += 2;
		} else {
			sc -= 5;
			i++;
		}
	}
	return sc;
}

/* Whether s has a run of an odd number of 8-bit bytes, all A1-DF:
 * half-width katakana, which EUC-JP (pairs, or 8E xx) cannot be. */
static int
odd_kana_run(const unsigned char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		int kana = 1;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		for (j = i; j < n && s[j] >= 0x80; j++)
			kana = kana && s[j] >= 0xA1 && s[j] <= 0xDF;
		if (kana && (j - i) % 2 == 1)
			return 1;
		i = j;
	}
	return 0;
}

/* Whether s holds half-width katakana as Japanese is written in it: at
 * least a third of the 8-bit bytes in runs of two or more in A1-DF. */
static int
kana_runs(const unsigned char *s, size_t n)
{
	size_t i, in_runs = 0, eight = 0;

	for (i = 0; i < n; i++) {
		int k = s[i] >= 0xA1 && s[i] <= 0xDF;

		eight += s[i] >= 0x80;
		if (k && ((i > 0 && s[i - 1] >= 0xA1 && s[i - 1] <= 0xDF) ||
			  (i + 1 < n && s[i + 1] >= 0xA1 && s[i + 1] <= 0xDF)))
			in_runs++;
	}
	return eight > 0 && in_runs * 3 >= eight;
}

const char *
charset_sniff(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, n, bad, good = 0, errs = 0;
	int has8 = 0;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80)
			has8 = 1;
		else if (s[i] == 0x1B && jis_escape_len(s + i, len - i) > 0)
			return "iso-2022-jp";
	}
	if (!has8)
		return "us-ascii";
	for (i = 0; i < len; i += n) {
		n = utf8_len(s + i, len - i, &bad);
		if (n == 0) {
			errs++;
			n = bad;
		} else if (n > 1) {
			good++;
		}
	}
	/* Legacy Japanese text seldom forms even one valid multi-byte UTF-8
	 * sequence, so a few stray bad bytes do not make UTF-8 unlikely. */
	if (errs == 0 || good >= 8 * errs)
		return "utf-8";
	n = len < SNIFF_WINDOW ? len : SNIFF_WINDOW;
	{
		long euc = score_euc(s, n), sjis = score_sjis(s, n);

		/* Neither reads as Japanese: Western text (ö, é, ß
		 * between Latin letters) rather than private-use
		 * characters of CP932.  Runs of half-width katakana are
		 * Japanese even though they score nothing. */
		if (euc <= 0 && sjis <= 0 && !kana_runs(s, n))
			return "windows-1252";
		/* Half-width katakana in CP932 also pairs up as EUC-JP
		 * kanji, but EUC-JP never has an odd run of 8-bit bytes. */
		if (euc > sjis && !odd_kana_run(s, n))
			return "euc-jp";
	}
	return "cp932";
}

/* ---- iconv with replacement ---- */

static void
conv_init(struct conv *c)
{
	memset(c, 0, sizeof(*c));
}

static void
conv_release(struct conv *c)
{
	int i;

	for (i = 0; i < c->ncd; i++)
		if (c->cd[i].cd != (iconv_t)-1)
			iconv_close(c->cd[i].cd);
	c->ncd = 0;
	buf_release(&c->out);
	buf_release(&c->pend);
}

static void
conv_repl(struct conv *c)
{
	buf_add(&c->out, REPL, REPL_LEN);
	c->defect = 1;
}

/* Returns a descriptor converting from name to UTF-8, or (iconv_t)-1 if
 * iconv does not know name.  name must outlive c. */
static iconv_t
conv_cd(struct conv *c, const char *name)
{
	iconv_t cd;
	int i;

	for (i = 0; i < c->ncd; i++)
		if (strcmp(c->cd[i].name, name) == 0)
			return c->cd[i].cd;
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1 && errno == ENOMEM)
		c->out.oom = 1;
	if (c->ncd < CD_CACHE) {
		c->cd[c->ncd].name = name;
		c->cd[c->ncd].cd = cd;
		c->ncd++;
	} else if (cd != (iconv_t)-1) {
		/* Cannot happen with the few names one conversion uses. */
		iconv_close(cd);
		cd = (iconv_t)-1;
	}
	return cd;
}

static size_t
skip_len(enum skip skip, const unsigned char *s, size_t n)
{
	size_t k = 1;

	switch (skip) {
	case SKIP_PAIR:
	case SKIP_UTF16:
		k = 2;
		break;
	case SKIP_UTF32:
		k = 4;
		break;
	case SKIP_SJIS:
		/* An ASCII trail byte is read again as ASCII (WHATWG). */
		if (n >= 2 && sjis_lead(s[0]) && s[1] >= 0x80 && s[1] <= 0xFC)
			k = 2;
		break;
	case SKIP_EUC:
		if (n >= 3 && s[0] == 0x8F && euc_byte(s[1]) &&
		    euc_byte(s[2]))
			k = 3;
		else if (n >= 2 && (euc_byte(s[0]) || s[0] == 0x8E) &&
			 euc_byte(s[1]))
			k = 2;
		break;
	case SKIP_ONE:
		break;
	}
	return k < n ? k : n;
}

/* Converts one undecodable sequence with the fallback charset; 0 if that
 * worked. */
static int
conv_fallback(struct conv *c, const char *fallback, const char *s, size_t n)
{
	char tmp[32], *ip = (char *)s, *op = tmp;
	size_t il = n, ol = sizeof(tmp);
	iconv_t cd;

	if (fallback == NULL || n > 8)
		return -1;
	cd = conv_cd(c, fallback);
	if (cd == (iconv_t)-1)
		return -1;
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
		return -1;
	buf_add(&c->out, tmp, op - tmp);
	return 0;
}

/* Appends n bytes of s converted from name, replacing each undecodable
 * sequence by U+FFFD, or by its conversion from fallback if not NULL. */
static void
conv_iconv(struct conv *c, const char *name, const char *fallback,
	   enum skip skip, const char *s, size_t n)
{
	char *ip = (char *)s, *op;
	size_t il = n, ol, k, want = n * 4 + 16;
	iconv_t cd;
	int err;

	if (n == 0)
		return;
	cd = conv_cd(c, name);
	if (cd == (iconv_t)-1) {
		conv_repl(c);
		return;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		if (buf_reserve(&c->out, want) < 0)
			return;
		op = c->out.p + c->out.len;
		ol = c->out.cap - c->out.len - 1;
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1) {
			c->out.len = op - c->out.p;
			break;
		}
		err = errno;
		c->out.len = op - c->out.p;
		if (err == E2BIG) {
			want *= 2;
			continue;
		}
		if (err == EINVAL) {
			/* Incomplete sequence at the end. */
			conv_repl(c);
			break;
		}
		k = skip_len(skip, (const unsigned char *)ip, il);
		if (conv_fallback(c, fallback, ip, k) < 0)
			conv_repl(c);
		ip += k;
		il -= k;
	}
}

/* Appends UTF-8 text, replacing each invalid sequence by U+FFFD. */
static void
conv_utf8(struct conv *c, const unsigned char *s, size_t n)
{
	size_t i = 0, start = 0, k, bad;

	while (i < n) {
		k = utf8_len(s + i, n - i, &bad);
		if (k > 0) {
			i += k;
			continue;
		}
		buf_add(&c->out, s + start, i - start);
		conv_repl(c);
		i += bad;
		start = i;
	}
	buf_add(&c->out, s + start, i - start);
}

/* ---- ISO-2022-JP ---- */

/* How the pairs of a 94x94 set are turned into bytes iconv knows. */
enum dbcs {
	DBCS_SJIS,	/* JIS X 0208 to Shift_JIS arithmetic */
	DBCS_EUC,	/* both bytes | 0x80 */
	DBCS_EUC3,	/* 0x8F, then both bytes | 0x80 */
};

enum g0kind {
	G0_ASCII,
	G0_KANA,	/* JIS X 0201 half-width katakana */
	G0_DBCS,	/* a 94x94 double-byte set */
};

struct g0set {
	enum g0kind kind;
	enum dbcs dbcs;
	const char *cs;		/* iconv name for double-byte sets */
};

static const struct {
	const char *seq;	/* the escape sequence after ESC */
	struct g0set set;
} iso2022_sets[] = {
	{ "(B", { G0_ASCII, DBCS_SJIS, NULL } },
	/* JIS X 0201 Roman read as ASCII, as Windows does; ESC ( H is an
	 * old mailers' mistake for it. */
	{ "(J", { G0_ASCII, DBCS_SJIS, NULL } },
	{ "(H", { G0_ASCII, DBCS_SJIS, NULL } },
	{ "(I", { G0_KANA, DBCS_SJIS, NULL } },
	{ "$@", { G0_DBCS, DBCS_SJIS, "CP932" } },	/* JIS C 6226-1978 */
	{ "$B", { G0_DBCS, DBCS_SJIS, "CP932" } },
	{ "$(@", { G0_DBCS, DBCS_SJIS, "CP932" } },
	{ "$(B", { G0_DBCS, DBCS_SJIS, "CP932" } },
	{ "$(D", { G0_DBCS, DBCS_EUC3, "EUC-JP" } },	/* JIS X 0212 */
	{ "$A", { G0_DBCS, DBCS_EUC, "GB2312" } },	/* ISO-2022-JP-2 */
	{ "$(A", { G0_DBCS, DBCS_EUC, "GB2312" } },
	{ "$(C", { G0_DBCS, DBCS_EUC, "EUC-KR" } },
	{ "$(O", { G0_DBCS, DBCS_EUC, "EUC-JISX0213" } },
	{ "$(Q", { G0_DBCS, DBCS_EUC, "EUC-JISX0213" } },
	{ "$(P", { G0_DBCS, DBCS_EUC3, "EUC-JISX0213" } },
};

/* Converts and appends what the ISO-2022 decoder has gathered. */
static void
conv_flush(struct conv *c)
{
	if (c->pend.len > 0 && c->pend_cs != NULL)
		conv_iconv(c, c->pend_cs, NULL, c->pend_skip, c->pend.p,
			   c->pend.len);
	if (c->pend.oom)
		c->out.oom = 1;
	c->pend.len = 0;
	c->pend_cs = NULL;
}

/* Gathers bytes for one iconv call in charset cs. */
static void
conv_pend(struct conv *c, const char *cs, enum skip skip,
	  const unsigned char *s, size_t n)
{
	if (c->pend_cs != NULL && strcmp(c->pend_cs, cs) != 0)
		conv_flush(c);
	c->pend_cs = cs;
	c->pend_skip = skip;
	buf_add(&c->pend, s, n);
}

static void
conv_jis_pair(struct conv *c, const struct g0set *g, unsigned int j1,
	      unsigned int j2)
{
	unsigned char b[3];

	switch (g->dbcs) {
	case DBCS_SJIS:
		/* JIS X 0208 row/cell to Shift_JIS: rows pair up on one
		 * lead byte, odd rows taking the low trail bytes. */
		b[0] = ((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0);
		if (j1 & 1)
			b[1] = j2 + (j2 <= 0x5F ? 0x1F : 0x20);
		else
			b[1] = j2 + 0x7E;
		conv_pend(c, g->cs, SKIP_PAIR, b, 2);
		break;
	case DBCS_EUC:
		b[0] = j1 | 0x80;
		b[1] = j2 | 0x80;
		conv_pend(c, g->cs, SKIP_EUC, b, 2);
		break;
	case DBCS_EUC3:
		b[0] = 0x8F;
		b[1] = j1 | 0x80;
		b[2] = j2 | 0x80;
		conv_pend(c, g->cs, SKIP_EUC, b, 3);
		break;
	}
}

/* Length of a run of 8-bit bytes starting at s, keeping Shift_JIS
 * characters whose trail byte is ASCII inside the run. */
static size_t
run8_len(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x80) {
		if (sjis_lead(s[i]) && i + 1 < n && s[i + 1] >= 0x40 &&
		    s[i + 1] <= 0x7E)
			i += 2;
		else
			i++;
	}
	return i;
}

/* Handles the escape sequence at s[0] == ESC; returns its length. */
static size_t
conv_escape(struct conv *c, const unsigned char *s, size_t n,
	    struct g0set *g0, const char **g2)
{
	size_t i = 1, k, j;

	while (i < n && s[i] >= 0x20 && s[i] <= 0x2F && i < 4)
		i++;
	if (i >= n || s[i] < 0x30 || s[i] > 0x7E) {
		conv_flush(c);
		conv_repl(c);		/* broken escape: drop the ESC */
		return 1;
	}
	k = i + 1;
	for (j = 0; j < G_N_ELEMENTS(iso2022_sets); j++) {
		if (strlen(iso2022_sets[j].seq) == k - 1 &&
		    memcmp(iso2022_sets[j].seq, s + 1, k - 1) == 0) {
			*g0 = iso2022_sets[j].set;
			return k;
		}
	}
	if (k == 3 && s[1] == '&' && s[2] == '@')
		return k;		/* JIS X 0208-1990 announcer */
	if (k == 3 && s[1] == '.' && s[2] == 'A') {
		*g2 = "ISO-8859-1";
		return k;
	}
	if (k == 3 && s[1] == '.' && s[2] == 'F') {
		*g2 = "ISO-8859-7";
		return k;
	}
	if (k == 2 && s[1] == 'N' && n > 2 && s[2] >= 0x20 && s[2] < 0x80 &&
	    *g2 != NULL) {
		unsigned char hi = s[2] | 0x80;

		conv_pend(c, *g2, SKIP_ONE, &hi, 1);
		return 3;		/* single shift 2 */
	}
	conv_flush(c);
	conv_repl(c);
	return k;
}

/*
 * ISO-2022-JP as Windows' CP50220/CP50221 reads it, plus the
 * ISO-2022-JP-2 sets and SO/SI half-width katakana.  Lines left in a
 * double-byte set stay in it (RFC 1468 wants ASCII at line ends, but
 * mailers that forget mean the next line to continue).  Stray 8-bit runs,
 * mail mislabelled as ISO-2022-JP, are decoded by guessing.
 */
static void
conv_iso2022jp(struct conv *c, const unsigned char *s, size_t n)
{
	struct g0set g0 = { G0_ASCII, DBCS_SJIS, NULL };
	const char *g2 = NULL, *guess;
	int shifted = 0;
	size_t i = 0, k;

	while (i < n) {
		unsigned int b = s[i];

		if (b == 0x1B) {
			i += conv_escape(c, s + i, n - i, &g0, &g2);
		} else if (b == 0x0E || b == 0x0F) {
			shifted = b == 0x0E;
			i++;
		} else if (b >= 0x80) {
			conv_flush(c);
			k = run8_len(s + i, n - i);
			guess = charset_sniff((const char *)s + i, k);
			conv_named(c, guess, s + i, k);
			c->defect = 1;
			i += k;
		} else if (b < 0x21 || b == 0x7F) {
			conv_flush(c);
			buf_addc(&c->out, b);
			i++;
		} else if (shifted || g0.kind == G0_KANA) {
			conv_flush(c);
			if (b <= 0x5F)
				buf_add_bmp(&c->out, 0xFF61 + (b - 0x21));
			else
				conv_repl(c);
			i++;
		} else if (g0.kind == G0_ASCII) {
			conv_flush(c);
			buf_addc(&c->out, b);
			i++;
		} else if (i + 1 < n && jis_byte(s[i + 1])) {
			conv_jis_pair(c, &g0, b, s[i + 1]);
			i += 2;
		} else {
			conv_flush(c);
			conv_repl(c);	/* half a character */
			i++;
		}
	}
	conv_flush(c);
}

/* ---- charset names ---- */

enum family {
	FAM_NONE,	/* undeclared */
	FAM_ASCII,
	FAM_UTF8,
	FAM_JIS,
	FAM_SJIS,
	FAM_EUCJP,
	FAM_OTHER,
};

static const char *const names_ascii[] = {
	"us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us",
	"csascii", "cp367", "iso-ir-6", NULL
};
static const char *const names_utf8[] = {
	"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", NULL
};
static const char *const names_jis[] = {
	"iso-2022-jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
	"iso-2022-jp-2004", "iso-2022-jp-ms", "iso2022jp", "iso2022jp2",
	"csiso2022jp", "csiso2022jp2", "cp50220", "cp50221", "cp50222",
	"x-cp50220", "x-cp50221", "x-cp50222", "jis", NULL
};
static const char *const names_sjis[] = {
	"shift_jis", "shift-jis", "shiftjis", "sjis", "x-sjis", "ms932",
	"ms_kanji", "csshiftjis", "windows-31j", "cswindows31j", "cp932",
	"x-ms-cp932", "ibm-943", "ibm943", NULL
};
static const char *const names_eucjp[] = {
	"euc-jp", "eucjp", "x-euc-jp", "x-eucjp", "x-euc", "ujis",
	"cseucpkdfmtjapanese", NULL
};

/* Labels glibc lacks or reads more strictly than mailers mean them. */
static const struct {
	const char *label;
	const char *cs;
	const char *fallback;
} aliases[] = {
	{ "ks_c_5601-1987", "CP949", NULL },
	{ "ks_c_5601-1989", "CP949", NULL },
	{ "ks_c_5601", "CP949", NULL },
	{ "euc-kr", "CP949", NULL },
	{ "gb2312", "GB18030", NULL },
	{ "gbk", "GB18030", NULL },
	{ "x-gbk", "GB18030", NULL },
	{ "cp936", "GB18030", NULL },
	{ "iso-8859-8-i", "ISO-8859-8", NULL },
	/* Latin-1 labels usually mean windows-1252 (as in WHATWG);
	 * the five bytes 1252 leaves unassigned stay C1 controls. */
	{ "iso-8859-1", "CP1252", "ISO-8859-1" },
	{ "iso8859-1", "CP1252", "ISO-8859-1" },
	{ "latin1", "CP1252", "ISO-8859-1" },
	{ "windows-1252", "CP1252", "ISO-8859-1" },
};

static int
name_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* Lower-cases label into name (size NAME_MAX_LEN) without quotes and
 * blanks; a label iconv must not see (too long, odd characters such as
 * the '/' of "//TRANSLIT") is returned as FAM_OTHER with name "". */
static enum family
name_family(const char *label, char *name)
{
	size_t n = 0;
	const char *p;

	name[0] = '\0';
	if (label == NULL)
		return FAM_NONE;
	for (p = label; *p != '\0'; p++) {
		unsigned char ch = *p;

		if (ch == '"' || ch == '\'' || g_ascii_isspace(ch))
			continue;
		if (!g_ascii_isalnum(ch) && strchr("-_.:+", ch) == NULL)
			goto bad;
		if (n + 1 >= NAME_MAX_LEN)
			goto bad;
		name[n++] = g_ascii_tolower(ch);
	}
	name[n] = '\0';
	if (n == 0)
		return FAM_NONE;
	if (name_in(name, names_ascii))
		return FAM_ASCII;
	if (name_in(name, names_utf8))
		return FAM_UTF8;
	if (name_in(name, names_jis))
		return FAM_JIS;
	if (name_in(name, names_sjis))
		return FAM_SJIS;
	if (name_in(name, names_eucjp))
		return FAM_EUCJP;
	return FAM_OTHER;
bad:
	name[0] = '\0';
	return FAM_OTHER;
}

/* Converts with one of charset_sniff()'s canonical names. */
static void
conv_named(struct conv *c, const char *name, const unsigned char *s,
	   size_t n)
{
	const char *cs = (const char *)s;

	if (strcmp(name, "iso-2022-jp") == 0)
		conv_iso2022jp(c, s, n);
	else if (strcmp(name, "cp932") == 0)
		conv_iconv(c, "CP932", NULL, SKIP_SJIS, cs, n);
	else if (strcmp(name, "euc-jp") == 0)
		conv_iconv(c, "EUC-JP", "EUC-JP-MS", SKIP_EUC, cs, n);
	else if (strcmp(name, "windows-1252") == 0)
		conv_iconv(c, "CP1252", "ISO-8859-1", SKIP_ONE, cs, n);
	else
		conv_utf8(c, s, n);	/* "utf-8", "us-ascii" */
}

static int
has_8bit(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return 1;
	return 0;
}

static int
has_jis_escape(const unsigned char *s, size_t n)
{
	const unsigned char *e;

	while ((e = memchr(s, 0x1B, n)) != NULL) {
		n -= e - s;
		if (jis_escape_len(e, n) > 0)
			return 1;
		s = e + 1;
		n--;
	}
	return 0;
}

/* Converts an iconv-only label; returns -1 if iconv does not know it. */
static int
conv_other(struct conv *c, const char *name, const unsigned char *s,
	   size_t n)
{
	const char *cs = name, *fallback = NULL;
	enum skip skip = SKIP_ONE;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(aliases); i++) {
		if (strcmp(name, aliases[i].label) == 0) {
			cs = aliases[i].cs;
			fallback = aliases[i].fallback;
			break;
		}
	}
	if (name[0] == '\0' || conv_cd(c, cs) == (iconv_t)-1)
		return -1;
	if (strncmp(name, "utf-16", 6) == 0 || strncmp(name, "utf16", 5) == 0 ||
	    strncmp(name, "ucs-2", 5) == 0)
		skip = SKIP_UTF16;
	else if (strncmp(name, "utf-32", 6) == 0 ||
		 strncmp(name, "ucs-4", 5) == 0)
		skip = SKIP_UTF32;
	conv_iconv(c, cs, fallback, skip, (const char *)s, n);
	return 0;
}

/* Replaces NUL bytes in the output by U+FFFD. */
static void
conv_denul(struct conv *c)
{
	struct buf nb = { 0 };
	size_t i;

	if (c->out.oom || c->out.len == 0 ||
	    memchr(c->out.p, '\0', c->out.len) == NULL)
		return;
	for (i = 0; i < c->out.len; i++) {
		if (c->out.p[i] == '\0')
			buf_add(&nb, REPL, REPL_LEN);
		else
			buf_addc(&nb, c->out.p[i]);
	}
	c->defect = 1;
	buf_release(&c->out);
	c->out = nb;
}

int
charset_to_utf8(const char *charset, const char *in, size_t len,
		char **out_r, size_t *outlen_r)
{
	const unsigned char *s = (const unsigned char *)in;
	char name[NAME_MAX_LEN];
	struct conv c;
	enum family fam;
	const char *guess;
	int eight;

	*out_r = NULL;
	if (outlen_r != NULL)
		*outlen_r = 0;
	if (s == NULL) {
		in = "";
		s = (const unsigned char *)in;
		len = 0;
	}
	conv_init(&c);
	fam = name_family(charset, name);
	eight = has_8bit(s, len);
	/* 7-bit text with JIS escapes is ISO-2022-JP under any ASCII
	 * label: Outlook and others leave the label out or say us-ascii. */
	if (!eight && fam != FAM_OTHER && has_jis_escape(s, len))
		fam = FAM_JIS;
	switch (fam) {
	case FAM_JIS:
		conv_iso2022jp(&c, s, len);
		break;
	case FAM_SJIS:
		conv_iconv(&c, "CP932", NULL, SKIP_SJIS, in, len);
		break;
	case FAM_EUCJP:
		conv_iconv(&c, "EUC-JP", "EUC-JP-MS", SKIP_EUC, in, len);
		break;
	case FAM_UTF8:
		conv_utf8(&c, s, len);
		break;
	case FAM_ASCII:
	case FAM_NONE:
		guess = charset_sniff(in, len);
		conv_named(&c, guess, s, len);
		if ((fam == FAM_ASCII && eight) ||
		    strcmp(guess, "cp932") == 0 ||
		    strcmp(guess, "euc-jp") == 0 ||
		    strcmp(guess, "windows-1252") == 0)
			c.defect = 1;
		break;
	case FAM_OTHER:
		if (conv_other(&c, name, s, len) < 0) {
			conv_named(&c, charset_sniff(in, len), s, len);
			c.defect = 1;
		}
		break;
	}
	conv_denul(&c);
	*out_r = buf_detach(&c.out, outlen_r);
	conv_release(&c);
	if (*out_r == NULL)
		return -1;
	return c.defect ? 1 : 0;
}

/* ---- RFC 2047 header prepass ---- */

/* One encoded word (RFC 2047 section 2) found in a header value. */
struct eword {
	const char *start;
	const char *end;	/* just past "?=" */
	const char *charset;	/* not NUL-terminated */
	size_t charset_len;	/* without any RFC 2231 "*lang" */
	char enc;		/* 'B' or 'Q' */
	const char *text;
	size_t text_len;
};

/* Parses an encoded word at p ("=?"); 0 on success. */
static int
eword_parse(const char *p, struct eword *w)
{
	const char *q;

	if (p[0] != '=' || p[1] != '?')
		return -1;
	w->start = p;
	w->charset = p + 2;
	for (q = w->charset; *q != '?'; q++)
		if (*q == '\0' || (unsigned char)*q <= 0x20 || *q == 0x7F)
			return -1;
	if (q == w->charset || q - w->charset >= NAME_MAX_LEN)
		return -1;
	w->charset_len = q - w->charset;
	if (memchr(w->charset, '*', w->charset_len) != NULL)
		w->charset_len = (const char *)memchr(w->charset, '*',
						      w->charset_len) -
				 w->charset;
	q++;
	w->enc = g_ascii_toupper(*q);
	if ((w->enc != 'B' && w->enc != 'Q') || q[1] != '?')
		return -1;
	w->text = q + 2;
	for (q = w->text; !(q[0] == '?' && q[1] == '='); q++)
		if (*q == '\0' || *q == '?' || (unsigned char)*q <= 0x20)
			return -1;
	w->text_len = q - w->text;
	w->end = q + 2;
	return 0;
}

static int
b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Appends the decoded bytes of w; 1 if its text was malformed, else 0.
 * Base64 without its padding is accepted (many mailers omit it). */
static int
eword_decode(const struct eword *w, struct buf *b)
{
	const unsigned char *t = (const unsigned char *)w->text;
	unsigned int acc = 0, bits = 0;
	size_t i;
	int v, bad = 0;

	for (i = 0; i < w->text_len; i++) {
		if (w->enc == 'Q') {
			if (t[i] == '_') {
				buf_addc(b, ' ');
			} else if (t[i] == '=' && i + 2 < w->text_len &&
				   g_ascii_isxdigit(t[i + 1]) &&
				   g_ascii_isxdigit(t[i + 2])) {
				v = g_ascii_xdigit_value(t[i + 1]) << 4 |
				    g_ascii_xdigit_value(t[i + 2]);
				buf_addc(b, v);
				i += 2;
			} else {
				if (t[i] == '=')
					bad = 1;
				buf_addc(b, t[i]);
			}
			continue;
		}
		if (t[i] == '=')
			break;
		v = b64_value(t[i]);
		if (v < 0) {
			bad = 1;
			continue;
		}
		acc = (acc << 6 | (unsigned int)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(b, (acc >> bits) & 0xFF);
		}
	}
	return bad;
}

static void
b64_append(struct buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		buf_addc(b, tab[v >> 18 & 63]);
		buf_addc(b, tab[v >> 12 & 63]);
		buf_addc(b, tab[v >> 6 & 63]);
		buf_addc(b, tab[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)s[i] << 16;
		buf_addc(b, tab[v >> 18 & 63]);
		buf_addc(b, tab[v >> 12 & 63]);
		buf_adds(b, "==");
	} else if (n - i == 2) {
		v = (unsigned long)s[i] << 16 | s[i + 1] << 8;
		buf_addc(b, tab[v >> 18 & 63]);
		buf_addc(b, tab[v >> 12 & 63]);
		buf_addc(b, tab[v >> 6 & 63]);
		buf_addc(b, '=');
	}
}

/* Fills name (size NAME_MAX_LEN) with the word's charset label and
 * returns its family. */
static enum family
eword_family(const struct eword *w, char *name)
{
	char label[NAME_MAX_LEN];

	memcpy(label, w->charset, w->charset_len);
	label[w->charset_len] = '\0';
	return name_family(label, name);
}

/* Two words belong to one byte string if their labels are the same, or
 * both are in the ISO-2022-JP family. */
static int
eword_same_charset(const struct eword *a, const struct eword *b)
{
	char na[NAME_MAX_LEN], nb[NAME_MAX_LEN];
	enum family fa = eword_family(a, na), fb = eword_family(b, nb);

	if (fa == FAM_JIS && fb == FAM_JIS)
		return 1;
	return strcmp(na, nb) == 0;
}

/* Decodes the run of n encoded words w and appends it as one UTF-8
 * encoded word.  Returns 1 if a defect was seen, 0 if not. */
static int
prepass_run(const struct eword *w, size_t n, struct buf *out)
{
	struct buf bytes = { 0 }, text = { 0 };
	char label[NAME_MAX_LEN], *u;
	size_t i = 0, j, ulen;
	int defect = 0, r;

	while (i < n) {
		bytes.len = 0;
		for (j = i; j < n && eword_same_charset(&w[i], &w[j]); j++)
			defect |= eword_decode(&w[j], &bytes);
		memcpy(label, w[i].charset, w[i].charset_len);
		label[w[i].charset_len] = '\0';
		r = bytes.oom ? -1 :
			charset_to_utf8(label, bytes.p, bytes.len, &u, &ulen);
		if (r < 0) {
			text.oom = 1;
			break;
		}
		defect |= r;
		buf_add(&text, u, ulen);
		free(u);
		i = j;
	}
	buf_adds(out, "=?UTF-8?B?");
	b64_append(out, (const unsigned char *)text.p, text.len);
	buf_adds(out, "?=");
	if (text.oom)
		out->oom = 1;
	buf_release(&bytes);
	buf_release(&text);
	return defect;
}

static int
is_lwsp(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * Splits raw into ordinary text and runs of encoded words.  Encoded words
 * are recognised even inside a word (RFC 2047 section 5 wants them
 * delimited), which is no worse: a rewritten word stays where it was.
 */
static char *
prepass(const char *raw, int all, int *defect_r)
{
	struct buf out = { 0 }, plain = { 0 };
	struct eword *w = NULL, *nw;
	size_t nw_cap = 0, nrun;
	const char *p, *q, *text, *guess = NULL;
	int defect = 0, jis, dummy;
	char name[NAME_MAX_LEN], *res, *u;
	size_t ulen;

	if (defect_r == NULL)
		defect_r = &dummy;
	*defect_r = 0;
	if (raw == NULL)
		return NULL;

	/* Outside encoded words: guess one charset for all raw text. */
	for (p = raw; *p != '\0'; p++) {
		struct eword e;

		if (eword_parse(p, &e) == 0) {
			p = e.end - 1;
			buf_addc(&plain, ' ');
		} else {
			buf_addc(&plain, *p);
		}
	}
	if (!plain.oom)
		guess = charset_sniff(plain.p, plain.len);
	if (guess != NULL && strcmp(guess, "us-ascii") == 0)
		guess = NULL;
	if (guess != NULL && strcmp(guess, "utf-8") == 0) {
		struct conv c;

		/* Raw UTF-8 (RFC 6532) needs no change unless invalid. */
		conv_init(&c);
		conv_utf8(&c, (const unsigned char *)plain.p, plain.len);
		if (!c.defect)
			guess = NULL;
		conv_release(&c);
	}
	buf_release(&plain);
	if (guess != NULL)
		defect = 1;	/* raw non-UTF-8 bytes in a header */

	text = raw;
	p = raw;
	while (*p != '\0') {
		if (!(p[0] == '=' && p[1] == '?')) {
			p++;
			continue;
		}
		/* Gather a run of words separated only by LWSP. */
		nrun = 0;
		jis = 0;
		q = p;
		for (;;) {
			if (nrun == nw_cap) {
				nw_cap = nw_cap ? nw_cap * 2 : 8;
				nw = realloc(w, nw_cap * sizeof(*w));
				if (nw == NULL) {
					out.oom = 1;
					goto done;
				}
				w = nw;
			}
			if (eword_parse(q, &w[nrun]) < 0)
				break;
			if (eword_family(&w[nrun], name) == FAM_JIS)
				jis = 1;
			q = w[nrun].end;
			nrun++;
			while (is_lwsp(*q))
				q++;
		}
		if (nrun == 0) {
			p++;
			continue;
		}
		/* Ordinary text before the run. */
		if (guess != NULL) {
			if (charset_to_utf8(guess, text, p - text, &u,
					    &ulen) < 0) {
				out.oom = 1;
				goto done;
			}
			buf_add(&out, u, ulen);
			free(u);
		} else {
			buf_add(&out, text, p - text);
		}
		if (all || jis)
			defect |= prepass_run(w, nrun, &out);
		else
			buf_add(&out, p, w[nrun - 1].end - p);
		p = w[nrun - 1].end;
		text = p;
	}
	if (guess != NULL) {
		if (charset_to_utf8(guess, text, p - text, &u, &ulen) < 0) {
			out.oom = 1;
			goto done;
		}
		buf_add(&out, u, ulen);
		free(u);
	} else {
		buf_add(&out, text, p - text);
	}
done:
	free(w);
	res = buf_detach(&out, NULL);
	if (res == NULL) {
		*defect_r = -1;
		return NULL;
	}
	*defect_r = defect;
	if (strcmp(raw, res) == 0) {
		free(res);
		return NULL;
	}
	return res;
}

char *
charset_header_prepass(const char *raw, int *defect_r)
{
	return prepass(raw, 0, defect_r);
}

char *
charset_header_prepass_all(const char *raw, int *defect_r)
{
	return prepass(raw, 1, defect_r);
}
