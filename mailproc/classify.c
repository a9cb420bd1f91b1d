/*
 * classify.c: compiling and matching the PCRE2 patterns, and deciding a
 * mail's class and tasks from the rules, the form's kind field and the
 * linear model.
 *
 * Why it is built this way:
 * - Patterns are compiled the first time a classification needs them, and
 *   JIT-compiled from the jit_after-th classification in a process on, or
 *   at once when the body to read is at least jit_min_text bytes.
 *   `deliver` classifies one message per process: JIT-compiling some
 *   hundred patterns costs more than interpreting them over a short mail
 *   but less than interpreting them over a long one, while the
 *   long-running `run` gains from JIT either way.
 * - Scores: each rule that fires scores its priority, plus subject_bonus
 *   when one of its match lines hit the subject of a mail that is not a
 *   reply.  A class scores its best rule; the best class wins, ties going
 *   to the rule written first.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "buf.h"
#include "model.h"
#include "ngram.h"
#include "rules_priv.h"

#define FORM_RULE_ID	"form-kind"
#define DEFAULT_RULE_ID	"default"

/* Confidence given when the form's kind field decided, and when no rule
 * matched at all and the mail falls back to general. */
#define FORM_CONFIDENCE		0.95
#define DEFAULT_CONFIDENCE	0.3

/* Bounds on one pattern match, so that a careless rule cannot hang a
 * delivery: a match that hits them counts as no match. */
#define MATCH_LIMIT	1000000
#define DEPTH_LIMIT	10000

/* ---- compiling and matching ------------------------------------------ */

/* Compiles p.  Returns 0, -1 with msg filled, or -2 when out of
 * memory. */
static int
pattern_compile(struct pattern *p, char *msg, size_t size)
{
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR text[200];
	const char *c;

	/* The text is lower-cased before matching (rules_nfkc_lower()), so an
	 * upper-case letter in a pattern could never match.  Escapes such
	 * as \W and \p{Han} are not literals. */
	for (c = p->src; *c != '\0'; c++) {
		if (*c == '\\' && c[1] != '\0') {
			c++;
			if ((*c == 'p' || *c == 'P') && c[1] == '{') {
				const char *e = strchr(c, '}');
				if (e != NULL)
					c = e;
			}
			continue;
		}
		if (*c >= 'A' && *c <= 'Z') {
			snprintf(msg, size, "bad regex: upper-case '%c' at "
				 "offset %zu never matches: the text is "
				 "lower-cased first", *c,
				 (size_t)(c - p->src));
			return -1;
		}
	}
	p->code = pcre2_compile((PCRE2_SPTR)p->src, PCRE2_ZERO_TERMINATED,
				PCRE2_UTF | PCRE2_UCP |
				PCRE2_MULTILINE | PCRE2_DOTALL, &code, &off,
				NULL);
	if (p->code != NULL)
		return 0;
	if (code == PCRE2_ERROR_NOMEMORY)
		return -2;
	pcre2_get_error_message(code, text, sizeof(text));
	snprintf(msg, size, "bad regex: %s at offset %zu", (char *)text,
		 (size_t)off);
	return -1;
}

/* Compiles p unless it is already, reporting a bad one; 0, or -1 when
 * out of memory. */
static int
compile_one(struct loader *ld, struct pattern *p)
{
	char msg[300];

	if (p->code != NULL)
		return 0;
	switch (pattern_compile(p, msg, sizeof(msg))) {
	case 0:
		return 0;
	case -2:
		ld->oom = 1;
		return -1;
	default:
		loader_problem(ld, p->line, "%s", msg);
		return 0;
	}
}

/* Compiles every pattern not compiled yet, reporting each bad one. */
void
classify_compile_all(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i, j;

	ld->file = r->rules_path;
	for (j = 0; j < r->n_strips; j++)
		if (compile_one(ld, &r->strips[j]) < 0)
			return;
	for (i = 0; i < r->n_rules; i++)
		for (j = 0; j < r->rules[i].n_pats; j++)
			if (compile_one(ld, &r->rules[i].pats[j]) < 0)
				return;
}

