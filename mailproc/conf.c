/*
 * conf.c: the key table and the `key = value` parser.
 *
 * Every key is declared once in conf_keys[] with its default, type and
 * bounds.  Problems are reported as "file:line: message" and parsing goes
 * on, so an administrator fixes everything in one pass.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"

enum conf_type {
	T_STR, T_ADDR, T_ADDRS, T_LOGINS, T_LONG, T_SIZE, T_DURATION, T_ENUM,
	T_SMTP_URL,	/* smtp:// or smtps://, a host, an optional port */
	T_WEB_URL,	/* empty, or http:// or https:// and a host */
	T_SPAN,		/* a wall-clock duration or "<N> business <unit>",
			 * kept as text: hours.c turns it into time */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def;	/* default as text; "@top/x" is under top */
	long long min, max;
	const char *choices;	/* T_ENUM: space separated */
};

#define S(f) offsetof(struct conf, f)
static const struct conf_key conf_keys[] = {
	{ "state_dir", T_STR, S(state_dir), "@top/spool", 0, 0, NULL },
	{ "rules_dir", T_STR, S(rules_dir), "@top/rules", 0, 0, NULL },
	{ "templates_dir", T_STR, S(templates_dir), "@top/templates", 0, 0,
	  NULL },
	{ "site_rules_dir", T_STR, S(site_rules_dir), "", 0, 0, NULL },
	{ "site_templates_dir", T_STR, S(site_templates_dir), "", 0, 0,
	  NULL },
	{ "model_file", T_STR, S(model_file), "", 0, 0, NULL },
	{ "support_address", T_ADDR, S(support_address),
	  "support@example.jp", 0, 0, NULL },
	{ "form_address", T_ADDR, S(form_address), "form@example.jp", 0, 0,
	  NULL },
	{ "staff_addresses", T_ADDRS, S(staff_addresses), "staff@example.jp",
	  0, 0, NULL },
	{ "staff_logins", T_LOGINS, S(staff_logins), "", 0, 0, NULL },
	{ "monitoring_centre_address", T_ADDR, S(monitoring_centre_address),
	  "noc@example.jp", 0, 0, NULL },
	{ "escalation_address", T_ADDRS, S(escalation_address), "", 0, 0,
	  NULL },
	{ "staff_digest", T_ENUM, S(staff_digest), "yes", 0, 0, "yes no" },
	{ "monitoring_centre_phone", T_STR, S(monitoring_centre_phone),
	  "0120-000-000", 0, 0, NULL },
	{ "company_name", T_STR, S(company_name),
	  "サンプルホスティング株式会社", 0, 0, NULL },
	{ "order_page_url", T_WEB_URL, S(order_page_url), "", 0, 0, NULL },
	{ "company_name_en", T_STR, S(company_name_en),
	  "Sample Hosting K.K.", 0, 0, NULL },
	{ "support_phone", T_STR, S(support_phone), "03-0000-0000", 0, 0,
	  NULL },
	{ "smtp_url", T_SMTP_URL, S(smtp_url), "smtp://127.0.0.1:25", 0, 0,
	  NULL },
	{ "smtp_user", T_STR, S(smtp_user), "", 0, 0, NULL },
	{ "smtp_password_file", T_STR, S(smtp_password_file), "", 0, 0, NULL },
	{ "imap_password_file", T_STR, S(imap_password_file), "", 0, 0, NULL },
	{ "subject_tag", T_STR, S(subject_tag), "SUPPORT", 0, 0, NULL },
	{ "timezone", T_STR, S(timezone), "Asia/Tokyo", 0, 0, NULL },
	{ "business_hours", T_STR, S(business_hours), "mon-fri 09:30-18:00",
	  0, 0, NULL },
	{ "year_end_closure", T_STR, S(year_end_closure), "12-29..01-03", 0,
	  0, NULL },
	{ "closed_dates", T_STR, S(closed_dates), "", 0, 0, NULL },
	{ "open_dates", T_STR, S(open_dates), "", 0, 0, NULL },
	{ "first_response_within", T_STR, S(first_response_within),
	  "1 business day", 0, 0, NULL },
	{ "outgoing_charset", T_ENUM, S(outgoing_charset), "utf-8", 0, 0,
	  "utf-8 iso-2022-jp" },
	{ "language", T_ENUM, S(language), "ja", 0, 0, "ja en" },
	{ "trusted_authserv_id", T_STR, S(trusted_authserv_id), "", 0, 0,
	  NULL },
	{ "max_message_size", T_SIZE, S(max_message_size), "50M", 1024,
	  (long long)1 << 40, NULL },
	{ "notify_attachment_limit", T_SIZE, S(notify_attachment_limit), "10M",
	  0, (long long)1 << 40, NULL },
	{ "auto_reply_limit", T_LONG, S(auto_reply_limit), "5", 0, 100000,
	  NULL },
	{ "notice_rate", T_LONG, S(notice_rate), "60", 1, 1000000, NULL },
	{ "alerts_address", T_ADDR, S(alerts_address), "alerts@example.jp",
	  0, 0, NULL },
	{ "alerts_senders", T_ADDRS, S(alerts_senders), "", 0, 0, NULL },
	{ "identity_token_ttl", T_SPAN, S(identity_token_ttl),
	  "3 business days", 0, 0, NULL },
	{ "callback_escalate_after", T_SPAN, S(callback_escalate_after),
	  "1 business day", 0, 0, NULL },
	{ "max_retry_age", T_DURATION, S(max_retry_age), "5d", 60,
	  30L * 86400, NULL },
	{ "smtp_timeout", T_DURATION, S(smtp_timeout), "60s", 1, 3600, NULL },
	{ "reopen_within", T_DURATION, S(reopen_within), "14d", 0,
	  365L * 86400, NULL },
	{ "retention", T_DURATION, S(retention), "0", 0, 3650L * 86400,
	  NULL },
	{ "lock_timeout", T_LONG, S(lock_timeout), "20000", 0, 600000, NULL },
	{ "max_mime_depth", T_LONG, S(max_mime_depth), "50", 1, 1000, NULL },
	{ "max_spool_attempts", T_LONG, S(max_spool_attempts), "10", 1, 1000,
	  NULL },
	{ "max_text_size", T_SIZE, S(max_text_size), "1M", 1024,
	  (long long)1 << 30, NULL },
	{ "message_budget_ms", T_LONG, S(message_budget_ms), "10000", 1,
	  3600000, NULL },
	{ "lmtp_listen", T_STR, S(lmtp_listen), "", 0, 0, NULL },
	{ "lmtp_max_sessions", T_LONG, S(lmtp_max_sessions), "20", 1, 1000,
	  NULL },
	{ "lmtp_timeout", T_DURATION, S(lmtp_timeout), "300s", 1, 3600,
	  NULL },
	{ "lmtp_login_header", T_STR, S(lmtp_login_header),
	  "X-Mailproc-Login", 0, 0, NULL },
	{ "lmtp_trust_tcp", T_ENUM, S(lmtp_trust_tcp), "no", 0, 0, "yes no" },
};
#undef S
#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

