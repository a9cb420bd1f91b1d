/*
 * cmd_run.c: `run`, the runner.  Each pass processes spooled messages
 * that no `deliver` finished (crash, locked database), releases held
 * mail, sends what is due, and checkpoints the WAL.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "clock.h"
#include "cmd.h"
#include "confirm.h"
#include "rules.h"
#include "hours.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "perm.h"
#include "queue.h"
#include "sender.h"
#include "spool.h"
#include "store.h"

static volatile sig_atomic_t run_stop;

static void
on_signal(int sig)
{
	(void)sig;
	run_stop = 1;
}

/* Sending never waits for the spool: after any message, once this many
 * milliseconds have passed since the outbox was last looked at, it is
 * looked at again, so that a backlog or one costly message does not hold
 * back acknowledgements, tokens and fault notices. */
#define SEND_EVERY_MS 250

struct run_ctx {
	struct conf *conf;
	long long last_send_ms;		/* monotonic */
	struct ingest *in;
	struct store *store;
	struct outbox *ob;
	struct hours hours;
	struct rules *rules;
	struct sender_stats stats;
	int processed, failed;
	time_t db_alarm_at;	/* last LOG_CRIT for the database, or 0 */
};

/* Sends what is due; -1 with err on database trouble. */
static int
send_due(struct run_ctx *rc, struct mp_err *err)
{
	rc->last_send_ms = clock_monotonic_ms();
	return sender_pass(rc->conf, rc->store, &rc->hours, rc->ob,
			   clock_now(), &run_stop, &rc->stats, err);
}

static int
process_one(void *ctx, const char *name)
{
	struct run_ctx *rc = ctx;
	struct mp_err err = { 0 };

	if (ingest_spooled(rc->in, name, &err) < 0) {
		ingest_failed(rc->in, name, &err);
		rc->failed++;
	} else {
		rc->processed++;
	}
	if (!run_stop && clock_monotonic_ms() - rc->last_send_ms >= SEND_EVERY_MS &&
	    send_due(rc, &err) < 0)
		log_warning("run: %s", err.msg);	/* the pass tries again */
	return run_stop ? -1 : 0;
}

/* Reminders and expiry of identity confirmations, in one transaction. */
static int
confirm_pass(struct conf *conf, struct run_ctx *rc, struct mp_err *err)
{
	struct compose c = { conf, rc->store, &rc->hours, clock_now() };

	if (store_begin(rc->store, err) < 0)
		return -1;
	if (confirm_due(&c, rc->rules, err) < 0) {
		store_rollback(rc->store);
		return -1;
	}
	return store_commit(rc->store, err);
}

/* Escalations and the opening's digest, in one transaction. */
static int
queue_pass(struct conf *conf, struct run_ctx *rc, struct mp_err *err)
{
	struct compose c = { conf, rc->store, &rc->hours, clock_now() };

	if (store_begin(rc->store, err) < 0)
		return -1;
	if (queue_escalate(&c, NULL, err) < 0 ||
	    queue_digest_due(&c, NULL, err) < 0) {
		store_rollback(rc->store);
		return -1;
	}
	return store_commit(rc->store, err);
}

