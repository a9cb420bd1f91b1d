/*
 * Training the classifier: from labelled examples to a model file.
 * Owns the call into LIBLINEAR (loaded with dlopen() by `train` alone, so
 * no other command pays for it) and the choice of learner: one
 * L2-regularised logistic regression per class, each example positive
 * for every class it is labelled with (a mail asking for two tasks
 * teaches both).  Reading the corpus is cmd_train.c's; features are
 * ngram.c's; the file format is model.c's.
 */
#ifndef MP_TRAIN_H
#define MP_TRAIN_H

#include <stddef.h>

#include "err.h"

#define TRAIN_MAX_LABELS 8

/* One labelled example.  subject and text are prepared as the classifier
 * sees them (rules_prepare()). */
struct train_example {
	char *subject, *text;
	const char *labels[TRAIN_MAX_LABELS];	/* class ids */
	size_t n_labels;
	int weight;		/* counts as this many examples (0: one) */
};

struct train_report {
	size_t n_examples, n_features;
	size_t per_class[64];	/* positives per class */
};

/* Trains one model over classes (n_classes ids; every label of every
 * example must be one of them) with regularisation C, keeps the max_rows
 * features that weigh most (0: all) and writes it to path.  Returns 0 with rep filled, or -1 with err: MP_CONFIG-like
 * MP_PERM for bad input or a missing LIBLINEAR, MP_TEMP for memory or
 * I/O trouble. */
int train_model(const struct train_example *ex, size_t n_ex,
		const char *const *classes, size_t n_classes, double C,
		size_t max_rows, const char *path, struct train_report *rep,
		struct mp_err *err);

#endif
