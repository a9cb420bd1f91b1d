/*
 * model.c: mapping and scoring the classifier's weights.
 *
 * `deliver` classifies one mail per process, so loading must cost no more
 * than mapping a file: the weights are stored as the scorer reads them
 * (sorted bucket keys, then one row of int16 per key), nothing is parsed
 * and only the pages of rows the mail's n-grams hit are ever read.
 * LIBLINEAR's own text format would mean parsing every weight as a
 * decimal string in every process.  int16 with a per-class scale keeps
 * the file a quarter of doubles; the rounding moves no probability by
 * more than about 1e-4 on our corpus.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

#define MAGIC "MPMODEL1"

struct header {
	char magic[8];
	uint32_t feature_version;
	uint32_t hash_bits;
	uint32_t n_classes;
	uint32_t n_rows;
};

struct model {
	void *map;
	size_t size;
	uint32_t n_classes, n_rows;
	const char *ids;	/* n_classes x MODEL_ID_LEN */
	const float *bias, *scale;
	const uint32_t *keys;
	const int16_t *w;
};

int
model_open(struct model **mp, const char *path, struct mp_err *err)
{
	struct model *m;
	struct header h;
	struct stat st;
	size_t need;
	int fd;

	*mp = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return mp_err_set(err, MP_TEMP, "%s: %s", path,
				  strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return mp_err_set(err, MP_TEMP, "%s: %s", path,
				  strerror(errno));
	}
	if ((size_t)st.st_size < sizeof(h)) {
		close(fd);
		return mp_err_set(err, MP_PERM, "%s: not a model file", path);
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		close(fd);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	m->size = (size_t)st.st_size;
	m->map = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->map == MAP_FAILED) {
		free(m);
		return mp_err_set(err, MP_TEMP, "%s: mmap: %s", path,
				  strerror(errno));
	}
	memcpy(&h, m->map, sizeof(h));
	if (memcmp(h.magic, MAGIC, 8) != 0) {
		mp_err_set(err, MP_PERM, "%s: not a model file", path);
		goto fail;
	}
	if (h.feature_version != NGRAM_VERSION ||
	    h.hash_bits != NGRAM_HASH_BITS) {
		mp_err_set(err, MP_PERM, "%s: feature version %u (%u bits), "
			   "this mailproc reads version %u (%u bits): run "
			   "mailproc train", path, h.feature_version,
			   h.hash_bits, NGRAM_VERSION, NGRAM_HASH_BITS);
		goto fail;
	}
	if (h.n_classes == 0 || h.n_classes > MODEL_MAX_CLASSES) {
		mp_err_set(err, MP_PERM, "%s: %u classes", path, h.n_classes);
		goto fail;
	}
	need = sizeof(h) + (size_t)h.n_classes * (MODEL_ID_LEN + 8) +
	       (size_t)h.n_rows * (4 + 2 * (size_t)h.n_classes);
	if (need != m->size) {
		mp_err_set(err, MP_PERM, "%s: truncated or damaged (%zu bytes, "
			   "%zu expected)", path, m->size, need);
		goto fail;
	}
	m->n_classes = h.n_classes;
	m->n_rows = h.n_rows;
	m->ids = (const char *)m->map + sizeof(h);
	m->bias = (const float *)(m->ids + (size_t)h.n_classes * MODEL_ID_LEN);
	m->scale = m->bias + h.n_classes;
	m->keys = (const uint32_t *)(m->scale + h.n_classes);
	m->w = (const int16_t *)(m->keys + h.n_rows);
	{
		uint32_t i;

		for (i = 0; i < h.n_classes; i++)
			if (memchr(m->ids + (size_t)i * MODEL_ID_LEN, '\0',
				   MODEL_ID_LEN) == NULL) {
				mp_err_set(err, MP_PERM, "%s: damaged class "
					   "table", path);
				goto fail;
			}
	}
	*mp = m;
	return 1;
fail:
	munmap(m->map, m->size);
	free(m);
	return -1;
}

void
model_free(struct model **mp)
{
	struct model *m = *mp;

	if (m == NULL)
		return;
	munmap(m->map, m->size);
	free(m);
	*mp = NULL;
}

size_t
model_class_count(const struct model *m)
{
	return m->n_classes;
}

const char *
model_class_at(const struct model *m, size_t i)
{
	return m->ids + i * MODEL_ID_LEN;
}

