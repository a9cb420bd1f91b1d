/*
 * cmd_ticket.c: `ticket list [filters]`, `ticket show ID`, `ticket
 * search QUERY` and `ticket attachment ID [N [-o FILE]]`.  Times are shown in the desk's zone (`timezone`), or in
 * UTC with --utc; JSON gives them as ISO 8601 with the offset either
 * way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "hours.h"
#include "log.h"
#include "outbox_json.h"
#include "rules.h"
#include "store.h"
#include "ticket.h"

/* What every printer needs: the zone, and now for `overdue`. */
struct view {
	const struct hours *hours;
	int utc;
	long long now;
	json_t *arr;		/* list/search --json: the array */
};

/* t as ISO 8601 in the view's zone, or null for 0 (new reference). */
static json_t *
when(const struct view *v, long long t)
{
	char buf[64];
	struct mp_err err = { 0 };

	if (t == 0 || v->utc || hours_format(v->hours, (time_t)t, buf,
					     sizeof(buf), &err) < 0)
		return json_time_or_null(t);
	return json_string(buf);
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
ticket_json(const struct view *v, const struct store_ticket *t)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:f,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:o,s:o,s:o,s:b,s:o,s:o,s:o}",
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
		"created", when(v, t->created),
		"updated", when(v, t->updated),
		"first_response_due", when(v, t->first_response_due),
		"linked", t->linked ? json_integer(t->linked) : json_null(),
		"first_response_at", when(v, t->first_response_at),
		"overdue", store_ticket_overdue(t, v->now),
		"owner", str_or_null(t->owner),
		"escalated_at", when(v, t->escalated_at),
		"merged_into", t->merged_into ? json_integer(t->merged_into) :
		json_null());
}

static int
list_one(void *ctx, const struct store_ticket *t)
{
	struct view *v = ctx;

	if (v->arr != NULL)
		return json_array_append_new(v->arr, ticket_json(v, t));
	printf("%6lld  %-8s  %-28s  %-30s  %s%s\n", t->id, t->state,
	       t->class ? t->class : "-", t->requester, t->subject,
	       store_ticket_overdue(t, v->now) ? "  (overdue)" : "");
	return 0;
}

struct show_ctx {
	const struct view *v;
	json_t *arr;
};

static int
message_one(void *ctx, const char *direction, long long received,
	    const char *parsed)
{
	struct show_ctx *sc = ctx;
	json_t *o = json_loads(parsed ? parsed : "{}", 0, NULL);

	if (o == NULL)
		o = json_object();
	json_object_set_new(o, "direction", json_string(direction));
	json_object_set_new(o, "received", when(sc->v, received));
	return json_array_append_new(sc->arr, o);
}

static int
history_one(void *ctx, long long at, const char *actor, const char *event,
	    const char *detail)
{
	struct show_ctx *sc = ctx;

	return json_array_append_new(sc->arr, json_pack("{s:o,s:o,s:o,s:o}",
		"at", when(sc->v, at), "actor", str_or_null(actor),
		"event", str_or_null(event), "detail", str_or_null(detail)));
}

/* One outbox row, its times in the view's zone like the ticket's. */
static int
outbox_one(void *ctx, const struct store_outbox *ob)
{
	struct show_ctx *sc = ctx;
	json_t *o = outbox_json(ob);

	if (o == NULL)
		return -1;
	json_object_set_new(o, "next_attempt", when(sc->v, ob->next_attempt));
	json_object_set_new(o, "release_at", when(sc->v, ob->release_at));
	json_object_set_new(o, "sent_at", when(sc->v, ob->sent_at));
	return json_array_append_new(sc->arr, o);
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
	printf("Owner: %s\n", json_is_string(json_object_get(o, "owner")) ?
	       json_string_value(json_object_get(o, "owner")) : "-");
	printf("Created: %s\n",
	       json_string_value(json_object_get(o, "created")));
	printf("First response due: %s%s\n",
	       json_is_string(json_object_get(o, "first_response_due")) ?
	       json_string_value(json_object_get(o, "first_response_due")) :
	       "-", json_is_true(json_object_get(o, "overdue")) ?
	       " (overdue)" : "");
	printf("First response: %s\n",
	       json_is_string(json_object_get(o, "first_response_at")) ?
	       json_string_value(json_object_get(o, "first_response_at")) :
	       "-");
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
	json_array_foreach(json_object_get(o, "outbox"), i, v) {
		/* When it went, else when it may go. */
		json_t *at = json_object_get(v, "sent_at");

		if (!json_is_string(at))
			at = json_object_get(v, "release_at");
		printf("  outbox %lld  %-10s %-22s %s%s%s\n",
		       (long long)json_integer_value(json_object_get(v, "id")),
		       json_string_value(json_object_get(v, "state")),
		       json_string_value(json_object_get(v, "template")),
		       json_string_value(json_object_get(v, "to")),
		       json_is_string(at) ? "  " : "",
		       json_is_string(at) ? json_string_value(at) : "");
	}
	json_array_foreach(json_object_get(o, "messages"), i, v)
		printf("\n--- %s %s\n%s\n",
		       json_string_value(json_object_get(v, "direction")),
		       json_string_value(json_object_get(v, "subject")),
		       json_string_value(json_object_get(v, "text")));
}

