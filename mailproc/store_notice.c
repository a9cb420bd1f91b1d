/*
 * store_notice.c: the notices tables.  A notice is created with its
 * recipients already chosen (what `notice show --dry-run` shows is what
 * `notice send` queues), and each recipient row keeps the outbox row it
 * was sent as: the record of who got what.  Also the two lookups of
 * monitoring alerts: a server's contract, and the open alert ticket an
 * alert folds into.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_priv.h"

void
store_notice_release(struct store_notice *n)
{
	free(n->template);
	free(n->vars);
	free(n->state);
	memset(n, 0, sizeof(*n));
}

int
store_notice_insert(struct store *s, const struct store_notice *n,
		    long long *id_r, struct mp_err *err)
{
	if (run(s, prep(s, err, "INSERT INTO notices (ticket, template, vars, "
			"state, created) VALUES (?1, ?2, ?3, ?4, ?5)", "isssi",
			n->ticket, n->template, n->vars ? n->vars : "",
			n->state ? n->state : "draft", n->created), err,
		"notice") < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_notice_get(struct store *s, long long id, struct store_notice *n,
		 struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT id, ticket, template, vars, "
				"state, created, sent_at FROM notices WHERE "
				"id = ?1", "i", id);
	int rc;

	memset(n, 0, sizeof(*n));
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n->id = sqlite3_column_int64(st, 0);
		n->ticket = sqlite3_column_int64(st, 1);
		n->template = col_str(st, 2);
		n->vars = col_str(st, 3);
		n->state = col_str(st, 4);
		n->created = sqlite3_column_int64(st, 5);
		n->sent_at = sqlite3_column_int64(st, 6);
	}
	done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "notice");
	if (rc == SQLITE_ROW && (n->template == NULL || n->vars == NULL ||
				 n->state == NULL)) {
		store_notice_release(n);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	return rc == SQLITE_ROW;
}

int
store_notice_set_sent(struct store *s, long long id, long long at,
		      struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE notices SET state = 'sent', "
			   "sent_at = ?2 WHERE id = ?1", "ii", id, at), err,
		   "notice");
}

int
store_notice_rcpt_add(struct store *s, long long notice,
		      const struct store_notice_rcpt *r, struct mp_err *err)
{
	return run(s, prep(s, err, "INSERT INTO notice_recipients (notice, "
			   "address, contracts, holder_name, lang, servers) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "isssss", notice,
			   r->address, r->contracts, r->holder_name, r->lang,
			   r->servers ? r->servers : ""), err,
		   "notice recipient");
}

int
store_notice_rcpt_set_outbox(struct store *s, long long notice,
			     const char *address, long long outbox,
			     struct mp_err *err)
{
	return run(s, prep(s, err, "UPDATE notice_recipients SET outbox = ?3 "
			   "WHERE notice = ?1 AND address = ?2", "isi", notice,
			   address, outbox), err, "notice recipient");
}

void
store_notice_rcpts_free(struct store_notice_rcpt *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].address);
		free(v[i].contracts);
		free(v[i].holder_name);
		free(v[i].lang);
		free(v[i].servers);
		free(v[i].outbox_state);
	}
	free(v);
}

int
store_notice_rcpts(struct store *s, long long notice,
		   struct store_notice_rcpt **v_r, size_t *n_r,
		   struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT r.address, r.contracts, "
				"r.holder_name, r.lang, r.servers, r.outbox, "
				"o.state FROM notice_recipients r LEFT JOIN "
				"outbox o ON o.id = r.outbox WHERE r.notice = "
				"?1 ORDER BY r.id", "i", notice);
	struct store_notice_rcpt *v = NULL, *nv;
	size_t n = 0;
	int rc;

	*v_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].address = col_str(st, 0);
		v[n].contracts = col_str(st, 1);
		v[n].holder_name = col_str(st, 2);
		v[n].lang = col_str(st, 3);
		v[n].servers = col_str(st, 4);
		v[n].outbox = sqlite3_column_int64(st, 5);
		v[n].outbox_state = col_str(st, 6);
		n++;
		if (v[n - 1].address == NULL || v[n - 1].contracts == NULL ||
		    v[n - 1].lang == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	done(s, st);
	if (rc != SQLITE_DONE) {
		store_notice_rcpts_free(v, n);
		return rc == SQLITE_NOMEM ?
			mp_err_set(err, MP_TEMP, "out of memory") :
			db_fail(s, err, "notice recipients");
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

int
store_contract_lang(struct store *s, const char *contract, char **lang_r,
		    struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT lang FROM tickets WHERE "
				"contract = ?1 AND class IS NOT 'notice' "
				"ORDER BY id DESC LIMIT 1", "s", contract);
	int rc = first_row_strings(s, st, "contract language", err, 1,
				   lang_r);

	return rc < 0 ? -1 : *lang_r != NULL;
}

int
store_outbox_sent_since(struct store *s, const char *template_prefix,
			long long since, long long *n_r, struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT count(*) FROM outbox WHERE "
				"state = 'sent' AND sent_at >= ?2 AND "
				"substr(template, 1, length(?1)) = ?1", "si",
				template_prefix, since);

	return first_row_int(s, st, "outbox count", n_r, err) < 0 ? -1 : 0;
}

int
store_server_contract(struct store *s, const char *name, char **contract_r,
		      struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT contract FROM contract_servers "
				"WHERE name = ?1", "s", name);

	return first_row_strings(s, st, "server contract", err, 1,
				 contract_r);
}

int
store_alert_open(struct store *s, const char *key, long long *id_r,
		 struct mp_err *err)
{
	sqlite3_stmt *st = prep(s, err, "SELECT id FROM tickets WHERE class = "
				"'alert' AND rule = ?1 AND state NOT IN "
				"('closed', 'done', 'rejected') ORDER BY id "
				"DESC LIMIT 1", "s", key);

	return first_row_int(s, st, "open alert", id_r, err);
}
