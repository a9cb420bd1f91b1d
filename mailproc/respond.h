/*
 * What mailproc answers, and to whom, when a message has been filed: the
 * support policy's "who is told what".  Owns the triage of a new request
 * (fault report, out of scope, general, or catalogued work that needs a
 * registered contract, the right option and identity confirmation) and
 * the notices to staff.  Rendering, building and queueing are
 * compose.c's, the confirmation flow confirm.c's, loop protection
 * autoreply.c's.
 */
#ifndef MP_RESPOND_H
#define MP_RESPOND_H

#include "compose.h"
#include "msg.h"
#include "rules.h"
#include "servers.h"
#include "store.h"

struct respond_event {
	const struct msg *m;
	const char *env_sender;
	const struct rules *rules;
	const struct store_ticket *ticket;	/* as filed */
	const struct store_contract *contract;	/* requester's, or NULL */
	const struct rules_result *classified;	/* a new ticket's, or NULL */
	const struct servers_mismatch *mismatch; /* servers the request
						  * names of another contract */
	size_t n_mismatch;
	int is_new;		/* a new ticket, or a follow-up */
	int from_staff;		/* trusted staff */
	int quiet;		/* file it, mail nobody (a staff mailbox's echo) */
	/* No notice to staff: a spoofing notice stands for it, or a rate
	 * limit held that one back (ingest.c record_spoofing()). */
	int quiet_staff;
};

/* Queues every mail the event causes and moves a new ticket to the
 * state its triage gives, in the caller's transaction. */
int respond_filed(struct compose *c, const struct respond_event *ev,
		  struct mp_err *err);

/* Runs, for ticket's class as staff just set it, what a new request of
 * that class gets (the subscription check, the identity hold on its
 * channel, the fault routing, the out-of-scope answer), threaded to the
 * customer's first mail; a plain acknowledgement is not sent again.
 * The caller has dropped what the old class had asked.  Returns 0 or -1
 * (MP_PERM: no such ticket). */
int respond_reclassified(struct compose *c, const struct rules *rules,
			 long long ticket, struct mp_err *err);

#endif
