/*
 * The identity confirmation flow (本人性確認): holding a request, the
 * confirmation mail or the staff callback task, token replies, staff
 * verdicts, reminders and expiry.  Owns the rule that nothing moves a
 * held ticket to `open` without a recorded confirmation (or a recorded
 * staff override).  Tokens are identity.c's; mail is compose.c's.
 */
#ifndef MP_CONFIRM_H
#define MP_CONFIRM_H

#include "compose.h"
#include "identity.h"
#include "msg.h"
#include "rules.h"
#include "store.h"

/* Holds ticket t (already inserted) for the n_items tasks items, each
 * recorded as a task of the ticket, and asks the contract's registered
 * contact once per channel: one token mail to the monitoring-
 * notification address for the email-channel tasks, one callback task
 * to staff for the phone-channel ones.  Each channel's yes opens only
 * its own tasks.  The caller has checked the contacts exist.  The
 * requester is told the request waits (identity-pending) unless
 * reply_refusal, the reason no automatic reply may answer the request
 * (autoreply_refusal()), is given: then that answer is recorded as
 * suppressed, while the registered contact is still asked. */
int confirm_start(struct compose *c, const struct rules *rules,
		  const struct store_ticket *t,
		  const struct rules_item *const *items, size_t n_items,
		  const struct store_contract *k, const char *reply_refusal,
		  struct mp_err *err);

/* Handles mail m (envelope sender env_sender) to a confirm/deny address.
 * Only a valid, unused, unexpired token of that ticket while it is held
 * counts; anything else is refused and the refusal recorded (on the
 * ticket when it exists).  With a valid token: an automatic reply
 * (autoreply_automatic()) neither confirms nor declines (recorded, staff
 * told, the token stays open); to the confirm address, a text that says
 * no declines (staff told); otherwise the kind decides, and a yes from
 * an address other than the registered one is flagged in the work
 * order.  *outcome_r says what happened ("confirmed", "denied",
 * "declined-by-text", "automatic-reply" or the refusal).  Returns -1
 * only on database or mail trouble. */
int confirm_token_mail(struct compose *c, const struct rules *rules,
		       enum identity_kind kind, long long ticket,
		       const char *token, const struct msg *m,
		       const char *env_sender, const char **outcome_r,
		       struct mp_err *err);

/* Whether token is one that we issued for ticket (in any state: a used
 * or expired one still shows the mail came from its addressee).  Returns
 * 1, 0 (a wrong token, a malformed one, or no such ticket) or -1.  A mail
 * with a wrong token may not add anything to the ticket. */
int confirm_token_matches(struct store *store, long long ticket,
			  const char *token, struct mp_err *err);

/* A staff verdict (phone callback, `verify`/`deny`, #verified/#denied):
 * it settles the pending callback (the phone-channel tasks).  A ticket
 * that is not held is refused (MP_PERM).  With only a mail confirmation
 * pending, confirming is an override and needs a reason. */
int confirm_staff(struct compose *c, const struct rules *rules,
		  long long ticket, int confirmed, const char *by,
		  const char *via, const char *override_reason,
		  struct mp_err *err);

/* The runner's pass: reminders before expiry (a fresh token to the
 * monitoring address; for a phone callback, staff at each opening), the
 * escalation of a callback pending past callback_escalate_after, then
 * expiry (the request is rejected, the requester and staff told).
 * Nothing expires while the desk is closed for the day (weekend,
 * holiday, closure): it waits for the next working day. */
int confirm_due(struct compose *c, const struct rules *rules,
		struct mp_err *err);

/* The task name of ticket t's class in its language ("" if none). */
const char *confirm_task_name(const struct rules *rules,
			      const struct store_ticket *t);

#endif