_Static_assert(sizeof(conf_keys) / sizeof(conf_keys[0]) <=
	       sizeof(((struct conf *)0)->line_of) / sizeof(int),
	       "line_of too small");

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
conf_parse_duration(const char *s, long *secs_r)
{
	char *end;
	long long v;
	long mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else if (strcmp(end, "d") == 0)
		mult = 86400;
	else
		return -1;
	if (v > 100LL * 365 * 86400 / mult)
		return -1;
	*secs_r = (long)(v * mult);
	return 0;
}

static int
parse_size(const char *s, long long *r)
{
	char *end;
	long long v;

	long long mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'M')
		mult = 1024 * 1024, end++;
	else if (*end == 'G')
		mult = 1024LL * 1024 * 1024, end++;
	if (*end != '\0' || v > LLONG_MAX / mult)
		return -1;
	*r = v * mult;
	return 0;
}

/* Whether s reads "<N> business day(s)|hour(s)|minute(s)" (any case);
 * the bounds are hours.c's. */
static int
is_business_span(const char *s)
{
	static const char *const units[] = {
		"day", "days", "hour", "hours", "minute", "minutes",
	};
	const char *p = s;
	size_t i;

	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (!isspace((unsigned char)*p))
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	if (strncasecmp(p, "business", 8) != 0 ||
	    !isspace((unsigned char)p[8]))
		return 0;
	for (p += 8; isspace((unsigned char)*p); p++)
		;
	for (i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (strcasecmp(p, units[i]) == 0)
			return 1;
	return 0;
}

/* Whether s is smtp://HOST[:PORT][/...] or smtps://...: libcurl would take
 * "htp://x" as a protocol it lacks only when `run` first sends, long after
 * the typo. */
/* http:// or https://, a host name, then anything printable without
 * spaces: a link written into customer mail. */
static int
is_web_url(const char *s)
{
	const unsigned char *p;
	size_t n;

	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else
		return 0;
	n = strcspn(s, ":/?#");
	if (n == 0)
		return 0;
	for (p = (const unsigned char *)s; p < (const unsigned char *)s + n;
	     p++)
		if (!isalnum(*p) && *p != '.' && *p != '-')
			return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	return 1;
}

static int
is_smtp_url(const char *s)
{
	const char *p, *host;
	size_t n;

	if (strncmp(s, "smtp://", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "smtps://", 8) == 0)
		p = s + 8;
	else
		return 0;
	host = strrchr(p, '@');		/* smtp://user@host */
	if (host != NULL && host < p + strcspn(p, "/"))
		p = host + 1;
	if (*p == '[') {		/* [::1] */
		n = strcspn(p, "]");
		if (p[n] != ']' || n < 2)
			return 0;
		p += n + 1;
	} else {
		n = strcspn(p, ":/");
		if (n == 0)
			return 0;
		for (; n > 0; n--, p++)
			if (!isalnum((unsigned char)*p) && *p != '.' &&
			    *p != '-' && *p != '_')
				return 0;
	}
	if (*p == ':') {
		p++;
		n = strspn(p, "0123456789");
		if (n == 0 || n > 5 || atol(p) > 65535)
			return 0;
		p += n;
	}
	return *p == '\0' || *p == '/';
}

/* Stores value into key's field; returns NULL or a problem description. */
static const char *
conf_set(struct conf *conf, const struct conf_key *k, const char *value,
	 char *why, size_t whysize)
{
	char *base = (char *)conf;
	long long ll;
	long l;
	char *copy;

	switch (k->type) {
	case T_ADDR:
		if (!addr_plausible(value))
			return "not a mail address";
		break;
	case T_ADDRS: {
		char *tmp = strdup(value), *tok, *save = NULL;
		int bad = 0;

		if (tmp == NULL)
			return "out of memory";
		for (tok = strtok_r(tmp, " ,\t", &save); tok != NULL;
		     tok = strtok_r(NULL, " ,\t", &save))
			if (!addr_plausible(tok))
				bad = 1;
		free(tmp);
		if (bad)
			return "not a list of mail addresses";
		break;
	}
	case T_LOGINS: {
		char *tmp = strdup(value), *tok, *save = NULL, *eq;
		int bad = 0;

		if (tmp == NULL)
			return "out of memory";
		for (tok = strtok_r(tmp, " \t", &save); tok != NULL && !bad;
		     tok = strtok_r(NULL, " \t", &save)) {
			eq = strchr(tok, '=');
			bad = eq == NULL || eq == tok ||
			      !addr_plausible(eq + 1);
		}
		free(tmp);
		if (bad)
			return "not a list of LOGIN=ADDRESS pairs";
		break;
	}
	case T_LONG: {
		char *end;

		errno = 0;
		ll = strtoll(value, &end, 10);
		if (end == value || *end != '\0' || errno != 0)
			return "not a number";
		goto bounds;
	}
	case T_SIZE:
		if (parse_size(value, &ll) < 0)
			return "not a size (bytes, or with K, M or G)";
		goto bounds;
	case T_DURATION:
		if (conf_parse_duration(value, &l) < 0)
			return "not a duration (seconds, or with s, m, h, d)";
		ll = l;
		goto bounds;
	case T_ENUM: {
		size_t n = strlen(value);
		const char *c = k->choices;

		while (n > 0 && (c = strstr(c, value)) != NULL) {
			if ((c == k->choices || c[-1] == ' ') &&
			    (c[n] == '\0' || c[n] == ' '))
				break;
			c += n;
		}
		if (n == 0 || c == NULL) {
			snprintf(why, whysize, "must be one of: %s",
				 k->choices);
			return why;
		}
		break;
	}
	case T_SPAN:
		if (conf_parse_duration(value, &l) < 0 &&
		    !is_business_span(value))
			return "not \"<N> business days|hours|minutes\" or a "
			       "wall-clock duration (seconds, or with s, m, "
			       "h, d)";
		break;
	case T_SMTP_URL:
		if (!is_smtp_url(value))
			return "not smtp://HOST[:PORT] or smtps://HOST[:PORT]";
		break;
	case T_WEB_URL:
		if (*value != '\0' && !is_web_url(value))
			return "not http(s)://HOST[/PATH] (no spaces)";
		break;
	case T_STR:
		break;
	}
	copy = strdup(value);
	if (copy == NULL)
		return "out of memory";
	free(*(char **)(base + k->offset));
	*(char **)(base + k->offset) = copy;
	return NULL;

bounds:
	if (ll < k->min || ll > k->max) {
		snprintf(why, whysize, "out of range %lld..%lld", k->min,
			 k->max);
		return why;
	}
	if (k->type == T_SIZE)
		*(long long *)(base + k->offset) = ll;
	else
		*(long *)(base + k->offset) = (long)ll;
	return NULL;
}

/* Whether path is a directory. */
static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every address staff_logins names must be a staff address: a login
 * mapped to anything else would prove nothing.  Returns the problems
 * reported. */
static int
check_staff_logins(const struct conf *conf, const char *path)
{
	char *tmp = strdup(conf->staff_logins), *tok, *save = NULL;
	int problems = 0;

	if (tmp == NULL)
		return 1;
	for (tok = strtok_r(tmp, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		const char *addr = strchr(tok, '=') + 1;

		if (conf_is_staff(conf, addr))
			continue;
		fprintf(stderr, "%s:%d: staff_logins: %s is not one of "
			"staff_addresses\n", path, conf_line(conf,
			"staff_logins"), addr);
		problems++;
	}
	free(tmp);
	return problems;
}

/* The defaults follow where the binary runs from: in a checkout, its own
 * rules/, templates/ and spool/; installed (`make install`: PREFIX/bin),
 * PREFIX/share/mailproc/ and /var/lib/mailproc. */
static int
conf_defaults(struct conf *conf, const char *top)
{
	char buf[4200], why[128], share[4096];
	int installed;
	size_t i;

	snprintf(buf, sizeof(buf), "%s/rules", top);
	snprintf(share, sizeof(share), "%s/share/mailproc", top);
	installed = !is_dir(buf) && is_dir(share);
	for (i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *v = k->def;

		if (installed && strcmp(k->name, "state_dir") == 0) {
			v = "/var/lib/mailproc";
		} else if (installed &&
			   strcmp(k->name, "site_templates_dir") == 0) {
			v = "/etc/mailproc/templates";
		} else if (installed &&
			   strcmp(k->name, "site_rules_dir") == 0) {
			v = "/etc/mailproc/rules";
		} else if (strncmp(v, "@top/", 5) == 0) {
			snprintf(buf, sizeof(buf), "%s/%s", installed ? share :
				 top, v + 5);
			v = buf;
		}
		if (conf_set(conf, k, v, why, sizeof(why)) != NULL)
			return -1;
	}
	return 0;
}

int
conf_load(struct conf *conf, const char *top, const char *path,
	  struct mp_err *err)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, problems = 0;

	memset(conf, 0, sizeof(*conf));
	conf->path = path;
	conf->top = strdup(top);
	if (conf->top == NULL || conf_defaults(conf, top) < 0)
		return mp_err_set(err, MP_TEMP, "out of memory");
	if (path == NULL)
		return 0;
	fp = fopen(path, "r");
	if (fp == NULL) {
		conf->problems = 1;
		return mp_err_set(err, MP_PERM, "%s: %s", path,
				  strerror(errno));
	}
	while (getline(&line, &cap, fp) != -1) {
		char *s, *eq, *key, *value, why[128];
		const char *problem = NULL;
		size_t i;

		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(stderr, "%s:%d: expected 'key = value'\n",
				path, lineno);
			problems++;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		for (i = 0; i < NKEYS; i++)
			if (strcmp(conf_keys[i].name, key) == 0)
				break;
		if (i == NKEYS) {
			fprintf(stderr, "%s:%d: unknown key '%s'\n", path,
				lineno, key);
			problems++;
			continue;
		}
		if (conf->line_of[i] != 0) {
			fprintf(stderr, "%s:%d: '%s' already set on line %d\n",
				path, lineno, key, conf->line_of[i]);
			problems++;
			continue;
		}
		problem = conf_set(conf, &conf_keys[i], value, why,
				   sizeof(why));
		if (problem != NULL) {
			fprintf(stderr, "%s:%d: %s: %s\n", path, lineno, key,
				problem);
			problems++;
			continue;
		}
		conf->line_of[i] = lineno;
	}
	free(line);
	problems += check_staff_logins(conf, path);
	if (ferror(fp)) {
		fclose(fp);
		return mp_err_set(err, MP_TEMP, "%s: read error", path);
	}
	fclose(fp);
	conf->problems = problems;
	if (problems > 0)
		return mp_err_set(err, MP_PERM, "%s: %d problem%s", path,
				  problems, problems == 1 ? "" : "s");
	return 0;
}

void
conf_release(struct conf *conf)
{
	char *base = (char *)conf;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		if (k->type != T_LONG && k->type != T_SIZE &&
		    k->type != T_DURATION) {
			free(*(char **)(base + k->offset));
			*(char **)(base + k->offset) = NULL;
		}
	}
	free(conf->top);
	conf->top = NULL;
}

