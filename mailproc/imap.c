/*
 * imap.c: reading a mailbox over IMAP.
 *
 * Messages are fetched with BODY.PEEK[] by UID above the last one the
 * caller recorded, so a mailbox shared with a mail client keeps its
 * \Seen flags, and a message is never taken twice as long as UIDVALIDITY
 * holds (the caller starts over when it changes; duplicate detection in
 * ingest.c makes that harmless).
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "imap.h"

static struct {
	void *handle;
	mailimap *(*new_)(size_t, progress_function *);
	void (*free_)(mailimap *);
	void (*set_timeout)(mailimap *, time_t);
	int (*socket_connect)(mailimap *, const char *, uint16_t);
	int (*ssl_connect)(mailimap *, const char *, uint16_t);
	int (*login)(mailimap *, const char *, const char *);
	int (*select)(mailimap *, const char *);
	int (*logout)(mailimap *);
	int (*uid_fetch)(mailimap *, struct mailimap_set *,
			 struct mailimap_fetch_type *, clist **);
	void (*fetch_list_free)(clist *);
	struct mailimap_set *(*set_new_interval)(uint32_t, uint32_t);
	void (*set_free)(struct mailimap_set *);
	struct mailimap_fetch_type *(*fetch_type_new_list_empty)(void);
	int (*fetch_type_list_add)(struct mailimap_fetch_type *,
				   struct mailimap_fetch_att *);
	void (*fetch_type_free)(struct mailimap_fetch_type *);
	struct mailimap_fetch_att *(*att_uid)(void);
	struct mailimap_fetch_att *(*att_body_peek)(struct mailimap_section *);
	struct mailimap_section *(*section_new)(struct mailimap_section_spec *);
	int (*has_idle)(mailimap *);
	int (*idle)(mailimap *);
	int (*idle_done)(mailimap *);
	int (*idle_get_fd)(mailimap *);
} le;

struct imap {
	mailimap *s;
};

static int
etpan_load(struct mp_err *err)
{
	if (le.handle != NULL)
		return 0;
	le.handle = dlopen("libetpan.so.20", RTLD_NOW | RTLD_LOCAL);
	if (le.handle == NULL)
		return mp_err_set(err, MP_TEMP, "cannot load libetpan: %s",
				  dlerror());
#define SYM(field, name) \
	if ((*(void **)&le.field = dlsym(le.handle, name)) == NULL) \
		goto missing
	SYM(new_, "mailimap_new");
	SYM(free_, "mailimap_free");
	SYM(set_timeout, "mailimap_set_timeout");
	SYM(socket_connect, "mailimap_socket_connect");
	SYM(ssl_connect, "mailimap_ssl_connect");
	SYM(login, "mailimap_login");
	SYM(select, "mailimap_select");
	SYM(logout, "mailimap_logout");
	SYM(uid_fetch, "mailimap_uid_fetch");
	SYM(fetch_list_free, "mailimap_fetch_list_free");
	SYM(set_new_interval, "mailimap_set_new_interval");
	SYM(set_free, "mailimap_set_free");
	SYM(fetch_type_new_list_empty,
	    "mailimap_fetch_type_new_fetch_att_list_empty");
	SYM(fetch_type_list_add, "mailimap_fetch_type_new_fetch_att_list_add");
	SYM(fetch_type_free, "mailimap_fetch_type_free");
	SYM(att_uid, "mailimap_fetch_att_new_uid");
	SYM(att_body_peek, "mailimap_fetch_att_new_body_peek_section");
	SYM(section_new, "mailimap_section_new");
	SYM(has_idle, "mailimap_has_idle");
	SYM(idle, "mailimap_idle");
	SYM(idle_done, "mailimap_idle_done");
	SYM(idle_get_fd, "mailimap_idle_get_fd");
#undef SYM
	return 0;
missing:
	dlclose(le.handle);
	le.handle = NULL;
	return mp_err_set(err, MP_TEMP, "libetpan lacks a function we need");
}

/* Copies src[0..n) into dst (size bytes) decoding %XX. */
static int
unescape(char *dst, size_t size, const char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned v;
		if (o + 1 >= size)
			return -1;
		if (src[i] == '%' && i + 2 < n &&
		    sscanf(src + i + 1, "%2x", &v) == 1) {
			dst[o++] = (char)v;
			i += 2;
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
	return 0;
}

int
imap_url_parse(const char *url, struct imap_url *u, struct mp_err *err)
{
	const char *p, *at, *slash, *colon, *hostend;
	char port[16];

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "imaps://", 8) == 0) {
		u->tls = 1;
		p = url + 8;
		u->port = 993;
	} else if (strncasecmp(url, "imap://", 7) == 0) {
		p = url + 7;
		u->port = 143;
	} else {
		return mp_err_set(err, MP_PERM, "%s: not an imap:// or "
				  "imaps:// URL", url);
	}
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	at = memrchr(p, '@', (size_t)(slash - p));
	if (at == NULL)
		return mp_err_set(err, MP_PERM, "%s: no user (imap://USER@HOST)",
				  url);
	colon = memchr(p, ':', (size_t)(at - p));
	if (unescape(u->user, sizeof(u->user), p,
		     (size_t)((colon ? colon : at) - p)) < 0 ||
	    (colon && unescape(u->password, sizeof(u->password), colon + 1,
			       (size_t)(at - colon - 1)) < 0))
		return mp_err_set(err, MP_PERM, "%s: user too long", url);
	hostend = memchr(at + 1, ':', (size_t)(slash - at - 1));
	if (hostend != NULL) {
		char *end;
		long v;
		snprintf(port, sizeof(port), "%.*s",
			 (int)(slash - hostend - 1), hostend + 1);
		v = strtol(port, &end, 10);
		if (*end != '\0' || v <= 0 || v > 65535)
			return mp_err_set(err, MP_PERM, "%s: bad port", url);
		u->port = (uint16_t)v;
	} else {
		hostend = slash;
	}
	if (hostend == at + 1 || (size_t)(hostend - at - 1) >= sizeof(u->host))
		return mp_err_set(err, MP_PERM, "%s: bad host", url);
	memcpy(u->host, at + 1, (size_t)(hostend - at - 1));
	if (*slash == '/' && slash[1] != '\0') {
		if (unescape(u->mailbox, sizeof(u->mailbox), slash + 1,
			     strlen(slash + 1)) < 0)
			return mp_err_set(err, MP_PERM, "%s: mailbox too long",
					  url);
	} else {
		snprintf(u->mailbox, sizeof(u->mailbox), "INBOX");
	}
	return 0;
}

