/*
 * The learned classifier's weights: a binary file that `mailproc train`
 * writes and every classification maps read-only.  Owns the file format
 * and the scoring (one logistic model per class over ngram.c's
 * hashed n-grams: each class's probability stands on its own, so a mail
 * may score high for two tasks).  Training is train.c's; what a score
 * means for a ticket is the caller's.
 *
 * Format (little-endian, as written by this machine):
 *   header   magic "MPMODEL1", feature version, hash bits, classes, rows
 *   classes  n_classes ids, MODEL_ID_LEN bytes each, NUL-padded
 *   bias     n_classes float
 *   scale    n_classes float (weight = int16 * scale)
 *   keys     n_rows uint32 buckets, ascending
 *   weights  n_rows x n_classes int16
 */
#ifndef MP_MODEL_H
#define MP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "ngram.h"

#define MODEL_ID_LEN 48
#define MODEL_MAX_CLASSES 64
/* A facet's class id in the model: "facet:exclusion". */
#define MODEL_FACET_PREFIX "facet:"

struct model;

/* Maps path.  Returns 1 with *m set (free with model_free()), 0 when the
 * file does not exist (*m NULL), or -1 with err: MP_PERM for a file that
 * is not a model of this feature version, MP_TEMP for I/O trouble. */
int model_open(struct model **m, const char *path, struct mp_err *err);
void model_free(struct model **m);

size_t model_class_count(const struct model *m);
const char *model_class_at(const struct model *m, size_t i);
size_t model_row_count(const struct model *m);

/* Writes each class's probability (0..1) into prob (model_class_count()
 * entries). */
void model_score(const struct model *m, const struct ngrams *fs,
		 double *prob);

/* The weight of feature f for class c (0 when the model has no row for
 * it): what f added to c's log-odds is weight * f->value. */
double model_weight(const struct model *m, const struct ngram *f,
		    size_t c);

/* Writes a model file atomically (temporary file, fsync, rename).
 * weights is n_rows x n_classes doubles, row-major; keys ascending.
 * Returns 0 or -1 with err. */
int model_write(const char *path, const char *const *classes,
		size_t n_classes, const double *bias, const uint32_t *keys,
		const double *weights, size_t n_rows, struct mp_err *err);

#endif
