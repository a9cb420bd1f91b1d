/*
 * ngram.c: text to hashed n-grams.
 *
 * Character n-grams need no dictionary, which is what Japanese (written
 * without spaces) wants, and they survive the typos, okurigana and
 * conjugations that defeat word lists.  ASCII word unigrams are added
 * because English carries meaning in whole words ("pw", "reboot").
 * Digits are folded to 0 so that contract ids, addresses and dates do not
 * become features of their own.  The subject is a feature space of its
 * own as well as counting twice in the shared one: "リブート依頼" in a
 * subject says more than in a quoted paragraph.  Counts are damped with
 * log(1 + n) and the vector is L2-normalised so that a long mail does not
 * outweigh a short one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ngram.h"

#define SUBJECT_WEIGHT 2.0f
#define MAX_N 3
#define SUBJECT_FLAG 0x80000000u

enum space {
	SPACE_SHARED = 1, SPACE_SUBJECT = 2, SPACE_WORD = 3, SPACE_PAIR = 4,
};

enum script {
	SCRIPT_NONE, SCRIPT_LATIN, SCRIPT_HIRAGANA, SCRIPT_KATAKANA,
	SCRIPT_KANJI,
};

struct raw {
	uint32_t bucket;
	float count;
	uint32_t at, len;
};

struct acc {
	struct raw *v;
	size_t n, cap;
	int oom;
};

/* FNV-1a over the space byte and the n-gram's bytes. */
static uint32_t
hash_of(enum space sp, const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	h = (h ^ (uint32_t)sp) * 16777619u;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= '1' && c <= '9')
			c = '0';
		h = (h ^ c) * 16777619u;
	}
	/* A final mix: FNV's low bits are weak for short keys. */
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & ((1u << NGRAM_HASH_BITS) - 1);
}

static void
add(struct acc *a, enum space sp, const char *s, size_t len, uint32_t at,
    float w)
{
	if (a->oom)
		return;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		struct raw *v = realloc(a->v, cap * sizeof(*v));

		if (v == NULL) {
			a->oom = 1;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].bucket = hash_of(sp, s, len);
	a->v[a->n].count = w;
	a->v[a->n].at = at;
	a->v[a->n].len = (uint32_t)len;
	a->n++;
}

static size_t
char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xF0)
		return 4;
	if (c >= 0xE0)
		return 3;
	if (c >= 0xC0)
		return 2;
	return 1;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether the n-gram holds no character but blanks and punctuation that
 * carries nothing (a run of "----" is a rule line, not a feature). */
static int
is_noise(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

/* The script of the character at s: what a word of it is made of. */
static int
script_of(const char *s, size_t *len_r)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	*len_r = char_len(u[0]);
	if (u[0] < 0x80) {
		if ((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= '0' && u[0] <= '9'))
			return SCRIPT_LATIN;
		return SCRIPT_NONE;
	}
	if (*len_r != 3)
		return SCRIPT_NONE;
	cp = ((unsigned)(u[0] & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) |
	     (unsigned)(u[2] & 0x3F);
	if (cp >= 0x3041 && cp <= 0x309F)
		return SCRIPT_HIRAGANA;
	if ((cp >= 0x30A0 && cp <= 0x30FF) || cp == 0x30FC)
		return SCRIPT_KATAKANA;
	if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	    cp == 0x3005)
		return SCRIPT_KANJI;
	return SCRIPT_NONE;
}

/* Words: runs of one script (a katakana loan word, a kanji compound, an
 * ASCII word, a run of kana endings), each a feature, and each pair of
 * neighbouring words another ("no need", "再起動 は", "しないで"). */
static void
add_runs(struct acc *a, const char *sq, size_t o, const uint32_t *map,
	 uint32_t flag, float w)
{
	size_t i = 0, prev = 0, prev_len = 0, clen;
	char pair[256];

	while (i < o) {
		int sc = script_of(sq + i, &clen);
		size_t j = i, n = 0;

		if (sc == SCRIPT_NONE) {
			if (sq[i] != ' ')
				prev_len = 0;	/* punctuation ends a pair */
			i += clen;
			continue;
		}
		while (j < o && script_of(sq + j, &clen) == sc) {
			j += clen;
			n++;
		}
		if (n >= 2 || sc == SCRIPT_KANJI) {
			add(a, SPACE_WORD, sq + i, j - i, map[i] | flag, w);
			if (prev_len > 0 && prev_len + 1 + (j - i) <
					    sizeof(pair)) {
				memcpy(pair, sq + prev, prev_len);
				pair[prev_len] = ' ';
				memcpy(pair + prev_len + 1, sq + i, j - i);
				add(a, SPACE_PAIR, pair, prev_len + 1 + (j - i),
				    map[prev] | flag, w);
			}
			prev = i;
			prev_len = j - i;
		}
		i = j;
	}
}

/* Adds the character n-grams of s (white space runs read as one space)
 * to space sp, and its words (add_runs()). */
