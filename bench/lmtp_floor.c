/*
 * lmtp_floor: the durable-write limit of an LMTP server (SPEC §13's
 * `lmtp_floor`).  Speaks just enough RFC 2033 for bench/lmtpload.py (LHLO,
 * MAIL, RCPT, DATA, RSET, NOOP, QUIT; one thread per session) and does
 * nothing with a message but what mailproc must do before its 250: write
 * it to DIR/tmp, fsync, rename into DIR/new, fsync DIR/new.  The DATA is
 * decoded by mailproc's own lmtp_dot_feed(), so both pay the same there.
 *
 *     lmtp_floor unix:PATH DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lmtp.h"

static const char *dir;
static unsigned long seq;
static pthread_mutex_t seq_mu = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	int fd;
	char buf[16384];
	size_t off, len;
};

static int
fill(struct conn *c)
{
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	return 0;
}

static int
line(struct conn *c, char *out, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl != NULL) {
			size_t n = (size_t)(nl - (c->buf + c->off));
			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= size)
				n = size - 1;
			memcpy(out, c->buf + c->off, n);
			out[n] = '\0';
			c->off = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->len - c->off >= sizeof(c->buf) - 1)
			return -1;
		if (fill(c) < 0)
			return -1;
	}
}

static void
say(struct conn *c, const char *s)
{
	if (send(c->fd, s, strlen(s), MSG_NOSIGNAL) < 0) {
		/* the read fails next */
	}
}

/* Receives the DATA into a durable file; 0 or -1. */
static int
data(struct conn *c)
{
	char tmp[4096], dst[4096], nd[4096], out[sizeof(c->buf) + 1];
	struct lmtp_dot d;
	unsigned long n;
	int fd, dfd, ok = 1;

	pthread_mutex_lock(&seq_mu);
	n = seq++;
	pthread_mutex_unlock(&seq_mu);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%d.%lu", dir, (int)getpid(), n);
	snprintf(dst, sizeof(dst), "%s/new/%d.%lu", dir, (int)getpid(), n);
	snprintf(nd, sizeof(nd), "%s/new", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		ok = 0;
	say(c, "354 go ahead\r\n");
	lmtp_dot_init(&d);
	while (!d.done) {
		size_t used, olen;
		if (c->off == c->len && fill(c) < 0) {
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			return -1;
		}
		used = lmtp_dot_feed(&d, c->buf + c->off, c->len - c->off,
				     out, &olen);
		c->off += used;
		if (ok && write(fd, out, olen) != (ssize_t)olen)
			ok = 0;
	}
	if (ok && fsync(fd) < 0)
		ok = 0;
	if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, dst) < 0)
		ok = 0;
	if (ok) {
		dfd = open(nd, O_RDONLY | O_DIRECTORY);
		if (dfd < 0 || fsync(dfd) < 0)
			ok = 0;
		if (dfd >= 0)
			close(dfd);
	}
	if (!ok)
		unlink(tmp);
	say(c, ok ? "250 2.0.0 ok\r\n" : "451 4.3.0 failed\r\n");
	return 0;
}

static void *
session(void *arg)
{
	struct conn *c = arg;
	char l[2048];

	say(c, "220 lmtp_floor\r\n");
	while (line(c, l, sizeof(l)) == 0) {
		if (strncasecmp(l, "LHLO", 4) == 0)
			say(c, "250-lmtp_floor\r\n250 PIPELINING\r\n");
		else if (strncasecmp(l, "DATA", 4) == 0) {
			if (data(c) < 0)
				break;
		} else if (strncasecmp(l, "QUIT", 4) == 0) {
			say(c, "221 bye\r\n");
			break;
		} else
			say(c, "250 ok\r\n");	/* MAIL RCPT RSET NOOP */
	}
	close(c->fd);
	free(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[4096];
	int lfd;

	if (argc != 3 || strncmp(argv[1], "unix:", 5) != 0) {
		fprintf(stderr, "usage: lmtp_floor unix:PATH DIR\n");
		return 64;
	}
	dir = argv[2];
	snprintf(path, sizeof(path), "%s/tmp", dir);
	mkdir(dir, 0750);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/new", dir);
	mkdir(path, 0750);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1] + 5);
	unlink(sun.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("lmtp_floor: listen");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct conn *c;
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		if (pthread_create(&t, NULL, session, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
