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

#include <glib.h>

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

/* Whether the envelope sender stands for the null return path (RFC 5321
 * §4.5.5): "" or "<>", and MAILER-DAEMON (any case), which is what the
 * Postfix pipe passes as ${sender} for a null sender; a postmaster or
 * MAILER-DAEMON envelope with a domain is a bounce all the same. */
static int
null_sender(const char *env_sender)
{
	static const char *const locals[] = { "mailer-daemon", "postmaster" };
	const char *at;
	size_t n, i;

	if (env_sender == NULL)
		return 0;
	if (*env_sender == '\0' || strcmp(env_sender, "<>") == 0)
		return 1;
	at = strchr(env_sender, '@');
	n = at ? (size_t)(at - env_sender) : strlen(env_sender);
	for (i = 0; i < sizeof(locals) / sizeof(*locals); i++)
		if (strlen(locals[i]) == n &&
		    strncasecmp(env_sender, locals[i], n) == 0)
			return 1;
	return 0;
}

/* The marks of machine-made mail in the envelope and headers. */
static const char *
machine_marks(const struct msg *m, const char *env_sender)
{
	if (null_sender(env_sender))
		return "null-sender";
	if (m->auto_submitted != NULL && !first_word_is(m->auto_submitted,
							"no"))
		return "auto-submitted";
	/* Not RFC 3834, but what vacation programs and some clients set
	 * instead; "X-Autoreply: no" does not occur in practice. */
	if (m->x_autoreply != NULL && !first_word_is(m->x_autoreply, "no"))
		return "x-autoreply";
	if (m->is_report)
		return "report";
	if (m->precedence != NULL &&
	    (first_word_is(m->precedence, "bulk") ||
	     first_word_is(m->precedence, "list") ||
	     first_word_is(m->precedence, "junk")))
		return "precedence";
	if (m->list_id != NULL)
		return "list-id";
	return NULL;
}

/* Subjects that out-of-office programs write (after NFKC, any case).
 * Checked where a machine's mail must not pass for a person's (a
 * confirmation), not for acknowledgements: a customer may well write
 * about an absence. */
static int
out_of_office_subject(const char *subject)
{
	static const char *const marks[] = {
		"out of office", "out of the office", "automatic reply",
		"auto reply", "auto-reply", "autoreply", "auto response",
		"autoresponse", "vacation reply", "自動応答", "自動返信",
		"自動返答", "自動送信", "不在通知", "不在のお知らせ",
		"不在のご連絡", "不在連絡", "不在中", "休暇中",
	};
	gchar *norm, *low;
	const char *p;
	size_t i;
	int hit = 0;

	if (subject == NULL || *subject == '\0')
		return 0;
	norm = g_utf8_normalize(subject, -1, G_NORMALIZE_NFKC);
	low = g_ascii_strdown(norm != NULL ? norm : subject, -1);
	g_free(norm);
	for (p = low; *p == ' ' || *p == '\t'; p++)
		;
	hit = strncmp(p, "auto:", 5) == 0 || strncmp(p, "自動:", 7) == 0;
	for (i = 0; !hit && i < sizeof(marks) / sizeof(*marks); i++)
		hit = strstr(low, marks[i]) != NULL;
	g_free(low);
	return hit;
}

const char *
autoreply_automatic(const struct msg *m, const char *env_sender)
{
	const char *why = machine_marks(m, env_sender), *from;

	if (why != NULL)
		return why;
	from = msg_from_address(m);
	if (from != NULL && is_daemon(from))
		return "mailer-daemon";
	if (out_of_office_subject(m->subject))
		return "out-of-office";
	return NULL;
}

const char *
autoreply_refusal(const struct conf *conf, const struct msg *m,
		  const char *env_sender, const char *reply_to)
{
	const char *why = machine_marks(m, env_sender);

	if (why != NULL)
		return why;
	if (reply_to == NULL || *reply_to == '\0')
		return "no-address";
	/* Only the address we would answer is judged here: the envelope
	 * sender of form mail is the gateway's, often a no-reply address. */
	if (conf_is_ours(conf, reply_to))
		return "own-address";
	/* The monitoring centre's ticket system answers from a new address
	 * for each mail: the hourly limit per address never stops a loop
	 * with it, and the centre has no use for our acknowledgements. */
	if (conf_is_centre_domain(conf, reply_to))
		return "monitoring-centre";
	if (is_daemon(reply_to))
		return "mailer-daemon";
	return NULL;
}
