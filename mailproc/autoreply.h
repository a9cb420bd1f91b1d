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
 * short reason ("null-sender", "auto-submitted", "x-autoreply",
 * "report", "precedence", "list-id", "own-address", "mailer-daemon",
 * "no-address") if not. */
const char *autoreply_refusal(const struct conf *conf, const struct msg *m,
			      const char *env_sender, const char *reply_to);

/* Whether the message was written by a machine rather than a person
 * answering deliberately: a null sender or MAILER-DAEMON-style From
 * (bounces), Auto-Submitted other than "no", X-Autoreply and the like,
 * a multipart/report, Precedence bulk/junk/list, List-Id, or an
 * out-of-office subject (「自動応答」, "Out of Office", "Auto:"...).
 * Returns NULL for a person's mail, or the reason ("null-sender",
 * "auto-submitted", "x-autoreply", "report", "precedence", "list-id",
 * "mailer-daemon", "out-of-office"). */
const char *autoreply_automatic(const struct msg *m, const char *env_sender);

#endif
