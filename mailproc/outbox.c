/*
 * outbox.c: talking SMTP through libcurl.
 *
 * One easy handle lives as long as the runner, so libcurl keeps the SMTP
 * connection open between mails.  Every step has a timeout: a relay that
 * hangs must not hang the runner.  Credentials go over TLS only: with
 * smtp_user set, STARTTLS is required unless the relay is on loopback.
 *
 * libcurl is loaded with dlopen() when the runner first needs it rather
 * than linked: linking it pulls in GnuTLS, whose start-up would double the
 * cost of every `deliver`, which never sends anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <dlfcn.h>

#include "outbox.h"

/* The libcurl functions we use, resolved at run time. */
static struct {
	void *handle;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lc;

static int
curl_load(struct mp_err *err)
{
	static const char *const names[] = {
		"libcurl-gnutls.so.4", "libcurl.so.4", "libcurl-nss.so.4",
	};
	size_t i;

	if (lc.handle != NULL)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(*names) && !lc.handle; i++)
		lc.handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (lc.handle == NULL)
		return mp_err_set(err, MP_TEMP, "cannot load libcurl: %s",
				  dlerror());
#define SYM(field, name) \
	if ((*(void **)&lc.field = dlsym(lc.handle, name)) == NULL) \
		goto missing
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	return 0;
missing:
	dlclose(lc.handle);
	lc.handle = NULL;
	return mp_err_set(err, MP_TEMP, "libcurl lacks a function we need");
}

struct outbox {
	CURL *curl;
	const struct conf *conf;
	char *password;
	enum outbox_fault fault;	/* of the last outbox_send() */
};

enum outbox_fault
outbox_last_fault(const struct outbox *ob)
{
	return ob->fault;
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct upload *u = ctx;
	size_t n = size * nitems;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

static int
read_password(const char *path, char **pw_r, struct mp_err *err)
{
	struct stat st;
	char buf[512];
	ssize_t n;
	int fd;

	*pw_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mp_err_set(err, MP_PERM, "smtp_password_file %s: %s",
				  path, strerror(errno));
	if (fstat(fd, &st) < 0 || (st.st_mode & 077) != 0) {
		close(fd);
		return mp_err_set(err, MP_PERM, "smtp_password_file %s: "
				  "readable by group or others; chmod 600 it",
				  path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return mp_err_set(err, MP_PERM, "smtp_password_file %s: %s",
				  path, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*pw_r = strdup(buf);
	memset(buf, 0, sizeof(buf));
	return *pw_r ? 0 : mp_err_set(err, MP_TEMP, "out of memory");
}

static int
is_loopback_url(const char *url)
{
	return strstr(url, "://127.") != NULL ||
	       strstr(url, "://localhost") != NULL ||
	       strstr(url, "://[::1]") != NULL;
}

int
outbox_new(struct outbox **ob_r, const struct conf *conf,
	   struct mp_err *err)
{
	struct outbox *ob;

	*ob_r = NULL;
	if (curl_load(err) < 0)
		return -1;
	if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return mp_err_set(err, MP_TEMP, "curl initialisation failed");
	ob = calloc(1, sizeof(*ob));
	if (ob == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	ob->conf = conf;
	if (*conf->smtp_password_file != '\0' &&
	    read_password(conf->smtp_password_file, &ob->password, err) < 0) {
		free(ob);
		return -1;
	}
	ob->curl = lc.easy_init();
	if (ob->curl == NULL) {
		free(ob->password);
		free(ob);
		return mp_err_set(err, MP_TEMP, "curl handle: out of memory");
	}
	*ob_r = ob;
	return 0;
}

void
outbox_free(struct outbox **obp)
{
	struct outbox *ob = *obp;

	if (ob == NULL)
		return;
	lc.easy_cleanup(ob->curl);
	if (ob->password != NULL) {
		memset(ob->password, 0, strlen(ob->password));
		free(ob->password);
	}
	free(ob);
	*obp = NULL;
}

int
outbox_send(struct outbox *ob, const char *env_from, const char *to,
	    const char *raw, size_t len, struct mp_err *err)
{
	const struct conf *c = ob->conf;
	struct curl_slist *rcpt = NULL;
	struct upload up = { raw, len, 0 };
	char from[1024], rcptbuf[1024], errbuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode rc;
	CURL *h = ob->curl;

	ob->fault = OUTBOX_FAULT_NONE;
	snprintf(from, sizeof(from), "<%s>", env_from ? env_from : "");
	snprintf(rcptbuf, sizeof(rcptbuf), "<%s>", to);
	rcpt = lc.slist_append(NULL, rcptbuf);
	if (rcpt == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	lc.easy_setopt(h, CURLOPT_URL, c->smtp_url);
	lc.easy_setopt(h, CURLOPT_MAIL_FROM, from);
	lc.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	lc.easy_setopt(h, CURLOPT_UPLOAD, 1L);
	lc.easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	lc.easy_setopt(h, CURLOPT_READDATA, &up);
	lc.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	lc.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->smtp_timeout);
	lc.easy_setopt(h, CURLOPT_TIMEOUT, c->smtp_timeout * 4);
	lc.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	lc.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->smtp_timeout);
	lc.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	lc.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (*c->smtp_user != '\0') {
		lc.easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
		lc.easy_setopt(h, CURLOPT_PASSWORD,
				 ob->password ? ob->password : "");
		lc.easy_setopt(h, CURLOPT_USE_SSL,
				 is_loopback_url(c->smtp_url) ?
				 (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	} else {
		lc.easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	rc = lc.easy_perform(h);
	lc.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	lc.easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	lc.slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return 0;
	/* Our credentials being refused says nothing about the mail: it
	 * waits (and staff hear of it through max_retry_age) until the
	 * configuration is mended. */
	if (rc == CURLE_LOGIN_DENIED)
		return mp_err_set(err, MP_TEMP, "relay refused our login "
				  "(%ld): check smtp_user and "
				  "smtp_password_file", code);
	/* A refused greeting, EHLO/HELO or MAIL FROM says nothing about
	 * this mail or its recipient: it is the relay (or its view of our
	 * envelope sender) that is wrong, and every other mail would be
	 * refused the same way.  Temporary, and the runner says so once.
	 * libcurl's smtp.c names the step in its error text. */
	if (code >= 500 && code < 600 &&
	    (strstr(errbuf, "unexpected smtp-server response") != NULL ||
	     rc == CURLE_REMOTE_ACCESS_DENIED)) {
		ob->fault = OUTBOX_FAULT_SESSION;
		return mp_err_set(err, MP_TEMP, "relay refused the session "
				  "(%ld): %s", code, *errbuf ? errbuf :
				  lc.easy_strerror(rc));
	}
	if (code >= 500 && code < 600 &&
	    strstr(errbuf, "MAIL failed") != NULL) {
		ob->fault = OUTBOX_FAULT_SENDER;
		return mp_err_set(err, MP_TEMP, "relay refused the envelope "
				  "sender %s (%ld): %s", from, code, errbuf);
	}
	if (code >= 500 && code < 600)
		return mp_err_set(err, MP_PERM, "relay refused (%ld): %s",
				  code, *errbuf ? errbuf :
				  lc.easy_strerror(rc));
	return mp_err_set(err, MP_TEMP, "%s%s%s", lc.easy_strerror(rc),
			  *errbuf ? ": " : "", errbuf);
}
