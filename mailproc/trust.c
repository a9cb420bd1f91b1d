/*
 * trust.c: telling staff from people who only write a staff From.
 *
 * RFC 8601 §5: a receiver should only believe Authentication-Results
 * headers that its own border MTA added (and that MTA should strip
 * look-alikes arriving from outside).  So only the configured
 * authserv-id counts; with none configured, only the SASL login does.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "trust.h"

/* Skips whitespace and RFC 5322 comments. */
static const char *
skip_cfws(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '(')
			return p;
		{
			int depth = 0;
			for (; *p; p++) {
				if (*p == '\\' && p[1]) {
					p++;
					continue;
				}
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
		}
	}
}

/* Whether the token at p (up to len) equals word, ignoring case. */
static int
token_is(const char *p, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(p, word, len) == 0;
}

static int
domain_matches(const char *v, size_t len, const char *domain)
{
	size_t dl = strlen(domain);
	const char *at = memchr(v, '@', len);

	if (at != NULL) {	/* header.i=user@domain or @domain */
		len -= (size_t)(at + 1 - v);
		v = at + 1;
	}
	/* Exactly: a form gateway or any other host that signs as a
	 * subdomain must not speak for the staff domain. */
	return len == dl && strncasecmp(v, domain, dl) == 0;
}

int
trust_ar_dkim_pass(const char *value, const char *authserv_id,
		   const char *domain)
{
	const char *p = skip_cfws(value), *semi;
	size_t n;

	if (authserv_id == NULL || *authserv_id == '\0' || domain == NULL)
		return 0;
	n = strcspn(p, " \t;(");
	if (!token_is(p, n, authserv_id))
		return 0;
	/* Each resinfo is "; method=result ptype.prop=value ...". */
	for (semi = strchr(p, ';'); semi != NULL; semi = strchr(semi + 1,
								  ';')) {
		const char *q = skip_cfws(semi + 1), *end;
		int pass = 0, dom = 0;

		end = strchr(q, ';');
		if (end == NULL)
			end = q + strlen(q);
		if (strncasecmp(q, "dkim", 4) != 0)
			continue;
		q = skip_cfws(q + 4);
		if (*q != '=')
			continue;
		q = skip_cfws(q + 1);
		pass = strncasecmp(q, "pass", 4) == 0 &&
		       !isalnum((unsigned char)q[4]);
		while (q < end) {
			q = skip_cfws(q);
			if (q >= end)
				break;
			n = strcspn(q, " \t;(");
			if ((size_t)(end - q) < n)
				n = (size_t)(end - q);
			if (n > 9 && (strncasecmp(q, "header.d=", 9) == 0 ||
				      strncasecmp(q, "header.i=", 9) == 0) &&
			    domain_matches(q + 9, n - 9, domain))
				dom = 1;
			q += n ? n : 1;
		}
		if (pass && dom)
			return 1;
	}
	return 0;
}

/* Copies a login for the history and the log: printable ASCII only,
 * truncated. */
static void
safe_login(char *buf, size_t size, const char *login)
{
	size_t i, n = 0;

	for (i = 0; login[i] != '\0' && n + 1 < size && n < 64; i++)
		buf[n++] = isprint((unsigned char)login[i]) ? login[i] : '?';
	buf[n] = '\0';
}

enum trust_verdict
trust_judge(const struct conf *conf, const struct msg *m, const char *from,
	    const char *sasl_user, int form_mail, char *why, size_t whysize)
{
	const char *at, *sender;
	char login[80];
	size_t i;

	*why = '\0';
	if (from == NULL || !conf_is_staff(conf, from))
		return TRUST_NOT_STAFF;
	if (form_mail) {
		snprintf(why, whysize, "web form mail never carries staff "
			 "trust");
		return TRUST_SPOOFED;
	}
	if (m->n_from_headers > 1 || m->from.n > 1) {
		snprintf(why, whysize, "more than one From");
		return TRUST_SPOOFED;
	}
	if (sasl_user != NULL && *sasl_user != '\0') {
		safe_login(login, sizeof(login), sasl_user);
		if (conf_login_proves(conf, sasl_user, from)) {
			snprintf(why, whysize, "SASL login %s", login);
			return TRUST_STAFF;
		}
		/* Another login is someone else's mailbox on our Postfix:
		 * no DKIM result can make up for it. */
		snprintf(why, whysize, "SASL login %s is not a login of %s",
			 login, from);
		return TRUST_SPOOFED;
	}
	at = strrchr(from, '@');
	for (i = 0; at != NULL && i < m->n_auth_results; i++) {
		if (!trust_ar_dkim_pass(m->auth_results[i],
					conf->trusted_authserv_id, at + 1))
			continue;
		/* RFC 5322 §3.6.2: Sender names who sent it.  A signed mail
		 * sent by someone else is not the staff member's. */
		sender = m->sender.n > 0 ? m->sender.v[0].address : NULL;
		if (m->n_sender_headers > 1 || m->sender.n > 1 ||
		    (m->n_sender_headers == 1 &&
		     (sender == NULL || strcasecmp(sender, from) != 0))) {
			snprintf(why, whysize, "DKIM %s but the Sender is "
				 "not %s", at + 1, from);
			return TRUST_SPOOFED;
		}
		snprintf(why, whysize, "DKIM %s", at + 1);
		return TRUST_STAFF;
	}
	snprintf(why, whysize, "no SASL login or trusted DKIM");
	return TRUST_SPOOFED;
}
