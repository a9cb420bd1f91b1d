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

#include <glib.h>

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

/* The tag is matched on the NFKC form of the subject, so what a Japanese
 * IME types is still the tag: ［SUPPORT＃１］ is [SUPPORT#1]; blanks
 * after '#' and inside the brackets are allowed ([SUPPORT# 1]). */
long long
ticket_id_from_subject(const char *subject, const char *tag)
{
	size_t n = strlen(tag);
	char *norm;
	const char *p;
	long long found = 0;

	if (subject == NULL || n == 0)
		return 0;
	norm = g_utf8_validate(subject, -1, NULL) ?
		g_utf8_normalize(subject, -1, G_NORMALIZE_NFKC) : NULL;
	p = norm != NULL ? norm : subject;
	while (found == 0 && (p = strchr(p, '[')) != NULL) {
		const char *q = ++p;

		while (*q == ' ')
			q++;
		if (strncasecmp(q, tag, n) != 0)
			continue;
		q += n;
		while (*q == ' ')
			q++;
		if (*q++ != '#')
			continue;
		while (*q == ' ')
			q++;
		if (isdigit((unsigned char)*q)) {
			char *end;
			long long id = strtoll(q, &end, 10);

			while (*end == ' ')
				end++;
			if (*end == ']' && id > 0)
				found = id;
		}
	}
	g_free(norm);
	return found;
}

const char *
ticket_tag(char *buf, size_t size, const char *tag, long long id)
{
	snprintf(buf, size, "[%s#%lld]", tag, id);
	return buf;
}

/* Length of a reply or forward prefix at p ("Re:", "RE[2]:", "Fwd:",
 * "返信："...), or 0. */
static size_t
reply_prefix(const char *p)
{
	static const char *const words[] = {
		"re", "fwd", "fw", "aw", "wg", "sv", "vs", "tr", "rif",
		"\xe8\xbf\x94\xe4\xbf\xa1",	/* 返信 */
		"\xe8\xbb\xa2\xe9\x80\x81",	/* 転送 */
		"\xef\xbc\xb2\xef\xbd\x85",	/* Ｒｅ */
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(*words); i++) {
		size_t n = strlen(words[i]);
		const char *q = p + n;

		if (strncasecmp(p, words[i], n) != 0)
			continue;
		if (*q == '[' || *q == '(') {	/* "Re[2]:" */
			const char *e = q + 1;
			while (isdigit((unsigned char)*e))
				e++;
			if (e > q + 1 && (*e == ']' || *e == ')'))
				q = e + 1;
		}
		while (*q == ' ')
			q++;
		if (*q == ':')
			return (size_t)(q + 1 - p);
		if (strncmp(q, "\xef\xbc\x9a", 3) == 0)	/* ： */
			return (size_t)(q + 3 - p);
	}
	return 0;
}

/* Length of a "[<tag>#<digits>]" at p, or 0. */
static size_t
tag_at(const char *p, const char *tag)
{
	size_t n = strlen(tag);
	const char *e;

	if (*p != '[' || n == 0 || strncasecmp(p + 1, tag, n) != 0 ||
	    p[n + 1] != '#' || !isdigit((unsigned char)p[n + 2]))
		return 0;
	for (e = p + n + 2; isdigit((unsigned char)*e); e++)
		;
	return *e == ']' ? (size_t)(e + 1 - p) : 0;
}

const char *
ticket_subject_bare(char *buf, size_t size, const char *tag,
		    const char *subject)
{
	const char *p = subject ? subject : "";
	size_t n = 0, k;

	if (size == 0)
		return buf;
	/* Leading prefixes and tags, in any order. */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((k = reply_prefix(p)) > 0 || (k = tag_at(p, tag)) > 0)
			p += k;
		else
			break;
	}
	/* Tags further on, and the blanks they leave. */
	while (*p != '\0' && n + 1 < size) {
		if ((k = tag_at(p, tag)) > 0) {
			p += k;
			while (*p == ' ')
				p++;
			continue;
		}
		buf[n++] = *p++;
	}
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return buf;
}

const char *
ticket_reply_subject(char *buf, size_t size, const char *tag, long long id,
		     const char *subject)
{
	char rest[1024];

	ticket_subject_bare(rest, sizeof(rest), tag, subject);
	snprintf(buf, size, "Re: [%s#%lld]%s%s", tag, id, *rest ? " " : "",
		 rest);
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
