/*
 * cmd_staff.c: the staff commands `verify ID --by STAFF`, `deny ID --by
 * STAFF`, `complete ID --by STAFF`, `close ID [--by STAFF]`, `take ID --by
 * STAFF`, `assign ID STAFF [--by STAFF]` and `merge ID OTHER --by STAFF`.  Each runs
 * in one transaction and queues the mail it causes; `run` sends it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "cmd.h"
#include "confirm.h"
#include "hours.h"
#include "log.h"
#include "rules.h"
#include "staffops.h"
#include "store.h"

int
cmd_staff(struct conf *conf, int argc, char **argv)
{
	char safe[LOG_VALUE_MAX];
	static const char *const options[] = { "by", "override", "task",
					       NULL };
	const char *cmd = argv[0], *by = NULL, *override = NULL, *task = NULL;
	struct mp_err err = { 0 };
	struct store *s = NULL;
	struct rules *rules = NULL;
	struct hours hours;
	struct compose c;
	long long id;
	char *end;
	int rc = -1, need_by = strcmp(cmd, "close") != 0 &&
		strcmp(cmd, "assign") != 0;
	int is_category = strcmp(cmd, "category") == 0;
	int is_assign = strcmp(cmd, "assign") == 0;
	int is_merge = strcmp(cmd, "merge") == 0;
	int two = is_category || is_assign || is_merge;

	if (!cmd_args_known(argc, argv, cmd, NULL, options))
		return EX_USAGE;
	if (cmd_option(argc, argv, "by", &by) < 0 ||
	    cmd_option(argc, argv, "override", &override) < 0 ||
	    cmd_option(argc, argv, "task", &task) < 0 ||
	    argc < 2 || (need_by && (by == NULL || *by == '\0')) ||
	    (two && (argc < 3 || argv[2][0] == '-'))) {
		log_user_error(cmd, "usage: %s ID%s%s", cmd,
			       is_category ? " CLASS" : is_assign ? " STAFF" :
			       is_merge ? " OTHER-ID" : "", need_by ?
			       " --by STAFF" : " [--by STAFF]");
		return EX_USAGE;
	}
	id = strtoll(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || id <= 0) {
		log_user_error(cmd, "not a ticket id: %s", argv[1]);
		return EX_USAGE;
	}
	if (by == NULL)
		by = "staff";
	memset(&hours, 0, sizeof(hours));
	if (hours_init_conf(&hours, conf, &err) < 0 ||
	    rules_load_site(&rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, &err) < 0) {
		log_user_error(cmd, "%s", err.msg);
		hours_release(&hours);
		return EX_CONFIG;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_begin(s, &err) < 0) {
		log_user_error(cmd, "%s", err.msg);
		goto done;
	}
	c.conf = conf;
	c.store = s;
	c.hours = &hours;
	c.now = clock_now();
	if (strcmp(cmd, "verify") == 0 || strcmp(cmd, "deny") == 0)
		rc = confirm_staff(&c, rules, id, strcmp(cmd, "verify") == 0,
				   by, "command line", override, &err);
	else if (strcmp(cmd, "complete") == 0)
		rc = staffops_complete(&c, rules, id, task, by, &err);
	else if (is_category)
		rc = staffops_category(&c, rules, id, argv[2], by, &err);
	else if (strcmp(cmd, "take") == 0)
		rc = staffops_assign(&c, id, by, by, &err);
	else if (is_assign)
		rc = staffops_assign(&c, id, argv[2], by, &err);
	else if (is_merge) {
		long long other = strtoll(argv[2], &end, 10), into = 0;
		if (*end != '\0' || other <= 0)
			rc = mp_err_set(&err, MP_PERM, "not a ticket id: %s",
					argv[2]);
		else
			rc = staffops_merge(&c, id, other, by, &into, &err);
		if (rc == 0)
			printf("ticket %lld merged into %lld\n", into == id ?
			       other : id, into);
	}
	else
		rc = staffops_close(&c, id, by, &err);
	if (rc < 0) {
		store_rollback(s);
		log_user_error(cmd, "%s", err.msg);
		goto done;
	}
	rc = store_commit(s, &err);
	if (rc < 0)
		log_user_error(cmd, "%s", err.msg);
	else
		log_info("ticket=%lld action=%s by=%s status=ok", id, cmd,
			 log_quote(safe, sizeof(safe), by));
done:
	store_free(&s);
	rules_free(&rules);
	hours_release(&hours);
	if (rc == 0)
		return EX_OK;
	if (strncmp(err.msg, "no ticket", 9) == 0)
		return EX_NOINPUT;
	return err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
}
