/*
 * Loop protection for automatic replies (RFC 3834 §2 and §3.1.8): which
 * incoming mail must never get one.  Pure logic over the parsed message
 * and the envelope; the per-sender hourly limit is counted by the caller
 * from the outbox.
 */
#ifndef MP_AUTOREPLY_H
#define MP_AUTOREPLY_H

#include "conf.h"
#include "msg.h"

/* Returns NULL if an automatic reply to this message is allowed, or a
 * short reason ("null-sender", "auto-submitted", "precedence",
 * "list-id", "own-address", "mailer-daemon", "no-address") if not. */
const char *autoreply_refusal(const struct conf *conf, const struct msg *m,
			      const char *env_sender, const char *reply_to);

#endif
