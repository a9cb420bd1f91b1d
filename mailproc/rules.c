/*
 * rules.c: the work catalogue and PCRE2 classification.
 *
 * Why it is built this way:
 * - The files are line-oriented and parsed by hand: an operator edits
 *   them with a text editor, and every problem is reported with file:line
 *   while parsing goes on, so one check-config run lists them all.
 * - Patterns are compiled the first time a classification needs them, and
 *   JIT-compiled from the jit_after-th classification in a process on, or
 *   at once when the body to read is at least jit_min_text bytes.
 *   `deliver` classifies one message per process: JIT-compiling some
 *   hundred patterns costs more than interpreting them over a short mail
 *   but less than interpreting them over a long one, while the
 *   long-running `run` gains from JIT either way.
 * - Text is NFKC-normalised first (full-width letters and digits become
 *   ASCII, half-width kana become full-width) so that rules are written
 *   once; quoted history and signatures are cut before matching, and only
 *   the first body_limit bytes of what remains are read: a request is
 *   stated at the top, and matching time grows with the text.
 * - Scores: each rule that fires scores its priority, plus subject_bonus
 *   when one of its match lines hit the subject of a mail that is not a
 *   reply.  A class scores its best rule; the best class wins, ties going
 *   to the rule written first.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ngram.h"
#include "model.h"
#include "rules.h"

#define CATALOGUE_FILE	"catalogue.conf"
#define RULES_FILE	"classify.rules"
#define FORM_FILE	"form.conf"

#define MAX_FILE_SIZE	(1024 * 1024)
/* Bytes of a mail's text read at most while looking for body_limit bytes
 * that are not quoted. */
#define MAX_SCAN	(1024 * 1024)
#define MAX_ID_LEN	64
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

static const char *const required_classes[] = {
	"fault-report", "out-of-scope", "general",
};

static const char *const field_names[RULES_FIELD_COUNT] = {
	"contract", "name", "email", "phone", "kind", "server", "content",
};

enum scope {
	SCOPE_SUBJECT = 1,
	SCOPE_BODY = 2,
	SCOPE_ANY = 3,
};

enum pat_kind {
	PAT_MATCH,		/* at least one match line must hit */
	PAT_REQUIRE,		/* every require line must hit */
	PAT_NOT,		/* no not line may hit */
};

struct pattern {
	enum pat_kind kind;
	int scope;
	int line;
	char *src;		/* after macro expansion */
	pcre2_code *code;	/* NULL until first used */
	int jit_done;
};

struct rule {
	char *id;
	size_t item;		/* index into items */
	int priority;
	int line;
	struct pattern *pats;
	size_t n_pats;
	size_t n_match;
};

struct item_priv {
	struct rules_item pub;
	int line;
	int options_line;
	unsigned seen;		/* keys given, one bit each */
	char **keys;		/* normalised names, for rules_item_by_name */
	size_t n_keys;
};

struct option_priv {
	struct rules_option pub;
	int line;
	unsigned seen;
};

struct label {
	enum rules_field field;
	char *key;		/* normalised label */
	int line;
};

struct rules {
	char *rules_path;	/* for messages about patterns */
	struct option_priv *options;
	size_t n_options;
	struct item_priv *items;
	size_t n_items;
	struct rule *rules;
	size_t n_rules;
	struct label *labels;
	size_t n_labels;
	struct pattern *strips;	/* text removed before anything reads it */
	size_t n_strips;
	struct model *model;	/* NULL: rules alone decide */

	long subject_bonus;
	long body_limit;
	long second_min;
	long jit_after;
	long jit_min_text;
	long triage_ratio;
	long task_threshold;
	long task_floor;
	long task_alert;
	long fault_threshold;
	long facet_weight;

	int keys_done;
	int jit_now;		/* this classification's body is long */		/* item_keys() ran */
	unsigned long n_classified;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

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
static void *
push(void *vp, size_t *n, size_t size)
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

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\f' || c == '\v';
}

