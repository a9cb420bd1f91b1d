/*
 * store.c: the SQLite database.
 *
 * WAL lets `run` read while a `deliver` writes.  synchronous=FULL because
 * the spool file moves to cur/ right after the commit: a commit that a
 * power cut could take back would lose the message.  Closing a connection
 * normally checkpoints the WAL (milliseconds per `deliver`); that is
 * switched off here and left to `run`, which checkpoints on its own time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_priv.h"

#define WAL_CHECKPOINT_PAGES 256	/* checkpoint after a commit */
#define WAL_CLOSE_PAGES 64		/* empty the WAL when closing */

/* After each commit: remember the WAL's length, and checkpoint (without
 * waiting) once it is long, as SQLite's autocheckpoint would. */
static int
wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
	struct store *s = ctx;

	s->wal_pages = pages;
	if (pages >= WAL_CHECKPOINT_PAGES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
	return SQLITE_OK;
}

/* SQLite's own busy handler sleeps 1, 2, 5, 10... ms, far longer than a
 * deliver holds the lock; polling every millisecond keeps parallel
 * deliveries moving.  Gives up after busy_ms. */
static int
busy_wait(void *ctx, int count)
{
	struct store *s = ctx;

	if ((long)count >= s->busy_ms)
		return 0;
	usleep(1000);
	return 1;
}

/* Each entry takes the schema from version i to i+1.  Never edit an
 * entry that has shipped; append a new one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  class TEXT, rule TEXT, confidence REAL,"
	"  contract TEXT,"
	"  requester TEXT NOT NULL,"
	"  recipient TEXT,"
	"  subject TEXT NOT NULL,"
	"  lang TEXT NOT NULL DEFAULT 'ja',"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL,"
	"  first_response_due INTEGER,"
	"  linked INTEGER REFERENCES tickets(id));"
	"CREATE INDEX tickets_state ON tickets(state);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(id),"
	"  direction TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  content_hash TEXT NOT NULL,"
	"  spool_name TEXT,"
	"  env_sender TEXT, env_recipient TEXT, sasl_user TEXT,"
	"  parsed TEXT NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  UNIQUE (message_id, content_hash));"
	"CREATE INDEX messages_ticket ON messages(ticket);"
	"CREATE INDEX messages_mid ON messages(message_id);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(id),"
	"  at INTEGER NOT NULL, actor TEXT NOT NULL,"
	"  event TEXT NOT NULL, detail TEXT);"
	"CREATE INDEX history_ticket ON history(ticket);"
	"CREATE TABLE contracts ("
	"  id TEXT PRIMARY KEY,"
	"  holder_name TEXT NOT NULL,"
	"  monitoring_email TEXT,"
	"  emergency_phone TEXT,"
	"  options TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE contract_addresses ("
	"  address TEXT PRIMARY KEY COLLATE NOCASE,"
	"  contract TEXT NOT NULL REFERENCES contracts(id));",
	/* 1 -> 2: the outbox */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets(id),"
	"  template TEXT NOT NULL,"
	"  to_addr TEXT NOT NULL,"
	"  env_from TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  message_id TEXT,"
	"  automatic INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  release_at INTEGER,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  raw BLOB);"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt);"
	"CREATE INDEX outbox_ticket ON outbox(ticket);"
	"CREATE INDEX outbox_to ON outbox(to_addr, created);",
	/* 2 -> 3: identity confirmation */
	"CREATE TABLE identity ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(id),"
	"  channel TEXT NOT NULL,"
	"  token_hash TEXT,"
	"  sent_to TEXT,"
	"  state TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  remind_at INTEGER,"
	"  reminded INTEGER NOT NULL DEFAULT 0,"
	"  resolved_at INTEGER, resolved_by TEXT, resolved_via TEXT);"
	"CREATE INDEX identity_ticket ON identity(ticket);"
	"CREATE INDEX identity_state ON identity(state, expires);"
	"CREATE TABLE identity_log ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  ticket INTEGER,"
	"  address TEXT,"
	"  outcome TEXT NOT NULL,"
	"  detail TEXT);",
	/* 3 -> 4: the per-sender limit compares addresses without case */
	"DROP INDEX outbox_to;"
	"CREATE INDEX outbox_to ON outbox(to_addr COLLATE NOCASE, created);",
	/* 4 -> 5: where `fetch` left off in each IMAP mailbox */
	"CREATE TABLE imap_state ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL);",
	/* 5 -> 6: staff class decisions (examples for `train --from-desk`)
	 * and every identity task a ticket asks for */
	"CREATE TABLE class_decisions ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(id),"
	"  at INTEGER NOT NULL, by TEXT NOT NULL,"
	"  class TEXT NOT NULL,"
	"  was TEXT, was_by TEXT, was_triage INTEGER NOT NULL DEFAULT 0,"
	"  subject TEXT NOT NULL, text TEXT NOT NULL,"
	"  from_form INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX class_decisions_at ON class_decisions(at);"
	"CREATE TABLE ticket_tasks ("
	"  ticket INTEGER NOT NULL REFERENCES tickets(id),"
	"  task TEXT NOT NULL,"
	"  channel TEXT,"
	"  state TEXT NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket, task));",
	/* 6 -> 7: phone callbacks are escalated once, after
	 * callback_escalate_after */
	"ALTER TABLE identity ADD COLUMN escalate_at INTEGER;"
	"ALTER TABLE identity ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;",
	/* 7 -> 8: the holder's address and the contract's servers */
	"ALTER TABLE contracts ADD COLUMN holder_email TEXT;"
	"CREATE TABLE contract_servers ("
	"  name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  contract TEXT NOT NULL REFERENCES contracts(id));",
	/* 8 -> 9: notices to contract holders and who got each */
	"CREATE TABLE notices ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER NOT NULL REFERENCES tickets(id),"
	"  template TEXT NOT NULL,"
	"  vars TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  sent_at INTEGER);"
	"CREATE TABLE notice_recipients ("
	"  id INTEGER PRIMARY KEY,"
	"  notice INTEGER NOT NULL REFERENCES notices(id),"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  contracts TEXT NOT NULL,"
	"  holder_name TEXT,"
	"  lang TEXT NOT NULL,"
	"  servers TEXT NOT NULL DEFAULT '',"
	"  outbox INTEGER REFERENCES outbox(id),"
	"  UNIQUE (notice, address));",
	/* 9 -> 10: the notices that are rate-limited per sender (a spoofing
	 * notice per staff address an hour) */
	"CREATE TABLE rate_marks ("
	"  kind TEXT NOT NULL, key TEXT NOT NULL COLLATE NOCASE,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX rate_marks_key ON rate_marks(kind, key, at);",
	/* 10 -> 11: when a row went 'sending', so that the running runner can
	 * requeue one left there after a lease */
	"ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;",
	/* 11 -> 12: the staff's queue (issue 16): the first response, who
	 * owns a ticket, the one escalation, merges; the full-text index
	 * of every message (subject and text of its `parse` object, read
	 * through the view message_text rather than stored twice, kept by
	 * trigger in the message's own transaction, built here for the
	 * messages already stored); and the digest sent at each
	 * opening, recorded once whoever sends it. */
	"ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN owner TEXT;"
	"ALTER TABLE tickets ADD COLUMN escalated_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN merged_into INTEGER;"
	"CREATE INDEX tickets_created ON tickets(created);"
	"CREATE VIEW message_text AS SELECT id,"
	"  json_extract(parsed, '$.subject') AS subject,"
	"  json_extract(parsed, '$.text') AS text FROM messages"
	"  WHERE json_valid(parsed);"
	"CREATE VIRTUAL TABLE message_fts USING fts5(subject, text,"
	"  tokenize = 'trigram', content = 'message_text',"
	"  content_rowid = 'id', columnsize = 0);"
	"CREATE TRIGGER message_fts_insert AFTER INSERT ON messages"
	"  WHEN json_valid(new.parsed) BEGIN"
	"  INSERT INTO message_fts (rowid, subject, text) VALUES (new.id,"
	"    json_extract(new.parsed, '$.subject'),"
	"    json_extract(new.parsed, '$.text'));"
	"  END;"
	"CREATE TRIGGER message_fts_delete AFTER DELETE ON messages"
	"  WHEN json_valid(old.parsed) BEGIN"
	"  INSERT INTO message_fts (message_fts, rowid, subject, text)"
	"    VALUES ('delete', old.id, json_extract(old.parsed, '$.subject'),"
	"    json_extract(old.parsed, '$.text'));"
	"  END;"
	"INSERT INTO message_fts (message_fts) VALUES ('rebuild');"
	"CREATE TABLE digests ("
	"  opening INTEGER PRIMARY KEY,"
	"  sent_at INTEGER NOT NULL,"
	"  outbox INTEGER);",
	/* 12 -> 13: the full-text index is written by the store once per
	 * transaction, for every message the transaction added, just before
	 * it commits (index_new_messages()), no longer by a trigger per
	 * insert: FTS5 writes out its pending terms at every statement
	 * savepoint, which made each message cost a segment of its own. */
	"DROP TRIGGER message_fts_insert;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
