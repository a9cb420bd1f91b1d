/*
 * cmd_deliver.c: `deliver`, run by Postfix's pipe(8) once per message.
 *
 * Exit codes are the contract with Postfix: 0 only once the message is
 * durably spooled; 65 for a message over max_message_size (Postfix returns
 * our stderr line to the sender); 75 for everything else, so that Postfix
 * keeps the message and tries again.  Processing after the spool never
 * changes the exit code: the message is safe by then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "ingest.h"
#include "log.h"
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
	char *name = NULL;
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
	if (ingest_new(&in, conf, &err) < 0 ||
	    ingest_spooled(in, name, &err) < 0) {
		if (in != NULL)
			ingest_failed(in, name, &err);
		else
			log_warning("spool=%s action=retry-later reason=\"%s\"",
				    name, err.msg);
	}
	ingest_free(&in);
	close(lock_fd);
	free(name);
	return EX_OK;
}
