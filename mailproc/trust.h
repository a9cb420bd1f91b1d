/*
 * Whether a mail really comes from staff.  Owns the trust signals: the
 * SASL login Postfix passes, and Authentication-Results (RFC 8601) from
 * our own authserv-id showing a DKIM pass for the staff address's domain.
 * Headers from any other authserv-id are ignored: anyone can write one.
 * Pure logic over the parsed message.
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
 * (empty when not authenticated).  *signal_r names the signal that held
 * ("sasl" or "dkim"), or NULL. */
enum trust_verdict trust_judge(const struct conf *conf, const struct msg *m,
			       const char *from, const char *sasl_user,
			       const char **signal_r);

/* Whether one Authentication-Results value is from authserv_id and shows
 * dkim=pass for domain (header.d, or header.i ending in @domain or
 * .domain).  Exposed for tests. */
int trust_ar_dkim_pass(const char *value, const char *authserv_id,
		       const char *domain);

#endif
