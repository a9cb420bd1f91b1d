/*
 * Staff answering from their mail client.  Owns the #commands at the top
 * of a staff reply (#verified, #denied, #done, #comment, #close,
 * #category <id>, #send-now, #take, #assign <staff>, #merge <id>) and
 * the relay of the rest, cut of any quote
 * of our own notices to staff, to the customer:
 * from the support address, threaded, tagged, attachments kept, held to
 * business hours unless the ticket is a fault report or #send-now says
 * otherwise.  Whether a mail is staff at all is trust.c's.
 */
#ifndef MP_STAFFMAIL_H
#define MP_STAFFMAIL_H

#include <stddef.h>

#include "compose.h"
#include "msg.h"
#include "rules.h"

enum staffmail_verb {
	STAFF_VERIFIED, STAFF_DENIED, STAFF_DONE, STAFF_COMMENT,
	STAFF_CLOSE, STAFF_CATEGORY, STAFF_SEND_NOW, STAFF_TAKE,
	STAFF_ASSIGN, STAFF_MERGE,
};

struct staffmail_cmd {
	enum staffmail_verb verb;
	char arg[256];		/* #category id, #verified reason */
};

#define STAFFMAIL_MAX_CMDS 8

struct staffmail_cmds {
	struct staffmail_cmd v[STAFFMAIL_MAX_CMDS];
	size_t n;
	const char *rest;	/* the text after the command lines */
};

/* Reads the command lines at the top of text (blank lines before and
 * between them allowed; the first other line ends them).  Returns 0, or
 * -1 with a message in errbuf naming the bad line (unknown command, a
 * missing or extra argument, too many commands). */
int staffmail_parse(const char *text, struct staffmail_cmds *cmds,
		    char *errbuf, size_t errsize);

/* What of a staff reply's text may reach the customer: text without
 * any copy of our own notices to staff.  Cut are (1) everything from a
 * COMPOSE_NOTICE_BEGIN line, quoted or not, to its END line (or to the
 * end of text); (2) every run of ">"-quoted lines of which one is a line
 * of notices[] that the customer's own texts keep[] do not have, or holds
 * one of secrets[] (the registered phone number, holder data); (3) an
 * unquoted line that is such a notice line (a copy under a top-posted
 * answer); and the attribution ("... wrote:", "-----Original
 * Message-----", a From:/Sent: block) and blank lines just before what
 * was cut.  What staff typed themselves, unquoted, stays.  Returns a new
 * string (caller frees), or NULL when out of memory. */
char *staffmail_strip_notices(const char *text,
			      const char *const *notices, size_t n_notices,
			      const char *const *keep, size_t n_keep,
			      const char *const *secrets, size_t n_secrets);

/* Carries out a trusted staff mail m from staff on ticket: its commands,
 * then the relay of the rest.  attach_dir holds m's stored attachments.
 * A command that cannot be carried out is answered to staff and nothing
 * else of the mail takes effect (the caller's transaction is kept
 * consistent through a savepoint).  *action_r says what happened. */
int staffmail_handle(struct compose *c, const struct rules *rules,
		     long long ticket, const struct msg *m,
		     const char *staff, const char *attach_dir,
		     const char **action_r, struct mp_err *err);

#endif
