/*
 * rules_priv.h: what the modules behind rules.h share and no caller sees:
 * the loaded rules (struct rules), the loader that reads the files of
 * rules/ reporting file:line problems, and the text helpers they are all
 * read with.  rules.c loads (and parses classify.rules), catalogue.c owns
 * catalogue.conf and the lookups in it, form.c form.conf and form-gateway
 * mail, owntext.c cuts the customer's own text out of a mail, classify.c
 * matches patterns and decides.
 */
#ifndef MP_RULES_PRIV_H
#define MP_RULES_PRIV_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif

#include <glib.h>
#include <pcre2.h>
#include <stddef.h>

#include "rules.h"

/* The files of rules/. */
#define CATALOGUE_FILE	"catalogue.conf"
#define RULES_FILE	"classify.rules"
#define FORM_FILE	"form.conf"

/* Bytes of a mail's text read at most while looking for body_limit bytes
 * that are not quoted. */
#define MAX_SCAN	(1024 * 1024)

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

	int keys_done;		/* item_keys() ran */
	int jit_now;		/* this classification's body is long */
	unsigned long n_classified;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

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

/* -- the loader (rules.c) -- */

typedef void line_fn(struct loader *ld, int line, char *s);

/* Reports a problem at ld->file:line and counts it. */
void loader_problem(struct loader *ld, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* strdup() that sets ld->oom when out of memory. */
char *loader_strdup(struct loader *ld, const char *s);

/* -- helpers for the files of rules/ (rules.c) -- */

/* Appends one zeroed element to *v (of *n elements of size size); returns
 * it, or NULL when out of memory. */
void *rules_array_push(void *vp, size_t *n, size_t size);
int rules_is_space(int c);
/* Cuts the next blank-separated word off *p; returns it or NULL. */
char *rules_next_word(char **p);
/* Whether s is a task, class or option id: [a-z0-9][a-z0-9._-]*. */
int rules_valid_id(const char *s);
/* NFKC of s (invalid UTF-8 becomes U+FFFD first); to g_free(). */
char *rules_nfkc(const char *s, gssize len);
/* NFKC and lower case: the text patterns are matched against. */
char *rules_nfkc_lower(const char *s, gssize len);
/* NFKC, case-folded, without space and punctuation: how names and labels
 * compare.  malloc'd, or NULL when out of memory. */
char *rules_name_key(const char *s, gssize len);

/* -- catalogue.conf (catalogue.c) -- */

void catalogue_line(struct loader *ld, int line, char *s);
void catalogue_finish(struct loader *ld);

/* -- form.conf and form mail (form.c) -- */

void form_conf_line(struct loader *ld, int line, char *s);
void form_conf_finish(struct loader *ld);
/* Parses already normalised text.  Returns 0 or -1 (out of memory). */
int form_parse_norm(const struct rules *r, const char *s,
		    struct rules_form *form);

/* -- the customer's own text (owntext.c) -- */

/* Raw text NFKC-normalised, lower-cased and unquoted until limit bytes
 * are collected.  malloc'd, or NULL. */
char *owntext_body(const char *raw, size_t limit);
/* All of a text NFKC-normalised and unquoted (for forms).  malloc'd, or
 * NULL. */
char *owntext_all(const char *raw);
/* s without reply prefixes and ticket tags; *reply set when a prefix was
 * there.  Points into s. */
const char *owntext_subject(const char *s, int *reply);
/* The length of the longest prefix of s (len bytes) of at most max bytes
 * that ends on a UTF-8 character boundary. */
size_t owntext_utf8_cut(const char *s, size_t len, size_t max);

/* -- patterns (classify.c) -- */

/* Compiles every pattern, reporting bad ones (check-config). */
void classify_compile_all(struct loader *ld);

#endif
