/*
 * outbox.c: talking SMTP through libcurl.
 *
 * One easy handle lives as long as the runner, so libcurl keeps the SMTP
 * connection open between mails.  Every step has a timeout: a relay that
 * hangs must not hang the runner.  Credentials go over TLS only: with
 * smtp_user set, STARTTLS is required unless the relay is on loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "outbox.h"

struct outbox {
	CURL *curl;
	const struct conf *conf;
	char *password;
};

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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
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
	ob->curl = curl_easy_init();
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
	curl_easy_cleanup(ob->curl);
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

	snprintf(from, sizeof(from), "<%s>", env_from ? env_from : "");
	snprintf(rcptbuf, sizeof(rcptbuf), "<%s>", to);
	rcpt = curl_slist_append(NULL, rcptbuf);
	if (rcpt == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->smtp_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->smtp_timeout * 4);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->smtp_timeout);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (*c->smtp_user != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
				 ob->password ? ob->password : "");
		curl_easy_setopt(h, CURLOPT_USE_SSL,
				 is_loopback_url(c->smtp_url) ?
				 (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	} else {
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return 0;
	if (code >= 500 && code < 600)
		return mp_err_set(err, MP_PERM, "relay refused (%ld): %s",
				  code, *errbuf ? errbuf :
				  curl_easy_strerror(rc));
	return mp_err_set(err, MP_TEMP, "%s%s%s", curl_easy_strerror(rc),
			  *errbuf ? ": " : "", errbuf);
}
