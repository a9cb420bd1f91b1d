/*
 * Alarms: a condition that stops mail from being filed (today: a
 * database this process cannot write) while the spool still works.  Owns
 * state_dir/alarms/, one small file per cause, so that a hundred failing
 * delivers raise one alarm and staff get one notice per cause, not one
 * per mail.  Sending the notice needs no database (it may be the very
 * thing that is broken): `run` submits it straight through outbox.c.
 *
 *   alarms/CAUSE        raised: first time, count of occurrences, detail
 *   alarms/CAUSE.sent   staff have been told
 *
 * A process that files mail again clears a cause that was announced, so
 * that its next occurrence is announced too.
 */
#ifndef MP_ALARM_H
#define MP_ALARM_H

#include "conf.h"
#include "err.h"
#include "outbox.h"

/* The database cannot be written by the user delivering mail. */
#define ALARM_DATABASE "database"

/* Logs detail at LOG_CRIT every time and records the cause (created on
 * its first occurrence, counted after).  Returns 1 when this call raised
 * it, 0 when it was already raised, -1 when it could not be recorded
 * (the LOG_CRIT line is written all the same). */
int alarm_raise(const char *state_dir, const char *cause, const char *detail);

/* Whether err, from processing a message, says the database refuses
 * writes (read-only, permission, disk full, I/O) rather than a lock wait
 * or bad data: such a failure raises ALARM_DATABASE. */
int alarm_is_database(const struct mp_err *err);

/* After mail was filed: removes a cause that staff have been told about.
 * A cause not yet announced stays until `run` announces it.  Costs one
 * failed stat(2) when nothing is raised. */
void alarm_resolved(const char *state_dir, const char *cause);

/* For `run`: mails each raised cause that staff have not been told about
 * to staff_addresses through ob, and marks it told.  Returns how many
 * were announced, or -1 with err (the rest is tried at the next pass). */
int alarm_notify(const struct conf *conf, struct outbox *ob,
		 struct mp_err *err);

/* Calls fn(ctx, cause, told) for each raised cause (told: staff have
 * been mailed); fn returning -1 stops the walk (it has set err).
 * Returns how many, or -1 with err. */
int alarm_each(const char *state_dir,
	       int (*fn)(void *ctx, const char *cause, int told), void *ctx,
	       struct mp_err *err);

#endif
