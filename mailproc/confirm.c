/*
 * confirm.c: holding work until the customer's identity is confirmed.
 *
 * The confirmation always goes to the contract's registered contact,
 * never to the address the request came from: whoever can write mail can
 * claim to be the customer, only the registered mailbox (or phone) is
 * proof.  Every step is written to the ticket's history with who, when and
 * through which channel.
 *
 * A yes is a deliberate act: a mail to the confirm address, from a person
 * (an automatic reply neither confirms nor declines), whose own text does
 * not say no.  The confirmation mail's Reply-To is the ticket's ordinary
 * address, so pressing Reply reaches staff as a follow-up and confirms
 * nothing.  A yes from an address other than the registered one still
 * counts (the token is the proof) but the work order says so.
 *
 * Lifetimes are business time (identity_token_ttl, "3 business days"), so
 * nothing runs out while the desk is closed; the mail to registered
 * contacts is policy mail, never dropped by the auto-reply limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoreply.h"
#include "confirm.h"
#include "log.h"

/* The name of ticket t's task in lang ("en" or anything else for ja). */
static const char *
task_name_in(const struct rules *rules, const struct store_ticket *t,
	     const char *lang)
{
	const struct rules_item *item = t->class ?
		rules_item_find(rules, t->class) : NULL;

	if (item == NULL)
		return t->class ? t->class : "";
	return lang && strcmp(lang, "en") == 0 ? item->name_en :
		item->name_ja;
}

const char *
confirm_task_name(const struct rules *rules, const struct store_ticket *t)
{
	return task_name_in(rules, t, t->lang);
}

/* The names of ticket t's tasks on channel (NULL: any) in state (NULL:
 * any) in lang, joined into buf; the class's name when it has none.
 * Returns buf. */
static const char *
tasks_names(struct compose *c, const struct rules *rules,
	    const struct store_ticket *t, const char *channel,
	    const char *state, const char *lang, char *buf, size_t size)
{
	struct store_task *v = NULL;
	struct mp_err err;
	size_t n = 0, i, len = 0, k = 0;
	int en = lang != NULL && strcmp(lang, "en") == 0;

	buf[0] = '\0';
	if (store_tasks_get(c->store, t->id, &v, &n, &err) == 0)
		for (i = 0; i < n && len < size; i++) {
			const struct rules_item *it;

			if ((channel && (v[i].channel == NULL ||
					 strcmp(v[i].channel, channel) != 0)) ||
			    (state && strcmp(v[i].state, state) != 0))
				continue;
			it = rules_item_find(rules, v[i].task);
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						k++ ? (en ? ", " : "、") : "",
						it ? (en ? it->name_en :
						      it->name_ja) :
						v[i].task);
		}
	store_tasks_free(v, n);
	if (k == 0)
		snprintf(buf, size, "%s", task_name_in(rules, t, lang));
	return buf;
}

/* Moves ticket t to the state its tasks add up to: held while any task
 * waits for its confirmation, open while any confirmed task is not yet
 * done, else rejected (a ticket without task rows: open when confirmed,
 * else rejected).  Returns 0 or -1. */