/* One pass over everything the runner does; returns a sysexits code. */
static int
run_pass(struct conf *conf, struct run_ctx *rc)
{
	char why[LOG_VALUE_MAX];
	struct mp_err err = { 0 };

	rc->last_send_ms = clock_monotonic_ms();
	if (spool_init(conf->state_dir, &err) < 0 ||
	    spool_each_new(conf->state_dir, process_one, rc, &err) < 0) {
		if (run_stop)
			return EX_OK;
		log_user_error("run", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (confirm_pass(conf, rc, &err) < 0 ||
	    queue_pass(conf, rc, &err) < 0) {
		log_user_error("run", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (spool_clean_tmp(conf->state_dir, 3600, &err) < 0)
		log_warning("action=clean-tmp status=failed reason=%s",
			    log_quote(why, sizeof(why), err.msg));
	if (send_due(rc, &err) < 0) {
		log_user_error("run", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	store_checkpoint(rc->store);
	return EX_OK;
}

/* The database, once the running user can write it.  Until then the
 * runner stays up without it: the alarm it raises must still be mailed,
 * and mail still waits safely in new/.  -1 with err. */
static int
open_store(struct conf *conf, struct run_ctx *rc, struct mp_err *err)
{
	time_t now = clock_now();

	if (perm_state_check(conf->state_dir, PERM_DB, err) < 0 ||
	    store_open(&rc->store, conf->state_dir, conf->lock_timeout,
		       err) < 0) {
		/* Every pass retries; the LOG_CRIT line (and the count in
		 * the alarm) once an hour is loud enough. */
		if (err->kind != MP_PERM && !alarm_is_database(err))
			log_user_error("run", "%s", err->msg);
		else if (rc->db_alarm_at == 0 ||
			 now - rc->db_alarm_at >= 3600) {
			alarm_raise(conf->state_dir, ALARM_DATABASE,
				    err->msg);
			rc->db_alarm_at = now;
		}
		return -1;
	}
	rc->db_alarm_at = 0;
	if (sender_recover(conf, rc->store, clock_now(), err) < 0) {
		log_user_error("run", "%s", err->msg);
		store_free(&rc->store);
		return -1;
	}
	return 0;
}

int
cmd_run(struct conf *conf, int argc, char **argv)
{
	char why[LOG_VALUE_MAX];
	static const char *const flags[] = { "once", NULL };
	struct run_ctx rc = { 0 };
	struct mp_err err = { 0 };
	int once = cmd_flag(argc, argv, "once"), status = EX_OK;
	int locked, lock_fd = -1;

	if (!cmd_args_known(argc, argv, "run", flags, NULL))
		return EX_USAGE;
	if (spool_init(conf->state_dir, &err) < 0 ||
	    (locked = spool_runner_lock(conf->state_dir, &lock_fd, &err)) < 0) {
		log_user_error("run", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (locked == 0) {
		/* Two runners would race for the same mail. */
		log_user_error("run", "another runner is active on %s",
			       conf->state_dir);
		return EX_TEMPFAIL;
	}
	if (ingest_new(&rc.in, conf, &err) < 0 ||
	    hours_init_conf(&rc.hours, conf, &err) < 0 ||
	    rules_load_site(&rc.rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, &err) < 0 ||
	    outbox_new(&rc.ob, conf, &err) < 0) {
		log_user_error("run", "%s", err.msg);
		status = err.kind == MP_PERM ? EX_CONFIG : EX_TEMPFAIL;
		goto done;
	}
	rc.conf = conf;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	do {
		if (rc.store == NULL && open_store(conf, &rc, &err) < 0)
			status = EX_TEMPFAIL;
		else
			status = run_pass(conf, &rc);
		if (alarm_notify(conf, rc.ob, &err) < 0)
			log_warning("action=alarm-notice status=deferred "
				    "reason=%s", log_quote(why, sizeof(why),
							   err.msg));
		else if (status == EX_OK &&
			 perm_state_check(conf->state_dir, PERM_DB, &err) == 0)
			alarm_resolved(conf->state_dir, ALARM_DATABASE);
		if (once || run_stop)
			break;
		sleep(5);
	} while (!run_stop);
	if (rc.processed > 0 || rc.failed > 0 || rc.stats.sent > 0 ||
	    rc.stats.retried > 0 || rc.stats.failed > 0)
		log_info("action=run processed=%d failed=%d sent=%d "
			 "deferred=%d undeliverable=%d released=%d",
			 rc.processed, rc.failed, rc.stats.sent,
			 rc.stats.retried, rc.stats.failed,
			 rc.stats.released);
done:
	outbox_free(&rc.ob);
	store_free(&rc.store);
	hours_release(&rc.hours);
	rules_free(&rc.rules);
	ingest_free(&rc.in);
	close(lock_fd);
	return status;
}
