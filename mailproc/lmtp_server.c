/*
 * lmtp_server.c: `mailproc lmtp`, a resident RFC 2033 server.
 *
 * Why resident: a pipe delivery pays for a process start and for loading
 * the rules on every mail; here they are paid once.  The promise is the
 * pipe's: a recipient gets 250 only once its message is in new/ with file
 * and directory fsynced (spool_receive(), as for deliver's exit 0), and
 * 4xx on any failure, so Postfix keeps the mail.  A DATA is kept in the
 * session's memory up to DATA_IN_MEMORY and written once, straight into
 * its spool file: an extra file per message costs an inode, which ext4
 * without a journal allocates slowly soon after others were freed.
 * Processing is not part of the reply: a session hands the spooled name
 * to one processing thread (GMime, the rules and SQLite stay in that
 * thread) and goes on; a mail
 * that fails processing stays in new/ for `run`, as with deliver.  The
 * thread files what is queued in batches of up to PROCESS_BATCH in one
 * SQLite transaction (one WAL fsync for all), and moves a filed message
 * out of new/ only after that commit.
 *
 * Threads: the main thread accepts and handles signals (signalfd); one
 * thread per session, at most lmtp_max_sessions; one processing thread.
 * A configuration "generation" is reference counted, so that a SIGHUP
 * reload never frees settings a session is still using.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "lmtp.h"
#include "lmtp_server.h"
#include "log.h"
#include "spool.h"

/* Recipients per transaction (RFC 5321 4.5.3.1.8 asks for 100). */
#define MAX_RCPT	1000
/* Commands in a row that do not move a transaction on (NOOP, RSET,
 * errors, VRFY...) before the session is closed. */
#define MAX_IDLE_CMDS	100
/* Spooled names waiting for the processing thread; past this they are
 * left in new/ for `run`. */
#define MAX_QUEUE	100000
/* Queued messages filed in one SQLite transaction at most. */
#define PROCESS_BATCH	64
/* A DATA up to this size is kept in memory and written once, into its
 * spool file; a larger one goes through an unlinked scratch file. */
#define DATA_IN_MEMORY	(256 * 1024)

struct gen {
	struct conf conf;
	int refs;			/* under srv.mu */
};

struct item {
	char *name;
	struct gen *g;			/* the state_dir it was spooled in */
	struct item *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;		/* queue, sessions, stop, reload */
	struct gen *cur;
	int sessions;
	int draining, stop;
	int drain_pipe[2];		/* readable once draining */
	struct item *head, *tail;
	long qlen;
	/* a reload prepared by the main thread, for the processor */
	struct gen *next_gen;
	struct ingest *next_in;
	int listen_fd, listen_unix, from_systemd;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} srv = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.drain_pipe = { -1, -1 },
	.listen_fd = -1,
};

static struct gen *
gen_get(void)
{
	struct gen *g;

	pthread_mutex_lock(&srv.mu);
	g = srv.cur;
	g->refs++;
	pthread_mutex_unlock(&srv.mu);
	return g;
}

/* Call with srv.mu held. */
static void
gen_put_locked(struct gen *g)
{
	if (g != NULL && --g->refs == 0) {
		conf_release(&g->conf);
		free(g);
	}
}

static void
gen_put(struct gen *g)
{
	pthread_mutex_lock(&srv.mu);
	gen_put_locked(g);
	pthread_mutex_unlock(&srv.mu);
}

/* --- the processing thread ------------------------------------------- */

static void
enqueue(struct gen *g, const char *name)
{
	struct item *it = malloc(sizeof(*it));

	if (it == NULL || (it->name = strdup(name)) == NULL) {
		free(it);
		return;		/* safe in new/: `run` processes it */
	}
	it->next = NULL;
	pthread_mutex_lock(&srv.mu);
	if (srv.qlen >= MAX_QUEUE) {
		pthread_mutex_unlock(&srv.mu);
		free(it->name);
		free(it);
		return;
	}
	it->g = g;
	g->refs++;
	if (srv.tail != NULL)
		srv.tail->next = it;
	else
		srv.head = it;
	srv.tail = it;
	srv.qlen++;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.mu);
}

/* A message a stopped or killed server left unfiled in new/: queued at
 * start like a new one (`run` may take it first: the lock decides). */
static int
enqueue_left(void *ctx, const char *name)
{
	long *n = ctx;

	enqueue(srv.cur, name);
	(*n)++;
	return 0;
}

struct processor {
	struct gen *g;
	struct ingest *in;
};

/* Files one spooled message.  Returns its lock fd when it is filed and
 * must be moved out of new/ once the batch is committed, else -1. */
