/*
 * respond.c: the answers to a filed message.
 *
 * A new request is answered at once, in or out of hours (outside hours
 * the acknowledgement names the next opening), and staff are told.  The
 * answer depends on what was asked: a fault report gets the monitoring
 * centre's contact and goes to the centre; an application question gets
 * the policy's out-of-scope answer; catalogued work needs a registered
 * requester, a contract with the option and a registered contact for the
 * confirmation channel, or it is refused with how to ask properly; work
 * that passes is held for identity confirmation.  A customer's follow-up
 * goes to staff only, so a conversation does not collect an
 * acknowledgement per mail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autoreply.h"
#include "confirm.h"
#include "log.h"
#include "respond.h"
#include "ticket.h"

static int
is_en(const struct store_ticket *t)
{
	return t->lang != NULL && strcmp(t->lang, "en") == 0;
}

static const char *
subject_text(const struct respond_event *ev)
{
	if (*ev->m->subject != '\0')
		return ev->m->subject;
	return is_en(ev->ticket) ? "(no subject)" : "(件名なし)";
}

/* Queues a template mail to the requester, threaded to their mail, unless
 * loop protection forbids any automatic reply to it.  With policy (the
 * outcome of a request from a registered requester) the hourly limit
 * does not apply; RFC 3834's refusals always do. */
static int
answer_mail(struct compose *c, const struct respond_event *ev,
	    const char *template, const struct tmpl_var *extra,
	    size_t n_extra, int policy, struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	const struct msg *m = ev->m;
	const struct store_ticket *t = ev->ticket;
	struct compose_mail mail = { 0 };
	struct tmpl_var *vars;
	const char *refusal, **refs;
	long long id;
	size_t i, n = 0;
	int rc;

	refusal = autoreply_refusal(c->conf, m, ev->env_sender, t->requester);
	if (refusal != NULL) {
		log_info("ticket=%lld action=reply-suppressed template=%s "
			 "reason=%s", t->id, template,
			 log_quote(why, sizeof(why), refusal));
		return compose_suppressed(c, t->id, template, t->requester,
					  refusal, err);
	}
	vars = calloc(n_extra + 2, sizeof(*vars));
	refs = calloc(m->n_references + 1, sizeof(*refs));
	if (vars == NULL || refs == NULL) {
		free(vars);
		free(refs);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	vars[n].name = "requester";
	vars[n++].value = t->requester;
	vars[n].name = "customer_subject";
	vars[n++].value = subject_text(ev);
	for (i = 0; i < n_extra; i++)
		vars[n++] = extra[i];
	for (i = 0; i < m->n_references; i++)
		refs[i] = m->references[i];
	if (m->message_id != NULL)
		refs[i++] = m->message_id;
	mail.ticket = t->id;
	mail.template = template;
	mail.lang = t->lang;
	mail.to = t->requester;
	mail.automatic = 1;
	mail.policy = policy;
	mail.in_reply_to = m->message_id;
	mail.references = refs;
	mail.n_references = i;
	mail.vars = vars;
	mail.n_vars = n;
	rc = compose_queue(c, &mail, &id, err);
	free(vars);
	free(refs);
	return rc;
}

/* An ordinary automatic reply, held to auto_reply_limit. */
static int
answer(struct compose *c, const struct respond_event *ev,
       const char *template, const struct tmpl_var *extra, size_t n_extra,
       struct mp_err *err)
{
	return answer_mail(c, ev, template, extra, n_extra, 0, err);
}

/* The class's name for staff, with the other tasks the mail asks for. */
static void
class_name_of(const struct respond_event *ev, int en, char *buf, size_t size)
{
	const struct store_ticket *t = ev->ticket;
	const struct rules_result *res = ev->classified;
	const struct rules_item *item = t->class ?
		rules_item_find(ev->rules, t->class) : NULL;
	size_t len, i, n = 0;

	len = (size_t)snprintf(buf, size, "%s", item ? (en ? item->name_en :
						       item->name_ja) :
			       (t->class ? t->class : "general"));
	for (i = 0; res != NULL && i < res->n_tasks && len < size; i++) {
		const struct rules_item *ti;

		if (t->class != NULL && strcmp(res->tasks[i], t->class) == 0)
			continue;
		ti = rules_item_find(ev->rules, res->tasks[i]);
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					n++ ? (en ? ", " : "、") :
					(en ? " (also asks for " : "（ほかに "),
					ti ? (en ? ti->name_en : ti->name_ja) :
					res->tasks[i]);
	}
	if (n > 0 && len < size)
		snprintf(buf + len, size - len, "%s", en ? ")" : " も依頼）");
}

