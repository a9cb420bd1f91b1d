/*
 * train.c: LIBLINEAR behind dlopen().
 *
 * LIBLINEAR is a C++ library: linking it would make every process load
 * libstdc++, and only `train` needs it.  Its C interface (linear.h) is
 * small and stable since 2.x, so the few functions used are looked up
 * by name.  Logistic regression (solver 0) rather than an SVM because
 * its outputs are probabilities: triage compares them with fixed
 * thresholds.  The learner sees compact feature indexes (1..n, in bucket
 * order); the model file stores the buckets.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linear.h>

#include "ngram.h"
#include "model.h"
#include "train.h"

#define LIBLINEAR_SONAME "liblinear.so.4"

struct liblinear {
	void *handle;
	struct model *(*train)(const struct problem *,
			       const struct parameter *);
	const char *(*check_parameter)(const struct problem *,
				       const struct parameter *);
	double (*coef)(const struct model *, int, int);
	double (*bias)(const struct model *, int);
	void (*labels)(const struct model *, int *);
	void (*destroy)(struct model **);
	void (*quiet)(void (*)(const char *));
};

static void
say_nothing(const char *s)
{
	(void)s;
}

static int
liblinear_open(struct liblinear *ll, struct mp_err *err)
{
	memset(ll, 0, sizeof(*ll));
	ll->handle = dlopen(LIBLINEAR_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (ll->handle == NULL)
		return mp_err_set(err, MP_PERM, "%s: %s (install liblinear4)",
				  LIBLINEAR_SONAME, dlerror());
#define SYM(field, name) \
	*(void **)&ll->field = dlsym(ll->handle, name); \
	if (ll->field == NULL) \
		goto missing;
	SYM(train, "train");
	SYM(check_parameter, "check_parameter");
	SYM(coef, "get_decfun_coef");
	SYM(bias, "get_decfun_bias");
	SYM(labels, "get_labels");
	SYM(destroy, "free_and_destroy_model");
	SYM(quiet, "set_print_string_function");
#undef SYM
	ll->quiet(say_nothing);
	return 0;
missing:
	dlclose(ll->handle);
	return mp_err_set(err, MP_PERM, "%s: a function is missing",
			  LIBLINEAR_SONAME);
}

static int
cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The index of bucket in the sorted keys (it is there). */
static size_t
index_of(const uint32_t *keys, size_t n, uint32_t bucket)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid] < bucket)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
class_index(const char *const *classes, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(classes[i], id) == 0)
			return (int)i;
	return -1;
}

/* Keeps the max_rows rows (features) whose largest weight, in any
 * class, is largest: the rest move no decision but would each cost a
 * page of the mapped model in every deliver.  Keeps key order.  Returns
 * the rows kept. */
static size_t
prune(uint32_t *keys, double *w, size_t n_rows, size_t n_classes,
      size_t max_rows)
{
	double *mag, cut;
	size_t i, c, o = 0, n_at_cut = 0, above = 0;

	if (max_rows == 0 || n_rows <= max_rows)
		return n_rows;
	mag = malloc(n_rows * sizeof(*mag));
	if (mag == NULL)
		return n_rows;	/* keep everything: bigger, not wrong */
	for (i = 0; i < n_rows; i++) {
		mag[i] = 0;
		for (c = 0; c < n_classes; c++)
			if (fabs(w[i * n_classes + c]) > mag[i])
				mag[i] = fabs(w[i * n_classes + c]);
	}
	{
		double *sorted = malloc(n_rows * sizeof(*sorted));

		if (sorted == NULL) {
			free(mag);
			return n_rows;
		}
		memcpy(sorted, mag, n_rows * sizeof(*sorted));
		qsort(sorted, n_rows, sizeof(*sorted), cmp_desc);
		cut = sorted[max_rows - 1];
		free(sorted);
	}
	for (i = 0; i < n_rows; i++)
		if (mag[i] > cut)
			above++;
	for (i = 0; i < n_rows; i++) {
		/* Ties at the cut are kept in key order until full. */
		if (mag[i] < cut || (mag[i] == cut &&
				     above + n_at_cut++ >= max_rows))
			continue;
		keys[o] = keys[i];
		memmove(w + o * n_classes, w + i * n_classes,
			n_classes * sizeof(*w));
		o++;
	}
	free(mag);
	return o;
}

