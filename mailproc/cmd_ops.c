/*
 * cmd_ops.c: the care of the data: `backup FILE` (SQLite's online backup,
 * while mail flows) and `purge --older-than AGE` (processed raw mail).
 */
#include <stdio.h>
#include <stdlib.h>
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

/* The processed raw mail and the attachments no live ticket needs,
 * stored before the cut-off.  The database goes first: if it cannot say
 * what is needed, no attachment is touched. */
static int
purge(struct conf *conf, long secs)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	time_t before = (time_t)(clock_now() - secs);
	char **needed = NULL;
	size_t n_needed = 0, i;
	int raw, att = -1;

	raw = spool_purge_cur(conf->state_dir, before, &err);
	if (raw >= 0 &&
	    store_open(&s, conf->state_dir, conf->lock_timeout, &err) == 0 &&
	    store_attachments_needed(s, (long long)before, &needed,
				     &n_needed, &err) == 0)
		att = spool_purge_attachments(conf->state_dir, before, needed,
					      n_needed, &err);
	for (i = 0; i < n_needed; i++)
		free(needed[i]);
	free(needed);
	store_free(&s);
	if (raw < 0 || att < 0) {
		log_user_error("purge", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	log_info("action=purge older_than=%lds removed=%d attachments=%d "
		 "kept_attachments=%zu status=ok", secs, raw, att, n_needed);
	printf("purge: %d processed message%s removed\n", raw,
	       raw == 1 ? "" : "s");
	printf("purge: %d attachment%s removed (no live ticket needs them)\n",
	       att, att == 1 ? "" : "s");
	return EX_OK;
}

int
cmd_purge(struct conf *conf, int argc, char **argv)
{
	static const char *const options[] = { "older-than", NULL };
	const char *age = NULL;
	long secs = conf->retention;
	int given;

	if (!cmd_args_known(argc, argv, "purge", NULL, options))
		return EX_USAGE;
	given = cmd_option(argc, argv, "older-than", &age);
	if (given < 0 || (given == 1 &&
	    (conf_parse_duration(age, &secs) < 0 || secs < 86400))) {
		fprintf(stderr, "usage: mailproc purge [--older-than AGE] "
			"(at least 1d, e.g. 180d)\n");
		return EX_USAGE;
	}
	if (age == NULL && secs == 0) {
		fprintf(stderr, "mailproc: purge: no --older-than and "
			"retention is 0 (keep everything): give one\n");
		return EX_USAGE;
	}
	if (secs < 86400) {
		log_user_error("purge", "retention = %lds: at least 1d", secs);
		return EX_CONFIG;
	}
	return purge(conf, secs);
}