store_schema_version(void)
{
	return SCHEMA_VERSION;
}

int
db_fail(struct store *s, struct mp_err *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	enum mp_err_kind kind = MP_TEMP;

	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB ||
	    code == SQLITE_CONSTRAINT || code == SQLITE_MISMATCH)
		kind = MP_PERM;
	mp_err_set(err, kind, "database: %s: %s", what,
		   sqlite3_errmsg(s->db));
	if (err != NULL)
		err->setup = 1;	/* the host's, whatever the mail */
	return -1;
}

static int
exec(struct store *s, const char *sql, struct mp_err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(s, err, sql);
	return 0;
}

static int
user_version(struct store *s, int *v_r, struct mp_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(s, err, "user_version");
	rc = sqlite3_step(st);
	*v_r = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	done(s, st);
	if (rc != SQLITE_ROW)
		return db_fail(s, err, "user_version");
	return 0;
}

static int
migrate(struct store *s, struct mp_err *err)
{
	char sql[64];
	int v;

	if (user_version(s, &v, err) < 0)
		return -1;
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION)
		return mp_err_set(err, MP_PERM,
				  "database schema %d is newer than this "
				  "mailproc (%d)", v, SCHEMA_VERSION);
	if (store_begin(s, err) < 0)
		return -1;
	/* Someone else may have migrated while we waited for the lock. */
	if (user_version(s, &v, err) < 0)
		goto fail;
	for (; v < SCHEMA_VERSION; v++) {
		if (exec(s, migrations[v], err) < 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(s, sql, err) < 0)
			goto fail;
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_open(struct store **s_r, const char *state_dir, long busy_ms,
	   struct mp_err *err)
{
	struct store *s;
	char path[4096];
	int fd;

	*s_r = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	(void)mkdir(state_dir, 0770);	/* sqlite3_open reports the rest */
	snprintf(path, sizeof(path), "%s/mailproc.db", state_dir);
	/* Created 0660 (less the umask) so that staff in the group can use
	 * the CLI: SQLite would make it 0644, and gives -wal and -shm the
	 * database's own mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (fd >= 0)
		close(fd);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		/* MP_TEMP even when denied: a message must not go to
		 * failed/ for a mode an administrator fixes.  main.c checks
		 * permissions before any command starts; this says what to
		 * fix when they change under a running one. */
		int denied = access(path, R_OK | W_OK) < 0 && errno == EACCES;

		mp_err_set(err, MP_TEMP,
			   "database: cannot open %s: %s", path,
			   denied ? "permission denied (run as the state "
			   "dir's owner, or by a member of its group with "
			   "the database mode 0660)" : s->db ?
			   sqlite3_errmsg(s->db) : "out of memory");
		mp_err_setup(err);
		sqlite3_close(s->db);
		free(s);
		return -1;
	}
	s->busy_ms = busy_ms;
	sqlite3_busy_handler(s->db, busy_wait, s);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(s->db, wal_hook, s);
	if (exec(s, "PRAGMA journal_mode = WAL", err) < 0 ||
	    exec(s, "PRAGMA synchronous = FULL", err) < 0 ||
	    exec(s, "PRAGMA foreign_keys = ON", err) < 0 ||
	    migrate(s, err) < 0) {
		store_free(&s);
		return -1;
	}
	*s_r = s;
	return 0;
}

void
store_free(struct store **sp)
{
	struct store *s = *sp;
	int i;

	if (s == NULL)
		return;
	if (s->batch) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->batch = s->in_tx = 0;
	}
	if (s->in_tx)
		store_rollback(s);
	/* A process that opens the database while no other has it open
	 * first reads the whole WAL back (recovery).  Once the WAL holds
	 * more than a few messages, leave it empty; never wait for that. */
	if (s->wal_pages >= WAL_CLOSE_PAGES) {
		sqlite3_busy_timeout(s->db, 0);
		sqlite3_wal_checkpoint_v2(s->db, NULL,
					  SQLITE_CHECKPOINT_TRUNCATE, NULL,
					  NULL);
	}
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close_v2(s->db);
	free(s);
	*sp = NULL;
}

