/*
 * The LMTP protocol (RFC 2033) without sockets: parsing one command line,
 * undoing the dot-stuffing of DATA, and finding the SASL login header in
 * the message.  Pure functions over bytes, so that the unit tests and the
 * fuzz harness reach every path; lmtp_server.c owns sockets, sessions and
 * the spool.
 */
#ifndef MP_LMTP_H
#define MP_LMTP_H

#include <stddef.h>

/* RFC 5321 4.5.3.1: 512 octets per command line; we allow more for
 * parameters.  A longer line is refused with 500. */
#define LMTP_MAX_LINE	2048
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets. */
#define LMTP_MAX_ADDR	256

enum lmtp_verb {
	LMTP_UNKNOWN = 0,
	LMTP_LHLO,
	LMTP_HELO,		/* HELO or EHLO: not LMTP (RFC 2033 4.1) */
	LMTP_MAIL,
	LMTP_RCPT,
	LMTP_DATA,
	LMTP_RSET,
	LMTP_NOOP,
	LMTP_QUIT,
	LMTP_VRFY,
};

enum lmtp_syntax {
	LMTP_OK = 0,
	LMTP_BAD_SYNTAX,	/* 501 */
	LMTP_BAD_PARAM,		/* 555: a parameter we did not offer */
};

struct lmtp_cmd {
	enum lmtp_verb verb;
	enum lmtp_syntax syntax;
	char addr[LMTP_MAX_ADDR + 1];	/* MAIL/RCPT path, "" for <> */
	long long size;			/* MAIL SIZE=, -1 when absent */
};

/* Parses one command line (without its CRLF; len bytes, may hold NULs)
 * into cmd.  Always fills cmd; cmd->syntax says whether the arguments
 * were acceptable. */
void lmtp_parse(const char *line, size_t len, struct lmtp_cmd *cmd);

/* The DATA decoder: removes dot-stuffing (RFC 5321 4.5.2), turns CRLF
 * into LF (the spool holds mail as the pipe gives it) and finds the final
 * "CRLF . CRLF".  Leniency: a bare LF ends a line too. */
struct lmtp_dot {
	int state;
	int done;
};

void lmtp_dot_init(struct lmtp_dot *d);

/* Decodes up to n bytes of in into out, which has room for n + 1 bytes.
 * Returns how many bytes of in were consumed (fewer than n only when the
 * final dot was reached: d->done is then set and the rest of in belongs
 * to the next command); *outlen_r is how many bytes were written. */
size_t lmtp_dot_feed(struct lmtp_dot *d, const char *in, size_t n,
		     char *out, size_t *outlen_r);

/* Finds the login header among the decoded message's headers.  Only the
 * headers above the first Received: count: Postfix's smtpd prepends its
 * own Received: line to everything its client sends, so a header the
 * client wrote always sits below it (see README, "the SASL login over
 * LMTP").  Those below are counted as forged. */
struct lmtp_hdr {
	const char *name;		/* the header name, without ':' */
	int in_body, seen_received, conflict, overflow;
	int found;			/* login headers above Received */
	int forged;			/* login headers below Received */
	char line[1024];
	size_t len;
	char value[LMTP_MAX_ADDR + 1];
};

void lmtp_hdr_init(struct lmtp_hdr *h, const char *name);

/* Feeds decoded message bytes (LF line ends). */
void lmtp_hdr_feed(struct lmtp_hdr *h, const char *p, size_t n);

/* The login: the value of the login header(s) above the first Received,
 * when there is at least one, all agree and a Received follows; NULL
 * otherwise.  Points into h. */
const char *lmtp_hdr_login(struct lmtp_hdr *h);

#endif