int
train_model(const struct train_example *ex, size_t n_ex,
	    const char *const *classes, size_t n_classes, double C,
	    size_t max_rows, const char *path, struct train_report *rep,
	    struct mp_err *err)
{
	struct liblinear ll;
	struct ngrams *fs = NULL;
	struct feature_node **x = NULL, *space = NULL;
	uint32_t *keys = NULL;
	double *y = NULL, *w = NULL, *bias = NULL;
	size_t i, j, c, r, n_keys = 0, n_nodes = 0, total = 0, n_rows = 0;
	size_t *row_ex = NULL;	/* the example of each row */
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	if (n_ex == 0)
		return mp_err_set(err, MP_PERM, "no examples to train on");
	if (n_classes > sizeof(rep->per_class) / sizeof(*rep->per_class))
		return mp_err_set(err, MP_PERM, "too many classes");
	for (i = 0; i < n_ex; i++)
		for (j = 0; j < ex[i].n_labels; j++) {
			int k = class_index(classes, n_classes,
					    ex[i].labels[j]);
			if (k < 0)
				return mp_err_set(err, MP_PERM, "label %s is "
						  "not in the catalogue",
						  ex[i].labels[j]);
			rep->per_class[k]++;
		}
	if (liblinear_open(&ll, err) < 0)
		return -1;

	fs = calloc(n_ex, sizeof(*fs));
	if (fs == NULL)
		goto oom;
	for (i = 0; i < n_ex; i++) {
		if (ngram_extract(&fs[i], ex[i].subject, ex[i].text) < 0)
			goto oom;
		total += fs[i].n;
	}
	keys = malloc((total + 1) * sizeof(*keys));
	if (keys == NULL)
		goto oom;
	for (i = 0; i < n_ex; i++)
		for (j = 0; j < fs[i].n; j++)
			keys[n_keys++] = fs[i].v[j].bucket;
	qsort(keys, n_keys, sizeof(*keys), cmp_u32);
	for (i = 0, j = 0; i < n_keys; i++)
		if (j == 0 || keys[j - 1] != keys[i])
			keys[j++] = keys[i];
	n_keys = j;

	for (i = 0; i < n_ex; i++)
		n_rows += ex[i].weight > 1 ? (size_t)ex[i].weight : 1;
	x = calloc(n_rows, sizeof(*x));
	row_ex = calloc(n_rows, sizeof(*row_ex));
	space = calloc(total + 2 * n_ex, sizeof(*space));
	y = calloc(n_rows, sizeof(*y));
	w = calloc(n_keys * n_classes + 1, sizeof(*w));
	bias = calloc(n_classes, sizeof(*bias));
	if (x == NULL || row_ex == NULL || space == NULL || y == NULL ||
	    w == NULL || bias == NULL)
		goto oom;
	/* A weighted example is that many rows sharing one feature list
	 * (LIBLINEAR's logistic loss is a sum over rows). */
	for (i = 0, r = 0; i < n_ex; i++) {
		int k;

		for (k = 0; k < (ex[i].weight > 1 ? ex[i].weight : 1); k++) {
			x[r] = space + n_nodes;
			row_ex[r++] = i;
		}
		for (j = 0; j < fs[i].n; j++) {
			space[n_nodes].index = (int)index_of(
				keys, n_keys, fs[i].v[j].bucket) + 1;
			space[n_nodes++].value = fs[i].v[j].value;
		}
		space[n_nodes].index = (int)n_keys + 1;	/* the bias */
		space[n_nodes++].value = 1.0;
		space[n_nodes++].index = -1;
	}

	for (c = 0; c < n_classes; c++) {
		struct problem prob = { (int)n_rows, (int)n_keys + 1, y, x,
					1.0 };
		struct parameter param = { 0 };
		struct model *m;
		const char *why;
		int labels[2], pos;

		for (r = 0; r < n_rows; r++) {
			const struct train_example *e = &ex[row_ex[r]];

			y[r] = -1;
			for (j = 0; j < e->n_labels; j++)
				if (strcmp(e->labels[j], classes[c]) == 0)
					y[r] = 1;
		}
		if (rep->per_class[c] == 0) {
			/* Never seen: never predicted. */
			bias[c] = -20;
			continue;
		}
		param.solver_type = L2R_LR;
		param.eps = 0.001;
		param.C = C;
		why = ll.check_parameter(&prob, &param);
		if (why != NULL) {
			mp_err_set(err, MP_PERM, "liblinear: %s", why);
			goto out;
		}
		m = ll.train(&prob, &param);
		if (m == NULL)
			goto oom;
		ll.labels(m, labels);
		pos = labels[0] == 1 ? 0 : 1;
		for (j = 0; j < n_keys; j++)
			w[j * n_classes + c] = ll.coef(m, (int)j + 1, pos);
		bias[c] = ll.bias(m, pos);
		ll.destroy(&m);
	}
	n_keys = prune(keys, w, n_keys, n_classes, max_rows);
	rep->n_examples = n_ex;
	rep->n_features = n_keys;
	rc = model_write(path, classes, n_classes, bias, keys, w, n_keys,
			 err);
	goto out;
oom:
	mp_err_set(err, MP_TEMP, "out of memory");
out:
	for (i = 0; fs != NULL && i < n_ex; i++)
		ngram_release(&fs[i]);
	free(fs);
	free(keys);
	free(x);
	free(row_ex);
	free(space);
	free(y);
	free(w);
	free(bias);
	dlclose(ll.handle);
	return rc;
}
