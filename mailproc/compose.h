/*
 * Queueing outgoing mail: a template rendered with the ticket's values,
 * built into a MIME message and written to the outbox, inside the
 * caller's transaction.  Owns which values every template gets, who mail
 * comes from, the automatic-reply rate limit and the record of every
 * suppressed reply.  Rendering is tmpl.c's, MIME is msgbuild.c's, rows
 * are store.c's.
 */
#ifndef MP_COMPOSE_H
#define MP_COMPOSE_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "hours.h"
#include "msgbuild.h"
#include "store.h"
#include "tmpl.h"

/* Every mail to staff (to_staff) is an internal notice: its text goes
 * between these marker lines (with the ticket's tag after them) and it
 * carries X-Mailproc-Notice: <ticket>.  A reply that quotes the notice
 * quotes the markers too, and staffmail.c cuts the notice out before
 * relaying the reply to the customer. */
#define COMPOSE_NOTICE_BEGIN "-----BEGIN MAILPROC STAFF NOTICE"
#define COMPOSE_NOTICE_END "-----END MAILPROC STAFF NOTICE"

struct compose {
	const struct conf *conf;
	struct store *store;
	const struct hours *hours;
	time_t now;
};

struct compose_mail {
	long long ticket;		/* 0: not about a ticket */
	const char *template;
	const char *lang;		/* "ja" or "en" */
	const char *to;
	int automatic;		/* Auto-Submitted, null sender, rate limit */
	/* Mail the policy requires, to a registered contact (confirmation
	 * requests and reminders, completion notices, a request's outcome):
	 * never dropped by auto_reply_limit, and not counted by it. */
	int policy;
	int to_staff;		/* Reply-To the ticket address */
	const char *reply_to;	/* an explicit Reply-To, or NULL */
	/* Threading, without <>; when unset, a ticket mail to someone
	 * outside the desk is threaded to the mails they wrote on it. */
	const char *in_reply_to;
	const char *const *references;
	size_t n_references;
	const struct tmpl_var *vars;	/* besides the standard ones */
	size_t n_vars;
	long long release_at;	/* > 0: held until then */
	/* A staff reply's own subject and text: with both set, no template
	 * is rendered. */
	const char *body_override;
	const char *subject_override;
	const struct msgbuild_attachment *attachments;
	size_t n_attachments;
};

/* Renders, builds and queues one mail; *outbox_id_r gets its row (0 when
 * it was suppressed: an automatic mail to one of our own addresses, or a
 * reply over auto_reply_limit; recorded as compose_suppressed() does).
 * Fails with MP_TEMP for template problems, so that the mail that caused
 * it is retried once the templates are fixed; with MP_PERM for a header
 * value that msgbuild_make() refuses (it can never be sent). */
int compose_queue(struct compose *c, const struct compose_mail *mail,
		  long long *outbox_id_r, struct mp_err *err);

/* Renders mail's template with the values every template gets (as
 * compose_queue() would, without queueing anything: for dry runs).
 * Release out with tmpl_out_release(). */
int compose_render(struct compose *c, const struct compose_mail *mail,
		   struct tmpl_out *out, struct mp_err *err);

/* Tells each address of list (space or comma separated: the staff, or
 * the monitoring centre) about ticket (0: none) with template, in the
 * staff's language, Reply-To the ticket address. */
int compose_notify(struct compose *c, const char *list, long long ticket,
		   const char *template, const struct tmpl_var *vars,
		   size_t n_vars, struct mp_err *err);

/* compose_notify() with the files of att (n_att of them) attached to
 * each mail. */
int compose_notify_attached(struct compose *c, const char *list,
			    long long ticket, const char *template,
			    const struct tmpl_var *vars, size_t n_vars,
			    const struct msgbuild_attachment *att,
			    size_t n_att, struct mp_err *err);

/* Records on the outbox and the ticket that an automatic reply with this
 * template to `to` was not sent, and why, and tells staff (with the
 * ticket number) unless the mail was itself a notice to staff. */
int compose_suppressed(struct compose *c, long long ticket,
		       const char *template, const char *to,
		       const char *reason, struct mp_err *err);

/* The ticket's own address, support+<id>@domain, into buf. */
const char *compose_ticket_address(const struct conf *conf, long long id,
				   char *buf, size_t size);

#endif
