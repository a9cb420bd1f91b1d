/*
 * Processing one spooled message: parse, thread, and write the ticket
 * change in one transaction, then move the file to cur/.  Owns the order of
 * those steps and the per-message log line; the steps themselves belong to
 * msg.c, ticket.c and store.c.
 */
#ifndef MP_INGEST_H
#define MP_INGEST_H

#include "conf.h"
#include "err.h"

struct ingest;

/* A processing context; the database is opened on first use. */
int ingest_new(struct ingest **in_r, const struct conf *conf,
	       struct mp_err *err);
void ingest_free(struct ingest **in);

/* Loads the rules and the model and opens the database now rather than
 * on first use, so that a resident server (lmtp) learns at start or on a
 * reload whether they are usable.  -1 with err when one is not. */
int ingest_prepare(struct ingest *in, struct mp_err *err);

/* Processes new/name (which the caller holds locked).  Returns 0 when the
 * message is recorded (or was already) and moved to cur/; -1 with err:
 * MP_TEMP means leave it in new/ for `run`, MP_PERM means it can never be
 * processed (the caller moves it to failed/). */
int ingest_spooled(struct ingest *in, const char *name, struct mp_err *err);

/* A batch of ingest_spooled() calls in one SQLite transaction: within
 * it a filed message stays in new/ (the caller moves it with spool_done()
 * once ingest_batch_commit() returned 0); if the commit fails, every
 * message of the batch is still in new/ for `run`. */
int ingest_batch_begin(struct ingest *in, struct mp_err *err);
int ingest_batch_commit(struct ingest *in, struct mp_err *err);

/* Handles the outcome of a failed ingest_spooled(): logs it, and for a
 * permanent failure, or the max_spool_attempts-th temporary one (database
 * faults not counted), moves the file to failed/ with the reason and
 * queues one staff notice. */
void ingest_failed(struct ingest *in, const char *name,
		   const struct mp_err *err);

#endif
