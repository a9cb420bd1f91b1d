/*
 * spool.c: durable message files.
 *
 * Postfix may forget a message as soon as `deliver` exits 0, so the bytes
 * must be on disk first: the file is written in tmp/, fsynced, renamed into
 * new/, and new/ itself is fsynced, because a rename is only durable once
 * the directory entry is (the maildir discipline, as in Postfix's
 * local(8) and mblaze's mdeliver).  flock() marks a file being processed,
 * so `run` and a `deliver` never work on one file at the same time.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "spool.h"

#define ENV_MAGIC "MAILPROC-ENVELOPE 1 "

/* Opens dir for a walk: 1 with *d_r, 0 when it does not exist (nothing
 * to walk), -1 with err. */
static int
open_dir(const char *dir, DIR **d_r, struct mp_err *err)
{
	*d_r = opendir(dir);
	if (*d_r != NULL)
		return 1;
	if (errno == ENOENT)
		return 0;
	return mp_err_set(err, MP_TEMP, "cannot read %s: %s", dir,
			  strerror(errno));
}

static int
mkdir_p(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0770) < 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	}
	return 0;
}

int
spool_init(const char *state_dir, struct mp_err *err)
{
	static const char *const subdirs[] = {
		"spool/incoming/tmp", "spool/incoming/new",
		"spool/incoming/cur", "spool/failed",
	};
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, subdirs[i]);
		if (mkdir_p(path) < 0)
			return mp_err_set(err, MP_TEMP, "cannot create %s: %s",
					  path, strerror(errno));
	}
	return 0;
}

static int
fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends s percent-encoded (or "~" if empty) to buf. */
static void
env_encode(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);
	const unsigned char *p;

	if (s == NULL || *s == '\0') {
		snprintf(buf + n, size - n, "~");
		return;
	}
	for (p = (const unsigned char *)s; *p && n + 4 < size; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '%' || *p == '~')
			n += (size_t)snprintf(buf + n, size - n, "%%%02X", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
}

