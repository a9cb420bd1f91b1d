/*
 * tmpl.c: parsing, checking and rendering outgoing-mail templates.
 *
 * One parser serves both tmpl_render() and tmpl_check_dir(), so a
 * template that check-config accepts renders, and one it rejects cannot be
 * sent half-broken: render refuses a template with any problem.
 *
 * Values are inserted in one pass and never scanned again, so a customer
 * who writes "{{confirm_address}}" in their mail gets that text back, not
 * the token address.  Values come from mail, so they are made valid UTF-8
 * here (bad bytes become U+FFFD) and stripped of control characters: in
 * the subject every one becomes a space (CR and LF included), which is
 * what keeps a value from adding or splitting a header; in the body CR LF
 * and CR become LF and other controls but TAB become a space.
 *
 * Memory comes from malloc, not g_malloc, so running out of memory is an
 * ordinary MP_TEMP failure; GLib is used only for UTF-8 decoding.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "tmpl.h"

#define TMPL_MAX_SIZE (256 * 1024)	/* bytes of one template file */
#define TMPL_MAX_NAME 64		/* bytes of a placeholder name */

/* Every placeholder a template may use.  Keep templates/README.md in
 * step with this table. */
static const char *const tmpl_placeholders[] = {
	"ticket_id",
	"ticket_tag",
	"customer_subject",
	"requester",
	"requester_name",
	"company_name",
	"support_address",
	"support_phone",
	"monitoring_centre_address",
	"monitoring_centre_phone",
	"business_hours_text",
	"next_open",
	"first_response_due",
	"task_name",
	"class_name",
	"option_name",
	"contract_id",
	"holder_name",
	"emergency_phone",
	"confirm_address",
	"deny_address",
	"token_expires",
	"channel_text",
	"customer_text",
	"state",
	"command",
	"error",
	"to",
	"from",
	"staff_name",
	"candidates",
	"reason",
	"staff_note",
	"received_at",
	"server_mismatch",
	"notice_window",
	"services",
	"servers",
	"notice_details",
	"alert_host",
	"alert_kind",
	"alert_service",
	"alert_state",
	"alert_time",
	"alert_text",
	"digest_triage",
	"digest_held",
	"digest_callbacks",
	"digest_overdue",
	"digest_mail",
	"digest_new",
	"digest_since",
	"attachments_note",
	"salutation",
	"order_page",
};
#define N_PLACEHOLDERS \
	(sizeof(tmpl_placeholders) / sizeof(tmpl_placeholders[0]))

/* Every template mailproc sends; each must exist in ja/. */
static const char *const tmpl_names[] = {
	"ack",
	"ack-closed",
	"identity-confirm",
	"identity-callback",
	"identity-pending",
	"alert-notice",
	"alert-recovered",
	"staff-alert",
	"identity-confirmed",
	"identity-reminder",
	"identity-expired",
	"denied",
	"unregistered",
	"not-subscribed",
	"out-of-scope",
	"fault-ack",
	"completion",
	"staff-new-ticket",
	"staff-followup",
	"staff-work",
	"staff-command-error",
	"staff-delivery-failure",
	"staff-spoofing",
	"staff-identity-expired",
	"staff-failed-message",
	"ack-triage",
	"staff-triage",
	"staff-suppressed",
	"staff-identity-reply",
	"staff-callback-reminder",
	"staff-callback-escalation",
	"notice-maintenance",
	"notice-emergency",
	"notice-restored",
	"staff-escalation",
	"staff-digest",
};
#define N_NAMES (sizeof(tmpl_names) / sizeof(tmpl_names[0]))

static const char *const tmpl_langs[] = { "ja", "en" };
#define TMPL_FALLBACK_LANG "ja"

/* A template split into lines (pointers into text, which is modified). */
struct parsed {
	char *text;
	char **lines;
	size_t n;
	const char *subject;	/* the Subject value, leading blanks skipped */
	int subject_line;
	size_t body_first;	/* index of the first body line */
};

