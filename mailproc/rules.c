/*
 * rules.c: loading rules/ (catalogue.conf, classify.rules, form.conf) and
 * the classify.rules settings, macros and rules; the shared loader and
 * text helpers of rules_priv.h.
 *
 * Why it is built this way:
 * - The files are line-oriented and parsed by hand: an operator edits
 *   them with a text editor, and every problem is reported with file:line
 *   while parsing goes on, so one check-config run lists them all.
 * - Patterns are only stored here; classify.c compiles them the first
 *   time a classification needs them.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "model.h"
#include "rules_priv.h"

#define MAX_FILE_SIZE	(1024 * 1024)
#define MAX_ID_LEN	64

/* Settings of classify.rules: name, default, bounds. */
struct setting {
	const char *name;
	long def, min, max;
	size_t off;
};

static const struct setting settings[] = {
#define SETTING(name, def, min, max) \
	{ #name, def, min, max, offsetof(struct rules, name) }
	SETTING(subject_bonus, 10, 0, 1000),
	SETTING(body_limit, 4000, 256, 1048576),
	SETTING(second_min, 60, 0, 1000),
	SETTING(jit_after, 2, 0, 1000000),
	SETTING(jit_min_text, 1500, 0, 1048576),
	SETTING(triage_ratio, 40, 0, 100),
	SETTING(task_threshold, 30, 1, 100),
	SETTING(task_floor, 10, 1, 100),
	SETTING(task_alert, 35, 1, 100),
	SETTING(fault_threshold, 50, 1, 100),
	SETTING(facet_weight, 60, 0, 100),
#undef SETTING
};

/* ---- small helpers ---------------------------------------------------- */

/* Appends one zeroed element to *v (of *n elements of size size); returns
 * it, or NULL when out of memory. */
void *
rules_array_push(void *vp, size_t *n, size_t size)
{
	void **v = vp;
	char *nv;

	nv = realloc(*v, (*n + 1) * size);
	if (nv == NULL)
		return NULL;
	*v = nv;
	memset(nv + *n * size, 0, size);
	return nv + (*n)++ * size;
}

int
rules_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\f' || c == '\v';
}

static char *
skip_space(char *s)
{
	while (rules_is_space((unsigned char)*s))
		s++;
	return s;
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && rules_is_space((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* Cuts the next blank-separated word off *p; returns it or NULL. */
char *
rules_next_word(char **p)
{
	char *s = skip_space(*p), *w;

	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s != '\0' && !rules_is_space((unsigned char)*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = skip_space(s);
	return w;
}

int
rules_valid_id(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= MAX_ID_LEN)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	}
	return 1;
}

static int
parse_long(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' ? 0 : -1;
}

/* NFKC of s (any bytes: invalid UTF-8 becomes U+FFFD first).  Returns a
 * string to g_free(). */
char *
rules_nfkc(const char *s, gssize len)
{
	char *valid, *out;

	valid = g_utf8_make_valid(s, len);
	out = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
	g_free(valid);
	return out;
}

/* NFKC and lower case: the text patterns are matched against.  Folding
 * the text once lets the patterns be compiled without PCRE2_CASELESS,
 * which halves the cost of matching them (patterns are written in lower
 * case; check-config refuses upper-case literals). */
char *
rules_nfkc_lower(const char *s, gssize len)
{
	char *n = rules_nfkc(s, len), *l;

	if (n == NULL)
		return NULL;
	l = g_utf8_strdown(n, -1);
	g_free(n);
	return l;
}

/* The form used to compare names and labels: NFKC, case-folded, without
 * white space, punctuation and symbols.  Returns a malloc'd string or
 * NULL when out of memory. */
char *
rules_name_key(const char *s, gssize len)
{
	char *n, *f, *p;
	struct buf b = { 0 };

	n = rules_nfkc(s, len);
	f = g_utf8_casefold(n, -1);
	g_free(n);
	for (p = f; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c) || g_unichar_ispunct(c))
			continue;
		buf_add(&b, p, (size_t)(g_utf8_next_char(p) - p));
	}
	g_free(f);
	return buf_detach(&b, NULL);
}

