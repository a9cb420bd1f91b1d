/*
 * The learned classifier's features: hashed character n-grams (1-3) of
 * the subject and of the customer's own text, plus ASCII word unigrams.
 * Owns the feature definition and its version number; the text it reads
 * is already NFKC-normalised, lower-cased and unquoted (owntext.c), and
 * the weights are model.c's.  Training (train.c) and classification use
 * this one function, so they can never disagree on what a feature is.
 */
#ifndef MP_FEATURES_H
#define MP_FEATURES_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever features_extract() changes what it produces: a model
 * trained with another version is refused (check-config says so). */
#define FEATURES_VERSION 1
#define FEATURES_HASH_BITS 20

struct feature {
	uint32_t bucket;	/* hash of the n-gram, FEATURES_HASH_BITS */
	float value;		/* log(1 + count), then L2-normalised */
	uint32_t at, len;	/* where the n-gram first occurs: byte offset
				 * and length in the subject (at high bit
				 * set) or the text, for explanations */
};

struct features {
	struct feature *v;	/* sorted by bucket, each bucket once */
	size_t n, cap;
};

/* Fills fs (emptied first) from subject and text (UTF-8, either may be
 * NULL).  Returns 0, or -1 when out of memory.  Release with
 * features_release(). */
int features_extract(struct features *fs, const char *subject,
		     const char *text);

void features_release(struct features *fs);

/* The text of feature f, as extracted from subject and text (the same
 * strings passed to features_extract), copied into buf with a "s:"
 * prefix when it came from the subject. */
const char *features_describe(const struct feature *f, const char *subject,
			      const char *text, char *buf, size_t size);

#endif
