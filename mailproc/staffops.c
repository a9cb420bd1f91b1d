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
#include "respond.h"
#include "staffops.h"
#include "ticket.h"

/* Queues the completion notice (作業完了通知) of one task to the
 * monitoring-notification address, or records that there is none. */
static int
completion_notice(struct compose *c, const struct store_ticket *t,
		  const struct store_contract *k, const char *task_name,
		  struct mp_err *err)
{
	struct tmpl_var vars[] = {
		{ "task_name", task_name },
		{ "contract_id", k ? k->id : "" },
	};
	struct compose_mail mail = { 0 };
	long long id;

	if (k == NULL || k->monitoring_email == NULL)
		return store_history_add(c->store, t->id, c->now, "mailproc",
					 "completion", "no monitoring-"
					 "notification address registered: "
					 "no completion notice sent", err);
	mail.ticket = t->id;
	mail.template = "completion";
	mail.lang = t->lang;
	mail.to = k->monitoring_email;
	mail.automatic = 1;
	mail.policy = 1;	/* never dropped by the rate limit */
	mail.vars = vars;
	mail.n_vars = 2;
	return compose_queue(c, &mail, &id, err);
}

/* The task's name in the ticket's language. */
static const char *
task_name(const struct rules *rules, const struct store_ticket *t,
	  const char *id)
{
	const struct rules_item *it = rules_item_find(rules, id);

	if (it == NULL)
		return id;
	return t->lang && strcmp(t->lang, "en") == 0 ? it->name_en :
		it->name_ja;
}

int
staffops_complete(struct compose *c, const struct rules *rules,
		  long long ticket, const char *only, const char *by,
		  struct mp_err *err)
{
	struct store_ticket t;
	struct store_contract k;
	struct store_task *v = NULL;
	size_t n = 0, i, done = 0;
	long long left = 0, held = 0;
	char detail[300];
	int rc = store_ticket_get(c->store, ticket, &t, err), has_k = 0;

	if (rc < 0)
		return -1;
	if (rc == 0)
		return mp_err_set(err, MP_PERM, "no ticket %lld", ticket);
	if (strcmp(t.state, "open") != 0 && strcmp(t.state, "held") != 0) {
		mp_err_set(err, MP_PERM, "ticket %lld is %s; only confirmed "
			   "work can be completed", ticket, t.state);
		goto fail;
	}
	if ((t.contract != NULL &&
	     (has_k = store_contract_get(c->store, t.contract, &k, err)) < 0) ||
	    store_tasks_get(c->store, ticket, &v, &n, err) < 0)
		goto fail;
	if (n == 0) {
		/* A ticket without task rows (filed before they existed):
		 * its class is the work, and open means confirmed, unless
		 * it is open only because staff answered it (a question
		 * answered is no confirmed work). */
		char *last = NULL;
		int answered;

		if (store_history_last(c->store, ticket, "state", &last,
				       err) < 0)
			goto fail;
		answered = last != NULL && strcmp(last, "open: "
			STORE_ANSWERED_REASON) == 0;
		free(last);
		if (strcmp(t.state, "open") != 0 || answered ||
		    (only != NULL && (t.class == NULL ||
				      strcmp(only, t.class) != 0))) {
			mp_err_set(err, MP_PERM, "ticket %lld has no confirmed "
				   "task%s%s", ticket, only ? " " : "",
				   only ? only : "");
			goto fail;
		}
		if (store_ticket_set_state(c->store, ticket, "done", c->now,
					   by, "work completed", err) < 0 ||
		    completion_notice(c, &t, has_k ? &k : NULL,
				      confirm_task_name(rules, &t), err) < 0)
			goto fail;
		rc = 0;
		goto done;
	}
	/* Only confirmed (open) tasks, each with its own notice. */
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].state, "open") != 0 ||
		    (only != NULL && strcmp(v[i].task, only) != 0))
			continue;
		snprintf(detail, sizeof(detail), "task %s completed",
			 v[i].task);
		if (store_task_set(c->store, ticket, v[i].task, v[i].channel,
				   "done", c->now, err) < 0 ||
		    store_history_add(c->store, ticket, c->now, by,
				      "completion", detail, err) < 0 ||
		    completion_notice(c, &t, has_k ? &k : NULL,
				      task_name(rules, &t, v[i].task),
				      err) < 0)
			goto fail;
		done++;
	}
	if (done == 0) {
		mp_err_set(err, MP_PERM, "ticket %lld has no confirmed task%s%s "
			   "to complete (a task must be confirmed first)",
			   ticket, only ? " " : "", only ? only : "");
		goto fail;
	}
	if (store_tasks_count(c->store, ticket, "open", &left, err) < 0 ||
	    store_tasks_count(c->store, ticket, "held", &held, err) < 0)
		goto fail;
	if (left == 0 && held == 0 &&
	    store_ticket_set_state(c->store, ticket, "done", c->now, by,
				   "work completed", err) < 0)
		goto fail;
	rc = 0;
	goto done;
