/*
 * alarm.c: causes recorded in state_dir/alarms/ and announced once.
 *
 * Why files and not the database: the alarm that matters most is the
 * database refusing writes, so the record of it cannot live there.  The
 * first process to meet a cause creates its file with O_EXCL, which
 * makes "who raised it" race-free between parallel delivers; later ones
 * only append a line (the count).  The notice is mailed by `run`, never
 * by `deliver` (SPEC §0: sending is the runner's job), straight through
 * the SMTP submission without an outbox row.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "clock.h"
#include "log.h"
#include "msgbuild.h"

#define ALARM_MAX_BYTES 65536	/* stop counting lines past this */

static int
alarm_path(char *buf, size_t size, const char *state_dir, const char *cause,
	   const char *suffix)
{
	int n = snprintf(buf, size, "%s/alarms/%s%s", state_dir, cause,
			 suffix);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
alarm_raise(const char *state_dir, const char *cause, const char *detail)
{
	char path[4096], sent[4096], line[640];
	struct stat st;
	int fd, raised = 1, n;

	log_crit("alarm=%s status=critical action=mail-not-filed reason=%s",
		 cause, log_quote(line, sizeof(line), detail));
	if (alarm_path(path, sizeof(path), state_dir, "", "") < 0 ||
	    alarm_path(sent, sizeof(sent), state_dir, cause, ".sent") < 0)
		return -1;
	if (mkdir(path, 0770) < 0 && errno != EEXIST)
		goto fail;
	alarm_path(path, sizeof(path), state_dir, cause, "");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	if (fd >= 0) {
		/* A new occurrence: a mark left from an old one must not
		 * keep it from being announced. */
		(void)unlink(sent);
	} else if (errno == EEXIST) {
		raised = 0;
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    st.st_size > ALARM_MAX_BYTES) {
			close(fd);
			return 0;
		}
	}
	if (fd < 0)
		goto fail;
	n = snprintf(line, sizeof(line), "%lld %.500s\n",
		     (long long)clock_now(), detail);
	if (n > 0 && write(fd, line, strlen(line)) < 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	return raised;
fail:
	log_crit("alarm=%s status=unrecorded reason=%s", cause,
		 log_quote(line, sizeof(line), strerror(errno)));
	return -1;
}

int
alarm_is_database(const struct mp_err *err)
{
	static const char *const signs[] = {
		"readonly database", "database: cannot open",
		"disk is full", "disk I/O error", "unable to open database",
	};
	size_t i;

	if (strncmp(err->msg, "database:", 9) != 0)
		return 0;
	for (i = 0; i < sizeof(signs) / sizeof(*signs); i++)
		if (strstr(err->msg, signs[i]) != NULL)
			return 1;
	return 0;
}

void
alarm_resolved(const char *state_dir, const char *cause)
{
	char path[4096], sent[4096];

	if (alarm_path(sent, sizeof(sent), state_dir, cause, ".sent") < 0 ||
	    alarm_path(path, sizeof(path), state_dir, cause, "") < 0 ||
	    access(sent, F_OK) < 0)
		return;
	/* The mark first: a crash between the two leaves a cause that is
	 * announced again, never one that is silenced. */
	(void)unlink(sent);
	if (unlink(path) == 0)
		log_info("alarm=%s status=resolved", cause);
}

/* The first line's time and detail, and how many lines (occurrences). */
static int
alarm_read(const char *path, long long *first_r, char *detail, size_t size,
	   int *count_r)
{
	char line[1024];
	FILE *fp = fopen(path, "re");

	*count_r = 0;
	*first_r = 0;
	detail[0] = '\0';
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (*count_r == 0) {
			char *sp = strchr(line, ' ');

			*first_r = atoll(line);
			snprintf(detail, size, "%s", sp ? sp + 1 : "");
			detail[strcspn(detail, "\n")] = '\0';
		}
		if (strchr(line, '\n') != NULL)
			(*count_r)++;
	}
	fclose(fp);
	return 0;
}