/* Adds the messages this transaction inserted to the full-text index,
 * in one statement (one FTS5 flush for all of them).  Their ids are the
 * range [fts_lo, fts_hi]: the write lock keeps every other writer out,
 * and an id given back by a rolled-back savepoint is either reused in
 * the range or gone. */
static int
index_new_messages(struct store *s, struct mp_err *err)
{
	int rc = 0;

	if (s->fts_lo > 0)
		rc = run(s, prep(s, err, "INSERT INTO message_fts (rowid, "
				 "subject, text) SELECT id, subject, text "
				 "FROM message_text WHERE id BETWEEN ?1 AND ?2",
				 "ii", s->fts_lo, s->fts_hi), err,
			 "full-text index");
	s->fts_lo = s->fts_hi = 0;
	return rc;
}

int
store_begin(struct store *s, struct mp_err *err)
{
	if (exec(s, s->batch ? "SAVEPOINT one" : "BEGIN IMMEDIATE", err) < 0)
		return -1;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s, struct mp_err *err)
{
	if ((!s->batch && index_new_messages(s, err) < 0) ||
	    exec(s, s->batch ? "RELEASE one" : "COMMIT", err) < 0) {
		store_rollback(s);
		return -1;
	}
	s->in_tx = 0;
	return 0;
}

void
store_rollback(struct store *s)
{
	sqlite3_exec(s->db, s->batch ? "ROLLBACK TO one; RELEASE one" :
		     "ROLLBACK", NULL, NULL, NULL);
	if (!s->batch)
		s->fts_lo = s->fts_hi = 0;
	s->in_tx = 0;
}

int
store_batch_begin(struct store *s, struct mp_err *err)
{
	if (exec(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	s->batch = 1;
	return 0;
}

int
store_batch_commit(struct store *s, struct mp_err *err)
{
	s->batch = 0;
	if (index_new_messages(s, err) < 0 || exec(s, "COMMIT", err) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->fts_lo = s->fts_hi = 0;
		return -1;
	}
	return 0;
}

void
store_checkpoint(struct store *s)
{
	/* TRUNCATE gives up at once if a writer is busy (the busy handler
	 * is not used for it), so it never holds up a deliver. */
	sqlite3_busy_timeout(s->db, 0);
	if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      NULL, NULL) != SQLITE_OK)
		sqlite3_wal_checkpoint_v2(s->db, NULL,
					  SQLITE_CHECKPOINT_PASSIVE, NULL,
					  NULL);
	sqlite3_busy_handler(s->db, busy_wait, s);
}

/* Prepares sql and binds the text/int arguments described by fmt:
 * 's' text (NULL allowed), 'i' 64-bit int, 'd' double. */
sqlite3_stmt *
prep(struct store *s, struct mp_err *err, const char *sql, const char *fmt,
     ...)
{
	sqlite3_stmt *st = NULL;
	struct stmt_slot *free_slot = NULL;
	va_list ap;
	int i;

	/* The same text again: its statement, if it is not in use.  SQL
	 * built in a buffer comes back at the same address with other
	 * text: it takes over its own slot rather than fill the cache. */
	for (i = 0; i < STMT_CACHE; i++) {
		struct stmt_slot *c = &s->cache[i];

		if (c->st == NULL) {
			if (free_slot == NULL)
				free_slot = c;
		} else if (c->key == sql && !c->busy) {
			if (strcmp(sqlite3_sql(c->st), sql) == 0) {
				c->busy = 1;
				st = c->st;
				break;
			}
			sqlite3_finalize(c->st);
			c->st = NULL;
			free_slot = c;
		}
	}
	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, sql, -1, free_slot ?
				       SQLITE_PREPARE_PERSISTENT : 0, &st,
				       NULL) != SQLITE_OK) {
			db_fail(s, err, "prepare");
			return NULL;
		}
		if (free_slot != NULL) {
			free_slot->key = sql;
			free_slot->st = st;
			free_slot->busy = 1;
		}
	}
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0'; i++) {
		switch (fmt[i]) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			if (v == NULL)
				sqlite3_bind_null(st, i + 1);
			else
				sqlite3_bind_text(st, i + 1, v, -1,
						  SQLITE_TRANSIENT);
			break;
		}
		case 'i':
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
			break;
		case 'd':
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
			break;
		}
	}
	va_end(ap);
	return st;
}

void
done(struct store *s, sqlite3_stmt *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			s->cache[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

/* Steps a statement that returns no rows and gives it back. */
int
run(struct store *s, sqlite3_stmt *st, struct mp_err *err, const char *what)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	done(s, st);
	if (rc != SQLITE_DONE)
		return db_fail(s, err, what);
	return 0;
}

char *
col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	return v ? strdup((const char *)v) : NULL;
}

int
first_row_int(struct store *s, sqlite3_stmt *st, const char *what,
	      long long *v_r, struct mp_err *err)
{
	int rc;

	*v_r = 0;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(st, 0);
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, what);
	return rc == SQLITE_ROW;
}

int
first_row_strings(struct store *s, sqlite3_stmt *st, const char *what,
		  struct mp_err *err, int n, ...)
{
	char **out[8];
	va_list ap;
	int rc, i, oom = 0;

	if (n > (int)(sizeof(out) / sizeof(*out))) {
		done(s, st);
		return mp_err_set(err, MP_TEMP, "%s: too many columns", what);
	}
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		out[i] = va_arg(ap, char **);
		*out[i] = NULL;
	}
	va_end(ap);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		for (i = 0; i < n; i++) {
			*out[i] = col_str(st, i);
			if (*out[i] == NULL &&
			    sqlite3_column_type(st, i) != SQLITE_NULL)
				oom = 1;
		}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, what);
	if (oom) {
		for (i = 0; i < n; i++) {
			free(*out[i]);
			*out[i] = NULL;
		}
		return mp_err_set(err, MP_TEMP, "%s: out of memory", what);
	}
	return rc == SQLITE_ROW;
}

int
store_message_find(struct store *s, const char *message_id,
		   const char *content_hash, long long *ticket_r,
		   struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"SELECT ticket FROM messages WHERE message_id = ?1 AND "
		"content_hash = ?2", "ss", message_id ? message_id : "",
		content_hash);
	long long v;
	int rc = first_row_int(s, st, "message lookup", &v, err);

	if (rc == 1)
		*ticket_r = v;	/* left alone when there is none */
	return rc;
}

int
store_ticket_by_message_ids(struct store *s, const char *const *ids,
			    size_t n, long long *ticket_r,
			    struct mp_err *err)
{
	size_t i;

