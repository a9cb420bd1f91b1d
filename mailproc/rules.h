/*
 * The work catalogue and the classification of requests.  Owns rules/:
 * catalogue.conf (service menus as option ids, the catalogue's tasks and
 * the classes outside it), classify.rules (PCRE2 rules) and form.conf (the
 * labels of form-gateway mail); their parsing, validation and the PCRE2
 * code (the only module that includes pcre2.h).  Decoding mail is msg.c's,
 * the contract registry and what a ticket does with a class are the
 * callers'.  Patterns are compiled when first used, not at load, so a
 * process that loads the rules but classifies nothing pays only for
 * reading three small files; rules_check_dir() (check-config) compiles
 * everything at once.
 */
#ifndef MP_RULES_H
#define MP_RULES_H

#include <stddef.h>

#include "err.h"

struct rules;

enum rules_channel {
	RULES_CHANNEL_NONE = 0,	/* no identity confirmation */
	RULES_CHANNEL_EMAIL,	/* mail to the monitoring-notification addr. */
	RULES_CHANNEL_PHONE,	/* callback to the emergency phone number */
};

enum rules_notify {
	RULES_NOTIFY_NONE = 0,
	RULES_NOTIFY_MONITORING_EMAIL,	/* monitoring-notification address */
};

/* A service menu a contract subscribes to (the `options` of a contract). */
struct rules_option {
	char *id;		/* "monitoring-work-package" */
	char *name_ja;
	char *name_en;
};

/* A catalogue task ("reboot") or a class outside the catalogue
 * ("fault-report", "out-of-scope", "general"). */
struct rules_item {
	char *id;
	char *name_ja;
	char *name_en;
	int catalogue;		/* 1 for a task, 0 for the three classes */
	int identity_required;
	enum rules_channel channel;
	enum rules_notify notify;	/* where the completion notice goes */
	int urgent;		/* not held to business hours (fault-report) */
	char **options;		/* option ids; any one covers the task */
	size_t n_options;
	char **aliases;		/* further names accepted in the form's kind */
	size_t n_aliases;
	char **facets;		/* what it shares with other tasks, learnt as
				 * classes of their own ("exclusion") */
	size_t n_facets;
};

/* The labelled fields of form-gateway mail (labels from form.conf). */
enum rules_field {
	RULES_FIELD_CONTRACT = 0,	/* 契約ID */
	RULES_FIELD_NAME,		/* お名前 */
	RULES_FIELD_EMAIL,		/* メールアドレス: where answers go */
	RULES_FIELD_PHONE,		/* 電話番号 */
	RULES_FIELD_KIND,		/* 依頼種別: a task's name or id */
	RULES_FIELD_SERVER,		/* 対象サーバー */
	RULES_FIELD_CONTENT,		/* 内容: multi-line, normally last */
	RULES_FIELD_COUNT
};

struct rules_form {
	char *field[RULES_FIELD_COUNT];	/* NFKC-normalised, trimmed; or NULL */
	int n_fields;			/* how many labels were found */
};

#define RULES_MAX_TASKS 8
#define RULES_MAX_WHY 6
#define RULES_MAX_SCORES 16

/* What rules_classify() decided.  Every string points into the struct
 * rules (or into res itself) and stays valid until rules_free(). */
struct rules_result {
	const char *class;	/* a task id, "fault-report", "out-of-scope"
				 * or "general" */
	const char *by;		/* "form", "rule" or "model" */
	const char *rule;	/* the deciding rule id; "form-kind" when the
				 * form's kind field decided, "model" when
				 * the model did, "default" when nothing did */
	enum rules_channel channel;
	int identity_required;
	int urgent;
	double confidence;	/* 0..1 */
	const char *second_class;	/* the runner-up, or NULL */
	int triage;		/* unsure: staff must choose the class */
	const char *tasks[RULES_MAX_TASKS];	/* every identity task asked */
	size_t n_tasks;
	char why[RULES_MAX_WHY][96];	/* what weighed most */
	size_t n_why;
	struct {
		const char *class;
		double p;
	} scores[RULES_MAX_SCORES];	/* the model's best candidates */
	size_t n_scores;
	int form;		/* the text was read as form-gateway fields */
};

/* The text as the classifier reads it: NFKC, lower case, the subject
 * without reply prefixes and tags, the body without quotes, signatures
 * and what the strip patterns remove (for a form, its 内容 field). */
struct rules_prepared {
	char *subject, *body;
	int reply;		/* the subject had a reply prefix */
	int is_form;
	struct rules_form form;
};

/* Reports one problem in a rules file.  line is 1-based; 0 means the file
 * as a whole (it could not be read, or something is missing from it). */
typedef void rules_report_fn(void *ctx, const char *file, int line,
			     const char *msg);

/* Reads dir/catalogue.conf, dir/classify.rules and dir/form.conf.  Every
 * problem is passed to report (if not NULL) and parsing goes on; then,
 * if there was any, returns -1 with err set (MP_PERM, the first problem
 * and the count).  Regular expressions are compiled later, when a
 * classification first needs them (a bad one then fails rules_classify()
 * with MP_PERM).  On success *r is a new set, freed with rules_free(); on
 * failure *r is NULL.  MP_TEMP on out of memory. */