/* ---- loading ---------------------------------------------------------- */

void
loader_problem(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->n_problems++ == 0)
		snprintf(ld->first, sizeof(ld->first), "%s:%d: %s",
			 ld->file, line, msg);
	if (ld->report != NULL)
		ld->report(ld->ctx, ld->file, line, msg);
}

/* A copy of s, or NULL for NULL (or out of memory). */
static char *
strdup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Reads a whole file; returns a malloc'd NUL-terminated copy or NULL after
 * reporting why. */
static char *
read_file(struct loader *ld)
{
	FILE *f;
	char *data = NULL, *nd;
	size_t len = 0, cap = 0, n;

	f = fopen(ld->file, "r");
	if (f == NULL) {
		loader_problem(ld, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			nd = realloc(data, cap);
			if (nd == NULL) {
				ld->oom = 1;
				goto fail;
			}
			data = nd;
		}
		n = fread(data + len, 1, cap - len - 1, f);
		len += n;
		if (len > MAX_FILE_SIZE) {
			loader_problem(ld, 0, "larger than %d bytes", MAX_FILE_SIZE);
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		loader_problem(ld, 0, "cannot read: %s", strerror(errno));
		goto fail;
	}
	fclose(f);
	data[len] = '\0';
	if (memchr(data, '\0', len) != NULL) {
		loader_problem(ld, 0, "contains a NUL byte");
		free(data);
		return NULL;
	}
	return data;
fail:
	fclose(f);
	free(data);
	return NULL;
}

typedef void line_fn(struct loader *ld, int line, char *s);

/* Calls fn for every line that is not blank or a comment, with leading
 * and trailing white space removed. */
static int
each_line(struct loader *ld, line_fn *fn)
{
	char *data, *p, *nl, *s;
	int line = 0;

	data = read_file(ld);
	if (data == NULL)
		return -1;
	for (p = data; *p != '\0'; p = nl) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		line++;
		rtrim(p);
		s = skip_space(p);
		if (*s == '\0' || *s == '#')
			continue;
		if (!g_utf8_validate(s, -1, NULL)) {
			loader_problem(ld, line, "not valid UTF-8");
			continue;
		}
		fn(ld, line, s);
		if (ld->oom)
			break;
	}
	free(data);
	return 0;
}

char *
loader_strdup(struct loader *ld, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		ld->oom = 1;
	return d;
}

/* -- classify.rules -- */

static struct macro *
macro_find(struct loader *ld, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ld->n_macros; i++)
		if (strlen(ld->macros[i].name) == len &&
		    memcmp(ld->macros[i].name, name, len) == 0)
			return &ld->macros[i];
	return NULL;
}

/* Replaces every {{NAME}} in s with the macro's value; returns a malloc'd
 * string, or NULL after reporting an unknown macro (or out of memory). */
static char *
expand(struct loader *ld, int line, const char *s)
{
	struct buf b = { 0 };
	const char *p = s, *open, *close;
	struct macro *m;

	while ((open = strstr(p, "{{")) != NULL) {
		close = strstr(open + 2, "}}");
		if (close == NULL)
			break;
		m = macro_find(ld, open + 2, (size_t)(close - open - 2));
		if (m == NULL) {
			loader_problem(ld, line, "unknown macro {{%.*s}}",
				(int)(close - open - 2), open + 2);
			free(b.p);
			return NULL;
		}
		buf_add(&b, p, (size_t)(open - p));
		buf_adds(&b, m->value);
		p = close + 2;
	}
	buf_adds(&b, p);
	if (b.oom)
		ld->oom = 1;
	return buf_detach(&b, NULL);
}

static void
rules_set(struct loader *ld, int line, char *s)
{
	char *name = rules_next_word(&s), *val = rules_next_word(&s);
	size_t i;
	long v;

	if (name == NULL || val == NULL || *s != '\0') {
		loader_problem(ld, line, "expected: set NAME NUMBER");
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(settings); i++)
		if (strcmp(settings[i].name, name) == 0)
			break;
	if (i == G_N_ELEMENTS(settings)) {
		loader_problem(ld, line, "unknown setting '%s'", name);
		return;
	}
	if (ld->settings_seen & (1u << i))
		loader_problem(ld, line, "setting '%s' given twice", name);
	ld->settings_seen |= 1u << i;
	if (parse_long(val, &v) < 0 || v < settings[i].min ||
	    v > settings[i].max) {
		loader_problem(ld, line, "%s must be a number from %ld to %ld", name,
			settings[i].min, settings[i].max);
		return;
	}
	*(long *)((char *)ld->r + settings[i].off) = v;
}

