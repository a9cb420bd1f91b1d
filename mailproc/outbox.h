/*
 * SMTP submission with libcurl.  Owns the curl handle (one per process,
 * so the connection to the relay is reused across mails), the SMTP
 * credentials and the classification of a failure as temporary or
 * permanent.  The outbox rows themselves are store.c's; what is retried
 * when is the runner's (cmd_run.c).
 */
#ifndef MP_OUTBOX_H
#define MP_OUTBOX_H

#include <stddef.h>

#include "conf.h"
#include "err.h"

struct outbox;

/* Prepares a sender for conf->smtp_url.  Reads smtp_password_file and
 * refuses one that group or others may read (MP_PERM). */
int outbox_new(struct outbox **ob_r, const struct conf *conf,
	       struct mp_err *err);

/* Closes the connection (QUIT) and frees; *ob becomes NULL. */
void outbox_free(struct outbox **ob);

enum outbox_fault {
	OUTBOX_FAULT_NONE,
	OUTBOX_FAULT_SESSION,	/* greeting or EHLO refused (5xx) */
	OUTBOX_FAULT_SENDER,	/* MAIL FROM refused (5xx) */
};

/* After a failed outbox_send(): whether the relay refused the session or
 * the envelope sender rather than this mail.  Such a refusal is MP_TEMP:
 * it fails nothing for good. */
enum outbox_fault outbox_last_fault(const struct outbox *ob);

/* Submits one message (CRLF line ends) from env_from ("" for the null
 * sender) to one recipient.  Returns 0 when the relay accepted it, or -1
 * with err: MP_PERM when the relay refused it for good (5xx to RCPT or
 * DATA), MP_TEMP otherwise (connection, timeout, 4xx, and a 5xx to the
 * greeting, EHLO or MAIL FROM: see outbox_last_fault()). */
int outbox_send(struct outbox *ob, const char *env_from, const char *to,
		const char *raw, size_t len, struct mp_err *err);

#endif