int rules_load(struct rules **r, const char *dir, rules_report_fn *report,
	       void *ctx, struct mp_err *err);

/* What check-config calls: everything rules_load() checks plus the
 * compilation of every pattern, all problems reported through report in
 * one pass.  Returns 0, or -1 with err set (MP_PERM; MP_TEMP on out of
 * memory). */
int rules_check_dir(const char *dir, rules_report_fn *report, void *ctx,
		    struct mp_err *err);

/* rules_load() and rules_check_dir() with site_dir (NULL or "": none)
 * in front: each file of rules/ that site_dir has wins over dir's, file
 * by file, so that local edits survive an upgrade of dir. */
int rules_load_site(struct rules **r, const char *site_dir, const char *dir,
		    rules_report_fn *report, void *ctx, struct mp_err *err);
int rules_check_site(const char *site_dir, const char *dir,
		     rules_report_fn *report, void *ctx, struct mp_err *err);

/* The file name of rules/ that serves: site_dir/name when it exists,
 * else dir/name; into buf (NULL when it does not fit).  *from_site (may
 * be NULL) says which. */
const char *rules_file_path(char *buf, size_t size, const char *site_dir,
			    const char *dir, const char *name,
			    int *from_site);

/* Releases r and sets *r to NULL; does nothing if *r is NULL. */
void rules_free(struct rules **r);

/* Classifies a message from its decoded subject and text (UTF-8; either
 * may be NULL; invalid bytes are tolerated).  The text is NFKC-normalised,
 * quoted history and signatures are dropped, and the subject weighs more
 * than the body.  With from_form, or when the text carries the form's
 * kind label and two more labels, the form's fields are read and a kind
 * naming a task decides.  Returns 0 with res filled, or -1 with err set
 * (MP_PERM: a pattern does not compile; MP_TEMP: out of memory). */
int rules_classify(struct rules *r, const char *subject, const char *text,
		   int from_form, struct rules_result *res,
		   struct mp_err *err);

/* Prepares subject and text as rules_classify() reads them (and as
 * `train` must, so both see the same features).  Returns 0 with p filled
 * (release with rules_prepared_release()), or -1 with err. */
int rules_prepare(struct rules *r, const char *subject, const char *text,
		  int from_form, struct rules_prepared *p,
		  struct mp_err *err);
void rules_prepared_release(struct rules_prepared *p);

/* Maps the learned model at path for rules_classify().  Returns 1, 0 when
 * there is no such file (the rules alone classify), or -1 with err
 * (MP_PERM: not a model of this version). */
int rules_model_load(struct rules *r, const char *path, struct mp_err *err);

/* check-config: whether the model at path exists and names exactly the
 * catalogue's tasks and classes; each problem goes to report.  Returns 0
 * or -1 with err. */
int rules_model_check(const struct rules *r, const char *path,
		      rules_report_fn *report, void *ctx,
		      struct mp_err *err);

/* Reads the labelled fields of form-gateway mail from text: one
 * "label: value" line per field (full-width colon and 【label】 also
 * accepted), lines without a label continuing the field before them.
 * Returns 0 with form filled (free with rules_form_release()), or -1 with
 * err set (MP_TEMP: out of memory). */
int rules_form_parse(const struct rules *r, const char *text,
		     struct rules_form *form, struct mp_err *err);

/* What the writer of text wrote now, as classification reads it:
 * NFKC-normalised, lower case, without quoted lines, attribution lines,
 * forwarded history or signature; at most about 64 KB.  Returns a new
 * string (caller frees), or NULL when out of memory. */
char *rules_own_text(const char *text);

/* Frees the fields of form and clears it. */
void rules_form_release(struct rules_form *form);

/* The field's name in form.conf ("contract", "kind", ...). */
const char *rules_field_name(enum rules_field field);

/* The catalogue task or class with this id, or NULL.  Borrowed from r. */
const struct rules_item *rules_item_find(const struct rules *r,
					 const char *id);

/* The task or class whose id, Japanese or English name or alias is name
 * (compared after NFKC, ignoring case, spaces and punctuation), or NULL. */
const struct rules_item *rules_item_by_name(const struct rules *r,
					    const char *name);

/* Items in file order: tasks and classes; i below rules_item_count(). */
size_t rules_item_count(const struct rules *r);
const struct rules_item *rules_item_at(const struct rules *r, size_t i);

/* The service menu with this option id, or NULL.  Borrowed from r. */
const struct rules_option *rules_option_find(const struct rules *r,
					     const char *id);
size_t rules_option_count(const struct rules *r);
const struct rules_option *rules_option_at(const struct rules *r, size_t i);

/* Whether a contract subscribing to options (ids separated by spaces or
 * commas; NULL means none) may ask for item: 1 if any of its options
 * covers the item or the item needs none (the three classes), else 0. */
int rules_item_covered(const struct rules_item *item, const char *options);

/* "email", "phone", or NULL for RULES_CHANNEL_NONE. */
const char *rules_channel_name(enum rules_channel channel);

#endif
