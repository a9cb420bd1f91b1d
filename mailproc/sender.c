/*
 * sender.c: the outbox state machine.
 *
 * A row is marked 'sending' and committed before the SMTP transaction and
 * marked 'sent' right after it, so a crash in between leaves 'sending',
 * which the next runner puts back in the queue: the mail may then go out
 * twice (only if the crash fell inside that window), but it is never lost.
 *
 * The database can also be locked past lock_timeout just after a mail
 * was accepted.  Then the write is retried a few times, and if it still
 * cannot be made the id goes to a journal file (state_dir/outbox-sent,
 * fsynced), which the next pass, or the next runner, turns into 'sent'
 * before anything is requeued: without a crash nothing goes out twice.
 * A row left 'sending' that no journal speaks for (the runner died in
 * the window) is requeued after SENDING_LEASE by the running runner, and
 * at once by a new one, which holds the runner lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "log.h"
#include "sender.h"

#define BATCH 200
#define SENDING_LEASE 900	/* s; well past an SMTP transaction's
				 * timeouts */
#define RECORD_TRIES 5		/* writes of an outcome, 0.1 s apart,
				 * doubling */

static void
journal_path(const struct conf *conf, char *buf, size_t size)
{
	snprintf(buf, size, "%s/outbox-sent", conf->state_dir);
}

