/*
 * cmd_stats.c: `stats [--json|--prometheus]`, the desk's numbers for a
 * person, a script or node exporter's textfile collector.
 *
 * Prometheus text format 0.0.4: one HELP and one TYPE line before each
 * family's samples, all of a family together, label values with '\\',
 * '"' and newline escaped.  Everything is a gauge: these are states
 * counted now, not events counted since a start.  Ages are seconds at
 * the moment of the run, 0 when there is nothing to be old; the
 * collector needs the whole file at once, so write it to a temporary
 * name and rename it (README, "Monitoring").
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "alarm.h"
#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "store_stats.h"

struct stats {
	struct store_stats db;
	struct spool_counts spool;
	long long now;
	json_t *alarms;		/* [{cause, told}] */
};

static long long
age(long long now, long long since)
{
	return since > 0 && now > since ? now - since : 0;
}

static int
add_alarm(void *ctx, const char *cause, int told)
{
	struct stats *s = ctx;

	json_array_append_new(s->alarms, json_pack("{s:s,s:b}", "cause",
						   cause, "told", told));
	return 0;
}

/* An age, or null when there is nothing. */
static json_t *
json_age(long long now, long long since)
{
	return since > 0 ? json_integer(age(now, since)) : json_null();
}

static int
print_json(const struct stats *s)
{
	json_t *o, *by_state = json_object(), *by_class = json_object();
	json_t *rows = json_array(), *outbox = json_object(), *v;
	size_t i;
	int rc;

	for (i = 0; i < s->db.n_tickets; i++) {
		const struct store_stats_row *r = &s->db.tickets[i];
		const char *cls = r->class ? r->class : "";

		v = json_object_get(by_state, r->state);
		json_object_set_new(by_state, r->state, json_integer(
			(v ? json_integer_value(v) : 0) + r->count));
		v = json_object_get(by_class, cls);
		json_object_set_new(by_class, cls, json_integer(
			(v ? json_integer_value(v) : 0) + r->count));
		json_array_append_new(rows, json_pack("{s:s,s:s,s:I}",
			"state", r->state, "class", cls, "count",
			(json_int_t)r->count));
	}
	for (i = 0; i < s->db.n_outbox; i++)
		json_object_set_new(outbox, s->db.outbox[i].state,
				    json_integer(s->db.outbox[i].count));
	o = json_pack("{s:I,s:{s:o,s:o,s:o},s:{s:I,s:o},s:{s:I,s:o},s:I,"
		      "s:{s:o,s:I,s:o,s:o,s:o},s:{s:I,s:o,s:I},s:O}",
		      "at", (json_int_t)s->now,
		      "tickets", "by_state", by_state, "by_class", by_class,
		      "by_state_class", rows,
		      "triage", "count", (json_int_t)s->db.triage,
		      "oldest_age_s", json_age(s->now, s->db.triage_oldest),
		      "held", "count", (json_int_t)s->db.held,
		      "oldest_age_s", json_age(s->now, s->db.held_oldest),
		      "overdue", (json_int_t)s->db.overdue,
		      "outbox", "by_state", outbox,
		      "backlog", (json_int_t)s->db.backlog,
		      "oldest_backlog_age_s",
		      json_age(s->now, s->db.backlog_oldest),
		      "last_error", s->db.last_error ?
		      json_string(s->db.last_error) : json_null(),
		      "last_error_age_s", s->db.last_error ?
		      json_age(s->now, s->db.last_error_at) : json_null(),
		      "spool", "new", (json_int_t)s->spool.new_count,
		      "oldest_new_age_s",
		      json_age(s->now, s->spool.new_oldest),
		      "failed", (json_int_t)s->spool.failed_count,
		      "alarms", s->alarms);
	if (o == NULL)
		return -1;
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	putchar('\n');
	return rc;
}

/* A label value: backslash, double quote and newline escaped. */
static void
prom_label(const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
}

