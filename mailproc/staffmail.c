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
#include "msgbuild.h"
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
	{ "done", STAFF_DONE, 0 },
	{ "comment", STAFF_COMMENT, 2 },
	{ "close", STAFF_CLOSE, 0 },
	{ "category", STAFF_CATEGORY, 1 },
	{ "send-now", STAFF_SEND_NOW, 0 },
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
			if (verbs[i].verb == STAFF_CATEGORY &&
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
		return staffops_complete(c, rules, ticket, staff, err);
	case STAFF_CLOSE:
		return staffops_close(c, ticket, staff, err);
	case STAFF_CATEGORY:
		return staffops_category(c, rules, ticket, cmd->arg, staff,
					 err);
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

/* Relays the staff text to the customer. */
static int
relay(struct compose *c, const struct store_ticket *t, const struct msg *m,
      const char *staff, const char *body, int send_now,
      const char *attach_dir, struct mp_err *err)
{
	struct msgbuild_attachment *att = NULL;
	struct compose_mail mail = { 0 };
	char tag[128], subject[1024], detail[300];
	char **paths = NULL, **ids = NULL;
	size_t n_ids = 0;
	long long id, release_at = 0;
	size_t i;
	int rc = -1, urgent = t->class && strcmp(t->class,
						 "fault-report") == 0;

	ticket_tag(tag, sizeof(tag), c->conf->subject_tag, t->id);
	if (ticket_id_from_subject(m->subject, c->conf->subject_tag) == t->id)
		snprintf(subject, sizeof(subject), "%s", m->subject);
	else
		snprintf(subject, sizeof(subject), "%s %s", tag, *m->subject ?
			 m->subject : t->subject);
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
	rc = store_history_add(c->store, t->id, c->now, staff, "reply",
			       detail, err);
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
	char why[300], cmdtext[300];
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
	if (!has_words(cmds.rest)) {
		*action_r = cmds.n ? "staff-commands" : "staff-empty";
		return 0;
	}
	rc = store_ticket_get(c->store, ticket, &t, err);
	if (rc <= 0)
		return rc < 0 ? -1 : mp_err_set(err, MP_PERM, "no ticket");
	rc = relay(c, &t, m, staff, cmds.rest, has_verb(&cmds,
							STAFF_SEND_NOW),
		   attach_dir, err);
	store_ticket_release(&t);
	return rc;
}