	/* The last reference is the closest ancestor: try it first. */
	for (i = n; i-- > 0;) {
		sqlite3_stmt *st;
		int rc;

		if (ids[i] == NULL || *ids[i] == '\0')
			continue;
		st = prep(s, err, "SELECT ticket FROM (SELECT ticket, 1 AS o, "
			  "id FROM messages WHERE message_id = ?1 UNION ALL "
			  "SELECT ticket, 0, id FROM outbox WHERE message_id "
			  "= ?1 AND ticket IS NOT NULL) ORDER BY o DESC, id "
			  "DESC LIMIT 1", "s", ids[i]);
		if (st == NULL)
			return -1;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*ticket_r = sqlite3_column_int64(st, 0);
		done(s, st);
		if (rc == SQLITE_ROW)
			return 1;
		if (rc != SQLITE_DONE)
			return db_fail(s, err, "thread lookup");
	}
	return 0;
}

void
ticket_from_row(sqlite3_stmt *st, struct store_ticket *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->state = col_str(st, 1);
	t->class = col_str(st, 2);
	t->rule = col_str(st, 3);
	t->confidence = sqlite3_column_double(st, 4);
	t->contract = col_str(st, 5);
	t->requester = col_str(st, 6);
	t->recipient = col_str(st, 7);
	t->subject = col_str(st, 8);
	t->lang = col_str(st, 9);
	t->created = sqlite3_column_int64(st, 10);
	t->updated = sqlite3_column_int64(st, 11);
	t->first_response_due = sqlite3_column_int64(st, 12);
	t->linked = sqlite3_column_int64(st, 13);
	t->first_response_at = sqlite3_column_int64(st, 14);
	t->owner = col_str(st, 15);
	t->escalated_at = sqlite3_column_int64(st, 16);
	t->merged_into = sqlite3_column_int64(st, 17);
}

int
store_ticket_get(struct store *s, long long id, struct store_ticket *t,
		 struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " TICKET_COLS
				" FROM tickets WHERE id = ?1", "i", id);
	int rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ticket_from_row(st, t);
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "ticket lookup");
	return rc == SQLITE_ROW;
}

void
store_ticket_release(struct store_ticket *t)
{
	free(t->state);
	free(t->class);
	free(t->rule);
	free(t->contract);
	free(t->requester);
	free(t->recipient);
	free(t->subject);
	free(t->lang);
	free(t->owner);
	memset(t, 0, sizeof(*t));
}

int
store_ticket_insert(struct store *s, const struct store_ticket *t,
		    long long *id_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"INSERT INTO tickets (state, class, rule, confidence, "
		"contract, requester, recipient, subject, lang, created, "
		"updated, first_response_due, linked) VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12)",
		"sssdsssssiii", t->state, t->class, t->rule, t->confidence,
		t->contract, t->requester, t->recipient, t->subject,
		t->lang ? t->lang : "ja", t->created,
		t->first_response_due, t->linked);

	if (st == NULL)
		return -1;
	if (t->first_response_due == 0)
		sqlite3_bind_null(st, 11);
	if (t->linked == 0)
		sqlite3_bind_null(st, 12);
	if (run(s, st, err, "ticket insert") < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_history_add(struct store *s, long long ticket, long long at,
		  const char *actor, const char *event, const char *detail,
		  struct mp_err *err)
{
	return run(s, prep(s, err,
		"INSERT INTO history (ticket, at, actor, event, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5)", "iisss", ticket, at, actor,
		event, detail), err, "history insert");
}

int
store_ticket_set_state(struct store *s, long long id, const char *state,
		       long long at, const char *actor, const char *reason,
		       struct mp_err *err)
{
	char detail[512];

	if (run(s, prep(s, err, "UPDATE tickets SET state = ?1, updated = "
			"?2 WHERE id = ?3", "sii", state, at, id), err,
		"ticket update") < 0)
		return -1;
	snprintf(detail, sizeof(detail), "%s%s%s", state,
		 reason ? ": " : "", reason ? reason : "");
	return store_history_add(s, id, at, actor, "state", detail, err);
}

int
store_ticket_set_class(struct store *s, long long id, const char *class,
		       const char *rule, double confidence,
		       struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE tickets SET class = ?1, rule = ?2,"
			   " confidence = ?3 WHERE id = ?4", "ssdi", class,
			   rule, confidence, id), err, "ticket class");
}

int
store_message_insert(struct store *s, const struct store_message *m,
		     long long *id_r, struct mp_err *err)
{
	int alone = sqlite3_get_autocommit(s->db);
	long long id;

	/* Outside a transaction, the insert gets one of its own, so that
	 * its commit writes its index entry. */
	if (alone && store_begin(s, err) < 0)
		return -1;
	if (run(s, prep(s, err,
		"INSERT INTO messages (ticket, direction, message_id, "
		"content_hash, spool_name, env_sender, env_recipient, "
		"sasl_user, parsed, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, ?9, ?10)", "issssssssi", m->ticket, m->direction,
		m->message_id ? m->message_id : "", m->content_hash,
		m->spool_name, m->env_sender, m->env_recipient, m->sasl_user,
		m->parsed_json, m->received), err, "message insert") < 0) {
		if (alone)
			store_rollback(s);
		return -1;
	}
	id = sqlite3_last_insert_rowid(s->db);
	if (id_r != NULL)
		*id_r = id;
	if (s->fts_lo == 0 || id < s->fts_lo)
		s->fts_lo = id;
	if (id > s->fts_hi)
		s->fts_hi = id;
	return alone ? store_commit(s, err) : 0;
}

int
store_contract_of(struct store *s, const char *address, char **contract_r,
		  struct mp_err *err)
{
	sqlite3_stmt *st;

	*contract_r = NULL;
	if (address == NULL)
		return 0;
	st = prep(s, err, "SELECT contract FROM contract_addresses WHERE "
		  "address = ?1 UNION SELECT id FROM contracts WHERE "
		  "monitoring_email = ?1 COLLATE NOCASE LIMIT 1", "s",
		  address);
	return first_row_strings(s, st, "contract lookup", err, 1,
				 contract_r);
}

int
store_ticket_each(struct store *s, const char *state,
		  int (*fn)(void *ctx, const struct store_ticket *t),
		  void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " TICKET_COLS " FROM tickets"
				" WHERE ?1 IS NULL OR state = ?1 ORDER BY id",
				"s", state);
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out == 0) {
		struct store_ticket t;
		ticket_from_row(st, &t);
		out = fn(ctx, &t);
		store_ticket_release(&t);
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "ticket list");
	return out;
}

int
store_message_each(struct store *s, long long ticket,
		   int (*fn)(void *ctx, const char *direction,
			     long long received, const char *parsed_json),
		   void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT direction, received, parsed "
				"FROM messages WHERE ticket = ?1 ORDER BY id",
				"i", ticket);
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out == 0)
		out = fn(ctx, (const char *)sqlite3_column_text(st, 0),
			 sqlite3_column_int64(st, 1),
			 (const char *)sqlite3_column_text(st, 2));
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "message list");
	return out;
}

