/*
 * The runner's sending pass: releases held mail whose time has come and
 * submits due outbox rows through outbox.c, with retry and backoff, and
 * gives up after max_retry_age with a notice to staff.  Owns the outbox
 * state machine (queued -> sending -> sent | queued | failed).
 */
#ifndef MP_SENDER_H
#define MP_SENDER_H

#include <signal.h>
#include <time.h>

#include "conf.h"
#include "hours.h"
#include "outbox.h"
#include "store.h"

struct sender_stats {
	int sent, retried, failed, released;
};

/* One pass at time now.  A relay that is down stops the pass early (the
 * rest waits for the next one), and so does *stop becoming non-zero (a
 * signal), between two mails.  Each mail is claimed before it is sent,
 * so two runners never send the same one; a row left 'sending' is
 * requeued after a lease unless the journal says it was sent.  Returns
 * 0, or -1 with err for database trouble. */
int sender_pass(const struct conf *conf, struct store *store,
		const struct hours *hours, struct outbox *ob, time_t now,
		volatile const sig_atomic_t *stop, struct sender_stats *stats,
		struct mp_err *err);

/* For a runner starting up (holding the runner lock): the mails the
 * journal says were sent become 'sent', every other 'sending' row goes
 * back in the queue.  0 or -1. */
int sender_recover(const struct conf *conf, struct store *store, time_t now,
		   struct mp_err *err);

/* Seconds to wait before attempt number `attempts` (1, 2, ...): one
 * minute doubling up to an hour. */
long sender_backoff(long long attempts);

#endif
