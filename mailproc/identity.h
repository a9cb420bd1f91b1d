/*
 * Identity confirmation tokens and their addresses.  Owns token
 * generation (the kernel's random source), the stored form (a SHA-256
 * hash, never the token) and the confirm/deny addresses
 * support+confirm-<ticket>-<token>@domain, and reading whether the text
 * of a mail to them says no.  Pure: no database, no mail; the
 * confirmation flow is confirm.c's.
 */
#ifndef MP_IDENTITY_H
#define MP_IDENTITY_H

#include <stddef.h>

#include "err.h"

#define IDENTITY_TOKEN_BYTES 20		/* 160 bits */
#define IDENTITY_TOKEN_LEN (IDENTITY_TOKEN_BYTES * 2)
#define IDENTITY_HASH_LEN 64

enum identity_kind {
	IDENTITY_NONE = 0,	/* not a token address */
	IDENTITY_CONFIRM,
	IDENTITY_DENY,
};

/* Writes a new token (lowercase hex, IDENTITY_TOKEN_LEN chars) into
 * token, which must hold IDENTITY_TOKEN_LEN + 1 bytes.  Returns 0, or -1
 * with err (MP_TEMP) when the kernel gives no random bytes. */
int identity_token_new(char *token, struct mp_err *err);

/* Writes the hex SHA-256 of token into hash (IDENTITY_HASH_LEN + 1). */
void identity_token_hash(const char *token, char *hash);

/* Writes support+<kind>-<ticket>-<token>@domain into buf. */
const char *identity_address(char *buf, size_t size, const char *support,
			     enum identity_kind kind, long long ticket,
			     const char *token);

/* Parses a recipient address.  Returns IDENTITY_NONE when it is not a
 * confirm/deny address of support; otherwise the kind, with *ticket_r and
 * token (IDENTITY_TOKEN_LEN + 1 bytes) filled from the address exactly
 * as written (0 and "" when malformed: the caller refuses those). */
enum identity_kind identity_parse_address(const char *addr,
					  const char *support,
					  long long *ticket_r, char *token);

/* Whether text (what the writer wrote now, quotes already removed; any
 * normalisation) says no in Japanese or English: the request was not
 * made, or the work must not be done (「依頼はしていません」, 「作業しない
 * でください」, "I did not request this", "No."...).  Errs towards yes:
 * a text that says no anywhere declines, whatever else it says. */
int identity_reply_declines(const char *text);

#endif
