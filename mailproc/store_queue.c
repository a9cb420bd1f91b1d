/*
 * store_queue.c: the staff's queue in the database: first responses,
 * the filtered ticket list, full-text search, owners, escalation and the
 * digest record, merges.
 *
 * The search index (message_fts, migration 9) is an FTS5 table with the
 * trigram tokenizer: it matches any substring of three characters or
 * more, which is what Japanese needs without a dictionary (no spaces
 * between words).  Its text is not stored twice: it reads the view
 * message_text (the `parse` object's subject and text).  Shorter words
 * cannot use the index and fall back to LIKE over the view.  The store
 * adds a transaction's messages to the index just before it commits.
 * XXX a query of short words only reads every message; fine at a desk's
 * scale, not at millions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_priv.h"

int
store_ticket_first_response(struct store *s, long long ticket, long long at,
			    const char *by, int *first_r, struct mp_err *err)
{
	sqlite3_stmt *st;
	char state[32] = "";
	int changed, rc;

	if (first_r != NULL)
		*first_r = 0;
	if (run(s, prep(s, err, "UPDATE tickets SET first_response_at = ?1, "
			"updated = ?1 WHERE id = ?2 AND first_response_at IS "
			"NULL", "ii", at, ticket), err, "first response") < 0)
		return -1;
	changed = sqlite3_changes(s->db);
	if (!changed)
		return 0;
	if (first_r != NULL)
		*first_r = 1;
	st = prep(s, err, "SELECT state FROM tickets WHERE id = ?1", "i",
		  ticket);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(state, sizeof(state), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "ticket state");
	if (store_history_add(s, ticket, at, by, "first-response",
			      "first response to the customer", err) < 0)
		return -1;
	if (strcmp(state, "new") == 0)
		return store_ticket_set_state(s, ticket, "open", at, by,
					      STORE_ANSWERED_REASON, err);
	return 0;
}

int
store_ticket_overdue(const struct store_ticket *t, long long now)
{
	static const char *const finished[] = {
		"done", "closed", "rejected",
	};
	size_t i;

	if (t->first_response_at != 0 || t->first_response_due == 0 ||
	    t->first_response_due > now || t->merged_into != 0)
		return 0;
	for (i = 0; i < sizeof(finished) / sizeof(*finished); i++)
		if (t->state != NULL && strcmp(t->state, finished[i]) == 0)
			return 0;
	return 1;
}

#define OVERDUE_SQL "first_response_at IS NULL AND first_response_due " \
	"IS NOT NULL AND first_response_due <= ?7 AND merged_into IS NULL " \
	"AND state NOT IN ('done', 'closed', 'rejected')"

int
store_ticket_list(struct store *s, const struct store_ticket_filter *f,
		  int (*fn)(void *ctx, const struct store_ticket *t),
		  void *ctx, struct mp_err *err)
{
	static const struct store_ticket_filter all = { 0 };
	sqlite3_stmt *st;
	int rc, out = 0;

	if (f == NULL)
		f = &all;
	st = prep(s, err, "SELECT " TICKET_COLS " FROM tickets WHERE"
		  " (?1 IS NULL OR state = ?1)"
		  " AND (?2 IS NULL OR class = ?2)"
		  " AND (?3 IS NULL OR contract = ?3)"
		  " AND (?4 IS NULL OR requester = ?4 COLLATE NOCASE)"
		  " AND (?5 IS NULL OR owner = ?5 COLLATE NOCASE)"
		  " AND created >= ?6"
		  " AND (?8 = 0 OR (" OVERDUE_SQL "))"
		  " ORDER BY id", "sssssiii", f->state, f->class, f->contract,
		  f->requester, f->owner, f->since, f->now,
		  (long long)f->overdue);
	if (st == NULL)
		return -1;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_ticket t;
		ticket_from_row(st, &t);
		out = fn(ctx, &t);
		store_ticket_release(&t);
	}
	if (out != 0)
		rc = SQLITE_DONE;
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "ticket list");
	return out;
}

/* Whether the UTF-8 string p of n bytes has fewer than three
 * characters (the trigram index cannot match it). */
static int
short_word(const char *p, size_t n)
{
	size_t i, chars = 0;

	for (i = 0; i < n; i++)
		chars += ((unsigned char)p[i] & 0xc0) != 0x80;
	return chars < 3;
}

/* Builds the WHERE clause for query into sql and its words (quoted for
 * FTS5, or as LIKE patterns) into words[]; returns how many words. */