static void
add_text(struct acc *a, const char *s, enum space sp, float w, uint32_t flag)
{
	/* Start offsets of the last MAX_N characters, and a copy of the
	 * text with blank runs squeezed, so n-grams span "a b" once. */
	size_t len = strlen(s), i, o = 0, k;
	char *sq = malloc(len + 3);
	uint32_t *map = malloc((len + 3) * sizeof(*map));
	size_t starts[MAX_N] = { 0 }, n_starts = 0;

	if (sq == NULL || map == NULL) {
		free(sq);
		free(map);
		a->oom = 1;
		return;
	}
	sq[o] = ' ';
	map[o++] = 0;
	for (i = 0; i < len; i++) {
		if (is_blank((unsigned char)s[i])) {
			if (sq[o - 1] != ' ') {
				sq[o] = ' ';
				map[o++] = (uint32_t)i;
			}
			continue;
		}
		sq[o] = s[i];
		map[o++] = (uint32_t)i;
	}
	if (sq[o - 1] != ' ') {
		sq[o] = ' ';
		map[o++] = (uint32_t)len;
	}
	sq[o] = '\0';

	for (i = 0; i < o; i += char_len((unsigned char)sq[i])) {
		size_t end = i + char_len((unsigned char)sq[i]);

		if (end > o)
			end = o;
		if (n_starts == MAX_N) {
			memmove(starts, starts + 1,
				(MAX_N - 1) * sizeof(*starts));
			n_starts--;
		}
		starts[n_starts++] = i;
		for (k = 0; k < n_starts; k++) {
			size_t from = starts[k];

			if (is_noise(sq + from, end - from))
				continue;
			add(a, sp, sq + from, end - from, map[from] | flag, w);
		}
	}
	add_runs(a, sq, o, map, flag, w);
	free(sq);
	free(map);
}

static int
by_bucket(const void *x, const void *y)
{
	const struct raw *a = x, *b = y;

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	/* The earliest occurrence explains it. */
	return a->at < b->at ? -1 : a->at > b->at;
}

int
ngram_extract(struct ngrams *fs, const char *subject, const char *text)
{
	struct acc a = { 0 };
	double norm = 0;
	size_t i, n = 0;

	fs->n = 0;
	if (subject != NULL && *subject != '\0') {
		add_text(&a, subject, SPACE_SHARED, SUBJECT_WEIGHT,
			 SUBJECT_FLAG);
		add_text(&a, subject, SPACE_SUBJECT, 1.0f, SUBJECT_FLAG);
	}
	if (text != NULL)
		add_text(&a, text, SPACE_SHARED, 1.0f, 0);
	if (a.oom) {
		free(a.v);
		return -1;
	}
	qsort(a.v, a.n, sizeof(*a.v), by_bucket);
	if (fs->cap < a.n) {
		struct ngram *v = realloc(fs->v, (a.n + 1) * sizeof(*v));

		if (v == NULL) {
			free(a.v);
			return -1;
		}
		fs->v = v;
		fs->cap = a.n + 1;
	}
	for (i = 0; i < a.n; i++) {
		if (n > 0 && fs->v[n - 1].bucket == a.v[i].bucket) {
			fs->v[n - 1].value += a.v[i].count;
			continue;
		}
		fs->v[n].bucket = a.v[i].bucket;
		fs->v[n].value = a.v[i].count;
		fs->v[n].at = a.v[i].at;
		fs->v[n].len = a.v[i].len;
		n++;
	}
	free(a.v);
	for (i = 0; i < n; i++) {
		fs->v[i].value = log1pf(fs->v[i].value);
		norm += (double)fs->v[i].value * fs->v[i].value;
	}
	norm = sqrt(norm);
	for (i = 0; norm > 0 && i < n; i++)
		fs->v[i].value = (float)(fs->v[i].value / norm);
	fs->n = n;
	return 0;
}

void
ngram_release(struct ngrams *fs)
{
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

const char *
ngram_describe(const struct ngram *f, const char *subject,
		  const char *text, char *buf, size_t size)
{
	int in_subject = (f->at & SUBJECT_FLAG) != 0;
	const char *s = in_subject ? subject : text;
	size_t at = f->at & ~SUBJECT_FLAG, len = f->len, slen, i, o = 0;
	const char *prefix = in_subject ? "s:" : "";

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (s == NULL)
		return buf;
	slen = strlen(s);
	if (at > slen)
		return buf;
	for (i = 0; prefix[i] != '\0' && o + 1 < size; i++)
		buf[o++] = prefix[i];
	/* The n-gram was taken from the squeezed text: copy len bytes of
	 * non-blank characters, blanks squeezed to one space. */
	for (i = at; i < slen && len > 0 && o + 1 < size; i++) {
		if (is_blank((unsigned char)s[i])) {
			if (o > 0 && buf[o - 1] == ' ')
				continue;
			buf[o++] = ' ';
		} else {
			buf[o++] = s[i];
		}
		len--;
	}
	buf[o] = '\0';
	return buf;
}