static int
process_one(struct ingest *in, const struct gen *pg, const struct item *it)
{
	char why[LOG_VALUE_MAX];
	struct mp_err err = { 0 };
	int fd, rc;

	if (strcmp(it->g->conf.state_dir, pg->conf.state_dir) != 0) {
		log_warning("spool=%s action=retry-later reason=\"state_dir "
			    "changed by a reload, left for run\"", it->name);
		return -1;
	}
	rc = spool_lock(pg->conf.state_dir, it->name, &fd, &err);
	if (rc <= 0) {
		if (rc < 0)
			log_warning("spool=%s action=retry-later reason=%s",
				    it->name, log_quote(why, sizeof(why),
							err.msg));
		return -1;	/* `run` has it, or had it */
	}
	if (ingest_spooled(in, it->name, &err) < 0) {
		ingest_failed(in, it->name, &err);
		close(fd);
		return -1;
	}
	return fd;
}

/* Files a batch of queued messages in one SQLite transaction (one fsync
 * of the WAL for all of them).  A filed message leaves new/ only after
 * the commit, and stays locked until then, so a crash or a failed commit
 * leaves each either filed and gone from new/, or in new/ for `run`. */
static void
process_batch(struct processor *p, struct item *batch, int n)
{
	char why[LOG_VALUE_MAX];
	struct mp_err err = { 0 };
	int fds[PROCESS_BATCH];
	int i, batched = ingest_batch_begin(p->in, &err) == 0;

	if (!batched)	/* one transaction per message, as deliver */
		log_warning("lmtp: action=batch status=failed reason=%s",
			    log_quote(why, sizeof(why), err.msg));
	else		/* "filed" lines only once they are true */
		log_hold();
	for (i = 0; i < n; i++)
		fds[i] = process_one(p->in, p->g, &batch[i]);
	if (batched && ingest_batch_commit(p->in, &err) < 0) {
		log_release(0);
		log_error("lmtp: action=commit status=failed messages=%d "
			  "reason=%s left=new", n,
			  log_quote(why, sizeof(why), err.msg));
		batched = -1;
	} else if (batched) {
		log_release(1);
	}
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (batched == 1 && spool_done(p->g->conf.state_dir,
					       batch[i].name, &err) < 0)
			log_warning("spool=%s action=move-to-cur status=failed "
				    "reason=%s processed=yes", batch[i].name,
				    log_quote(why, sizeof(why), err.msg));
		close(fds[i]);
	}
}

static void *
processor_main(void *arg)
{
	struct processor *p = arg;
	struct item batch[PROCESS_BATCH];

	pthread_mutex_lock(&srv.mu);
	for (;;) {
		int i, n;

		if (srv.next_gen != NULL) {
			struct ingest *old = p->in;
			gen_put_locked(p->g);
			p->g = srv.next_gen;
			p->in = srv.next_in;
			srv.next_gen = NULL;
			srv.next_in = NULL;
			pthread_mutex_unlock(&srv.mu);
			ingest_free(&old);
			pthread_mutex_lock(&srv.mu);
			continue;
		}
		if (srv.stop)
			break;
		if (srv.head == NULL) {
			pthread_cond_wait(&srv.cond, &srv.mu);
			continue;
		}
		for (n = 0; n < PROCESS_BATCH && srv.head != NULL; n++) {
			struct item *it = srv.head;
			srv.head = it->next;
			batch[n] = *it;
			free(it);
			srv.qlen--;
		}
		if (srv.head == NULL)
			srv.tail = NULL;
		pthread_mutex_unlock(&srv.mu);
		process_batch(p, batch, n);
		pthread_mutex_lock(&srv.mu);
		for (i = 0; i < n; i++) {
			free(batch[i].name);
			gen_put_locked(batch[i].g);
		}
	}
	/* Stopped: what is still queued stays in new/ for `run`. */
	while (srv.head != NULL) {
		struct item *it = srv.head;
		srv.head = it->next;
		gen_put_locked(it->g);
		free(it->name);
		free(it);
	}
	srv.tail = NULL;
	srv.qlen = 0;
	pthread_mutex_unlock(&srv.mu);
	return NULL;
}

/* --- sessions ---------------------------------------------------------- */

struct session {
	int fd;
	int trusted;			/* the login header may count */
	struct gen *g;
	char peer[80];
	char rbuf[16384];
	size_t roff, rlen;
	char obuf[8192];
	size_t olen;
	int have_lhlo, have_mail, idle_cmds;
	char sender[LMTP_MAX_ADDR + 1];
	char *rcpt[MAX_RCPT];
	int nrcpt;
	char *data;			/* the DATA while it fits in memory */
	size_t data_len, data_cap;
};

