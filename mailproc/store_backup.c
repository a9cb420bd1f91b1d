/*
 * store_backup.c: `backup FILE` with SQLite's online backup API.
 *
 * In WAL mode a reader never blocks the writers, so the whole database is
 * copied in one backup step: one read transaction, one consistent
 * snapshot, while deliver goes on committing.  (Copying in slices would
 * restart at every commit of another connection.)  The copy is written
 * beside FILE, switched out of WAL mode so that it is one self-contained
 * file, checked, fsynced and renamed into place: FILE is either the old
 * backup or a whole new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_priv.h"

static int
fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) |
		      O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
store_backup(struct store *s, const char *path, struct mp_err *err)
{
	char tmp[4096], dir[4096];
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *st = NULL;
	int rc, ok = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path,
			     (long)getpid()) >= sizeof(tmp))
		return mp_err_set(err, MP_PERM, "backup: %s: name too long",
				  path);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		mp_err_set(err, MP_PERM, "backup: cannot create %s: %s", tmp,
			   dst ? sqlite3_errmsg(dst) : "out of memory");
		goto done;
	}
	b = sqlite3_backup_init(dst, "main", s->db, "main");
	if (b == NULL) {
		mp_err_set(err, MP_TEMP, "backup: %s", sqlite3_errmsg(dst));
		goto done;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			usleep(10000);
	} while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		mp_err_set(err, MP_TEMP, "backup: %s", sqlite3_errstr(rc));
		goto done;
	}
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		mp_err_set(err, MP_TEMP, "backup: the copy does not check: %s",
			   sqlite3_errmsg(dst));
		goto done;
	}
	ok = 1;
done:
	sqlite3_finalize(st);
	sqlite3_close(dst);
	if (!ok) {
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", tmp);
	if (fsync_path(tmp, 0) < 0 || rename(tmp, path) < 0 ||
	    fsync_path(dirname(dir), 1) < 0) {
		mp_err_set(err, MP_TEMP, "backup: %s: %s", path,
			   strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
store_attachments_needed(struct store *s, long long since, char ***v_r,
			 size_t *n_r, struct mp_err *err)
{
	/* Live: the ticket itself, or the one it was merged into. */
#define LIVE(t) "(" t ".state NOT IN ('closed', 'rejected') OR " \
		t ".updated >= ?1)"
	static const char sql[] =
		"SELECT DISTINCT json_extract(a.value, '$.sha256') AS h "
		"FROM messages m JOIN tickets t ON t.id = m.ticket, "
		"json_each(m.parsed, '$.attachments') a "
		"WHERE json_valid(m.parsed) AND h IS NOT NULL AND "
		"(" LIVE("t") " OR EXISTS (SELECT 1 FROM tickets u WHERE "
		"u.id = t.merged_into AND " LIVE("u") ")) ORDER BY h";
#undef LIVE

	return column_strings(s, prep(s, err, sql, "i", since),
			      "attachments needed", v_r, n_r, err);
}
