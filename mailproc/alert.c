/*
 * alert.c: monitoring alerts by mail.
 *
 * The format is a short list of PCRE2 patterns, one per field, each
 * looking in the subject or the body and taking its first capture
 * group, so that another monitoring system's mail is read by editing
 * rules/alerts.conf, not the code.  Kinds and the words of a recovery
 * are matched case-insensitively, after trimming.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert.h"
#include "log.h"
#include "rules.h"

enum field { F_HOST, F_KIND, F_SERVICE, F_STATE, F_TIME, F_COUNT };

static const char *const field_names[F_COUNT] = {
	"host", "kind", "service", "state", "time",
};

static const char *const kind_names[ALERT_KIND_COUNT] = {
	"ping", "service", "resource", "hardware", "network",
};

#define MAX_ALIASES 64
#define MAX_RECOVERY 16
#define MAX_VALUE 200

struct alert_format {
	pcre2_code *code[F_COUNT];
	int in_subject[F_COUNT];
	struct { char *word; enum alert_kind kind; } alias[MAX_ALIASES];
	size_t n_alias;
	char *recovery[MAX_RECOVERY];
	size_t n_recovery;
};

/* What a missing alerts.conf means; rules/alerts.conf ships the same. */
static const char default_format[] =
	"host    body ^host:[ \\t]*(\\S+)\n"
	"kind    body ^kind:[ \\t]*(\\S+)\n"
	"service body ^service:[ \\t]*(.*?)[ \\t]*$\n"
	"state   body ^state:[ \\t]*(\\S+)\n"
	"time    body ^time:[ \\t]*(.*?)[ \\t]*$\n"
	"alias process resource\n"
	"alias icmp ping\n"
	"recovery recovery ok up resolved\n";

struct loader {
	struct alert_format *f;
	const char *file;
	alert_report_fn *report;
	void *ctx;
	int problems;
	char first[300];
};

static void
problem(struct loader *ld, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->problems++ == 0)
		snprintf(ld->first, sizeof(ld->first), "%s:%d: %s", ld->file,
			 line, msg);
	if (ld->report != NULL)
		ld->report(ld->ctx, ld->file, line, msg);
}

static int
kind_of(const char *word, enum alert_kind *k)
{
	int i;

	for (i = 0; i < ALERT_KIND_COUNT; i++)
		if (strcasecmp(word, kind_names[i]) == 0) {
			*k = (enum alert_kind)i;
			return 0;
		}
	return -1;
}

static void
field_line(struct loader *ld, int line, int field, char *rest)
{
	struct alert_format *f = ld->f;
	char *save = NULL;
	char *where = strtok_r(rest, " \t", &save);
	char *pat = strtok_r(NULL, "", &save);
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int code;
	uint32_t groups = 0;

	if (where == NULL || pat == NULL ||
	    (strcmp(where, "subject") != 0 && strcmp(where, "body") != 0)) {
		problem(ld, line, "want: %s subject|body PATTERN",
			field_names[field]);
		return;
	}
	pat += strspn(pat, " \t");
	if (f->code[field] != NULL) {
		problem(ld, line, "%s given twice", field_names[field]);
		return;
	}
	f->in_subject[field] = strcmp(where, "subject") == 0;
	f->code[field] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				       PCRE2_CASELESS | PCRE2_MULTILINE |
				       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				       &code, &off, NULL);
	if (f->code[field] == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		problem(ld, line, "%s: bad pattern at %zu: %s",
			field_names[field], (size_t)off, (char *)msg);
		return;
	}
	pcre2_pattern_info(f->code[field], PCRE2_INFO_CAPTURECOUNT, &groups);
	if (groups < 1)
		problem(ld, line, "%s: the pattern has no (capture group) for "
			"the value", field_names[field]);
}