static void
rules_define(struct loader *ld, int line, char *s)
{
	char *name = rules_next_word(&s), *value;
	struct macro *m;
	size_t i;

	if (name == NULL || *s == '\0') {
		loader_problem(ld, line, "expected: define NAME REGEX");
		return;
	}
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_' ||
		      (i > 0 && name[i] >= '0' && name[i] <= '9')))
			break;
	if (name[i] != '\0' || i == 0) {
		loader_problem(ld, line, "bad macro name '%s' (upper-case letters, "
			"digits and '_')", name);
		return;
	}
	if (macro_find(ld, name, strlen(name)) != NULL) {
		loader_problem(ld, line, "duplicate macro '%s'", name);
		return;
	}
	value = expand(ld, line, s);
	if (value == NULL)
		return;
	m = rules_array_push(&ld->macros, &ld->n_macros, sizeof(*m));
	if (m == NULL || (m->name = loader_strdup(ld, name)) == NULL) {
		free(value);
		ld->oom = 1;
		return;
	}
	m->value = value;
}

static void
rules_rule(struct loader *ld, int line, char *s)
{
	struct rules *r = ld->r;
	char *id = rules_next_word(&s), *cls = rules_next_word(&s);
	char *kw = rules_next_word(&s), *prio = rules_next_word(&s);
	const struct rules_item *item;
	struct rule *ru;
	long v;
	size_t i;

	ld->rule_seen = 1;
	ld->rule_open = 0;
	if (id == NULL || cls == NULL || kw == NULL || prio == NULL ||
	    *s != '\0' || strcmp(kw, "priority") != 0) {
		loader_problem(ld, line, "expected: rule ID TASK priority N");
		return;
	}
	if (!rules_valid_id(id)) {
		loader_problem(ld, line, "bad rule id '%s'", id);
		return;
	}
	for (i = 0; i < r->n_rules; i++)
		if (strcmp(r->rules[i].id, id) == 0) {
			loader_problem(ld, line, "duplicate rule id '%s' (first on "
				"line %d)", id, r->rules[i].line);
			return;
		}
	item = rules_item_find(r, cls);
	if (item == NULL) {
		loader_problem(ld, line, "unknown task '%s' in rule %s", cls, id);
		return;
	}
	if (parse_long(prio, &v) < 0 || v < 0 || v > 1000) {
		loader_problem(ld, line, "priority must be a number from 0 to 1000");
		return;
	}
	ru = rules_array_push(&r->rules, &r->n_rules, sizeof(*ru));
	if (ru == NULL || (ru->id = loader_strdup(ld, id)) == NULL) {
		ld->oom = 1;
		return;
	}
	ru->item = (size_t)((const struct item_priv *)item - r->items);
	ru->priority = (int)v;
	ru->line = line;
	ld->rule_open = 1;
}