static int
flush_out(struct session *s)
{
	size_t off = 0;

	while (off < s->olen) {
		ssize_t n = send(s->fd, s->obuf + off, s->olen - off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	s->olen = 0;
	return 0;
}

static void reply(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Queues one reply line (CRLF added); sent before the next read. */
static void
reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (s->olen + (size_t)n > sizeof(s->obuf) && flush_out(s) < 0)
		return;
	memcpy(s->obuf + s->olen, line, (size_t)n);
	s->olen += (size_t)n;
}

enum rd { RD_OK, RD_EOF, RD_TIMEOUT, RD_DRAIN, RD_ERR };

/* Reads more bytes into rbuf, after flushing replies.  With watch_drain,
 * a drain wakes it (RD_DRAIN). */
static enum rd
fill(struct session *s, int watch_drain)
{
	struct pollfd pfd[2] = {
		{ s->fd, POLLIN, 0 },
		{ srv.drain_pipe[0], POLLIN, 0 },
	};
	ssize_t n;
	int rc;

	if (flush_out(s) < 0)
		return RD_ERR;
	if (s->roff > 0) {
		memmove(s->rbuf, s->rbuf + s->roff, s->rlen - s->roff);
		s->rlen -= s->roff;
		s->roff = 0;
	}
	if (s->rlen == sizeof(s->rbuf))
		return RD_ERR;	/* callers never let it fill */
	for (;;) {
		rc = poll(pfd, watch_drain ? 2 : 1,
			  (int)(s->g->conf.lmtp_timeout * 1000));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return RD_ERR;
		if (rc == 0)
			return RD_TIMEOUT;
		if (watch_drain && (pfd[1].revents & POLLIN) &&
		    !(pfd[0].revents & POLLIN))
			return RD_DRAIN;
		break;
	}
	n = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, 0);
	if (n < 0)
		return errno == EINTR ? RD_OK : RD_ERR;
	if (n == 0)
		return RD_EOF;
	s->rlen += (size_t)n;
	return RD_OK;
}

/* The next command line (CRLF or LF removed) in *line_r/len_r, pointing
 * into rbuf until the next call.  *too_long_r: the line was longer than
 * LMTP_MAX_LINE and has been skipped. */
static enum rd
read_line(struct session *s, const char **line_r, size_t *len_r,
	  int *too_long_r)
{
	int skipping = 0;

	*too_long_r = 0;
	for (;;) {
		char *start = s->rbuf + s->roff;
		size_t avail = s->rlen - s->roff;
		char *nl = memchr(start, '\n', avail);
		enum rd r;

		if (nl != NULL) {
			size_t len = (size_t)(nl - start);
			s->roff += len + 1;
			if (skipping || len > LMTP_MAX_LINE) {
				*too_long_r = 1;
				return RD_OK;
			}
			if (len > 0 && start[len - 1] == '\r')
				len--;
			*line_r = start;
			*len_r = len;
			return RD_OK;
		}
		if (avail > LMTP_MAX_LINE) {
			skipping = 1;	/* drop what we have, keep reading */
			s->roff = s->rlen;
		}
		/* Pipelined commands are already here: only wait for the
		 * drain when nothing is buffered. */
		r = fill(s, avail == 0 && !skipping);
		if (r != RD_OK)
			return r;
	}
}

static void
reset_tx(struct session *s)
{
	int i;

	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	s->nrcpt = 0;
	s->have_mail = 0;
	s->sender[0] = '\0';
}

/* An unlinked scratch file in the spool's tmp/ for the DATA, so that
 * every recipient's spool file is written from it. */
static int
scratch_open(const char *state_dir)
{
	char dir[4096], path[4200];
	int fd;

	snprintf(dir, sizeof(dir), "%s/spool/incoming/tmp", state_dir);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
			errno != EINVAL))
		return fd;
	snprintf(path, sizeof(path), "%s/.lmtp.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Where a DATA is being received: in memory (s->data) until it outgrows
 * DATA_IN_MEMORY, then in a scratch file. */
struct data_sink {
	int fd;				/* the scratch file, or -1 */
	int write_err;			/* errno of a failed write, or 0 */
};

/* Adds n bytes of the DATA; moves to a scratch file when memory is not
 * enough.  A failure is kept in sink->write_err for the replies. */
static void
data_add(struct session *s, struct data_sink *sink, const char *p,
	 size_t n)
{
	if (sink->write_err || n == 0)
		return;
	if (sink->fd < 0 && s->data_len + n <= DATA_IN_MEMORY) {
		if (s->data_len + n > s->data_cap) {
			size_t cap = s->data_cap ? s->data_cap : 32768;
			char *d;

			while (cap < s->data_len + n)
				cap *= 2;
			if (cap > DATA_IN_MEMORY)
				cap = DATA_IN_MEMORY;
			d = realloc(s->data, cap);
			if (d == NULL) {
				sink->write_err = ENOMEM;
				return;
			}
			s->data = d;
			s->data_cap = cap;
		}
		memcpy(s->data + s->data_len, p, n);
		s->data_len += n;
		return;
	}
	if (sink->fd < 0) {
		sink->fd = scratch_open(s->g->conf.state_dir);
		if (sink->fd < 0 ||
		    write_all(sink->fd, s->data, s->data_len) < 0) {
			sink->write_err = errno;
			return;
		}
		s->data_len = 0;
	}
	if (write_all(sink->fd, p, n) < 0)
		sink->write_err = errno;
}

/* DATA: 354, the message into memory or a scratch file, then one reply
 * per recipient (RFC 2033 4.2).  Returns -1 when the session must end. */
static int
do_data(struct session *s)
{
	char why[LOG_VALUE_MAX];
	const struct conf *c = &s->g->conf;
	struct lmtp_dot dot;
	struct lmtp_hdr hdr;
	struct data_sink sink = { -1, 0 };
	char out[sizeof(s->rbuf) + 1];
	long long total = 0;
	int i;
	const char *login = NULL;
	char safe[LMTP_MAX_ADDR + 8];

	reply(s, "354 end data with <CR><LF>.<CR><LF>");
	s->data_len = 0;
	lmtp_dot_init(&dot);
	lmtp_hdr_init(&hdr, c->lmtp_login_header);
	while (!dot.done) {
		size_t used, olen;

		if (s->roff == s->rlen) {
			enum rd r = fill(s, 0);
			if (r != RD_OK) {
				/* No final dot: nothing was promised. */
				log_warning("lmtp: peer=%s action=data "
					    "status=cut-short reason=%s",
					    log_quote(why, sizeof(why),
						      s->peer),
					    r == RD_TIMEOUT ? "timeout" :
					    "\"connection lost\"");
				if (sink.fd >= 0)
					close(sink.fd);
				return -1;
			}
		}
		used = lmtp_dot_feed(&dot, s->rbuf + s->roff,
				     s->rlen - s->roff, out, &olen);
		s->roff += used;
		total += (long long)olen;
		lmtp_hdr_feed(&hdr, out, olen);
		if (total <= c->max_message_size)
			data_add(s, &sink, out, olen);
	}
	if (s->trusted)
		login = lmtp_hdr_login(&hdr);
	if (hdr.forged > 0 || (!s->trusted && lmtp_hdr_login(&hdr)))
		log_warning("lmtp: peer=%s from=%s header=%s action=ignored "
			    "reason=%s", log_quote(why, sizeof(why), s->peer),
			    log_quote(safe, sizeof(safe), s->sender),
			    c->lmtp_login_header,
			    hdr.forged > 0 ? "\"below Received: written by "
			    "the client\"" : "\"peer not trusted\"");
	if (sink.write_err)
		log_error("lmtp: action=%s status=failed reason=%s",
			  sink.fd >= 0 ? "scratch-file" : "data-buffer",
			  log_quote(why, sizeof(why),
				    strerror(sink.write_err)));
	for (i = 0; i < s->nrcpt; i++) {
		struct spool_envelope env = { s->sender, s->rcpt[i],
					      (char *)(login ? login : "") };
		struct mp_err err = { 0 };
		char *name = NULL;
		int lock_fd = -1, rc;

		if (total > c->max_message_size) {
			reply(s, "552 5.3.4 message larger than the limit of "
			      "%lld bytes", c->max_message_size);
			continue;
		}
		if (sink.write_err) {
			reply(s, "451 4.3.0 cannot store the message now");
			continue;
		}
		if (sink.fd < 0)
			rc = spool_receive_mem(c->state_dir, s->data,
					       s->data_len, &env,
					       c->max_message_size, &name,
					       &lock_fd, &err);
		else if (lseek(sink.fd, 0, SEEK_SET) < 0)
			rc = mp_err_set(&err, MP_TEMP, "%s", strerror(errno));
		else
			rc = spool_receive(c->state_dir, sink.fd, &env,
					   c->max_message_size, &name,
					   &lock_fd, &err);
		if (rc < 0) {
			if (err.kind == MP_PERM) {
				reply(s, "552 5.3.4 %s", err.msg);
				continue;
			}
			log_error("lmtp: rcpt=%s action=spool status=failed "
				  "reason=%s",
				  log_quote(safe, sizeof(safe), s->rcpt[i]),
				  log_quote(why, sizeof(why), err.msg[0] ?
					    err.msg : strerror(errno)));
			reply(s, "451 4.3.0 cannot store the message now");
			continue;
		}
		/* Durable: file and directory fsynced. */
		reply(s, "250 2.0.0 <%s> spooled",
		      log_quote(safe, sizeof(safe), s->rcpt[i]));
		if (name != NULL) {
			if (lock_fd >= 0)
				close(lock_fd);
			enqueue(s->g, name);
			free(name);
		}
	}
	if (sink.fd >= 0)
		close(sink.fd);
	s->data_len = 0;
	reset_tx(s);
	return 0;
}

static int
draining(void)
{
	int d;

	pthread_mutex_lock(&srv.mu);
	d = srv.draining;
	pthread_mutex_unlock(&srv.mu);
	return d;
}

static void
session_run(struct session *s)
{
	const struct conf *c = &s->g->conf;
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	reply(s, "220 %s LMTP mailproc", host);
	for (;;) {
		struct lmtp_cmd cmd;
		const char *line;
		size_t len;
		int too_long;
		enum rd r;

		if (s->idle_cmds >= MAX_IDLE_CMDS) {
			reply(s, "421 4.7.0 too many commands");
			break;
		}
		if (draining()) {
			reply(s, "421 4.3.2 shutting down");
			break;
		}
		r = read_line(s, &line, &len, &too_long);
		if (r == RD_DRAIN) {
			reply(s, "421 4.3.2 shutting down");
			break;
		}
		if (r == RD_TIMEOUT) {
			reply(s, "421 4.4.2 timeout");
			break;
		}
		if (r != RD_OK)
			break;
		s->idle_cmds++;
		if (too_long) {
			reply(s, "500 5.5.2 line too long");
			continue;
		}
		if (draining()) {
			reply(s, "421 4.3.2 shutting down");
			break;
		}
		lmtp_parse(line, len, &cmd);
		if (cmd.syntax == LMTP_BAD_SYNTAX) {
			reply(s, "501 5.5.4 syntax error");
			continue;
		}
		if (cmd.syntax == LMTP_BAD_PARAM) {
			reply(s, "555 5.5.4 unsupported parameter");
			continue;
		}
		switch (cmd.verb) {
		case LMTP_LHLO:
			reset_tx(s);
			s->have_lhlo = 1;
			reply(s, "250-%s", host);
			reply(s, "250-PIPELINING");
			reply(s, "250-ENHANCEDSTATUSCODES");
			reply(s, "250-8BITMIME");
			reply(s, "250 SIZE %lld", c->max_message_size);
			break;
		case LMTP_HELO:
			reply(s, "500 5.5.1 this is LMTP: use LHLO");
			break;
		case LMTP_MAIL:
			if (!s->have_lhlo || s->have_mail) {
				reply(s, "503 5.5.1 %s", s->have_mail ?
				      "nested MAIL" : "LHLO first");
				break;
			}
			if (cmd.size > c->max_message_size) {
				reply(s, "552 5.3.4 message larger than the "
				      "limit of %lld bytes",
				      c->max_message_size);
				break;
			}
			snprintf(s->sender, sizeof(s->sender), "%s",
				 cmd.addr);
			s->have_mail = 1;
			s->idle_cmds = 0;
			reply(s, "250 2.1.0 ok");
			break;
		case LMTP_RCPT:
			if (!s->have_mail) {
				reply(s, "503 5.5.1 MAIL first");
				break;
			}
			if (s->nrcpt >= MAX_RCPT) {
				reply(s, "452 4.5.3 too many recipients");
				break;
			}
			s->rcpt[s->nrcpt] = strdup(cmd.addr);
			if (s->rcpt[s->nrcpt] == NULL) {
				reply(s, "452 4.3.0 out of memory");
				break;
			}
			s->nrcpt++;
			s->idle_cmds = 0;
			reply(s, "250 2.1.5 ok");
			break;
		case LMTP_DATA:
			if (!s->have_mail || s->nrcpt == 0) {
				reply(s, "503 5.5.1 %s", s->have_mail ?
				      "no valid recipients" : "MAIL first");
				break;
			}
			s->idle_cmds = 0;
			if (do_data(s) < 0)
				return;
			break;
		case LMTP_RSET:
			reset_tx(s);
			reply(s, "250 2.0.0 ok");
			break;
		case LMTP_NOOP:
			reply(s, "250 2.0.0 ok");
			break;
		case LMTP_VRFY:
			reply(s, "252 2.5.2 cannot verify");
			break;
		case LMTP_QUIT:
			reply(s, "221 2.0.0 bye");
			flush_out(s);
			return;
		default:
			reply(s, "500 5.5.1 unknown command");
			break;
		}
	}
	flush_out(s);
}

static void *
session_main(void *arg)
{
	struct session *s = arg;

	session_run(s);
	reset_tx(s);
	free(s->data);
	close(s->fd);
	gen_put(s->g);
	free(s);
	pthread_mutex_lock(&srv.mu);
	srv.sessions--;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.mu);
	return NULL;
}