static int
notify_one(const struct conf *conf, struct outbox *ob, const char *cause,
	   const char *path, struct mp_err *err)
{
	struct msgbuild b = { 0 };
	char detail[600], body[8192], subject[384], when[64], *tmp, *tok;
	char *save = NULL, *raw = NULL, *msgid = NULL;
	const char *at = strrchr(conf->support_address, '@');
	long long first;
	size_t len;
	int count, rc = 0;
	time_t t;

	if (alarm_read(path, &first, detail, sizeof(detail), &count) < 0)
		return mp_err_set(err, MP_TEMP, "%s: %s", path,
				  strerror(errno));
	t = (time_t)first;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	snprintf(subject, sizeof(subject), "mailproc: CRITICAL: incoming "
		 "mail is not being filed (%s)", cause);
	snprintf(body, sizeof(body),
		 "mailproc cannot file incoming mail into its database:\n\n"
		 "  %s\n\n"
		 "First seen %s; %d occurrence%s so far.\n\n"
		 "Nothing is lost: each message stays in\n"
		 "%s/spool/incoming/new/, and `mailproc run` files it once\n"
		 "this is fixed.  No ticket is opened and no acknowledgement\n"
		 "goes out until then.  `mailproc check-config`, run as the\n"
		 "service user, says what to fix.\n\n"
		 "This notice is sent once for this cause; every occurrence\n"
		 "is logged at LOG_CRIT (alarm=%s).\n",
		 detail, when, count, count == 1 ? "" : "s", conf->state_dir,
		 cause);
	b.from_addr = conf->support_address;
	b.subject = subject;
	b.body = body;
	b.charset = "utf-8";
	b.automatic = 1;
	b.generated = 1;
	b.notice = "alarm";
	b.domain = at != NULL ? at + 1 : "localhost";
	b.date = clock_now();
	b.timezone = conf->timezone;
	if ((tmp = strdup(conf->staff_addresses)) == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	for (tok = strtok_r(tmp, " ,\t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		b.to_addr = tok;
		rc = msgbuild_make(&b, &raw, &len, &msgid, err);
		if (rc == 0)
			rc = outbox_send(ob, conf->support_address, tok, raw,
					 len, err);
		free(raw);
		free(msgid);
		raw = msgid = NULL;
	}
	free(tmp);
	return rc;
}

struct notify_ctx {
	const struct conf *conf;
	struct outbox *ob;
	struct mp_err *err;
	int told;
};

static int
notify_each(void *ctx, const char *cause, int told)
{
	struct notify_ctx *n = ctx;
	char path[4096], sent[4096];
	int fd;

	if (told)
		return 0;
	if (alarm_path(path, sizeof(path), n->conf->state_dir, cause, "") < 0 ||
	    alarm_path(sent, sizeof(sent), n->conf->state_dir, cause,
		       ".sent") < 0)
		return 0;
	if (notify_one(n->conf, n->ob, cause, path, n->err) < 0)
		return -1;
	fd = open(sent, O_WRONLY | O_CREAT | O_CLOEXEC, 0660);
	if (fd >= 0)
		close(fd);
	log_info("alarm=%s action=staff-notice status=sent", cause);
	n->told++;
	return 0;
}

int
alarm_notify(const struct conf *conf, struct outbox *ob, struct mp_err *err)
{
	struct notify_ctx n = { conf, ob, err, 0 };

	if (alarm_each(conf->state_dir, notify_each, &n, err) < 0)
		return -1;
	return n.told;
}

int
alarm_each(const char *state_dir,
	   int (*fn)(void *ctx, const char *cause, int told), void *ctx,
	   struct mp_err *err)
{
	char dir[4096], sent[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (alarm_path(dir, sizeof(dir), state_dir, "", "") < 0)
		return mp_err_set(err, MP_PERM, "state_dir: path too long");
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : mp_err_set(err, MP_TEMP, "%s: %s",
							dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strchr(de->d_name, '.') != NULL ||
		    alarm_path(sent, sizeof(sent), state_dir, de->d_name,
			       ".sent") < 0)
			continue;
		if (fn(ctx, de->d_name, access(sent, F_OK) == 0) < 0) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return n;
}
