/*
 * cmd_ticket.c: `ticket list` and `ticket show ID`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "log.h"
#include "outbox_json.h"
#include "store.h"

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
ticket_json(const struct store_ticket *t)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:f,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:o,s:o}",
		"id", (json_int_t)t->id,
		"state", str_or_null(t->state),
		"class", str_or_null(t->class),
		"rule", str_or_null(t->rule),
		"confidence", t->confidence,
		"contract", str_or_null(t->contract),
		"requester", str_or_null(t->requester),
		"recipient", str_or_null(t->recipient),
		"subject", str_or_null(t->subject),
		"lang", str_or_null(t->lang),
		"created", json_time_or_null(t->created),
		"updated", json_time_or_null(t->updated),
		"first_response_due", json_time_or_null(t->first_response_due),
		"linked", t->linked ? json_integer(t->linked) : json_null());
}

static int
list_one(void *ctx, const struct store_ticket *t)
{
	json_t *arr = ctx;

	if (arr != NULL)
		return json_array_append_new(arr, ticket_json(t));
	printf("%6lld  %-8s  %-28s  %-30s  %s\n", t->id, t->state,
	       t->class ? t->class : "-", t->requester, t->subject);
	return 0;
}

static int
message_one(void *ctx, const char *direction, long long received,
	    const char *parsed)
{
	json_t *o = json_loads(parsed ? parsed : "{}", 0, NULL);

	if (o == NULL)
		o = json_object();
	json_object_set_new(o, "direction", json_string(direction));
	json_object_set_new(o, "received", json_time_or_null(received));
	return json_array_append_new(ctx, o);
}

static int
history_one(void *ctx, long long at, const char *actor, const char *event,
	    const char *detail)
{
	return json_array_append_new(ctx, json_pack("{s:o,s:o,s:o,s:o}",
		"at", json_time_or_null(at), "actor", str_or_null(actor),
		"event", str_or_null(event), "detail", str_or_null(detail)));
}

static int
outbox_one(void *ctx, const struct store_outbox *ob)
{
	return json_array_append_new(ctx, outbox_json(ob));
}

static void
print_show(json_t *o)
{
	size_t i;
	json_t *v;

	printf("Ticket %lld  [%s]  %s\n",
	       (long long)json_integer_value(json_object_get(o, "id")),
	       json_string_value(json_object_get(o, "state")),
	       json_string_value(json_object_get(o, "subject")));
	printf("Requester: %s\n",
	       json_string_value(json_object_get(o, "requester")));
	json_array_foreach(json_object_get(o, "tasks"), i, v)
		printf("Task: %-32s %-6s %s\n",
		       json_string_value(json_object_get(v, "task")),
		       json_string_value(json_object_get(v, "channel")),
		       json_string_value(json_object_get(v, "state")));
	json_array_foreach(json_object_get(o, "history"), i, v)
		printf("  %s  %-10s %-8s %s\n",
		       json_string_value(json_object_get(v, "at")),
		       json_string_value(json_object_get(v, "actor")),
		       json_string_value(json_object_get(v, "event")),
		       json_string_value(json_object_get(v, "detail")));
	json_array_foreach(json_object_get(o, "outbox"), i, v)
		printf("  outbox %lld  %-10s %-22s %s\n",
		       (long long)json_integer_value(json_object_get(v, "id")),
		       json_string_value(json_object_get(v, "state")),
		       json_string_value(json_object_get(v, "template")),
		       json_string_value(json_object_get(v, "to")));
	json_array_foreach(json_object_get(o, "messages"), i, v)
		printf("\n--- %s %s\n%s\n",
		       json_string_value(json_object_get(v, "direction")),
		       json_string_value(json_object_get(v, "subject")),
		       json_string_value(json_object_get(v, "text")));
}

static int
ticket_show(struct store *s, const char *idarg, int as_json)
{
	struct store_ticket t;
	struct mp_err err = { 0 };
	json_t *o, *msgs, *hist, *outbox;
	char *end;
	long long id = strtoll(idarg, &end, 10);
	int rc;

	if (*idarg == '\0' || *end != '\0' || id <= 0) {
		log_user_error("ticket show", "not a ticket id: %s", idarg);
		return EX_USAGE;
	}
	rc = store_ticket_get(s, id, &t, &err);
	if (rc < 0) {
		log_user_error("ticket show", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (rc == 0) {
		log_user_error("ticket show", "no ticket %lld", id);
		return EX_NOINPUT;
	}
	o = ticket_json(&t);
	store_ticket_release(&t);
	msgs = json_array();
	hist = json_array();
	outbox = json_array();
	if (store_message_each(s, id, message_one, msgs, &err) < 0 ||
	    store_history_each(s, id, history_one, hist, &err) < 0 ||
	    store_outbox_each(s, id, outbox_one, outbox, &err) < 0) {
		json_decref(o);
		json_decref(msgs);
		json_decref(hist);
		json_decref(outbox);
		log_user_error("ticket show", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	json_object_set_new(o, "messages", msgs);
	json_object_set_new(o, "history", hist);
	json_object_set_new(o, "outbox", outbox);
	{
		struct store_task *v;
		size_t n, i;
		json_t *tasks = json_array();

		if (store_tasks_get(s, id, &v, &n, &err) < 0) {
			json_decref(tasks);
			json_decref(o);
			log_user_error("ticket show", "%s", err.msg);
			return EX_TEMPFAIL;
		}
		for (i = 0; i < n; i++)
			json_array_append_new(tasks, json_pack(
				"{s:s,s:o,s:s}", "task", v[i].task,
				"channel", v[i].channel ?
				json_string(v[i].channel) : json_null(),
				"state", v[i].state));
		store_tasks_free(v, n);
		json_object_set_new(o, "tasks", tasks);
	}
	if (as_json) {
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_show(o);
	}
	json_decref(o);
	return EX_OK;
}

int
cmd_ticket(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	static const char *const options[] = { "status", NULL };
	struct mp_err err = { 0 };
	struct store *s = NULL;
	const char *status = NULL, *sub = argc > 1 ? argv[1] : "";
	int as_json = cmd_flag(argc, argv, "json"), rc = EX_OK;

	if (!cmd_args_known(argc, argv, "ticket", flags, options))
		return EX_USAGE;
	if (strcmp(sub, "list") != 0 &&
	    !(strcmp(sub, "show") == 0 && argc > 2)) {
		log_user_error("ticket", "usage: ticket list [--status S] "
			       "[--json] | ticket show ID [--json]");
		return EX_USAGE;
	}
	if (cmd_option(argc, argv, "status", &status) < 0) {
		log_user_error("ticket", "--status needs a value");
		return EX_USAGE;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0) {
		log_user_error("ticket", "%s", err.msg);
		return err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
	}
	if (strcmp(sub, "show") == 0) {
		rc = ticket_show(s, argv[2], as_json);
	} else {
		json_t *arr = as_json ? json_array() : NULL;
		if (store_ticket_each(s, status, list_one, arr, &err) < 0) {
			log_user_error("ticket list", "%s", err.msg);
			rc = EX_TEMPFAIL;
		} else if (arr != NULL) {
			json_dumpf(arr, stdout, JSON_INDENT(2));
			putchar('\n');
		}
		json_decref(arr);
	}
	store_free(&s);
	return rc;
}
