/*
 * Mail parsing with GMime.  Owns GMime (the only module that includes it):
 * decoding headers (RFC 2047, RFC 2231, raw 8-bit), picking the text,
 * rendering HTML-only mail, and streaming attachments to content-addressed
 * files.  Limits (depth, text size) come from struct msg_limits.  Charset
 * conversion is charset.c's; HTML to text and format=flowed are text.c's.
 */
#ifndef MP_MSG_H
#define MP_MSG_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct msg_addr {
	char *name;		/* decoded display name, or NULL */
	char *address;		/* local@domain, as written */
};

struct msg_attachment {
	char *filename;		/* decoded, or NULL */
	char *content_type;	/* "type/subtype" */
	long long size;		/* decoded bytes */
	char *sha256;		/* hex, or NULL when not stored */
};

struct msg_addrs {
	struct msg_addr *v;
	size_t n;
};

struct msg {
	char *subject;		/* decoded UTF-8, "" if none */
	struct msg_addrs from, to, cc, reply_to;
	char *date;		/* ISO 8601, or NULL */
	char *message_id;	/* without <>, or NULL */
	char *in_reply_to;	/* without <>, or NULL */
	char **references;	/* without <>, n_references of them */
	size_t n_references;
	char *text;		/* UTF-8, LF line ends */
	int text_from_html;
	struct msg_attachment *attachments;
	size_t n_attachments;
	char **defects;
	size_t n_defects;

	/* Raw-ish header values used for loop protection and trust;
	 * NULL when absent. */
	char *auto_submitted;
	char *precedence;
	char *list_id;
	char *content_language;
	char **auth_results;	/* every Authentication-Results value */
	size_t n_auth_results;
	/* How many From and Sender header fields the message has (from
	 * and sender hold the first of each): a second From on top of a
	 * signed mail must not pass as its author (RFC 5322 §3.6 allows
	 * one of each). */
	size_t n_from_headers, n_sender_headers;
	struct msg_addrs sender;
};

struct msg_limits {
	long max_depth;		/* MIME nesting walked */
	long long max_text;	/* bytes of decoded text kept */
};

/* Initialises GMime once per process.  Cheap to call again. */
void msg_library_init(void);

/* Parses the message in fd starting at offset (read in place, not copied
 * into memory).  When attach_dir is not NULL, each attachment is streamed
 * to attach_dir/<sha256[0..1]>/<sha256> (created as needed); otherwise
 * only sizes are counted.  Malformed input never fails: problems become
 * defects.  Returns 0 with a new *msg_r (free with msg_free()), or -1 with
 * err set (MP_TEMP: I/O or memory). */
int msg_parse_fd(int fd, off_t offset, const struct msg_limits *lim,
		 const char *attach_dir, struct msg **msg_r,
		 struct mp_err *err);

/* The same for a message held in memory (raw, len bytes; copied by
 * GMime as needed), attachments only counted: for reading back mail we
 * built, such as the notices in the outbox. */
int msg_parse_mem(const char *raw, size_t len, const struct msg_limits *lim,
		  struct msg **msg_r, struct mp_err *err);

/* Releases m and sets *m to NULL; does nothing if *m is NULL. */
void msg_free(struct msg **m);

/* The first address of from, or NULL. */
const char *msg_from_address(const struct msg *m);

/* Returns 1 if s is safe as a header value: no CR, LF or NUL. */
int msg_header_value_safe(const char *s);

#endif
