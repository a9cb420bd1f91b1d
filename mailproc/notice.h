/*
 * Notices to contract holders (SPEC §15; the policy's メンテナンス工事):
 * advance maintenance, emergency maintenance and completion/restoration.
 * Owns who receives a notice (one address per holder: holder_email, else
 * the monitoring-notification address), the values its templates get
 * (the window in the desk's time zone, the services, the servers) and
 * queueing one individual mail per recipient.  Rows are store.c's,
 * rendering and queueing compose.c's; the command line is cmd_notice.c's.
 */
#ifndef MP_NOTICE_H
#define MP_NOTICE_H

#include <stddef.h>

#include "compose.h"
#include "store.h"

/* Which contracts a notice is for. */
enum notice_scope { NOTICE_ALL, NOTICE_CONTRACTS, NOTICE_SERVERS };

struct notice_request {
	const char *kind;		/* maintenance, emergency, restored */
	enum notice_scope scope;
	const char *const *names;	/* contract ids or server names */
	size_t n_names;
	const char *const *vars;	/* "key=value": start end services
					 * details */
	size_t n_vars;
};

/* The template of a kind ("notice-maintenance"), or NULL. */
const char *notice_template(const char *kind);

/* Records a notice and its recipients (and the ticket its replies thread
 * to) inside the caller's transaction.  Refuses (MP_PERM, a one-line
 * reason) an unknown kind, contract or server, a missing or bad value,
 * a maintenance notice whose window has begun (advance notice: an
 * emergency notice may go after the fact), and a notice nobody can
 * receive.  Contracts with no holder or monitoring address are left out
 * and named in *skipped_r (a new string, space separated, "" when none;
 * caller frees).  *id_r gets the notice id. */
int notice_create(struct compose *c, const struct notice_request *rq,
		  long long *id_r, char **skipped_r, struct mp_err *err);

/* Renders what recipient r of notice n gets (release out with
 * tmpl_out_release()). */
int notice_render(struct compose *c, const struct store_notice *n,
		  const struct store_notice_rcpt *r, struct tmpl_out *out,
		  struct mp_err *err);

/* Queues one mail per recipient of notice id, inside the caller's
 * transaction, and marks it sent; *queued_r says how many.  Returns 1,
 * 0 (no such notice) or -1 (MP_PERM: already sent). */
int notice_send(struct compose *c, long long id, size_t *queued_r,
		struct mp_err *err);

#endif