/* Notes durably that row id was accepted by the relay. */
static int
journal_add(const struct conf *conf, long long id, struct mp_err *err)
{
	char path[4200], line[32];
	int fd, n, e;

	journal_path(conf, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return mp_err_set(err, MP_TEMP, "%s: %s", path,
				  strerror(errno));
	n = snprintf(line, sizeof(line), "%lld\n", id);
	if (write(fd, line, (size_t)n) != n || fsync(fd) < 0) {
		e = errno;
		close(fd);
		return mp_err_set(err, MP_TEMP, "%s: %s", path, strerror(e));
	}
	if (close(fd) < 0)
		return mp_err_set(err, MP_TEMP, "%s: %s", path,
				  strerror(errno));
	return 0;
}

/* Turns the journal's ids into 'sent' rows, in one transaction, then
 * removes the journal.  0, or -1 (the journal stays for next time). */
static int
journal_apply(const struct conf *conf, struct store *store, time_t now,
	      struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	char p_safe[LOG_VALUE_MAX];
	char path[4200], line[64];
	FILE *f;
	int n = 0, rc;

	journal_path(conf, path, sizeof(path));
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : mp_err_set(err, MP_TEMP,
							"%s: %s", path,
							strerror(errno));
	if (store_begin(store, err) < 0) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		long long id = strtoll(line, NULL, 10);

		if (id <= 0)
			continue;
		rc = store_outbox_mark_sent(store, id, now, err);
		if (rc < 0) {
			fclose(f);
			store_rollback(store);
			return -1;
		}
		if (rc > 0) {
			log_info("outbox=%lld status=sent (recorded late: the "
				 "database was busy after the send)", id);
			n++;
		}
	}
	fclose(f);
	if (store_commit(store, err) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		log_warning("action=journal-remove status=failed path=%s "
			    "reason=%s", log_quote(p_safe, sizeof(p_safe), path),
			    log_quote(why, sizeof(why), strerror(errno)));
	return 0;
}

int
sender_recover(const struct conf *conf, struct store *store, time_t now,
	       struct mp_err *err)
{
	if (journal_apply(conf, store, now, err) < 0)
		return -1;
	return store_outbox_requeue_sending(store, err);
}

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

/* record(), retried while the database is busy.  A send whose outcome
 * still cannot be written goes to the journal instead. */
static int
record_retrying(const struct conf *conf, struct store *store,
		const struct hours *hours, time_t now,
		const struct store_outbox *o, int ok,
		const struct mp_err *serr, struct sender_stats *stats,
		struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	int try;

	for (try = 1;; try++) {
		struct sender_stats st = { 0 };

		if (record(conf, store, hours, now, o, ok, serr, &st,
			   err) == 0) {
			stats->sent += st.sent;
			stats->retried += st.retried;
			stats->failed += st.failed;
			return 0;
		}
		if (err->kind != MP_TEMP || try == RECORD_TRIES)
			break;
		nanosleep(&pause, NULL);
		pause.tv_nsec *= 2;
		if (pause.tv_nsec >= 1000 * 1000 * 1000) {
			pause.tv_sec += 1;
			pause.tv_nsec -= 1000 * 1000 * 1000;
		}
	}
	if (!ok)
		return -1;	/* not sent: the lease requeues it */
	log_warning("outbox=%lld status=sent recorded=journal reason=%s",
		    o->id, log_quote(why, sizeof(why), err->msg));
	if (journal_add(conf, o->id, err) < 0) {
		log_error("outbox=%lld status=sent recorded=no "
			  "may_repeat=yes reason=%s", o->id,
			  log_quote(why, sizeof(why), err->msg));
		return -1;
	}
	stats->sent++;
	return 0;
}

/* Tells staff, at most once a day for each kind, that the relay refuses
 * the session or our envelope sender: nothing fails for it, but nothing
 * (or no automatic mail) goes out until someone mends the relay. */
static int
relay_notice(const struct conf *conf, struct store *store,
	     const struct hours *hours, time_t now, enum outbox_fault fault,
	     const char *why, struct mp_err *err)
{
	struct compose c = { conf, store, hours, now };
	const char *kind = fault == OUTBOX_FAULT_SESSION ? "relay-session" :
		"relay-sender";
	struct tmpl_var vars[] = {
		{ "to", conf->smtp_url },
		{ "error", why },
		{ "customer_subject", "" },
	};
	int recent = 0;

	if (store_begin(store, err) < 0)
		return -1;
	if (store_rate_count(store, kind, conf->smtp_url,
				(long long)now - 86400, &recent, err) < 0)
		goto fail;
	if (recent == 0 &&
	    (store_rate_mark(store, kind, conf->smtp_url, now, err) < 0 ||
	     compose_notify(&c, conf->staff_addresses, 0,
			    "staff-delivery-failure", vars,
			    sizeof(vars) / sizeof(*vars), err) < 0))
		goto fail;
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
	char why[LOG_VALUE_MAX];
	struct store_outbox *v = NULL;
	size_t i, nv = 0;
	int rc = 0, n;
	long long notice_budget = -1;	/* counted at the first notice */

	/* What the journal says was sent is not requeued. */
	if (journal_apply(conf, store, now, err) < 0 ||
	    store_outbox_requeue_stale(store, (long long)now - SENDING_LEASE,
				       &n, err) < 0)
		return -1;
	if (n > 0)
		log_warning("outbox: %d mails left 'sending' for over %d s "
			    "requeued", n, SENDING_LEASE);
	if (store_outbox_release_held(store, now, &n, err) < 0)
		return -1;
	stats->released += n;
	for (;;) {
		int relay_down = 0, skipped = 0;
		char *refused_from = NULL;	/* MAIL FROM refused */

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
			/* The relay refused this envelope sender: the mail
			 * waits, untouched, for the next pass. */
			if (refused_from != NULL &&
			    strcmp(refused_from, o->env_from) == 0) {
				skipped = 1;
				continue;
			}
			/* Another runner may have taken it meanwhile. */
			ok = store_outbox_claim(store, o->id, (long long)now,
						err);
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
				 log_quote(safe, sizeof(safe), o->to_addr),
				 o->template, ok ? "sent" :
				 serr.kind == MP_PERM ? "refused" : "deferred",
				 ok ? "" : " reason=", ok ? "" :
				 log_quote(why, sizeof(why), serr.msg));
			if (record_retrying(conf, store, hours, now, o, ok,
					    &serr, stats, err) < 0)
				rc = -1;
			/* A relay that cannot be reached, or that refuses
			 * the session, will do the same for the next mail;
			 * one that refuses our envelope sender may still take
			 * mail from another. */
			if (!ok && serr.kind == MP_TEMP &&
			    outbox_last_fault(ob) == OUTBOX_FAULT_SENDER) {
				free(refused_from);
				refused_from = strdup(o->env_from);
				if (refused_from == NULL)
					relay_down = 1;
			} else if (!ok && serr.kind == MP_TEMP) {
				relay_down = 1;
			}
			if (!ok && rc == 0 &&
			    outbox_last_fault(ob) != OUTBOX_FAULT_NONE &&
			    relay_notice(conf, store, hours, now,
					 outbox_last_fault(ob), serr.msg,
					 err) < 0)
				rc = -1;
		}
		free(refused_from);
		/* Rows not tried in this batch keep their state; a batch
		 * that ended early leaves them for the next pass. */
		for (i = 0; i < nv; i++)
			store_outbox_release(&v[i]);
		free(v);
		if (relay_down || skipped || nv < BATCH || rc != 0 ||
		    (stop != NULL && *stop))
			break;
	}
	return rc;
}
