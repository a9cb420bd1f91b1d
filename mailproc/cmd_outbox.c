/*
 * cmd_outbox.c: `outbox list`, the outgoing mail and its state, and
 * `outbox retry ID|--failed`, which puts failed mail back in the queue
 * (after a relay refused what it should not have).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "outbox_json.h"
#include "store.h"

static int
print_one(void *ctx, const struct store_outbox *o)
{
	json_t *arr = ctx;

	if (arr != NULL)
		return json_array_append_new(arr, outbox_json(o));
	printf("%6lld  %-10s  #%-5lld  %-24s  %-30s  %s\n", o->id, o->state,
	       o->ticket, o->template, o->to_addr, o->subject);
	return 0;
}

static int
retry(struct store *s, int argc, char **argv, struct mp_err *err)
{
	long long id = 0, now = (long long)clock_now();
	char *end = NULL;
	int n = 0;

	if (cmd_flag(argc, argv, "failed")) {
		if (store_outbox_retry(s, 0, now, &n, err) < 0)
			return EX_TEMPFAIL;
	} else {
		if (argc >= 3)
			id = strtoll(argv[2], &end, 10);
		if (id <= 0 || end == NULL || *end != '\0') {
			log_user_error("outbox", "usage: outbox retry "
				       "ID|--failed");
			return EX_USAGE;
		}
		if (store_outbox_retry(s, id, now, &n, err) < 0)
			return EX_TEMPFAIL;
		if (n == 0) {
			log_user_error("outbox retry", "%lld: no failed mail "
				       "with that id", id);
			return EX_DATAERR;
		}
	}
	printf("%d mail%s requeued\n", n, n == 1 ? "" : "s");
	return EX_OK;
}

int
cmd_outbox(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", "failed", NULL };
	struct mp_err err = { 0 };
	struct store *s = NULL;
	json_t *arr = NULL;
	int rc = EX_OK;

	if (!cmd_args_known(argc, argv, "outbox", flags, NULL))
		return EX_USAGE;
	if (argc < 2 || (strcmp(argv[1], "list") != 0 &&
			 strcmp(argv[1], "retry") != 0)) {
		log_user_error("outbox", "usage: outbox list [--json] | "
			       "outbox retry ID|--failed");
		return EX_USAGE;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0) {
		log_user_error("outbox", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (strcmp(argv[1], "retry") == 0) {
		rc = retry(s, argc, argv, &err);
		if (rc == EX_TEMPFAIL)
			log_user_error("outbox retry", "%s", err.msg);
		store_free(&s);
		return rc;
	}
	if (cmd_flag(argc, argv, "json"))
		arr = json_array();
	if (store_outbox_each(s, 0, print_one, arr, &err) < 0) {
		log_user_error("outbox list", "%s", err.msg);
		rc = EX_TEMPFAIL;
	} else if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(arr);
	store_free(&s);
	return rc;
}
