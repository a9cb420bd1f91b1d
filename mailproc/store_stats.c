/*
 * store_stats.c: the queries behind `stats`.
 *
 * A deferred read transaction around them all: in WAL mode it blocks no
 * writer and sees one snapshot, so the counts add up even while deliver
 * commits.  The overdue test repeats store_ticket_overdue() in SQL so
 * that the count needs no row-by-row pass.
 */
#include <stdlib.h>
#include <string.h>

#include "store_priv.h"
#include "store_stats.h"

/* Steps st into rows of (state, class or nothing, count). */
static int
grouped(struct store *s, sqlite3_stmt *st, int with_class,
	struct store_stats_row **v_r, size_t *n_r, struct mp_err *err)
{
	struct store_stats_row *v = NULL, *grown;
	size_t n = 0, cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL)
				break;
			v = grown;
		}
		v[n].state = col_str(st, 0);
		v[n].class = with_class ? col_str(st, 1) : NULL;
		v[n].count = sqlite3_column_int64(st, with_class ? 2 : 1);
		n++;
	}
	*v_r = v;
	*n_r = n;
	if (rc == SQLITE_ROW) {
		done(s, st);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	if (rc != SQLITE_DONE) {
		db_fail(s, err, "stats");
		done(s, st);
		return -1;
	}
	done(s, st);
	return 0;
}

/* One row of up to three integers (and a text in column 3 for what). */
static int
one_row(struct store *s, sqlite3_stmt *st, long long *a, long long *b,
	long long *c, char **text_r, struct mp_err *err)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (a != NULL)
			*a = sqlite3_column_int64(st, 0);
		if (b != NULL)
			*b = sqlite3_column_int64(st, 1);
		if (c != NULL)
			*c = sqlite3_column_int64(st, 2);
		if (text_r != NULL)
			*text_r = col_str(st, 3);
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "stats");
	return 0;
}

/* How many tickets are in state, and the oldest one's creation. */
static int
in_state(struct store *s, const char *state, long long *n_r,
	 long long *oldest_r, struct mp_err *err)
{
	return one_row(s, prep(s, err, "SELECT count(*), "
			       "COALESCE(min(created), 0) FROM tickets WHERE "
			       "state = ?1 AND (merged_into IS NULL OR "
			       "merged_into = 0)", "s", state),
		       n_r, oldest_r, NULL, NULL, err);
}

int
store_stats_get(struct store *s, long long now, struct store_stats *st,
		struct mp_err *err)
{
	long long ignore;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(s, err, "stats: begin");
	if (grouped(s, prep(s, err, "SELECT state, class, count(*) FROM "
			    "tickets WHERE merged_into IS NULL OR "
			    "merged_into = 0 GROUP BY state, class ORDER BY "
			    "state, class", ""), 1, &st->tickets,
		    &st->n_tickets, err) < 0 ||
	    grouped(s, prep(s, err, "SELECT state, count(*) FROM outbox "
			    "GROUP BY state ORDER BY state", ""), 0,
		    &st->outbox, &st->n_outbox, err) < 0 ||
	    in_state(s, "triage", &st->triage, &st->triage_oldest, err) < 0 ||
	    in_state(s, "held", &st->held, &st->held_oldest, err) < 0 ||
	    one_row(s, prep(s, err, "SELECT count(*) FROM tickets WHERE "
			    "(first_response_at IS NULL OR first_response_at "
			    "= 0) AND first_response_due > 0 AND "
			    "first_response_due <= ?1 AND (merged_into IS "
			    "NULL OR merged_into = 0) AND state NOT IN "
			    "('done', 'closed', 'rejected')", "i", now),
		    &st->overdue, NULL, NULL, NULL, err) < 0 ||
	    one_row(s, prep(s, err, "SELECT count(*), COALESCE(min(created), "
			    "0) FROM outbox WHERE state IN ('queued', "
			    "'held', 'sending')", ""),
		    &st->backlog, &st->backlog_oldest, NULL, NULL, err) < 0 ||
	    one_row(s, prep(s, err, "SELECT id, COALESCE(claimed_at, "
			    "created), 0, last_error FROM "
			    "outbox WHERE last_error IS NOT NULL AND "
			    "last_error != '' AND state != 'suppressed' "
			    "ORDER BY id DESC LIMIT 1", ""),
		    &st->last_error_outbox, &st->last_error_at, &ignore,
		    &st->last_error, err) < 0)
		goto done;
	rc = 0;
done:
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

void
store_stats_release(struct store_stats *st)
{
	size_t i;

	for (i = 0; i < st->n_tickets; i++) {
		free(st->tickets[i].state);
		free(st->tickets[i].class);
	}
	for (i = 0; i < st->n_outbox; i++)
		free(st->outbox[i].state);
	free(st->tickets);
	free(st->outbox);
	free(st->last_error);
	memset(st, 0, sizeof(*st));
}
