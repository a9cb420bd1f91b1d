/*
 * staffmail.c: staff replies and #commands.
 *
 * Commands are all checked before any is carried out, and carried out
 * inside a savepoint: a reply whose second command fails must not have
 * half its effect.  The customer gets the reply from the support address,
 * never from the staff member's own, so replies keep coming back to the
 * ticket.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confirm.h"
#include "log.h"
#include "msg.h"
#include "msgbuild.h"
#include "msgjson.h"
#include "staffops.h"
#include "staffmail.h"
#include "ticket.h"

static const struct {
	const char *name;
	enum staffmail_verb verb;
	int arg;		/* 0 none, 1 required, 2 optional */
} verbs[] = {
	{ "verified", STAFF_VERIFIED, 2 },
	{ "denied", STAFF_DENIED, 2 },
	{ "done", STAFF_DONE, 2 },	/* #done [TASK] */
	{ "comment", STAFF_COMMENT, 2 },
	{ "close", STAFF_CLOSE, 0 },
	{ "category", STAFF_CATEGORY, 1 },
	{ "send-now", STAFF_SEND_NOW, 0 },
	{ "take", STAFF_TAKE, 0 },
	{ "assign", STAFF_ASSIGN, 1 },	/* #assign STAFF-ADDRESS */
	{ "merge", STAFF_MERGE, 1 },	/* #merge TICKET */
};

int
staffmail_parse(const char *text, struct staffmail_cmds *cmds, char *errbuf,
		size_t errsize)
{
	const char *p = text;

	memset(cmds, 0, sizeof(*cmds));
	cmds->rest = text;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n'), *s = p, *e;
		size_t len = nl ? (size_t)(nl - p) : strlen(p), i, nlen;
		char line[300];

		while (s < p + len && isspace((unsigned char)*s))
			s++;
		e = p + len;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e) {		/* blank line */
			p = nl ? nl + 1 : p + len;
			continue;
		}
		if (*s != '#')
			break;
		snprintf(line, sizeof(line), "%.*s", (int)(e - s), s);
		nlen = strcspn(line + 1, " \t");
		for (i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
			if (strlen(verbs[i].name) == nlen &&
			    strncasecmp(line + 1, verbs[i].name, nlen) == 0)
				break;
		if (i == sizeof(verbs) / sizeof(*verbs)) {
			snprintf(errbuf, errsize, "unknown command: %s", line);
			return -1;
		}
		if (cmds->n == STAFFMAIL_MAX_CMDS) {
			snprintf(errbuf, errsize, "too many commands");
			return -1;
		}
		{
			const char *arg = line + 1 + nlen;
			while (isspace((unsigned char)*arg))
				arg++;
			if (verbs[i].arg == 1 && *arg == '\0') {
				snprintf(errbuf, errsize, "%s needs an "
					 "argument", line);
				return -1;
			}
			if (verbs[i].arg == 0 && *arg != '\0') {
				snprintf(errbuf, errsize, "%s takes no "
					 "argument", line);
				return -1;
			}
			if ((verbs[i].verb == STAFF_CATEGORY ||
			     verbs[i].verb == STAFF_DONE ||
			     verbs[i].verb == STAFF_ASSIGN ||
			     verbs[i].verb == STAFF_MERGE) &&
			    strpbrk(arg, " \t") != NULL) {
				snprintf(errbuf, errsize, "%s: one category "
					 "id expected", line);
				return -1;
			}
			cmds->v[cmds->n].verb = verbs[i].verb;
			snprintf(cmds->v[cmds->n].arg,
				 sizeof(cmds->v[cmds->n].arg), "%s", arg);
			cmds->n++;
		}
		p = nl ? nl + 1 : p + len;
	}
	cmds->rest = p;
	return 0;
}

static int
has_verb(const struct staffmail_cmds *cmds, enum staffmail_verb verb)
{
	size_t i;

	for (i = 0; i < cmds->n; i++)
		if (cmds->v[i].verb == verb)
			return 1;
	return 0;
}

