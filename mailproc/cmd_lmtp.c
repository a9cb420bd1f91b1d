/*
 * cmd_lmtp.c: `mailproc lmtp [--listen unix:PATH|HOST:PORT]`, the
 * resident LMTP server (lmtp_server.h) that Postfix's lmtp(8) client
 * delivers to instead of running `deliver` once per mail.
 */
#include <sysexits.h>

#include "cmd.h"
#include "lmtp_server.h"
#include "log.h"

int
cmd_lmtp(struct conf *conf, int argc, char **argv)
{
	static const char *const options[] = { "listen", NULL };
	struct mp_err err = { 0 };
	const char *v[1];

	if (!cmd_pairs(argc, argv, "lmtp", options, v))
		return EX_USAGE;
	if (lmtp_serve(conf, v[0], &err) < 0) {
		log_user_error("lmtp", "%s", err.msg);
		return err.kind == MP_PERM ? EX_CONFIG : EX_TEMPFAIL;
	}
	return EX_OK;
}