static const char *
why(int rc)
{
	switch (rc) {
	case MAILIMAP_ERROR_STREAM: return "connection lost";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "connection refused";
	case MAILIMAP_ERROR_LOGIN: return "login refused";
	case MAILIMAP_ERROR_SELECT: return "mailbox cannot be selected";
	case MAILIMAP_ERROR_SSL: return "TLS failed";
	case MAILIMAP_ERROR_FETCH: return "fetch refused";
	default: return "IMAP error";
	}
}

int
imap_open(struct imap **im_r, const struct imap_url *u, long timeout,
	  uint32_t *uidvalidity_r, struct mp_err *err)
{
	struct imap *im;
	int rc;

	*im_r = NULL;
	if (etpan_load(err) < 0)
		return -1;
	im = calloc(1, sizeof(*im));
	if (im == NULL || (im->s = le.new_(0, NULL)) == NULL) {
		free(im);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	le.set_timeout(im->s, (time_t)timeout);
	rc = u->tls ? le.ssl_connect(im->s, u->host, u->port) :
		le.socket_connect(im->s, u->host, u->port);
	if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		mp_err_set(err, MP_TEMP, "imap %s:%u: %s (%d)", u->host,
			   u->port, why(rc), rc);
		goto fail;
	}
	if (rc == MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    (rc = le.login(im->s, u->user, u->password)) !=
	    MAILIMAP_NO_ERROR) {
		mp_err_set(err, MP_TEMP, "imap %s: %s as %s", u->host,
			   why(rc), u->user);
		goto fail;
	}
	if ((rc = le.select(im->s, u->mailbox)) != MAILIMAP_NO_ERROR) {
		mp_err_set(err, MP_TEMP, "imap %s: %s: %s", u->host,
			   u->mailbox, why(rc));
		goto fail;
	}
	*uidvalidity_r = im->s->imap_selection_info != NULL ?
		im->s->imap_selection_info->sel_uidvalidity : 0;
	*im_r = im;
	return 0;
fail:
	le.free_(im->s);
	free(im);
	return -1;
}