/* Tells the staff member that their mail failed and why. */
static int
command_error(struct compose *c, long long ticket, const char *staff,
	      const char *command, const char *why, struct mp_err *err)
{
	struct tmpl_var vars[] = {
		{ "command", command },
		{ "error", why },
	};
	struct compose_mail mail = { 0 };
	long long id;
	char detail[600];

	snprintf(detail, sizeof(detail), "%s: %s (nothing sent to the "
		 "customer)", command, why);
	if (store_history_add(c->store, ticket, c->now, staff,
			      "command-error", detail, err) < 0)
		return -1;
	mail.ticket = ticket;
	mail.template = "staff-command-error";
	mail.lang = c->conf->language;
	mail.to = staff;
	mail.automatic = 1;
	mail.to_staff = 1;
	mail.vars = vars;
	mail.n_vars = 2;
	return compose_queue(c, &mail, &id, err);
}

static int
run_command(struct compose *c, const struct rules *rules, long long ticket,
	    const struct staffmail_cmd *cmd, const char *staff,
	    struct mp_err *err)
{
	switch (cmd->verb) {
	case STAFF_VERIFIED:
	case STAFF_DENIED:
		return confirm_staff(c, rules, ticket,
				     cmd->verb == STAFF_VERIFIED, staff,
				     "mail command", cmd->arg, err);
	case STAFF_DONE:
		return staffops_complete(c, rules, ticket,
					 *cmd->arg ? cmd->arg : NULL, staff,
					 err);
	case STAFF_CLOSE:
		return staffops_close(c, ticket, staff, err);
	case STAFF_CATEGORY:
		return staffops_category(c, rules, ticket, cmd->arg, staff,
					 err);
	case STAFF_TAKE:
		return staffops_assign(c, ticket, staff, staff, err);
	case STAFF_ASSIGN:
		return staffops_assign(c, ticket, cmd->arg, staff, err);
	case STAFF_MERGE: {
		char *end;
		long long other = strtoll(*cmd->arg == '#' ? cmd->arg + 1 :
					  cmd->arg, &end, 10);
		if (*end != '\0' || other <= 0)
			return mp_err_set(err, MP_PERM, "not a ticket id: %s",
					  cmd->arg);
		return staffops_merge(c, ticket, other, staff, NULL, err);
	}
	case STAFF_COMMENT:
	case STAFF_SEND_NOW:
		return 0;	/* they shape the relay below */
	}
	return 0;
}

/* Whether text has anything but whitespace. */
static int
has_words(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 1;
	return 0;
}

/* One line of a reply: where it starts, its length, its quote depth and
 * its text without the quote marks. */
struct line {
	const char *p, *content;
	size_t len, clen;
	int depth, drop, cut_start;
};

/* Whether c starts a UTF-8 ideographic space (U+3000). */
static int
is_wide_space(const char *c, const char *end)
{
	return end - c >= 3 && (unsigned char)c[0] == 0xe3 &&
	       (unsigned char)c[1] == 0x80 && (unsigned char)c[2] == 0x80;
}

/* The line from p to end with whitespace runs as one space, trimmed,
 * into buf (truncated to size). */
static void
normalise(const char *p, const char *end, char *buf, size_t size)
{
	size_t n = 0;
	int space = 0;

	while (p < end && n + 1 < size) {
		if (isspace((unsigned char)*p) || is_wide_space(p, end)) {
			p += isspace((unsigned char)*p) ? 1 : 3;
			space = n > 0;
			continue;
		}
		if (space && n + 2 < size)
			buf[n++] = ' ';
		space = 0;
		buf[n++] = *p++;
	}
	buf[n] = '\0';
}