/* The model's candidates, one per line, for the triage notice. */
static void
candidates_of(const struct respond_event *ev, int en, char *buf, size_t size)
{
	const struct rules_result *res = ev->classified;
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; res != NULL && i < res->n_scores && len < size; i++) {
		const struct rules_item *it = rules_item_find(
			ev->rules, res->scores[i].class);

		len += (size_t)snprintf(buf + len, size - len,
					"  %-30s %-24s %.2f\n",
					res->scores[i].class,
					it ? (en ? it->name_en : it->name_ja) :
					"", res->scores[i].p);
	}
	if (len == 0)
		snprintf(buf, size, "  -\n");
}

/* For the triage notice: the servers the request names that belong to
 * another contract, as a paragraph set off by blank lines; empty when
 * there are none. */
static void
mismatch_of(const struct respond_event *ev, int en, char *buf, size_t size)
{
	size_t len, i;

	buf[0] = '\0';
	if (ev->n_mismatch == 0)
		return;
	len = (size_t)snprintf(buf, size, "%s", en ?
		"\nSERVER OF ANOTHER CONTRACT: this request waits for you "
		"whatever its\nclass. Do not hold, confirm or work it for the "
		"contract it came from;\nask the requester which server is "
		"meant:" :
		"\n【他の契約のサーバー】分類にかかわらず、このお問い合わせは"
		"スタッフの判断を\n待ちます。依頼元のご契約の依頼として保留・"
		"本人性確認・作業しないでください。\nどのサーバーのことか、"
		"依頼者に確認してください：");
	for (i = 0; i < ev->n_mismatch && len < size; i++) {
		const struct servers_mismatch *mm = &ev->mismatch[i];

		if (en) {
			char line[300];
			servers_mismatch_format(mm, line, sizeof(line));
			len += (size_t)snprintf(buf + len, size - len,
						"\n  %s", line);
		} else {
			len += (size_t)snprintf(buf + len, size - len,
						"\n　%s はご契約 %s のサーバー"
						"です（%s %s）", mm->name,
						mm->contract, mm->by_form ?
						"フォームの契約IDは" :
						"依頼者のご契約は",
						mm->claimed);
		}
	}
	if (len < size)
		snprintf(buf + len, size - len, "\n");
}

/* "12 KB", "3.4 MB", "512 bytes". */
static void
human_size(long long n, char *buf, size_t size)
{
	if (n >= 1024 * 1024)
		snprintf(buf, size, "%.1f MB", (double)n / (1024.0 * 1024.0));
	else if (n >= 1024)
		snprintf(buf, size, "%lld KB", (n + 1023) / 1024);
	else
		snprintf(buf, size, "%lld bytes", n);
}

/* The customer's attachments for a staff notice: all of them as files
 * of the attachment store when every one is stored and together they
 * fit notify_attachment_limit (*n_r of them in *att_r, a new array with
 * new paths in *paths_r), else none; note says which, in the staff's
 * language ("" without attachments).  Returns 0 or -1. */