static void
rules_pattern(struct loader *ld, int line, const char *kw, char *s)
{
	struct rules *r = ld->r;
	struct rule *ru;
	struct pattern *p;
	char *scope = rules_next_word(&s), *last;
	int sc;

	int strip = strcmp(kw, "strip") == 0;

	if (!strip && !ld->rule_seen) {
		loader_problem(ld, line, "'%s' before the first rule", kw);
		return;
	}
	if (scope == NULL) {
		loader_problem(ld, line, "expected: %s subject|body|any /REGEX/", kw);
		return;
	}
	if (strcmp(scope, "subject") == 0)
		sc = SCOPE_SUBJECT;
	else if (strcmp(scope, "body") == 0)
		sc = SCOPE_BODY;
	else if (strcmp(scope, "any") == 0)
		sc = SCOPE_ANY;
	else {
		loader_problem(ld, line, "unknown scope '%s' (subject, body or any)",
			scope);
		return;
	}
	last = s + strlen(s);
	if (*s != '/' || last - s < 2 || last[-1] != '/') {
		loader_problem(ld, line, "the pattern must be written /REGEX/");
		return;
	}
	if (last - s == 2) {
		loader_problem(ld, line, "empty pattern");
		return;
	}
	if (!strip && !ld->rule_open)
		return;		/* its rule was bad: reported already */
	last[-1] = '\0';
	if (strip) {
		p = rules_array_push(&r->strips, &r->n_strips, sizeof(*p));
		ru = NULL;
	} else {
		ru = &r->rules[r->n_rules - 1];
		p = rules_array_push(&ru->pats, &ru->n_pats, sizeof(*p));
	}
	if (p == NULL) {
		ld->oom = 1;
		return;
	}
	p->kind = strcmp(kw, "match") == 0 ? PAT_MATCH :
		  strcmp(kw, "require") == 0 ? PAT_REQUIRE : PAT_NOT;
	p->scope = sc;
	p->line = line;
	p->src = expand(ld, line, s + 1);
	if (p->src == NULL) {
		if (strip)
			r->n_strips--;
		else
			ru->n_pats--;
		return;
	}
	if (p->kind == PAT_MATCH && !strip)
		ru->n_match++;
}

static void
rules_line(struct loader *ld, int line, char *s)
{
	char *kw = rules_next_word(&s);

	if (strcmp(kw, "set") == 0)
		rules_set(ld, line, s);
	else if (strcmp(kw, "define") == 0)
		rules_define(ld, line, s);
	else if (strcmp(kw, "rule") == 0)
		rules_rule(ld, line, s);
	else if (strcmp(kw, "match") == 0 || strcmp(kw, "require") == 0 ||
		 strcmp(kw, "not") == 0 || strcmp(kw, "strip") == 0)
		rules_pattern(ld, line, kw, s);
	else
		loader_problem(ld, line, "unknown keyword '%s' (set, define, strip, "
			"rule, match, require, not)", kw);
}

static void
rules_finish(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i;

	for (i = 0; i < r->n_rules; i++)
		if (r->rules[i].n_match == 0)
			loader_problem(ld, r->rules[i].line, "rule %s has no match "
				"line", r->rules[i].id);
}

static void
macros_free(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->n_macros; i++) {
		free(ld->macros[i].name);
		free(ld->macros[i].value);
	}
	free(ld->macros);
	ld->macros = NULL;
	ld->n_macros = 0;
}

/* Reads the three files; with check, also compiles every pattern so that
 * bad ones are reported with the rest. */