static char *
skip_space(char *s)
{
	while (is_space((unsigned char)*s))
		s++;
	return s;
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && is_space((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* Cuts the next blank-separated word off *p; returns it or NULL. */
static char *
next_word(char **p)
{
	char *s = skip_space(*p), *w;

	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s != '\0' && !is_space((unsigned char)*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*p = skip_space(s);
	return w;
}

static int
valid_id(const char *s)
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
static char *
nfkc(const char *s, gssize len)
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
static char *
nfkc_lower(const char *s, gssize len)
{
	char *n = nfkc(s, len), *l;

	if (n == NULL)
		return NULL;
	l = g_utf8_strdown(n, -1);
	g_free(n);
	return l;
}

/* The form used to compare names and labels: NFKC, case-folded, without
 * white space, punctuation and symbols.  Returns a malloc'd string or
 * NULL when out of memory. */
static char *
name_key(const char *s, gssize len)
{
	char *n, *f, *p;
	struct buf b = { 0 };

	n = nfkc(s, len);
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

struct macro {
	char *name;
	char *value;
};

enum record { REC_NONE, REC_OPTION, REC_TASK, REC_CLASS };

struct loader {
	struct rules *r;
	rules_report_fn *report;
	void *ctx;
	const char *file;
	int n_problems;
	int oom;
	char first[400];
	struct macro *macros;
	size_t n_macros;
	unsigned settings_seen;
	enum record rec;	/* catalogue.conf: the record being read */
	size_t index;		/* its index in options or items */
	int skip;		/* its header was bad: ignore its keys */
	int rule_seen;		/* classify.rules: a rule line was read */
	int rule_open;		/* the last rule header was good */
};

static void problem(struct loader *ld, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct loader *ld, int line, const char *fmt, ...)
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

static char *
path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
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
		problem(ld, 0, "cannot open: %s", strerror(errno));
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
			problem(ld, 0, "larger than %d bytes", MAX_FILE_SIZE);
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		problem(ld, 0, "cannot read: %s", strerror(errno));
		goto fail;
	}
	fclose(f);
	data[len] = '\0';
	if (memchr(data, '\0', len) != NULL) {
		problem(ld, 0, "contains a NUL byte");
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
			problem(ld, line, "not valid UTF-8");
			continue;
		}
		fn(ld, line, s);
		if (ld->oom)
			break;
	}
	free(data);
	return 0;
}

static char *
dup_or_oom(struct loader *ld, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		ld->oom = 1;
	return d;
}

/* -- catalogue.conf -- */

enum cat_key {
	KEY_JA = 1 << 0,
	KEY_EN = 1 << 1,
	KEY_IDENTITY = 1 << 2,
	KEY_CHANNEL = 1 << 3,
	KEY_NOTIFY = 1 << 4,
	KEY_OPTIONS = 1 << 5,
	KEY_URGENT = 1 << 6,
};

static int
parse_yes_no(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
parse_channel(const char *v, enum rules_channel *out)
{
	if (strcmp(v, "email") == 0)
		*out = RULES_CHANNEL_EMAIL;
	else if (strcmp(v, "phone") == 0)
		*out = RULES_CHANNEL_PHONE;
	else if (strcmp(v, "none") == 0)
		*out = RULES_CHANNEL_NONE;
	else
		return -1;
	return 0;
}

static int
parse_notify(const char *v, enum rules_notify *out)
{
	if (strcmp(v, "monitoring-email") == 0)
		*out = RULES_NOTIFY_MONITORING_EMAIL;
	else if (strcmp(v, "none") == 0)
		*out = RULES_NOTIFY_NONE;
	else
		return -1;
	return 0;
}

static int
class_allowed(const char *id)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(required_classes); i++)
		if (strcmp(id, required_classes[i]) == 0)
			return 1;
	return 0;
}

static void
cat_header(struct loader *ld, int line, const char *key, char *rest)
{
	struct rules *r = ld->r;
	char *id = next_word(&rest);
	size_t i;

	ld->rec = strcmp(key, "option") == 0 ? REC_OPTION :
		  strcmp(key, "task") == 0 ? REC_TASK : REC_CLASS;
	ld->skip = 1;
	if (id == NULL) {
		problem(ld, line, "%s without an id", key);
		return;
	}
	if (*rest != '\0') {
		problem(ld, line, "unexpected text after %s id: %s", key,
			rest);
		return;
	}
	if (!valid_id(id)) {
		problem(ld, line, "bad id '%s' (lower-case letters, digits "
			"and '-')", id);
		return;
	}
	if (ld->rec == REC_OPTION) {
		struct option_priv *o;

		for (i = 0; i < r->n_options; i++)
			if (strcmp(r->options[i].pub.id, id) == 0) {
				problem(ld, line, "duplicate option id '%s' "
					"(first on line %d)", id,
					r->options[i].line);
				return;
			}
		o = push(&r->options, &r->n_options, sizeof(*o));
		if (o == NULL || (o->pub.id = dup_or_oom(ld, id)) == NULL) {
			ld->oom = 1;
			return;
		}
		o->line = line;
		ld->index = r->n_options - 1;
	} else {
		struct item_priv *it;

		for (i = 0; i < r->n_items; i++)
			if (strcmp(r->items[i].pub.id, id) == 0) {
				problem(ld, line, "duplicate task id '%s' "
					"(first on line %d)", id,
					r->items[i].line);
				return;
			}
		if (ld->rec == REC_CLASS && !class_allowed(id)) {
			problem(ld, line, "unknown class '%s' (fault-report, "
				"out-of-scope or general)", id);
			return;
		}
		if (ld->rec == REC_TASK && class_allowed(id)) {
			problem(ld, line, "'%s' is a class, not a task", id);
			return;
		}
		it = push(&r->items, &r->n_items, sizeof(*it));
		if (it == NULL || (it->pub.id = dup_or_oom(ld, id)) == NULL) {
			ld->oom = 1;
			return;
		}
		it->line = line;
		it->pub.catalogue = ld->rec == REC_TASK;
		ld->index = r->n_items - 1;
	}
	ld->skip = 0;
}

static int
seen_once(struct loader *ld, int line, unsigned *seen, unsigned bit,
	  const char *key)
{
	if (*seen & bit) {
		problem(ld, line, "'%s' given twice in one record", key);
		return 0;
	}
	*seen |= bit;
	return 1;
}

static void
cat_option_key(struct loader *ld, int line, const char *key, char *val)
{
	struct option_priv *o = &ld->r->options[ld->index];

	if (strcmp(key, "ja") == 0) {
		if (seen_once(ld, line, &o->seen, KEY_JA, key))
			o->pub.name_ja = dup_or_oom(ld, val);
	} else if (strcmp(key, "en") == 0) {
		if (seen_once(ld, line, &o->seen, KEY_EN, key))
			o->pub.name_en = dup_or_oom(ld, val);
	} else {
		problem(ld, line, "unknown key '%s' in option %s (ja, en)",
			key, o->pub.id);
	}
}

static void
cat_item_options(struct loader *ld, int line, struct item_priv *it,
		 char *val)
{
	char *w, **slot;
	size_t i;

	it->options_line = line;
	while ((w = next_word(&val)) != NULL) {
		for (i = 0; i < it->pub.n_options; i++)
			if (strcmp(it->pub.options[i], w) == 0)
				break;
		if (i < it->pub.n_options) {
			problem(ld, line, "option '%s' listed twice", w);
			continue;
		}
		slot = push(&it->pub.options, &it->pub.n_options,
			    sizeof(*slot));
		if (slot == NULL || (*slot = dup_or_oom(ld, w)) == NULL) {
			ld->oom = 1;
			return;
		}
	}
}

static void
cat_item_key(struct loader *ld, int line, const char *key, char *val)
{
	struct item_priv *it = &ld->r->items[ld->index];
	struct rules_item *p = &it->pub;

	if (strcmp(key, "ja") == 0) {
		if (seen_once(ld, line, &it->seen, KEY_JA, key))
			p->name_ja = dup_or_oom(ld, val);
	} else if (strcmp(key, "en") == 0) {
		if (seen_once(ld, line, &it->seen, KEY_EN, key))
			p->name_en = dup_or_oom(ld, val);
	} else if (strcmp(key, "identity") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_IDENTITY, key))
			return;
		if (parse_yes_no(val, &p->identity_required) < 0)
			problem(ld, line, "identity must be yes or no, not "
				"'%s'", val);
	} else if (strcmp(key, "urgent") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_URGENT, key))
			return;
		if (parse_yes_no(val, &p->urgent) < 0)
			problem(ld, line, "urgent must be yes or no, not "
				"'%s'", val);
	} else if (strcmp(key, "channel") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_CHANNEL, key))
			return;
		if (parse_channel(val, &p->channel) < 0)
			problem(ld, line, "unknown channel '%s' (email, phone "
				"or none)", val);
	} else if (strcmp(key, "notify") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_NOTIFY, key))
			return;
		if (parse_notify(val, &p->notify) < 0)
			problem(ld, line, "unknown notify '%s' "
				"(monitoring-email or none)", val);
	} else if (strcmp(key, "options") == 0) {
		if (seen_once(ld, line, &it->seen, KEY_OPTIONS, key))
			cat_item_options(ld, line, it, val);
	} else if (strcmp(key, "facets") == 0) {
		char *w;

		while ((w = next_word(&val)) != NULL) {
			char **slot;

			if (!valid_id(w)) {
				problem(ld, line, "bad facet '%s'", w);
				continue;
			}
			slot = push(&p->facets, &p->n_facets, sizeof(*slot));
			if (slot == NULL || (*slot = dup_or_oom(ld, w)) == NULL) {
				ld->oom = 1;
				return;
			}
		}
	} else if (strcmp(key, "alias") == 0) {
		char **slot = push(&p->aliases, &p->n_aliases, sizeof(*slot));

		if (slot == NULL || (*slot = dup_or_oom(ld, val)) == NULL)
			ld->oom = 1;
	} else {
		problem(ld, line, "unknown key '%s' in %s (ja, en, identity, "
			"channel, notify, options, alias, facets, urgent)", key,
			p->id);
	}
}

