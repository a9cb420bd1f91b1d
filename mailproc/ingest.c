/*
 * ingest.c: from a spool file to a ticket.
 *
 * Everything a message causes is written in one transaction, and the file
 * leaves new/ only after the commit, so a crash at any point either leaves
 * the whole change or none of it plus a file that `run` will process again.
 * The (Message-ID, content hash) pair makes that second pass harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alarm.h"
#include "autoreply.h"
#include "clock.h"
#include "compose.h"
#include "alert.h"
#include "confirm.h"
#include "identity.h"
#include "hours.h"
#include "ingest.h"
#include "log.h"
#include "msg.h"
#include "msgjson.h"
#include "respond.h"
#include "rules.h"
#include "servers.h"
#include "staffmail.h"
#include "trust.h"
#include "spool.h"
#include "store.h"
#include "ticket.h"
#include "tmpl.h"

struct ingest {
	const struct conf *conf;
	struct store *store;
	struct rules *rules;		/* loaded when first needed */
	struct alert_format *alerts;	/* likewise */
	struct hours hours;
	struct hours_within within;
	char attach_dir[4096];
	int batch;			/* ingest_batch_begin() */
};

int
ingest_new(struct ingest **in_r, const struct conf *conf,
	   struct mp_err *err)
{
	struct ingest *in = calloc(1, sizeof(*in));

	*in_r = NULL;
	if (in == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	in->conf = conf;
	if (hours_init_conf(&in->hours, conf, err) < 0 ||
	    hours_parse_within(conf->first_response_within, &in->within,
			       err) < 0) {
		hours_release(&in->hours);
		free(in);
		mp_err_setup(err);	/* a config problem: mail waits */
		return -1;
	}
	snprintf(in->attach_dir, sizeof(in->attach_dir), "%s/attachments",
		 conf->state_dir);
	*in_r = in;
	return 0;
}

void
ingest_free(struct ingest **inp)
{
	struct ingest *in = *inp;

	if (in == NULL)
		return;
	store_free(&in->store);
	rules_free(&in->rules);
	alert_format_free(&in->alerts);
	hours_release(&in->hours);
	free(in);
	*inp = NULL;
}

/* The address a new ticket answers to: From, else the envelope sender. */
static const char *
requester_of(const struct msg *m, const struct spool_envelope *env)
{
	const char *from = msg_from_address(m);

	if (from != NULL && *from != '\0')
		return from;
	return env->sender;
}

/* Whether text holds Japanese script (hiragana, katakana, half-width
 * katakana, CJK or Japanese punctuation). */
static int
has_japanese(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p; p++)
		if (p[0] == 0xe3 && (p[1] == 0x80 || p[1] == 0x81 ||
				     p[1] == 0x82 || p[1] == 0x83))
			return 1;	/* 、。「」, kana */
		else if (p[0] >= 0xe4 && p[0] <= 0xe9)
			return 1;
		else if (p[0] == 0xef && ((p[1] == 0xbd && p[2] >= 0xa1) ||
					  (p[1] == 0xbe && p[2] <= 0x9f)))
			return 1;	/* half-width katakana, U+FF61-FF9F */
	return 0;
}

/* The language of the answers: Japanese when the customer wrote any,
 * the configured default for an empty mail, English otherwise. */
static char *
lang_of(const struct conf *c, const struct msg *m)
{
	if (has_japanese(m->subject) || has_japanese(m->text))
		return "ja";
	if (*m->subject == '\0' && *m->text == '\0')
		return c->language;
	return "en";
}

/* Finds the ticket this message continues, by plus-address, then
 * In-Reply-To/References, then the subject tag.  Returns 1 with the id
 * and how it was found, 0, or -1. */