int
conf_line(const struct conf *conf, const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			return conf->line_of[i];
	return 0;
}

/* Compares addr (optionally with +detail) to ours, ignoring case. */
static int
addr_same(const char *ours, const char *addr, int allow_detail)
{
	const char *oat = strrchr(ours, '@'), *aat = strrchr(addr, '@');
	const char *plus;
	size_t olocal, alocal;

	if (oat == NULL || aat == NULL || strcasecmp(oat, aat) != 0)
		return 0;
	olocal = (size_t)(oat - ours);
	alocal = (size_t)(aat - addr);
	plus = memchr(addr, '+', alocal);
	if (allow_detail && plus != NULL)
		alocal = (size_t)(plus - addr);
	return olocal == alocal && strncasecmp(ours, addr, olocal) == 0;
}

const char *
conf_model_path(const struct conf *conf, char *buf, size_t size)
{
	if (*conf->model_file != '\0') {
		snprintf(buf, size, "%s", conf->model_file);
		return buf;
	}
	snprintf(buf, size, "%s/model.bin", conf->state_dir);
	if (access(buf, F_OK) == 0)
		return buf;
	snprintf(buf, size, "%s/model.bin", conf->rules_dir);
	return buf;
}

/* Whether addr is one of the addresses of list (space or comma
 * separated). */
