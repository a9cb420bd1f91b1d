/*
 * The numbers `stats` reports, read from the database in one read
 * transaction (a consistent snapshot while mail flows).  Owns only the
 * queries; the spool's counts are spool.c's, the output cmd_stats.c's.
 */
#ifndef MP_STORE_STATS_H
#define MP_STORE_STATS_H

#include <stddef.h>

#include "err.h"
#include "store.h"

struct store_stats_row {
	char *state;		/* ticket or outbox state */
	char *class;		/* ticket class; NULL for outbox rows */
	long long count;
};

struct store_stats {
	struct store_stats_row *tickets;	/* by state and class */
	size_t n_tickets;
	struct store_stats_row *outbox;		/* by state */
	size_t n_outbox;
	long long triage, held, overdue;
	long long triage_oldest, held_oldest;	/* created; 0: none */
	long long backlog;			/* queued, held, sending */
	long long backlog_oldest;		/* created; 0: none */
	char *last_error;			/* newest, or NULL */
	long long last_error_at;		/* its last attempt */
	long long last_error_outbox;		/* its outbox id */
};

/* Fills st at time now (overdue: the same rule as `ticket list
 * --overdue`).  0, or -1 with err; release with store_stats_release()
 * either way. */
int store_stats_get(struct store *s, long long now, struct store_stats *st,
		    struct mp_err *err);

void store_stats_release(struct store_stats *st);

#endif