#define MAX_WORDS 8

static int
search_words(const char *query, char *sql, size_t sqlsize, char **words,
	     struct mp_err *err)
{
	size_t used = 0;

	const char *p = query;
	int n = 0;

	while (*p != '\0') {
		size_t len, i;
		struct buf w = { 0 };
		char *word;
		int fts;

		p += strspn(p, " \t\r\n");
		len = strcspn(p, " \t\r\n");
		if (len == 0)
			break;
		if (n == MAX_WORDS)
			return mp_err_set(err, MP_PERM, "more than %d words",
					  MAX_WORDS);
		fts = !short_word(p, len);
		if (fts) {
			/* A phrase in double quotes is taken literally
			 * by FTS5 (its quotes doubled). */
			buf_add(&w, "\"", 1);
			for (i = 0; i < len; i++) {
				if (p[i] == '"')
					buf_add(&w, "\"", 1);
				buf_add(&w, &p[i], 1);
			}
			buf_add(&w, "\"", 1);
		} else {
			buf_add(&w, "%", 1);
			for (i = 0; i < len; i++) {
				if (p[i] == '%' || p[i] == '_' ||
				    p[i] == '\\')
					buf_add(&w, "\\", 1);
				buf_add(&w, &p[i], 1);
			}
			buf_add(&w, "%", 1);
		}
		word = buf_detach(&w, NULL);
		if (word == NULL) {
			while (n > 0)
				free(words[--n]);
			return mp_err_set(err, MP_TEMP, "out of memory");
		}
		words[n++] = word;
		used += (size_t)snprintf(sql + used, sqlsize - used,
			" AND %s ?%d%s", fts ? "message_fts MATCH" :
			"(coalesce(mt.subject, '') || ' ' || "
			"coalesce(mt.text, '')) LIKE", n + 2,
			fts ? "" : " ESCAPE '\\'");
		p += len;
	}
	return n;
}

int
store_search(struct store *s, const char *query, int limit,
	     long long since, int (*fn)(void *ctx, const struct store_hit *h),
	     void *ctx, struct mp_err *err)
{
	char where[MAX_WORDS * 120], sql[MAX_WORDS * 120 + 400];
	char *words[MAX_WORDS];
	sqlite3_stmt *st = NULL;
	int n, i, rc = SQLITE_DONE, out = 0, has_fts = 0;

	where[0] = '\0';
	n = search_words(query, where, sizeof(where), words, err);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		has_fts |= words[i][0] == '"';
	if (n == 0)
		return mp_err_set(err, MP_PERM, "empty query");
	{
		/* snippet() needs a MATCH; with LIKE alone the text's
		 * start stands in for it. */
		snprintf(sql, sizeof(sql), "SELECT m.ticket, m.id, "
			 "m.received, m.direction, mt.subject, %s FROM "
			 "messages m JOIN message_text mt ON mt.id = m.id%s "
			 "WHERE m.received >= ?2%s ORDER BY m.received DESC, "
			 "m.id DESC "
			 "LIMIT ?1", has_fts ? "snippet(message_fts, 1, '[', "
			 "']', '…', 12)" : "substr(mt.text, 1, 60)", has_fts ?
			 " JOIN message_fts ON message_fts.rowid = m.id" : "",
			 where);
		st = prep(s, err, sql, "ii", (long long)limit, since);
	}
	if (st == NULL) {
		rc = -1;
		goto done;
	}
	for (i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 3, words[i], -1, SQLITE_TRANSIENT);
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_hit h;

		h.ticket = sqlite3_column_int64(st, 0);
		h.message = sqlite3_column_int64(st, 1);
		h.received = sqlite3_column_int64(st, 2);
		h.direction = (const char *)sqlite3_column_text(st, 3);
		h.subject = (const char *)sqlite3_column_text(st, 4);
		h.snippet = (const char *)sqlite3_column_text(st, 5);
		out = fn(ctx, &h);
	}
	if (out != 0)
		rc = SQLITE_DONE;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rc = db_fail(s, err, "search");
	else
		rc = out;
done:
	done(s, st);
	for (i = 0; i < n; i++)
		free(words[i]);
	return rc;
}