/* --- listening ----------------------------------------------------------- */

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr)
			>> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static int
open_listener(const char *spec, struct mp_err *err)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		struct stat st;
		mode_t old;

		if (strlen(spec + 5) >= sizeof(sun.sun_path) ||
		    spec[5] == '\0')
			return mp_err_set(err, MP_PERM, "bad socket path %s",
					  spec + 5);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
		/* A socket left by a killed server; never another file. */
		if (lstat(sun.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return mp_err_set(err, MP_TEMP, "socket: %s",
					  strerror(errno));
		old = umask(0117);	/* srw-rw----: owner and group */
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			umask(old);
			close(fd);
			return mp_err_set(err, MP_TEMP, "cannot bind %s: %s",
					  sun.sun_path, strerror(errno));
		}
		umask(old);
		snprintf(srv.unix_path, sizeof(srv.unix_path), "%s",
			 sun.sun_path);
		srv.listen_unix = 1;
	} else {
		char host[256], *colon;
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_NUMERICHOST |
						      AI_NUMERICSERV };
		struct addrinfo *ai;
		int one = 1, rc;

		if (strlen(spec) >= sizeof(host))
			return mp_err_set(err, MP_PERM, "bad address %.40s...",
					  spec);
		memcpy(host, spec, strlen(spec) + 1);
		colon = strrchr(host, ':');
		if (colon == NULL)
			return mp_err_set(err, MP_PERM, "bad address %s "
					  "(want unix:PATH or HOST:PORT)",
					  spec);
		*colon = '\0';
		if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
			colon[-1] = '\0';
			memmove(host, host + 1, strlen(host));
		}
		rc = getaddrinfo(host, colon + 1, &hints, &ai);
		if (rc != 0)
			return mp_err_set(err, MP_PERM, "bad address %s: %s",
					  spec, gai_strerror(rc));
		if (!is_loopback(ai->ai_addr)) {
			freeaddrinfo(ai);
			return mp_err_set(err, MP_PERM, "%s is not a loopback "
					  "address", spec);
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			freeaddrinfo(ai);
			return mp_err_set(err, MP_TEMP, "socket: %s",
					  strerror(errno));
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			freeaddrinfo(ai);
			close(fd);
			return mp_err_set(err, MP_TEMP, "cannot bind %s: %s",
					  spec, strerror(errno));
		}
		freeaddrinfo(ai);
		srv.listen_unix = 0;
	}
	if (listen(fd, 128) < 0) {
		close(fd);
		return mp_err_set(err, MP_TEMP, "listen: %s", strerror(errno));
	}
	return fd;
}

