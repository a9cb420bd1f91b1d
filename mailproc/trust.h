/*
 * Whether a mail really comes from staff.  Owns the trust signals: the
 * SASL login Postfix passes, which counts only for the staff address
 * staff_logins maps it to, and Authentication-Results (RFC 8601) from our
 * own authserv-id showing a DKIM pass for exactly the staff address's
 * domain.  Headers from any other authserv-id are ignored: anyone can
 * write one.  Form-gateway mail, a mail with more than one From, and a
 * signed mail whose Sender is someone else are never staff.  Pure logic
 * over the parsed message.
 */
#ifndef MP_TRUST_H
#define MP_TRUST_H

#include "conf.h"
#include "msg.h"

enum trust_verdict {
	TRUST_NOT_STAFF = 0,	/* From is not a staff address */
	TRUST_STAFF,		/* staff address and a trust signal */
	TRUST_SPOOFED,		/* staff address, no trust signal */
};

/* Judges message m with From address from, delivered with sasl_user
 * (empty when not authenticated); form_mail says it came through the web
 * form gateway (to form_address, or its requester read from a form
 * field), which is never staff.  why (of whysize bytes) gets, for
 * TRUST_STAFF, the signal that held ("SASL login alice", "DKIM
 * example.jp"), and for TRUST_SPOOFED why it was refused; "" for
 * TRUST_NOT_STAFF. */
enum trust_verdict trust_judge(const struct conf *conf, const struct msg *m,
			       const char *from, const char *sasl_user,
			       int form_mail, char *why, size_t whysize);

/* Whether one Authentication-Results value is from authserv_id and shows
 * dkim=pass for exactly domain (header.d=domain, or header.i ending in
 * @domain; never a subdomain).  Exposed for tests. */
int trust_ar_dkim_pass(const char *value, const char *authserv_id,
		       const char *domain);

#endif