fail:
	rc = -1;
done:
	store_tasks_free(v, n);
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
	else {
		char why[300];
		snprintf(why, sizeof(why), "closed by %s", by);
		rc = store_ticket_set_state(c->store, ticket, "closed", c->now,
					    by, why, err);
	}
	store_ticket_release(&t);
	return rc;
}

int
staffops_assign(struct compose *c, long long ticket, const char *owner,
		const char *by, struct mp_err *err)
{
	struct store_ticket t;
	int rc;

	if (!conf_is_staff(c->conf, owner))
		return mp_err_set(err, MP_PERM, "%s is not one of "
				  "staff_addresses", owner);
	rc = store_ticket_get(c->store, ticket, &t, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return mp_err_set(err, MP_PERM, "no ticket %lld", ticket);
	if (t.merged_into != 0)
		rc = mp_err_set(err, MP_PERM, "ticket %lld was merged into "
				"%lld", ticket, t.merged_into);
	else
		rc = store_ticket_set_owner(c->store, ticket, owner, c->now,
					    by, err);
	store_ticket_release(&t);
	return rc;
}

/* Whether ticket has work that a merge would strand: tasks waiting for
 * their identity confirmation (its token and callback belong to this
 * ticket, which the merge closes) or confirmed and not yet done.
 * Returns 0 when none, 1 with err saying what waits, or -1. */
static int
work_waiting(struct compose *c, long long ticket, struct mp_err *err)
{
	long long held = 0, open = 0;

	if (store_tasks_count(c->store, ticket, "held", &held, err) < 0 ||
	    store_tasks_count(c->store, ticket, "open", &open, err) < 0)
		return -1;
	if (held == 0 && open == 0)
		return 0;
	mp_err_set(err, MP_PERM, "ticket %lld has work %s: finish it (#done, "
		   "#denied) or close it before merging", ticket,
		   held > 0 ? "waiting for identity confirmation" :
		   "confirmed and not yet done");
	return 1;
}

int
staffops_merge(struct compose *c, long long a, long long b, const char *by,
	       long long *into_r, struct mp_err *err)
{
	struct store_ticket ta, tb;
	const struct store_ticket *older, *newer;
	int ra, rb, rc = -1;

	if (a == b)
		return mp_err_set(err, MP_PERM, "a ticket cannot be merged "
				  "with itself");
	ra = store_ticket_get(c->store, a, &ta, err);
	if (ra < 0)
		return -1;
	rb = store_ticket_get(c->store, b, &tb, err);
	if (rb < 0) {
		store_ticket_release(&ta);
		return -1;
	}
	older = a < b ? &ta : &tb;
	newer = a < b ? &tb : &ta;
	if (ra == 0 || rb == 0)
		mp_err_set(err, MP_PERM, "no ticket %lld", ra == 0 ? a : b);
	else if (ta.merged_into != 0 || tb.merged_into != 0)
		mp_err_set(err, MP_PERM, "ticket %lld was already merged",
			   ta.merged_into ? a : b);
	/* Only the same customer's requests: a merge shows each ticket's
	 * history and messages to whoever the other's replies go to. */
	else if (!ticket_may_join(older->requester, older->contract,
				  newer->requester, newer->contract, 0))
		mp_err_set(err, MP_PERM, "tickets %lld and %lld are not the "
			   "same customer's", a, b);
	else if (work_waiting(c, newer->id, err) != 0)
		;	/* err says which */
	else if (store_ticket_merge(c->store, newer->id, older->id, c->now,
				    by, err) == 0) {
		if (into_r != NULL)
			*into_r = older->id;
		rc = 0;
	}
	store_ticket_release(&ta);
	store_ticket_release(&tb);
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

/* After a class change: nothing the old class asked for survives
 * (pending confirmations are superseded, unfinished tasks dropped),
 * except the very task chosen if it was already confirmed; then the new
 * class gets what a new request of it gets (respond.c): the
 * subscription check and the identity hold on its channel, the fault
 * routing, the out-of-scope answer.  A non-task class opens nothing. */
static int
retriage(struct compose *c, const struct rules *rules,
	 const struct store_ticket *t, const char *class, const char *by,
	 struct mp_err *err)
{
	const struct rules_item *item = rules_item_find(rules, class);
	struct store_identity r;
	struct store_task *v = NULL;
	size_t n = 0, i;
	int rc, confirmed = 0;

	if (store_tasks_get(c->store, t->id, &v, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].task, class) == 0 &&
		    (strcmp(v[i].state, "open") == 0 ||
		     strcmp(v[i].state, "done") == 0))
			confirmed = 1;
	store_tasks_free(v, n);
	if (confirmed)
		/* Staff named the task that was confirmed: it stands. */
		return store_history_add(c->store, t->id, c->now, by,
					 "category", "the chosen task was "
					 "confirmed already", err);
	while ((rc = store_identity_pending(c->store, t->id, NULL, &r,
					    err)) == 1) {
		rc = store_identity_resolve(c->store, r.id, "superseded",
					    c->now, by, "class change", err);
		store_identity_release(&r);
		if (rc < 0)
			return -1;
	}
	if (rc < 0 ||
	    store_tasks_move(c->store, t->id, NULL, NULL, "dropped", c->now,
			     NULL, err) < 0)
		return -1;
	/* Back to waiting for staff until the new class's own triage
	 * moves it: a class change never opens work by itself. */
	if ((strcmp(t->state, "triage") == 0 || strcmp(t->state, "held") == 0 ||
	     strcmp(t->state, "open") == 0 || strcmp(t->state, "rejected") == 0) &&
	    store_ticket_set_state(c->store, t->id, "new", c->now, by,
				   "class changed: triage runs again",
				   err) < 0)
		return -1;
	if (item == NULL)
		return 0;
	return respond_reclassified(c, rules, t->id, err);
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
	/* A request naming a server of another contract is never held for
	 * (nor worked for) the requester's: no class change makes it so. */
	{
		const struct rules_item *it = rules_item_find(rules, class);
		char *why = NULL;

		rc = it != NULL && it->identity_required ?
			store_history_last(c->store, ticket, "server", &why,
					   err) : 0;
		if (rc != 0) {
			if (rc > 0)
				mp_err_set(err, MP_PERM, "ticket %lld cannot be "
					   "held for %s: %s; the request must "
					   "come from that contract", ticket,
					   class, why);
			free(why);
			store_ticket_release(&t);
			return -1;
		}
	}
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
	if (rc == 0)
		rc = store_ticket_set_class(c->store, ticket, class, "staff",
					    1.0, err);
	if (rc == 0)
		rc = store_history_add(c->store, ticket, c->now, by,
				       "category", detail, err);
	if (rc == 0)
		rc = retriage(c, rules, &t, class, by, err);
	store_ticket_release(&t);
	return rc;
}
