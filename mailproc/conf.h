/*
 * Configuration.  Owns the key table (name, default, type, bounds), the
 * parser of `key = value` files and the checkout default.  Every key is
 * declared once, in conf.c; etc/mailproc.conf.example is checked against
 * that table by a test.  Values that need a module's own grammar (business
 * hours, closed dates) are kept as strings and validated by that module
 * through conf_check_*() hooks in check-config.
 */
#ifndef MP_CONF_H
#define MP_CONF_H

#include <stddef.h>

#include "err.h"

struct conf {
	const char *path;		/* file read, or NULL for the default */
	char *top;			/* the checkout the binary runs from */

	char *state_dir;		/* db, spool, attachments */
	char *rules_dir;
	char *templates_dir;
	char *site_rules_dir;		/* local rules/ files that win, file by
					 * file, over rules_dir's */
	char *site_templates_dir;	/* local copies that win, file by
					 * file, over templates_dir's; "" */
	char *model_file;		/* "": state_dir's, else rules_dir's */
	char *support_address;		/* support@example.jp */
	char *form_address;		/* the web form gateway's address */
	char *staff_addresses;		/* space/comma separated */
	char *staff_logins;		/* LOGIN=ADDRESS pairs, space separated */
	char *monitoring_centre_address;
	char *escalation_address;	/* overdue first responses, or "" */
	char *staff_digest;		/* "yes": `run` sends it at openings */
	char *monitoring_centre_phone;
	char *company_name;
	char *company_name_en;		/* in English mail */
	char *order_page_url;		/* the policy's order page, or "" */
	char *support_phone;
	char *smtp_url;
	char *smtp_user;
	char *smtp_password_file;
	char *imap_password_file;	/* for `fetch` when the URL has none */
	char *subject_tag;
	char *timezone;			/* Asia/Tokyo */
	char *business_hours;		/* "mon-fri 09:30-18:00" */
	char *year_end_closure;		/* "12-29..01-03" */
	char *closed_dates;		/* extra closed dates, YYYY-MM-DD list */
	char *open_dates;		/* extra open dates, YYYY-MM-DD list */
	char *first_response_within;	/* "1 business day" */
	char *outgoing_charset;		/* utf-8 or iso-2022-jp */
	char *language;			/* ja or en: default template language */
	char *trusted_authserv_id;
	long long max_message_size;	/* bytes */
	long long notify_attachment_limit; /* bytes a staff notice carries */
	long auto_reply_limit;		/* automatic replies per sender per hour */
	long notice_rate;		/* notice mails sent per minute */
	char *alerts_address;		/* monitoring alerts arrive here */
	char *alerts_senders;		/* who may send them (envelope and From) */
	/* "3 business days" (business time), or a wall-clock duration
	 * ("72h"); hours_parse_ttl() reads both. */
	char *identity_token_ttl;
	char *callback_escalate_after;	/* a pending callback, the same */
	long max_retry_age;		/* seconds */
	long reopen_within;		/* seconds a closed ticket reopens */
	long retention;			/* `purge` without --older-than;
					 * 0: keep everything */
	long smtp_timeout;		/* seconds, each SMTP step */
	long lock_timeout;		/* milliseconds, SQLite busy timeout */
	long max_mime_depth;
	long max_spool_attempts;	/* temporary failures before failed/ */
	long max_text_size;		/* bytes of text kept per message */
	long message_budget_ms;		/* parse, classify, build each */

	/* `lmtp` (lmtp_server.h) */
	char *lmtp_listen;		/* unix:PATH or HOST:PORT; "" is
					 * unix:state_dir/lmtp.sock */
	long lmtp_max_sessions;		/* concurrent LMTP sessions */
	long lmtp_timeout;		/* seconds a client may stay silent */
	char *lmtp_login_header;	/* carries the SASL login; "" none */
	char *lmtp_trust_tcp;		/* "yes": the login header counts
					 * from TCP peers too */
	/* How many problems conf_load() reported (check-config goes on
	 * after them, to report the rest in the same pass). */
	int problems;

	/* The line each key was set on (0 if defaulted), for check-config
	 * messages about values that other modules validate. */
	int line_of[64];
};

/* Fills conf with the checkout defaults, then reads path (if not NULL).
 * top is the checkout directory used for the defaults of rules_dir,
 * templates_dir and state_dir.  Every problem is printed to stderr as
 * "file:line: message"; returns 0, or -1 with err set (MP_PERM) after
 * reporting them all (conf->problems says how many; an unreadable file is
 * one, in err only).  After MP_PERM, conf holds the defaults and every
 * good value, so that check-config can check the rest. */
int conf_load(struct conf *conf, const char *top, const char *path,
	      struct mp_err *err);

/* Releases what conf_load() allocated. */
void conf_release(struct conf *conf);

/* The line a key was set on, or 0 when it kept its default. */
int conf_line(const struct conf *conf, const char *key);

/* Parses a duration such as "3600", "90s", "30m", "24h", "7d" into
 * seconds.  Returns 0 or -1. */
int conf_parse_duration(const char *s, long *secs_r);

/* The classifier's model file: model_file when set, else
 * state_dir/model.bin when it exists (retrained by the desk with
 * `train --from-desk`), else rules_dir/model.bin (built from the shipped
 * corpus).  Writes into buf; returns buf. */
const char *conf_model_path(const struct conf *conf, char *buf, size_t size);

/* Whether addr (any case) is one of staff_addresses. */
int conf_is_staff(const struct conf *conf, const char *addr);

/* Whether addr is one of alerts_senders: the monitoring systems whose
 * alerts may reach a customer. */
int conf_is_alert_sender(const struct conf *conf, const char *addr);

/* Whether addr (detail allowed) is alerts_address. */
int conf_is_alerts(const struct conf *conf, const char *addr);

/* Whether SASL login (any case) proves the staff address addr: it is
 * the address itself, or staff_logins maps it to addr.  0 for an empty
 * login or an address that is not a staff address. */
int conf_login_proves(const struct conf *conf, const char *login,
		      const char *addr);

/* Whether addr (any case, with or without +detail) is form_address. */
int conf_is_form(const struct conf *conf, const char *addr);

/* Whether addr is in the monitoring centre's domain (that of
 * monitoring_centre_address, any case): its ticket system may answer
 * from a new address for each of our mails. */
int conf_is_centre_domain(const struct conf *conf, const char *addr);

/* Whether addr (any case, with or without +detail) is one of our own
 * addresses: support, form, or monitoring centre. */
int conf_is_ours(const struct conf *conf, const char *addr);

/* The name of the i-th key of the table, or NULL past the end (for the
 * test that checks etc/mailproc.conf.example against the table). */
const char *conf_key_name(size_t i);

#endif
