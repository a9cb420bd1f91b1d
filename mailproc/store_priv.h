/*
 * What the store's files share and nothing else sees: the connection and
 * the statement helpers.  store.c owns the connection and migrations;
 * store_class.c the classification tables.  Include only from store*.c.
 */
#ifndef MP_STORE_PRIV_H
#define MP_STORE_PRIV_H

#include <sqlite3.h>

#include "err.h"

/* Prepared statements kept for their next use, by the address of their
 * SQL text (checked against the text itself: a buffer may be reused). */
#define STMT_CACHE 128

struct stmt_slot {
	const char *key;
	sqlite3_stmt *st;
	int busy;		/* given out by prep(), not yet done() */
};

struct store {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
	int in_tx;
	int batch;		/* store_batch_begin(): transactions are savepoints */
	long busy_ms;
	int wal_pages;		/* frames in the WAL after our last commit */
	long long fts_lo, fts_hi;	/* messages not yet in message_fts */
};

/* Fills err from the connection's last error (MP_PERM for corruption
 * and constraint failures, else MP_TEMP); returns -1. */
int db_fail(struct store *s, struct mp_err *err, const char *what);

/* Prepares sql, or takes the statement kept from its last use, and binds
 * the arguments described by fmt: 's' text (NULL allowed), 'i' 64-bit
 * int, 'd' double.  NULL with err on failure.  Give it back with done(),
 * never sqlite3_finalize(). */
sqlite3_stmt *prep(struct store *s, struct mp_err *err, const char *sql,
		   const char *fmt, ...);

/* Resets a statement from prep() and keeps it for the next prep() of the
 * same text (or finalizes one that is not kept).  st may be NULL. */
void done(struct store *s, sqlite3_stmt *st);

/* Steps a statement that returns no rows and gives it back (st NULL:
 * -1, err already set). */
int run(struct store *s, sqlite3_stmt *st, struct mp_err *err,
	const char *what);

/* Steps st (giving it back with done()) and collects its first column as new strings
 * in *v_r (*n_r of them; free each and the array).  Returns 0, or -1
 * with err (st NULL: err already set; what names the query). */
int column_strings(struct store *s, sqlite3_stmt *st, const char *what,
		   char ***v_r, size_t *n_r, struct mp_err *err);

/* Steps st once (then done()) and gives the first row's n first
 * columns as new strings through the n char ** that follow (NULL for a
 * NULL column; all NULL when there is no row).  Returns 1 for a row, 0
 * for none, or -1 with err (st NULL: err already set; what names the
 * query; out of memory is said as such). */
int first_row_strings(struct store *s, sqlite3_stmt *st, const char *what,
		      struct mp_err *err, int n, ...);

/* Steps st once (then done()) and gives the first row's first column
 * in *v_r (0 when there is no row, or the column is NULL).  Returns 1
 * for a row, 0 for none, or -1 with err (st NULL: err already set). */
int first_row_int(struct store *s, sqlite3_stmt *st, const char *what,
		  long long *v_r, struct mp_err *err);

/* Column i as a new string, or NULL. */
char *col_str(sqlite3_stmt *st, int i);

/* The columns of a ticket row, in the order ticket_from_row() reads. */
#define TICKET_COLS "id, state, class, rule, confidence, contract, " \
	"requester, recipient, subject, lang, created, updated, " \
	"first_response_due, linked, first_response_at, owner, " \
	"escalated_at, merged_into"

struct store_ticket;

/* Fills t (new strings) from a row of TICKET_COLS. */
void ticket_from_row(sqlite3_stmt *st, struct store_ticket *t);

#endif