int
store_ticket_set_owner(struct store *s, long long ticket, const char *owner,
		       long long at, const char *by, struct mp_err *err)
{
	char detail[300];

	if (run(s, prep(s, err, "UPDATE tickets SET owner = ?1, updated = ?2 "
			"WHERE id = ?3", "sii", owner, at, ticket), err,
		"ticket owner") < 0)
		return -1;
	snprintf(detail, sizeof(detail), "owner: %s", owner ? owner :
		 "nobody");
	return store_history_add(s, ticket, at, by, "owner", detail, err);
}

int
store_ticket_claim_escalation(struct store *s, long long ticket,
			      long long at, struct mp_err *err)
{
	if (run(s, prep(s, err, "UPDATE tickets SET escalated_at = ?1 WHERE "
			"id = ?2 AND escalated_at IS NULL", "ii", at, ticket),
		err, "escalation") < 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int
store_ticket_restart_clock(struct store *s, long long ticket, long long due,
			   struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE tickets SET first_response_at = "
			   "NULL, escalated_at = NULL, first_response_due = "
			   "?1 WHERE id = ?2", "ii", due, ticket), err,
		   "ticket clock");
}

int
store_digest_claim(struct store *s, long long opening, long long now,
		   struct mp_err *err)
{
	if (run(s, prep(s, err, "INSERT OR IGNORE INTO digests (opening, "
			"sent_at) VALUES (?1, ?2)", "ii", opening, now), err,
		"digest") < 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int
store_digest_last(struct store *s, long long *opening_r,
		  long long *sent_at_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT opening, sent_at FROM digests "
				"ORDER BY opening DESC LIMIT 1", "");
	int rc;

	*opening_r = *sent_at_r = 0;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*opening_r = sqlite3_column_int64(st, 0);
		*sent_at_r = sqlite3_column_int64(st, 1);
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "digest");
	return 0;
}

int
store_ticket_merge(struct store *s, long long from, long long into,
		   long long at, const char *by, struct mp_err *err)
{
	char detail[120];

	if (run(s, prep(s, err, "UPDATE messages SET ticket = ?1 WHERE "
			"ticket = ?2", "ii", into, from), err,
		"merge messages") < 0 ||
	    run(s, prep(s, err, "INSERT INTO history (ticket, at, actor, "
			"event, detail) SELECT ?1, at, actor, event, '#' || "
			"?2 || ': ' || coalesce(detail, '') FROM history "
			"WHERE ticket = ?2 ORDER BY id", "ii", into, from),
		err, "merge history") < 0 ||
	    run(s, prep(s, err, "UPDATE tickets SET merged_into = ?1, "
			"updated = ?2 WHERE id = ?3", "iii", into, at, from),
		err, "merge") < 0)
		return -1;
	snprintf(detail, sizeof(detail), "merged into #%lld", into);
	if (store_ticket_set_state(s, from, "closed", at, by, detail, err) < 0)
		return -1;
	snprintf(detail, sizeof(detail), "#%lld merged into this ticket",
		 from);
	return store_history_add(s, into, at, by, "merge", detail, err);
}

int
store_callbacks_pending(struct store *s,
			int (*fn)(void *ctx, long long ticket,
				  long long created),
			void *ctx, struct mp_err *err)
{
	/* The identity callbacks, and the alert callbacks (alert.h) of
	 * alert tickets still open that no one but mailproc has touched
	 * since. */
	sqlite3_stmt *st = prep(s, err, "SELECT ticket, created FROM ("
				"SELECT ticket, created, id AS ord FROM "
				"identity WHERE channel = 'phone' AND state = "
				"'pending' UNION ALL SELECT t.id, h.at, h.id "
				"FROM tickets t JOIN history h ON h.ticket = "
				"t.id AND h.event = 'callback' AND h.actor = "
				"'mailproc' WHERE t.class = 'alert' AND "
				"t.state != 'closed' AND NOT EXISTS (SELECT 1 "
				"FROM history o WHERE o.ticket = t.id AND "
				"o.actor != 'mailproc' AND o.id > h.id)) "
				"ORDER BY created, ord", "");
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		out = fn(ctx, sqlite3_column_int64(st, 0),
			 sqlite3_column_int64(st, 1));
	done(s, st);
	if (out != 0)
		return out;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "callbacks");
	return 0;
}

int
store_ticket_closed_at(struct store *s, long long ticket, long long *at_r,
		       struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT max(at) FROM history WHERE "
				"ticket = ?1 AND event = 'state' AND (detail = "
				"'closed' OR detail LIKE 'closed:%')", "i",
				ticket);

	return first_row_int(s, st, "closed at", at_r, err) < 0 ? -1 : 0;
}