int
store_history_each(struct store *s, long long ticket,
		   int (*fn)(void *ctx, long long at, const char *actor,
			     const char *event, const char *detail),
		   void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT at, actor, event, detail "
				"FROM history WHERE ticket = ?1 ORDER BY id",
				"i", ticket);
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out == 0)
		out = fn(ctx, sqlite3_column_int64(st, 0),
			 (const char *)sqlite3_column_text(st, 1),
			 (const char *)sqlite3_column_text(st, 2),
			 (const char *)sqlite3_column_text(st, 3));
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "history list");
	return out;
}

#define OUTBOX_COLS "id, ticket, template, to_addr, env_from, subject, " \
	"message_id, automatic, state, attempts, next_attempt, release_at, " \
	"last_error, created, sent_at"

static void
outbox_from_row(sqlite3_stmt *st, struct store_outbox *o, int with_raw)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	o->ticket = sqlite3_column_int64(st, 1);
	o->template = col_str(st, 2);
	o->to_addr = col_str(st, 3);
	o->env_from = col_str(st, 4);
	o->subject = col_str(st, 5);
	o->message_id = col_str(st, 6);
	o->automatic = sqlite3_column_int(st, 7);
	o->state = col_str(st, 8);
	o->attempts = sqlite3_column_int64(st, 9);
	o->next_attempt = sqlite3_column_int64(st, 10);
	o->release_at = sqlite3_column_int64(st, 11);
	o->last_error = col_str(st, 12);
	o->created = sqlite3_column_int64(st, 13);
	o->sent_at = sqlite3_column_int64(st, 14);
	if (with_raw) {
		const void *b = sqlite3_column_blob(st, 15);
		int n = sqlite3_column_bytes(st, 15);
		o->raw = malloc((size_t)n + 1);
		if (o->raw != NULL) {
			if (n > 0)
				memcpy(o->raw, b, (size_t)n);
			o->raw[n] = '\0';
			o->raw_len = (size_t)n;
		}
	}
}

void
store_outbox_release(struct store_outbox *o)
{
	free(o->template);
	free(o->to_addr);
	free(o->env_from);
	free(o->subject);
	free(o->message_id);
	free(o->state);
	free(o->last_error);
	free(o->raw);
	memset(o, 0, sizeof(*o));
}

int
store_outbox_insert(struct store *s, const struct store_outbox *o,
		    long long *id_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err,
		"INSERT INTO outbox (ticket, template, to_addr, env_from, "
		"subject, message_id, automatic, state, next_attempt, "
		"release_at, last_error, created, raw) VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
		"isssssisiisi", o->ticket, o->template, o->to_addr,
		o->env_from, o->subject, o->message_id,
		(long long)o->automatic, o->state, o->next_attempt,
		o->release_at, o->last_error, o->created);

	if (st == NULL)
		return -1;
	if (o->ticket == 0)
		sqlite3_bind_null(st, 1);
	if (o->release_at == 0)
		sqlite3_bind_null(st, 10);
	if (o->raw != NULL)
		sqlite3_bind_blob(st, 13, o->raw, (int)o->raw_len,
				  SQLITE_STATIC);
	if (run(s, st, err, "outbox insert") < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_outbox_due(struct store *s, long long now, int limit,
		 struct store_outbox **rows_r, size_t *n_r,
		 struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " OUTBOX_COLS ", raw FROM "
				"outbox WHERE state = 'queued' AND "
				"next_attempt <= ?1 ORDER BY id LIMIT ?2",
				"ii", now, (long long)limit);
	struct store_outbox *v;
	size_t n = 0;
	int rc;

	*rows_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	v = calloc((size_t)limit, sizeof(*v));
	if (v == NULL) {
		done(s, st);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	while (n < (size_t)limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		outbox_from_row(st, &v[n], 1);
		if (v[n++].raw == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		while (n > 0)
			store_outbox_release(&v[--n]);
		free(v);
		return rc == SQLITE_NOMEM ?
			mp_err_set(err, MP_TEMP, "out of memory") :
			db_fail(s, err, "outbox due");
	}
	*rows_r = v;
	*n_r = n;
	return 0;
}

int
store_outbox_update(struct store *s, long long id, const char *state,
		    long long attempts, long long next_attempt,
		    const char *last_error, long long sent_at,
		    struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "UPDATE outbox SET state = ?1, "
				"attempts = ?2, next_attempt = ?3, last_error "
				"= ?4, sent_at = ?5 WHERE id = ?6", "siisii",
				state, attempts, next_attempt, last_error,
				sent_at, id);

	if (st != NULL && sent_at == 0)
		sqlite3_bind_null(st, 5);
	return run(s, st, err, "outbox update");
}

int
store_outbox_requeue_sending(struct store *s, struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE outbox SET state = 'queued' WHERE "
			   "state = 'sending'", ""), err, "outbox requeue");
}

int
store_outbox_requeue_stale(struct store *s, long long before, int *n_r,
			   struct mp_err *err)
{
	*n_r = 0;
	if (run(s, prep(s, err, "UPDATE outbox SET state = 'queued' WHERE "
			"state = 'sending' AND coalesce(claimed_at, 0) < ?1",
			"i", before), err, "outbox requeue") < 0)
		return -1;
	*n_r = sqlite3_changes(s->db);
	return 0;
}

int
store_outbox_retry(struct store *s, long long id, long long now, int *n_r,
		   struct mp_err *err)
{
	*n_r = 0;
	/* created moves too: max_retry_age counts from the retry. */
	if (run(s, id > 0 ?
		prep(s, err, "UPDATE outbox SET state = 'queued', attempts = "
		     "0, next_attempt = ?2, created = ?2 WHERE id = ?1 AND "
		     "state = 'failed'", "ii", id, now) :
		prep(s, err, "UPDATE outbox SET state = 'queued', attempts = "
		     "0, next_attempt = ?1, created = ?1 WHERE state = "
		     "'failed'", "i", now), err, "outbox retry") < 0)
		return -1;
	*n_r = sqlite3_changes(s->db);
	return 0;
}

int
store_outbox_mark_sent(struct store *s, long long id, long long now,
		       struct mp_err *err)
{
	if (run(s, prep(s, err, "UPDATE outbox SET state = 'sent', attempts "
			"= attempts + 1, last_error = NULL, sent_at = ?2 "
			"WHERE id = ?1 AND state = 'sending'", "ii", id, now),
		err, "outbox sent") < 0)
		return -1;
	return sqlite3_changes(s->db) == 1;
}

