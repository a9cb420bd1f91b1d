/*
 * Building outgoing mail with GMime: headers (Date, Message-ID, threading,
 * Auto-Submitted, RFC 2047 encoding), a text body in UTF-8 or ISO-2022-JP,
 * and attachments streamed from files.  Owns the charset choice for
 * outgoing text; knows nothing of tickets or templates.
 */
#ifndef MP_MSGBUILD_H
#define MP_MSGBUILD_H

#include <stddef.h>

#include "err.h"

struct msgbuild_attachment {
	const char *path;		/* file holding the decoded content */
	const char *filename;		/* may be NULL */
	const char *content_type;	/* "type/subtype" */
};

struct msgbuild {
	const char *from_name;		/* may be NULL */
	const char *from_addr;
	const char *to_addr;
	const char *reply_to;		/* may be NULL */
	const char *subject;		/* UTF-8 */
	const char *body;		/* UTF-8, LF line ends */
	const char *in_reply_to;	/* without <>, may be NULL */
	const char *const *references;	/* without <>, n_references */
	size_t n_references;
	const char *charset;		/* "utf-8" or "iso-2022-jp" */
	int automatic;			/* adds Auto-Submitted: auto-replied */
	int generated;			/* with automatic: auto-generated, a
					 * notification, not a reply */
	const char *notice;		/* X-Mailproc-Notice value, or NULL */
	const char *domain;		/* for the Message-ID */
	long long date;			/* Unix time */
	const char *timezone;		/* zone of the Date header */
	const struct msgbuild_attachment *attachments;
	size_t n_attachments;
};

/* Builds the message (CRLF line ends, ready for SMTP).  *raw_r is a new
 * malloc'd buffer of *len_r bytes, *message_id_r the new Message-ID
 * without <> (both freed by the caller).  Header values must not contain
 * CR or LF: such a value fails with MP_PERM rather than being sent.  An
 * in_reply_to or reference that msg_id_safe() refuses is left out of the
 * mail instead.  With
 * "iso-2022-jp", common look-alikes (～ － ∥ ￠ ￡ ￢) are mapped to their
 * JIS forms; a text that still cannot be encoded is sent as UTF-8, never
 * with characters dropped. */
int msgbuild_make(const struct msgbuild *b, char **raw_r, size_t *len_r,
		  char **message_id_r, struct mp_err *err);

#endif
