/*
 * perm.c: the state directory's permissions, as the running user.
 *
 * Why check before opening anything: SQLite opens a database it can only
 * read without complaint and fails at the first write ("attempt to write
 * a readonly database"), deep inside processing, where `deliver` has
 * already acknowledged the mail.  Asking access(2) first (with the
 * effective ids, AT_EACCESS) turns that into one clear line before the
 * mail is taken, and lets `check-config` report it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perm.h"

void
perm_init(void)
{
	umask(PERM_UMASK);
}

static const char *
user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "uid %ld", (long)uid);
	return buf;
}

static const char *
group_name(gid_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "gid %ld", (long)gid);
	return buf;
}

/* One problem with path for the effective user, and what to do. */
static int
report_access(const char *path, const struct stat *st, const char *need,
	      perm_report_fn *report, void *ctx)
{
	char msg[1024], me[64], owner[64], group[64];

	user_name(geteuid(), me, sizeof(me));
	user_name(st->st_uid, owner, sizeof(owner));
	group_name(st->st_gid, group, sizeof(group));
	if (st->st_uid == geteuid())
		snprintf(msg, sizeof(msg), "%s: not %s by its owner %s (mode "
			 "%04o): chmod u+%s,g+%s it", path, need, me,
			 (unsigned)(st->st_mode & 07777),
			 S_ISDIR(st->st_mode) ? "rwx" : "rw",
			 S_ISDIR(st->st_mode) ? "rwx" : "rw");
	else if (st->st_uid == 0 && geteuid() != 0)
		/* Left by root: the service user must own it again. */
		snprintf(msg, sizeof(msg), "%s: not %s by %s (owner root, "
			 "group %s, mode %04o): chown it to the service user "
			 "and group", path, need, me, group,
			 (unsigned)(st->st_mode & 07777));
	else
		snprintf(msg, sizeof(msg), "%s: not %s by %s (owner %s, group "
			 "%s, mode %04o): run as %s or add %s to group %s; "
			 "the group needs %s (chmod g+%s)", path, need, me,
			 owner, group, (unsigned)(st->st_mode & 07777), owner,
			 me, group, S_ISDIR(st->st_mode) ? "rwx" : "rw",
			 S_ISDIR(st->st_mode) ? "rwx" : "rw");
	report(ctx, msg);
	return 1;
}

/* path, when it exists, must allow mode to the effective user. */
static int
check_path(const char *path, int mode, int want_dir, perm_report_fn *report,
	   void *ctx)
{
	struct stat st;
	char msg[5120];

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		report(ctx, msg);
		return 1;
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		snprintf(msg, sizeof(msg), "%s: not a directory", path);
		report(ctx, msg);
		return 1;
	}
	if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) < 0)
		return report_access(path, &st, want_dir ? "writable" :
				     "readable and writable", report, ctx);
	return 0;
}

int
perm_state_problems(const char *state_dir, enum perm_need need,
		    perm_report_fn *report, void *ctx)
{
	static const char *const dirs[] = {
		"spool", "spool/incoming", "spool/incoming/tmp",
		"spool/incoming/new", "spool/incoming/cur", "spool/failed",
		"attachments",
	};
	static const char *const files[] = {
		"mailproc.db", "mailproc.db-wal", "mailproc.db-shm",
	};
	char path[4096], parent[4096], msg[9216];
	struct stat st;
	int problems = 0;
	size_t i;

	if (stat(state_dir, &st) < 0) {
		if (errno != ENOENT) {
			snprintf(msg, sizeof(msg), "%s: %s", state_dir,
				 strerror(errno));
			report(ctx, msg);
			return 1;
		}
		/* Created at first use: its parent must let us. */
		snprintf(parent, sizeof(parent), "%s", state_dir);
		snprintf(path, sizeof(path), "%s", dirname(parent));
		if (stat(path, &st) < 0) {
			snprintf(msg, sizeof(msg), "%s: does not exist, nor "
				 "does %s", state_dir, path);
			report(ctx, msg);
			return 1;
		}
		if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) < 0) {
			snprintf(msg, sizeof(msg), "%s: does not exist and "
				 "cannot be created in %s: create it (README, "
				 "\"Users and permissions\")", state_dir,
				 path);
			report(ctx, msg);
			return 1;
		}
		return 0;
	}
	problems += check_path(state_dir, W_OK | X_OK, 1, report, ctx);
	for (i = 0; need != PERM_DB && i < sizeof(dirs) / sizeof(*dirs);
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, dirs[i]);
		problems += check_path(path, W_OK | X_OK, 1, report, ctx);
	}
	for (i = 0; need != PERM_SPOOL_ONLY &&
	     i < sizeof(files) / sizeof(*files); i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, files[i]);
		problems += check_path(path, R_OK | W_OK, 0, report, ctx);
	}
	return problems;
}

static void
first_problem(void *ctx, const char *msg)
{
	struct mp_err *err = ctx;

	if (err->kind == MP_OK)
		mp_err_set(err, MP_PERM, "%s", msg);
}

int
perm_state_check(const char *state_dir, enum perm_need need,
		 struct mp_err *err)
{
	struct mp_err first = { 0 };

	if (perm_state_problems(state_dir, need, first_problem, &first) == 0)
		return 0;
	return mp_err_set(err, MP_PERM, "%s", first.msg);
}

int
perm_root_check(const char *state_dir, struct mp_err *err)
{
	struct stat st;
	char owner[64];

	if (geteuid() != 0 || stat(state_dir, &st) < 0 || st.st_uid == 0)
		return 0;
	user_name(st.st_uid, owner, sizeof(owner));
	return mp_err_set(err, MP_PERM, "running as root, but %s belongs to "
			  "%s: run the command as %s (runuser -u %s -- "
			  "mailproc ...), so that no file in it becomes "
			  "root's", state_dir, owner, owner, owner);
}

int
perm_secret_problems(const char *key, const char *path,
		     perm_report_fn *report, void *ctx)
{
	struct stat st;
	char msg[5120];

	if (*path == '\0')
		return 0;
	if (stat(path, &st) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s: %s", key, path,
			 strerror(errno));
		report(ctx, msg);
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "%s: %s: not a regular file", key,
			 path);
		report(ctx, msg);
		return 1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(msg, sizeof(msg), "%s: %s: readable by group or "
			 "others (mode %04o): chmod 600 it", key, path,
			 (unsigned)(st.st_mode & 07777));
		report(ctx, msg);
		return 1;
	}
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0) {
		char me[64];

		snprintf(msg, sizeof(msg), "%s: %s: not readable by %s: "
			 "chown it to the service user", key, path,
			 user_name(geteuid(), me, sizeof(me)));
		report(ctx, msg);
		return 1;
	}
	return 0;
}