/* sd_listen_fds(3) without libsystemd: the socket systemd (or
 * systemd-socket-activate) passes as fd 3 when LISTEN_PID is us; -1 with
 * err clear when nothing was passed, -1 with err set when what was passed
 * is not a listening stream socket.  Only the first of several is used. */
static int
systemd_listener(struct mp_err *err)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, listening = 0;
	socklen_t olen = sizeof(int);

	if (pid == NULL || n == NULL || atol(pid) != (long)getpid() ||
	    atoi(n) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockname(3, (struct sockaddr *)&ss, &len) < 0 ||
	    getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 ||
	    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		       &olen) < 0 || type != SOCK_STREAM || !listening)
		return mp_err_set(err, MP_PERM, "LISTEN_FDS: fd 3 is not a "
				  "listening stream socket (Accept=no, "
				  "ListenStream= in the .socket unit)");
	srv.listen_unix = ss.ss_family == AF_UNIX;
	srv.from_systemd = 1;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static void
accept_one(void)
{
	char why[LOG_VALUE_MAX];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct session *s;
	struct timeval tv;
	pthread_attr_t attr;
	pthread_t t;
	int fd, full;

	fd = accept4(srv.listen_fd, (struct sockaddr *)&ss, &len,
		     SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pthread_mutex_lock(&srv.mu);
	full = srv.sessions >= srv.cur->conf.lmtp_max_sessions;
	if (!full)
		srv.sessions++;
	pthread_mutex_unlock(&srv.mu);
	if (full) {
		static const char busy[] = "421 4.3.2 too many sessions\r\n";
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL |
			 MSG_DONTWAIT) < 0) {
			/* closing anyway */
		}
		close(fd);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->fd = fd;
	s->g = gen_get();
	if (ss.ss_family == AF_UNIX) {
		s->trusted = 1;
		snprintf(s->peer, sizeof(s->peer), "unix");
	} else {
		char h[INET6_ADDRSTRLEN] = "?";
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)
				  ->sin_addr, h, sizeof(h));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)
				  ->sin6_addr, h, sizeof(h));
		snprintf(s->peer, sizeof(s->peer), "%s", h);
		s->trusted = strcmp(s->g->conf.lmtp_trust_tcp, "yes") == 0;
	}
	/* Slow writers are bounded by poll(); slow readers by this. */
	tv.tv_sec = s->g->conf.lmtp_timeout;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, session_main, s) != 0) {
		pthread_attr_destroy(&attr);
		gen_put(s->g);
		free(s);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	return;

fail:
	log_error("lmtp: action=session status=failed reason=%s",
		  log_quote(why, sizeof(why), strerror(errno)));
	close(fd);
	pthread_mutex_lock(&srv.mu);
	srv.sessions--;
	pthread_mutex_unlock(&srv.mu);
}