static int
ticket_show(struct store *s, const struct view *v, const char *idarg,
	    int as_json)
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
	o = ticket_json(v, &t);
	store_ticket_release(&t);
	msgs = json_array();
	hist = json_array();
	outbox = json_array();
	{
		struct show_ctx mc = { v, msgs }, hc = { v, hist },
				oc = { v, outbox };

		rc = store_message_each(s, id, message_one, &mc, &err) < 0 ||
		     store_history_each(s, id, history_one, &hc, &err) < 0 ||
		     store_outbox_each(s, id, outbox_one, &oc, &err) < 0;
	}
	if (rc) {
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

static int
search_one(void *ctx, const struct store_hit *h)
{
	struct view *v = ctx;
	json_t *at;

	if (v->arr != NULL)
		return json_array_append_new(v->arr, json_pack(
			"{s:I,s:I,s:o,s:o,s:o,s:o}",
			"ticket", (json_int_t)h->ticket,
			"message", (json_int_t)h->message,
			"received", when(v, h->received),
			"direction", str_or_null(h->direction),
			"subject", str_or_null(h->subject),
			"snippet", str_or_null(h->snippet)));
	at = when(v, h->received);
	printf("%6lld  %s  %s\n        %s\n", h->ticket,
	       json_is_string(at) ? json_string_value(at) : "-",
	       h->subject ? h->subject : "", h->snippet ? h->snippet : "");
	json_decref(at);
	return 0;
}

/* ---- ticket attachment ---- */

struct att_ctx {
	json_t *list;		/* each: filename, content_type, size, sha256 */
};

static int
att_one(void *ctx, const char *direction, long long received,
	const char *parsed)
{
	struct att_ctx *ac = ctx;
	json_t *o = json_loads(parsed ? parsed : "{}", 0, NULL), *a, *v;
	size_t i;

	(void)direction;
	(void)received;
	if (o == NULL)
		return 0;
	a = json_object_get(o, "attachments");
	json_array_foreach(a, i, v)
		json_array_append(ac->list, v);
	json_decref(o);
	return 0;
}

/* Whether s is 64 hex digits (a stored attachment's name). */
static int
is_sha256(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s != NULL && s[64] == '\0';
}

/* Copies the stored attachment to out (stdout or a new file). */
static int
att_extract(const struct conf *conf, const char *sha, const char *path)
{
	char src[4096], buf[65536];
	FILE *in, *out;
	size_t n;
	int rc = EX_OK;

	snprintf(src, sizeof(src), "%s/attachments/%.2s/%s", conf->state_dir,
		 sha, sha);
	in = fopen(src, "rb");
	if (in == NULL) {
		log_user_error("ticket attachment", "cannot read %s: %m",
			       src);
		return EX_NOINPUT;
	}
	out = path != NULL ? fopen(path, "wbx") : stdout;
	if (out == NULL) {
		log_user_error("ticket attachment", "cannot create %s: %m",
			       path);
		fclose(in);
		return EX_CANTCREAT;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			rc = EX_IOERR;
			break;
		}
	if (ferror(in))
		rc = EX_IOERR;
	fclose(in);
	if ((path != NULL ? fclose(out) : fflush(out)) != 0)
		rc = EX_IOERR;
	if (rc != EX_OK)
		log_user_error("ticket attachment", "writing %s failed",
			       path ? path : "stdout");
	return rc;
}

/* `ticket attachment ID [N] [-o FILE] [--json]`: lists a ticket's
 * attachments (every message's, numbered from 1 in message order), or
 * writes attachment N to FILE (never overwritten) or stdout. */
static int
ticket_attachment(const struct conf *conf, struct store *s, int argc,
		  char **argv, int as_json)
{
	struct att_ctx ac = { json_array() };
	struct mp_err err = { 0 };
	const char *idarg = NULL, *narg = NULL, *outpath = NULL;
	long long id, n = 0;
	char *end;
	int i, rc = EX_OK;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 ||
		    strcmp(argv[i], "--output") == 0) {
			if (++i >= argc)
				goto usage;
			outpath = argv[i];
		} else if (strncmp(argv[i], "--", 2) == 0) {
			continue;	/* --json, checked by the caller */
		} else if (idarg == NULL) {
			idarg = argv[i];
		} else if (narg == NULL) {
			narg = argv[i];
		} else {
			goto usage;
		}
	}
	if (idarg == NULL || (outpath != NULL && narg == NULL))
		goto usage;
	id = strtoll(idarg, &end, 10);
	if (*end != '\0' || id <= 0)
		goto usage;
	if (narg != NULL) {
		n = strtoll(narg, &end, 10);
		if (*end != '\0' || n <= 0)
			goto usage;
	}
	if (store_message_each(s, id, att_one, &ac, &err) < 0) {
		log_user_error("ticket attachment", "%s", err.msg);
		json_decref(ac.list);
		return EX_TEMPFAIL;
	}
	if (narg == NULL) {
		json_t *v;
		size_t k;

		if (as_json) {
			json_dumpf(ac.list, stdout, JSON_INDENT(2));
			putchar('\n');
		} else {
			json_array_foreach(ac.list, k, v)
				printf("%3zu  %10lld  %-30s  %s\n", k + 1,
				       (long long)json_integer_value(
					       json_object_get(v, "size")),
				       json_string_value(json_object_get(
					       v, "content_type")),
				       json_is_string(json_object_get(
					       v, "filename")) ?
				       json_string_value(json_object_get(
					       v, "filename")) : "-");
		}
	} else if ((size_t)n > json_array_size(ac.list)) {
		log_user_error("ticket attachment", "ticket %lld has %zu "
			       "attachment(s), not %lld", id,
			       json_array_size(ac.list), n);
		rc = EX_NOINPUT;
	} else {
		const char *sha = json_string_value(json_object_get(
			json_array_get(ac.list, (size_t)n - 1), "sha256"));
		if (!is_sha256(sha)) {
			log_user_error("ticket attachment", "attachment %lld "
				       "was not stored", n);
			rc = EX_NOINPUT;
		} else {
			rc = att_extract(conf, sha, outpath);
		}
	}
	json_decref(ac.list);
	return rc;