static void
parse_line(struct loader *ld, int line, char *s)
{
	struct alert_format *f = ld->f;
	char *save = NULL;
	char *word = strtok_r(s, " \t", &save);
	char *rest = strtok_r(NULL, "", &save);
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (strcmp(word, field_names[i]) == 0) {
			field_line(ld, line, i, rest ? rest : (char *)"");
			return;
		}
	if (strcmp(word, "alias") == 0) {
		char *w = rest ? strtok_r(rest, " \t", &save) : NULL;
		char *k = w ? strtok_r(NULL, " \t", &save) : NULL;
		enum alert_kind kind;

		if (w == NULL || k == NULL || strtok_r(NULL, " \t", &save) != NULL ||
		    kind_of(k, &kind) < 0) {
			problem(ld, line, "want: alias WORD ping|service|"
				"resource|hardware|network");
			return;
		}
		if (f->n_alias == MAX_ALIASES) {
			problem(ld, line, "more than %d aliases", MAX_ALIASES);
			return;
		}
		f->alias[f->n_alias].word = strdup(w);
		f->alias[f->n_alias++].kind = kind;
		return;
	}
	if (strcmp(word, "recovery") == 0) {
		char *w;

		for (w = rest ? strtok_r(rest, " \t", &save) : NULL;
		     w != NULL; w = strtok_r(NULL, " \t", &save)) {
			if (f->n_recovery == MAX_RECOVERY) {
				problem(ld, line, "more than %d recovery "
					"words", MAX_RECOVERY);
				return;
			}
			f->recovery[f->n_recovery++] = strdup(w);
		}
		return;
	}
	problem(ld, line, "unknown line '%s' (host, kind, service, state, "
		"time, alias, recovery)", word);
}

static void
parse_text(struct loader *ld, char *text)
{
	char *line, *save = NULL, *s;
	int n = 0;

	for (line = text; line != NULL; line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		n++;
		s = line + strspn(line, " \t");
		s[strcspn(s, "\r")] = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		parse_line(ld, n, s);
	}
	if (ld->f->code[F_HOST] == NULL || ld->f->code[F_STATE] == NULL ||
	    ld->f->code[F_KIND] == NULL)
		problem(ld, n, "host, kind and state must each have a pattern");
}

int
alert_format_load(struct alert_format **f_r, const char *site_dir,
		  const char *rules_dir, alert_report_fn *report, void *ctx,
		  struct mp_err *err)
{
	struct loader ld = { 0 };
	char path[4096], *text = NULL;
	gsize len;
	GError *gerr = NULL;

	*f_r = NULL;
	ld.f = calloc(1, sizeof(*ld.f));
	if (ld.f == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	if (rules_file_path(path, sizeof(path), site_dir, rules_dir,
			    ALERT_FILE, NULL) == NULL) {
		free(ld.f);
		return mp_err_set(err, MP_PERM, "%s: path too long", rules_dir);
	}
	ld.file = path;
	ld.report = report;
	ld.ctx = ctx;
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		int missing = g_error_matches(gerr, G_FILE_ERROR,
					      G_FILE_ERROR_NOENT);

		if (!missing)
			problem(&ld, 0, "cannot read: %s", gerr->message);
		g_error_free(gerr);
		text = g_strdup(default_format);
		ld.file = "(default alert format)";
	} else if (!g_utf8_validate(text, (gssize)len, NULL) ||
		   strlen(text) != len) {
		problem(&ld, 0, "not UTF-8 text");
	}
	if (ld.problems == 0)
		parse_text(&ld, text);
	g_free(text);
	if (ld.problems > 0) {
		alert_format_free(&ld.f);
		return mp_err_set(err, MP_PERM, "%s%s", ld.first,
				  ld.problems > 1 ? " (and more)" : "");
	}
	*f_r = ld.f;
	return 0;
}

void
alert_format_free(struct alert_format **fp)
{
	struct alert_format *f;
	size_t i;

	if (fp == NULL || (f = *fp) == NULL)
		return;
	for (i = 0; i < F_COUNT; i++)
		pcre2_code_free(f->code[i]);
	for (i = 0; i < f->n_alias; i++)
		free(f->alias[i].word);
	for (i = 0; i < f->n_recovery; i++)
		free(f->recovery[i]);
	free(f);
	*fp = NULL;
}

/* The first capture of field's pattern in s, trimmed and bounded, as a
 * new string; NULL when it does not match. */
static char *
capture(const struct alert_format *f, int field, const char *s)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	char *v = NULL;
	size_t start, len;

	if (f->code[field] == NULL || s == NULL)
		return NULL;
	md = pcre2_match_data_create_from_pattern(f->code[field], NULL);
	if (md == NULL)
		return NULL;
	if (pcre2_match(f->code[field], (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED,
			0, 0, md, NULL) >= 2) {
		ov = pcre2_get_ovector_pointer(md);
		start = ov[2];
		len = ov[3] - ov[2];
		while (len > 0 && g_ascii_isspace(s[start])) {
			start++;
			len--;
		}
		while (len > 0 && g_ascii_isspace(s[start + len - 1]))
			len--;
		if (len > MAX_VALUE)
			len = MAX_VALUE;
		if (len > 0)
			v = g_utf8_make_valid(s + start, (gssize)len);
	}
	pcre2_match_data_free(md);
	return v;
}

