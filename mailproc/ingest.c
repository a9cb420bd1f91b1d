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

#include "clock.h"
#include "compose.h"
#include "hours.h"
#include "ingest.h"
#include "log.h"
#include "msg.h"
#include "msgjson.h"
#include "respond.h"
#include "spool.h"
#include "store.h"
#include "ticket.h"

struct ingest {
	const struct conf *conf;
	struct store *store;
	struct hours hours;
	struct hours_within within;
	char attach_dir[4096];
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
		err->kind = MP_TEMP;	/* a config problem: mail waits */
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

/* Whether text holds Japanese script (hiragana, katakana or CJK). */
static int
has_japanese(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p; p++)
		if (p[0] == 0xe3 && (p[1] == 0x81 || p[1] == 0x82 ||
				     p[1] == 0x83))
			return 1;
		else if (p[0] >= 0xe4 && p[0] <= 0xe9)
			return 1;
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

int
ingest_spooled(struct ingest *in, const char *name, struct mp_err *err)
{
	const struct conf *c = in->conf, *c_conf = in->conf;
	struct spool_envelope env;
	struct msg_limits lim = { c->max_mime_depth, c->max_text_size };
	struct msg *m = NULL;
	struct store_message sm = { 0 };
	struct store_ticket t = { 0 };
	char *hash = NULL, *json = NULL, *sender_contract = NULL;
	char safe_mid[128], action[64] = "new";
	const char *how = NULL, *sender;
	long long ticket = 0, cand = 0, now = (long long)clock_now();
	off_t offset;
	int fd = -1, rc, in_tx = 0, trusted_staff;

	if (spool_open(c->state_dir, name, 0, &env, &fd, &offset, err) < 0)
		return -1;
	if (spool_hash(fd, offset, &hash, err) < 0)
		goto fail;
	if (msg_parse_fd(fd, offset, &lim, in->attach_dir, &m, err) < 0)
		goto fail;
	json = msgjson_dump(m);
	if (json == NULL) {
		mp_err_set(err, MP_TEMP, "out of memory");
		goto fail;
	}
	if (in->store == NULL &&
	    store_open(&in->store, c->state_dir, c->lock_timeout, err) < 0)
		goto fail;
	if (store_begin(in->store, err) < 0)
		goto fail;
	in_tx = 1;

	rc = store_message_find(in->store, m->message_id, hash, &ticket, err);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		snprintf(action, sizeof(action), "duplicate");
		goto commit;
	}

	sender = requester_of(m, &env);
	trusted_staff = conf_is_staff(c, sender) && *env.sasl_user != '\0';
	if (store_contract_of(in->store, sender, &sender_contract, err) < 0)
		goto fail;
	rc = find_thread(in, m, &env, &cand, &how, err);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		rc = store_ticket_get(in->store, cand, &t, err);
		if (rc < 0)
			goto fail;
		if (rc == 1 && ticket_may_join(t.requester, t.contract, sender,
					       sender_contract,
					       trusted_staff)) {
			ticket = cand;
			snprintf(action, sizeof(action), "followup");
		}
		if (rc == 0)
			cand = 0;	/* no such ticket: a plain new one */
		store_ticket_release(&t);
	}
	if (ticket == 0) {
		memset(&t, 0, sizeof(t));
		t.state = "new";
		t.requester = (char *)(sender ? sender : "");
		t.recipient = *env.recipient ? env.recipient :
			(m->to.n > 0 ? m->to.v[0].address : NULL);
		t.subject = m->subject;
		t.contract = sender_contract;
		t.lang = lang_of(c, m);
		t.created = now;
		t.linked = cand;
		{
			time_t due;
			if (hours_due(&in->hours, (time_t)now, &in->within,
				      &due, err) < 0)
				goto fail;
			t.first_response_due = (long long)due;
		}
		if (store_ticket_insert(in->store, &t, &ticket, err) < 0)
			goto fail;
		memset(&t, 0, sizeof(t));
		if (store_history_add(in->store, ticket, now, "mailproc",
				      "state", "new: received", err) < 0)
			goto fail;
		if (cand > 0) {
			char detail[160];
			snprintf(detail, sizeof(detail),
				 "refers to ticket %lld (by %s) but the sender "
				 "is not its requester", cand, how);
			if (store_history_add(in->store, ticket, now,
					      "mailproc", "linked", detail,
					      err) < 0)
				goto fail;
			snprintf(action, sizeof(action), "new-linked");
		}
	} else {
		char detail[160];
		snprintf(detail, sizeof(detail), "message from %s joined by %s",
			 trusted_staff ? "staff" : "customer", how);
		if (store_history_add(in->store, ticket, now,
				      trusted_staff ? sender : "mailproc",
				      "message", detail, err) < 0)
			goto fail;
	}
	sm.ticket = ticket;
	sm.direction = "in";
	sm.message_id = m->message_id;
	sm.content_hash = hash;
	sm.spool_name = name;
	sm.env_sender = env.sender;
	sm.env_recipient = env.recipient;
	sm.sasl_user = env.sasl_user;
	sm.parsed_json = json;
	sm.received = now;
	if (store_message_insert(in->store, &sm, NULL, err) < 0)
		goto fail;
	{
		struct compose c = { c_conf, in->store, &in->hours,
				     (time_t)now };
		struct respond_event ev = { 0 };
		struct store_ticket cur;

		if (store_ticket_get(in->store, ticket, &cur, err) < 0)
			goto fail;
		ev.m = m;
		ev.env_sender = env.sender;
		ev.ticket = ticket;
		ev.is_new = strcmp(action, "followup") != 0;
		ev.from_staff = trusted_staff && !ev.is_new;
		ev.requester = sender;
		ev.lang = cur.lang ? cur.lang : lang_of(c_conf, m);
		ev.class = cur.class;
		ev.first_response_due = cur.first_response_due;
		rc = respond_filed(&c, &ev, err);
		store_ticket_release(&cur);
		if (rc < 0)
			goto fail;
	}
commit:
	if (store_commit(in->store, err) < 0) {
		in_tx = 0;
		goto fail;
	}
	in_tx = 0;
	if (spool_done(c->state_dir, name, err) < 0)
		log_warning("spool=%s: %s (processed; will be seen as a "
			    "duplicate)", name, err->msg);
	log_info("spool=%s msgid=<%s> ticket=%lld action=%s status=ok", name,
		 log_safe(safe_mid, sizeof(safe_mid), m->message_id), ticket,
		 action);
	free(sender_contract);
	free(hash);
	free(json);
	msg_free(&m);
	spool_envelope_release(&env);
	close(fd);
	return 0;

fail:
	if (in_tx)
		store_rollback(in->store);
	free(sender_contract);
	free(hash);
	free(json);
	msg_free(&m);
	spool_envelope_release(&env);
	if (fd >= 0)
		close(fd);
	return -1;
}

void
ingest_failed(struct ingest *in, const char *name, const struct mp_err *err)
{
	struct mp_err e2;

	if (err->kind != MP_PERM) {
		log_warning("spool=%s action=retry-later status=deferred "
			    "reason=\"%s\"", name, err->msg);
		return;
	}
	log_error("spool=%s action=failed status=failed reason=\"%s\"", name,
		  err->msg);
	if (spool_fail(in->conf->state_dir, name, err->msg, &e2) < 0)
		log_error("spool=%s: %s", name, e2.msg);
	/* XXX staff are told of failed/ through the log only until the
	 * outbox exists (outgoing-mail issue). */
}