static int
match_setup(struct rules *r, struct mp_err *err)
{
	if (r->md != NULL)
		return 0;
	r->md = pcre2_match_data_create(1, NULL);
	r->mctx = pcre2_match_context_create(NULL);
	if (r->md == NULL || r->mctx == NULL)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, DEPTH_LIMIT);
	return 0;
}

/* Whether p matches s; on a match *at is where it starts.  Returns 1,
 * 0, or -1 with err set. */
static int
pattern_match(struct rules *r, struct pattern *p, const char *s,
	      size_t len, size_t *at, struct mp_err *err)
{
	char msg[300];
	int rc;

	if (p->code == NULL) {
		rc = pattern_compile(p, msg, sizeof(msg));
		if (rc == -2)
			return mp_err_set(err, MP_TEMP, "rules: out of memory");
		if (rc < 0)
			return mp_err_set(err, MP_PERM, "%s:%d: %s",
					  r->rules_path, p->line, msg);
	}
	if (!p->jit_done && (r->jit_now || (r->jit_after > 0 &&
	    r->n_classified + 1 >= (unsigned long)r->jit_after))) {
		/* A pattern the JIT refuses is still matched by the
		 * interpreter. */
		(void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
		p->jit_done = 1;
	}
	rc = pcre2_match(p->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK,
			 r->md, r->mctx);
	if (rc >= 0) {
		*at = (size_t)pcre2_get_ovector_pointer(r->md)[0];
		return 1;
	}
	if (rc == PCRE2_ERROR_NOMEMORY)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	return 0;		/* no match, or a limit was reached */
}

struct text {
	const char *subject;
	size_t subject_len;
	const char *body;
	size_t body_len;
	int reply;
};

/* Where p hits in its scope: SCOPE_SUBJECT (the body is then not tried),
 * SCOPE_BODY, 0 for nowhere, or -1 with err set.  *at is set to where
 * the match starts, counting the subject and a newline before the body. */
static int
pattern_hits(struct rules *r, struct pattern *p, const struct text *t,
	     size_t *at, struct mp_err *err)
{
	size_t off;
	int rc;

	/* A reply's subject names the old topic: subject-only lines skip
	 * it. */
	if ((p->scope & SCOPE_SUBJECT) && t->subject_len > 0 &&
	    !(t->reply && p->scope == SCOPE_SUBJECT)) {
		rc = pattern_match(r, p, t->subject, t->subject_len, &off,
				   err);
		if (rc < 0)
			return -1;
		if (rc) {
			*at = off;
			return SCOPE_SUBJECT;
		}
	}
	if ((p->scope & SCOPE_BODY) && t->body_len > 0) {
		rc = pattern_match(r, p, t->body, t->body_len, &off, err);
		if (rc < 0)
			return -1;
		if (rc) {
			*at = t->subject_len + 1 + off;
			return SCOPE_BODY;
		}
	}
	return 0;
}

/* Scores rule ru: 0 if it does not fire, else its score, with *at_r set
 * to where its earliest match line hit; -1 on error. */
static long
rule_score(struct rules *r, struct rule *ru, const struct text *t,
	   size_t *at_r, struct mp_err *err)
{
	int hit = 0, subject = 0, h;
	size_t i, at;

	*at_r = (size_t)-1;
	for (i = 0; i < ru->n_pats; i++) {
		if (ru->pats[i].kind != PAT_MATCH)
			continue;
		h = pattern_hits(r, &ru->pats[i], t, &at, err);
		if (h < 0)
			return -1;
		if (h == 0)
			continue;
		hit = 1;
		if (at < *at_r)
			*at_r = at;
		if (h == SCOPE_SUBJECT)
			subject = 1;
	}
	if (!hit)
		return 0;
	for (i = 0; i < ru->n_pats; i++) {
		if (ru->pats[i].kind == PAT_MATCH)
			continue;
		h = pattern_hits(r, &ru->pats[i], t, &at, err);
		if (h < 0)
			return -1;
		if (ru->pats[i].kind == PAT_REQUIRE && h == 0)
			return 0;
		if (ru->pats[i].kind == PAT_NOT && h != 0)
			return 0;
	}
	return ru->priority + 1 + (subject && !t->reply ?
				   r->subject_bonus : 0);
}

/* ---- classification --------------------------------------------------- */

/* Removes every match of the strip patterns from s (of *len bytes, in
 * place: each match becomes one space).  Returns 0, or -1 with err. */
static int
apply_strips(struct rules *r, char *s, size_t *len, int scope,
	     struct mp_err *err)
{
	char msg[300];
	size_t i;

	for (i = 0; i < r->n_strips; i++) {
		struct pattern *p = &r->strips[i];
		size_t off = 0;
		int rc;

		if (!(p->scope & scope))
			continue;
		if (p->code == NULL) {
			rc = pattern_compile(p, msg, sizeof(msg));
			if (rc == -2)
				return mp_err_set(err, MP_TEMP,
						  "rules: out of memory");
			if (rc < 0)
				return mp_err_set(err, MP_PERM, "%s:%d: %s",
						  r->rules_path, p->line, msg);
		}
		while (off < *len) {
			PCRE2_SIZE *ov;
			size_t from, to;

			rc = pcre2_match(p->code, (PCRE2_SPTR)s, *len, off,
					 PCRE2_NO_UTF_CHECK, r->md, r->mctx);
			if (rc == PCRE2_ERROR_NOMEMORY)
				return mp_err_set(err, MP_TEMP,
						  "rules: out of memory");
			if (rc < 0)
				break;
			ov = pcre2_get_ovector_pointer(r->md);
			from = (size_t)ov[0];
			to = (size_t)ov[1];
			if (to <= from) {
				off = to + 1;
				continue;
			}
			s[from] = ' ';
			memmove(s + from + 1, s + to, *len - to + 1);
			*len -= to - from - 1;
			off = from + 1;
		}
	}
	return 0;
}

int
rules_prepare(struct rules *r, const char *subject, const char *text,
	      int from_form, struct rules_prepared *p, struct mp_err *err)
{
	char *nsubj;
	const char *stripped;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (match_setup(r, err) < 0)
		return -1;
	nsubj = rules_nfkc_lower(subject != NULL ? subject : "", -1);
	p->body = owntext_body(text != NULL ? text : "",
			       (size_t)r->body_limit);
	if (nsubj == NULL || p->body == NULL)
		goto oom;
	stripped = owntext_subject(nsubj, &p->reply);
	p->subject = strdup(stripped);
	g_free(nsubj);
	nsubj = NULL;
	if (p->subject == NULL)
		goto oom;
	if (form_parse_norm(r, p->body, &p->form) < 0)
		goto oom;
	if (from_form || (p->form.field[RULES_FIELD_KIND] != NULL &&
			  p->form.n_fields >= 3)) {
		p->is_form = 1;
		if (p->form.field[RULES_FIELD_CONTENT] != NULL) {
			free(p->body);
			p->body = p->form.field[RULES_FIELD_CONTENT];
			p->form.field[RULES_FIELD_CONTENT] = NULL;
		}
	}
	len = owntext_utf8_cut(p->body, strlen(p->body), (size_t)r->body_limit);
	p->body[len] = '\0';
	if (apply_strips(r, p->body, &len, SCOPE_BODY, err) < 0)
		goto fail;
	len = strlen(p->subject);
	if (apply_strips(r, p->subject, &len, SCOPE_SUBJECT, err) < 0)
		goto fail;
	return 0;
oom:
	mp_err_set(err, MP_TEMP, "rules: out of memory");
fail:
	g_free(nsubj);
	rules_prepared_release(p);
	return -1;
}

void
rules_prepared_release(struct rules_prepared *p)
{
	free(p->subject);
	free(p->body);
	rules_form_release(&p->form);
	memset(p, 0, sizeof(*p));
}

static void
result_set(struct rules_result *res, const struct rules_item *it,
	   const char *by, const char *rule, double confidence)
{
	res->class = it->id;
	res->by = by;
	res->rule = rule;
	res->channel = it->channel;
	res->identity_required = it->identity_required;
	res->urgent = it->urgent;
	res->confidence = confidence < 0 ? 0 : confidence > 1 ? 1 :
			  confidence;
}

static void
why_add(struct rules_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
why_add(struct rules_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->n_why >= RULES_MAX_WHY)
		return;
	va_start(ap, fmt);
	vsnprintf(res->why[res->n_why++], sizeof(res->why[0]), fmt, ap);
	va_end(ap);
}

static void
task_add(struct rules_result *res, const char *id)
{
	size_t i;

	for (i = 0; i < res->n_tasks; i++)
		if (strcmp(res->tasks[i], id) == 0)
			return;
	if (res->n_tasks < RULES_MAX_TASKS)
		res->tasks[res->n_tasks++] = id;
}

/* Scores every rule over t; the winning item's index (n_items when none
 * fired) in *win_r with its rule in *rule_r.  Returns 0 or -1. */
static int
rules_decide(struct rules *r, const struct text *t, size_t *win_r,
	     size_t *rule_r, struct mp_err *err)
{
	long *score = calloc(r->n_items + 1, sizeof(*score)), s;
	size_t *best = calloc(r->n_items + 1, sizeof(*best));
	size_t *pos = calloc(r->n_items + 1, sizeof(*pos));
	size_t i, at, win = r->n_items;
	int rc = -1;

	if (score == NULL || best == NULL || pos == NULL) {
		mp_err_set(err, MP_TEMP, "rules: out of memory");
		goto out;
	}
	for (i = 0; i < r->n_rules; i++) {
		size_t it = r->rules[i].item;

		s = rule_score(r, &r->rules[i], t, &at, err);
		if (s < 0)
			goto out;
		if (s > score[it] ||
		    (s > 0 && s == score[it] && at < pos[it])) {
			score[it] = s;
			best[it] = i;
			pos[it] = at;
		}
	}
	/* The best score; on a tie the class whose rule hit first in the
	 * text, then the rule written first. */
	for (i = 0; i < r->n_items; i++) {
		if (score[i] == 0)
			continue;
		if (win == r->n_items || score[i] > score[win] ||
		    (score[i] == score[win] && (pos[i] < pos[win] ||
		     (pos[i] == pos[win] && best[i] < best[win]))))
			win = i;
	}
	*win_r = win;
	*rule_r = win < r->n_items ? best[win] : 0;
	rc = 0;
out:
	free(score);
	free(best);
	free(pos);
	return rc;
}

/* The catalogue item of the model's class c, or NULL. */
static const struct rules_item *
model_item(const struct rules *r, size_t c)
{
	return rules_item_find(r, model_class_at(r->model, c));
}

/* The n-grams that added most to class c's score, into res->why. */
static void
explain(const struct rules *r, const struct ngrams *fs, size_t c,
	const struct rules_prepared *p, struct rules_result *res)
{
	enum { TOP = 4 };
	size_t best[TOP], n = 0, i, k;
	double contrib[TOP];
	char text[64];

	for (i = 0; i < fs->n; i++) {
		double v = model_weight(r->model, &fs->v[i], c) *
			   fs->v[i].value;

		if (v <= 0 || (n == TOP && v <= contrib[TOP - 1]))
			continue;
		k = n < TOP ? n++ : TOP - 1;
		for (; k > 0 && contrib[k - 1] < v; k--) {
			contrib[k] = contrib[k - 1];
			best[k] = best[k - 1];
		}
		contrib[k] = v;
		best[k] = i;
	}
	for (i = 0; i < n; i++)
		why_add(res, "model: \"%s\" +%.2f",
			ngram_describe(&fs->v[best[i]], p->subject, p->body,
					  text, sizeof(text)), contrib[i]);
}

/* The model's class index of id, or the class count. */
static size_t
model_index(const struct rules *r, const char *id)
{
	size_t n = model_class_count(r->model), c;

	for (c = 0; c < n; c++)
		if (strcmp(model_class_at(r->model, c), id) == 0)
			return c;
	return n;
}

/* A task with facets ("service-monitoring exclusion") shares what the
 * model learnt of each facet from every task that has it: its
 * probability becomes (1 - w) * its own + w * the geometric mean of its
 * facets' (w = facet_weight).  A task is learnt from its own few mails;
 * a facet from all mails of every task that has it. */
static void
facets_combine(const struct rules *r, double *prob)
{
	double w = r->facet_weight / 100.0, out[MODEL_MAX_CLASSES];
	size_t n = model_class_count(r->model), c, k;
	char id[MODEL_ID_LEN];

	memcpy(out, prob, n * sizeof(*prob));
	for (c = 0; c < n && w > 0; c++) {
		const struct rules_item *it = model_item(r, c);
		double g = 1;
		size_t found = 0;

		if (it == NULL || it->n_facets == 0)
			continue;
		for (k = 0; k < it->n_facets; k++) {
			size_t f;

			snprintf(id, sizeof(id), "%s%s", MODEL_FACET_PREFIX,
				 it->facets[k]);
			f = model_index(r, id);
			if (f == n)
				break;
			g *= prob[f];
			found++;
		}
		if (found == it->n_facets)
			out[c] = (1 - w) * prob[c] + w * pow(g, 1.0 /
							     (double)found);
	}
	memcpy(prob, out, n * sizeof(*prob));
}

/* The model's decision over prepared text p, into res: the class, the
 * runner-up, every identity task it is sure enough of, and whether staff
 * must choose (triage). */
static int
model_decide(struct rules *r, const struct rules_prepared *p,
	     struct rules_result *res, struct mp_err *err)
{
	double prob[MODEL_MAX_CLASSES], thr = r->task_threshold / 100.0;
	size_t n = model_class_count(r->model), c, top = n, second = n;
	size_t fault = n, best_task = n;
	const struct rules_item *it;
	struct ngrams fs = { 0 };

	if (ngram_extract(&fs, p->subject, p->body) < 0)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	model_score(r->model, &fs, prob);
	facets_combine(r, prob);
	for (c = 0; c < n; c++) {
		it = model_item(r, c);
		if (it == NULL)
			continue;	/* check-config reports it */
		if (top == n || prob[c] > prob[top]) {
			second = top;
			top = c;
		} else if (second == n || prob[c] > prob[second]) {
			second = c;
		}
		if (strcmp(it->id, "fault-report") == 0)
			fault = c;
		if (it->identity_required &&
		    (best_task == n || prob[c] > prob[best_task]))
			best_task = c;
	}
	if (top == n) {
		ngram_release(&fs);
		return 0;	/* a model of no known class: rules decide */
	}
	for (c = 0; c < n; c++) {
		size_t k;

		if (model_item(r, c) == NULL)
			continue;	/* a facet */
		/* The best RULES_MAX_SCORES, kept sorted, best first. */
		if (res->n_scores == RULES_MAX_SCORES &&
		    prob[c] <= res->scores[RULES_MAX_SCORES - 1].p)
			continue;
		k = res->n_scores < RULES_MAX_SCORES ? res->n_scores++ :
		    RULES_MAX_SCORES - 1;
		while (k > 0 && res->scores[k - 1].p < prob[c]) {
			res->scores[k] = res->scores[k - 1];
			k--;
		}
		res->scores[k].class = model_class_at(r->model, c);
		res->scores[k].p = prob[c];
	}
	/* A fault report never waits for staff to choose: it goes to the
	 * monitoring centre as urgent, and staff can correct it later. */
	if (fault < n && prob[fault] >= r->fault_threshold / 100.0)
		top = fault;
	it = model_item(r, top);
	result_set(res, it, "model", "model", prob[top]);
	res->second_class = second < n ?
		model_class_at(r->model, top == second ? best_task : second) :
		NULL;
	if (second < n && top == fault && second == fault)
		res->second_class = NULL;
	if (it->identity_required)
		task_add(res, it->id);
	for (c = 0; c < n; c++) {
		const struct rules_item *ti = model_item(r, c);

		if (ti != NULL && ti->identity_required && prob[c] >= thr)
			task_add(res, ti->id);
	}
	if (top != fault) {
		double rival = second < n ? prob[second] : 0;
		const struct rules_item *si = second < n ?
			model_item(r, second) : NULL;
		int rival_asked = si != NULL && si->identity_required &&
				  prob[second] >= thr && it->identity_required;

		/* A ratio, not a difference: a short clear mail gets low
		 * probabilities all round, and its winner still stands out
		 * (cross-validation: 2 points fewer wrong at equal triage). */
		if (!rival_asked &&
		    rival >= prob[top] * (r->triage_ratio / 100.0))
			res->triage = 1;
		if (it->identity_required &&
		    prob[top] < r->task_floor / 100.0)
			res->triage = 1;
		if (!it->identity_required && best_task < n &&
		    prob[best_task] >= r->task_alert / 100.0)
			res->triage = 1;
	}
	explain(r, &fs, top, p, res);
	ngram_release(&fs);
	return 1;
}

/* Whether the model, which already decided res, disagrees with the
 * form's kind: it gives the kind less than task_threshold while being at
 * least that sure of something else, or it routed a fault report. */
static int
form_disputed(const struct rules *r, const struct rules_result *res,
	      const struct rules_item *kind)
{
	double thr = r->task_threshold / 100.0, p_kind = 0;
	size_t i;

	if (strcmp(res->class, "fault-report") == 0 &&
	    strcmp(kind->id, "fault-report") != 0)
		return 1;
	for (i = 0; i < res->n_scores; i++)
		if (strcmp(res->scores[i].class, kind->id) == 0)
			p_kind = res->scores[i].p;
	return p_kind < thr && res->n_scores > 0 &&
	       res->scores[0].p >= thr &&
	       strcmp(res->scores[0].class, kind->id) != 0;
}

int
rules_classify(struct rules *r, const char *subject, const char *text,
	       int from_form, struct rules_result *res, struct mp_err *err)
{
	struct rules_prepared p;
	const struct rules_item *kind_item = NULL;
	struct text t = { 0 };
	size_t win, rule;
	int rc;

	memset(res, 0, sizeof(*res));
	if (rules_prepare(r, subject, text, from_form, &p, err) < 0)
		return -1;
	res->form = p.is_form;
	if (p.is_form && p.form.field[RULES_FIELD_KIND] != NULL) {
		kind_item = rules_item_by_name(r, p.form.field[RULES_FIELD_KIND]);
		if (kind_item != NULL && !kind_item->catalogue &&
		    strcmp(kind_item->id, "general") == 0)
			kind_item = NULL;	/* "その他": the text decides */
	}
	t.subject = p.subject;
	t.subject_len = strlen(p.subject);
	t.body = p.body;
	t.body_len = strlen(p.body);
	/* Interpreting every pattern over a long body costs more than
	 * JIT-compiling them. */
	r->jit_now = r->jit_min_text > 0 &&
		     t.body_len >= (size_t)r->jit_min_text;
	rc = rules_decide(r, &t, &win, &rule, err);
	r->n_classified++;
	if (rc < 0)
		goto out;

	/* The model runs first even when a hard signal decides: it names
	 * the other tasks the mail asks for, and the runner-up. */
	rc = 0;
	if (r->model != NULL && (rc = model_decide(r, &p, res, err)) < 0)
		goto out;
	if (kind_item != NULL && rc == 1 && form_disputed(r, res, kind_item)) {
		/* The visitor picked one kind and wrote about another: the
		 * text is usually right, but staff decide.  A fault report
		 * still goes out at once (model_decide() chose it). */
		if (strcmp(res->class, "fault-report") != 0)
			res->triage = 1;
		why_add(res, "form: 依頼種別 \"%s\" disputed by the text",
			p.form.field[RULES_FIELD_KIND]);
	} else if (kind_item != NULL) {
		result_set(res, kind_item, "form", FORM_RULE_ID,
			   FORM_CONFIDENCE);
		res->triage = 0;
		if (kind_item->identity_required) {
			memmove(res->tasks + 1, res->tasks,
				(RULES_MAX_TASKS - 1) * sizeof(*res->tasks));
			res->tasks[0] = NULL;
			res->n_tasks = res->n_tasks < RULES_MAX_TASKS ?
				       res->n_tasks + 1 : RULES_MAX_TASKS;
			res->tasks[0] = kind_item->id;
			/* once: it may have been among the model's */
			{
				size_t i, o = 1;

				for (i = 1; i < res->n_tasks; i++)
					if (strcmp(res->tasks[i],
						   kind_item->id) != 0)
						res->tasks[o++] =
							res->tasks[i];
				res->n_tasks = o;
			}
		}
		why_add(res, "form: 依頼種別 \"%s\"",
			p.form.field[RULES_FIELD_KIND]);
	} else if (win < r->n_items) {
		const struct rules_item *it = &r->items[win].pub;

		result_set(res, it, "rule", r->rules[rule].id, 0.9);
		res->triage = 0;
		if (it->identity_required)
			task_add(res, it->id);
		why_add(res, "rule: %s (%s:%d)", r->rules[rule].id,
			RULES_FILE, r->rules[rule].line);
	} else if (rc == 0) {
		const struct rules_item *g = rules_item_find(r, "general");

		result_set(res, g, "rule", DEFAULT_RULE_ID,
			   DEFAULT_CONFIDENCE);
		/* No model (check-config says so): nobody can tell what the
		 * mail asks for, so staff choose; filing it general would
		 * skip the identity hold of any task it asks for. */
		if (r->model == NULL)
			res->triage = 1;
	}
	if (res->second_class != NULL &&
	    strcmp(res->second_class, res->class) == 0)
		res->second_class = NULL;
	rc = 0;
out:
	rules_prepared_release(&p);
	return rc;
}

int
rules_model_load(struct rules *r, const char *path, struct mp_err *err)
{
	model_free(&r->model);
	return model_open(&r->model, path, err);
}

/* Whether id is "facet:WORD" for a facet some task of r has. */
static int
facet_known(const struct rules *r, const char *id)
{
	size_t plen = strlen(MODEL_FACET_PREFIX), i, k;

	if (strncmp(id, MODEL_FACET_PREFIX, plen) != 0)
		return 0;
	for (i = 0; i < r->n_items; i++)
		for (k = 0; k < r->items[i].pub.n_facets; k++)
			if (strcmp(r->items[i].pub.facets[k], id + plen) == 0)
				return 1;
	return 0;
}

int
rules_model_check(const struct rules *r, const char *path,
		  rules_report_fn *report, void *ctx, struct mp_err *err)
{
	struct model *m;
	size_t i, n = 0;
	char msg[600];
	int rc = model_open(&m, path, err);

	if (rc <= 0) {
		if (rc == 0)
			snprintf(msg, sizeof(msg), "no model: run mailproc "
				 "train (the rules alone classify)");
		else
			snprintf(msg, sizeof(msg), "%s", err->msg);
		if (report != NULL)
			report(ctx, path, 0, msg);
		return rc == 0 ? mp_err_set(err, MP_PERM, "%s", msg) : -1;
	}
	for (i = 0; i < model_class_count(m); i++)
		if (rules_item_find(r, model_class_at(m, i)) == NULL &&
		    !facet_known(r, model_class_at(m, i))) {
			snprintf(msg, sizeof(msg), "model class %s is not in "
				 "the catalogue: run mailproc train",
				 model_class_at(m, i));
			if (report != NULL)
				report(ctx, path, 0, msg);
			n++;
		}
	for (i = 0; i < r->n_items; i++) {
		size_t c;

		for (c = 0; c < model_class_count(m); c++)
			if (strcmp(model_class_at(m, c),
				   r->items[i].pub.id) == 0)
				break;
		if (c == model_class_count(m)) {
			snprintf(msg, sizeof(msg), "catalogue item %s is not "
				 "in the model: run mailproc train",
				 r->items[i].pub.id);
			if (report != NULL)
				report(ctx, path, 0, msg);
			n++;
		}
	}
	model_free(&m);
	if (n > 0)
		return mp_err_set(err, MP_PERM, "%s: %zu problems", path, n);
	return 0;
}

