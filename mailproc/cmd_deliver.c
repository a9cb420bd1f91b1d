/*
 * cmd_deliver.c: `deliver`, run by Postfix's pipe(8) once per message.
 *
 * Exit codes are the contract with Postfix: 0 only once the message is
 * durably spooled; 65 for a message over max_message_size or an empty one
 * (Postfix returns our stderr line to the sender: there is nothing to
 * keep); 64 when typed by hand on a terminal with no --recipient (never
 * Postfix); 75 for everything else, so that Postfix
 * keeps the message and tries again.  Processing after the spool never
 * changes the exit code: the message is safe by then (SPEC §5.2).  A
 * database this user cannot write is not a reason to hand the mail back
 * either (Postfix would bounce it after its queue lifetime): it waits in
 * new/ for `run`, and the alarm (LOG_CRIT, one staff notice per cause)
 * makes sure somebody hears of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "alarm.h"
#include "cmd.h"
#include "ingest.h"
#include "log.h"
#include "perm.h"
#include "spool.h"

int
cmd_deliver(struct conf *conf, int argc, char **argv)
{
	static const char *const options[] = {
		"sender", "recipient", "sasl-user", NULL,
	};
	struct spool_envelope env = { "", "", "" };
	struct ingest *in = NULL;
	struct mp_err err = { 0 };
	const char *v[3];
	char *name = NULL, why[LOG_VALUE_MAX];
	int lock_fd = -1;

	/* Strict pairs: with a sender of "--sasl-user=staff@..." a
	 * scanning parser would hand out the staff login. */
	if (!cmd_pairs(argc, argv, "deliver", options, v))
		return EX_TEMPFAIL;
	if (v[0] != NULL)
		env.sender = (char *)v[0];
	if (v[1] != NULL)
		env.recipient = (char *)v[1];
	if (v[2] != NULL)
		env.sasl_user = (char *)v[2];
	/* Typed by hand: Postfix always passes --recipient and never a
	 * terminal, so this is someone trying the command, not mail. */
	if (v[1] == NULL && isatty(STDIN_FILENO)) {
		fprintf(stderr, "mailproc: deliver: reads one message from "
			"Postfix's pipe (stdin is a terminal and there is no "
			"--recipient); to try a mail: mailproc parse < "
			"FILE, or mailproc deliver --recipient ADDR < FILE\n");
		return EX_USAGE;
	}

	if (spool_receive(conf->state_dir, STDIN_FILENO, &env,
			  conf->max_message_size, &name, &lock_fd,
			  &err) < 0) {
		if (err.kind == MP_PERM) {
			log_user_error("deliver", "%s", err.msg);
			return EX_DATAERR;
		}
		log_user_error("deliver", "cannot spool the message: %s",
			       err.msg);
		return EX_TEMPFAIL;
	}
	if (name == NULL)
		return EX_OK;	/* spooled; `run` will process it */

	/* The message is safe: from here on, always exit 0. */
	if (perm_state_check(conf->state_dir, PERM_DB, &err) < 0) {
		alarm_raise(conf->state_dir, ALARM_DATABASE, err.msg);
		log_user_error("deliver", "spooled for `run`, not filed: %s",
			       err.msg);
	} else if (ingest_new(&in, conf, &err) < 0 ||
	    ingest_spooled(in, name, &err) < 0) {
		if (in != NULL)
			ingest_failed(in, name, &err);
		else
			log_warning("spool=%s action=retry-later reason=%s",
				    name, log_quote(why, sizeof(why),
						    err.msg));
	} else {
		alarm_resolved(conf->state_dir, ALARM_DATABASE);
	}
	ingest_free(&in);
	close(lock_fd);
	free(name);
	return EX_OK;
}
