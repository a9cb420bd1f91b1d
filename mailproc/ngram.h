/*
 * The learned classifier's features: hashed character n-grams (1-3) of
 * the subject and of the customer's own text, plus ASCII word unigrams.
 * Owns the feature definition and its version number; the text it reads
 * is already NFKC-normalised, lower-cased and unquoted (owntext.c), and
 * the weights are model.c's.  Training (train.c) and classification use
 * this one function, so they can never disagree on what a feature is.
 */
#ifndef MP_NGRAM_H
#define MP_NGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever ngram_extract() changes what it produces: a model
 * trained with another version is refused (check-config says so). */
#define NGRAM_VERSION 1
#define NGRAM_HASH_BITS 20

struct ngram {
	uint32_t bucket;	/* hash of the n-gram, NGRAM_HASH_BITS */
	float value;		/* log(1 + count), then L2-normalised */
	uint32_t at, len;	/* where the n-gram first occurs: byte offset
				 * and length in the subject (at high bit
				 * set) or the text, for explanations */
};

struct ngrams {
	struct ngram *v;	/* sorted by bucket, each bucket once */
	size_t n, cap;
};

/* Fills fs (emptied first) from subject and text (UTF-8, either may be
 * NULL).  Returns 0, or -1 when out of memory.  Release with
 * ngram_release(). */
int ngram_extract(struct ngrams *fs, const char *subject,
		     const char *text);

void ngram_release(struct ngrams *fs);

/* The text of feature f, as extracted from subject and text (the same
 * strings passed to ngram_extract), copied into buf with a "s:"
 * prefix when it came from the subject. */
const char *ngram_describe(const struct ngram *f, const char *subject,
			      const char *text, char *buf, size_t size);

#endif
