/*
 * cmd_digest.c: `digest [--print]`: the staff digest now, whatever the
 * hours, when there is anything to say (`run` sends one at each opening
 * by itself).  With --print it goes to stdout and nothing is queued.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "cmd.h"
#include "hours.h"
#include "log.h"
#include "queue.h"
#include "store.h"

int
cmd_digest(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "print", NULL };
	struct mp_err err = { 0 };
	struct store *s = NULL;
	struct hours hours;
	struct compose c;
	int print = cmd_flag(argc, argv, "print"), sent = 0;
	int rc = EX_TEMPFAIL;

	if (!cmd_args_known(argc, argv, "digest", flags, NULL))
		return EX_USAGE;
	if (argc > 1 + print) {
		log_user_error("digest", "usage: digest [--print]");
		return EX_USAGE;
	}
	memset(&hours, 0, sizeof(hours));
	if (hours_init_conf(&hours, conf, &err) < 0) {
		log_user_error("digest", "%s", err.msg);
		return EX_CONFIG;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_begin(s, &err) < 0)
		goto fail;
	c.conf = conf;
	c.store = s;
	c.hours = &hours;
	c.now = clock_now();
	if (queue_digest_now(&c, print, &sent, &err) < 0) {
		store_rollback(s);
		goto fail;
	}
	if (store_commit(s, &err) < 0)
		goto fail;
	if (!print)
		printf("%s\n", sent ? "digest queued for staff" :
		       "nothing to say: no digest");
	rc = EX_OK;
	goto done;
fail:
	log_user_error("digest", "%s", err.msg);
	rc = err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
done:
	store_free(&s);
	hours_release(&hours);
	return rc;
}