usage:
	log_user_error("ticket attachment", "usage: ticket attachment ID "
		       "[N [-o FILE]] [--json]");
	json_decref(ac.list);
	return EX_USAGE;
}

/* The first argument after the subcommand that is neither an option nor
 * the value of one of options[], or NULL. */
static const char *
positional(int argc, char **argv, const char *const *options)
{
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (strncmp(a, "--", 2) != 0)
			return a;
		for (k = 0; options[k] != NULL; k++)
			if (strcmp(a + 2, options[k]) == 0)
				i++;	/* its value */
	}
	return NULL;
}

/* Whether class is a class staff could filter on: a catalogue id, or
 * one of the classes that are not tasks. */
static int
class_known(const struct conf *conf, const char *class, struct mp_err *err)
{
	static const char *const fixed[] = {
		"fault-report", "out-of-scope", "general", "alert", "notice",
		NULL,
	};
	struct rules *rules = NULL;
	size_t i;
	int found;

	for (i = 0; fixed[i] != NULL; i++)
		if (strcmp(class, fixed[i]) == 0)
			return 1;
	if (rules_load_site(&rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, err) < 0)
		return -1;
	found = rules_item_find(rules, class) != NULL;
	rules_free(&rules);
	return found;
}

/* Hits `ticket search` shows by default, and at most. */
#define SEARCH_DEFAULT	50
#define SEARCH_MAX	10000

#define TICKET_USAGE "usage: ticket list [--state S] [--class C] " \
	"[--contract ID] [--requester ADDR] [--owner STAFF] [--overdue] " \
	"[--since TIME] [--json] [--utc] | ticket show ID [--json] [--utc] " \
	"| ticket search QUERY [--limit N] [--since TIME] [--json] [--utc] " \
	"| ticket attachment ID " \
	"[N [-o FILE]]"

