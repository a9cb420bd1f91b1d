/*
 * cmd_train.c: `train [--from-desk] [--corpus DIR] [--model FILE]
 * [--cost C] [--max-features N] [--json]`, the classifier's model from labelled mail.
 *
 * The corpus is rules_dir/corpus/CLASS/NAME.eml: the directory names the
 * class, and an X-Tasks: header lists every identity task the mail asks
 * for (a fault report that also asks for a reboot, two tasks in one
 * mail).  Each mail is parsed and prepared exactly as `deliver` would,
 * so training and classification see the same text.  With --from-desk
 * the staff's own class decisions are added (store_decision_each()).
 * The model goes to --model, else model_file, else state_dir/model.bin
 * with --from-desk and rules_dir/model.bin without.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "log.h"
#include "model.h"
#include "msg.h"
#include "rules.h"
#include "store.h"
#include "train.h"

#define DEFAULT_COST 128.0
/* A staff decision is about this desk's own customers: it counts as
 * this many corpus mails (one would barely move a model of 1500). */
#define DESK_WEIGHT 3
/* Features kept in the model (the rest weigh least): each costs the
 * mapped file 4 + 2 x classes bytes, and a deliver touches the pages of
 * the features its mail has. */
#define DEFAULT_MAX_FEATURES 30000
#define MAX_HEADER 65536

struct corpus {
	struct train_example *v;
	size_t n, cap;
	char **labels;		/* owned label strings */
	size_t n_labels, cap_labels;
	struct rules *rules;
	const struct conf *conf;
};