static int
notice_attachments(struct compose *c, const struct respond_event *ev,
		   int en, struct msgbuild_attachment **att_r, char ***paths_r,
		   size_t *n_r, char *note, size_t size, struct mp_err *err)
{
	const struct msg *m = ev->m;
	long long total = 0;
	size_t i, n = m->n_attachments;
	int stored = 1;
	char hs[32];

	*att_r = NULL;
	*paths_r = NULL;
	*n_r = 0;
	*note = '\0';
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		total += m->attachments[i].size;
		stored &= m->attachments[i].sha256 != NULL;
	}
	human_size(total, hs, sizeof(hs));
	if (!stored || total > c->conf->notify_attachment_limit) {
		snprintf(note, size, en ? "\n\n  Attachments (%zu, %s): not "
			 "attached here (over notify_attachment_limit); get "
			 "them with\n  mailproc ticket attachment %lld" :
			 "\n\n　添付ファイル（%zu件、%s）：大きいため添付して"
			 "いません。取り出すには\n　mailproc ticket "
			 "attachment %lld", n, hs, ev->ticket->id);
		return 0;
	}
	*att_r = calloc(n, sizeof(**att_r));
	*paths_r = calloc(n, sizeof(**paths_r));
	if (*att_r == NULL || *paths_r == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		const struct msg_attachment *a = &m->attachments[i];
		size_t len = strlen(c->conf->state_dir) + 100;

		(*paths_r)[i] = malloc(len);
		if ((*paths_r)[i] == NULL)
			goto oom;
		snprintf((*paths_r)[i], len, "%s/attachments/%.2s/%s",
			 c->conf->state_dir, a->sha256, a->sha256);
		(*att_r)[i].path = (*paths_r)[i];
		(*att_r)[i].filename = a->filename;
		(*att_r)[i].content_type = a->content_type;
	}
	*n_r = n;
	snprintf(note, size, en ? "\n\n  Attachments (%zu, %s): attached to "
		 "this notice." : "\n\n　添付ファイル（%zu件、%s）：この通知に"
		 "添付しています。", n, hs);
	return 0;
oom:
	for (i = 0; *paths_r != NULL && i < n; i++)
		free((*paths_r)[i]);
	free(*paths_r);
	free(*att_r);
	*paths_r = NULL;
	*att_r = NULL;
	return mp_err_set(err, MP_TEMP, "out of memory");
}

/* Tells each address in list (space or comma separated) about the
 * ticket with template, the customer's attachments with it (up to
 * notify_attachment_limit). */
static int
notify(struct compose *c, const struct respond_event *ev, const char *list,
       const char *template, struct mp_err *err)
{
	const struct store_ticket *t = ev->ticket;
	const struct rules_item *item = t->class ?
		rules_item_find(ev->rules, t->class) : NULL;
	const char *note = "";

	int en = strcmp(c->conf->language, "en") == 0;	/* staff's */
	char class_name[512], candidates[1024], mismatch[2048], att_note[300];
	char bare[1024];
	struct msgbuild_attachment *att;
	char **paths;
	size_t n_att, i;

	class_name_of(ev, en, class_name, sizeof(class_name));
	candidates_of(ev, en, candidates, sizeof(candidates));
	/* The notice's subject carries the tag once (the template's). */
	ticket_subject_bare(bare, sizeof(bare), c->conf->subject_tag,
			    ev->m->subject);
	/* A reply to the confirmation mail lands here: it is for staff to
	 * read, and it confirms nothing. */
	if (!ev->is_new && strcmp(t->state, "held") == 0)
		note = en ? "\n  NOTE: this request is still waiting for identity "
			"confirmation.\n  This mail does not confirm it.\n" :
			"\n　※このご依頼は本人性確認の待ちです。このメールは"
			"確認（承認）には\n　なりません。\n";
	mismatch_of(ev, en, mismatch, sizeof(mismatch));
	if (notice_attachments(c, ev, en, &att, &paths, &n_att, att_note,
			       sizeof(att_note), err) < 0)
		return -1;
	{
		struct tmpl_var vars[] = {
			{ "requester", t->requester },
			{ "customer_subject", *bare != '\0' ? bare :
			  subject_text(ev) },
			{ "customer_text", ev->m->text },
			{ "class_name", class_name },
			{ "state", t->state },
			{ "contract_id", t->contract ? t->contract :
			  "未登録 / none" },
			{ "task_name", item ? (en ? item->name_en :
					       item->name_ja) : "" },
			{ "candidates", candidates },
			{ "staff_note", note },
			{ "server_mismatch", mismatch },
			{ "attachments_note", att_note },
		};
		int rc = compose_notify_attached(c, list, t->id, template,
						 vars, sizeof(vars) /
						 sizeof(*vars), att, n_att,
						 err);

		for (i = 0; i < n_att; i++)
			free(paths[i]);
		free(paths);
		free(att);
		return rc;
	}
}

/* The plain acknowledgement: in hours, or outside hours with the next
 * opening. */
