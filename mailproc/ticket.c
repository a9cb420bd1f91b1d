/*
 * ticket.c: threading decisions.
 *
 * A ticket id in a plus-address or a subject tag is easy to guess, so it
 * only joins a ticket for its requester, their contract or staff; anyone
 * else opens a new ticket linked to the old one.  The same rule is applied
 * to References: a stranger who got hold of a Message-ID must not be able
 * to add text to someone else's request either.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ticket.h"

long long
ticket_id_from_address(const char *addr, const char *support)
{
	const char *at, *sat, *plus;
	size_t slocal;
	char *end;
	long long id;

	if (addr == NULL || support == NULL)
		return 0;
	at = strrchr(addr, '@');
	sat = strrchr(support, '@');
	if (at == NULL || sat == NULL || strcasecmp(at, sat) != 0)
		return 0;
	slocal = (size_t)(sat - support);
	plus = addr + slocal;
	if (plus >= at || *plus != '+' ||
	    strncasecmp(addr, support, slocal) != 0)
		return 0;
	if (!isdigit((unsigned char)plus[1]))
		return 0;
	id = strtoll(plus + 1, &end, 10);
	return end == at && id > 0 ? id : 0;
}

long long
ticket_id_from_subject(const char *subject, const char *tag)
{
	size_t n = strlen(tag);
	const char *p = subject;

	if (subject == NULL || n == 0)
		return 0;
	while ((p = strchr(p, '[')) != NULL) {
		p++;
		if (strncasecmp(p, tag, n) == 0 && p[n] == '#' &&
		    isdigit((unsigned char)p[n + 1])) {
			char *end;
			long long id = strtoll(p + n + 1, &end, 10);
			if (*end == ']' && id > 0)
				return id;
		}
	}
	return 0;
}

const char *
ticket_tag(char *buf, size_t size, const char *tag, long long id)
{
	snprintf(buf, size, "[%s#%lld]", tag, id);
	return buf;
}

int
ticket_may_join(const char *requester, const char *ticket_contract,
		const char *sender, const char *sender_contract,
		int trusted_staff)
{
	if (trusted_staff)
		return 1;
	if (sender == NULL || *sender == '\0')
		return 0;
	if (requester != NULL && strcasecmp(requester, sender) == 0)
		return 1;
	return ticket_contract != NULL && sender_contract != NULL &&
	       strcmp(ticket_contract, sender_contract) == 0;
}

int
ticket_state_valid(const char *state)
{
	static const char *const states[] = {
		"new", "triage", "held", "open", "done", "closed",
		"rejected",
	};
	size_t i;

	for (i = 0; state != NULL && i < sizeof(states) / sizeof(*states);
	     i++)
		if (strcmp(state, states[i]) == 0)
			return 1;
	return 0;
}