/* SIGHUP: a new configuration, rules, model and database connection,
 * all checked before they replace the old ones. */
static void
reload(void)
{
	char why[LOG_VALUE_MAX];
	struct mp_err err = { 0 };
	struct gen *g = calloc(1, sizeof(*g));
	struct ingest *in = NULL;
	const struct conf *old = &srv.cur->conf;

	if (g == NULL) {
		log_error("lmtp: reload refused: out of memory");
		return;
	}
	if (conf_load(&g->conf, old->top, old->path, &err) < 0) {
		log_error("lmtp: action=reload status=refused kept=configuration "
			  "reason=%s", log_quote(why, sizeof(why), err.msg));
		conf_release(&g->conf);
		free(g);
		return;
	}
	g->refs = 1;
	if (spool_init(g->conf.state_dir, &err) < 0 ||
	    ingest_new(&in, &g->conf, &err) < 0 ||
	    ingest_prepare(in, &err) < 0) {
		log_error("lmtp: action=reload status=refused "
			  "kept=configuration,rules,model reason=%s",
			  log_quote(why, sizeof(why), err.msg));
		ingest_free(&in);
		conf_release(&g->conf);
		free(g);
		return;
	}
	pthread_mutex_lock(&srv.mu);
	/* A reload the processor has not taken yet is replaced. */
	if (srv.next_gen != NULL) {
		ingest_free(&srv.next_in);
		gen_put_locked(srv.next_gen);
	}
	g->refs++;			/* one for srv.cur, one for the
					 * processor */
	srv.next_gen = g;
	srv.next_in = in;
	gen_put_locked(srv.cur);
	srv.cur = g;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.mu);
	log_info("lmtp: reloaded configuration, rules and model");
}

