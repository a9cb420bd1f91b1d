/*
 * The staff's queue, told by mail: the one escalation of a first
 * response gone overdue, and the digest at each opening.  Owns what each
 * says and when it is due; the rows are store.c's, the mail compose.c's,
 * the business clock hours.c's.  Both run inside the caller's
 * transaction, so that what is recorded as sent and the mail queued to
 * say it commit together.
 */
#ifndef MP_QUEUE_H
#define MP_QUEUE_H

#include "compose.h"

/* While the desk is open at c->now, escalates each ticket whose first
 * response is overdue and was never escalated: one staff-escalation mail
 * to staff and escalation_address, recorded on the ticket.  While the
 * desk is closed nothing is escalated (a due time passed on Friday
 * evening is escalated at Monday's opening).  *n_r (may be NULL) gets
 * how many tickets were escalated.  Returns 0 or -1. */
int queue_escalate(struct compose *c, int *n_r, struct mp_err *err);

/* The digest of the opening under way at c->now, once (staff_digest
 * "no": never): when the desk is
 * open and no digest of this opening is recorded, records it and, if
 * there is anything to say, queues a staff-digest mail to staff.  *sent_r
 * (may be NULL) is 1 when a mail was queued.  Returns 0 or -1. */
int queue_digest_due(struct compose *c, int *sent_r, struct mp_err *err);

/* The digest now, whatever the hours (`mailproc digest`), to staff when
 * there is anything to say; not counted as an opening's digest.  With
 * print, the text goes to stdout instead and nothing is queued. */
int queue_digest_now(struct compose *c, int print, int *sent_r,
		     struct mp_err *err);

#endif
