/*
 * cmd_fetch.c: `fetch --imap URL [--idle] [--once]`, for sites where mail
 * reaches the support desk in an IMAP mailbox rather than through a
 * Postfix pipe.  Each new message is spooled and processed exactly as
 * `deliver` does; the last UID taken is recorded only after the message
 * is safe in the spool, so a crash can only make a message come again,
 * and ingest.c's duplicate detection turns that into nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "cmd.h"
#include "imap.h"
#include "ingest.h"
#include "log.h"
#include "msg.h"
#include "spool.h"
#include "store.h"

static volatile sig_atomic_t fetch_stop;

static void
on_signal(int sig)
{
	(void)sig;
	fetch_stop = 1;
}

struct fetch_ctx {
	struct conf *conf;
	struct ingest *in;
	struct store *store;
	const char *mailbox;	/* the URL without password */
	uint32_t uidvalidity;
	int taken;
	struct mp_err *err;
};

/* The header block of data is read at most this far for the envelope. */
#define ENVELOPE_SCAN (256 * 1024)

/* Appends to out, comma separated, the unfolded value of every name:
 * header field of the header block data[0..len). */
static void
header_values(const char *data, size_t len, const char *name, GString *out)
{
	size_t nl = strlen(name), i = 0;

	if (len > ENVELOPE_SCAN)
		len = ENVELOPE_SCAN;
	while (i < len && data[i] != '\n' && data[i] != '\r') {
		size_t end = i;

		while (end < len && !(data[end] == '\n' && (end + 1 >= len ||
		       (data[end + 1] != ' ' && data[end + 1] != '\t'))))
			end++;
		if (end - i > nl && data[i + nl] == ':' &&
		    strncasecmp(data + i, name, nl) == 0) {
			size_t k;

			if (out->len > 0)
				g_string_append_c(out, ',');
			for (k = i + nl + 1; k < end; k++)
				if (data[k] != '\r' && data[k] != '\n')
					g_string_append_c(out, data[k]);
		}
		i = end + 1;
	}
}

/* The mailboxes of the name: fields of data, in order; fn is called with
 * each until it returns nonzero, which is returned. */
static int
each_address(const char *data, size_t len, const char *name,
	     int (*fn)(void *ctx, const char *addr), void *ctx)
{
	GString *v = g_string_new(NULL);
	InternetAddressList *list;
	int i, n, rc = 0;

	header_values(data, len, name, v);
	list = v->len ? internet_address_list_parse(NULL, v->str) : NULL;
	g_string_free(v, TRUE);
	if (list == NULL)
		return 0;
	n = internet_address_list_length(list);
	for (i = 0; i < n && rc == 0; i++) {
		InternetAddress *ia = internet_address_list_get_address(list,
									 i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			rc = fn(ctx, internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia)));
	}
	g_object_unref(list);
	return rc;
}

struct pick {
	const struct conf *conf;
	int ours;		/* only our own addresses */
	char addr[1024];
};

static int
pick_one(void *ctx, const char *addr)
{
	struct pick *p = ctx;

	if (addr == NULL || *addr == '\0' || strlen(addr) >= sizeof(p->addr) ||
	    (p->ours && !conf_is_ours(p->conf, addr)))
		return 0;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	return 1;
}

/* What Postfix would have passed to `deliver`: the recipient is the first
 * of our own addresses in Delivered-To, X-Original-To, To or Cc (in that
 * order; support_address when none is), the sender Return-Path ("<>"
 * there is the null sender), or without one the From address. */
static void
fetch_envelope(const struct conf *conf, const char *data, size_t len,
	       struct pick *sender, struct pick *rcpt)
{
	static const char *const rcpt_fields[] = {
		"Delivered-To", "X-Original-To", "To", "Cc",
	};
	GString *rp = g_string_new(NULL);
	size_t i;

	msg_library_init();
	sender->conf = rcpt->conf = conf;
	sender->ours = 0;
	rcpt->ours = 1;
	sender->addr[0] = rcpt->addr[0] = '\0';
	for (i = 0; i < sizeof(rcpt_fields) / sizeof(*rcpt_fields); i++)
		if (each_address(data, len, rcpt_fields[i], pick_one, rcpt))
			break;
	if (rcpt->addr[0] == '\0')
		snprintf(rcpt->addr, sizeof(rcpt->addr), "%s",
			 conf->support_address);
	header_values(data, len, "Return-Path", rp);
	if (rp->len == 0)
		each_address(data, len, "From", pick_one, sender);
	else if (strchr(rp->str, '@') != NULL)
		each_address(data, len, "Return-Path", pick_one, sender);
	g_string_free(rp, TRUE);
}