int
store_outbox_release_held(struct store *s, long long now, int *n_r,
			  struct mp_err *err)
{
	if (run(s, prep(s, err, "UPDATE outbox SET state = 'queued', "
			"next_attempt = ?1 WHERE state = 'held' AND "
			"release_at <= ?1", "i", now), err,
		"outbox release") < 0)
		return -1;
	*n_r = sqlite3_changes(s->db);
	return 0;
}

int
store_outbox_auto_count(struct store *s, const char *to, long long since,
			int *n_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT count(*) FROM outbox WHERE "
				"to_addr = ?1 COLLATE NOCASE AND automatic = 1 "
				"AND state != 'suppressed' AND created >= ?2",
				"si", to, since);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*n_r = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	done(s, st);
	if (rc != SQLITE_ROW)
		return db_fail(s, err, "outbox count");
	return 0;
}

int
store_rate_count(struct store *s, const char *kind, const char *key,
		    long long since, int *n_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT count(*) FROM rate_marks "
				"WHERE kind = ?1 AND key = ?2 AND at >= ?3",
				"ssi", kind, key, since);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*n_r = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	done(s, st);
	if (rc != SQLITE_ROW)
		return db_fail(s, err, "notice count");
	return 0;
}

int
store_rate_mark(struct store *s, const char *kind, const char *key,
		    long long at, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "INSERT INTO rate_marks (kind, key, "
				"at) VALUES (?1, ?2, ?3)", "ssi", kind, key,
				at);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	done(s, st);
	if (rc != SQLITE_DONE)
		return db_fail(s, err, "notice record");
	/* Old entries count for nothing: keep the table small. */
	st = prep(s, err, "DELETE FROM rate_marks WHERE at < ?1", "i",
		  at - 86400);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	done(s, st);
	return rc == SQLITE_DONE ? 0 : db_fail(s, err, "notice prune");
}

int
store_outbox_answered(struct store *s, long long ticket,
		      const char *const *ids, size_t n, const char *to,
		      struct mp_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *st = prep(s, err, "SELECT 1 FROM outbox WHERE "
					"(?1 <= 0 OR ticket = ?1) AND "
					"message_id = ?2 AND "
					"lower(to_addr) = lower(?3)", "iss",
					ticket, ids[i], to);
		int rc;

		if (st == NULL)
			return -1;
		rc = sqlite3_step(st);
		done(s, st);
		if (rc == SQLITE_ROW)
			return 1;
		if (rc != SQLITE_DONE)
			return db_fail(s, err, "outbox answered");
	}
	return 0;
}

static int
outbox_each(struct store *s, long long ticket, int with_raw,
	    int (*fn)(void *ctx, const struct store_outbox *o), void *ctx,
	    struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, with_raw ?
				"SELECT " OUTBOX_COLS ", raw FROM outbox "
				"WHERE ticket = ?1 ORDER BY id" :
				"SELECT " OUTBOX_COLS " FROM outbox "
				"WHERE ?1 = 0 OR ticket = ?1 ORDER BY id", "i",
				ticket);
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox o;
		outbox_from_row(st, &o, with_raw);
		if (with_raw && o.raw == NULL) {
			store_outbox_release(&o);
			done(s, st);
			return mp_err_set(err, MP_TEMP, "out of memory");
		}
		out = fn(ctx, &o);
		store_outbox_release(&o);
	}
	done(s, st);
	if (out != 0)
		return out;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "outbox list");
	return 0;
}

int
store_outbox_each(struct store *s, long long ticket,
		  int (*fn)(void *ctx, const struct store_outbox *o),
		  void *ctx, struct mp_err *err)
{
	return outbox_each(s, ticket, 0, fn, ctx, err);
}

int
store_outbox_each_raw(struct store *s, long long ticket,
		      int (*fn)(void *ctx, const struct store_outbox *o),
		      void *ctx, struct mp_err *err)
{
	return outbox_each(s, ticket, 1, fn, ctx, err);
}

int
store_outbox_trouble(struct store *s, long long since,
		     int (*fn)(void *ctx, const struct store_outbox *o),
		     void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " OUTBOX_COLS " FROM outbox "
				"WHERE state IN ('failed', 'suppressed') AND "
				"created >= ?1 ORDER BY id", "i", since);
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox o;
		outbox_from_row(st, &o, 0);
		out = fn(ctx, &o);
		store_outbox_release(&o);
	}
	done(s, st);
	if (out != 0)
		return out;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "outbox list");
	return 0;
}

void
store_contract_release(struct store_contract *c)
{
	size_t i;

	free(c->id);
	free(c->holder_name);
	free(c->monitoring_email);
	free(c->emergency_phone);
	free(c->options);
	free(c->holder_email);
	for (i = 0; i < c->n_addresses; i++)
		free(c->addresses[i]);
	free(c->addresses);
	for (i = 0; i < c->n_servers; i++)
		free(c->servers[i]);
	free(c->servers);
	memset(c, 0, sizeof(*c));
}

/* Replaces the names (addresses or servers) of contract c in table,
 * whose columns are col and contract: a name another contract holds
 * fails with MP_PERM ("<kind><name> is already registered to ...").
 * table and col are constants of this file, never input. */
static int
names_put(struct store *s, const char *table, const char *col,
	  const char *kind, const char *contract, char *const *names,
	  size_t n, struct mp_err *err)
{
	char sql[200];
	size_t i;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE contract = ?1",
		 table);
	if (run(s, prep(s, err, sql, "s", contract), err, "contract") < 0)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_stmt *st;
		int rc;

		snprintf(sql, sizeof(sql), "SELECT contract FROM %s WHERE "
			 "%s = ?1", table, col);
		st = prep(s, err, sql, "s", names[i]);
		if (st == NULL)
			return -1;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			mp_err_set(err, MP_PERM, "%s%s is already registered "
				   "to contract %s", kind, names[i],
				   (const char *)sqlite3_column_text(st, 0));
			done(s, st);
			return -1;
		}
		done(s, st);
		snprintf(sql, sizeof(sql), "INSERT INTO %s (%s, contract) "
			 "VALUES (?1, ?2)", table, col);
		if (run(s, prep(s, err, sql, "ss", names[i], contract), err,
			table) < 0)
			return -1;
	}
	return 0;
}