static char *
env_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, n = 0;

	if (out == NULL)
		return NULL;
	if (len == 1 && s[0] == '~')
		len = 0;
	for (i = 0; i < len; i++) {
		unsigned v;
		if (s[i] == '%' && i + 2 < len &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			out[n++] = (char)v;
			i += 2;
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return out;
}

/* The message for spool_receive(): from a file descriptor, or from
 * memory when in is -1. */
struct source {
	int in;
	const char *mem;
	size_t len;
};

/* Gives the next bytes of src: their count, 0 at the end, -1 with errno. */
static ssize_t
source_read(struct source *src, char *buf, size_t size, const char **p_r)
{
	ssize_t n;

	if (src->in < 0) {
		n = (ssize_t)src->len;
		*p_r = src->mem;
		src->mem += src->len;
		src->len = 0;
		return n;
	}
	do
		n = read(src->in, buf, size);
	while (n < 0 && errno == EINTR);
	*p_r = buf;
	return n;
}

static int
receive(const char *state_dir, struct source *src,
	const struct spool_envelope *env, long long max_size,
	char **name_r, int *lock_fd_r, struct mp_err *err)
{
	char name[128], tmp[4096], dst[4096], dir[4096];
	char head[3072], buf[65536];
	struct timeval tv;
	unsigned char rnd[8];
	long long total = 0;
	int fd = -1, blank = 1;
	const char *p;
	ssize_t n;
	size_t i;

	*name_r = NULL;
	*lock_fd_r = -1;
	gettimeofday(&tv, NULL);
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		return mp_err_set(err, MP_TEMP, "no random bytes: %s",
				  strerror(errno));
	snprintf(name, sizeof(name),
		 "%lld.%06ld.%d.%02x%02x%02x%02x%02x%02x%02x%02x",
		 (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(),
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
		 rnd[7]);
	snprintf(tmp, sizeof(tmp), "%s/spool/incoming/tmp/%s", state_dir,
		 name);
	snprintf(dst, sizeof(dst), "%s/spool/incoming/new/%s", state_dir,
		 name);
	snprintf(dir, sizeof(dir), "%s/spool/incoming/new", state_dir);

	/* The directories are made on first use only: making sure of them
	 * for every message costs a dozen system calls. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == ENOENT) {
		if (spool_init(state_dir, err) < 0)
			return -1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	}
	if (fd < 0)
		return mp_err_set(err, MP_TEMP, "cannot create %s: %s", tmp,
				  strerror(errno));
	if (flock(fd, LOCK_EX) < 0)
		goto fail_errno;
	snprintf(head, sizeof(head), "%s", ENV_MAGIC);
	env_encode(head, sizeof(head), env->sender);
	strncat(head, " ", sizeof(head) - strlen(head) - 1);
	env_encode(head, sizeof(head), env->recipient);
	strncat(head, " ", sizeof(head) - strlen(head) - 1);
	env_encode(head, sizeof(head), env->sasl_user);
	strncat(head, "\n", sizeof(head) - strlen(head) - 1);
	if (write_all(fd, head, strlen(head)) < 0)
		goto fail_errno;
	while ((n = source_read(src, buf, sizeof(buf), &p)) != 0) {
		if (n < 0)
			goto fail_errno;
		total += n;
		if (total > max_size) {
			mp_err_set(err, MP_PERM,
				   "message larger than the limit of %lld "
				   "bytes", max_size);
			goto fail;
		}
		if (write_all(fd, p, (size_t)n) < 0)
			goto fail_errno;
		for (i = 0; blank && i < (size_t)n; i++)
			blank = isspace((unsigned char)p[i]);
	}
	if (blank) {
		/* Nothing to file: no header, no text.  Filing it would
		 * open an empty ticket and mail staff about it. */
		mp_err_set(err, MP_PERM, "empty message");
		goto fail;
	}
	if (fsync(fd) < 0)
		goto fail_errno;
	/* A concurrent first delivery may have made tmp/ and not yet new/:
	 * make sure of them all, then once more. */
	if (rename(tmp, dst) < 0 &&
	    (errno != ENOENT || spool_init(state_dir, err) < 0 ||
	     rename(tmp, dst) < 0))
		goto fail_errno;
	if (fsync_dir(dir) < 0) {
		/* The file is in new/ but maybe not durably: take it back so
		 * that Postfix keeps its copy. */
		mp_err_set(err, MP_TEMP, "cannot sync %s: %s", dir,
			   strerror(errno));
		unlink(dst);
		close(fd);
		return -1;
	}
	*name_r = strdup(name);
	if (*name_r == NULL) {
		/* Safely spooled; `run` will process it. */
		close(fd);
		return 0;
	}
	*lock_fd_r = fd;
	return 0;

fail_errno:
	mp_err_set(err, MP_TEMP, "cannot write %s: %s", tmp, strerror(errno));
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

int
spool_receive(const char *state_dir, int in,
	      const struct spool_envelope *env, long long max_size,
	      char **name_r, int *lock_fd_r, struct mp_err *err)
{
	struct source src = { in, NULL, 0 };

	return receive(state_dir, &src, env, max_size, name_r, lock_fd_r,
		       err);
}

int
spool_receive_mem(const char *state_dir, const char *data, size_t len,
		  const struct spool_envelope *env, long long max_size,
		  char **name_r, int *lock_fd_r, struct mp_err *err)
{
	struct source src = { -1, data, len };

	return receive(state_dir, &src, env, max_size, name_r, lock_fd_r,
		       err);
}

void
spool_envelope_release(struct spool_envelope *env)
{
	free(env->sender);
	free(env->recipient);
	free(env->sasl_user);
	env->sender = env->recipient = env->sasl_user = NULL;
}

int
spool_open(const char *state_dir, const char *name, int from_cur,
	   struct spool_envelope *env, int *fd_r, off_t *offset_r,
	   struct mp_err *err)
{
	char path[4096], head[3072];
	char *fields[3], *p, *nl;
	ssize_t n;
	int fd, i;

	memset(env, 0, sizeof(*env));
	snprintf(path, sizeof(path), "%s/spool/incoming/%s/%s", state_dir,
		 from_cur ? "cur" : "new", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mp_err_set(err, errno == ENOENT ? MP_PERM : MP_TEMP,
				  "cannot open %s: %s", path,
				  strerror(errno));
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n < 0) {
		close(fd);
		return mp_err_set(err, MP_TEMP, "cannot read %s: %s", path,
				  strerror(errno));
	}
	head[n] = '\0';
	nl = strchr(head, '\n');
	if (strncmp(head, ENV_MAGIC, strlen(ENV_MAGIC)) != 0 || nl == NULL) {
		/* A plain message dropped in by hand: no envelope. */
		env->sender = strdup("");
		env->recipient = strdup("");
		env->sasl_user = strdup("");
		*offset_r = 0;
	} else {
		*nl = '\0';
		p = head + strlen(ENV_MAGIC);
		for (i = 0; i < 3; i++) {
			size_t len = strcspn(p, " ");
			fields[i] = env_decode(p, len);
			p += len;
			if (*p == ' ')
				p++;
		}
		env->sender = fields[0];
		env->recipient = fields[1];
		env->sasl_user = fields[2];
		*offset_r = nl - head + 1;
	}
	if (env->sender == NULL || env->recipient == NULL ||
	    env->sasl_user == NULL) {
		spool_envelope_release(env);
		close(fd);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	*fd_r = fd;
	return 0;
}

static void
attempts_path(char *buf, size_t size, const char *state_dir,
	      const char *name)
{
	snprintf(buf, size, "%s/spool/incoming/new/.%s.attempts", state_dir,
		 name);
}

int
spool_attempt(const char *state_dir, const char *name, struct mp_err *err)
{
	char path[4400], tmp[4500];
	long n = 0;
	FILE *fp;

	attempts_path(path, sizeof(path), state_dir, name);
	fp = fopen(path, "r");
	if (fp != NULL) {
		if (fscanf(fp, "%ld", &n) != 1 || n < 0)
			n = 0;
		fclose(fp);
	}
	n++;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL || fprintf(fp, "%ld\n", n) < 0 || fflush(fp) != 0 ||
	    fsync(fileno(fp)) < 0) {
		if (fp != NULL)
			fclose(fp);
		unlink(tmp);
		return mp_err_set(err, MP_TEMP, "cannot write %s: %s", tmp,
				  strerror(errno));
	}
	fclose(fp);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return mp_err_set(err, MP_TEMP, "cannot write %s: %s", path,
				  strerror(errno));
	}
	return n > 1000000 ? 1000000 : (int)n;
}

int
spool_done(const char *state_dir, const char *name, struct mp_err *err)
{
	char src[4096], dst[4096];

	snprintf(src, sizeof(src), "%s/spool/incoming/new/%s", state_dir,
		 name);
	snprintf(dst, sizeof(dst), "%s/spool/incoming/cur/%s", state_dir,
		 name);
	if (rename(src, dst) < 0 && errno != ENOENT)
		return mp_err_set(err, MP_TEMP, "cannot move %s to cur/: %s",
				  name, strerror(errno));
	attempts_path(dst, sizeof(dst), state_dir, name);
	unlink(dst);
	return 0;
}

int
spool_fail(const char *state_dir, const char *name, const char *reason,
	   struct mp_err *err)
{
	char src[4096], dst[4096], rpath[4200];
	FILE *fp;

	snprintf(src, sizeof(src), "%s/spool/incoming/new/%s", state_dir,
		 name);
	snprintf(dst, sizeof(dst), "%s/spool/failed/%s", state_dir, name);
	snprintf(rpath, sizeof(rpath), "%s.reason", dst);
	fp = fopen(rpath, "w");
	if (fp == NULL || fprintf(fp, "%s\n", reason) < 0 ||
	    fflush(fp) != 0 || fsync(fileno(fp)) < 0) {
		if (fp != NULL)
			fclose(fp);
		return mp_err_set(err, MP_TEMP, "cannot write %s: %s", rpath,
				  strerror(errno));
	}
	fclose(fp);
	if (rename(src, dst) < 0)
		return mp_err_set(err, MP_TEMP, "cannot move %s to failed/: %s",
				  name, strerror(errno));
	attempts_path(dst, sizeof(dst), state_dir, name);
	unlink(dst);
	return 0;
}

int
spool_each_new(const char *state_dir,
	       int (*fn)(void *ctx, const char *name), void *ctx,
	       struct mp_err *err)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/spool/incoming/new", state_dir);
	if ((rc = open_dir(dir, &d, err)) <= 0)
		return rc;
	rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* taken by someone else meanwhile */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			struct stat st;
			/* Still there after we got the lock? */
			if (stat(path, &st) == 0)
				rc = fn(ctx, de->d_name);
		}
		close(fd);
	}
	closedir(d);
	return rc;
}

