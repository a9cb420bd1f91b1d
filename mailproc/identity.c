/*
 * identity.c: confirmation tokens.
 *
 * A token is 160 random bits from getrandom(2), shown once in the mail to
 * the registered address and stored only as its SHA-256, so a copy of the
 * database confirms nothing.  The address carries the ticket id too, so a
 * token is only ever tried against the ticket it was made for.  Tokens are
 * compared exactly: a token whose case or spacing was changed is not the
 * token that was sent.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <glib.h>

#include "identity.h"

int
identity_token_new(char *token, struct mp_err *err)
{
	unsigned char r[IDENTITY_TOKEN_BYTES];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return mp_err_set(err, MP_TEMP, "no random bytes: %s",
				  strerror(errno));
	for (i = 0; i < sizeof(r); i++)
		snprintf(token + 2 * i, 3, "%02x", r[i]);
	return 0;
}

void
identity_token_hash(const char *token, char *hash)
{
	gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token,
						   -1);

	snprintf(hash, IDENTITY_HASH_LEN + 1, "%s", hex ? hex : "");
	g_free(hex);
}

const char *
identity_address(char *buf, size_t size, const char *support,
		 enum identity_kind kind, long long ticket, const char *token)
{
	const char *at = strrchr(support, '@');
	int local = at ? (int)(at - support) : (int)strlen(support);

	snprintf(buf, size, "%.*s+%s-%lld-%s%s", local, support,
		 kind == IDENTITY_DENY ? "deny" : "confirm", ticket, token,
		 at ? at : "");
	return buf;
}

enum identity_kind
identity_parse_address(const char *addr, const char *support,
		       long long *ticket_r, char *token)
{
	const char *at, *sat, *p, *dash;
	enum identity_kind kind;
	size_t slocal, n;
	char *end;

	*ticket_r = 0;
	token[0] = '\0';
	if (addr == NULL || support == NULL)
		return IDENTITY_NONE;
	at = strrchr(addr, '@');
	sat = strrchr(support, '@');
	if (at == NULL || sat == NULL || strcasecmp(at, sat) != 0)
		return IDENTITY_NONE;
	slocal = (size_t)(sat - support);
	if ((size_t)(at - addr) <= slocal || addr[slocal] != '+' ||
	    strncasecmp(addr, support, slocal) != 0)
		return IDENTITY_NONE;
	p = addr + slocal + 1;
	if (strncasecmp(p, "confirm-", 8) == 0) {
		kind = IDENTITY_CONFIRM;
		p += 8;
	} else if (strncasecmp(p, "deny-", 5) == 0) {
		kind = IDENTITY_DENY;
		p += 5;
	} else {
		return IDENTITY_NONE;
	}
	if (!isdigit((unsigned char)*p))
		return kind;
	*ticket_r = strtoll(p, &end, 10);
	if (*end != '-') {
		*ticket_r = 0;
		return kind;
	}
	dash = end + 1;
	n = (size_t)(at - dash);
	if (n != IDENTITY_TOKEN_LEN)
		return kind;	/* wrong length: refused as malformed */
	memcpy(token, dash, n);
	token[n] = '\0';
	return kind;
}