/* Splits text into lines (a new array of *n_r; caller frees it). */
static struct line *
split_lines(const char *text, size_t *n_r)
{
	struct line *v;
	size_t n = 1, i = 0;
	const char *p;

	for (p = text; *p; p++)
		n += *p == '\n';
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (p = text; i < n; i++) {
		const char *nl = strchr(p, '\n'), *c;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		v[i].p = p;
		v[i].len = len;
		c = p;
		for (;;) {
			while (c < p + len && (*c == ' ' || *c == '\t'))
				c++;
			if (c < p + len && *c == '>') {
				v[i].depth++;
				c++;
				continue;
			}
			break;
		}
		v[i].content = c;
		v[i].clen = (size_t)(p + len - c);
		if (nl == NULL) {
			n = i + 1;
			break;
		}
		p = nl + 1;
	}
	*n_r = n;
	return v;
}

/* Whether the line's text (normalised) starts with prefix. */
static int
line_starts(const struct line *l, const char *prefix)
{
	char buf[256];

	normalise(l->content, l->content + l->clen, buf, sizeof(buf));
	return strncmp(buf, prefix, strlen(prefix)) == 0;
}

static int
is_blank(const struct line *l)
{
	char buf[8];

	normalise(l->content, l->content + l->clen, buf, sizeof(buf));
	return buf[0] == '\0';
}

/* Whether any of texts has a line that normalises to norm. */
static int
texts_have_line(const char *const *texts, size_t n, const char *norm)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *p = texts[i];
		while (p != NULL && *p) {
			const char *nl = strchr(p, '\n');
			const char *end = nl ? nl : p + strlen(p);
			normalise(p, end, buf, sizeof(buf));
			if (strcmp(buf, norm) == 0)
				return 1;
			p = nl ? nl + 1 : NULL;
		}
	}
	return 0;
}

/* Whether line l is a line of our notices that the customer did not
 * write (short lines such as "Thanks" prove nothing). */
static int
is_notice_line(const struct line *l, const char *const *notices,
	       size_t n_notices, const char *const *keep, size_t n_keep)
{
	char norm[1024];

	normalise(l->content, l->content + l->clen, norm, sizeof(norm));
	return strlen(norm) >= 8 &&
	       texts_have_line(notices, n_notices, norm) &&
	       !texts_have_line(keep, n_keep, norm);
}

static int
has_secret(const struct line *l, const char *const *secrets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (secrets[i] != NULL && strlen(secrets[i]) >= 3 &&
		    memmem(l->content, l->clen, secrets[i],
			   strlen(secrets[i])) != NULL)
			return 1;
	return 0;
}

/* Whether an unquoted line introduces a quote: "On ... wrote:",
 * "-----Original Message-----", or a line of its From:/Sent: block. */
