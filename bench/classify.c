/*
 * bench/classify.c: what classifying costs one `deliver`.
 *
 *   classify RULES_DIR MODEL N FILE...
 *
 * Parses each FILE once (outside the timing), then N times over all
 * files: loads the rules and maps the model as a fresh `deliver` does,
 * classifies one message, frees everything.  Prints the median
 * milliseconds of one such load-and-classify, and of the model's
 * mapping alone, as "classify_ms X model_load_ms Y".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "rules.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct msg_limits lim = { 50, 1024 * 1024 };
	struct msg **m;
	double *t, *tl;
	int n, i, k, nf;

	if (argc < 5) {
		fprintf(stderr, "usage: classify RULES_DIR MODEL N FILE...\n");
		return 64;
	}
	n = atoi(argv[3]);
	nf = argc - 4;
	m = calloc((size_t)nf, sizeof(*m));
	t = calloc((size_t)(n * nf), sizeof(*t));
	tl = calloc((size_t)(n * nf), sizeof(*tl));
	if (m == NULL || t == NULL || tl == NULL)
		return 71;
	for (i = 0; i < nf; i++) {
		struct mp_err err;
		int fd = open(argv[4 + i], O_RDONLY);

		if (fd < 0 || msg_parse_fd(fd, 0, &lim, NULL, &m[i], &err) < 0) {
			fprintf(stderr, "%s: cannot parse\n", argv[4 + i]);
			return 65;
		}
		close(fd);
	}
	for (k = 0; k < n; k++)
		for (i = 0; i < nf; i++) {
			struct rules_result res;
			struct rules *r = NULL;
			struct mp_err err;
			double t0 = now_ms(), t1;

			if (rules_load(&r, argv[1], NULL, NULL, &err) < 0) {
				fprintf(stderr, "rules: %s\n", err.msg);
				return 78;
			}
			t1 = now_ms();
			if (rules_model_load(r, argv[2], &err) != 1) {
				fprintf(stderr, "model: %s\n", err.msg);
				return 78;
			}
			tl[k * nf + i] = now_ms() - t1;
			if (rules_classify(r, m[i]->subject, m[i]->text, 0, &res,
					   &err) < 0) {
				fprintf(stderr, "classify: %s\n", err.msg);
				return 70;
			}
			rules_free(&r);
			t[k * nf + i] = now_ms() - t0;
		}
	qsort(t, (size_t)(n * nf), sizeof(*t), cmp_double);
	qsort(tl, (size_t)(n * nf), sizeof(*tl), cmp_double);
	printf("classify_ms %.3f model_load_ms %.3f\n", t[n * nf / 2],
	       tl[n * nf / 2]);
	for (i = 0; i < nf; i++)
		msg_free(&m[i]);
	free(m);
	free(t);
	free(tl);
	return 0;
}