int
alert_parse(const struct alert_format *f, const char *subject,
	    const char *text, struct alert *a, char *why, size_t size)
{
	char **slot[F_COUNT] = {
		&a->host, &a->kind_text, &a->service, &a->state, &a->time,
	};
	size_t i;
	int k;

	memset(a, 0, sizeof(*a));
	for (k = 0; k < F_COUNT; k++)
		*slot[k] = capture(f, k, f->in_subject[k] ? subject : text);
	if (a->host == NULL) {
		snprintf(why, size, "no host in the alert");
		goto bad;
	}
	if (a->state == NULL) {
		snprintf(why, size, "no state in the alert");
		goto bad;
	}
	if (a->kind_text == NULL || kind_of(a->kind_text, &a->kind) < 0) {
		for (i = 0; a->kind_text != NULL && i < f->n_alias; i++)
			if (strcasecmp(a->kind_text, f->alias[i].word) == 0)
				break;
		if (a->kind_text == NULL || i == f->n_alias) {
			snprintf(why, size, "unknown alert kind '%s'",
				 a->kind_text ? a->kind_text : "");
			goto bad;
		}
		a->kind = f->alias[i].kind;
	}
	for (i = 0; i < f->n_recovery; i++)
		if (strcasecmp(a->state, f->recovery[i]) == 0)
			a->recovery = 1;
	return 0;
bad:
	alert_release(a);
	return -1;
}

void
alert_release(struct alert *a)
{
	g_free(a->host);
	g_free(a->kind_text);
	g_free(a->service);
	g_free(a->state);
	g_free(a->time);
	memset(a, 0, sizeof(*a));
}

int
alert_wants_phone(const struct alert *a)
{
	switch (a->kind) {
	case ALERT_PING:
	case ALERT_RESOURCE:
		return 1;
	case ALERT_SERVICE:
		return a->service == NULL ||
		       (g_ascii_strncasecmp(a->service, "ssh", 3) != 0 &&
			g_ascii_strncasecmp(a->service, "telnet", 6) != 0);
	default:
		return 0;
	}
}

const char *
alert_kind_name(enum alert_kind kind)
{
	return kind < ALERT_KIND_COUNT ? kind_names[kind] : "?";
}

const char *
alert_key(const struct alert *a, char *buf, size_t size)
{
	char *host = g_ascii_strdown(a->host, -1);
	char *service = g_ascii_strdown(a->service ? a->service : "", -1);

	snprintf(buf, size, "alert:%s|%s|%s", host, kind_names[a->kind],
		 service);
	g_free(host);
	g_free(service);
	return buf;
}

/* The kinds in words, as the policy's table names them. */
static const char *
kind_words(enum alert_kind kind, const char *lang)
{
	static const char *const ja[ALERT_KIND_COUNT] = {
		"ping監視アラート", "サービス監視アラート",
		"プロセス・リソース監視アラート",
		"ハードウェア目視確認時の異常発見",
		"ネットワーク環境異常・機器故障",
	};
	static const char *const en[ALERT_KIND_COUNT] = {
		"ping monitoring alert", "service monitoring alert",
		"process/resource monitoring alert",
		"fault found in the hardware visual check",
		"network or equipment fault",
	};

	if (kind >= ALERT_KIND_COUNT)
		return "-";
	return lang != NULL && strcmp(lang, "en") == 0 ? en[kind] : ja[kind];
}

/* The values every alert template gets (vars has room for 8), in
 * lang. */
static size_t
alert_vars(struct tmpl_var *vars, const struct alert *a,
	   const struct store_contract *k, const char *lang)
{
	size_t n = 0;

	vars[n].name = "alert_host", vars[n++].value = a->host ? a->host : "-";
	vars[n].name = "alert_kind", vars[n++].value = kind_words(a->kind, lang);
	vars[n].name = "alert_service",
		vars[n++].value = a->service ? a->service : "-";
	vars[n].name = "alert_state", vars[n++].value = a->state ? a->state : "-";
	vars[n].name = "alert_time", vars[n++].value = a->time ? a->time : "-";
	vars[n].name = "contract_id", vars[n++].value = k ? k->id : "-";
	vars[n].name = "holder_name",
		vars[n++].value = k && k->holder_name ? k->holder_name : "-";
	vars[n].name = "emergency_phone",
		vars[n++].value = k && k->emergency_phone ? k->emergency_phone :
		"-";
	return n;
}

