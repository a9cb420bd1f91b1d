/*
 * Error reports passed up from where a failure happens to the command that
 * decides the exit code.  A function that fails fills the caller's
 * struct mp_err with whether a retry may succeed (MP_TEMP) or not
 * (MP_PERM) and a one-line reason, then returns -1.
 */
#ifndef MP_ERR_H
#define MP_ERR_H

enum mp_err_kind {
	MP_OK = 0,
	MP_TEMP,	/* a retry may succeed: lock, disk, network, memory */
	MP_PERM,	/* retrying cannot help: bad data, bad config */
};

struct mp_err {
	enum mp_err_kind kind;
	char msg[512];
	int setup;	/* the installation's fault (configuration, rules,
			 * templates, database), not the input's */
};

/* Sets err (if not NULL) and returns -1, so callers can write
 * "return mp_err_set(err, MP_TEMP, "...", ...);". */
int mp_err_set(struct mp_err *err, enum mp_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Marks err, already set, as the installation's fault: MP_TEMP (fix it,
 * then retry) and setup.  A mail that meets such a fault waits in the
 * spool without it counting against the mail. */
void mp_err_setup(struct mp_err *err);

/* Clears err to MP_OK with an empty message. */
void mp_err_clear(struct mp_err *err);

#endif