int
lmtp_serve(struct conf *conf, const char *listen_spec, struct mp_err *err)
{
	char why[LOG_VALUE_MAX];
	struct processor proc = { 0 };
	struct gen *g;
	sigset_t mask;
	pthread_t pt;
	struct mp_err sderr;
	char spec[4200];
	int sfd, rc = -1;
	long left;
	struct timespec until;

	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	/* The generations own copies: reload them from the same file. */
	if (conf_load(&g->conf, conf->top, conf->path, err) < 0) {
		conf_release(&g->conf);
		free(g);
		return -1;
	}
	g->refs = 2;		/* srv.cur and the processor */
	srv.cur = g;
	if (spool_init(g->conf.state_dir, err) < 0)
		goto out_gen;
	if (ingest_new(&proc.in, &g->conf, err) < 0)
		goto out_gen;
	if (ingest_prepare(proc.in, err) < 0)
		/* Like deliver: mail is still spooled and waits in new/. */
		log_crit("lmtp: action=process status=unusable spool=kept "
			 "reason=%s", log_quote(why, sizeof(why), err->msg));
	proc.g = g;

	if (listen_spec == NULL || *listen_spec == '\0')
		listen_spec = g->conf.lmtp_listen;
	if (*listen_spec == '\0') {
		snprintf(spec, sizeof(spec), "unix:%s/lmtp.sock",
			 g->conf.state_dir);
		listen_spec = spec;
	}
	memset(&sderr, 0, sizeof(sderr));
	srv.listen_fd = systemd_listener(&sderr);
	if (sderr.msg[0] != '\0')
		*err = sderr;
	else if (srv.listen_fd < 0)
		srv.listen_fd = open_listener(listen_spec, err);
	if (srv.from_systemd)
		listen_spec = "the socket systemd passed (LISTEN_FDS)";
	if (srv.listen_fd < 0)
		goto out_in;
	if (pipe2(srv.drain_pipe, O_CLOEXEC) < 0) {
		mp_err_set(err, MP_TEMP, "pipe: %s", strerror(errno));
		goto out_listen;
	}

	/* Signals go to the main thread only, through a signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		mp_err_set(err, MP_TEMP, "signalfd: %s", strerror(errno));
		goto out_pipe;
	}
	if (pthread_create(&pt, NULL, processor_main, &proc) != 0) {
		mp_err_set(err, MP_TEMP, "cannot start the processing "
			   "thread");
		close(sfd);
		goto out_pipe;
	}
	left = 0;
	memset(&sderr, 0, sizeof(sderr));
	if (spool_each_new(g->conf.state_dir, enqueue_left, &left,
			   &sderr) < 0)
		log_warning("lmtp: action=pickup status=failed reason=%s",
			    log_quote(why, sizeof(why), sderr.msg));
	else if (left > 0)
		log_info("lmtp: action=pickup messages=%ld from=new", left);
	log_info("lmtp: action=listen listen=%s max_sessions=%ld",
		 log_quote(why, sizeof(why), srv.listen_unix &&
			   srv.unix_path[0] ? srv.unix_path : listen_spec),
		 g->conf.lmtp_max_sessions);

	for (;;) {
		struct pollfd pfd[2] = {
			{ sfd, POLLIN, 0 },
			{ srv.listen_fd, POLLIN, 0 },
		};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("lmtp: action=poll status=failed reason=%s",
				  log_quote(why, sizeof(why),
					    strerror(errno)));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload();
					continue;
				}
				break;	/* SIGTERM, SIGINT */
			}
		}
		if (pfd[1].revents & POLLIN)
			accept_one();
	}

	/* Drain: no new sessions; idle ones get 421 at once (the pipe
	 * wakes them); a DATA under way is finished and answered. */
	log_info("lmtp: draining %d session(s)", srv.sessions);
	close(srv.listen_fd);
	srv.listen_fd = -1;
	if (srv.unix_path[0])
		unlink(srv.unix_path);
	pthread_mutex_lock(&srv.mu);
	srv.draining = 1;
	pthread_mutex_unlock(&srv.mu);
	if (write(srv.drain_pipe[1], "x", 1) < 0)
		log_error("lmtp: action=drain status=failed reason=%s",
			  log_quote(why, sizeof(why), strerror(errno)));
	clock_gettime(CLOCK_REALTIME, &until);
	pthread_mutex_lock(&srv.mu);
	/* g may be gone after a reload: srv.cur is current. */
	until.tv_sec += srv.cur->conf.lmtp_timeout + 5;
	while (srv.sessions > 0)
		if (pthread_cond_timedwait(&srv.cond, &srv.mu, &until) ==
		    ETIMEDOUT)
			break;
	/* The processor finishes the message it is on; the rest stays in
	 * new/ for `run`. */
	srv.stop = 1;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.mu);
	pthread_join(pt, NULL);
	close(sfd);
	log_info("lmtp: stopped");
	rc = 0;
	if (srv.sessions > 0)
		/* Stuck sessions still use their generation: leave it. */
		return rc;
	ingest_free(&proc.in);
	ingest_free(&srv.next_in);
	pthread_mutex_lock(&srv.mu);
	gen_put_locked(proc.g);
	gen_put_locked(srv.next_gen);
	gen_put_locked(srv.cur);
	srv.cur = NULL;
	pthread_mutex_unlock(&srv.mu);
	close(srv.drain_pipe[0]);
	close(srv.drain_pipe[1]);
	return rc;

out_pipe:
	close(srv.drain_pipe[0]);
	close(srv.drain_pipe[1]);
out_listen:
	close(srv.listen_fd);
	if (srv.unix_path[0])
		unlink(srv.unix_path);
out_in:
	ingest_free(&proc.in);
out_gen:
	conf_release(&g->conf);
	free(g);
	srv.cur = NULL;
	return -1;
}
