/*
 * staffops.c: staff actions on tickets.
 *
 * Completing needs an open ticket: a request still held for identity
 * confirmation cannot be marked done, or the completion notice would
 * announce work nobody was allowed to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confirm.h"
#include "staffops.h"

int
staffops_complete(struct compose *c, const struct rules *rules,
		  long long ticket, const char *by, struct mp_err *err)
{
	struct store_ticket t;
	struct store_contract k;
	int rc = store_ticket_get(c->store, ticket, &t, err), has_k = 0;

	if (rc < 0)
		return -1;
	if (rc == 0)
		return mp_err_set(err, MP_PERM, "no ticket %lld", ticket);
	if (strcmp(t.state, "open") != 0) {
		mp_err_set(err, MP_PERM, "ticket %lld is %s; only an open "
			   "ticket can be completed", ticket, t.state);
		goto fail;
	}
	if (t.contract != NULL &&
	    (has_k = store_contract_get(c->store, t.contract, &k, err)) < 0)
		goto fail;
	if (store_ticket_set_state(c->store, ticket, "done", c->now, by,
				   "work completed", err) < 0)
		goto fail;
	if (has_k && k.monitoring_email != NULL) {
		struct tmpl_var vars[] = {
			{ "task_name", confirm_task_name(rules, &t) },
			{ "contract_id", k.id },
		};
		struct compose_mail mail = { 0 };
		long long id;

		mail.ticket = ticket;
		mail.template = "completion";
		mail.lang = t.lang;
		mail.to = k.monitoring_email;
		mail.automatic = 1;
		mail.policy = 1;	/* never dropped by the rate limit */
		mail.vars = vars;
		mail.n_vars = 2;
		if (compose_queue(c, &mail, &id, err) < 0)
			goto fail;
	} else if (store_history_add(c->store, ticket, c->now, "mailproc",
				     "completion", "no monitoring-"
				     "notification address registered: no "
				     "completion notice sent", err) < 0) {
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	rc = -1;
done:
	if (has_k > 0)
		store_contract_release(&k);
	store_ticket_release(&t);
	return rc;
}

int
staffops_close(struct compose *c, long long ticket, const char *by,
	       struct mp_err *err)
{
	struct store_ticket t;
	int rc = store_ticket_get(c->store, ticket, &t, err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return mp_err_set(err, MP_PERM, "no ticket %lld", ticket);
	if (strcmp(t.state, "closed") == 0)
		rc = mp_err_set(err, MP_PERM, "ticket %lld is already closed",
				ticket);
	else
		rc = store_ticket_set_state(c->store, ticket, "closed", c->now,
					    by, "closed by staff", err);
	store_ticket_release(&t);
	return rc;
}

/* What decided a ticket's class, from its rule: "model", "form", "staff"
 * (an earlier decision) or "rule". */
static const char *
was_by(const char *rule)
{
	if (rule == NULL)
		return "rule";
	if (strcmp(rule, "model") == 0 || strcmp(rule, "staff") == 0)
		return rule;
	if (strcmp(rule, "form-kind") == 0)
		return "form";
	return "rule";
}

int
staffops_category(struct compose *c, const struct rules *rules,
		  long long ticket, const char *class, const char *by,
		  struct mp_err *err)
{
	struct store_ticket t;
	char detail[256];
	int rc;

	if (rules_item_find(rules, class) == NULL)
		return mp_err_set(err, MP_PERM, "unknown category %s", class);
	rc = store_ticket_get(c->store, ticket, &t, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return mp_err_set(err, MP_PERM, "no ticket %lld", ticket);
	snprintf(detail, sizeof(detail), "category %s -> %s",
		 t.class ? t.class : "-", class);
	/* Every staff decision is a labelled example for `train
	 * --from-desk`, and a data point for `classify-report`. */
	{
		struct store_decision d = { 0 };

		d.ticket = ticket;
		d.at = c->now;
		d.by = by;
		d.class = class;
		d.was = t.class;
		d.was_by = was_by(t.rule);
		d.was_triage = strcmp(t.state, "triage") == 0;
		d.from_form = t.recipient != NULL &&
			      strcasecmp(t.recipient,
					 c->conf->form_address) == 0;
		rc = store_decision_add(c->store, &d, err);
	}
	store_ticket_release(&t);
	if (rc < 0 ||
	    store_ticket_set_class(c->store, ticket, class, "staff", 1.0,
				   err) < 0)
		return -1;
	return store_history_add(c->store, ticket, c->now, by, "category",
				 detail, err);
}