size_t
model_row_count(const struct model *m)
{
	return m->n_rows;
}

/* The row of bucket, or -1. */
static long
row_of(const struct model *m, uint32_t bucket)
{
	size_t lo = 0, hi = m->n_rows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->keys[mid] < bucket)
			lo = mid + 1;
		else if (m->keys[mid] > bucket)
			hi = mid;
		else
			return (long)mid;
	}
	return -1;
}

void
model_score(const struct model *m, const struct ngrams *fs, double *prob)
{
	size_t i, c;

	for (c = 0; c < m->n_classes; c++)
		prob[c] = m->bias[c];
	for (i = 0; i < fs->n; i++) {
		long r = row_of(m, fs->v[i].bucket);
		const int16_t *w;

		if (r < 0)
			continue;
		w = m->w + (size_t)r * m->n_classes;
		for (c = 0; c < m->n_classes; c++)
			prob[c] += (double)fs->v[i].value * w[c] *
				   m->scale[c];
	}
	for (c = 0; c < m->n_classes; c++)
		prob[c] = 1.0 / (1.0 + exp(-prob[c]));
}

double
model_weight(const struct model *m, const struct ngram *f, size_t c)
{
	long r = row_of(m, f->bucket);

	if (r < 0 || c >= m->n_classes)
		return 0;
	return (double)m->w[(size_t)r * m->n_classes + c] * m->scale[c];
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
model_write(const char *path, const char *const *classes, size_t n_classes,
	    const double *bias, const uint32_t *keys, const double *weights,
	    size_t n_rows, struct mp_err *err)
{
	struct header h = { MAGIC, NGRAM_VERSION, NGRAM_HASH_BITS, 0, 0 };
	char tmp[4096], *ids = NULL;
	float *fb = NULL, *fs = NULL;
	int16_t *w16 = NULL;
	size_t i, c;
	int fd = -1;

	if (n_classes == 0 || n_classes > MODEL_MAX_CLASSES)
		return mp_err_set(err, MP_PERM, "model: %zu classes",
				  n_classes);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
			     (long)getpid()) >= sizeof(tmp))
		return mp_err_set(err, MP_PERM, "model: path too long");
	h.n_classes = (uint32_t)n_classes;
	h.n_rows = (uint32_t)n_rows;
	ids = calloc(n_classes, MODEL_ID_LEN);
	fb = calloc(n_classes, sizeof(*fb));
	fs = calloc(n_classes, sizeof(*fs));
	w16 = calloc(n_rows * n_classes + 1, sizeof(*w16));
	if (ids == NULL || fb == NULL || fs == NULL || w16 == NULL) {
		mp_err_set(err, MP_TEMP, "out of memory");
		goto fail;
	}
	for (c = 0; c < n_classes; c++) {
		double max = 0;

		if (strlen(classes[c]) >= MODEL_ID_LEN) {
			mp_err_set(err, MP_PERM, "model: class id %s too long",
				   classes[c]);
			goto fail;
		}
		memcpy(ids + c * MODEL_ID_LEN, classes[c], strlen(classes[c]));
		fb[c] = (float)bias[c];
		for (i = 0; i < n_rows; i++)
			if (fabs(weights[i * n_classes + c]) > max)
				max = fabs(weights[i * n_classes + c]);
		fs[c] = max > 0 ? (float)(max / 32767.0) : 1.0f;
		for (i = 0; i < n_rows; i++)
			w16[i * n_classes + c] = (int16_t)lrint(
				weights[i * n_classes + c] / fs[c]);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		mp_err_set(err, MP_TEMP, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (write_all(fd, &h, sizeof(h)) < 0 ||
	    write_all(fd, ids, n_classes * MODEL_ID_LEN) < 0 ||
	    write_all(fd, fb, n_classes * sizeof(*fb)) < 0 ||
	    write_all(fd, fs, n_classes * sizeof(*fs)) < 0 ||
	    write_all(fd, keys, n_rows * sizeof(*keys)) < 0 ||
	    write_all(fd, w16, n_rows * n_classes * sizeof(*w16)) < 0 ||
	    fsync(fd) < 0) {
		mp_err_set(err, MP_TEMP, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		mp_err_set(err, MP_TEMP, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		mp_err_set(err, MP_TEMP, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(ids);
	free(fb);
	free(fs);
	free(w16);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(ids);
	free(fb);
	free(fs);
	free(w16);
	return -1;
}