static int
list_has(const char *list, const char *addr)
{
	char *tmp, *tok, *save = NULL;
	int found = 0;

	if (addr == NULL || list == NULL || (tmp = strdup(list)) == NULL)
		return 0;
	for (tok = strtok_r(tmp, " ,\t", &save); tok != NULL && !found;
	     tok = strtok_r(NULL, " ,\t", &save))
		found = addr_same(tok, addr, 0);
	free(tmp);
	return found;
}

int
conf_is_staff(const struct conf *conf, const char *addr)
{
	return list_has(conf->staff_addresses, addr);
}

int
conf_is_alert_sender(const struct conf *conf, const char *addr)
{
	return list_has(conf->alerts_senders, addr);
}

int
conf_is_alerts(const struct conf *conf, const char *addr)
{
	return addr != NULL && conf->alerts_address != NULL &&
	       *conf->alerts_address != '\0' &&
	       addr_same(conf->alerts_address, addr, 1);
}

int
conf_login_proves(const struct conf *conf, const char *login,
		  const char *addr)
{
	char *tmp, *tok, *save = NULL;
	int found = 0;

	if (login == NULL || *login == '\0' || !conf_is_staff(conf, addr))
		return 0;
	if (strcasecmp(login, addr) == 0)
		return 1;
	if ((tmp = strdup(conf->staff_logins)) == NULL)
		return 0;
	for (tok = strtok_r(tmp, " \t", &save); tok != NULL && !found;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		*eq = '\0';
		found = strcasecmp(tok, login) == 0 &&
			addr_same(eq + 1, addr, 0);
	}
	free(tmp);
	return found;
}

int
conf_is_form(const struct conf *conf, const char *addr)
{
	return addr != NULL && addr_same(conf->form_address, addr, 1);
}

int
conf_is_ours(const struct conf *conf, const char *addr)
{
	if (addr == NULL)
		return 0;
	return addr_same(conf->support_address, addr, 1) ||
	       addr_same(conf->form_address, addr, 1) ||
	       addr_same(conf->monitoring_centre_address, addr, 1) ||
	       addr_same(conf->alerts_address, addr, 1);
}

int
conf_is_centre_domain(const struct conf *conf, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	const char *centre = conf->monitoring_centre_address ?
		strrchr(conf->monitoring_centre_address, '@') : NULL;

	return at != NULL && centre != NULL && strcasecmp(at, centre) == 0;
}

const char *
conf_key_name(size_t i)
{
	return i < NKEYS ? conf_keys[i].name : NULL;
}
