/*
 * cmd_run.c: `run`, the runner.  Processes spooled messages that no
 * `deliver` finished (crash, locked database), and checkpoints the WAL.
 * Later passes (outbox, held replies, token expiry) hook in here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "ingest.h"
#include "log.h"
#include "spool.h"

static volatile sig_atomic_t run_stop;

static void
on_signal(int sig)
{
	(void)sig;
	run_stop = 1;
}

struct run_ctx {
	struct ingest *in;
	int processed, failed;
};

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
	return run_stop ? -1 : 0;
}

/* One pass over everything the runner does; returns a sysexits code. */
static int
run_pass(struct conf *conf, struct run_ctx *rc)
{
	struct mp_err err = { 0 };

	if (spool_init(conf->state_dir, &err) < 0 ||
	    spool_each_new(conf->state_dir, process_one, rc, &err) < 0) {
		if (run_stop)
			return EX_OK;
		log_user_error("run", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

int
cmd_run(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "once", NULL };
	struct run_ctx rc = { 0 };
	struct mp_err err = { 0 };
	int once = cmd_flag(argc, argv, "once"), status;

	if (!cmd_args_known(argc, argv, "run", flags, NULL))
		return EX_USAGE;
	if (ingest_new(&rc.in, conf, &err) < 0) {
		log_user_error("run", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	do {
		status = run_pass(conf, &rc);
		if (once || run_stop)
			break;
		sleep(5);
	} while (!run_stop);
	if (rc.processed > 0 || rc.failed > 0)
		log_info("action=run processed=%d failed=%d", rc.processed,
			 rc.failed);
	ingest_free(&rc.in);
	return status;
}