static int
settle(struct compose *c, const struct store_ticket *t, int confirmed,
       const char *by, const char *why, struct mp_err *err)
{
	struct store_task *v;
	size_t n, i, held = 0, open = 0, done = 0;
	const char *to;

	/* One read of the ticket's tasks, counted here. */
	if (store_tasks_get(c->store, t->id, &v, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		held += strcmp(v[i].state, "held") == 0;
		open += strcmp(v[i].state, "open") == 0;
		done += strcmp(v[i].state, "done") == 0;
	}
	store_tasks_free(v, n);
	if (n == 0)
		to = confirmed ? "open" : "rejected";
	else if (held > 0)
		to = "held";
	else if (open > 0)
		to = "open";
	else
		to = done > 0 ? "done" : "rejected";
	if (strcmp(to, t->state) == 0)
		return store_history_add(c->store, t->id, c->now, by,
					 "identity", why, err);
	return store_ticket_set_state(c->store, t->id, to, c->now, by, why,
				      err);
}

/* Queues one template mail about ticket t. */
static int
send_about(struct compose *c, const struct store_ticket *t,
	   const char *template, const char *to, int to_staff,
	   const char *reply_to, const struct tmpl_var *vars, size_t n,
	   struct mp_err *err)
{
	struct compose_mail mail = { 0 };
	long long id;

	if (to == NULL || *to == '\0')
		return 0;
	/* compose threads it to the mail the recipient wrote, if any. */
	mail.ticket = t->id;
	mail.template = template;
	mail.lang = to_staff ? c->conf->language : t->lang;
	mail.to = to;
	mail.automatic = 1;
	mail.policy = !to_staff;	/* only ever to registered contacts */
	mail.to_staff = to_staff;
	mail.reply_to = reply_to;
	mail.vars = vars;
	mail.n_vars = n;
	return compose_queue(c, &mail, &id, err);
}

/* Staff mail is in the staff's language (conf language), so the task is
 * named in it too: staff_task replaces any task_name among vars. */
static int
send_staff(struct compose *c, const struct store_ticket *t,
	   const char *template, const struct tmpl_var *vars, size_t n,
	   const char *staff_task, struct mp_err *err)
{
	struct tmpl_var v[10];
	size_t i;

	if (n > sizeof(v) / sizeof(*v))
		return mp_err_set(err, MP_TEMP, "too many template values");
	for (i = 0; i < n; i++) {
		v[i] = vars[i];
		if (strcmp(v[i].name, "task_name") == 0 && staff_task)
			v[i].value = staff_task;
	}
	return compose_notify(c, c->conf->staff_addresses, t->id, template,
			      v, n, err);
}

/* The end of span (identity_token_ttl or callback_escalate_after)
 * counted from now: business time, or wall-clock moved out of a closed
 * period.  A bad value is a configuration problem: MP_TEMP, so that the
 * mail waits for the fix. */
static int
span_end(struct compose *c, const char *key, const char *span,
	 time_t *end_r, struct mp_err *err)
{
	struct hours_within w;

	if (hours_parse_ttl(span, &w, err) < 0 ||
	    hours_due(c->hours, c->now, &w, end_r, err) < 0) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		return mp_err_set(err, MP_TEMP, "%s: %s", key, why);
	}
	return 0;
}

/* When a token that expires then is reminded: with a quarter of its
 * business time left. */
static int
token_remind_at(struct compose *c, time_t expires, time_t *r,
		struct mp_err *err)
{
	long long secs;

	if (hours_between(c->hours, c->now, expires, &secs, err) < 0)
		return -1;
	if (secs <= 0) {
		*r = expires;
		return 0;
	}
	return hours_add_seconds(c->hours, c->now, secs - secs / 4, r, err);
}

/* A new token mail (first request or reminder) to the monitoring
 * address.  Its Reply-To is the ticket's own address, never a token
 * address: a plain reply is a follow-up for staff. */
static int
send_token(struct compose *c, const struct store_ticket *t,
	   const char *task, const char *contract_id, const char *to,
	   const char *template, long long expires, struct mp_err *err)
{
	struct store_identity r = { 0 };
	char token[IDENTITY_TOKEN_LEN + 1], hash[IDENTITY_HASH_LEN + 1];
	char confirm[512], deny[512], exp[128] = "", ticket_addr[512];
	time_t remind;

	if (identity_token_new(token, err) < 0)
		return -1;
	identity_token_hash(token, hash);
	identity_address(confirm, sizeof(confirm), c->conf->support_address,
			 IDENTITY_CONFIRM, t->id, token);
	identity_address(deny, sizeof(deny), c->conf->support_address,
			 IDENTITY_DENY, t->id, token);
	hours_format_human(c->hours, (time_t)expires, t->lang, exp,
			   sizeof(exp), NULL);
	r.ticket = t->id;
	r.channel = "email";
	r.token_hash = hash;
	r.sent_to = (char *)to;
	r.created = c->now;
	r.expires = expires;
	if (token_remind_at(c, (time_t)expires, &remind, err) < 0)
		return -1;
	r.remind_at = remind;
	if (store_identity_insert(c->store, &r, err) < 0)
		return -1;
	compose_ticket_address(c->conf, t->id, ticket_addr,
			       sizeof(ticket_addr));
	{
		struct tmpl_var vars[] = {
			{ "task_name", task },
			{ "contract_id", contract_id },
			{ "requester", t->requester },
			{ "confirm_address", confirm },
			{ "deny_address", deny },
			{ "token_expires", exp },
		};
		int rc = send_about(c, t, template, to, 0, ticket_addr, vars,
				    sizeof(vars) / sizeof(*vars), err);
		memset(token, 0, sizeof(token));
		return rc;
	}
}