static int
acknowledge(struct compose *c, const struct respond_event *ev,
	    const char *template, struct mp_err *err)
{
	const struct store_ticket *t = ev->ticket;
	struct hours_status st;
	char next[128] = "", due[128] = "";

	if (hours_status(c->hours, c->now, &st, err) < 0)
		return -1;
	hours_format_human(c->hours, st.next_open, t->lang, next,
			   sizeof(next), NULL);
	if (t->first_response_due > 0)
		hours_format_human(c->hours, (time_t)t->first_response_due,
				   t->lang, due, sizeof(due), NULL);
	{
		struct tmpl_var vars[] = {
			{ "next_open", next },
			{ "first_response_due", due },
		};
		if (template == NULL)
			template = st.open ? "ack" : "ack-closed";
		return answer(c, ev, template, vars, 2, err);
	}
}

/* Rejects a request for catalogued work with an answer that says why.
 * To a requester registered to a contract that answer is the request's
 * outcome, policy mail; to a stranger it is an ordinary reply. */
static int
refuse_work(struct compose *c, const struct respond_event *ev,
	    const char *template, const char *why,
	    const struct tmpl_var *vars, size_t n, struct mp_err *err)
{
	if (store_ticket_set_state(c->store, ev->ticket->id, "rejected",
				   c->now, "mailproc", why, err) < 0)
		return -1;
	return answer_mail(c, ev, template, vars, n, ev->contract != NULL,
			   err);
}

/* The names of the options that would cover item, joined for a list. */
static void
option_names(const struct respond_event *ev, const struct rules_item *item,
	     char *buf, size_t size)
{
	int en = is_en(ev->ticket);
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < item->n_options && len + 1 < size; i++) {
		const struct rules_option *o = rules_option_find(ev->rules,
							item->options[i]);
		const char *name = o ? (en ? o->name_en : o->name_ja) :
			item->options[i];
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? (en ? ", " : "、") : "", name);
	}
}

/* Why contract k cannot have item done or confirmed, into why (and the
 * refusal's template and option names); 0 when it can. */
static int
work_refusal(const struct respond_event *ev, const struct rules_item *item,
	     const char **template_r, char *why, size_t why_size,
	     char *options, size_t options_size)
{
	const struct store_contract *k = ev->contract;

	if (k == NULL) {
		*template_r = "unregistered";
		snprintf(why, why_size, "requester is not registered to any "
			 "contract");
		return 1;
	}
	if (!rules_item_covered(item, k->options)) {
		*template_r = "not-subscribed";
		option_names(ev, item, options, options_size);
		snprintf(why, why_size, "contract %s does not subscribe to an "
			 "option covering %s", k->id, item->id);
		return 1;
	}
	if ((item->channel == RULES_CHANNEL_EMAIL &&
	     k->monitoring_email == NULL) ||
	    (item->channel == RULES_CHANNEL_PHONE &&
	     k->emergency_phone == NULL)) {
		*template_r = "unregistered";
		snprintf(why, why_size, "contract %s has no registered %s for "
			 "identity confirmation", k->id,
			 item->channel == RULES_CHANNEL_EMAIL ?
			 "monitoring-notification address" :
			 "emergency phone number");
		return 1;
	}
	return 0;
}

/* Holds the ticket for every identity task it asks for (its class first,
 * then the other tasks recorded when it was filed), each on its own
 * channel.  A task the contract cannot have is refused on its own; when
 * the class itself is refused, so is the whole request (answer_refusal:
 * the refusal is answered; a fault report's tasks are refused quietly,
 * its fault is being handled).  Returns 0 or -1. */
static int
hold_tasks(struct compose *c, const struct respond_event *ev,
	   const struct rules_item *main_item, int answer_refusal,
	   struct mp_err *err)
{
	const struct store_ticket *t = ev->ticket;
	const struct rules_item *items[RULES_MAX_TASKS + 1];
	struct store_task *v = NULL;
	size_t n = 0, n_items = 0, i, k;
	char why[300], options[1024], detail[400];
	const char *template;