static void
prom_family(const char *name, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
print_prometheus(const struct stats *s)
{
	const struct {
		const char *name, *help;
		long long v;
	} gauges[] = {
		{ "mailproc_triage_tickets", "Tickets waiting for staff to "
		  "choose the class.", s->db.triage },
		{ "mailproc_triage_oldest_age_seconds", "Age of the oldest "
		  "ticket in triage (0: none).",
		  age(s->now, s->db.triage_oldest) },
		{ "mailproc_held_tickets", "Requests held for identity "
		  "confirmation.", s->db.held },
		{ "mailproc_held_oldest_age_seconds", "Age of the oldest held "
		  "request (0: none).", age(s->now, s->db.held_oldest) },
		{ "mailproc_overdue_tickets", "Tickets past their first "
		  "response due time with no response.", s->db.overdue },
		{ "mailproc_outbox_backlog_mails", "Outgoing mail not sent "
		  "yet (queued, held for business hours, sending).",
		  s->db.backlog },
		{ "mailproc_outbox_backlog_oldest_age_seconds", "Age of the "
		  "oldest mail not sent yet (0: none).",
		  age(s->now, s->db.backlog_oldest) },
		{ "mailproc_outbox_last_error_age_seconds", "Seconds since "
		  "the attempt that got the newest error (0: none).",
		  s->db.last_error ? age(s->now, s->db.last_error_at) : 0 },
		{ "mailproc_spool_new_messages", "Spooled mail not processed "
		  "yet (spool/incoming/new).", s->spool.new_count },
		{ "mailproc_spool_new_oldest_age_seconds", "Age of the oldest "
		  "unprocessed spooled mail (0: none).",
		  age(s->now, s->spool.new_oldest) },
		{ "mailproc_spool_failed_messages", "Mail that could never "
		  "be processed (spool/failed).", s->spool.failed_count },
		{ "mailproc_stats_timestamp_seconds", "When these numbers "
		  "were taken (Unix time).", s->now },
	};
	size_t i;

	prom_family("mailproc_tickets", "Tickets by state and class "
		    "(merged tickets count in the one they joined).");
	for (i = 0; i < s->db.n_tickets; i++) {
		fputs("mailproc_tickets{state=\"", stdout);
		prom_label(s->db.tickets[i].state);
		fputs("\",class=\"", stdout);
		prom_label(s->db.tickets[i].class);
		printf("\"} %lld\n", s->db.tickets[i].count);
	}
	prom_family("mailproc_outbox_mails", "Outgoing mail by state.");
	for (i = 0; i < s->db.n_outbox; i++) {
		fputs("mailproc_outbox_mails{state=\"", stdout);
		prom_label(s->db.outbox[i].state);
		printf("\"} %lld\n", s->db.outbox[i].count);
	}
	prom_family("mailproc_outbox_last_error_info", "The newest error an "
		    "outgoing mail got from the relay (no sample: none).");
	if (s->db.last_error != NULL) {
		printf("mailproc_outbox_last_error_info{outbox=\"%lld\","
		       "error=\"", s->db.last_error_outbox);
		prom_label(s->db.last_error);
		puts("\"} 1");
	}
	prom_family("mailproc_alarm", "A raised alarm (mail not being "
		    "filed); 1 once staff have been mailed, else 0.");
	for (i = 0; i < json_array_size(s->alarms); i++) {
		json_t *a = json_array_get(s->alarms, i);

		fputs("mailproc_alarm{cause=\"", stdout);
		prom_label(json_string_value(json_object_get(a, "cause")));
		printf("\"} %d\n", json_is_true(json_object_get(a, "told")));
	}
	for (i = 0; i < sizeof(gauges) / sizeof(*gauges); i++) {
		prom_family(gauges[i].name, gauges[i].help);
		printf("%s %lld\n", gauges[i].name, gauges[i].v);
	}
}

static void
print_text(const struct stats *s)
{
	size_t i;

	printf("tickets:\n");
	for (i = 0; i < s->db.n_tickets; i++)
		printf("  %-9s %-24s %lld\n", s->db.tickets[i].state,
		       s->db.tickets[i].class ? s->db.tickets[i].class : "-",
		       s->db.tickets[i].count);
	printf("triage: %lld (oldest %llds)\nheld: %lld (oldest %llds)\n"
	       "overdue: %lld\n", s->db.triage,
	       age(s->now, s->db.triage_oldest), s->db.held,
	       age(s->now, s->db.held_oldest), s->db.overdue);
	printf("outbox:");
	for (i = 0; i < s->db.n_outbox; i++)
		printf(" %s %lld", s->db.outbox[i].state,
		       s->db.outbox[i].count);
	printf("\n  backlog %lld (oldest %llds), last error: %s\n",
	       s->db.backlog, age(s->now, s->db.backlog_oldest),
	       s->db.last_error ? s->db.last_error : "none");
	printf("spool: new %lld (oldest %llds), failed %lld\n",
	       s->spool.new_count, age(s->now, s->spool.new_oldest),
	       s->spool.failed_count);
	for (i = 0; i < json_array_size(s->alarms); i++)
		printf("ALARM: %s\n", json_string_value(json_object_get(
			json_array_get(s->alarms, i), "cause")));
}

int
cmd_stats(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", "prometheus", NULL };
	struct stats s = { 0 };
	struct store *db = NULL;
	struct mp_err err = { 0 };
	int json = cmd_flag(argc, argv, "json");
	int prom = cmd_flag(argc, argv, "prometheus"), rc = EX_OK;

	if (!cmd_args_known(argc, argv, "stats", flags, NULL))
		return EX_USAGE;
	if (json && prom) {
		fprintf(stderr, "mailproc: stats: --json or --prometheus, "
			"not both\n");
		return EX_USAGE;
	}
	s.now = (long long)clock_now();
	s.alarms = json_array();
	if (s.alarms == NULL) {
		log_user_error("stats", "out of memory");
		return EX_TEMPFAIL;
	}
	if (store_open(&db, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_stats_get(db, s.now, &s.db, &err) < 0 ||
	    spool_counts(conf->state_dir, &s.spool, &err) < 0 ||
	    alarm_each(conf->state_dir, add_alarm, &s, &err) < 0) {
		log_user_error("stats", "%s", err.msg);
		rc = EX_TEMPFAIL;
		goto done;
	}
	if (prom)
		print_prometheus(&s);
	else if (json && print_json(&s) < 0)
		rc = EX_TEMPFAIL;
	else if (!json)
		print_text(&s);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_user_error("stats", "stdout: %s", strerror(errno));
		rc = EX_TEMPFAIL;
	}
done:
	store_stats_release(&s.db);
	store_free(&db);
	json_decref(s.alarms);
	return rc;
}