int
spool_lock(const char *state_dir, const char *name, int *fd_r,
	   struct mp_err *err)
{
	char path[4400];
	struct stat st;
	int fd;

	*fd_r = -1;
	snprintf(path, sizeof(path), "%s/spool/incoming/new/%s", state_dir,
		 name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return mp_err_set(err, MP_TEMP, "cannot open %s: %s", path,
				  strerror(errno));
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || stat(path, &st) < 0) {
		close(fd);	/* busy, or processed meanwhile */
		return 0;
	}
	*fd_r = fd;
	return 1;
}

int
spool_hash(int fd, off_t offset, char **hex_r, struct mp_err *err)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char buf[65536];
	ssize_t n;

	*hex_r = NULL;
	for (;;) {
		n = pread(fd, buf, sizeof(buf), offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_checksum_update(sum, (const guchar *)buf, (gssize)n);
		offset += n;
	}
	if (n < 0) {
		g_checksum_free(sum);
		return mp_err_set(err, MP_TEMP, "cannot read spool file: %s",
				  strerror(errno));
	}
	*hex_r = strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return *hex_r ? 0 : mp_err_set(err, MP_TEMP, "out of memory");
}

int
spool_runner_lock(const char *state_dir, int *fd_r, struct mp_err *err)
{
	char path[4096];
	int fd;

	*fd_r = -1;
	snprintf(path, sizeof(path), "%s/run.lock", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (fd < 0)
		return mp_err_set(err, MP_TEMP, "cannot open %s: %s", path,
				  strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return 0;
		return mp_err_set(err, MP_TEMP, "cannot lock %s: %s", path,
				  strerror(e));
	}
	*fd_r = fd;
	return 1;
}

int
spool_clean_tmp(const char *state_dir, long max_age, struct mp_err *err)
{
	char dir[4096], path[4400];
	struct dirent *de;
	time_t now = time(NULL);
	DIR *d;
	int n = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/spool/incoming/tmp", state_dir);
	if ((rc = open_dir(dir, &d, err)) <= 0)
		return rc;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || now - st.st_mtime < max_age)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* A live deliver holds its file locked. */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0)
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