/* Asks the registered contact of channel for the tasks named: a token
 * mail (email) or a callback task to staff (phone). */
static int
ask_channel(struct compose *c, const struct store_ticket *t,
	    enum rules_channel channel, const char *task,
	    const char *staff_task, const struct store_contract *k,
	    time_t expires, struct mp_err *err)
{
	if (channel == RULES_CHANNEL_EMAIL)
		return send_token(c, t, task, k->id, k->monitoring_email,
				  "identity-confirm", (long long)expires, err);
	{
		time_t remind, escalate;
		struct store_identity r = { 0 };
		struct tmpl_var vars[] = {
			{ "task_name", task },
			{ "contract_id", k->id },
			{ "holder_name", k->holder_name },
			{ "emergency_phone", k->emergency_phone },
			{ "requester", t->requester },
		};

		r.ticket = t->id;
		r.channel = "phone";
		r.sent_to = k->emergency_phone;
		r.created = c->now;
		/* Reminded to staff at each opening while pending, and
		 * escalated once after callback_escalate_after. */
		if (hours_next_opening(c->hours, c->now, &remind, err) < 0 ||
		    span_end(c, "callback_escalate_after",
			     c->conf->callback_escalate_after, &escalate,
			     err) < 0)
			return -1;
		r.expires = expires;
		r.remind_at = remind;
		r.escalate_at = escalate;
		if (store_identity_insert(c->store, &r, err) < 0)
			return -1;
		return send_staff(c, t, "identity-callback", vars,
				  sizeof(vars) / sizeof(*vars), staff_task,
				  err);
	}
}

int
confirm_start(struct compose *c, const struct rules *rules,
	      const struct store_ticket *t,
	      const struct rules_item *const *items, size_t n_items,
	      const struct store_contract *k, const char *reply_refusal,
	      struct mp_err *err)
{
	static const enum rules_channel channels[] = {
		RULES_CHANNEL_EMAIL, RULES_CHANNEL_PHONE,
	};
	int en = t->lang && strcmp(t->lang, "en") == 0, asked[2] = { 0, 0 };
	char detail[800], task[512], staff_task[512], all[1024];
	size_t i, ch;
	time_t expires;

