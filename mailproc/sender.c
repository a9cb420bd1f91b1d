/*
 * sender.c: the outbox state machine.
 *
 * A row is marked 'sending' and committed before the SMTP transaction and
 * marked 'sent' right after it, so a crash in between leaves 'sending',
 * which the next runner puts back in the queue: the mail may then go out
 * twice (only if the crash fell inside that window), but it is never lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "log.h"
#include "sender.h"

#define BATCH 200

long
sender_backoff(long long attempts)
{
	long secs = 60;

	while (attempts-- > 1 && secs < 3600)
		secs *= 2;
	return secs > 3600 ? 3600 : secs;
}

/* Tells staff that a mail could not be delivered (never about a notice
 * of this kind itself, which would loop). */
static int
notify_failure(const struct conf *conf, struct store *store,
	       const struct hours *hours, time_t now,
	       const struct store_outbox *o, const char *why,
	       struct mp_err *err)
{
	struct compose c = { conf, store, hours, now };
	struct tmpl_var vars[] = {
		{ "to", o->to_addr },
		{ "error", why },
		{ "customer_subject", o->subject },
	};

	if (strcmp(o->template, "staff-delivery-failure") == 0)
		return 0;
	return compose_notify(&c, conf->staff_addresses, o->ticket,
			      "staff-delivery-failure", vars,
			      sizeof(vars) / sizeof(*vars), err);
}

/* Records the outcome of one attempt in its own transaction. */
static int
record(const struct conf *conf, struct store *store,
       const struct hours *hours, time_t now, const struct store_outbox *o,
       int ok, const struct mp_err *serr, struct sender_stats *stats,
       struct mp_err *err)
{
	long long attempts = o->attempts + 1;
	char detail[700];

	if (store_begin(store, err) < 0)
		return -1;
	if (ok) {
		if (store_outbox_update(store, o->id, "sent", attempts,
					o->next_attempt, NULL, now, err) < 0)
			goto fail;
		stats->sent++;
		if (o->ticket > 0) {
			snprintf(detail, sizeof(detail), "%s to %s",
				 o->template, o->to_addr);
			if (store_history_add(store, o->ticket, now,
					      "mailproc", "sent", detail,
					      err) < 0)
				goto fail;
		}
	} else if (serr->kind == MP_PERM ||
		   now - o->created >= conf->max_retry_age) {
		if (store_outbox_update(store, o->id, "failed", attempts,
					o->next_attempt, serr->msg, 0,
					err) < 0 ||
		    notify_failure(conf, store, hours, now, o, serr->msg,
				   err) < 0)
			goto fail;
		if (o->ticket > 0) {
			snprintf(detail, sizeof(detail), "%s to %s: %s",
				 o->template, o->to_addr, serr->msg);
			if (store_history_add(store, o->ticket, now,
					      "mailproc", "send-failed",
					      detail, err) < 0)
				goto fail;
		}
		stats->failed++;
	} else {
		if (store_outbox_update(store, o->id, "queued", attempts,
					now + sender_backoff(attempts),
					serr->msg, 0, err) < 0)
			goto fail;
		stats->retried++;
	}
	return store_commit(store, err);
fail:
	store_rollback(store);
	return -1;
}

int
sender_pass(const struct conf *conf, struct store *store,
	    const struct hours *hours, struct outbox *ob, time_t now,
	    volatile const sig_atomic_t *stop, struct sender_stats *stats,
	    struct mp_err *err)
{
	struct store_outbox *v = NULL;
	size_t i, nv = 0;
	int rc = 0, n;
	long long notice_budget = -1;	/* counted at the first notice */

	if (store_outbox_release_held(store, now, &n, err) < 0)
		return -1;
	stats->released += n;
	for (;;) {
		int relay_down = 0;

		if (store_outbox_due(store, now, BATCH, &v, &nv, err) < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < nv && rc == 0 && !relay_down; i++) {
			struct store_outbox *o = &v[i];
			struct mp_err serr = { 0 };
			char safe[128];
			int ok;

			if (stop != NULL && *stop)
				break;
			/* notice_rate: at most that many notice mails in
			 * any minute; the rest wait a minute. */
			if (strncmp(o->template, "notice-", 7) == 0) {
				long long sent = 0;
				if (notice_budget < 0) {
					if (store_outbox_sent_since(store,
						"notice-", now - 59, &sent,
						err) < 0) {
						rc = -1;
						break;
					}
					notice_budget = conf->notice_rate -
						sent;
				}
				if (notice_budget <= 0) {
					if (store_outbox_update(store, o->id,
						"queued", o->attempts,
						now + 60, "waiting: notice_rate",
						0, err) < 0) {
						rc = -1;
						break;
					}
					continue;
				}
				notice_budget--;
			}
			/* Another runner may have taken it meanwhile. */
			ok = store_outbox_claim(store, o->id, err);
			if (ok < 0) {
				rc = -1;
				break;
			}
			if (ok == 0)
				continue;
			ok = outbox_send(ob, o->env_from, o->to_addr, o->raw,
					 o->raw_len, &serr) == 0;
			log_info("outbox=%lld ticket=%lld to=%s template=%s "
				 "status=%s%s%s", o->id, o->ticket,
				 log_safe(safe, sizeof(safe), o->to_addr),
				 o->template, ok ? "sent" :
				 serr.kind == MP_PERM ? "refused" : "deferred",
				 ok ? "" : " reason=", ok ? "" : serr.msg);
			if (record(conf, store, hours, now, o, ok, &serr,
				   stats, err) < 0)
				rc = -1;
			/* A relay that cannot be reached will not be
			 * reachable for the next mail either. */
			if (!ok && serr.kind == MP_TEMP)
				relay_down = 1;
		}
		/* Rows not tried in this batch keep their state; a batch
		 * that ended early leaves them for the next pass. */
		for (i = 0; i < nv; i++)
			store_outbox_release(&v[i]);
		free(v);
		if (relay_down || nv < BATCH || rc != 0 ||
		    (stop != NULL && *stop))
			break;
	}
	return rc;
}
