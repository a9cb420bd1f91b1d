/*
 * The incoming spool: state_dir/spool/incoming/{tmp,new,cur} and
 * state_dir/spool/failed.  Owns durable, atomic message files and their
 * envelope; knows nothing of MIME, tickets or the database.
 *
 * A spool file starts with one envelope line
 *     MAILPROC-ENVELOPE 1 <sender> <recipient> <sasl-user>\n
 * (each field percent-encoded, "~" for empty), then the message exactly as
 * received.  A file in new/ is "safe but not processed yet".
 */
#ifndef MP_SPOOL_H
#define MP_SPOOL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

struct spool_envelope {
	char *sender;		/* may be "" (null sender) */
	char *recipient;
	char *sasl_user;
};

/* Creates the spool directories under state_dir if missing. */
int spool_init(const char *state_dir, struct mp_err *err);

/* Streams fd into tmp/, fsyncs it, renames it into new/ and fsyncs new/.
 * The file stays locked (flock) through *lock_fd_r until the caller closes
 * it, so that `run` leaves it alone while this process handles it.
 * *name_r is the new file name (caller frees).  A message over max_size,
 * or an empty one (no bytes, or only white space), fails with MP_PERM and
 * leaves nothing behind; every other failure is
 * MP_TEMP and leaves nothing behind either. */
int spool_receive(const char *state_dir, int fd,
		  const struct spool_envelope *env, long long max_size,
		  char **name_r, int *lock_fd_r, struct mp_err *err);

/* The same for a message already in memory (len bytes at data). */
int spool_receive_mem(const char *state_dir, const char *data, size_t len,
		      const struct spool_envelope *env, long long max_size,
		      char **name_r, int *lock_fd_r, struct mp_err *err);

/* Opens new/name (or cur/name when from_cur) for reading, reads its
 * envelope into env (caller releases with spool_envelope_release()) and
 * returns the fd in *fd_r positioned anywhere, with the offset where the
 * message starts in *offset_r. */
int spool_open(const char *state_dir, const char *name, int from_cur,
	       struct spool_envelope *env, int *fd_r, off_t *offset_r,
	       struct mp_err *err);

/* Computes the SHA-256 (hex, new string in *hex_r) of the message part of
 * an open spool file, from offset to the end. */
int spool_hash(int fd, off_t offset, char **hex_r, struct mp_err *err);

void spool_envelope_release(struct spool_envelope *env);

/* Moves new/name to cur/name: the message has been processed. */
int spool_done(const char *state_dir, const char *name, struct mp_err *err);

/* Counts one more failed attempt at new/name in its side file
 * new/.name.attempts (dot names are never walked as mail) and returns the
 * count so far, at least 1; -1 with err when the count cannot be kept.
 * spool_done() and spool_fail() remove the side file. */
int spool_attempt(const char *state_dir, const char *name,
		  struct mp_err *err);

/* Moves new/name to failed/name and writes failed/name.reason. */
int spool_fail(const char *state_dir, const char *name, const char *reason,
	       struct mp_err *err);

/* Calls fn for each file in new/ that no other process holds locked,
 * with the file locked for the duration of the call.  Stops early and
 * returns -1 if fn returns -1. */
int spool_each_new(const char *state_dir,
		   int (*fn)(void *ctx, const char *name), void *ctx,
		   struct mp_err *err);

/* Opens new/name and locks it without waiting: 1 with the lock held
 * through *fd_r (closing it releases), 0 when the file is gone or another
 * process holds it (`run` got there first), -1 on error. */
int spool_lock(const char *state_dir, const char *name, int *fd_r,
	       struct mp_err *err);

/* Takes the runner's lock, state_dir/run.lock, without waiting: 1 with
 * the lock held through *fd_r (closing it releases), 0 when another
 * runner holds it, -1 on error. */
int spool_runner_lock(const char *state_dir, int *fd_r, struct mp_err *err);

/* Removes files that a killed `deliver` left in tmp/: older than max_age
 * seconds and locked by no one.  Such a message was never acknowledged
 * to Postfix, which delivers it again.  Returns how many, or -1. */
int spool_clean_tmp(const char *state_dir, long max_age, struct mp_err *err);

/* Retention (`purge`): removes the processed raw messages in cur/ that
 * were received (mtime) before `before`.  The database keeps what was
 * parsed from them; new/ and failed/ are never touched.  Returns how
 * many, or -1. */
int spool_purge_cur(const char *state_dir, time_t before,
		    struct mp_err *err);

/* Retention of the attachments in state_dir/attachments/ab/abcd...
 * (named by SHA-256, one file for every message that carries the same
 * content): removes those stored (mtime) before `before` whose name is
 * not in needed (n_needed names, sorted with strcmp: what a live ticket
 * still needs).  Returns how many, or -1. */
int spool_purge_attachments(const char *state_dir, time_t before,
			    char *const *needed, size_t n_needed,
			    struct mp_err *err);

/* For `stats`: the messages waiting in new/ and those in failed/ (the
 * .reason files not counted), each with the oldest one's mtime (0 when
 * there is none). */
struct spool_counts {
	long long new_count, new_oldest;
	long long failed_count, failed_oldest;
};
int spool_counts(const char *state_dir, struct spool_counts *c,
		 struct mp_err *err);

#endif