int
store_contract_put(struct store *s, const struct store_contract *c,
		   struct mp_err *err)
{
	if (run(s, prep(s, err, "INSERT INTO contracts (id, holder_name, "
			"monitoring_email, emergency_phone, options, "
			"holder_email) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			"ON CONFLICT(id) DO UPDATE SET holder_name = ?2, "
			"monitoring_email = ?3, emergency_phone = ?4, "
			"options = ?5, holder_email = ?6", "ssssss", c->id,
			c->holder_name, c->monitoring_email,
			c->emergency_phone, c->options ? c->options : "",
			c->holder_email),
		err, "contract") < 0)
		return -1;
	if (names_put(s, "contract_servers", "name", "server ", c->id,
		      c->servers, c->n_servers, err) < 0)
		return -1;
	return names_put(s, "contract_addresses", "address", "", c->id,
			 c->addresses, c->n_addresses, err);
}

int
store_contract_remove(struct store *s, const char *id, struct mp_err *err)
{
	if (run(s, prep(s, err, "DELETE FROM contract_servers WHERE "
			"contract = ?1", "s", id), err, "contract") < 0 ||
	    run(s, prep(s, err, "DELETE FROM contract_addresses WHERE "
			"contract = ?1", "s", id), err, "contract") < 0 ||
	    run(s, prep(s, err, "DELETE FROM contracts WHERE id = ?1", "s",
			id), err, "contract") < 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int
store_contract_clear(struct store *s, struct mp_err *err)
{
	if (run(s, prep(s, err, "DELETE FROM contract_servers", ""), err,
		"contracts") < 0 ||
	    run(s, prep(s, err, "DELETE FROM contract_addresses", ""), err,
		"contracts") < 0 ||
	    run(s, prep(s, err, "DELETE FROM contracts", ""), err,
		"contracts") < 0)
		return -1;
	return 0;
}

static int
contract_addresses(struct store *s, struct store_contract *c,
		   struct mp_err *err)
{
	return column_strings(s, prep(s, err, "SELECT address FROM "
				      "contract_addresses WHERE contract = "
				      "?1 ORDER BY address", "s", c->id),
			      "contract addresses", &c->addresses,
			      &c->n_addresses, err);
}

static int
contract_servers(struct store *s, struct store_contract *c,
		 struct mp_err *err)
{
	return column_strings(s, prep(s, err, "SELECT name FROM "
				      "contract_servers WHERE contract = ?1 "
				      "ORDER BY rowid", "s", c->id),
			      "contract servers", &c->servers,
			      &c->n_servers, err);
}

static void
contract_from_row(sqlite3_stmt *st, struct store_contract *c)
{
	memset(c, 0, sizeof(*c));
	c->id = col_str(st, 0);
	c->holder_name = col_str(st, 1);
	c->monitoring_email = col_str(st, 2);
	c->emergency_phone = col_str(st, 3);
	c->options = col_str(st, 4);
	c->holder_email = col_str(st, 5);
	if (c->holder_email != NULL && *c->holder_email == '\0') {
		free(c->holder_email);
		c->holder_email = NULL;
	}
	if (c->monitoring_email != NULL && *c->monitoring_email == '\0') {
		free(c->monitoring_email);
		c->monitoring_email = NULL;
	}
	if (c->emergency_phone != NULL && *c->emergency_phone == '\0') {
		free(c->emergency_phone);
		c->emergency_phone = NULL;
	}
}

int
store_contract_get(struct store *s, const char *id, struct store_contract *c,
		   struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT id, holder_name, "
				"monitoring_email, emergency_phone, options, "
				"holder_email FROM contracts WHERE id = ?1",
				"s", id);
	int rc;

	memset(c, 0, sizeof(*c));
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		contract_from_row(st, c);
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "contract");
	if (rc == SQLITE_DONE)
		return 0;
	if (contract_addresses(s, c, err) < 0 ||
	    contract_servers(s, c, err) < 0) {
		store_contract_release(c);
		return -1;
	}
	return 1;
}

int
store_contract_each(struct store *s,
		    int (*fn)(void *ctx, const struct store_contract *c),
		    void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT id, holder_name, "
				"monitoring_email, emergency_phone, options, "
				"holder_email FROM contracts ORDER BY id", "");
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_contract c;
		contract_from_row(st, &c);
		out = contract_addresses(s, &c, err);
		if (out == 0)
			out = contract_servers(s, &c, err);
		if (out == 0)
			out = fn(ctx, &c);
		store_contract_release(&c);
	}
	done(s, st);
	if (out != 0)
		return out;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "contracts");
	return 0;
}

int
store_server_each(struct store *s,
		  int (*fn)(void *ctx, const char *name, const char *contract),
		  void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT name, contract FROM "
				"contract_servers ORDER BY name", "");
	int rc, out = 0;

	if (st == NULL)
		return -1;
	while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		out = fn(ctx, (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1));
	done(s, st);
	if (out != 0)
		return out;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "contract servers");
	return 0;
}

#define IDENTITY_COLS "id, ticket, channel, token_hash, sent_to, state, " \
	"created, expires, remind_at, reminded, resolved_at, resolved_by, " \
	"resolved_via, escalate_at, escalated"

static void
identity_from_row(sqlite3_stmt *st, struct store_identity *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->ticket = sqlite3_column_int64(st, 1);
	r->channel = col_str(st, 2);
	r->token_hash = col_str(st, 3);
	r->sent_to = col_str(st, 4);
	r->state = col_str(st, 5);
	r->created = sqlite3_column_int64(st, 6);
	r->expires = sqlite3_column_int64(st, 7);
	r->remind_at = sqlite3_column_int64(st, 8);
	r->reminded = sqlite3_column_int(st, 9);
	r->resolved_at = sqlite3_column_int64(st, 10);
	r->resolved_by = col_str(st, 11);
	r->resolved_via = col_str(st, 12);
	r->escalate_at = sqlite3_column_int64(st, 13);
	r->escalated = sqlite3_column_int(st, 14);
}

void
store_identity_release(struct store_identity *r)
{
	free(r->channel);
	free(r->token_hash);
	free(r->sent_to);
	free(r->state);
	free(r->resolved_by);
	free(r->resolved_via);
	memset(r, 0, sizeof(*r));
}

int
store_identity_insert(struct store *s, const struct store_identity *r,
		      struct mp_err *err)
{
	return run(s, prep(s, err, "INSERT INTO identity (ticket, channel, "
			   "token_hash, sent_to, state, created, expires, "
			   "remind_at, escalate_at) VALUES (?1, ?2, ?3, ?4, "
			   "'pending', ?5, ?6, ?7, ?8)", "isssiiii", r->ticket,
			   r->channel, r->token_hash, r->sent_to, r->created,
			   r->expires, r->remind_at, r->escalate_at), err,
		   "identity insert");
}