void
imap_close(struct imap **imp)
{
	struct imap *im = *imp;

	if (im == NULL)
		return;
	le.logout(im->s);
	le.free_(im->s);
	free(im);
	*imp = NULL;
}

int
imap_each_new(struct imap *im, uint32_t after_uid,
	      int (*fn)(void *ctx, uint32_t uid, const char *data,
			size_t len),
	      void *ctx, struct mp_err *err)
{
	struct mailimap_set *set = le.set_new_interval(after_uid + 1, 0);
	struct mailimap_fetch_type *ft = le.fetch_type_new_list_empty();
	clist *result = NULL;
	clistiter *it;
	int rc, out = 0;

	if (set == NULL || ft == NULL ||
	    le.fetch_type_list_add(ft, le.att_uid()) != MAILIMAP_NO_ERROR ||
	    le.fetch_type_list_add(ft, le.att_body_peek(le.section_new(
		    NULL))) != MAILIMAP_NO_ERROR) {
		if (set)
			le.set_free(set);
		if (ft)
			le.fetch_type_free(ft);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	rc = le.uid_fetch(im->s, set, ft, &result);
	le.set_free(set);
	le.fetch_type_free(ft);
	if (rc == MAILIMAP_ERROR_FETCH || rc == MAILIMAP_ERROR_PARSE)
		return 0;	/* nothing in the range */
	if (rc != MAILIMAP_NO_ERROR)
		return mp_err_set(err, MP_TEMP, "imap fetch: %s (%d)", why(rc),
				  rc);
	for (it = clist_begin(result); it != NULL && out == 0;
	     it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		uint32_t uid = 0;
		const char *data = NULL;
		size_t len = 0;
		clistiter *j;

		for (j = clist_begin(att->att_list); j != NULL;
		     j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);
			struct mailimap_msg_att_static *st;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				uid = st->att_data.att_uid;
			else if (st->att_type ==
				 MAILIMAP_MSG_ATT_BODY_SECTION &&
				 st->att_data.att_body_section != NULL) {
				data = st->att_data.att_body_section->
					sec_body_part;
				len = st->att_data.att_body_section->
					sec_length;
			}
		}
		/* "n:*" also returns the last message when n is beyond it. */
		if (uid > after_uid && data != NULL)
			out = fn(ctx, uid, data, len);
	}
	le.fetch_list_free(result);
	return out;
}

int
imap_wait(struct imap *im, long max_secs, volatile const sig_atomic_t *stop,
	  struct mp_err *err)
{
	struct pollfd pfd;
	long waited = 0;
	int fd;

	if (!le.has_idle(im->s)) {
		for (; waited < max_secs && !*stop; waited++)
			sleep(1);
		return 0;
	}
	if (le.idle(im->s) != MAILIMAP_NO_ERROR)
		return mp_err_set(err, MP_TEMP, "imap IDLE refused");
	fd = le.idle_get_fd(im->s);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (waited < max_secs && !*stop) {
		int n = poll(&pfd, 1, 1000);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			break;
		waited++;
	}
	if (le.idle_done(im->s) != MAILIMAP_NO_ERROR)
		return mp_err_set(err, MP_TEMP, "imap IDLE: connection lost");
	return 0;
}
