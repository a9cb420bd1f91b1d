/*
 * store_class.c: the classification tables: staff class decisions (the
 * desk's own training examples) and the identity tasks of a ticket.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_priv.h"

int
store_decision_add(struct store *s, const struct store_decision *d,
		   struct mp_err *err)
{
	return run(s, prep(s, err,
		"INSERT INTO class_decisions (ticket, at, by, class, was, "
		"was_by, was_triage, subject, text, from_form) "
		"SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"  coalesce(json_extract(m.parsed, '$.subject'), ''), "
		"  coalesce(json_extract(m.parsed, '$.text'), ''), "
		"  ?8 "
		"FROM tickets t LEFT JOIN messages m ON m.id = "
		"  (SELECT min(id) FROM messages WHERE ticket = t.id AND "
		"   direction = 'in') "
		"WHERE t.id = ?1", "iisssiii", d->ticket, d->at, d->by,
		d->class, d->was, d->was_by, (long long)d->was_triage,
		(long long)d->from_form), err, "class decision");
}

int
store_decision_each(struct store *s, long long since, int latest,
		    store_decision_fn *fn, void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"SELECT ticket, at, by, class, was, was_by, was_triage, "
		"subject, text, from_form FROM class_decisions WHERE at >= ?1 "
		"AND (?2 = 0 OR id IN (SELECT max(id) FROM class_decisions "
		"GROUP BY ticket)) ORDER BY id", "ii", since,
		(long long)latest);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_decision d;

		d.ticket = sqlite3_column_int64(st, 0);
		d.at = sqlite3_column_int64(st, 1);
		d.by = (const char *)sqlite3_column_text(st, 2);
		d.class = (const char *)sqlite3_column_text(st, 3);
		d.was = (const char *)sqlite3_column_text(st, 4);
		d.was_by = (const char *)sqlite3_column_text(st, 5);
		d.was_triage = sqlite3_column_int(st, 6);
		d.subject = (const char *)sqlite3_column_text(st, 7);
		d.text = (const char *)sqlite3_column_text(st, 8);
		d.from_form = sqlite3_column_int(st, 9);
		if (fn(ctx, &d, err) < 0) {
			done(s, st);
			return -1;
		}
	}
	done(s, st);
	if (rc != SQLITE_DONE)
		return db_fail(s, err, "class decisions");
	return 0;
}

int
store_triage_rate(struct store *s, long long since, long long *tickets_r,
		  long long *triaged_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM history h "
		"WHERE h.ticket = t.id AND h.event = 'state' AND "
		"h.detail LIKE 'triage%')), 0) FROM tickets t "
		"WHERE created >= ?1", "i", since);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tickets_r = sqlite3_column_int64(st, 0);
		*triaged_r = sqlite3_column_int64(st, 1);
	}
	done(s, st);
	if (rc != SQLITE_ROW)
		return db_fail(s, err, "triage rate");
	return 0;
}

int
store_task_set(struct store *s, long long ticket, const char *task,
	       const char *channel, const char *state, long long at,
	       struct mp_err *err)
{
	return run(s, prep(s, err,
		"INSERT INTO ticket_tasks (ticket, task, channel, state, "
		"updated) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ticket, "
		"task) DO UPDATE SET channel = ?3, state = ?4, updated = ?5",
		"isssi", ticket, task, channel, state, at), err, "task");
}

int
store_tasks_get(struct store *s, long long ticket, struct store_task **v_r,
		size_t *n_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"SELECT task, channel, state FROM ticket_tasks WHERE ticket = "
		"?1 ORDER BY rowid", "i", ticket);
	struct store_task *v = NULL;
	size_t n = 0;
	int rc;

	*v_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_task *nv = realloc(v, (n + 1) * sizeof(*v));

		if (nv == NULL) {
			done(s, st);
			store_tasks_free(v, n);
			return mp_err_set(err, MP_TEMP, "out of memory");
		}
		v = nv;
		v[n].task = col_str(st, 0);
		v[n].channel = col_str(st, 1);
		v[n].state = col_str(st, 2);
		n++;
		if (v[n - 1].task == NULL || v[n - 1].state == NULL) {
			done(s, st);
			store_tasks_free(v, n);
			return mp_err_set(err, MP_TEMP, "out of memory");
		}
	}
	done(s, st);
	if (rc != SQLITE_DONE) {
		store_tasks_free(v, n);
		return db_fail(s, err, "tasks");
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_tasks_free(struct store_task *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].task);
		free(v[i].channel);
		free(v[i].state);
	}
	free(v);
}

int
store_tasks_move(struct store *s, long long ticket, const char *channel,
		 const char *from, const char *to, long long at, int *n_r,
		 struct mp_err *err)
{
	if (run(s, prep(s, err,
		"UPDATE ticket_tasks SET state = ?4, updated = ?5 WHERE "
		"ticket = ?1 AND (?2 IS NULL OR channel = ?2) AND "
		"(?3 IS NULL AND state != 'done' OR state = ?3)", "isssi",
		ticket, channel, from, to, at), err, "tasks") < 0)
		return -1;
	if (n_r != NULL)
		*n_r = sqlite3_changes(s->db);
	return 0;
}

int
store_tasks_count(struct store *s, long long ticket, const char *state,
		  long long *n_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT count(*) FROM ticket_tasks "
				"WHERE ticket = ?1 AND state = ?2", "is",
				ticket, state);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*n_r = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	done(s, st);
	if (rc != SQLITE_ROW)
		return db_fail(s, err, "tasks");
	return 0;
}

int
store_first_message(struct store *s, long long ticket, char **subject_r,
		    char **text_r, char **message_id_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"SELECT json_extract(parsed, '$.subject'), "
		"json_extract(parsed, '$.text'), nullif(message_id, '') "
		"FROM messages WHERE ticket = ?1 AND direction = 'in' "
		"ORDER BY id LIMIT 1", "i", ticket);

	return first_row_strings(s, st, "first message", err, 3, subject_r,
				 text_r, message_id_r);
}

int
store_requester_name(struct store *s, long long ticket, const char *address,
		     char **name_r, struct mp_err *err)
{
	/* The name typed into the web form (ingest.c), else the display
	 * name of the requester's own From. */
	sqlite3_stmt *st = prep(s, err,
		"SELECT coalesce((SELECT h.detail FROM history h WHERE "
		"h.ticket = t.id AND h.event = 'form-name' ORDER BY h.id "
		"LIMIT 1), (SELECT json_extract(m.parsed, '$.from[0].name') "
		"FROM messages m WHERE m.ticket = t.id AND "
		"m.direction = 'in' AND json_valid(m.parsed) AND "
		"lower(json_extract(m.parsed, '$.from[0].address')) = "
		"lower(?2) ORDER BY m.id LIMIT 1)) FROM tickets t "
		"WHERE t.id = ?1 AND lower(t.requester) = lower(?2)",
		"is", ticket, address);
	int rc = first_row_strings(s, st, "requester name", err, 1, name_r);

	return rc < 0 ? -1 : *name_r != NULL;
}

int
store_history_last(struct store *s, long long ticket, const char *event,
		   char **detail_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT detail FROM history WHERE "
				"ticket = ?1 AND event = ?2 ORDER BY id DESC "
				"LIMIT 1", "is", ticket, event);

	return first_row_strings(s, st, "history", err, 1, detail_r);
}