static int
find_thread(struct ingest *in, const struct msg *m,
	    const struct spool_envelope *env, long long *id_r,
	    const char **how_r, struct mp_err *err)
{
	const struct conf *c = in->conf;
	const char **ids;
	size_t n = 0, i;
	long long id;
	int rc;

	id = ticket_id_from_address(env->recipient, c->support_address);
	for (i = 0; id == 0 && *env->recipient == '\0' && i < m->to.n; i++)
		id = ticket_id_from_address(m->to.v[i].address,
					    c->support_address);
	if (id > 0) {
		*id_r = id;
		*how_r = "plus-address";
		return 1;
	}
	ids = calloc(m->n_references + 1, sizeof(*ids));
	if (ids == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	for (i = 0; i < m->n_references; i++)
		ids[n++] = m->references[i];
	if (m->in_reply_to != NULL)
		ids[n++] = m->in_reply_to;	/* the closest: tried first */
	rc = n > 0 ? store_ticket_by_message_ids(in->store, ids, n, id_r,
						  err) : 0;
	free(ids);
	if (rc != 0) {
		*how_r = "references";
		return rc;
	}
	id = ticket_id_from_subject(m->subject, c->subject_tag);
	if (id > 0) {
		*id_r = id;
		*how_r = "subject-tag";
		return 1;
	}
	return 0;
}

/* What one message is being filed as; lives for one ingest_spooled(). */
struct filing {
	struct msg *m;
	struct spool_envelope env;
	const char *name;		/* spool file */
	char *hash, *json;
	char *requester;		/* the address answers go to */
	char *contract;			/* the requester's, or NULL */
	char *form_contract;		/* 契約ID of a form mail, or NULL */
	char *form_server;		/* 対象サーバー of a form, or NULL */
	char *form_name;		/* お名前 of a form, or NULL */
	int from_form, trusted_staff, spoofed;
	int echo;			/* a staff mailbox answering our notice */
	char trust[200];		/* the signal that made it staff, or
					 * why a staff From was refused */
	struct rules_result res;	/* classified before the transaction */
	long long ticket, now;
	char action[64];
};

static void
filing_release(struct filing *f)
{
	free(f->hash);
	free(f->json);
	free(f->requester);
	free(f->contract);
	free(f->form_contract);
	free(f->form_server);
	free(f->form_name);
	msg_free(&f->m);
	spool_envelope_release(&f->env);
}

/* The envelope recipient, or for a file without envelope the first To
 * address. */
static const char *
recipient_of(const struct filing *f)
{
	if (*f->env.recipient != '\0')
		return f->env.recipient;
	return f->m->to.n > 0 ? f->m->to.v[0].address : "";
}

static int
load_rules(struct ingest *in, struct mp_err *err)
{
	if (in->rules != NULL)
		return 0;
	char path[4096];

	if (rules_load_site(&in->rules, in->conf->site_rules_dir, in->conf->rules_dir, NULL, NULL, err) < 0) {
		mp_err_setup(err);	/* fix the rules; the mail waits */
		return -1;
	}
	/* No model file: the rules alone classify (check-config says so);
	 * a damaged one is a broken installation: the mail waits. */
	if (rules_model_load(in->rules, conf_model_path(in->conf, path,
							sizeof(path)),
			     err) < 0) {
		rules_free(&in->rules);
		mp_err_setup(err);
		return -1;
	}
	return 0;
}

int
ingest_prepare(struct ingest *in, struct mp_err *err)
{
	if (load_rules(in, err) < 0)
		return -1;
	if (in->store == NULL &&
	    store_open(&in->store, in->conf->state_dir,
		       in->conf->lock_timeout, err) < 0)
		return -1;
	return 0;
}

/* Works out who is asking: for form-gateway mail the メールアドレス field
 * (answers go there), otherwise From, else the envelope sender. */
static int
find_requester(struct ingest *in, struct filing *f, struct mp_err *err)
{
	const struct conf *c = in->conf;
	const char *addr = requester_of(f->m, &f->env);

	if (f->from_form) {
		struct rules_form form;
		/* From here on the requester is what a visitor typed. */
		if (load_rules(in, err) < 0 ||
		    rules_form_parse(in->rules, f->m->text, &form, err) < 0)
			return -1;
		if (addr_plausible(form.field[RULES_FIELD_EMAIL]))
			f->requester = strdup(form.field[RULES_FIELD_EMAIL]);
		if (form.field[RULES_FIELD_CONTRACT] != NULL)
			f->form_contract =
				strdup(form.field[RULES_FIELD_CONTRACT]);
		if (form.field[RULES_FIELD_SERVER] != NULL)
			f->form_server =
				strdup(form.field[RULES_FIELD_SERVER]);
		if (form.field[RULES_FIELD_NAME] != NULL)
			f->form_name = strdup(form.field[RULES_FIELD_NAME]);
		rules_form_release(&form);
	}
	if (f->requester == NULL)
		f->requester = strdup(addr ? addr : "");
	if (f->requester == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	{
		/* Form mail is judged too, on the typed field and on From
		 * (the gateway's), only to record a staff address in it as
		 * a spoofing attempt: it is never staff. */
		const char *from = msg_from_address(f->m);
		enum trust_verdict v = trust_judge(c, f->m, f->requester,
						   f->env.sasl_user,
						   f->from_form, f->trust,
						   sizeof(f->trust));
		if (v == TRUST_NOT_STAFF && f->from_form && from != NULL)
			v = trust_judge(c, f->m, from, f->env.sasl_user, 1,
					f->trust, sizeof(f->trust));
		f->trusted_staff = v == TRUST_STAFF;
		f->spoofed = v == TRUST_SPOOFED;
	}
	return store_contract_of(in->store, f->requester, &f->contract,
				 err) < 0 ? -1 : 0;
}

static int
insert_message(struct ingest *in, struct filing *f, struct mp_err *err)
{
	struct store_message sm = { 0 };

	sm.ticket = f->ticket;
	sm.direction = f->trusted_staff ? "staff" : "in";
	sm.message_id = f->m->message_id;
	sm.content_hash = f->hash;
	sm.spool_name = f->name;
	sm.env_sender = f->env.sender;
	sm.env_recipient = f->env.recipient;
	sm.sasl_user = f->env.sasl_user;
	sm.parsed_json = f->json;
	sm.received = f->now;
	return store_message_insert(in->store, &sm, NULL, err);
}

/* What the history says of a classification: class, by what, the
 * runner-up, the tasks asked, and the model's candidates. */
static void
classified_detail(const struct rules_result *res, char *buf, size_t size)
{
	size_t len, i;

	len = (size_t)snprintf(buf, size, "%s by %s %s (confidence %.2f)",
			       res->class, res->by, res->rule,
			       res->confidence);
	for (i = 0; i < res->n_tasks && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? " " : "; tasks ", res->tasks[i]);
	for (i = 0; i < res->n_scores && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s %.2f",
					i ? ", " : "; candidates ",
					res->scores[i].class,
					res->scores[i].p);
}

/* The servers of the registry, for servers_check(). */
struct registry_servers {
	struct servers_host *v;
	size_t n;
};

static void
registry_servers_release(struct registry_servers *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free((char *)r->v[i].name);
		free((char *)r->v[i].contract);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int
add_server(void *ctx, const char *name, const char *contract)
{
	struct registry_servers *r = ctx;
	struct servers_host *v = realloc(r->v, (r->n + 1) * sizeof(*v));

	if (v == NULL)
		return 1;	/* out of memory */
	r->v = v;
	v[r->n].name = strdup(name);
	v[r->n].contract = strdup(contract);
	r->n++;
	return v[r->n - 1].name == NULL || v[r->n - 1].contract == NULL;
}

#define MAX_MISMATCH 8

/* The registered servers the request names (in its subject, text and a
 * form's 対象サーバー field) that belong to another contract than the
 * requester's or the form's 契約ID: their number in *n_r, up to
 * MAX_MISMATCH in mm, pointing into reg (which the caller releases).  A
 * request for such a server must never be held for, confirmed by or
 * worked for the contract it came from (issue 11, item 9). */
static int
foreign_servers(struct ingest *in, const struct filing *f,
		struct registry_servers *reg, struct servers_mismatch *mm,
		size_t *n_r, struct mp_err *err)
{
	const char *form_contract = f->from_form ? f->form_contract : NULL;
	char *text;
	int n;

	*n_r = 0;
	if (f->contract == NULL && form_contract == NULL)
		return 0;
	n = store_server_each(in->store, add_server, reg, err);
	if (n < 0)
		return -1;
	if (n > 0)
		return mp_err_set(err, MP_TEMP, "out of memory");
	if (reg->n == 0)
		return 0;
	/* As classification reads them: NFKC (ｗｅｂ０１ is web01), the
	 * writer's own words (a quoted thread names old servers). */
	{
		char *subj = rules_own_text(f->m->subject);
		char *body = rules_own_text(f->m->text);

		n = subj == NULL || body == NULL ||
		    asprintf(&text, "%s\n%s\n%s", subj, body,
			     f->form_server ? f->form_server : "") < 0;
		free(subj);
		free(body);
		if (n)
			return mp_err_set(err, MP_TEMP, "out of memory");
	}
	n = servers_check(text, reg->v, reg->n, f->contract, form_contract,
			  mm, MAX_MISMATCH);
	free(text);
	if (n < 0)
		return mp_err_set(err, MP_TEMP, "out of memory");
	*n_r = (size_t)n;
	return 0;
}

/* Opens a new ticket for the message, classified; linked says which
 * ticket it refers to that its sender may not join (0: none). */
static int
file_new_ticket(struct ingest *in, struct filing *f, long long linked,
		const char *how, struct mp_err *err)
{
	struct store_ticket t = { 0 };
	struct registry_servers reg = { 0 };
	struct servers_mismatch mm[MAX_MISMATCH];
	struct rules_result res;
	char detail[400];
	size_t n_mm = 0, i;
	time_t due;
	int triage, rc = -1;

	res = f->res;
	if (hours_due(&in->hours, (time_t)f->now, &in->within, &due, err) < 0 ||
	    foreign_servers(in, f, &reg, mm, &n_mm, err) < 0)
		goto done;
	/* A server of another contract: staff decide before anything is
	 * held, confirmed or worked, as for an unsure class. */
	triage = res.triage || n_mm > 0;
	t.state = triage ? "triage" : "new";
	t.class = (char *)res.class;
	t.rule = (char *)res.rule;
	t.confidence = res.confidence;
	t.requester = f->requester;
	t.recipient = (char *)recipient_of(f);
	t.subject = f->m->subject;
	t.contract = f->contract;
	t.lang = lang_of(in->conf, f->m);
	t.created = f->now;
	t.first_response_due = (long long)due;
	t.linked = linked;
	if (store_ticket_insert(in->store, &t, &f->ticket, err) < 0 ||
	    store_history_add(in->store, f->ticket, f->now, "mailproc",
			      "state", res.triage ? "triage: the classifier "
			      "is unsure; staff choose the class" :
			      n_mm > 0 ? "triage: the request names a server "
			      "of another contract; staff decide" :
			      "new: received", err) < 0)
		goto done;
	classified_detail(&res, detail, sizeof(detail));
	if (store_history_add(in->store, f->ticket, f->now, "mailproc",
			      "classified", detail, err) < 0)
		goto done;
	for (i = 0; i < n_mm; i++) {
		char safe[128], safe_c[64], safe_k[64];

		servers_mismatch_format(&mm[i], detail, sizeof(detail));
		if (store_history_add(in->store, f->ticket, f->now,
				      "mailproc", "server", detail, err) < 0)
			goto done;
		log_warning("ticket=%lld action=server-mismatch server=%s "
			    "contract=%s %s=%s", f->ticket,
			    log_quote(safe, sizeof(safe), mm[i].name),
			    log_quote(safe_k, sizeof(safe_k), mm[i].contract),
			    mm[i].by_form ? "form_contract" :
			    "requester_contract",
			    log_quote(safe_c, sizeof(safe_c), mm[i].claimed));
	}
	/* Every identity task the mail asks for is recorded: each needs its
	 * own confirmation before any work (confirm.c). */
	for (i = 0; !triage && i < res.n_tasks; i++) {
		const struct rules_item *it = rules_item_find(in->rules,
							      res.tasks[i]);
		if (it != NULL &&
		    store_task_set(in->store, f->ticket, it->id,
				   rules_channel_name(it->channel), "asked",
				   f->now, err) < 0)
			goto done;
	}
	if (f->from_form && f->form_contract != NULL &&
	    (f->contract == NULL ||
	     strcmp(f->form_contract, f->contract) != 0)) {
		snprintf(detail, sizeof(detail), "the form names contract %s; "
			 "the requester's registered contract is %s",
			 f->form_contract, f->contract ? f->contract : "none");
		if (store_history_add(in->store, f->ticket, f->now,
				      "mailproc", "contract", detail, err) < 0)
			goto done;
	}
	/* The name the visitor typed greets them ({{salutation}}). */
	if (f->from_form && f->form_name != NULL && *f->form_name != '\0' &&
	    store_history_add(in->store, f->ticket, f->now, "mailproc",
			      "form-name", f->form_name, err) < 0)
		goto done;
	if (linked > 0) {
		snprintf(detail, sizeof(detail), "refers to ticket %lld (by "
			 "%s) but the sender may not add to it", linked, how);
		if (store_history_add(in->store, f->ticket, f->now,
				      "mailproc", "linked", detail, err) < 0)
			goto done;
		snprintf(f->action, sizeof(f->action), "new-linked");
	}
	if (insert_message(in, f, err) < 0)
		goto done;
	{
		struct compose c = { in->conf, in->store, &in->hours,
				     (time_t)f->now };
		struct respond_event ev = { 0 };
		struct store_contract k;
		struct store_ticket cur;
		int has_k = 0;

		if (f->contract != NULL &&
		    (has_k = store_contract_get(in->store, f->contract, &k,
						err)) < 0)
			goto done;
		if (store_ticket_get(in->store, f->ticket, &cur, err) < 0) {
			if (has_k)
				store_contract_release(&k);
			goto done;
		}
		ev.m = f->m;
		ev.env_sender = f->env.sender;
		ev.rules = in->rules;
		ev.ticket = &cur;
		ev.contract = has_k ? &k : NULL;
		ev.classified = &res;
		ev.is_new = 1;
		ev.quiet = f->echo;
		ev.mismatch = mm;
		ev.n_mismatch = n_mm;
		ev.quiet_staff = f->spoofed;
		rc = respond_filed(&c, &ev, err);
		store_ticket_release(&cur);
		if (has_k)
			store_contract_release(&k);
	}
done:
	registry_servers_release(&reg);
	return rc;
}

/* Adds the message to an existing ticket it continues. */
static int
file_followup(struct ingest *in, struct filing *f, const char *how,
	      struct mp_err *err)
{
	struct compose c = { in->conf, in->store, &in->hours,
			     (time_t)f->now };
	struct respond_event ev = { 0 };
	struct store_ticket cur;
	char detail[400];
	int rc;

	snprintf(f->action, sizeof(f->action), "followup");
	if (f->trusted_staff)
		snprintf(detail, sizeof(detail), "message from staff (%s) "
			 "joined by %s", f->trust, how);
	else
		snprintf(detail, sizeof(detail), "message from customer "
			 "joined by %s", how);
	if (store_history_add(in->store, f->ticket, f->now,
			      f->trusted_staff ? f->requester : "mailproc",
			      "message", detail, err) < 0 ||
	    insert_message(in, f, err) < 0 ||
	    load_rules(in, err) < 0)
		return -1;
	if (f->trusted_staff) {
		const char *action;
		const char *machine = autoreply_automatic(f->m, f->env.sender);

		/* A staff mailbox's auto-responder, logged in like its
		 * owner: its answer to our notice is no reply to the
		 * customer, and holds no commands. */
		if (machine != NULL) {
			snprintf(f->action, sizeof(f->action), "staff-auto");
			snprintf(detail, sizeof(detail), "automatic mail from "
				 "staff (%s): filed, not relayed, no command "
				 "run", machine);
			return store_history_add(in->store, f->ticket, f->now,
						 "mailproc", "quiet", detail,
						 err);
		}
		rc = staffmail_handle(&c, in->rules, f->ticket, f->m,
				      f->requester, in->attach_dir, &action,
				      err);
		snprintf(f->action, sizeof(f->action), "%s", action);
		return rc;
	}
	if (store_ticket_get(in->store, f->ticket, &cur, err) < 0)
		return -1;
	ev.m = f->m;
	ev.env_sender = f->env.sender;
	ev.rules = in->rules;
	ev.ticket = &cur;
	ev.quiet_staff = f->spoofed;
	rc = respond_filed(&c, &ev, err);
	store_ticket_release(&cur);
	return rc;
}

/* A staff From without a trust signal: logged, shown on the ticket it
 * lands on, and staff are told, with this one notice instead of the
 * usual new-ticket or follow-up one.  Staff's own auto-responders (and
 * anyone forging a staff From in bulk) must not start a storm: no notice
 * answers machine-made mail, and a sender gets at most one notice an
 * hour.  The mail itself is then handled as customer mail. */
#define SPOOFING_NOTICE_INTERVAL 3600

static int
record_spoofing(struct ingest *in, struct filing *f, struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	const char *machine = autoreply_automatic(f->m, f->env.sender);
	int recent = 0;

	struct compose c = { in->conf, in->store, &in->hours,
			     (time_t)f->now };
	char safe[128], safe_why[200], detail[400];
	struct tmpl_var vars[] = {
		{ "from", f->requester },
		{ "customer_subject", f->m->subject },
		{ "reason", f->trust },
	};

	log_warning("ticket=%lld from=%s action=spoofing-attempt "
		    "reason=%s", f->ticket,
		    log_quote(safe, sizeof(safe), f->requester),
		    log_quote(safe_why, sizeof(safe_why), f->trust));
	snprintf(detail, sizeof(detail), "mail with the staff address %s as "
		 "From but no trust signal (%s): handled as customer mail",
		 f->requester, f->trust);
	if (store_history_add(in->store, f->ticket, f->now, "mailproc",
			      "spoofing", detail, err) < 0)
		return -1;
	if (machine == NULL &&
	    store_rate_count(in->store, "spoofing", f->requester,
				f->now - SPOOFING_NOTICE_INTERVAL, &recent,
				err) < 0)
		return -1;
	if (machine != NULL || recent > 0) {
		log_info("ticket=%lld action=notice-suppressed "
			 "template=staff-spoofing reason=%s", f->ticket,
			 log_quote(why, sizeof(why), machine ? machine :
				   "rate-limit"));
		snprintf(detail, sizeof(detail), "staff not told again: %s",
			 machine ? machine : "a notice for this sender went "
			 "out within the hour");
		return store_history_add(in->store, f->ticket, f->now,
					 "mailproc", "suppressed", detail,
					 err);
	}
	if (store_rate_mark(in->store, "spoofing", f->requester, f->now,
				err) < 0)
		return -1;
	return compose_notify(&c, in->conf->staff_addresses, f->ticket,
			      "staff-spoofing", vars, 3, err);
}

/* A mail to a confirm/deny address.  Only a token we issued for that
 * ticket lets it onto the ticket, where it goes to the confirmation flow.
 * With any other token the address joins nothing (SPEC §6): the mail is
 * refused before anything is stored on the ticket and filed as a new
 * ticket of its own, linked, as a stranger's plus-address mail is. */
static int
file_token_reply(struct ingest *in, struct filing *f, enum identity_kind kind,
		 long long ticket, const char *token, struct mp_err *err)
{
	struct compose c = { in->conf, in->store, &in->hours,
			     (time_t)f->now };
	struct store_ticket t;
	const char *outcome, *from = requester_of(f->m, &f->env);
	const char *what = kind == IDENTITY_CONFIRM ? "confirm" : "decline";
	char detail[400], safe[128], how[64];
	int exists, match;

	if (load_rules(in, err) < 0)
		return -1;
	exists = ticket > 0 ? store_ticket_get(in->store, ticket, &t, err) : 0;
	if (exists < 0)
		return -1;
	if (exists)
		store_ticket_release(&t);
	match = exists ? confirm_token_matches(in->store, ticket, token,
					       err) : 0;
	if (match < 0)
		return -1;
	if (match) {
		f->ticket = ticket;
		if (insert_message(in, f, err) < 0 ||
		    store_history_add(in->store, ticket, f->now, "mailproc",
				      "message", kind == IDENTITY_CONFIRM ?
				      "reply to the confirm address" :
				      "reply to the decline address",
				      err) < 0)
			return -1;
		if (confirm_token_mail(&c, in->rules, kind, ticket, token,
				       f->m, f->env.sender, &outcome,
				       err) < 0)
			return -1;
		snprintf(f->action, sizeof(f->action), "identity-%s",
			 outcome);
		return 0;
	}
	outcome = ticket <= 0 || strlen(token) != IDENTITY_TOKEN_LEN ?
		"malformed-token" : !exists ? "no-such-ticket" :
		"unknown-token";
	log_warning("ticket=%lld from=%s action=identity-refused reason=%s "
		    "filed=own-ticket", ticket,
		    log_quote(safe, sizeof(safe), from), outcome);
	snprintf(detail, sizeof(detail), "mail to the %s address of ticket "
		 "%lld refused: %s (from %s); filed as a ticket of its own",
		 what, ticket, outcome, from ? from : "-");
	if (store_identity_log(in->store, f->now, exists ? ticket : 0, from,
			       outcome, detail, err) < 0)
		return -1;
	if (find_requester(in, f, err) < 0)
		return -1;
	snprintf(how, sizeof(how), "the %s address with a wrong token", what);
	if (file_new_ticket(in, f, exists ? ticket : 0, how, err) < 0)
		return -1;
	snprintf(f->action, sizeof(f->action), "identity-%s-new%s", outcome,
		 exists ? "-linked" : "");
	if (f->spoofed)
		return record_spoofing(in, f, err);
	return 0;
}

/* Classifies the message into f->res (a reply to a confirm/deny address
 * too: with a wrong token it becomes a ticket of its own).  The mail is
 * read as form-gateway mail when it was sent to form_address. */
static int
classify(struct ingest *in, struct filing *f, struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	if (load_rules(in, err) < 0)
		return -1;
	f->from_form = conf_is_form(in->conf, recipient_of(f));
	if (rules_classify(in->rules, f->m->subject, f->m->text, f->from_form,
			   &f->res, err) == 0)
		return 0;
	if (err->kind != MP_PERM)
		return -1;
	/* A broken pattern must not hold up mail: file it as a general
	 * question (which hands no work to anyone) and say so loudly. */
	log_crit("action=filed-general status=rules-unusable reason=%s",
		 log_quote(why, sizeof(why), err->msg));
	memset(&f->res, 0, sizeof(f->res));
	f->res.class = "general";
	f->res.rule = "rules-error";
	return 0;
}

/* Whether the mail's In-Reply-To or References name a mail we queued on
 * ticket (0: any ticket) to the address to.  1, 0 or -1. */
static int
answers_mail_to(struct ingest *in, struct filing *f, long long ticket,
		const char *to, struct mp_err *err)
{
	const char **ids = calloc(f->m->n_references + 1, sizeof(*ids));
	size_t n = 0, i;
	int rc;

	if (ids == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	for (i = 0; i < f->m->n_references; i++)
		ids[n++] = f->m->references[i];
	if (f->m->in_reply_to != NULL)
		ids[n++] = f->m->in_reply_to;
	rc = store_outbox_answered(in->store, ticket, ids, n, to, err);
	free(ids);
	return rc;
}

/* Whether the mail comes from the monitoring centre's domain and
 * answers mail we sent there on ticket: its ticket system writes from a
 * new address for each of its tickets, none of them the requester, yet
 * the answer belongs on our ticket, not on a new fault ticket that would
 * be routed back to the centre.  The In-Reply-To or References must name
 * a Message-ID of our own mail to the centre's address (random, known
 * only to the centre), so a forged From alone joins nothing.  1, 0 or
 * -1. */
static int
answers_our_mail(struct ingest *in, struct filing *f, long long ticket,
		 struct mp_err *err)
{
	const char *centre = in->conf->monitoring_centre_address;

	/* Never for a staff address: that would make a forged staff From
	 * with the Message-ID of a staff notice join the ticket.  And only
	 * answers to mail we sent the centre itself, not to staff or anyone
	 * else who shares its domain. */
	if (centre == NULL || strrchr(centre, '@') == NULL ||
	    !conf_is_centre_domain(in->conf, f->requester) ||
	    conf_is_staff(in->conf, f->requester))
		return 0;
	return answers_mail_to(in, f, ticket, centre, err);
}

/* Everything that happens to the message inside the transaction. */
/* A customer's mail on closed ticket t: 1 when it reopens t (from the
 * requester, within reopen_within of the close), 0 when it opens a new
 * ticket linked to t instead, -1 on error. */
static int
closed_followup(struct ingest *in, struct filing *f,
		const struct store_ticket *t, struct mp_err *err)
{
	long long closed_at;

	if (t->merged_into != 0 || t->requester == NULL ||
	    f->requester == NULL || strcasecmp(t->requester, f->requester) != 0)
		return 0;
	if (store_ticket_closed_at(in->store, t->id, &closed_at, err) < 0)
		return -1;
	return closed_at > 0 && f->now - closed_at <= in->conf->reopen_within;
}

/* Reopens f->ticket for the mail being filed: back to new, with a new
 * first-response due time from now (the follow-up notice tells staff). */
static int
reopen_ticket(struct ingest *in, struct filing *f, struct mp_err *err)
{
	time_t due;

	if (hours_due(&in->hours, (time_t)f->now, &in->within, &due,
		      err) < 0 ||
	    store_ticket_restart_clock(in->store, f->ticket, (long long)due,
				       err) < 0 ||
	    store_ticket_set_state(in->store, f->ticket, "new", f->now,
				   "mailproc", "reopened: the requester "
				   "wrote again", err) < 0)
		return -1;
	log_info("ticket=%lld action=reopened", f->ticket);
	return 0;
}

/* A new alert ticket for f (contract NULL: staff alone, why says why),
 * and what it sends. */
static int
open_alert(struct ingest *in, struct filing *f, const struct alert *a,
	   const char *key, const char *contract, const char *why,
	   struct mp_err *err)
{
	struct compose cp = { in->conf, in->store, &in->hours,
			      (time_t)f->now };
	struct store_ticket t = { 0 }, cur;
	struct store_contract k;
	char *lang = NULL;
	int has_k = 0, rc = -1;

	if (contract != NULL &&
	    ((has_k = store_contract_get(in->store, contract, &k, err)) < 0 ||
	     store_contract_lang(in->store, contract, &lang, err) < 0))
		goto done;
	t.state = has_k ? "open" : "triage";
	t.class = "alert";
	t.rule = (char *)key;
	t.requester = has_k && k.monitoring_email ? k.monitoring_email :
		      f->env.sender;
	t.recipient = (char *)recipient_of(f);
	t.subject = f->m->subject;
	t.contract = has_k ? k.id : NULL;
	t.lang = lang ? lang : in->conf->language;
	t.created = f->now;
	if (store_ticket_insert(in->store, &t, &f->ticket, err) < 0 ||
	    store_history_add(in->store, f->ticket, f->now, "mailproc",
			      "state", has_k ? "open: monitoring alert" :
			      "triage: monitoring alert for staff alone",
			      err) < 0 ||
	    insert_message(in, f, err) < 0 ||
	    store_ticket_get(in->store, f->ticket, &cur, err) < 0)
		goto done;
	rc = alert_raised(&cp, &cur, has_k ? &k : NULL, a, why, err);
	store_ticket_release(&cur);
done:
	if (has_k)
		store_contract_release(&k);
	free(lang);
	return rc;
}

/* Mail to alerts_address is a monitoring alert (alert.h), never
 * answered.  Only an allowed alert sender (alerts_senders, envelope and
 * From both) about a registered server reaches a customer; anything
 * else goes to staff alone.  A repeat joins the open ticket of its
 * host, kind and service without a mail; a recovery closes it. */
static int
file_alert(struct ingest *in, struct filing *f, struct mp_err *err)
{
	const struct conf *c = in->conf;
	struct alert a;
	char why[300] = "the alert's contract is not registered";
	char key[400], safe[LOG_VALUE_MAX];
	char *contract = NULL;
	long long open_id = 0;
	int rc = -1, parsed, allowed;

	if (in->alerts == NULL &&
	    alert_format_load(&in->alerts, c->site_rules_dir, c->rules_dir,
			      NULL, NULL, err) < 0) {
		mp_err_setup(err);	/* fix rules/alerts.conf, then retry */
		return -1;
	}
	parsed = alert_parse(in->alerts, f->m->subject, f->m->text, &a, why,
			     sizeof(why)) == 0;
	allowed = conf_is_alert_sender(c, f->env.sender) &&
		  conf_is_alert_sender(c, msg_from_address(f->m));
	if (!parsed) {
		memset(&a, 0, sizeof(a));
		a.kind = ALERT_KIND_COUNT;
		snprintf(key, sizeof(key), "alert-unread:");
	} else if (!allowed) {
		snprintf(why, sizeof(why), "the sender %s is not one of "
			 "alerts_senders", f->env.sender);
		snprintf(key, sizeof(key), "alert-unverified:");
	} else {
		int found = store_server_contract(in->store, a.host, &contract,
						  err);
		if (found < 0)
			goto done;
		if (!found)
			snprintf(why, sizeof(why), "the host %s is not a "
				 "registered server", a.host);
		key[0] = '\0';
	}
	if (parsed) {
		size_t used = strlen(key);
		alert_key(&a, key + used, sizeof(key) - used);
	}
	if (store_alert_open(in->store, key, &open_id, err) < 0)
		goto done;
	if (open_id == 0) {
		if (parsed && a.recovery && contract != NULL) {
			snprintf(why, sizeof(why), "a recovery of %s with no "
				 "open alert", a.host);
			free(contract);
			contract = NULL;
		}
		rc = open_alert(in, f, &a, key, contract, why, err);
		snprintf(f->action, sizeof(f->action), "alert");
		goto done;
	}
	f->ticket = open_id;
	if (insert_message(in, f, err) < 0 ||
	    store_history_add(in->store, open_id, f->now, "mailproc",
			      "alert", parsed && a.recovery ? "recovery" :
			      "repeat (folded)", err) < 0)
		goto done;
	snprintf(f->action, sizeof(f->action), "alert-repeat");
	rc = 0;
	if (parsed && a.recovery && contract != NULL) {
		struct compose cp = { c, in->store, &in->hours,
				      (time_t)f->now };
		struct store_ticket t;
		struct store_contract k;
		int has_k = store_contract_get(in->store, contract, &k, err);

		if (has_k < 0 || store_ticket_get(in->store, open_id, &t,
						  err) <= 0) {
			if (has_k > 0)
				store_contract_release(&k);
			rc = -1;
			goto done;
		}
		rc = alert_recovered(&cp, &t, has_k ? &k : NULL, &a, err);
		store_ticket_release(&t);
		if (has_k)
			store_contract_release(&k);
		snprintf(f->action, sizeof(f->action), "alert-recovered");
	}
done:
	if (rc == 0)
		log_info("ticket=%lld action=%s alert=%s", f->ticket,
			 f->action, log_quote(safe, sizeof(safe), key));
	free(contract);
	alert_release(&a);
	return rc;
}

static int
file_message(struct ingest *in, struct filing *f, struct mp_err *err)
{
	const struct conf *c = in->conf;
	struct store_ticket t;
	char token[IDENTITY_TOKEN_LEN + 1];
	enum identity_kind kind;
	const char *how = NULL;
	long long cand = 0, tid;
	int rc;

	rc = store_message_find(in->store, f->m->message_id, f->hash,
				&f->ticket, err);
	if (rc != 0) {
		snprintf(f->action, sizeof(f->action), "duplicate");
		return rc < 0 ? -1 : 0;
	}
	if (conf_is_alerts(c, recipient_of(f)))
		return file_alert(in, f, err);
	kind = identity_parse_address(recipient_of(f), c->support_address,
				      &tid, token);
	if (kind != IDENTITY_NONE)
		return file_token_reply(in, f, kind, tid, token, err);
	if (find_requester(in, f, err) < 0)
		return -1;
	rc = find_thread(in, f->m, &f->env, &cand, &how, err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		rc = store_ticket_get(in->store, cand, &t, err);
		if (rc > 0 && t.merged_into != 0) {
			/* Merged: its mail belongs to the ticket it joined. */
			cand = t.merged_into;
			store_ticket_release(&t);
			rc = store_ticket_get(in->store, cand, &t, err);
		}
		if (rc < 0)
			return -1;
		if (rc == 0) {
			cand = 0;	/* no such ticket: a plain new one */
		} else {
			int join = ticket_may_join(t.requester, t.contract,
						   f->requester, f->contract,
						   f->trusted_staff), reopen = 0;

			if (join && !f->trusted_staff &&
			    strcmp(t.state, "closed") == 0)
				join = reopen = closed_followup(in, f, &t,
								err);
			store_ticket_release(&t);
			if (join < 0)
				return -1;
			if (!join) {
				join = answers_our_mail(in, f, cand, err);
				if (join < 0)
					return -1;
				if (join)
					how = "an answer to our mail to the "
					      "monitoring centre";
			}
			if (join) {
				f->ticket = cand;
				rc = reopen > 0 ? reopen_ticket(in, f, err) : 0;
				if (rc == 0)
					rc = file_followup(in, f, how, err);
				goto done;
			}
		}
	}
	/* A staff address without a trust signal that answers a notice we
	 * sent to that very address (its random Message-ID proves it) is
	 * the staff member's own mailbox: an auto-responder, a client
	 * without the login.  Filed, linked, and nobody mailed about it but
	 * by the (rate-limited) spoofing notice: otherwise each of our
	 * notices would be answered with another mail to staff, for ever. */
	if (f->spoofed) {
		int echo = answers_mail_to(in, f, 0, f->requester, err);

		if (echo < 0)
			return -1;
		f->echo = echo;
	}
	rc = file_new_ticket(in, f, cand, how, err);
	if (rc == 0 && f->trusted_staff) {
		char detail[300];
		snprintf(detail, sizeof(detail), "mail from staff %s (%s)",
			 f->requester, f->trust);
		rc = store_history_add(in->store, f->ticket, f->now,
				       f->requester, "staff", detail, err);
	}
done:
	if (rc == 0 && f->spoofed)
		rc = record_spoofing(in, f, err);
	return rc;
}

/* Time budgets.  Each costly step of one message (parsing,
 * classifying, filing with its answers) has message_budget_ms.  The
 * pre-scan and max_text_size bound them already; a step past its budget
 * all the same is a defect of the message: it is filed in triage, where
 * staff choose what it asks, rather than acted on by a classification
 * nobody can vouch for.  The step is not cut short: its result is kept,
 * and the mail is never lost. */
/* 1 (with the defect recorded on the message and logged) when step,
 * begun at t0, overran its budget; else 0. */
static int
over_budget(struct ingest *in, struct filing *f, const char *step,
	    long long t0)
{
	long long took = clock_monotonic_ms() - t0;
	char defect[64];

	if (took <= in->conf->message_budget_ms)
		return 0;
	snprintf(defect, sizeof(defect), "over-budget-%s", step);
	msg_add_defect(f->m, defect);
	log_warning("spool=%s action=%s status=over-budget took_ms=%lld "
		    "budget_ms=%ld", f->name, step, took,
		    in->conf->message_budget_ms);
	return 1;
}

/* The one LOG_INFO line per filed message (STYLE §5): every value
 * through log_quote().  The ticket's class and state are read back after
 * the commit: a follow-up's are the ticket's, not this mail's guess. */
static void
log_filed(struct ingest *in, const struct filing *f)
{
	struct store_ticket t = { 0 };
	struct mp_err err = { 0 };
	char mid[LOG_VALUE_MAX], from[LOG_VALUE_MAX], login[LOG_VALUE_MAX];
	char trust[LOG_VALUE_MAX], class[64], state[32], angle[1024];
	const char *addr = f->m->from.n > 0 ? f->m->from.v[0].address :
		f->env.sender;
	int have = f->ticket > 0 &&
		store_ticket_get(in->store, f->ticket, &t, &err) == 1;

	snprintf(angle, sizeof(angle), "<%s>", f->m->message_id ?
		 f->m->message_id : "");
	log_info("spool=%s msgid=%s from=%s ticket=%lld class=%s state=%s "
		 "action=%s%s%s%s%s status=ok", f->name,
		 log_quote(mid, sizeof(mid), f->m->message_id ? angle : NULL),
		 log_quote(from, sizeof(from), addr),
		 f->ticket,
		 log_quote(class, sizeof(class), have ? t.class : NULL),
		 log_quote(state, sizeof(state), have ? t.state : NULL),
		 f->action,
		 *f->env.sasl_user ? " sasl_login=" : "",
		 *f->env.sasl_user ? log_quote(login, sizeof(login),
					       f->env.sasl_user) : "",
		 f->trusted_staff ? " staff=" : "",
		 f->trusted_staff ? log_quote(trust, sizeof(trust), f->trust) :
		 "");
	if (have)
		store_ticket_release(&t);
}

int
ingest_spooled(struct ingest *in, const char *name, struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	const struct conf *c = in->conf;
	struct msg_limits lim = { c->max_mime_depth, c->max_text_size };
	struct filing f;
	long long t0;
	off_t offset;
	int fd = -1, over;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.now = (long long)clock_now();
	snprintf(f.action, sizeof(f.action), "new");
	if (spool_open(c->state_dir, name, 0, &f.env, &fd, &offset, err) < 0)
		return -1;
	t0 = clock_monotonic_ms();
	if (spool_hash(fd, offset, &f.hash, err) < 0 ||
	    msg_parse_fd(fd, offset, &lim, in->attach_dir, &f.m, err) < 0)
		goto fail;
	close(fd);
	fd = -1;
	over = over_budget(in, &f, "parse", t0);
	/* Classifying is the costliest step and needs no database: do it
	 * before taking the write lock, which other deliveries wait for. */
	t0 = clock_monotonic_ms();
	if (classify(in, &f, err) < 0)
		goto fail;
	over |= over_budget(in, &f, "classify", t0);
	if (over)
		f.res.triage = 1;	/* staff decide what it asks */
	f.json = msgjson_dump(f.m);
	if (f.json == NULL) {
		mp_err_set(err, MP_TEMP, "out of memory");
		goto fail;
	}
	if (in->store == NULL &&
	    store_open(&in->store, c->state_dir, c->lock_timeout, err) < 0)
		goto fail;
	if (store_begin(in->store, err) < 0)
		goto fail;
	t0 = clock_monotonic_ms();
	if (file_message(in, &f, err) < 0) {
		store_rollback(in->store);
		goto fail;
	}
	if (over_budget(in, &f, "build", t0) && f.ticket != 0 &&
	    store_history_add(in->store, f.ticket, f.now, "mailproc",
			      "defect", "filing and building the answers took "
			      "longer than message_budget_ms", err) < 0) {
		store_rollback(in->store);
		goto fail;
	}
	if (store_commit(in->store, err) < 0)
		goto fail;
	if (!in->batch && spool_done(c->state_dir, name, err) < 0)
		log_warning("spool=%s action=move-to-cur status=failed "
			    "reason=%s processed=yes", name,
			    log_quote(why, sizeof(why), err->msg));
	log_filed(in, &f);
	filing_release(&f);
	return 0;

fail:
	filing_release(&f);
	if (fd >= 0)
		close(fd);
	return -1;
}

int
ingest_batch_begin(struct ingest *in, struct mp_err *err)
{
	if (in->store == NULL && store_open(&in->store, in->conf->state_dir,
					    in->conf->lock_timeout, err) < 0)
		return -1;
	if (store_batch_begin(in->store, err) < 0)
		return -1;
	in->batch = 1;
	return 0;
}

int
ingest_batch_commit(struct ingest *in, struct mp_err *err)
{
	in->batch = 0;
	return store_batch_commit(in->store, err);
}

/* Queues a notice of a message moved to failed/ for each staff address,
 * in a transaction of its own. */
static int
tell_staff_failed(struct ingest *in, const char *name, const char *why)
{
	struct compose c = { in->conf, in->store, &in->hours, clock_now() };
	struct mp_err err = { 0 };
	char where[4096];
	struct tmpl_var vars[] = {
		{ "to", where },
		{ "error", why },
	};
	int rc = 0;

	snprintf(where, sizeof(where), "%s/spool/failed/%s",
		 in->conf->state_dir, name);
	if (in->store == NULL && store_open(&in->store, in->conf->state_dir,
					    in->conf->lock_timeout, &err) < 0)
		return -1;
	c.store = in->store;
	if (store_begin(in->store, &err) < 0)
		return -1;
	rc = compose_notify(&c, in->conf->staff_addresses, 0,
			    "staff-failed-message", vars, 2, &err);
	if (rc < 0) {
		store_rollback(in->store);
		return -1;
	}
	return store_commit(in->store, &err);
}

void
ingest_failed(struct ingest *in, const char *name, const struct mp_err *err)
{
	char why[LOG_VALUE_MAX], reason[sizeof(err->msg) + 64];
	struct mp_err e2;
	int n = 0;

	/* A fault of the installation (database, configuration, rules,
	 * templates: err->setup, marked where it arises) is not the mail's:
	 * it never counts towards the mail's attempts, however long it
	 * lasts. */
	if (err->kind != MP_PERM && !err->setup &&
	    (n = spool_attempt(in->conf->state_dir, name, &e2)) < 0)
		log_warning("spool=%s action=count-attempt status=failed "
			    "reason=%s", name, log_quote(why, sizeof(why),
							  e2.msg));
	if (err->kind != MP_PERM && n < in->conf->max_spool_attempts) {
		log_warning("spool=%s action=retry-later status=deferred "
			    "attempts=%d reason=%s", name, n,
			    log_quote(why, sizeof(why), err->msg));
		if (alarm_is_database(err))
			alarm_raise(in->conf->state_dir, ALARM_DATABASE,
				    err->msg);
		return;
	}
	if (err->kind != MP_PERM)
		snprintf(reason, sizeof(reason), "%d attempts failed, the last "
			 "with: %s", n, err->msg);
	else
		snprintf(reason, sizeof(reason), "%s", err->msg);
	log_error("spool=%s action=failed status=failed attempts=%d reason=%s",
		  name, n, log_quote(why, sizeof(why), reason));
	if (spool_fail(in->conf->state_dir, name, reason, &e2) < 0)
		log_error("spool=%s action=move-to-failed status=failed "
			  "reason=%s", name, log_quote(why, sizeof(why),
						      e2.msg));
	else if (tell_staff_failed(in, name, reason) < 0)
		log_error("spool=%s action=staff-notice status=failed", name);
}
