/*
 * cmd_ops.c: the care of the data: `backup FILE` (SQLite's online backup,
 * while mail flows) and `purge --older-than AGE` (processed raw mail).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "spool.h"
#include "store.h"

int
cmd_backup(struct conf *conf, int argc, char **argv)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	int rc = EX_OK;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mailproc backup FILE\n");
		return EX_USAGE;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_backup(s, argv[1], &err) < 0) {
		log_user_error("backup", "%s", err.msg);
		rc = err.kind == MP_PERM ? EX_CANTCREAT : EX_TEMPFAIL;
	} else {
		printf("backup: %s\n", argv[1]);
	}
	store_free(&s);
	return rc;
}

int
cmd_purge(struct conf *conf, int argc, char **argv)
{
	static const char *const options[] = { "older-than", NULL };
	struct mp_err err = { 0 };
	const char *age;
	long secs;
	int n;

	if (!cmd_args_known(argc, argv, "purge", NULL, options))
		return EX_USAGE;
	if (cmd_option(argc, argv, "older-than", &age) != 1 ||
	    conf_parse_duration(age, &secs) < 0 || secs < 86400) {
		fprintf(stderr, "usage: mailproc purge --older-than AGE "
			"(at least 1d, e.g. 180d)\n");
		return EX_USAGE;
	}
	n = spool_purge_cur(conf->state_dir, (time_t)(clock_now() - secs),
			    &err);
	if (n < 0) {
		log_user_error("purge", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	log_info("action=purge older_than=%lds removed=%d status=ok", secs, n);
	printf("purge: %d processed message%s removed\n", n,
	       n == 1 ? "" : "s");
	return EX_OK;
}
