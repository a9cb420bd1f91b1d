/*
 * cmd_classify_report.c: `classify-report [--since DATE] [--json]`, how
 * the live classifier agreed with staff.  Every staff class decision
 * (`#category`, `category`) is compared with what the classifier had
 * said: a confusion table, the triage rate of the tickets of the period,
 * and the misses that matter most: requests for identity-requiring work
 * that the classifier filed as general or out-of-scope without triage
 * (they would have skipped the identity hold had staff not caught them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "cmd.h"
#include "hours.h"
#include "log.h"
#include "rules.h"
#include "store.h"

struct report {
	const struct rules *rules;
	json_t *pairs;		/* "was -> class": count */
	json_t *unsafe;		/* list of {ticket, was, class} */
	long long n, agreed, triaged;
};

static int
add_decision(void *ctx, const struct store_decision *d, struct mp_err *err)
{
	struct report *rep = ctx;
	const struct rules_item *chosen = rules_item_find(rep->rules,
							  d->class);
	char key[160];
	json_t *v;

	(void)err;
	rep->n++;
	if (d->was_triage)
		rep->triaged++;
	else if (d->was != NULL && strcmp(d->was, d->class) == 0)
		rep->agreed++;
	snprintf(key, sizeof(key), "%s -> %s", d->was ? d->was : "-",
		 d->class);
	v = json_object_get(rep->pairs, key);
	json_object_set_new(rep->pairs, key, json_integer(
		(v ? json_integer_value(v) : 0) + 1));
	if (chosen != NULL && chosen->identity_required && !d->was_triage &&
	    d->was != NULL && (strcmp(d->was, "general") == 0 ||
			       strcmp(d->was, "out-of-scope") == 0))
		json_array_append_new(rep->unsafe, json_pack(
			"{s:I,s:s,s:s,s:s}", "ticket", (json_int_t)d->ticket,
			"was", d->was, "was_by", d->was_by ? d->was_by : "",
			"class", d->class));
	return 0;
}

int
cmd_classify_report(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	static const char *const options[] = { "since", NULL };
	struct report rep = { 0 };
	struct mp_err err = { 0 };
	struct rules *rules = NULL;
	struct store *s = NULL;
	struct hours hours;
	const char *since_s = NULL;
	long long tickets = 0, in_triage = 0;
	time_t since = 0;
	int rc = EX_OK;

	if (!cmd_args_known(argc, argv, "classify-report", flags, options) ||
	    cmd_option(argc, argv, "since", &since_s) < 0) {
		log_user_error("classify-report", "usage: classify-report "
			       "[--since DATE] [--json]");
		return EX_USAGE;
	}
	memset(&hours, 0, sizeof(hours));
	if (hours_init_conf(&hours, conf, &err) < 0 ||
	    rules_load_site(&rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, &err) < 0) {
		log_user_error("classify-report", "%s", err.msg);
		hours_release(&hours);
		return EX_CONFIG;
	}
	if (since_s != NULL &&
	    hours_parse_time(&hours, since_s, &since, &err) < 0) {
		log_user_error("classify-report", "--since: %s", err.msg);
		rc = EX_USAGE;
		goto done;
	}
	rep.rules = rules;
	rep.pairs = json_object();
	rep.unsafe = json_array();
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_decision_each(s, (long long)since, 0, add_decision, &rep,
				&err) < 0 ||
	    store_triage_rate(s, (long long)since, &tickets, &in_triage,
			      &err) < 0) {
		log_user_error("classify-report", "%s", err.msg);
		rc = EX_TEMPFAIL;
		goto done;
	}
	if (cmd_flag(argc, argv, "json")) {
		json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:O,s:O}",
			"tickets", (json_int_t)tickets,
			"triaged", (json_int_t)in_triage,
			"decisions", (json_int_t)rep.n,
			"agreed", (json_int_t)rep.agreed,
			"decided_in_triage", (json_int_t)rep.triaged,
			"confusion", rep.pairs, "identity_missed", rep.unsafe);

		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		const char *key;
		json_t *v;
		size_t i;

		printf("tickets: %lld, of them in triage: %lld (%.1f%%)\n",
		       tickets, in_triage, tickets ? 100.0 * (double)in_triage /
		       (double)tickets : 0.0);
		printf("staff class decisions: %lld (%lld in triage; of the "
		       "others %lld agreed with the classifier)\n", rep.n,
		       rep.triaged, rep.agreed);
		printf("classifier -> staff:\n");
		json_object_foreach(rep.pairs, key, v)
			printf("  %-60s %lld\n", key,
			       (long long)json_integer_value(v));
		printf("identity-requiring requests filed without a hold: "
		       "%zu\n", json_array_size(rep.unsafe));
		json_array_foreach(rep.unsafe, i, v)
			printf("  ticket %lld: %s by %s, staff chose %s\n",
			       (long long)json_integer_value(
				       json_object_get(v, "ticket")),
			       json_string_value(json_object_get(v, "was")),
			       json_string_value(json_object_get(v, "was_by")),
			       json_string_value(json_object_get(v, "class")));
	}
done:
	json_decref(rep.pairs);
	json_decref(rep.unsafe);
	store_free(&s);
	rules_free(&rules);
	hours_release(&hours);
	return rc;
}