const char *
rules_file_path(char *buf, size_t size, const char *site_dir,
		const char *dir, const char *name, int *from_site)
{
	struct stat st;
	int n;

	if (from_site != NULL)
		*from_site = 0;
	if (site_dir != NULL && *site_dir != '\0') {
		n = snprintf(buf, size, "%s/%s", site_dir, name);
		if (n > 0 && (size_t)n < size && stat(buf, &st) == 0) {
			if (from_site != NULL)
				*from_site = 1;
			return buf;
		}
	}
	n = snprintf(buf, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

static int
load(struct rules **rp, const char *site_dir, const char *dir,
     rules_report_fn *report, void *ctx, int check, struct mp_err *err)
{
	struct loader ld = { 0 };
	struct rules *r;
	char *cat_path, *form_path;
	size_t i;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	for (i = 0; i < G_N_ELEMENTS(settings); i++)
		*(long *)((char *)r + settings[i].off) = settings[i].def;
	ld.r = r;
	ld.report = report;
	ld.ctx = ctx;
	{
		char buf[4096];

		cat_path = strdup_or_null(rules_file_path(buf, sizeof(buf),
			site_dir, dir, CATALOGUE_FILE, NULL));
		form_path = strdup_or_null(rules_file_path(buf, sizeof(buf),
			site_dir, dir, FORM_FILE, NULL));
		r->rules_path = strdup_or_null(rules_file_path(buf,
			sizeof(buf), site_dir, dir, RULES_FILE, NULL));
	}
	if (cat_path == NULL || form_path == NULL || r->rules_path == NULL)
		goto oom;

	/* The catalogue first: rules name its tasks. */
	ld.file = cat_path;
	if (each_line(&ld, catalogue_line) == 0 && !ld.oom)
		catalogue_finish(&ld);
	if (ld.oom)
		goto oom;

	ld.file = r->rules_path;
	if (each_line(&ld, rules_line) == 0 && !ld.oom)
		rules_finish(&ld);
	if (ld.oom)
		goto oom;

	ld.file = form_path;
	if (each_line(&ld, form_conf_line) == 0 && !ld.oom)
		form_conf_finish(&ld);
	if (ld.oom)
		goto oom;

	if (check) {
		classify_compile_all(&ld);
		if (ld.oom)
			goto oom;
	}

	macros_free(&ld);
	free(cat_path);
	free(form_path);
	if (ld.n_problems > 0) {
		rules_free(&r);
		if (ld.n_problems == 1)
			return mp_err_set(err, MP_PERM, "%s", ld.first);
		return mp_err_set(err, MP_PERM, "%s (and %d more problems)",
				  ld.first, ld.n_problems - 1);
	}
	*rp = r;
	return 0;
oom:
	macros_free(&ld);
	free(cat_path);
	free(form_path);
	rules_free(&r);
	return mp_err_set(err, MP_TEMP, "rules: out of memory");
}

int
rules_load(struct rules **rp, const char *dir, rules_report_fn *report,
	   void *ctx, struct mp_err *err)
{
	return load(rp, NULL, dir, report, ctx, 0, err);
}

int
rules_load_site(struct rules **rp, const char *site_dir, const char *dir,
		rules_report_fn *report, void *ctx, struct mp_err *err)
{
	return load(rp, site_dir, dir, report, ctx, 0, err);
}

int
rules_check_dir(const char *dir, rules_report_fn *report, void *ctx,
		struct mp_err *err)
{
	return rules_check_site(NULL, dir, report, ctx, err);
}

int
rules_check_site(const char *site_dir, const char *dir,
		 rules_report_fn *report, void *ctx, struct mp_err *err)
{
	struct rules *r;

	if (load(&r, site_dir, dir, report, ctx, 1, err) < 0)
		return -1;
	rules_free(&r);
	return 0;
}

void
rules_free(struct rules **rp)
{
	struct rules *r;
	size_t i, j;

	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	for (i = 0; i < r->n_options; i++) {
		free(r->options[i].pub.id);
		free(r->options[i].pub.name_ja);
		free(r->options[i].pub.name_en);
	}
	free(r->options);
	for (i = 0; i < r->n_items; i++) {
		struct item_priv *it = &r->items[i];

		free(it->pub.id);
		free(it->pub.name_ja);
		free(it->pub.name_en);
		for (j = 0; j < it->pub.n_options; j++)
			free(it->pub.options[j]);
		free(it->pub.options);
		for (j = 0; j < it->pub.n_aliases; j++)
			free(it->pub.aliases[j]);
		free(it->pub.aliases);
		for (j = 0; j < it->pub.n_facets; j++)
			free(it->pub.facets[j]);
		free(it->pub.facets);
		for (j = 0; j < it->n_keys; j++)
			free(it->keys[j]);
		free(it->keys);
	}
	free(r->items);
	for (i = 0; i < r->n_rules; i++) {
		struct rule *ru = &r->rules[i];

		for (j = 0; j < ru->n_pats; j++) {
			free(ru->pats[j].src);
			pcre2_code_free(ru->pats[j].code);
		}
		free(ru->pats);
		free(ru->id);
	}
	free(r->rules);
	for (j = 0; j < r->n_strips; j++) {
		free(r->strips[j].src);
		pcre2_code_free(r->strips[j].code);
	}
	free(r->strips);
	model_free(&r->model);
	for (i = 0; i < r->n_labels; i++)
		free(r->labels[i].key);
	free(r->labels);
	free(r->rules_path);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	free(r);
	*rp = NULL;
}