int
spool_purge_cur(const char *state_dir, time_t before, struct mp_err *err)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	int n = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/spool/incoming/cur", state_dir);
	if ((rc = open_dir(dir, &d, err)) <= 0)
		return rc;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtime >= before)
			continue;
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	if (n > 0 && fsync_dir(dir) < 0)
		return mp_err_set(err, MP_TEMP, "cannot sync %s: %s", dir,
				  strerror(errno));
	return n;
}

/* Regular files in dir (those ending in skip_suffix not counted) and the
 * oldest mtime among them (0: none). */
static int
count_dir(const char *dir, const char *skip_suffix, long long *n_r,
	  long long *oldest_r, struct mp_err *err)
{
	char path[4400];
	struct dirent *de;
	DIR *d;
	size_t skip = skip_suffix ? strlen(skip_suffix) : 0;
	int rc;

	*n_r = 0;
	*oldest_r = 0;
	if ((rc = open_dir(dir, &d, err)) <= 0)
		return rc;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;

		if (de->d_name[0] == '.' || (skip > 0 && len > skip &&
		    strcmp(de->d_name + len - skip, skip_suffix) == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		(*n_r)++;
		if (*oldest_r == 0 || st.st_mtime < *oldest_r)
			*oldest_r = st.st_mtime;
	}
	closedir(d);
	return 0;
}

int
spool_counts(const char *state_dir, struct spool_counts *c,
	     struct mp_err *err)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/spool/incoming/new", state_dir);
	if (count_dir(dir, NULL, &c->new_count, &c->new_oldest, err) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/spool/failed", state_dir);
	return count_dir(dir, ".reason", &c->failed_count, &c->failed_oldest,
			 err);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name is 64 lower-case hex digits, as msg.c names them. */
static int
sha256_name(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return i == 64;
}

int
spool_purge_attachments(const char *state_dir, time_t before,
			char *const *needed, size_t n_needed,
			struct mp_err *err)
{
	char top[4096], dir[4200], path[4500];
	struct dirent *de, *fe;
	DIR *d, *sub;
	int n = 0;
	int rc;

	snprintf(top, sizeof(top), "%s/attachments", state_dir);
	if ((rc = open_dir(top, &d, err)) <= 0)
		return rc;
	while ((de = readdir(d)) != NULL) {
		int removed = 0;

		if (de->d_name[0] == '.' || strlen(de->d_name) != 2)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", top, de->d_name);
		if ((sub = opendir(dir)) == NULL)
			continue;
		while ((fe = readdir(sub)) != NULL) {
			const char *key = fe->d_name;
			struct stat st;

			if (!sha256_name(fe->d_name) ||
			    strncmp(fe->d_name, de->d_name, 2) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, fe->d_name);
			/* A message filed now renames a fresh copy over
			 * the name (msg.c), so a new mtime means it is
			 * needed again.  XXX: one that lands between this
			 * lstat and the unlink is lost with the old one. */
			if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
			    st.st_mtime >= before ||
			    bsearch(&key, needed, n_needed, sizeof(*needed),
				    cmp_name) != NULL)
				continue;
			if (unlink(path) == 0) {
				n++;
				removed++;
			}
		}
		closedir(sub);
		if (removed > 0 && fsync_dir(dir) < 0) {
			closedir(d);
			return mp_err_set(err, MP_TEMP, "cannot sync %s: %s",
					  dir, strerror(errno));
		}
	}
	closedir(d);
	return n;
}