/* The alert's mail to the contract's monitoring-notification address,
 * or a history line saying there is none. */
static int
tell_customer(struct compose *c, const struct store_ticket *t,
	      const struct store_contract *k, const struct alert *a,
	      const char *template, struct mp_err *err)
{
	struct compose_mail mail = { 0 };
	struct tmpl_var vars[8];
	long long id;

	if (k->monitoring_email == NULL || *k->monitoring_email == '\0')
		return store_history_add(c->store, t->id, c->now, "mailproc",
					 "alert", "no monitoring-notification "
					 "address registered: the customer "
					 "is not mailed", err);
	mail.ticket = t->id;
	mail.template = template;
	mail.lang = t->lang;
	mail.to = k->monitoring_email;
	mail.automatic = 1;
	mail.policy = 1;	/* the policy's contact: never rate-limited */
	mail.vars = vars;
	mail.n_vars = alert_vars(vars, a, k, t->lang);
	return compose_queue(c, &mail, &id, err);
}

static int
tell_staff(struct compose *c, const struct store_ticket *t,
	   const struct store_contract *k, const struct alert *a,
	   const char *note, struct mp_err *err)
{
	struct tmpl_var vars[9];
	size_t n = alert_vars(vars, a, k, c->conf->language);

	vars[n].name = "staff_note", vars[n++].value = note;
	return compose_notify(c, c->conf->staff_addresses, t->id,
			      "staff-alert", vars, n, err);
}

int
alert_raised(struct compose *c, const struct store_ticket *t,
	     const struct store_contract *k, const struct alert *a,
	     const char *why, struct mp_err *err)
{
	int en = c->conf->language && strcmp(c->conf->language, "en") == 0;
	char note[400];

	if (k == NULL) {
		snprintf(note, sizeof(note), en ?
			 "Not sent to any customer: %s. Check the alert "
			 "and the registry." :
			 "お客さまへは送信していません：%s。アラートと"
			 "登録内容をご確認ください。", why);
		if (store_history_add(c->store, t->id, c->now, "mailproc",
				      "alert", why, err) < 0)
			return -1;
		return tell_staff(c, t, NULL, a, note, err);
	}
	if (tell_customer(c, t, k, a, "alert-notice", err) < 0)
		return -1;
	if (alert_wants_phone(a) && k->emergency_phone != NULL &&
	    *k->emergency_phone != '\0') {
		snprintf(note, sizeof(note), en ?
			 "CALL the registered emergency number %s now "
			 "(the policy's table: this alert is also given by "
			 "phone). The alert has been mailed to the "
			 "monitoring-notification address." :
			 "至急、登録済みの緊急時連絡先電話番号 %s へ電話で"
			 "ご連絡してください（ポリシーの表により、この"
			 "アラートは電話でもご連絡します）。監視通知連絡先"
			 "メールアドレスへはメールで通知済みです。",
			 k->emergency_phone);
		if (store_history_add(c->store, t->id, c->now, "mailproc",
				      "callback", "call the emergency number "
				      "about the alert", err) < 0)
			return -1;
	} else if (alert_wants_phone(a)) {
		snprintf(note, sizeof(note), en ?
			 "This alert is also given by phone, but the contract "
			 "has no emergency number registered." :
			 "このアラートは電話でもご連絡するものですが、"
			 "緊急時連絡先電話番号が登録されていません。");
	} else {
		snprintf(note, sizeof(note), en ?
			 "Mailed to the monitoring-notification address "
			 "(no phone call for this kind of alert)." :
			 "監視通知連絡先メールアドレスへメールで通知しました"
			 "（この種類のアラートは電話連絡なし）。");
	}
	return tell_staff(c, t, k, a, note, err);
}

int
alert_recovered(struct compose *c, const struct store_ticket *t,
		const struct store_contract *k, const struct alert *a,
		struct mp_err *err)
{
	int en = c->conf->language && strcmp(c->conf->language, "en") == 0;

	if (k != NULL && tell_customer(c, t, k, a, "alert-recovered",
				       err) < 0)
		return -1;
	if (tell_staff(c, t, k, a, en ? "Recovered: the ticket is closed."
		       : "復旧しました。チケットはクローズしました。",
		       err) < 0)
		return -1;
	return store_ticket_set_state(c->store, t->id, "closed", c->now,
				      "mailproc", "closed: the alert "
				      "recovered", err);
}