static const char *
label_keep(struct corpus *c, const char *s, size_t len)
{
	char *d;

	if (c->n_labels == c->cap_labels) {
		size_t cap = c->cap_labels ? 2 * c->cap_labels : 256;
		char **v = realloc(c->labels, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		c->labels = v;
		c->cap_labels = cap;
	}
	d = strndup(s, len);
	if (d != NULL)
		c->labels[c->n_labels++] = d;
	return d;
}

static struct train_example *
example_new(struct corpus *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct train_example *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

/* Adds label (a class id) to e once; checks it names a catalogue item. */
static int
example_label(struct corpus *c, struct train_example *e, const char *id,
	      size_t len, const char *where, struct mp_err *err)
{
	const char *keep;
	size_t i;

	keep = label_keep(c, id, len);
	if (keep == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	if (rules_item_find(c->rules, keep) == NULL)
		return mp_err_set(err, MP_PERM, "%s: unknown class %s", where,
				  keep);
	for (i = 0; i < e->n_labels; i++)
		if (strcmp(e->labels[i], keep) == 0)
			return 0;
	if (e->n_labels < TRAIN_MAX_LABELS)
		e->labels[e->n_labels++] = keep;
	return 0;
}

/* Labels e with the facets of each of its tasks ("facet:exclusion"). */
static int
example_facets(struct corpus *c, struct train_example *e, struct mp_err *err)
{
	size_t n = e->n_labels, i, k, j;
	char id[MODEL_ID_LEN];

	for (i = 0; i < n; i++) {
		const struct rules_item *it = rules_item_find(c->rules,
							      e->labels[i]);

		for (k = 0; it != NULL && k < it->n_facets; k++) {
			const char *keep;

			snprintf(id, sizeof(id), "%s%s", MODEL_FACET_PREFIX,
				 it->facets[k]);
			for (j = 0; j < e->n_labels; j++)
				if (strcmp(e->labels[j], id) == 0)
					break;
			if (j < e->n_labels || e->n_labels == TRAIN_MAX_LABELS)
				continue;
			keep = label_keep(c, id, strlen(id));
			if (keep == NULL)
				return mp_err_set(err, MP_TEMP,
						  "out of memory");
			e->labels[e->n_labels++] = keep;
		}
	}
	return 0;
}

/* The classes a model learns: the catalogue's items, then each facet
 * once.  Returns a new array of *n_r borrowed ids, or NULL. */
static const char **
model_classes(const struct rules *r, char ***facets_r, size_t *n_r)
{
	size_t n = rules_item_count(r), i, k, j, nf = 0, cap = 0;
	const char **v = NULL;
	char **facets = NULL;

	for (i = 0; i < n; i++)
		cap += rules_item_at(r, i)->n_facets;
	v = calloc(n + cap + 1, sizeof(*v));
	facets = calloc(cap + 1, sizeof(*facets));
	if (v == NULL || facets == NULL) {
		free(v);
		free(facets);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = rules_item_at(r, i)->id;
	for (i = 0; i < n; i++) {
		const struct rules_item *it = rules_item_at(r, i);

		for (k = 0; k < it->n_facets; k++) {
			char id[MODEL_ID_LEN];

			snprintf(id, sizeof(id), "%s%s", MODEL_FACET_PREFIX,
				 it->facets[k]);
			for (j = 0; j < nf && strcmp(facets[j], id) != 0; j++)
				;
			if (j < nf)
				continue;
			facets[nf] = strdup(id);
			if (facets[nf] == NULL)
				break;
			v[n + nf] = facets[nf];
			nf++;
		}
	}
	*facets_r = facets;
	*n_r = n + nf;
	return v;
}

/* Prepares subject and text into e as the classifier reads them. */
static int
example_text(struct corpus *c, struct train_example *e, const char *subject,
	     const char *text, int from_form, struct mp_err *err)
{
	struct rules_prepared p;

	if (rules_prepare(c->rules, subject, text, from_form, &p, err) < 0)
		return -1;
	e->subject = p.subject;
	e->text = p.body;
	p.subject = p.body = NULL;
	rules_prepared_release(&p);
	return 0;
}

/* The X-Tasks: value in the header block of the file at fd (read from
 * the start), copied into buf; "" when absent. */
static void
x_tasks(int fd, char *buf, size_t size)
{
	char *head = malloc(MAX_HEADER + 1), *p, *end;
	ssize_t n;

	buf[0] = '\0';
	if (head == NULL)
		return;
	n = pread(fd, head, MAX_HEADER, 0);
	if (n <= 0) {
		free(head);
		return;
	}
	head[n] = '\0';
	end = strstr(head, "\n\n");
	if (end != NULL)
		*end = '\0';
	for (p = head; p != NULL && *p != '\0';) {
		if (strncasecmp(p, "X-Tasks:", 8) == 0) {
			size_t len = strcspn(p + 8, "\r\n");

			snprintf(buf, size, "%.*s", (int)len, p + 8);
			break;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	free(head);
}


static int
read_mail(struct corpus *c, const char *path, const char *class,
	  struct mp_err *err)
{
	struct msg_limits lim = { c->conf->max_mime_depth,
				  c->conf->max_text_size };
	struct train_example *e;
	struct msg *m = NULL;
	char tasks[1024], *p;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mp_err_set(err, MP_PERM, "%s: %s", path,
				  strerror(errno));
	x_tasks(fd, tasks, sizeof(tasks));
	rc = msg_parse_fd(fd, 0, &lim, NULL, &m, err);
	close(fd);
	if (rc < 0)
		return -1;
	e = example_new(c);
	if (e == NULL) {
		msg_free(&m);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	rc = example_label(c, e, class, strlen(class), path, err);
	for (p = tasks; rc == 0 && *p != '\0';) {
		size_t len;

		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		rc = example_label(c, e, p, len, path, err);
		p += len;
	}
	if (rc == 0)
		rc = example_facets(c, e, err);
	if (rc == 0)
		rc = example_text(c, e, m->subject, m->text, msg_addressed_to(m, c->conf->form_address),
				  err);
	msg_free(&m);
	return rc;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_name[0] != '_';
}

/* Reads dir/CLASS/ *.eml. */
static int
read_corpus(struct corpus *c, const char *dir, struct mp_err *err)
{
	struct dirent **classes = NULL, **mails;
	int n, i, j, k, rc = 0;
	char path[4096];

	n = scandir(dir, &classes, visible, by_name);
	if (n < 0)
		return mp_err_set(err, MP_PERM, "%s: %s", dir,
				  strerror(errno));
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 classes[i]->d_name);
		k = scandir(path, &mails, visible, by_name);
		if (k < 0)
			continue;	/* a file, not a class directory */
		if (rules_item_find(c->rules, classes[i]->d_name) == NULL)
			rc = mp_err_set(err, MP_PERM, "%s: not a class of the "
					"catalogue", path);
		for (j = 0; j < k; j++) {
			size_t len = strlen(mails[j]->d_name);

			if (rc == 0 && len > 4 &&
			    strcmp(mails[j]->d_name + len - 4, ".eml") == 0) {
				char file[8192];

				snprintf(file, sizeof(file), "%s/%s", path,
					 mails[j]->d_name);
				rc = read_mail(c, file, classes[i]->d_name,
					       err);
			}
			free(mails[j]);
		}
		free(mails);
	}
	for (i = 0; i < n; i++)
		free(classes[i]);
	free(classes);
	return rc;
}

/* store_decision_each() callback: one staff decision as an example. */
static int
add_decision(void *ctx, const struct store_decision *d, struct mp_err *err)
{
	struct corpus *c = ctx;
	struct train_example *e = example_new(c);

	if (e == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	if (example_label(c, e, d->class, strlen(d->class), "desk",
			  err) < 0) {
		c->n--;
		/* A class since removed from the catalogue: skip it. */
		return err->kind == MP_PERM ? 0 : -1;
	}
	e->weight = DESK_WEIGHT;
	if (example_facets(c, e, err) < 0)
		return -1;
	return example_text(c, e, d->subject, d->text, d->from_form, err);
}

static void
corpus_release(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].subject);
		free(c->v[i].text);
	}
	free(c->v);
	for (i = 0; i < c->n_labels; i++)
		free(c->labels[i]);
	free(c->labels);
	rules_free(&c->rules);
}

int
cmd_train(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "from-desk", "json", NULL };
	static const char *const options[] = { "corpus", "model", "cost",
					       "max-features", NULL };
	struct corpus c = { 0 };
	struct train_report rep;
	struct mp_err err = { 0 };
	const char *corpus = NULL, *out = NULL, *cost_s = NULL, *max_s = NULL;
	size_t max_rows = DEFAULT_MAX_FEATURES;
	const char **classes = NULL;
	char **facets = NULL;
	char corpus_buf[4096], out_buf[4096];
	size_t i, n_desk = 0, n_classes = 0;
	int from_desk = cmd_flag(argc, argv, "from-desk"), rc = EX_OK;
	double cost = DEFAULT_COST;

	if (!cmd_args_known(argc, argv, "train", flags, options) ||
	    cmd_option(argc, argv, "corpus", &corpus) < 0 ||
	    cmd_option(argc, argv, "model", &out) < 0 ||
	    cmd_option(argc, argv, "cost", &cost_s) < 0 ||
	    cmd_option(argc, argv, "max-features", &max_s) < 0) {
		log_user_error("train", "usage: train [--from-desk] [--corpus "
			       "DIR] [--model FILE] [--cost C] [--max-features N] "
			       "[--json]");
		return EX_USAGE;
	}
	if (cost_s != NULL) {
		char *end;

		cost = strtod(cost_s, &end);
		if (*end != '\0' || !(cost > 0)) {
			log_user_error("train", "--cost: not a positive "
				       "number: %s", cost_s);
			return EX_USAGE;
		}
	}
	if (max_s != NULL) {
		char *end;
		long v = strtol(max_s, &end, 10);

		if (*end != '\0' || v < 0) {
			log_user_error("train", "--max-features: not a count: "
				       "%s", max_s);
			return EX_USAGE;
		}
		max_rows = (size_t)v;
	}
	if (corpus == NULL) {
		snprintf(corpus_buf, sizeof(corpus_buf), "%s/corpus",
			 conf->rules_dir);
		corpus = corpus_buf;
	}
	if (out == NULL) {
		if (*conf->model_file != '\0')
			snprintf(out_buf, sizeof(out_buf), "%s",
				 conf->model_file);
		else
			snprintf(out_buf, sizeof(out_buf), "%s/model.bin",
				 from_desk ? conf->state_dir :
				 conf->rules_dir);
		out = out_buf;
	}
	c.conf = conf;
	msg_library_init();
	if (rules_load_site(&c.rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, &err) < 0) {
		log_user_error("train", "rules: %s", err.msg);
		return EX_CONFIG;
	}
	if (read_corpus(&c, corpus, &err) < 0) {
		log_user_error("train", "%s", err.msg);
		rc = err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
		goto done;
	}
	if (from_desk) {
		struct store *s = NULL;
		size_t before = c.n;

		if (store_open(&s, conf->state_dir, conf->lock_timeout,
			       &err) < 0 ||
		    store_decision_each(s, 0, 1, add_decision, &c, &err) < 0) {
			store_free(&s);
			log_user_error("train", "desk decisions: %s", err.msg);
			rc = EX_TEMPFAIL;
			goto done;
		}
		store_free(&s);
		n_desk = c.n - before;
	}
	classes = model_classes(c.rules, &facets, &n_classes);
	if (classes == NULL) {
		log_user_error("train", "out of memory");
		rc = EX_TEMPFAIL;
		goto done;
	}
	if (train_model(c.v, c.n, classes, n_classes, cost, max_rows, out,
			&rep, &err) < 0) {
		log_user_error("train", "%s", err.msg);
		rc = err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
		goto done;
	}
	if (cmd_flag(argc, argv, "json")) {
		json_t *per = json_object();

		for (i = 0; i < n_classes; i++)
			json_object_set_new(per, classes[i],
					    json_integer((json_int_t)
							 rep.per_class[i]));
		json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:o}", "model", out,
				      "examples", (json_int_t)rep.n_examples,
				      "from_desk", (json_int_t)n_desk,
				      "features", (json_int_t)rep.n_features,
				      "per_class", per);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("%s: %zu examples (%zu from the desk), %zu features\n",
		       out, rep.n_examples, n_desk, rep.n_features);
	}
done:
	for (i = 0; facets != NULL && facets[i] != NULL; i++)
		free(facets[i]);
	free(facets);
	free(classes);
	corpus_release(&c);
	return rc;
}