static void
cat_line(struct loader *ld, int line, char *s)
{
	char *key = next_word(&s);

	if (strcmp(key, "option") == 0 || strcmp(key, "task") == 0 ||
	    strcmp(key, "class") == 0) {
		cat_header(ld, line, key, s);
		return;
	}
	if (ld->rec == REC_NONE) {
		problem(ld, line, "'%s' before the first option, task or "
			"class", key);
		return;
	}
	if (ld->skip)
		return;
	if (*s == '\0') {
		problem(ld, line, "'%s' without a value", key);
		return;
	}
	if (ld->rec == REC_OPTION)
		cat_option_key(ld, line, key, s);
	else
		cat_item_key(ld, line, key, s);
}

static struct option_priv *
option_find(struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_options; i++)
		if (strcmp(r->options[i].pub.id, id) == 0)
			return &r->options[i];
	return NULL;
}

static void
cat_finish(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i, j;

	for (i = 0; i < r->n_options; i++) {
		struct option_priv *o = &r->options[i];

		if (!(o->seen & KEY_JA))
			problem(ld, o->line, "option %s has no ja name",
				o->pub.id);
		if (!(o->seen & KEY_EN))
			problem(ld, o->line, "option %s has no en name",
				o->pub.id);
	}
	for (i = 0; i < r->n_items; i++) {
		struct item_priv *it = &r->items[i];
		struct rules_item *p = &it->pub;

		if (!(it->seen & KEY_JA))
			problem(ld, it->line, "%s has no ja name", p->id);
		if (!(it->seen & KEY_EN))
			problem(ld, it->line, "%s has no en name", p->id);
		if (!(it->seen & KEY_IDENTITY))
			problem(ld, it->line, "%s has no identity line",
				p->id);
		if (!(it->seen & KEY_CHANNEL))
			problem(ld, it->line, "%s has no channel line", p->id);
		if ((it->seen & KEY_IDENTITY) && (it->seen & KEY_CHANNEL)) {
			if (p->identity_required &&
			    p->channel == RULES_CHANNEL_NONE)
				problem(ld, it->line, "%s requires identity "
					"confirmation but has channel none",
					p->id);
			if (!p->identity_required &&
			    p->channel != RULES_CHANNEL_NONE)
				problem(ld, it->line, "%s has a channel but "
					"no identity confirmation", p->id);
		}
		if (p->catalogue) {
			if (!(it->seen & KEY_NOTIFY))
				problem(ld, it->line, "task %s has no notify "
					"line", p->id);
			if (p->n_options == 0 && !(it->seen & KEY_OPTIONS))
				problem(ld, it->line, "task %s has no "
					"options line", p->id);
			else if (p->n_options == 0)
				problem(ld, it->options_line, "task %s lists "
					"no option", p->id);
		} else if (p->n_options > 0) {
			problem(ld, it->options_line, "class %s cannot need "
				"options", p->id);
		}
		for (j = 0; j < p->n_options; j++)
			if (option_find(r, p->options[j]) == NULL)
				problem(ld, it->options_line, "unknown option "
					"'%s'", p->options[j]);
	}
	for (i = 0; i < G_N_ELEMENTS(required_classes); i++)
		if (rules_item_find(r, required_classes[i]) == NULL)
			problem(ld, 0, "class %s is missing",
				required_classes[i]);
}

