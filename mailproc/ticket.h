/*
 * Tickets: threading rules and the subject tag.  Pure logic over strings;
 * the database lookups that threading needs are ingest.c's, so this
 * module is tested without SQLite.
 */
#ifndef MP_TICKET_H
#define MP_TICKET_H

#include <stddef.h>

/* The ticket id of a plus-address "<local>+<id>@<domain>" of our support
 * address (case-insensitive local part and domain), or 0. */
long long ticket_id_from_address(const char *addr, const char *support);

/* The ticket id of the first "[<tag>#<id>]" in subject, or 0. */
long long ticket_id_from_subject(const char *subject, const char *tag);

/* Writes "[<tag>#<id>]" into buf; returns buf. */
const char *ticket_tag(char *buf, size_t size, const char *tag, long long id);

/* subject without its leading reply and forward prefixes (Re:, Fwd:,
 * AW:, 返信:, 転送: ...) and without any "[<tag>#n]" tag, trimmed; may
 * be empty.  Writes into buf; returns buf. */
const char *ticket_subject_bare(char *buf, size_t size, const char *tag,
				const char *subject);

/* The subject of a reply to the customer on ticket id: "Re: [<tag>#<id>]
 * " and subject (the ticket's own) without its reply and forward
 * prefixes (Re:, Fwd:, AW:, 返信:, 転送: ...) and without any "[<tag>#n]"
 * tag, so that it carries exactly one.  Writes into buf; returns buf. */
const char *ticket_reply_subject(char *buf, size_t size, const char *tag,
				 long long id, const char *subject);

/* Whether a message from sender may join a ticket of requester: the
 * requester themself, someone registered to the same contract (both
 * contracts known and equal), or trusted staff. */
int ticket_may_join(const char *requester, const char *ticket_contract,
		    const char *sender, const char *sender_contract,
		    int trusted_staff);

/* Whether a state name is one of new triage held open done closed
 * rejected. */
int ticket_state_valid(const char *state);

#endif