	if (span_end(c, "identity_token_ttl", c->conf->identity_token_ttl,
		     &expires, err) < 0)
		return -1;
	for (i = 0; i < n_items; i++)
		if (store_task_set(c->store, t->id, items[i]->id,
				   rules_channel_name(items[i]->channel),
				   "held", c->now, err) < 0)
			return -1;
	snprintf(detail, sizeof(detail), "identity confirmation required "
		 "for %zu task%s", n_items, n_items == 1 ? "" : "s");
	if (store_ticket_set_state(c->store, t->id, "held", c->now,
				   "mailproc", detail, err) < 0)
		return -1;
	/* One confirmation per channel, covering every task it confirms. */
	for (ch = 0; ch < 2; ch++) {
		const char *name = rules_channel_name(channels[ch]);

		for (i = 0; i < n_items; i++)
			if (items[i]->channel == channels[ch])
				asked[ch] = 1;
		if (!asked[ch])
			continue;
		tasks_names(c, rules, t, name, "held", t->lang, task,
			    sizeof(task));
		tasks_names(c, rules, t, name, "held",
			    c->conf->language, staff_task, sizeof(staff_task));
		snprintf(detail, sizeof(detail), "identity confirmation "
			 "asked %s for: %s", channels[ch] == RULES_CHANNEL_EMAIL ?
			 "by mail to the monitoring-notification address" :
			 "by callback to the registered emergency number",
			 staff_task);
		if (store_history_add(c->store, t->id, c->now, "mailproc",
				      "identity", detail, err) < 0 ||
		    ask_channel(c, t, channels[ch], task, staff_task, k,
				expires, err) < 0)
			return -1;
	}
	if (reply_refusal != NULL) {
		log_info("ticket=%lld action=reply-suppressed "
			 "template=identity-pending reason=%s", t->id,
			 reply_refusal);
		return compose_suppressed(c, t->id, "identity-pending",
					  t->requester, reply_refusal, err);
	}
	{
		/* Never the address or number itself: the requester may be
		 * someone who only claims to be the customer. */
		char channel_text[1024];

		snprintf(channel_text, sizeof(channel_text), "%s%s%s",
			 asked[0] ? (en ? "We have sent a confirmation email "
			 "to the monitoring notification address registered "
			 "for your contract." :
			 "ご登録の監視通知連絡先メールアドレスへ、確認のメールを"
			 "お送りしました。") : "",
			 asked[0] && asked[1] ? "\n" : "",
			 asked[1] ? (en ? "Our staff will confirm by telephone "
			 "at the emergency contact number registered for your "
			 "contract." :
			 "ご登録の緊急時連絡先電話番号へ、弊社担当者よりお電話で"
			 "確認させていただきます。") : "");
		tasks_names(c, rules, t, NULL, "held", t->lang, all,
			    sizeof(all));
		{
			struct tmpl_var vars[] = {
				{ "task_name", all },
				{ "channel_text", channel_text },
			};
			return send_about(c, t, "identity-pending",
					  t->requester, 0, NULL, vars,
					  sizeof(vars) / sizeof(*vars), err);
		}
	}
}

/* Resolves the ticket's pending confirmations on channel (NULL: all):
 * their tasks become open (confirmed) or denied, the ticket the state
 * its tasks add up to; then tells the requester (and the confirmer) and,
 * for a yes, staff with the work order for exactly those tasks. */
static int
resolve(struct compose *c, const struct rules *rules,
	const struct store_ticket *t, const char *channel, int confirmed,
	const char *by, const char *via, const char *also_tell,
	const char *why, const char *staff_note, struct mp_err *err)
{
	struct store_identity r;
	char detail[1200], task[512], staff_task[512];
	int rc;

	tasks_names(c, rules, t, channel, "held", t->lang, task,
		    sizeof(task));
	tasks_names(c, rules, t, channel, "held", c->conf->language,
		    staff_task, sizeof(staff_task));
	while ((rc = store_identity_pending(c->store, t->id, channel, &r,
					    err)) == 1) {
		rc = store_identity_resolve(c->store, r.id, confirmed ?
					    "confirmed" : "denied", c->now,
					    by, via, err);
		store_identity_release(&r);
		if (rc < 0)
			return -1;
	}
	if (rc < 0 ||
	    store_tasks_move(c->store, t->id, channel, "held",
			     confirmed ? "open" : "denied", c->now, NULL,
			     err) < 0)
		return -1;
	snprintf(detail, sizeof(detail), "identity %s by %s via %s for %s%s%s",
		 confirmed ? "confirmed" : "denied", by, via, staff_task,
		 why ? ": " : "", why ? why : "");
	if (settle(c, t, confirmed, by, detail, err) < 0)
		return -1;
	{
		struct tmpl_var vars[] = {
			{ "task_name", task },
			{ "requester", t->requester },
			{ "contract_id", t->contract },
			{ "staff_note", staff_note ? staff_note : "" },
		};

		if (send_about(c, t, confirmed ? "identity-confirmed" :
			       "denied", t->requester, 0, NULL, vars, 3,
			       err) < 0)
			return -1;
		if (also_tell != NULL &&
		    strcasecmp(also_tell, t->requester) != 0 &&
		    send_about(c, t, confirmed ? "identity-confirmed" :
			       "denied", also_tell, 0, NULL, vars, 3,
			       err) < 0)
			return -1;
		if (confirmed)
			return send_staff(c, t, "staff-work", vars, 4,
					  staff_task, err);
	}
	return 0;
}