/* Spools and processes one message, then records its UID. */
static int
take_one(void *ctx, uint32_t uid, const char *data, size_t len)
{
	char why[LOG_VALUE_MAX], to[LOG_VALUE_MAX];
	struct fetch_ctx *fc = ctx;
	struct pick sender, rcpt;
	struct spool_envelope env = { sender.addr, rcpt.addr, "" };
	struct mp_err err = { 0 };
	char *name = NULL;
	int fd, lock = -1;

	fetch_envelope(fc->conf, data, len, &sender, &rcpt);
	log_info("imap uid=%u sender=%s recipient=%s", uid,
		 log_quote(why, sizeof(why), sender.addr),
		 log_quote(to, sizeof(to), rcpt.addr));

	fd = memfd_create("mailproc-fetch", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return mp_err_set(fc->err, MP_TEMP, "cannot buffer message "
				  "uid %u", uid);
	}
	if (spool_receive(fc->conf->state_dir, fd, &env,
			  fc->conf->max_message_size, &name, &lock,
			  &err) < 0) {
		close(fd);
		if (err.kind != MP_PERM) {
			*fc->err = err;
			return -1;
		}
		/* Too big: it stays in the mailbox for a person to see. */
		log_warning("imap uid=%u action=skipped reason=%s", uid,
			    log_quote(why, sizeof(why), err.msg));
	}
	close(fd);
	if (name != NULL) {
		if (ingest_spooled(fc->in, name, &err) < 0)
			ingest_failed(fc->in, name, &err);
		close(lock);
		free(name);
	}
	if (store_imap_set(fc->store, fc->mailbox, fc->uidvalidity, uid,
			   fc->err) < 0)
		return -1;
	fc->taken++;
	return fetch_stop ? 1 : 0;
}

/* The URL as recorded and logged: without the password. */
static void
mailbox_name(const struct imap_url *u, char *buf, size_t size)
{
	snprintf(buf, size, "%s://%s@%s:%u/%s", u->tls ? "imaps" : "imap",
		 u->user, u->host, u->port, u->mailbox);
}

/* Reads the password from conf's imap_password_file when the URL has
 * none. */
static int
password(const struct conf *conf, struct imap_url *u, struct mp_err *err)
{
	FILE *fp;

	if (*u->password != '\0' || *conf->imap_password_file == '\0')
		return 0;
	fp = fopen(conf->imap_password_file, "r");
	if (fp == NULL)
		return mp_err_set(err, MP_PERM, "imap_password_file %s: "
				  "cannot read", conf->imap_password_file);
	if (fgets(u->password, sizeof(u->password), fp) == NULL)
		u->password[0] = '\0';
	fclose(fp);
	u->password[strcspn(u->password, "\r\n")] = '\0';
	return 0;
}

/* One connection: fetch what is new, then (unless once) wait and again,
 * until a signal or a lost connection. */
static int
session(struct fetch_ctx *fc, const struct imap_url *u, int once, int idle,
	struct mp_err *err)
{
	struct imap *im = NULL;
	long long stored_validity, last;
	uint32_t validity;
	int rc;

	if (imap_open(&im, u, fc->conf->smtp_timeout, &validity, err) < 0)
		return -1;
	fc->uidvalidity = validity;
	do {
		if (store_imap_get(fc->store, fc->mailbox, &stored_validity,
				   &last, err) < 0)
			break;
		if (stored_validity != (long long)validity)
			last = 0;	/* a new mailbox: start over */
		rc = imap_each_new(im, (uint32_t)last, take_one, fc, err);
		if (rc < 0)
			break;
		if (once || fetch_stop)
			break;
		if (idle) {
			if (imap_wait(im, 25 * 60, &fetch_stop, err) < 0)
				break;
		} else {
			int i;
			for (i = 0; i < 60 && !fetch_stop; i++)
				sleep(1);
		}
	} while (!fetch_stop);
	imap_close(&im);
	return err->kind == MP_OK ? 0 : -1;
}

int
cmd_fetch(struct conf *conf, int argc, char **argv)
{
	char why[LOG_VALUE_MAX];
	static const char *const flags[] = { "idle", "once", NULL };
	static const char *const options[] = { "imap", NULL };
	struct fetch_ctx fc = { 0 };
	struct imap_url u;
	struct mp_err err = { 0 };
	const char *url = NULL;
	char mailbox[1024];
	int once = cmd_flag(argc, argv, "once");
	int idle = cmd_flag(argc, argv, "idle");
	int rc = EX_OK;

	if (!cmd_args_known(argc, argv, "fetch", flags, options))
		return EX_USAGE;
	if (cmd_option(argc, argv, "imap", &url) <= 0) {
		log_user_error("fetch", "usage: fetch --imap URL [--idle] "
			       "[--once]");
		return EX_USAGE;
	}
	if (imap_url_parse(url, &u, &err) < 0 ||
	    password(conf, &u, &err) < 0) {
		log_user_error("fetch", "%s", err.msg);
		return EX_CONFIG;
	}
	mailbox_name(&u, mailbox, sizeof(mailbox));
	fc.conf = conf;
	fc.mailbox = mailbox;
	fc.err = &err;
	if (ingest_new(&fc.in, conf, &err) < 0 ||
	    store_open(&fc.store, conf->state_dir, conf->lock_timeout,
		       &err) < 0) {
		log_user_error("fetch", "%s", err.msg);
		ingest_free(&fc.in);
		return EX_TEMPFAIL;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (;;) {
		mp_err_clear(&err);
		if (session(&fc, &u, once, idle, &err) < 0) {
			log_user_error("fetch", "%s", err.msg);
			rc = EX_TEMPFAIL;
		}
		if (once || fetch_stop)
			break;
		/* A lost connection: try again after a pause. */
		sleep(30);
	}
	log_info("action=fetch mailbox=%s taken=%d",
		 log_quote(why, sizeof(why), mailbox), fc.taken);
	store_free(&fc.store);
	ingest_free(&fc.in);
	return rc;
}