static int
is_attribution(const struct line *l)
{
	static const char *const heads[] = {
		"From:", "Sent:", "To:", "Cc:", "Date:", "Subject:",
		"差出人:", "送信日時:", "宛先:", "件名:", "日時:",
		"差出人：", "送信日時：", "宛先：", "件名：",
	};
	char buf[512];
	size_t n, i;

	if (l->depth > 0)
		return 0;
	normalise(l->content, l->content + l->clen, buf, sizeof(buf));
	n = strlen(buf);
	if (strncmp(buf, "-----", 5) == 0 || strncmp(buf, "________", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(heads) / sizeof(*heads); i++)
		if (strncasecmp(buf, heads[i], strlen(heads[i])) == 0)
			return 1;
	if ((n >= 1 && buf[n - 1] == ':') ||
	    (n >= 3 && strcmp(buf + n - 3, "：") == 0))
		return strstr(buf, "wrote") != NULL ||
		       strstr(buf, "書") != NULL || strchr(buf, '@') != NULL;
	return 0;
}

char *
staffmail_strip_notices(const char *text, const char *const *notices,
			size_t n_notices, const char *const *keep,
			size_t n_keep, const char *const *secrets,
			size_t n_secrets)
{
	struct line *v;
	size_t n, i, j, out_len = 0;
	int cut = 0;
	char *out, *o;

	v = split_lines(text, &n);
	if (v == NULL)
		return NULL;
	/* (1) our marker lines, quoted or not */
	for (i = 0; i < n; i++) {
		if (v[i].drop || !line_starts(&v[i], COMPOSE_NOTICE_BEGIN))
			continue;
		v[i].cut_start = 1;
		for (j = i; j < n; j++) {
			v[j].drop = 1;
			if (j > i && line_starts(&v[j], COMPOSE_NOTICE_END))
				break;
		}
	}
	/* (2) quoted runs with a notice line or a secret in them */
	for (i = 0; i < n; i = j) {
		int bad = 0;

		if (v[i].drop || v[i].depth == 0) {
			j = i + 1;
			continue;
		}
		for (j = i; j < n && !v[j].drop && v[j].depth > 0; j++)
			bad |= is_notice_line(&v[j], notices, n_notices, keep,
					      n_keep) ||
			       has_secret(&v[j], secrets, n_secrets);
		if (!bad)
			continue;
		v[i].cut_start = 1;
		for (size_t k = i; k < j; k++)
			v[k].drop = 1;
	}
	/* (3) unquoted copies of notice lines */
	for (i = 0; i < n; i++)
		if (!v[i].drop && v[i].depth == 0 &&
		    is_notice_line(&v[i], notices, n_notices, keep, n_keep))
			v[i].drop = v[i].cut_start = 1;
	/* what introduced a cut quote, and the blank lines before it */
	for (i = 0; i < n; i++) {
		if (!v[i].cut_start)
			continue;
		cut = 1;
		for (j = i; j > 0; j--) {
			struct line *l = &v[j - 1];
			if (l->drop)
				break;
			if (!is_blank(l) && !is_attribution(l))
				break;
			l->drop = 1;
		}
	}
	for (i = 0; i < n; i++)
		if (!v[i].drop)
			out_len += v[i].len + 1;
	out = malloc(out_len + 1);
	if (out == NULL) {
		free(v);
		return NULL;
	}
	o = out;
	for (i = 0; i < n; i++) {
		if (v[i].drop)
			continue;
		/* no run of blank lines where something was cut */
		if (cut && is_blank(&v[i]) && o > out + 1 && o[-1] == '\n' &&
		    o[-2] == '\n')
			continue;
		memcpy(o, v[i].p, v[i].len);
		o += v[i].len;
		if (i + 1 < n)
			*o++ = '\n';
	}
	*o = '\0';
	if (cut)	/* nor at the end */
		while (o > out + 1 && o[-1] == '\n' && o[-2] == '\n')
			*--o = '\0';
	free(v);
	return out;
}

/* What the customer may not be sent back: our notices to staff on the
 * ticket, what the customer wrote (which may be quoted back), and the
 * contract's registered data. */
struct notices {
	const struct conf *conf;
	char **notice, **keep;
	size_t n_notice, n_keep;
	const char *secret[3];
	struct store_contract k;
	int has_k;
};

static int
push(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return 0;	/* nothing to add */
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

static int
collect_notice(void *ctx, const struct store_outbox *o)
{
	struct notices *nt = ctx;
	struct msg_limits lim = { 50, 1 << 20 };
	struct mp_err err;
	struct msg *m;
	char *text;

	if (o->raw == NULL || strcmp(o->template, "staff-reply") == 0 ||
	    (!conf_is_staff(nt->conf, o->to_addr) &&
	     strcasecmp(o->to_addr, nt->conf->monitoring_centre_address) != 0))
		return 0;
	if (msg_parse_mem(o->raw, o->raw_len, &lim, &m, &err) < 0)
		return -1;
	text = strdup(m->text);
	msg_free(&m);
	return text == NULL ? -1 : push(&nt->notice, &nt->n_notice, text);
}

static int
collect_customer(void *ctx, const char *direction, long long received,
		 const char *parsed_json)
{
	struct notices *nt = ctx;

	(void)received;
	if (strcmp(direction, "in") != 0)
		return 0;
	return push(&nt->keep, &nt->n_keep, msgjson_text(parsed_json));
}

static void
notices_release(struct notices *nt)
{
	size_t i;

	for (i = 0; i < nt->n_notice; i++)
		free(nt->notice[i]);
	free(nt->notice);
	for (i = 0; i < nt->n_keep; i++)
		free(nt->keep[i]);
	free(nt->keep);
	if (nt->has_k > 0)
		store_contract_release(&nt->k);
}

/* The staff text without our notices (a new string in *body_r). */
static int
strip_reply(struct compose *c, const struct store_ticket *t,
	    const char *text, char **body_r, struct mp_err *err)
{
	struct notices nt = { 0 };
	int rc;

	*body_r = NULL;
	nt.conf = c->conf;
	mp_err_clear(err);
	rc = store_outbox_each_raw(c->store, t->id, collect_notice, &nt, err);
	if (rc == 0)
		rc = store_message_each(c->store, t->id, collect_customer, &nt,
					err);
	if (rc == 0 && t->contract != NULL &&
	    (nt.has_k = store_contract_get(c->store, t->contract, &nt.k,
					   err)) < 0)
		rc = -1;
	if (rc == 0 && nt.has_k) {
		nt.secret[0] = nt.k.emergency_phone;
		nt.secret[1] = nt.k.holder_name;
		nt.secret[2] = nt.k.monitoring_email;
	}
	if (rc == 0)
		*body_r = staffmail_strip_notices(text,
			(const char *const *)nt.notice, nt.n_notice,
			(const char *const *)nt.keep, nt.n_keep, nt.secret,
			3);
	notices_release(&nt);
	if (rc == 0 && *body_r != NULL)
		return 0;
	if (err->kind == MP_OK)	/* a callback's own failure */
		mp_err_set(err, MP_TEMP, "reading the notices of ticket %lld "
			   "failed", t->id);
	return -1;
}

/* Relays the staff text to the customer. */
static int
relay(struct compose *c, const struct store_ticket *t, const struct msg *m,
      const char *staff, const char *body, int send_now,
      const char *attach_dir, struct mp_err *err)
{
	struct msgbuild_attachment *att = NULL;
	struct compose_mail mail = { 0 };
	char subject[1024], detail[300];
	char **paths = NULL, **ids = NULL;
	size_t n_ids = 0;
	long long id, release_at = 0;
	size_t i;
	int rc = -1, urgent = t->class && strcmp(t->class,
						 "fault-report") == 0;

	/* The ticket's own subject: the staff member answered our notice,
	 * whose subject ("新規：...", "【要折り返し電話】...") is internal. */
	ticket_reply_subject(subject, sizeof(subject), c->conf->subject_tag,
			     t->id, t->subject);
	if (!urgent && !send_now) {
		struct hours_status st;
		if (hours_status(c->hours, c->now, &st, err) < 0)
			return -1;
		if (!st.open)
			release_at = (long long)st.next_open;
	}
	if (m->n_attachments > 0) {
		att = calloc(m->n_attachments, sizeof(*att));
		paths = calloc(m->n_attachments, sizeof(*paths));
		if (att == NULL || paths == NULL) {
			mp_err_set(err, MP_TEMP, "out of memory");
			goto done;
		}
		for (i = 0; i < m->n_attachments; i++) {
			const struct msg_attachment *a = &m->attachments[i];
			size_t n = strlen(attach_dir) + 80;
			paths[i] = malloc(n);
			if (paths[i] == NULL || a->sha256 == NULL) {
				mp_err_set(err, MP_TEMP, "attachment %zu not "
					   "stored", i);
				goto done;
			}
			snprintf(paths[i], n, "%s/%.2s/%s", attach_dir,
				 a->sha256, a->sha256);
			att[i].path = paths[i];
			att[i].filename = a->filename;
			att[i].content_type = a->content_type;
		}
	}
	/* Threaded to the customer's mail, not to our notice to staff
	 * that the staff member answered. */
	if (store_customer_message_ids(c->store, t->id, &ids, &n_ids,
				       err) < 0)
		goto done;
	mail.ticket = t->id;
	mail.template = "staff-reply";
	mail.lang = t->lang;
	mail.to = t->requester;
	mail.automatic = 0;
	mail.in_reply_to = n_ids ? ids[n_ids - 1] : NULL;
	mail.references = (const char *const *)ids;
	mail.n_references = n_ids;
	mail.release_at = release_at;
	mail.body_override = body;
	mail.subject_override = subject;
	mail.attachments = att;
	mail.n_attachments = m->n_attachments;
	if (compose_queue(c, &mail, &id, err) < 0)
		goto done;
	snprintf(detail, sizeof(detail), "reply relayed to %s%s%s",
		 t->requester, release_at ? " (held for business hours)" : "",
		 send_now && !urgent ? " (#send-now: hold bypassed)" :
		 urgent ? " (fault report: not held)" : "");
	if (store_history_add(c->store, t->id, c->now, staff, "reply",
			      detail, err) < 0)
		goto done;
	/* The clock stops when staff answer, even if the answer is held
	 * for business hours: the hold is ours, not the staff's delay. */
	rc = store_ticket_first_response(c->store, t->id, c->now, staff,
					 NULL, err);
done:
	for (i = 0; paths != NULL && i < m->n_attachments; i++)
		free(paths[i]);
	free(paths);
	free(att);
	for (i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

int
staffmail_handle(struct compose *c, const struct rules *rules,
		 long long ticket, const struct msg *m, const char *staff,
		 const char *attach_dir, const char **action_r,
		 struct mp_err *err)
{
	struct staffmail_cmds cmds;
	struct store_ticket t;
	char why[300], cmdtext[300], *body = NULL;
	size_t i;
	int rc;

	*action_r = "staff-reply";
	if (staffmail_parse(m->text, &cmds, why, sizeof(why)) < 0) {
		*action_r = "staff-command-error";
		return command_error(c, ticket, staff, "(mail)", why, err);
	}
	if (store_savepoint(c->store, err) < 0)
		return -1;
	for (i = 0; i < cmds.n; i++) {
		struct mp_err cerr = { 0 };
		if (run_command(c, rules, ticket, &cmds.v[i], staff,
				&cerr) == 0)
			continue;
		if (cerr.kind != MP_PERM) {
			*err = cerr;
			return -1;
		}
		store_savepoint_rollback(c->store);
		snprintf(cmdtext, sizeof(cmdtext), "#%s%s%s",
			 verbs[cmds.v[i].verb].name, *cmds.v[i].arg ? " " : "",
			 cmds.v[i].arg);
		*action_r = "staff-command-error";
		return command_error(c, ticket, staff, cmdtext, cerr.msg,
				     err);
	}
	if (store_savepoint_release(c->store, err) < 0)
		return -1;
	if (has_verb(&cmds, STAFF_COMMENT)) {
		*action_r = "staff-comment";
		return store_history_add(c->store, ticket, c->now, staff,
					 "comment", "internal note (not sent)",
					 err);
	}
	rc = store_ticket_get(c->store, ticket, &t, err);
	if (rc > 0 && t.merged_into != 0) {
		/* #merge made this ticket part of an older one: the
		 * answer belongs there. */
		long long into = t.merged_into;
		store_ticket_release(&t);
		rc = store_ticket_get(c->store, into, &t, err);
	}
	if (rc <= 0)
		return rc < 0 ? -1 : mp_err_set(err, MP_PERM, "no ticket");
	/* Staff answer by pressing Reply on our notice: what they quote of
	 * it (the callback number, holder data, our instructions) is not
	 * theirs to pass on. */
	if (strip_reply(c, &t, cmds.rest, &body, err) < 0) {
		store_ticket_release(&t);
		return -1;
	}
	if (!has_words(body)) {
		*action_r = cmds.n ? "staff-commands" : "staff-empty";
		rc = 0;
	} else {
		rc = relay(c, &t, m, staff, body, has_verb(&cmds,
							   STAFF_SEND_NOW),
			   attach_dir, err);
	}
	free(body);
	store_ticket_release(&t);
	return rc;
}
