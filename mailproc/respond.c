/*
 * respond.c: the answers to a filed message.
 *
 * A new request is acknowledged at once, in or out of hours (outside
 * hours the acknowledgement names the next opening), and staff are told;
 * a customer's follow-up goes to staff only, so that a conversation does
 * not collect an acknowledgement per mail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoreply.h"
#include "log.h"
#include "respond.h"

/* Calls fn for each configured staff address. */
static int
each_staff(const struct conf *conf, int (*fn)(void *ctx, const char *addr),
	   void *ctx)
{
	char *tmp = strdup(conf->staff_addresses), *tok, *save = NULL;
	int rc = 0;

	if (tmp == NULL)
		return -1;
	for (tok = strtok_r(tmp, " ,\t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, " ,\t", &save))
		rc = fn(ctx, tok);
	free(tmp);
	return rc;
}

struct staff_ctx {
	struct compose *c;
	const struct respond_event *ev;
	const char *template;
	struct mp_err *err;
};

static int
notify_one(void *ctx, const char *addr)
{
	struct staff_ctx *sc = ctx;
	const struct respond_event *ev = sc->ev;
	struct tmpl_var vars[] = {
		{ "requester", ev->requester },
		{ "customer_subject", ev->m->subject },
		{ "customer_text", ev->m->text },
		{ "class_name", ev->class ? ev->class : "general" },
		{ "state", ev->is_new ? "new" : "follow-up" },
	};
	struct compose_mail mail = { 0 };
	long long id;

	mail.ticket = ev->ticket;
	mail.template = sc->template;
	mail.lang = sc->c->conf->language;
	mail.to = addr;
	mail.automatic = 1;
	mail.to_staff = 1;
	mail.vars = vars;
	mail.n_vars = sizeof(vars) / sizeof(*vars);
	return compose_queue(sc->c, &mail, &id, sc->err);
}

static int
notify_staff(struct compose *c, const struct respond_event *ev,
	     const char *template, struct mp_err *err)
{
	struct staff_ctx sc = { c, ev, template, err };

	return each_staff(c->conf, notify_one, &sc);
}

/* The acknowledgement to the requester, threaded to their mail. */
static int
acknowledge(struct compose *c, const struct respond_event *ev,
	    struct mp_err *err)
{
	const struct msg *m = ev->m;
	struct hours_status st;
	struct compose_mail mail = { 0 };
	char next[128] = "", due[128] = "";
	const char *refusal, **refs;
	long long id;
	size_t i;
	int rc;

	refusal = autoreply_refusal(c->conf, m, ev->env_sender,
				    ev->requester);
	if (refusal != NULL) {
		log_info("ticket=%lld action=ack-suppressed reason=%s",
			 ev->ticket, refusal);
		return compose_suppressed(c, ev->ticket, "ack", ev->requester,
					  refusal, err);
	}
	if (hours_status(c->hours, c->now, &st, err) < 0)
		return -1;
	hours_format_human(c->hours, st.next_open, ev->lang, next,
			   sizeof(next), NULL);
	if (ev->first_response_due > 0)
		hours_format_human(c->hours, (time_t)ev->first_response_due,
				   ev->lang, due, sizeof(due), NULL);
	{
		struct tmpl_var vars[] = {
			{ "requester", ev->requester },
			{ "customer_subject", m->subject },
			{ "next_open", next },
			{ "first_response_due", due },
		};
		refs = calloc(m->n_references + 1, sizeof(*refs));
		if (refs == NULL)
			return mp_err_set(err, MP_TEMP, "out of memory");
		for (i = 0; i < m->n_references; i++)
			refs[i] = m->references[i];
		if (m->message_id != NULL)
			refs[i++] = m->message_id;
		mail.ticket = ev->ticket;
		mail.template = st.open ? "ack" : "ack-closed";
		mail.lang = ev->lang;
		mail.to = ev->requester;
		mail.automatic = 1;
		mail.in_reply_to = m->message_id;
		mail.references = refs;
		mail.n_references = i;
		mail.vars = vars;
		mail.n_vars = sizeof(vars) / sizeof(*vars);
		rc = compose_queue(c, &mail, &id, err);
		free(refs);
	}
	return rc;
}

int
respond_filed(struct compose *c, const struct respond_event *ev,
	      struct mp_err *err)
{
	if (ev->from_staff)
		return 0;	/* staff replies: the staff-reply issue */
	if (!ev->is_new)
		return notify_staff(c, ev, "staff-followup", err);
	if (acknowledge(c, ev, err) < 0)
		return -1;
	return notify_staff(c, ev, "staff-new-ticket", err);
}