	if (store_tasks_get(c->store, t->id, &v, &n, err) < 0)
		return -1;
	if (main_item != NULL && main_item->identity_required)
		items[n_items++] = main_item;
	for (i = 0; i < n && n_items < RULES_MAX_TASKS; i++) {
		const struct rules_item *it;

		if (strcmp(v[i].state, "asked") != 0)
			continue;
		it = rules_item_find(ev->rules, v[i].task);
		if (it == NULL || !it->identity_required)
			continue;
		for (k = 0; k < n_items && items[k] != it; k++)
			;
		if (k == n_items)
			items[n_items++] = it;
	}
	store_tasks_free(v, n);
	if (n_items == 0)
		return 0;
	/* The request's own task decides for the request. */
	if (main_item == items[0] &&
	    work_refusal(ev, items[0], &template, why, sizeof(why), options,
			 sizeof(options))) {
		const char *task = is_en(t) ? items[0]->name_en :
					      items[0]->name_ja;
		struct tmpl_var vars[] = {
			{ "task_name", task },
			{ "option_name", options },
			{ "contract_id", ev->contract ? ev->contract->id : "" },
		};

		if (store_tasks_move(c->store, t->id, NULL, "asked",
				     "rejected", c->now, NULL, err) < 0 ||
		    store_task_set(c->store, t->id, items[0]->id,
				   rules_channel_name(items[0]->channel),
				   "rejected", c->now, err) < 0)
			return -1;
		if (!answer_refusal)
			return store_history_add(c->store, t->id, c->now,
						 "mailproc", "identity", why,
						 err);
		return refuse_work(c, ev, template, why, vars,
				   strcmp(template, "not-subscribed") == 0 ?
				   3 : 0, err);
	}
	/* Any other task it cannot have is refused alone (staff see it in
	 * the history and the notice); the rest are held. */
	for (i = 0, k = 0; i < n_items; i++) {
		if (!work_refusal(ev, items[i], &template, why, sizeof(why),
				  options, sizeof(options))) {
			items[k++] = items[i];
			continue;
		}
		snprintf(detail, sizeof(detail), "task %s refused: %s",
			 items[i]->id, why);
		if (store_task_set(c->store, t->id, items[i]->id,
				   rules_channel_name(items[i]->channel),
				   "rejected", c->now, err) < 0 ||
		    store_history_add(c->store, t->id, c->now, "mailproc",
				      "identity", detail, err) < 0)
			return -1;
	}
	if (k == 0)
		return 0;
	/* The request waits for its confirmation either way; whether the
	 * requester hears so follows RFC 3834 like every answer. */
	return confirm_start(c, ev->rules, t, items, k, ev->contract,
			     autoreply_refusal(c->conf, ev->m, ev->env_sender,
					       t->requester), err);
}

/* A fault report: its acknowledgement with the monitoring centre's
 * number, the centre told at once; any work it also asks for is held
 * for its confirmation like any request (refused quietly if it cannot
 * be had: the fault is handled regardless). */
static int
fault_report(struct compose *c, const struct respond_event *ev,
	     struct mp_err *err)
{
	struct tmpl_var vars[] = {
		{ "monitoring_centre_phone", c->conf->monitoring_centre_phone },
	};
	int rc, own = conf_is_centre_domain(c->conf,
					  ev->ticket->requester);

	/* The centre is never told of its own mail: a ticket system that
	 * answers from a new address each time would open a fault ticket
	 * and be told of it again, round after round. */
	if (store_history_add(c->store, ev->ticket->id, c->now, "mailproc",
			      "urgent", own ? "fault report from the "
			      "monitoring centre's own domain: not routed "
			      "back to it" : "fault report: routed to the "
			      "monitoring centre", err) < 0)
		return -1;
	rc = answer(c, ev, "fault-ack", vars, 1, err);
	if (rc == 0 && !own)
		rc = notify(c, ev, c->conf->monitoring_centre_address,
			    "staff-new-ticket", err);
	if (rc == 0)
		rc = hold_tasks(c, ev, NULL, 0, err);
	return rc;
}

/* What a request of the ticket's class gets: the answers and holds of a
 * new request.  With reclassified the customer already had an
 * acknowledgement, so a plain one is not sent again. */
static int
respond_class(struct compose *c, const struct respond_event *ev,
	      int reclassified, struct mp_err *err)
{
	const struct store_ticket *t = ev->ticket;
	const struct rules_item *item = t->class ?
		rules_item_find(ev->rules, t->class) : NULL;
	const char *class = t->class ? t->class : "general";

	if (strcmp(class, "fault-report") == 0)
		return fault_report(c, ev, err);
	if (strcmp(class, "out-of-scope") == 0)
		return answer(c, ev, "out-of-scope", NULL, 0, err);
	if (item != NULL && item->catalogue) {
		if (!item->identity_required)
			return reclassified ? 0 : acknowledge(c, ev, NULL,
							      err);
		return hold_tasks(c, ev, item, 1, err);
	}
	return reclassified ? 0 : acknowledge(c, ev, NULL, err);
}

