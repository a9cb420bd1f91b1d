/*
 * autoreply.c: when not to answer automatically.
 *
 * RFC 3834 §2: no automatic response to mail with a null return path,
 * to mail marked Auto-Submitted (anything but "no"), or to mailing lists
 * (List-Id, Precedence bulk/list/junk, a long-standing convention).  We
 * also never answer ourselves or MAILER-DAEMON-style senders, which is how
 * two auto-responders end up writing to each other forever.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "autoreply.h"

/* The first word of a header value, lower case, compared to want. */
static int
first_word_is(const char *value, const char *want)
{
	size_t n = strlen(want);

	while (*value == ' ' || *value == '\t')
		value++;
	return strncasecmp(value, want, n) == 0 &&
	       (value[n] == '\0' || value[n] == ';' ||
		isspace((unsigned char)value[n]) || value[n] == '(');
}

static int
is_daemon(const char *addr)
{
	static const char *const locals[] = {
		"mailer-daemon", "postmaster", "noreply", "no-reply",
		"do-not-reply", "donotreply", "bounce", "bounces",
	};
	const char *at = strchr(addr, '@');
	size_t n = at ? (size_t)(at - addr) : strlen(addr), i;

	for (i = 0; i < sizeof(locals) / sizeof(*locals); i++)
		if (strlen(locals[i]) == n &&
		    strncasecmp(addr, locals[i], n) == 0)
			return 1;
	return strncasecmp(addr, "owner-", 6) == 0 ||
	       (n > 8 && strncasecmp(addr + n - 8, "-request", 8) == 0);
}

const char *
autoreply_refusal(const struct conf *conf, const struct msg *m,
		  const char *env_sender, const char *reply_to)
{
	if (env_sender != NULL && (*env_sender == '\0' ||
				   strcmp(env_sender, "<>") == 0))
		return "null-sender";
	if (m->auto_submitted != NULL && !first_word_is(m->auto_submitted,
							"no"))
		return "auto-submitted";
	if (m->precedence != NULL &&
	    (first_word_is(m->precedence, "bulk") ||
	     first_word_is(m->precedence, "list") ||
	     first_word_is(m->precedence, "junk")))
		return "precedence";
	if (m->list_id != NULL)
		return "list-id";
	if (reply_to == NULL || *reply_to == '\0')
		return "no-address";
	/* Only the address we would answer is judged here: the envelope
	 * sender of form mail is the gateway's, often a no-reply address. */
	if (conf_is_ours(conf, reply_to))
		return "own-address";
	if (is_daemon(reply_to))
		return "mailer-daemon";
	return NULL;
}
