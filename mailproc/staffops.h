/*
 * What staff do to a ticket, whether from the command line or by a
 * #command in a mail: complete (with the completion notice), close,
 * change the category, and the identity verdicts (through confirm.c).
 * Owns the allowed state changes for these; each is recorded with who.
 */
#ifndef MP_STAFFOPS_H
#define MP_STAFFOPS_H

#include "compose.h"
#include "rules.h"

/* Marks the confirmed (open) tasks of a ticket done, only the task only
 * when not NULL, each with its own completion notice (作業完了通知) to
 * the contract's monitoring-notification address; the ticket is done
 * when no task is left open or held.  MP_PERM when there is no confirmed
 * task to complete: work never confirmed cannot be completed. */
int staffops_complete(struct compose *c, const struct rules *rules,
		      long long ticket, const char *only, const char *by,
		      struct mp_err *err);

/* Closes a ticket (any state but closed), recording who closed it.
 * MP_PERM if already closed. */
int staffops_close(struct compose *c, long long ticket, const char *by,
		   struct mp_err *err);

/* Sets the ticket's class to a catalogue id of rules (staff's decision,
 * kept as a training example) and runs the triage of a new request of
 * that class: the old class's pending confirmations and unfinished
 * tasks are dropped, a task is held for its own confirmation (or
 * refused when the contract lacks it), a fault report is routed.  A
 * class change never opens work by itself.  MP_PERM for an unknown id. */
int staffops_category(struct compose *c, const struct rules *rules,
		      long long ticket, const char *class, const char *by,
		      struct mp_err *err);

/* Makes owner (one of staff_addresses; MP_PERM otherwise) the owner of
 * ticket: #take, #assign, `take`, `assign`. */
int staffops_assign(struct compose *c, long long ticket, const char *owner,
		    const char *by, struct mp_err *err);

/* Merges tickets a and b, whichever order: the newer joins the older
 * with its messages and history and is closed as merged; *into_r (may
 * be NULL) gets the older's id.  MP_PERM for the same ticket, an unknown
 * or already merged one, two customers' tickets (not one requester or
 * one contract), or a newer ticket with work held for its identity
 * confirmation or confirmed and not done (its token and tasks belong to
 * it: they are finished there first). */
int staffops_merge(struct compose *c, long long a, long long b,
		   const char *by, long long *into_r, struct mp_err *err);

#endif
