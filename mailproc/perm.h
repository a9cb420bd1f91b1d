/*
 * Users and permissions.  Owns the umask, the check that the running user
 * can write the state directory (what `check-config` and every command
 * that opens the database ask before they start), the refusal to leave
 * root-owned state behind, and the secrecy of password files.  Knows
 * nothing of SQLite or the spool's formats: only paths and modes.
 *
 * The modes (README, "Users and permissions"): the state directory is
 * owned by the service user and its group, mode 2770 (setgid, so what is
 * created inside keeps the group); mailproc runs with umask 007, creates
 * mailproc.db 0660 (SQLite gives -wal and -shm the database's mode) and
 * spool directories 0770, so staff in the group can use the CLI.
 */
#ifndef MP_PERM_H
#define MP_PERM_H

#include "err.h"

/* The umask every mailproc process runs with: group keeps rw, others
 * nothing. */
#define PERM_UMASK 007

/* Sets PERM_UMASK. */
void perm_init(void);

/* Called once per problem with a one-line message naming the path and
 * what to do about it. */
typedef void perm_report_fn(void *ctx, const char *msg);

/* What a command needs of the state dir. */
enum perm_need {
	PERM_DB = 1,		/* the database (the CLI) */
	PERM_SPOOL,		/* and the spool (lmtp, fetch) */
	PERM_SPOOL_ONLY,	/* the spool, not the database (deliver,
				 * run: they keep mail safe and raise an
				 * alarm when the database is unusable) */
};

/* Checks, as the effective user, that state_dir (or, while it does not
 * exist, its parent) can be written, that the database files already in
 * it can be read and written and, for PERM_SPOOL, the spool directories
 * too.  Calls report once per problem and returns how many. */
int perm_state_problems(const char *state_dir, enum perm_need need,
			perm_report_fn *report, void *ctx);

/* The same check for a command about to start: 0, or -1 with err
 * (MP_PERM) holding the first problem. */
int perm_state_check(const char *state_dir, enum perm_need need,
		     struct mp_err *err);

/* Whether this is root about to work in a state directory that belongs
 * to another user, where every file it created would be root's: 0 (not
 * root, or the directory is root's or absent), or -1 with err (MP_PERM)
 * naming the user to run as. */
int perm_root_check(const char *state_dir, struct mp_err *err);

/* check-config: a password file (key names it in messages) must exist,
 * be readable by the effective user and by nobody in its group or
 * others.  Calls report once per problem and returns how many. */
int perm_secret_problems(const char *key, const char *path,
			 perm_report_fn *report, void *ctx);

#endif