static void
parsed_release(struct parsed *p)
{
	free(p->text);
	free(p->lines);
	memset(p, 0, sizeof(*p));
}

int
tmpl_known_placeholder(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < N_PLACEHOLDERS; i++)
		if (strcmp(tmpl_placeholders[i], name) == 0)
			return 1;
	return 0;
}

const char *
tmpl_placeholder_name(size_t i)
{
	return i < N_PLACEHOLDERS ? tmpl_placeholders[i] : NULL;
}

const char *
tmpl_template_name(size_t i)
{
	return i < N_NAMES ? tmpl_names[i] : NULL;
}

static int
known_template(const char *name)
{
	size_t i;

	for (i = 0; i < N_NAMES; i++)
		if (strcmp(tmpl_names[i], name) == 0)
			return 1;
	return 0;
}

/* Placeholder names: lower-case ASCII letters, digits and '_'. */
static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* A language or template name that is safe as one path component. */
static int
safe_component(const char *s, size_t max)
{
	size_t n;

	if (s == NULL || *s == '\0' || *s == '-')
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || !(name_char(s[n]) || s[n] == '-'))
			return 0;
	return 1;
}

static void
reportf(tmpl_report_fn *report, void *ctx, const char *file, int line,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
reportf(tmpl_report_fn *report, void *ctx, const char *file, int line,
	const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(ctx, file, line, msg);
}

/* Checks the placeholders of one line; returns the number of problems. */
static int
check_placeholders(const char *line, int lineno, const char *file,
		   tmpl_report_fn *report, void *ctx)
{
	const char *p = line, *open, *close;
	int problems = 0;

	while ((open = strstr(p, "{{")) != NULL) {
		const char *name = open + 2;
		int len, ok = 1, i;

		close = strstr(name, "}}");
		if (close == NULL) {
			reportf(report, ctx, file, lineno,
				"unterminated \"{{\" (placeholders are "
				"{{name}} on one line)");
			return problems + 1;
		}
		len = (int)(close - name);
		for (i = 0; i < len; i++)
			ok = ok && name_char(name[i]);
		if (len == 0 || len > TMPL_MAX_NAME || !ok) {
			reportf(report, ctx, file, lineno,
				"bad placeholder \"{{%.*s}}\" (names are "
				"lower-case letters, digits and _)",
				len > 40 ? 40 : len, name);
			problems++;
		} else {
			char buf[TMPL_MAX_NAME + 1];

			memcpy(buf, name, (size_t)len);
			buf[len] = '\0';
			if (!tmpl_known_placeholder(buf)) {
				reportf(report, ctx, file, lineno,
					"unknown placeholder \"{{%s}}\"", buf);
				problems++;
			}
		}
		p = close + 2;
	}
	return problems;
}

/* Line number (1-based) of byte offset off in text. */
static int
line_of_offset(const char *text, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

/* Splits text (taken over by p, even on failure) and checks it.  Returns
 * the number of problems reported, or -1 when out of memory. */
static int
parse(char *text, size_t len, const char *file, tmpl_report_fn *report,
      void *ctx, struct parsed *p)
{
	const char *bad;
	int problems = 0, seen_subject = 0, body_nonblank = 0, blank_line;
	size_t i, cap;
	char *s;

	memset(p, 0, sizeof(*p));
	p->text = text;
	if (!g_utf8_validate(text, (gssize)len, &bad)) {
		reportf(report, ctx, file,
			line_of_offset(text, (size_t)(bad - text)),
			"not valid UTF-8");
		return 1;
	}
	if (len == 0) {
		reportf(report, ctx, file, 0, "empty file");
		return 1;
	}
	s = text;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;

	/* Split into lines; a final newline does not start another line. */
	cap = 1;
	for (i = 0; i < len; i++)
		cap += text[i] == '\n';
	p->lines = malloc(cap * sizeof(*p->lines));
	if (p->lines == NULL)
		return -1;
	while (*s != '\0') {
		char *nl = strchr(s, '\n');
		size_t n;

		p->lines[p->n++] = s;
		if (nl != NULL)
			*nl = '\0';
		n = strlen(s);
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	for (i = 0; i < p->n; i++) {
		const unsigned char *c;

		for (c = (const unsigned char *)p->lines[i]; *c; c++)
			if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
				break;
		if (*c != '\0') {
			reportf(report, ctx, file, (int)i + 1,
				"control character 0x%02x in template", *c);
			problems++;
		}
	}

	/* "##" comments, then headers up to the first blank line. */
	for (i = 0; i < p->n && strncmp(p->lines[i], "##", 2) == 0; i++)
		;
	for (; i < p->n && p->lines[i][0] != '\0'; i++) {
		char *line = p->lines[i], *colon = strchr(line, ':');
		int lineno = (int)i + 1;
		size_t n, k;

		if (line[0] == ' ' || line[0] == '\t') {
			reportf(report, ctx, file, lineno,
				"folded header lines are not supported");
			problems++;
			continue;
		}
		n = colon != NULL ? (size_t)(colon - line) : 0;
		for (k = 0; k < n; k++)
			if (line[k] <= ' ' || line[k] > '~')
				break;
		if (colon == NULL || n == 0 || k < n) {
			reportf(report, ctx, file, lineno,
				"not a header line (want \"Subject: ...\" "
				"then a blank line before the body)");
			problems++;
			continue;
		}
		if (n != 7 || strncasecmp(line, "Subject", 7) != 0) {
			reportf(report, ctx, file, lineno,
				"header \"%.*s\" not allowed: only Subject "
				"(mailproc sets the others)",
				n > 40 ? 40 : (int)n, line);
			problems++;
			continue;
		}
		if (seen_subject) {
			reportf(report, ctx, file, lineno,
				"duplicate Subject header");
			problems++;
			continue;
		}
		seen_subject = 1;
		s = colon + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		p->subject = s;
		p->subject_line = lineno;
		if (*s == '\0') {
			reportf(report, ctx, file, lineno, "empty Subject");
			problems++;
		}
		problems += check_placeholders(s, lineno, file, report, ctx);
	}
	if (i >= p->n) {
		reportf(report, ctx, file, (int)p->n, seen_subject ?
			"missing blank line between the headers and the body"
			: "missing Subject header and blank line");
		return problems + 1;
	}
	if (!seen_subject) {
		reportf(report, ctx, file, (int)i + 1,
			"missing Subject header before the blank line");
		problems++;
	}
	p->body_first = i + 1;
	blank_line = (int)i + 1;
	for (i = p->body_first; i < p->n; i++) {
		body_nonblank = body_nonblank || p->lines[i][0] != '\0';
		problems += check_placeholders(p->lines[i], (int)i + 1, file,
					       report, ctx);
	}
	if (!body_nonblank) {
		reportf(report, ctx, file, blank_line,
			"empty body (nothing after the blank line)");
		problems++;
	}
	return problems;
}

/* Appends value with the escaping of the subject (in_subject) or the
 * body.  Invalid UTF-8 bytes become U+FFFD. */
static void
add_value(struct buf *b, const char *v, int in_subject)
{
	const char *end = v + strlen(v);

	while (v < end) {
		gunichar c = g_utf8_get_char_validated(v, end - v);
		size_t n;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			buf_add(b, "\xef\xbf\xbd", 3);
			v++;
			continue;
		}
		n = (size_t)(g_utf8_next_char(v) - v);
		if (!in_subject && c == '\r') {
			buf_addc(b, '\n');
			v += v[1] == '\n' ? 2 : 1;
			continue;
		}
		if (in_subject ? (c < 0x20 || c == 0x2028 || c == 0x2029)
			       : (c < 0x20 && c != '\t' && c != '\n'))
			buf_addc(b, ' ');
		else if (c == 0x7f || (c >= 0x80 && c <= 0x9f))
			buf_addc(b, ' ');
		else
			buf_add(b, v, n);
		v += n;
	}
}

static const char *
lookup(const struct tmpl_var *vars, size_t n_vars, const char *name,
       size_t len)
{
	size_t i;

	for (i = 0; i < n_vars; i++)
		if (strncmp(vars[i].name, name, len) == 0 &&
		    vars[i].name[len] == '\0')
			return vars[i].value != NULL ? vars[i].value : "";
	return "";
}

/* Appends line with its placeholders replaced (the line was checked by
 * parse(), so every "{{" has its "}}"). */
static void
expand(struct buf *b, const char *line, const struct tmpl_var *vars,
       size_t n_vars, int in_subject)
{
	const char *open, *close;

	while ((open = strstr(line, "{{")) != NULL &&
	       (close = strstr(open + 2, "}}")) != NULL) {
		buf_add(b, line, (size_t)(open - line));
		add_value(b, lookup(vars, n_vars, open + 2,
				    (size_t)(close - open - 2)),
			  in_subject);
		line = close + 2;
	}
	buf_add(b, line, strlen(line));
}

/* Reads a regular file of at most TMPL_MAX_SIZE bytes into a new
 * NUL-terminated buffer.  Returns 0, or -1 with errno set. */
static int
read_file(const char *path, char **text_r, size_t *len_r)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (st.st_size > TMPL_MAX_SIZE) {
		errno = EFBIG;
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		goto fail;
	while (len < (size_t)st.st_size) {
		r = read(fd, text + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	text[len] = '\0';
	close(fd);
	*text_r = text;
	*len_r = len;
	return 0;
fail:
	saved = errno;
	free(text);
	close(fd);
	errno = saved;
	return -1;
}

/* Whether errno after a failed read means a retry cannot help. */
static int
errno_permanent(int e)
{
	return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM ||
	       e == EISDIR || e == EFBIG || e == ELOOP ||
	       e == ENAMETOOLONG;
}

static int
join_path(char *buf, size_t size, const char *dir, const char *lang,
	  const char *name)
{
	int n;

	if (name != NULL)
		n = snprintf(buf, size, "%s/%s/%s.txt", dir, lang, name);
	else
		n = snprintf(buf, size, "%s/%s", dir, lang);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Keeps the first problem as "file:line: msg" for tmpl_render(). */
static void
first_problem(void *ctx, const char *file, int line, const char *msg)
{
	struct mp_err *err = ctx;

	if (err->kind == MP_OK)
		mp_err_set(err, MP_PERM, "%s:%d: %s", file, line, msg);
}

/* The file that serves (lang, name): site_dir's copy when it has one,
 * else templates_dir's.  Into path; 0, or -1 when the path is too long. */
static int
resolve(char *path, size_t size, const char *site_dir,
	const char *templates_dir, const char *lang, const char *name)
{
	struct stat st;

	if (site_dir != NULL && *site_dir != '\0' &&
	    join_path(path, size, site_dir, lang, name) == 0 &&
	    stat(path, &st) == 0)
		return 0;
	return join_path(path, size, templates_dir, lang, name);
}

int
tmpl_render(const char *templates_dir, const char *lang, const char *name,
	    const struct tmpl_var *vars, size_t n_vars, struct tmpl_out *out,
	    struct mp_err *err)
{
	return tmpl_render_site(NULL, templates_dir, lang, name, vars,
				n_vars, out, err);
}

int
tmpl_render_site(const char *site_dir, const char *templates_dir,
		 const char *lang, const char *name,
		 const struct tmpl_var *vars, size_t n_vars,
		 struct tmpl_out *out, struct mp_err *err)
{
	struct buf subject = { 0 }, body = { 0 }, used = { 0 };
	struct parsed p = { 0 };
	struct mp_err first;
	char path[4096];
	char *text;
	size_t len, i, start, end;
	int problems, rc;

	if (lang == NULL || *lang == '\0')
		lang = TMPL_FALLBACK_LANG;
	if (!safe_component(lang, 16))
		return mp_err_set(err, MP_PERM, "template language \"%.20s\""
				  " is not a plain name", lang ? lang : "");
	if (!safe_component(name, 64))
		return mp_err_set(err, MP_PERM, "template name \"%.40s\" is "
				  "not a plain name", name ? name : "");
	for (i = 0; i < n_vars; i++)
		if (!tmpl_known_placeholder(vars[i].name))
			return mp_err_set(err, MP_PERM, "template %s: value "
					  "for unknown placeholder \"%.40s\"",
					  name, vars[i].name ? vars[i].name
					  : "(null)");
	if (resolve(path, sizeof(path), site_dir, templates_dir, lang,
		    name) < 0)
		return mp_err_set(err, MP_PERM, "template path too long");
	rc = read_file(path, &text, &len);
	if (rc < 0 && errno == ENOENT &&
	    strcmp(lang, TMPL_FALLBACK_LANG) != 0) {
		lang = TMPL_FALLBACK_LANG;
		if (resolve(path, sizeof(path), site_dir, templates_dir, lang,
			    name) < 0)
			return mp_err_set(err, MP_PERM,
					  "template path too long");
		rc = read_file(path, &text, &len);
	}
	if (rc < 0) {
		int e = errno;

		return mp_err_set(err, errno_permanent(e) ? MP_PERM : MP_TEMP,
				  "template %s: %s", path, strerror(e));
	}

	mp_err_clear(&first);
	problems = parse(text, len, path, first_problem, &first, &p);
	if (problems < 0) {
		parsed_release(&p);
		return mp_err_set(err, MP_TEMP, "template %s: out of memory",
				  path);
	}
	if (problems > 0) {
		parsed_release(&p);
		return mp_err_set(err, MP_PERM, "%s", first.msg);
	}

	expand(&subject, p.subject, vars, n_vars, 1);
	for (i = p.body_first; i < p.n; i++) {
		expand(&body, p.lines[i], vars, n_vars, 0);
		buf_addc(&body, '\n');
	}
	buf_add(&used, lang, strlen(lang));
	parsed_release(&p);
	if (subject.oom || body.oom || used.oom)
		goto nomem;

	/* Trim the subject; end the body with exactly one newline. */
	start = 0;
	while (subject.p[start] == ' ' || subject.p[start] == '\t')
		start++;
	end = subject.len;
	while (end > start && (subject.p[end - 1] == ' ' ||
			       subject.p[end - 1] == '\t'))
		end--;
	memmove(subject.p, subject.p + start, end - start);
	subject.p[end - start] = '\0';
	while (body.len > 0 && (body.p[body.len - 1] == '\n' ||
				body.p[body.len - 1] == ' ' ||
				body.p[body.len - 1] == '\t'))
		body.len--;
	body.p[body.len] = '\0';
	buf_addc(&body, '\n');
	if (body.oom)
		goto nomem;

	out->subject = subject.p;
	out->body = body.p;
	out->lang = used.p;
	return 0;
nomem:
	free(subject.p);
	free(body.p);
	free(used.p);
	return mp_err_set(err, MP_TEMP, "template %s: out of memory", name);
}

void
tmpl_out_release(struct tmpl_out *out)
{
	if (out == NULL)
		return;
	free(out->subject);
	free(out->body);
	free(out->lang);
	out->subject = NULL;
	out->body = NULL;
	out->lang = NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks one file; returns its number of problems. */
static int
check_file(const char *path, tmpl_report_fn *report, void *ctx)
{
	struct parsed p;
	char *text;
	size_t len;
	int problems;

	if (read_file(path, &text, &len) < 0) {
		reportf(report, ctx, path, 0, "cannot read: %s",
			strerror(errno));
		return 1;
	}
	problems = parse(text, len, path, report, ctx, &p);
	parsed_release(&p);
	if (problems < 0) {
		reportf(report, ctx, path, 0, "out of memory");
		return 1;
	}
	return problems;
}

/* Checks templates_dir/lang; returns its number of problems. */
static int
check_lang(const char *templates_dir, const char *lang, int site,
	   tmpl_report_fn *report, void *ctx)
{
	char dirpath[4096], path[4096];
	char **files = NULL;
	size_t nfiles = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	int problems = 0, required = !site &&
		strcmp(lang, TMPL_FALLBACK_LANG) == 0;
	DIR *d;

	if (join_path(dirpath, sizeof(dirpath), templates_dir, lang,
		      NULL) < 0) {
		reportf(report, ctx, templates_dir, 0, "path too long");
		return 1;
	}
	d = opendir(dirpath);
	if (d == NULL) {
		if (!required && errno == ENOENT)
			return 0;	/* every template falls back */
		if (site && errno == ENOENT)
			return 0;
		reportf(report, ctx, dirpath, 0, "cannot open directory: %s",
			strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char **grown;

		if (de->d_name[0] == '.' || n <= 4 ||
		    strcmp(de->d_name + n - 4, ".txt") != 0)
			continue;
		if (nfiles == cap) {
			cap = cap ? cap * 2 : 32;
			grown = realloc(files, cap * sizeof(*files));
			if (grown == NULL)
				break;
			files = grown;
		}
		files[nfiles] = strndup(de->d_name, n - 4);
		if (files[nfiles] == NULL)
			break;
		nfiles++;
	}
	if (de != NULL) {
		reportf(report, ctx, dirpath, 0, "out of memory");
		problems++;
	}
	closedir(d);
	if (nfiles > 0)
		qsort(files, nfiles, sizeof(*files), cmp_str);

	for (i = 0; required && i < N_NAMES; i++) {
		if (join_path(path, sizeof(path), templates_dir, lang,
			      tmpl_names[i]) < 0 || stat(path, &st) < 0) {
			reportf(report, ctx, path, 0,
				"required template missing");
			problems++;
		}
	}
	for (i = 0; i < nfiles; i++) {
		if (join_path(path, sizeof(path), templates_dir, lang,
			      files[i]) < 0) {
			reportf(report, ctx, dirpath, 0, "path too long");
			problems++;
			continue;
		}
		if (!known_template(files[i])) {
			reportf(report, ctx, path, 0,
				"not a template mailproc sends (misspelt?)");
			problems++;
		}
		problems += check_file(path, report, ctx);
	}
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return problems;
}

int
tmpl_check_dir(const char *templates_dir,
	       void (*report)(void *ctx, const char *file, int line,
			      const char *msg),
	       void *ctx)
{
	size_t i;
	int problems = 0;

	for (i = 0; i < sizeof(tmpl_langs) / sizeof(tmpl_langs[0]); i++)
		problems += check_lang(templates_dir, tmpl_langs[i], 0,
				       report, ctx);
	return problems;
}

int
tmpl_check_site(const char *site_dir, const char *templates_dir,
		tmpl_report_fn *report, tmpl_winner_fn *winner, void *ctx)
{
	char dirpath[4096], site[4096], shipped[4096];
	struct dirent *de;
	struct stat st;
	int problems = 0;
	size_t i, n;
	DIR *d;

	if (site_dir == NULL || *site_dir == '\0')
		return 0;
	for (i = 0; i < sizeof(tmpl_langs) / sizeof(tmpl_langs[0]); i++) {
		problems += check_lang(site_dir, tmpl_langs[i], 1, report,
				       ctx);
		if (join_path(dirpath, sizeof(dirpath), site_dir,
			      tmpl_langs[i], NULL) < 0 ||
		    (d = opendir(dirpath)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char name[256];

			n = strlen(de->d_name);
			if (de->d_name[0] == '.' || n <= 4 || n >= 256 ||
			    strcmp(de->d_name + n - 4, ".txt") != 0)
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(n - 4),
				 de->d_name);
			if (join_path(site, sizeof(site), site_dir,
				      tmpl_langs[i], name) < 0 ||
			    join_path(shipped, sizeof(shipped),
				      templates_dir, tmpl_langs[i],
				      name) < 0)
				continue;
			winner(ctx, site, stat(shipped, &st) == 0 ? shipped :
			       NULL);
		}
		closedir(d);
	}
	return problems;
}