/* The normalised names of each item, for rules_item_by_name(); built on
 * first use, since NFKC of some hundred names costs half a millisecond
 * that most processes never need.  Returns 0 or -1 (out of memory). */
static int
item_keys(struct rules *r)
{
	size_t i, j, n;

	if (r->keys_done)
		return 0;
	for (i = 0; i < r->n_items; i++) {
		struct item_priv *it = &r->items[i];
		const char *names[3] = {
			it->pub.id, it->pub.name_ja, it->pub.name_en,
		};

		if (it->keys != NULL)
			continue;
		n = 3 + it->pub.n_aliases;
		it->keys = calloc(n, sizeof(*it->keys));
		if (it->keys == NULL)
			return -1;
		for (j = 0; j < n; j++) {
			const char *s = j < 3 ? names[j] :
					it->pub.aliases[j - 3];

			if (s == NULL)
				continue;
			it->keys[it->n_keys] = name_key(s, -1);
			if (it->keys[it->n_keys] == NULL)
				return -1;
			it->n_keys++;
		}
	}
	r->keys_done = 1;
	return 0;
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
			problem(ld, line, "unknown macro {{%.*s}}",
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
	char *name = next_word(&s), *val = next_word(&s);
	size_t i;
	long v;

	if (name == NULL || val == NULL || *s != '\0') {
		problem(ld, line, "expected: set NAME NUMBER");
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(settings); i++)
		if (strcmp(settings[i].name, name) == 0)
			break;
	if (i == G_N_ELEMENTS(settings)) {
		problem(ld, line, "unknown setting '%s'", name);
		return;
	}
	if (ld->settings_seen & (1u << i))
		problem(ld, line, "setting '%s' given twice", name);
	ld->settings_seen |= 1u << i;
	if (parse_long(val, &v) < 0 || v < settings[i].min ||
	    v > settings[i].max) {
		problem(ld, line, "%s must be a number from %ld to %ld", name,
			settings[i].min, settings[i].max);
		return;
	}
	*(long *)((char *)ld->r + settings[i].off) = v;
}

static void
rules_define(struct loader *ld, int line, char *s)
{
	char *name = next_word(&s), *value;
	struct macro *m;
	size_t i;

	if (name == NULL || *s == '\0') {
		problem(ld, line, "expected: define NAME REGEX");
		return;
	}
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_' ||
		      (i > 0 && name[i] >= '0' && name[i] <= '9')))
			break;
	if (name[i] != '\0' || i == 0) {
		problem(ld, line, "bad macro name '%s' (upper-case letters, "
			"digits and '_')", name);
		return;
	}
	if (macro_find(ld, name, strlen(name)) != NULL) {
		problem(ld, line, "duplicate macro '%s'", name);
		return;
	}
	value = expand(ld, line, s);
	if (value == NULL)
		return;
	m = push(&ld->macros, &ld->n_macros, sizeof(*m));
	if (m == NULL || (m->name = dup_or_oom(ld, name)) == NULL) {
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
	char *id = next_word(&s), *cls = next_word(&s);
	char *kw = next_word(&s), *prio = next_word(&s);
	const struct rules_item *item;
	struct rule *ru;
	long v;
	size_t i;

	ld->rule_seen = 1;
	ld->rule_open = 0;
	if (id == NULL || cls == NULL || kw == NULL || prio == NULL ||
	    *s != '\0' || strcmp(kw, "priority") != 0) {
		problem(ld, line, "expected: rule ID TASK priority N");
		return;
	}
	if (!valid_id(id)) {
		problem(ld, line, "bad rule id '%s'", id);
		return;
	}
	for (i = 0; i < r->n_rules; i++)
		if (strcmp(r->rules[i].id, id) == 0) {
			problem(ld, line, "duplicate rule id '%s' (first on "
				"line %d)", id, r->rules[i].line);
			return;
		}
	item = rules_item_find(r, cls);
	if (item == NULL) {
		problem(ld, line, "unknown task '%s' in rule %s", cls, id);
		return;
	}
	if (parse_long(prio, &v) < 0 || v < 0 || v > 1000) {
		problem(ld, line, "priority must be a number from 0 to 1000");
		return;
	}
	ru = push(&r->rules, &r->n_rules, sizeof(*ru));
	if (ru == NULL || (ru->id = dup_or_oom(ld, id)) == NULL) {
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
	char *scope = next_word(&s), *last;
	int sc;

	int strip = strcmp(kw, "strip") == 0;

	if (!strip && !ld->rule_seen) {
		problem(ld, line, "'%s' before the first rule", kw);
		return;
	}
	if (scope == NULL) {
		problem(ld, line, "expected: %s subject|body|any /REGEX/", kw);
		return;
	}
	if (strcmp(scope, "subject") == 0)
		sc = SCOPE_SUBJECT;
	else if (strcmp(scope, "body") == 0)
		sc = SCOPE_BODY;
	else if (strcmp(scope, "any") == 0)
		sc = SCOPE_ANY;
	else {
		problem(ld, line, "unknown scope '%s' (subject, body or any)",
			scope);
		return;
	}
	last = s + strlen(s);
	if (*s != '/' || last - s < 2 || last[-1] != '/') {
		problem(ld, line, "the pattern must be written /REGEX/");
		return;
	}
	if (last - s == 2) {
		problem(ld, line, "empty pattern");
		return;
	}
	if (!strip && !ld->rule_open)
		return;		/* its rule was bad: reported already */
	last[-1] = '\0';
	if (strip) {
		p = push(&r->strips, &r->n_strips, sizeof(*p));
		ru = NULL;
	} else {
		ru = &r->rules[r->n_rules - 1];
		p = push(&ru->pats, &ru->n_pats, sizeof(*p));
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
	char *kw = next_word(&s);

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
		problem(ld, line, "unknown keyword '%s' (set, define, strip, "
			"rule, match, require, not)", kw);
}

static void
rules_finish(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i;

	for (i = 0; i < r->n_rules; i++)
		if (r->rules[i].n_match == 0)
			problem(ld, r->rules[i].line, "rule %s has no match "
				"line", r->rules[i].id);
}

/* -- form.conf -- */

static void
form_line(struct loader *ld, int line, char *s)
{
	struct rules *r = ld->r;
	char *field = next_word(&s), *key;
	struct label *l;
	size_t i;

	for (i = 0; i < RULES_FIELD_COUNT; i++)
		if (strcmp(field, field_names[i]) == 0)
			break;
	if (i == RULES_FIELD_COUNT) {
		problem(ld, line, "unknown field '%s' (contract, name, email, "
			"phone, kind, server, content)", field);
		return;
	}
	if (*s == '\0') {
		problem(ld, line, "field %s without a label", field);
		return;
	}
	key = name_key(s, -1);
	if (key == NULL) {
		ld->oom = 1;
		return;
	}
	if (*key == '\0') {
		problem(ld, line, "label '%s' has no letters", s);
		free(key);
		return;
	}
	for (i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i].key, key) == 0) {
			problem(ld, line, "duplicate label '%s' (first on "
				"line %d)", s, r->labels[i].line);
			free(key);
			return;
		}
	l = push(&r->labels, &r->n_labels, sizeof(*l));
	if (l == NULL) {
		free(key);
		ld->oom = 1;
		return;
	}
	for (i = 0; i < RULES_FIELD_COUNT; i++)
		if (strcmp(field, field_names[i]) == 0)
			l->field = (enum rules_field)i;
	l->key = key;
	l->line = line;
}