/* Tells staff about a mail to a token address that was not taken as a
 * yes (an automatic reply, or a text that says no). */
static int
tell_staff_reply(struct compose *c, const struct rules *rules,
		 long long ticket, const char *from, const char *what,
		 const char *text, struct mp_err *err)
{
	struct store_ticket t;
	int rc = store_ticket_get(c->store, ticket, &t, err);

	if (rc <= 0)
		return rc;
	{
		struct tmpl_var vars[] = {
			{ "task_name", confirm_task_name(rules, &t) },
			{ "requester", t.requester },
			{ "from", from ? from : "-" },
			{ "error", what },
			{ "state", t.state },
			{ "customer_text", text ? text : "" },
		};
		rc = send_staff(c, &t, "staff-identity-reply", vars,
				sizeof(vars) / sizeof(*vars),
				task_name_in(rules, &t, c->conf->language),
				err);
	}
	store_ticket_release(&t);
	return rc;
}

/* Records a refused attempt on the ticket (if any) and the log. */
static int
refuse(struct compose *c, long long ticket, int ticket_exists,
       const char *from, const char *outcome, struct mp_err *err)
{
	char detail[400], safe[128], why[LOG_VALUE_MAX];

	log_warning("ticket=%lld from=%s action=identity-refused reason=%s",
		    ticket, log_quote(safe, sizeof(safe), from),
		    log_quote(why, sizeof(why), outcome));
	snprintf(detail, sizeof(detail), "confirmation refused: %s (from %s)",
		 outcome, from ? from : "-");
	if (store_identity_log(c->store, c->now, ticket_exists ? ticket : 0,
			       from, outcome, detail, err) < 0)
		return -1;
	return ticket_exists ? store_history_add(c->store, ticket, c->now,
						 "mailproc", "identity",
						 detail, err) : 0;
}

/* What staff read about a token mail that was not a yes. */
static const char *
reply_what(const struct compose *c, int automatic, const char *why,
	   char *buf, size_t size)
{
	int en = strcmp(c->conf->language, "en") == 0;

	if (automatic)
		snprintf(buf, size, en ? "an automatic reply (%s): neither "
			 "confirmed nor declined" : "自動応答（%s）：承認・取り"
			 "消しのどちらにもしていません", why);
	else
		snprintf(buf, size, "%s", en ? "the text says no: the request "
			 "was declined, not confirmed" : "本文がご依頼を否定して"
			 "いるため、承認せず取り消しました");
	return buf;
}

/* A yes with a valid token from someone other than the registered
 * address: it counts, and the work order and the history say so. */
static int
note_other_address(struct compose *c, long long ticket, const char *from,
		   const char *registered, char *note, size_t size,
		   struct mp_err *err)
{
	char detail[600], safe[128];

	note[0] = '\0';
	if (from != NULL && registered != NULL &&
	    strcasecmp(from, registered) == 0)
		return 0;
	log_warning("ticket=%lld from=%s action=identity-other-address", ticket,
		    log_quote(safe, sizeof(safe), from));
	snprintf(note, size, strcmp(c->conf->language, "en") == 0 ?
		 "\n  NOTE: this confirmation came from %s, not from the "
		 "registered\n  monitoring-notification address %s. Check with "
		 "the contract's\n  registered contact before doing the work.\n" :
		 "\n　※注意：この確認は、登録済みの監視通知連絡先（%2$s）ではなく\n"
		 "　%1$s から届きました。作業の前に、ご契約の登録済み連絡先へ\n"
		 "　ご依頼の有無をご確認ください。\n", from ? from : "-",
		 registered ? registered : "-");
	snprintf(detail, sizeof(detail), "confirmation from %s, not from the "
		 "registered address %s: flagged to staff", from ? from : "-",
		 registered ? registered : "-");
	return store_history_add(c->store, ticket, c->now, "mailproc",
				 "identity", detail, err);
}

