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

/* Marks the work of an open ticket done and queues the completion notice
 * (作業完了通知) to the contract's monitoring-notification address.
 * MP_PERM when the ticket is not open. */
int staffops_complete(struct compose *c, const struct rules *rules,
		      long long ticket, const char *by, struct mp_err *err);

/* Closes a ticket (any state but closed).  MP_PERM if already closed. */
int staffops_close(struct compose *c, long long ticket, const char *by,
		   struct mp_err *err);

/* Sets the ticket's class to a catalogue id of rules.  MP_PERM for an
 * unknown id.  A new class does not release a held ticket. */
int staffops_category(struct compose *c, const struct rules *rules,
		      long long ticket, const char *class, const char *by,
		      struct mp_err *err);

#endif