/* Follow-up notices per ticket an hour.  A staff auto-responder that
 * ignores Auto-Submitted and logs in answers each notice; its answer is a
 * staff reply and is relayed, the customer's ticket system answers that,
 * and the follow-up notice starts the round again.  Past the rate the
 * follow-up is filed with a history line and staff are not mailed. */
#define FOLLOWUP_RATE 3

static int
notify_followup(struct compose *c, const struct respond_event *ev,
		struct mp_err *err)
{
	char key[64], why[128];
	int n = 0;

	snprintf(key, sizeof(key), "ticket:%lld", ev->ticket->id);
	snprintf(why, sizeof(why), "follow-up: staff already told of %d this "
		 "hour, not mailed again", FOLLOWUP_RATE);
	if (store_rate_count(c->store, "followup", key,
			     (long long)c->now - 3600, &n, err) < 0)
		return -1;
	if (n >= FOLLOWUP_RATE)
		return store_history_add(c->store, ev->ticket->id, c->now,
					 "mailproc", "quiet", why, err);
	if (store_rate_mark(c->store, "followup", key, (long long)c->now,
			    err) < 0)
		return -1;
	return notify(c, ev, c->conf->staff_addresses, "staff-followup", err);
}

int
respond_filed(struct compose *c, const struct respond_event *ev,
	      struct mp_err *err)
{
	const struct store_ticket *t = ev->ticket;
	int rc;

	if (ev->from_staff)
		return 0;	/* staff replies are staffmail.c's */
	if (ev->quiet)
		return store_history_add(c->store, t->id, c->now, "mailproc",
					 "quiet", "a staff mailbox's answer to "
					 "our notice: filed, nobody mailed",
					 err);
	if (!ev->is_new)
		return ev->quiet_staff ? 0 : notify_followup(c, ev, err);
	if (strcmp(t->state, "triage") == 0) {
		/* Unsure: a neutral answer, and staff choose the class
		 * before anything is confirmed, worked or refused. */
		rc = acknowledge(c, ev, "ack-triage", err);
		if (rc == 0 && !ev->quiet_staff)
			rc = notify(c, ev, c->conf->staff_addresses,
				    "staff-triage", err);
		return rc;
	}
	if (respond_class(c, ev, 0, err) < 0)
		return -1;
	if (ev->quiet_staff)
		return 0;
	/* Staff see the ticket in the state triage left it. */
	{
		struct store_ticket now;
		struct respond_event ev2 = *ev;
		if (store_ticket_get(c->store, t->id, &now, err) < 0)
			return -1;
		ev2.ticket = &now;
		rc = notify(c, &ev2, c->conf->staff_addresses,
			    "staff-new-ticket", err);
		store_ticket_release(&now);
	}
	return rc;
}

int
respond_reclassified(struct compose *c, const struct rules *rules,
		     long long ticket, struct mp_err *err)
{
	struct store_ticket t;
	struct store_contract k;
	struct respond_event ev = { 0 };
	struct msg m;
	char *subject = NULL, *text = NULL, *mid = NULL;
	int rc, has_k = 0;

	rc = store_ticket_get(c->store, ticket, &t, err);
	if (rc <= 0)
		return rc < 0 ? -1 : mp_err_set(err, MP_PERM, "no ticket %lld",
						ticket);
	if (t.contract != NULL &&
	    (has_k = store_contract_get(c->store, t.contract, &k, err)) < 0)
		goto fail;
	if (store_first_message(c->store, ticket, &subject, &text, &mid,
				err) < 0)
		goto fail;
	/* The answers thread to the customer's first mail, as they would
	 * have when it arrived. */
	memset(&m, 0, sizeof(m));
	m.subject = subject ? subject : (char *)"";
	m.text = text ? text : (char *)"";
	m.message_id = mid;
	ev.m = &m;
	ev.env_sender = t.requester;
	ev.rules = rules;
	ev.ticket = &t;
	ev.contract = has_k ? &k : NULL;
	ev.is_new = 1;
	rc = respond_class(c, &ev, 1, err);
	goto done;
fail:
	rc = -1;
done:
	free(subject);
	free(text);
	free(mid);
	if (has_k > 0)
		store_contract_release(&k);
	store_ticket_release(&t);
	return rc;
}
