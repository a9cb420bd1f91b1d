/*
 * cmd_outbox.c: `outbox list`, the outgoing mail and its state.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

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

int
cmd_outbox(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	struct mp_err err = { 0 };
	struct store *s = NULL;
	json_t *arr = NULL;
	int rc = EX_OK;

	if (!cmd_args_known(argc, argv, "outbox", flags, NULL))
		return EX_USAGE;
	if (argc < 2 || strcmp(argv[1], "list") != 0) {
		log_user_error("outbox", "usage: outbox list [--json]");
		return EX_USAGE;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0) {
		log_user_error("outbox", "%s", err.msg);
		return EX_TEMPFAIL;
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