int
cmd_ticket(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", "utc", "overdue", NULL };
	static const char *const options[] = { "status", "state", "class",
		"contract", "requester", "owner", "since", "output", "limit",
		NULL };
	struct mp_err err = { 0 };
	struct store *s = NULL;
	struct store_ticket_filter f = { 0 };
	struct hours hours;
	struct view v = { 0 };
	const char *status = NULL, *since = NULL, *limit = NULL, *sub = argc > 1 ? argv[1] :
		"", *arg = positional(argc, argv, options);
	int as_json = cmd_flag(argc, argv, "json"), rc = EX_OK;
	int search_limit = SEARCH_DEFAULT;

	if (!cmd_args_known(argc, argv, "ticket", flags, options))
		return EX_USAGE;
	if (strcmp(sub, "list") != 0 &&
	    !((strcmp(sub, "show") == 0 || strcmp(sub, "search") == 0 ||
	       strcmp(sub, "attachment") == 0) && arg != NULL)) {
		log_user_error("ticket", TICKET_USAGE);
		return EX_USAGE;
	}
	if (cmd_option(argc, argv, "status", &status) < 0 ||
	    cmd_option(argc, argv, "state", &f.state) < 0 ||
	    cmd_option(argc, argv, "class", &f.class) < 0 ||
	    cmd_option(argc, argv, "contract", &f.contract) < 0 ||
	    cmd_option(argc, argv, "requester", &f.requester) < 0 ||
	    cmd_option(argc, argv, "owner", &f.owner) < 0 ||
	    cmd_option(argc, argv, "since", &since) < 0 ||
	    cmd_option(argc, argv, "limit", &limit) < 0) {
		log_user_error("ticket", "an option needs a value");
		return EX_USAGE;
	}
	if (f.state == NULL)
		f.state = status;	/* the older name */
	if (f.state != NULL && !ticket_state_valid(f.state)) {
		log_user_error("ticket list", "unknown state: %s", f.state);
		return EX_USAGE;
	}
	if (f.class != NULL) {
		int known = class_known(conf, f.class, &err);
		if (known < 0) {
			log_user_error("ticket list", "%s", err.msg);
			return EX_CONFIG;
		}
		if (!known) {
			log_user_error("ticket list", "unknown class: %s",
				       f.class);
			return EX_USAGE;
		}
	}
	if (limit != NULL) {
		char *end;
		long n;

		errno = 0;
		n = strtol(limit, &end, 10);
		if (strcmp(sub, "search") != 0 || errno != 0 || end == limit ||
		    *end != '\0' || n < 1 || n > SEARCH_MAX) {
			log_user_error("ticket search", "--limit: want a "
				       "number from 1 to %d (search only)",
				       SEARCH_MAX);
			return EX_USAGE;
		}
		search_limit = (int)n;
	}
	f.overdue = cmd_flag(argc, argv, "overdue");
	memset(&hours, 0, sizeof(hours));
	if (hours_init_conf(&hours, conf, &err) < 0) {
		log_user_error("ticket", "%s", err.msg);
		return EX_CONFIG;
	}
	if (since != NULL) {
		time_t t;
		if (hours_parse_time(&hours, since, &t, &err) < 0) {
			log_user_error("ticket", "--since: %s", err.msg);
			hours_release(&hours);
			return EX_USAGE;
		}
		f.since = (long long)t;
	}
	v.hours = &hours;
	v.utc = cmd_flag(argc, argv, "utc");
	v.now = f.now = (long long)clock_now();
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0) {
		log_user_error("ticket", "%s", err.msg);
		hours_release(&hours);
		return err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
	}
	if (strcmp(sub, "show") == 0) {
		rc = ticket_show(s, &v, arg, as_json);
	} else if (strcmp(sub, "attachment") == 0) {
		rc = ticket_attachment(conf, s, argc, argv, as_json);
	} else {
		int r;

		v.arr = as_json ? json_array() : NULL;
		r = strcmp(sub, "search") == 0 ?
			store_search(s, arg, search_limit, f.since,
				     search_one, &v, &err) :
			store_ticket_list(s, &f, list_one, &v, &err);
		if (r < 0) {
			log_user_error(strcmp(sub, "search") == 0 ?
				       "ticket search" : "ticket list", "%s",
				       err.msg);
			rc = err.kind == MP_PERM ? EX_USAGE : EX_TEMPFAIL;
		} else if (v.arr != NULL) {
			json_dumpf(v.arr, stdout, JSON_INDENT(2));
			putchar('\n');
		}
		json_decref(v.arr);
	}
	store_free(&s);
	hours_release(&hours);
	return rc;
}