static void
form_finish(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i, j;

	for (i = 0; i < RULES_FIELD_COUNT; i++) {
		for (j = 0; j < r->n_labels; j++)
			if (r->labels[j].field == (enum rules_field)i)
				break;
		if (j == r->n_labels)
			problem(ld, 0, "no label for field %s",
				field_names[i]);
	}
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

static void compile_all(struct loader *ld);

/* Reads the three files; with check, also compiles every pattern so that
 * bad ones are reported with the rest. */
static int
load(struct rules **rp, const char *dir, rules_report_fn *report,
     void *ctx, int check, struct mp_err *err)
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
	cat_path = path_join(dir, CATALOGUE_FILE);
	form_path = path_join(dir, FORM_FILE);
	r->rules_path = path_join(dir, RULES_FILE);
	if (cat_path == NULL || form_path == NULL || r->rules_path == NULL)
		goto oom;

	/* The catalogue first: rules name its tasks. */
	ld.file = cat_path;
	if (each_line(&ld, cat_line) == 0 && !ld.oom)
		cat_finish(&ld);
	if (ld.oom)
		goto oom;

	ld.file = r->rules_path;
	if (each_line(&ld, rules_line) == 0 && !ld.oom)
		rules_finish(&ld);
	if (ld.oom)
		goto oom;

	ld.file = form_path;
	if (each_line(&ld, form_line) == 0 && !ld.oom)
		form_finish(&ld);
	if (ld.oom)
		goto oom;

	if (check) {
		compile_all(&ld);
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
	return load(rp, dir, report, ctx, 0, err);
}

int
rules_check_dir(const char *dir, rules_report_fn *report, void *ctx,
		struct mp_err *err)
{
	struct rules *r;

	if (load(&r, dir, report, ctx, 1, err) < 0)
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

	/* The text is lower-cased before matching (nfkc_lower()), so an
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
		problem(ld, p->line, "%s", msg);
		return 0;
	}
}

/* Compiles every pattern not compiled yet, reporting each bad one. */
static void
compile_all(struct loader *ld)
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

/* ---- preparing the text ---------------------------------------------- */

static size_t utf8_cut(const char *s, size_t len, size_t max);

static int
starts_ci(const char *s, const char *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s != '\0'; s++)
		if (g_ascii_strncasecmp(s, needle, n) == 0)
			return 1;
	return 0;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A line that introduces quoted text: "On ... wrote:", "... さんは書きま
 * した:", Gmail's "2024年1月10日(水) 10:00 Name <a@b>:". */
static int
is_attribution(const char *t, size_t len)
{
	if (len == 0 || t[len - 1] != ':')
		return 0;
	if (contains_ci(t, "wrote") || strstr(t, "書きました") != NULL ||
	    strstr(t, "のメッセージ:") != NULL ||
	    strstr(t, "のメール:") != NULL)
		return 1;
	return ends_with(t, len, ">:") && strchr(t, '@') != NULL;
}

/* A line after which everything is history: forwarded or original
 * message markers, Outlook's rule line, "Begin forwarded message:". */
static int
is_separator(const char *t, size_t len)
{
	size_t i;

	if (starts_ci(t, "begin forwarded message"))
		return 1;
	if (len >= 10) {
		for (i = 0; i < len && t[i] == '_'; i++)
			;
		if (i == len)
			return 1;
	}
	if (len < 3 || strncmp(t, "---", 3) != 0)
		return 0;
	return contains_ci(t, "original message") ||
	       contains_ci(t, "forwarded message") ||
	       contains_ci(t, "forwarded by") ||
	       strstr(t, "転送") != NULL ||
	       strstr(t, "元のメッセージ") != NULL ||
	       strstr(t, "オリジナルメッセージ") != NULL;
}

/* The state of unquoting, carried from one chunk of text to the next. */
struct unquoter {
	struct buf out;
	int after_attribution;	/* the last text line introduced a quote */
	int stopped;		/* history or signature reached */
};

/* Appends to q->out the lines of s (NFKC-normalised, whole lines) that the
 * writer wrote now: quoted lines, attribution lines, history after
 * separators and the signature after "-- " are left out. */
static void
unquote_chunk(struct unquoter *q, const char *s)
{
	const char *p = s, *nl, *t;
	size_t len, tlen;

	while (*p != '\0' && !q->stopped) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		for (t = p; t < p + len && is_space((unsigned char)*t); t++)
			;
		tlen = (size_t)(p + len - t);
		while (tlen > 0 && is_space((unsigned char)t[tlen - 1]))
			tlen--;
		if (q->after_attribution && tlen > 0) {
			if (*t != '>') {
				q->stopped = 1;
				break;
			}
			q->after_attribution = 0;
		}
		if ((len == 3 && memcmp(p, "-- ", 3) == 0) ||
		    (len == 2 && memcmp(p, "--", 2) == 0)) {
			q->stopped = 1;
		} else if (tlen > 0 && *t == '>') {
			/* quoted */
		} else if (is_separator(t, tlen)) {
			q->stopped = 1;
		} else if (is_attribution(t, tlen)) {
			q->after_attribution = 1;
		} else {
			buf_add(&q->out, p, len);
			buf_add(&q->out, "\n", 1);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* The end of the next chunk of s to normalise: about want bytes, ended
 * after a newline or, in a very long line, at a character boundary. */
static size_t
chunk_end(const char *s, size_t len, size_t want)
{
	const char *nl;

	if (len <= want)
		return len;
	nl = memchr(s + want, '\n', len - want < want ? len - want : want);
	if (nl != NULL)
		return (size_t)(nl - s) + 1;
	return utf8_cut(s, len, 2 * want);
}

/* The text to classify: raw text NFKC-normalised and unquoted chunk by
 * chunk until limit bytes are collected, so that a long mail costs no
 * more than a short one.  Returns a malloc'd string or NULL. */
static char *
body_prepare(const char *raw, size_t limit)
{
	struct unquoter q = { 0 };
	size_t len = strlen(raw), off = 0, n;
	char *norm;

	while (off < len && !q.stopped && q.out.len < limit &&
	       off < MAX_SCAN) {
		n = chunk_end(raw + off, len - off, limit);
		norm = nfkc_lower(raw + off, (gssize)n);
		unquote_chunk(&q, norm);
		g_free(norm);
		off += n;
	}
	return buf_detach(&q.out, NULL);
}

/* All of a text, NFKC-normalised and unquoted (for forms).  Returns a
 * malloc'd string or NULL. */
static char *
text_prepare(const char *raw)
{
	struct unquoter q = { 0 };
	char *norm = nfkc(raw, -1);

	unquote_chunk(&q, norm);
	g_free(norm);
	return buf_detach(&q.out, NULL);
}

/* Strips reply and forward prefixes ("Re:", "Fwd:", "転送:", "Re[2]:")
 * and ticket tags ("[support#12]") from the front of a normalised
 * subject; sets *reply when a prefix was found.  Returns a pointer into
 * s. */
static const char *
subject_strip(const char *s, int *reply)
{
	static const char *const prefixes[] = {
		"re", "fwd", "fw", "aw", "sv", "tr", "wg", "転送", "返信",
	};
	const char *p, *q;
	size_t i, n;
	int again = 1;

	*reply = 0;
	p = s;
	while (again) {
		again = 0;
		while (is_space((unsigned char)*p))
			p++;
		if (*p == '[') {
			q = strchr(p, ']');
			if (q != NULL && memchr(p, '#', (size_t)(q - p))) {
				p = q + 1;
				again = 1;
				continue;
			}
		}
		for (i = 0; i < G_N_ELEMENTS(prefixes); i++) {
			n = strlen(prefixes[i]);
			if (!starts_ci(p, prefixes[i]))
				continue;
			q = p + n;
			if (*q == '[' || *q == '(') {
				q++;
				while (*q >= '0' && *q <= '9')
					q++;
				if (*q != ']' && *q != ')')
					continue;
				q++;
			}
			while (*q == ' ')
				q++;
			if (*q != ':')
				continue;
			p = q + 1;
			*reply = 1;
			again = 1;
			break;
		}
	}
	return p;
}

/* Cuts s to at most max bytes, at a character boundary. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* ---- forms ------------------------------------------------------------ */

static const struct label *
label_find(const struct rules *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i].key, key) == 0)
			return &r->labels[i];
	return NULL;
}

/* If line (normalised, len bytes) starts with a known label, returns its
 * field and sets *value to where the value starts; else -1. */
static int
form_label(const struct rules *r, const char *line, size_t len,
	   const char **value)
{
	const char *p = line, *end = line + len, *lstart, *lend, *v;
	const struct label *l;
	char *key;
	int field = -1;

	while (p < end && is_space((unsigned char)*p))
		p++;
	/* Bullets some gateways put before labels. */
	if (end - p >= 3 && (memcmp(p, "■", 3) == 0 ||
			     memcmp(p, "●", 3) == 0 ||
			     memcmp(p, "◆", 3) == 0 ||
			     memcmp(p, "・", 3) == 0))
		p += 3;
	else if (p < end && (*p == '*' || *p == '-'))
		p++;
	while (p < end && is_space((unsigned char)*p))
		p++;
	if (end - p >= 3 && memcmp(p, "【", 3) == 0) {
		lstart = p + 3;
		lend = strstr(lstart, "】");
		if (lend == NULL || lend >= end)
			return -1;
		v = lend + 3;
		if (v < end && *v == ':')
			v++;
	} else if (p < end && *p == '[') {
		lstart = p + 1;
		lend = memchr(lstart, ']', (size_t)(end - lstart));
		if (lend == NULL)
			return -1;
		v = lend + 1;
		if (v < end && *v == ':')
			v++;
	} else {
		lstart = p;
		lend = memchr(p, ':', (size_t)(end - p));
		if (lend == NULL || lend - lstart > 60)
			return -1;
		v = lend + 1;
	}
	if (lend == lstart)
		return -1;
	key = name_key(lstart, lend - lstart);
	if (key == NULL)
		return -2;
	l = label_find(r, key);
	free(key);
	if (l != NULL) {
		field = (int)l->field;
		while (v < end && is_space((unsigned char)*v))
			v++;
		*value = v;
	}
	return field;
}

static char *
trimmed_dup(const char *s, size_t len)
{
	while (len > 0 && is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

/* Parses already normalised text.  Returns 0 or -1 (out of memory). */
static int
form_parse_norm(const struct rules *r, const char *s,
		struct rules_form *form)
{
	struct buf vals[RULES_FIELD_COUNT];
	const char *p = s, *nl, *value = NULL;
	size_t len, i;
	int field, cur = -1, rc = 0;

	memset(form, 0, sizeof(*form));
	memset(vals, 0, sizeof(vals));
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		field = form_label(r, p, len, &value);
		if (field == -2) {
			rc = -1;
			break;
		}
		if (field >= 0) {
			cur = field;
			/* a label seen twice keeps both values */
			if (vals[cur].p != NULL)
				buf_add(&vals[cur], "\n", 1);
			else
				form->n_fields++;
			buf_add(&vals[cur], value, (size_t)(p + len - value));
		} else if (cur >= 0) {
			buf_add(&vals[cur], "\n", 1);
			buf_add(&vals[cur], p, len);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (i = 0; i < RULES_FIELD_COUNT; i++) {
		if (vals[i].oom)
			rc = -1;
		if (vals[i].p != NULL && rc == 0) {
			form->field[i] = trimmed_dup(vals[i].p, vals[i].len);
			if (form->field[i] == NULL)
				rc = -1;
		}
		free(vals[i].p);
	}
	if (rc < 0)
		rules_form_release(form);
	return rc;
}

int
rules_form_parse(const struct rules *r, const char *text,
		 struct rules_form *form, struct mp_err *err)
{
	char *u;
	int rc;

	memset(form, 0, sizeof(*form));
	if (text == NULL)
		return 0;
	u = text_prepare(text);
	if (u == NULL)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	rc = form_parse_norm(r, u, form);
	free(u);
	if (rc < 0)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	return 0;
}

char *
rules_own_text(const char *text)
{
	return body_prepare(text != NULL ? text : "", 64 * 1024);
}

void
rules_form_release(struct rules_form *form)
{
	size_t i;

	for (i = 0; i < RULES_FIELD_COUNT; i++)
		free(form->field[i]);
	memset(form, 0, sizeof(*form));
}

const char *
rules_field_name(enum rules_field field)
{
	if ((int)field < 0 || field >= RULES_FIELD_COUNT)
		return NULL;
	return field_names[field];
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
	nsubj = nfkc_lower(subject != NULL ? subject : "", -1);
	p->body = body_prepare(text != NULL ? text : "",
			       (size_t)r->body_limit);
	if (nsubj == NULL || p->body == NULL)
		goto oom;
	stripped = subject_strip(nsubj, &p->reply);
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
	len = utf8_cut(p->body, strlen(p->body), (size_t)r->body_limit);
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

/* ---- lookups ---------------------------------------------------------- */

const struct rules_item *
rules_item_find(const struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_items; i++)
		if (strcmp(r->items[i].pub.id, id) == 0)
			return &r->items[i].pub;
	return NULL;
}

const struct rules_item *
rules_item_by_name(const struct rules *r, const char *name)
{
	char *key;
	size_t i, j;
	const struct rules_item *found = NULL;

	/* The name table is a cache: building it does not change what r
	 * means, hence the cast. */
	if (item_keys((struct rules *)r) < 0)
		return NULL;
	key = name_key(name, -1);
	if (key == NULL || *key == '\0') {
		free(key);
		return NULL;
	}
	for (i = 0; i < r->n_items && found == NULL; i++)
		for (j = 0; j < r->items[i].n_keys; j++)
			if (strcmp(r->items[i].keys[j], key) == 0) {
				found = &r->items[i].pub;
				break;
			}
	free(key);
	return found;
}

size_t
rules_item_count(const struct rules *r)
{
	return r->n_items;
}

const struct rules_item *
rules_item_at(const struct rules *r, size_t i)
{
	return i < r->n_items ? &r->items[i].pub : NULL;
}

const struct rules_option *
rules_option_find(const struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_options; i++)
		if (strcmp(r->options[i].pub.id, id) == 0)
			return &r->options[i].pub;
	return NULL;
}

size_t
rules_option_count(const struct rules *r)
{
	return r->n_options;
}

const struct rules_option *
rules_option_at(const struct rules *r, size_t i)
{
	return i < r->n_options ? &r->options[i].pub : NULL;
}

int
rules_item_covered(const struct rules_item *item, const char *options)
{
	const char *p = options, *e;
	size_t i, n;

	if (item->n_options == 0)
		return 1;
	if (options == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		for (e = p; *e != '\0' && *e != ' ' && *e != ',' &&
		     *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		for (i = 0; n > 0 && i < item->n_options; i++)
			if (strlen(item->options[i]) == n &&
			    memcmp(item->options[i], p, n) == 0)
				return 1;
		p = e;
	}
	return 0;
}

const char *
rules_channel_name(enum rules_channel channel)
{
	switch (channel) {
	case RULES_CHANNEL_EMAIL:
		return "email";
	case RULES_CHANNEL_PHONE:
		return "phone";
	default:
		return NULL;
	}
}
