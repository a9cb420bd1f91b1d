/*
 * IMAP ingestion with libetpan.  Owns the IMAP session: connecting (imap://
 * or imaps://), logging in, selecting the mailbox, fetching messages by
 * UID and waiting with IDLE.  What is done with each message (spooling,
 * processing, remembering the last UID) is the caller's (cmd_fetch.c).
 * libetpan is loaded with dlopen() on first use, so that commands that
 * never fetch do not pay for it (and GnuTLS) at start-up.
 */
#ifndef MP_IMAP_H
#define MP_IMAP_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "err.h"

struct imap;

/* The parts of imap[s]://user[:password]@host[:port]/mailbox. */
struct imap_url {
	int tls;
	char host[256];
	uint16_t port;
	char user[256];
	char password[256];	/* "" when not in the URL */
	char mailbox[256];	/* "INBOX" when not given */
};

/* Parses url (percent-escapes decoded).  Returns 0, or -1 with err
 * (MP_PERM). */
int imap_url_parse(const char *url, struct imap_url *u, struct mp_err *err);

/* Connects, logs in and selects the mailbox; timeout bounds every network
 * step.  *uidvalidity_r gets the mailbox's UIDVALIDITY. */
int imap_open(struct imap **im_r, const struct imap_url *u, long timeout,
	      uint32_t *uidvalidity_r, struct mp_err *err);

/* Logs out and frees; *im becomes NULL; NULL is ignored. */
void imap_close(struct imap **im);

/* Calls fn for each message with a UID above after_uid, in UID order,
 * with its full text (BODY.PEEK[], so the \Seen flag is left alone).
 * fn's non-zero return stops the walk and is returned. */
int imap_each_new(struct imap *im, uint32_t after_uid,
		  int (*fn)(void *ctx, uint32_t uid, const char *data,
			    size_t len),
		  void *ctx, struct mp_err *err);

/* Waits with IDLE until the server reports a change, stop becomes
 * non-zero, or max_secs pass (falls back to sleeping when the server has
 * no IDLE).  Returns 0 or -1 (connection lost: reconnect). */
int imap_wait(struct imap *im, long max_secs, volatile const sig_atomic_t *stop,
	      struct mp_err *err);

#endif