/* Whether the writer's own text (quotes and signature left out) says
 * no.  Returns 1, 0, or -1 (out of memory). */
static int
text_declines(const struct msg *m, struct mp_err *err)
{
	char *own = rules_own_text(m->text);
	int no;

	if (own == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	no = identity_reply_declines(own) ||
	     identity_reply_declines(m->subject);
	free(own);
	return no;
}

int
confirm_token_mail(struct compose *c, const struct rules *rules,
		   enum identity_kind kind, long long ticket,
		   const char *token, const struct msg *m,
		   const char *env_sender, const char **outcome_r,
		   struct mp_err *err)
{
	struct store_ticket t;
	struct store_identity r;
	char hash[IDENTITY_HASH_LEN + 1], what[300], note[600];
	const char *from = msg_from_address(m), *automatic;
	int rc, exists, no;

	if (from == NULL || *from == '\0')
		from = env_sender;
	*outcome_r = "malformed-token";
	exists = ticket > 0 ? store_ticket_get(c->store, ticket, &t, err) : 0;
	if (exists < 0)
		return -1;
	if (ticket == 0 || *token == '\0') {
		rc = refuse(c, ticket, exists, from, *outcome_r, err);
		goto done;
	}
	if (!exists) {
		*outcome_r = "no-such-ticket";
		rc = refuse(c, ticket, 0, from, *outcome_r, err);
		goto done;
	}
	identity_token_hash(token, hash);
	rc = store_identity_by_token(c->store, ticket, hash, &r, err);
	if (rc < 0)
		goto done;
	if (rc == 0) {
		*outcome_r = "unknown-token";
		rc = refuse(c, ticket, 1, from, *outcome_r, err);
		goto done;
	}
	if (strcmp(r.state, "pending") != 0) {
		*outcome_r = strcmp(r.state, "expired") == 0 ?
			"expired-token" : "used-token";
		rc = refuse(c, ticket, 1, from, *outcome_r, err);
	} else if (r.expires <= c->now) {
		*outcome_r = "expired-token";
		rc = refuse(c, ticket, 1, from, *outcome_r, err);
	} else if (strcmp(t.state, "held") != 0) {
		*outcome_r = "ticket-not-held";
		rc = refuse(c, ticket, 1, from, *outcome_r, err);
	} else if ((automatic = autoreply_automatic(m, env_sender)) != NULL) {
		/* A machine's mail is nobody's decision: the token stays
		 * open for the person. */
		*outcome_r = "automatic-reply";
		rc = refuse(c, ticket, 1, from, *outcome_r, err);
		if (rc == 0)
			rc = tell_staff_reply(c, rules, ticket, from,
					      reply_what(c, 1, automatic, what,
							 sizeof(what)),
					      m->text, err);
	} else if (kind == IDENTITY_CONFIRM &&
		   (no = text_declines(m, err)) != 0) {
		if (no < 0) {
			rc = -1;
		} else {
			*outcome_r = "declined-by-text";
			rc = resolve(c, rules, &t, "email", 0,
				     from ? from : "-",
				     "email token (the text says no)",
				     r.sent_to, "a mail to the confirm "
				     "address that says no", NULL, err);
			if (rc == 0)
				rc = tell_staff_reply(c, rules, ticket, from,
						      reply_what(c, 0, NULL,
							what, sizeof(what)),
						      m->text, err);
		}
	} else if (kind == IDENTITY_CONFIRM) {
		*outcome_r = "confirmed";
		rc = note_other_address(c, ticket, from, r.sent_to, note,
					sizeof(note), err);
		if (rc == 0)
			rc = resolve(c, rules, &t, "email", 1,
				     from ? from : "-", "email token",
				     r.sent_to, NULL, note[0] ? note : NULL,
				     err);
	} else {
		*outcome_r = "denied";
		rc = resolve(c, rules, &t, "email", 0, from ? from : "-",
			     "email token", r.sent_to, NULL, NULL, err);
	}
	store_identity_release(&r);
done:
	if (exists > 0)
		store_ticket_release(&t);
	return rc < 0 ? -1 : 0;
}

int
confirm_staff(struct compose *c, const struct rules *rules, long long ticket,
	      int confirmed, const char *by, const char *via,
	      const char *override_reason, struct mp_err *err)
{
	struct store_ticket t;
	struct store_identity r;
	int rc = store_ticket_get(c->store, ticket, &t, err), pending;

	if (rc < 0)
		return -1;
	if (rc == 0)
		return mp_err_set(err, MP_PERM, "no ticket %lld", ticket);
	if (strcmp(t.state, "held") != 0) {
		mp_err_set(err, MP_PERM, "ticket %lld is %s, not held for "
			   "identity confirmation", ticket, t.state);
		store_ticket_release(&t);
		return -1;
	}
	/* The phone channel is staff's to decide: a verdict settles the
	 * pending callback.  With none, it is about the mail channel, and
	 * confirming that by hand is an override that says why. */
	pending = store_identity_pending(c->store, ticket, "phone", &r, err);
	if (pending == 0)
		pending = store_identity_pending(c->store, ticket, NULL, &r,
						 err);
	if (pending < 0) {
		store_ticket_release(&t);
		return -1;
	}
	if (confirmed && pending == 1 && strcmp(r.channel, "phone") != 0 &&
	    (override_reason == NULL || *override_reason == '\0')) {
		mp_err_set(err, MP_PERM, "ticket %lld waits for confirmation "
			   "by mail; confirming it by hand is an override "
			   "and needs a reason", ticket);
		rc = -1;
	} else {
		char via_buf[128];
		snprintf(via_buf, sizeof(via_buf), "%s%s", via,
			 override_reason && *override_reason ?
			 " (override)" : "");
		rc = resolve(c, rules, &t, pending == 1 ? r.channel : NULL,
			     confirmed, by, via_buf, NULL, override_reason,
			     NULL, err);
	}
	if (pending == 1)
		store_identity_release(&r);
	store_ticket_release(&t);
	return rc;
}

struct due_ctx {
	struct compose *c;
	const struct rules *rules;
	int closed_day;		/* the desk is closed all day today */
	struct mp_err *err;
};

/* A pending callback still not done: staff are reminded (at each
 * opening) or, past callback_escalate_after, escalated to (once). */
static int
callback_due(struct due_ctx *d, const struct store_identity *r,
	     const struct store_ticket *t, const char *task)
{
	struct compose *c = d->c;
	char received[128] = "", expires[128] = "";
	const char *lang = c->conf->language;
	int escalate = !r->escalated && r->escalate_at > 0 &&
		r->escalate_at <= c->now;
	time_t next;
	int rc = 0;

	hours_format_human(c->hours, (time_t)r->created, lang, received,
			   sizeof(received), NULL);
	hours_format_human(c->hours, (time_t)r->expires, lang, expires,
			   sizeof(expires), NULL);
	{
		struct tmpl_var vars[] = {
			{ "task_name", task },
			{ "contract_id", t->contract ? t->contract : "" },
			{ "requester", t->requester },
			{ "received_at", received },
			{ "token_expires", expires },
			{ "error", c->conf->callback_escalate_after },
		};
		size_t n = sizeof(vars) / sizeof(*vars);

		if (escalate) {
			/* XXX SPEC §14's escalation_address does not exist
			 * yet: the escalation goes to staff. */
			rc = store_identity_set_escalated(c->store, r->id,
							  d->err);
			if (rc == 0)
				rc = store_history_add(c->store, t->id, c->now,
					"mailproc", "escalated", "phone "
					"callback still pending after "
					"callback_escalate_after", d->err);
			if (rc == 0)
				rc = send_staff(c, t,
						"staff-callback-escalation",
						vars, n, task, d->err);
		} else if (r->remind_at <= c->now) {
			rc = send_staff(c, t, "staff-callback-reminder", vars,
					n, task, d->err);
		}
	}
	if (rc == 0 && r->remind_at <= c->now) {
		/* Next at the opening after this one. */
		rc = hours_next_opening(c->hours, c->now, &next, d->err);
		if (rc == 0)
			rc = store_identity_set_remind_at(c->store, r->id,
							  (long long)next,
							  d->err);
	}
	return rc;
}

static int
due_one(void *ctx, const struct store_identity *r)
{
	struct due_ctx *d = ctx;
	struct compose *c = d->c;
	struct store_ticket t;
	char task[512], staff_task[512];
	int rc, held;

	if (r->expires <= c->now && d->closed_day)
		return 0;	/* expiry waits for a working day */
	rc = store_ticket_get(c->store, r->ticket, &t, d->err);
	if (rc <= 0)
		return rc;
	tasks_names(c, d->rules, &t, r->channel, "held", t.lang, task,
		    sizeof(task));
	tasks_names(c, d->rules, &t, r->channel, "held", c->conf->language,
		    staff_task, sizeof(staff_task));
	held = strcmp(t.state, "held") == 0;
	if (r->expires <= c->now) {
		struct tmpl_var vars[] = {
			{ "task_name", task },
			{ "requester", t.requester },
			{ "error", "identity not confirmed in time" },
			{ "command", "expiry" },
		};
		rc = store_identity_resolve(c->store, r->id, "expired",
					    c->now, "mailproc", "expiry",
					    d->err);
		if (rc == 0 && held)
			rc = store_tasks_move(c->store, t.id, r->channel,
					      "held", "rejected", c->now, NULL,
					      d->err);
		if (rc == 0 && held) {
			rc = settle(c, &t, 0, "mailproc", "identity not "
				    "confirmed in time", d->err);
			if (rc == 0)
				rc = send_about(c, &t, "identity-expired",
						t.requester, 0, NULL, vars, 2,
						d->err);
			if (rc == 0)
				rc = send_staff(c, &t, "staff-identity-expired",
						vars, 4, staff_task, d->err);
		}
	} else if (strcmp(r->channel, "email") == 0 && held) {
		/* The stored hash cannot be mailed again: the reminder
		 * carries a fresh token, and the first stays valid. */
		rc = store_identity_set_reminded(c->store, r->id, d->err);
		if (rc == 0)
			rc = send_token(c, &t, task, t.contract ? t.contract :
					"", r->sent_to, "identity-reminder",
					r->expires, d->err);
		/* the fresh row must not remind again */
		if (rc == 0) {
			struct store_identity nr;
			if (store_identity_pending(c->store, t.id, "email",
						   &nr, d->err) == 1) {
				rc = store_identity_set_reminded(c->store,
								 nr.id,
								 d->err);
				store_identity_release(&nr);
			}
		}
	} else if (strcmp(r->channel, "phone") == 0 && held) {
		rc = callback_due(d, r, &t, staff_task);
	} else {
		rc = store_identity_set_reminded(c->store, r->id, d->err);
		if (rc == 0 && !r->escalated)
			rc = store_identity_set_escalated(c->store, r->id,
							  d->err);
	}
	store_ticket_release(&t);
	return rc;
}

int
confirm_due(struct compose *c, const struct rules *rules,
	    struct mp_err *err)
{
	struct due_ctx d = { c, rules, 0, err };
	struct hours_status st;

	if (hours_status(c->hours, c->now, &st, err) < 0)
		return -1;
	d.closed_day = !st.open && st.reason != HOURS_OUTSIDE_HOURS;
	return store_identity_due(c->store, c->now, due_one, &d, err);
}

int
confirm_token_matches(struct store *store, long long ticket,
		      const char *token, struct mp_err *err)
{
	struct store_identity r;
	char hash[IDENTITY_HASH_LEN + 1];
	int rc;

	if (ticket <= 0 || token == NULL ||
	    strlen(token) != IDENTITY_TOKEN_LEN)
		return 0;
	identity_token_hash(token, hash);
	rc = store_identity_by_token(store, ticket, hash, &r, err);
	if (rc == 1)
		store_identity_release(&r);
	return rc;
}