int
store_identity_pending(struct store *s, long long ticket,
		       const char *channel, struct store_identity *r,
		       struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " IDENTITY_COLS " FROM "
				"identity WHERE ticket = ?1 AND state = "
				"'pending' AND (?2 IS NULL OR channel = ?2) "
				"ORDER BY id DESC LIMIT 1", "is", ticket,
				channel);
	int rc;

	memset(r, 0, sizeof(*r));
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		identity_from_row(st, r);
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "identity lookup");
	return rc == SQLITE_ROW;
}

int
store_identity_by_token(struct store *s, long long ticket,
			const char *token_hash, struct store_identity *r,
			struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " IDENTITY_COLS " FROM "
				"identity WHERE ticket = ?1 AND token_hash = "
				"?2", "is", ticket, token_hash);
	int rc;

	memset(r, 0, sizeof(*r));
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		identity_from_row(st, r);
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "identity lookup");
	return rc == SQLITE_ROW;
}

int
store_identity_resolve(struct store *s, long long id, const char *state,
		       long long at, const char *by, const char *via,
		       struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE identity SET state = ?1, "
			   "resolved_at = ?2, resolved_by = ?3, resolved_via "
			   "= ?4 WHERE id = ?5", "sissi", state, at, by, via,
			   id), err, "identity update");
}

int
store_identity_set_reminded(struct store *s, long long id,
			    struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE identity SET reminded = 1 WHERE "
			   "id = ?1", "i", id), err, "identity update");
}

int
store_identity_set_remind_at(struct store *s, long long id, long long at,
			     struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE identity SET remind_at = ?1 WHERE "
			   "id = ?2", "ii", at, id), err, "identity update");
}

int
store_identity_set_escalated(struct store *s, long long id,
			     struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE identity SET escalated = 1 WHERE "
			   "id = ?1", "i", id), err, "identity update");
}

int
store_identity_due(struct store *s, long long now,
		   int (*fn)(void *ctx, const struct store_identity *r),
		   void *ctx, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT " IDENTITY_COLS " FROM "
				"identity WHERE state = 'pending' AND "
				"(expires <= ?1 OR (reminded = 0 AND "
				"remind_at <= ?1) OR (escalated = 0 AND "
				"escalate_at > 0 AND escalate_at <= ?1)) "
				"ORDER BY id LIMIT 500",
				"i", now);
	struct store_identity *v = NULL;
	size_t n = 0, i;
	int rc, out = 0;

	if (st == NULL)
		return -1;
	/* Collected first: fn writes to the tables being read. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_identity *nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		identity_from_row(st, &v[n++]);
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		out = db_fail(s, err, "identity due");
	for (i = 0; i < n; i++) {
		if (out == 0)
			out = fn(ctx, &v[i]);
		store_identity_release(&v[i]);
	}
	free(v);
	return out;
}

int
store_identity_log(struct store *s, long long at, long long ticket,
		   const char *address, const char *outcome,
		   const char *detail, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "INSERT INTO identity_log (at, "
				"ticket, address, outcome, detail) VALUES (?1,"
				" ?2, ?3, ?4, ?5)", "iisss", at, ticket,
				address, outcome, detail);

	if (st != NULL && ticket == 0)
		sqlite3_bind_null(st, 2);
	return run(s, st, err, "identity log");
}

int
store_savepoint(struct store *s, struct mp_err *err)
{
	return exec(s, "SAVEPOINT mp", err);
}

void
store_savepoint_rollback(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK TO mp; RELEASE mp", NULL, NULL, NULL);
}

int
store_savepoint_release(struct store *s, struct mp_err *err)
{
	return exec(s, "RELEASE mp", err);
}


int
store_customer_message_ids(struct store *s, long long ticket,
			   char ***ids_r, size_t *n_r, struct mp_err *err)
{
	return column_strings(s, prep(s, err, "SELECT message_id FROM messages "
				   "WHERE ticket = ?1 AND direction = 'in' AND "
				   "message_id != '' ORDER BY id", "i",
				   ticket), "message ids", ids_r, n_r, err);
}

int
store_message_ids_from(struct store *s, long long ticket, const char *from,
		       char ***ids_r, size_t *n_r, struct mp_err *err)
{
	return column_strings(s, prep(s, err, "SELECT message_id FROM messages "
				   "WHERE ticket = ?1 AND direction = 'in' AND "
				   "message_id != '' AND EXISTS (SELECT 1 FROM "
				   "json_each(parsed, '$.from') WHERE "
				   "lower(json_extract(value, '$.address')) = "
				   "lower(?2)) ORDER BY id", "is", ticket,
				   from), "message ids", ids_r, n_r, err);
}

int
column_strings(struct store *s, sqlite3_stmt *st, const char *what,
	       char ***v_r, size_t *n_r, struct mp_err *err)
{
	char **v = NULL;
	size_t n = 0;
	int rc;

	*v_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **nv = realloc(v, (n + 1) * sizeof(*v));

		if (nv == NULL || (nv[n] = col_str(st, 0)) == NULL) {
			v = nv ? nv : v;
			done(s, st);
			while (n > 0)
				free(v[--n]);
			free(v);
			return mp_err_set(err, MP_TEMP, "out of memory");
		}
		v = nv;
		n++;
	}
	done(s, st);
	*v_r = v;
	*n_r = n;
	if (rc != SQLITE_DONE)
		return db_fail(s, err, what);
	return 0;
}

int
store_outbox_claim(struct store *s, long long id, long long now,
		   struct mp_err *err)
{
	if (run(s, prep(s, err, "UPDATE outbox SET state = 'sending', "
			"claimed_at = ?2 WHERE id = ?1 AND state = 'queued'",
			"ii", id, now), err, "outbox claim") < 0)
		return -1;
	return sqlite3_changes(s->db) == 1;
}

int
store_imap_get(struct store *s, const char *mailbox, long long *uidvalidity_r,
	       long long *last_uid_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT uidvalidity, last_uid FROM "
				"imap_state WHERE mailbox = ?1", "s", mailbox);
	int rc;

	*uidvalidity_r = *last_uid_r = 0;
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = sqlite3_column_int64(st, 0);
		*last_uid_r = sqlite3_column_int64(st, 1);
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "imap state");
	return rc == SQLITE_ROW;
}

int
store_imap_set(struct store *s, const char *mailbox, long long uidvalidity,
	       long long last_uid, struct mp_err *err)
{
	return run(s, prep(s, err, "INSERT INTO imap_state (mailbox, "
			   "uidvalidity, last_uid) VALUES (?1, ?2, ?3) ON "
			   "CONFLICT(mailbox) DO UPDATE SET uidvalidity = ?2, "
			   "last_uid = ?3", "sii", mailbox, uidvalidity,
			   last_uid), err, "imap state");
}
