/* The database: schema, duplicates, threading lookups, history. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_priv.h"
#include "scratch.h"

static char dir[64];

static void
setup(void)
{
	scratch_make(dir, sizeof(dir), "store");
}

static void
teardown(void)
{
	scratch_remove(dir);
}

static long long
new_ticket(struct store *s, const char *requester)
{
	struct store_ticket t = { 0 };
	struct mp_err err = { 0 };
	long long id = 0;

	t.state = "new";
	t.requester = (char *)requester;
	t.subject = "subject";
	t.created = 1000;
	ck_assert_int_eq(store_ticket_insert(s, &t, &id, &err), 0);
	return id;
}

static void
add_message(struct store *s, long long ticket, const char *mid,
	    const char *hash)
{
	struct store_message m = { 0 };
	struct mp_err err = { 0 };

	m.ticket = ticket;
	m.direction = "in";
	m.message_id = mid;
	m.content_hash = hash;
	m.parsed_json = "{}";
	m.received = 1000;
	ck_assert_int_eq(store_message_insert(s, &m, NULL, &err), 0);
}

START_TEST(test_messages_and_threads)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	long long t1, t2, got = 0;
	const char *refs[] = { "nothing@x", "m1@x" };

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	t1 = new_ticket(s, "a@x.jp");
	t2 = new_ticket(s, "b@x.jp");
	add_message(s, t1, "m1@x", "h1");
	add_message(s, t2, "m2@x", "h2");
	add_message(s, t2, NULL, "h3");
	/* A message reusing a Message-ID with other content is kept. */
	add_message(s, t2, "m1@x", "h4");
	ck_assert_int_eq(store_commit(s, &err), 0);

	ck_assert_int_eq(store_message_find(s, "m1@x", "h1", &got, &err), 1);
	ck_assert_int_eq(got, t1);
	ck_assert_int_eq(store_message_find(s, "m1@x", "h9", &got, &err), 0);
	ck_assert_int_eq(store_message_find(s, NULL, "h3", &got, &err), 1);
	ck_assert_int_eq(got, t2);
	ck_assert_int_eq(store_ticket_by_message_ids(s, refs, 1, &got, &err),
			 0);
	ck_assert_int_eq(store_ticket_by_message_ids(s, refs + 1, 1, &got,
						     &err), 1);
	/* The newest message with that id decides. */
	ck_assert_int_eq(got, t2);
	store_free(&s);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_duplicate_rejected)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	struct store_message m = { 0 };
	long long t;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	t = new_ticket(s, "a@x.jp");
	add_message(s, t, "m1@x", "h1");
	m.ticket = t;
	m.direction = "in";
	m.message_id = "m1@x";
	m.content_hash = "h1";
	m.parsed_json = "{}";
	ck_assert_int_eq(store_message_insert(s, &m, NULL, &err), -1);
	ck_assert_int_eq(err.kind, MP_PERM);
	store_rollback(s);
	store_free(&s);
}
END_TEST

/* A batch: a message whose filing fails rolls back alone; nothing is
 * in the database for another connection before the batch commit; a
 * connection closed with the batch open keeps none of it. */
START_TEST(test_batch)
{
	struct store *s = NULL, *o = NULL;
	struct mp_err err = { 0 };
	long long t, got = 0;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_open(&o, dir, 100, &err), 0);
	ck_assert_int_eq(store_batch_begin(s, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	t = new_ticket(s, "a@x.jp");
	add_message(s, t, "b1@x", "hb1");
	ck_assert_int_eq(store_commit(s, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	add_message(s, t, "b2@x", "hb2");
	store_rollback(s);
	ck_assert_int_eq(store_begin(s, &err), 0);
	add_message(s, t, "b3@x", "hb3");
	ck_assert_int_eq(store_commit(s, &err), 0);
	ck_assert_int_eq(store_message_find(s, "b2@x", "hb2", &got, &err), 0);
	ck_assert_int_eq(store_message_find(o, "b1@x", "hb1", &got, &err), 0);
	ck_assert_int_eq(store_batch_commit(s, &err), 0);
	ck_assert_int_eq(store_message_find(o, "b1@x", "hb1", &got, &err), 1);
	ck_assert_int_eq(store_message_find(o, "b3@x", "hb3", &got, &err), 1);
	ck_assert_int_eq(store_message_find(o, "b2@x", "hb2", &got, &err), 0);

	ck_assert_int_eq(store_batch_begin(s, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	add_message(s, t, "b4@x", "hb4");
	ck_assert_int_eq(store_commit(s, &err), 0);
	store_free(&s);
	ck_assert_int_eq(store_message_find(o, "b4@x", "hb4", &got, &err), 0);
	store_free(&o);
}
END_TEST

static int
count_history(void *ctx, long long at, const char *actor, const char *event,
	      const char *detail)
{
	(void)at;
	(void)actor;
	(void)event;
	(void)detail;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_state_and_reopen)
{
	struct store *s = NULL;
	struct store_ticket t;
	struct mp_err err = { 0 };
	long long id;
	int n = 0;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	id = new_ticket(s, "a@x.jp");
	ck_assert_int_eq(store_ticket_set_state(s, id, "open", 2000, "staff",
						"confirmed", &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
	store_free(&s);
	/* Reopening runs no migration twice and keeps the data. */
	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_ticket_get(s, id, &t, &err), 1);
	ck_assert_str_eq(t.state, "open");
	ck_assert_int_eq(t.updated, 2000);
	store_ticket_release(&t);
	ck_assert_int_eq(store_ticket_get(s, id + 1, &t, &err), 0);
	ck_assert_int_eq(store_history_each(s, id, count_history, &n, &err),
			 0);
	ck_assert_int_eq(n, 1);
	store_free(&s);
}
END_TEST

/* Removing a contract takes its addresses and servers with it, so they
 * may be registered again; clearing empties the registry. */
START_TEST(test_contract_remove)
{
	static const struct {
		const char *remove;
		int want;		/* store_contract_remove() */
		const char *lookup;	/* address to look up after */
		int found;
	} cases[] = {
		{ "C-1", 1, "a@x.jp", 0 },
		{ "C-1", 0, "a@x.jp", 0 },
		{ "C-9", 0, "b@y.jp", 1 },
		{ "C-2", 1, "b@y.jp", 0 },
	};
	char *addr_a[] = { "a@x.jp" }, *addr_b[] = { "b@y.jp" };
	char *srv_a[] = { "web01" };
	struct store_contract c1 = { "C-1", "One", NULL, NULL, "", addr_a, 1,
				     NULL, srv_a, 1 };
	struct store_contract c2 = { "C-2", "Two", NULL, NULL, "", addr_b, 1,
				     NULL, NULL, 0 };
	struct store_contract c3 = { "C-3", "Three", NULL, NULL, "", addr_a,
				     1, NULL, srv_a, 1 };
	struct store *s = NULL;
	struct mp_err err = { 0 };
	size_t i;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	ck_assert_int_eq(store_contract_put(s, &c1, &err), 0);
	ck_assert_int_eq(store_contract_put(s, &c2, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *k = NULL;
		int got = store_contract_remove(s, cases[i].remove, &err);
		ck_assert_msg(got == cases[i].want, "case %zu: got %d, want %d",
			      i, got, cases[i].want);
		got = store_contract_of(s, cases[i].lookup, &k, &err);
		ck_assert_msg(got == cases[i].found, "case %zu: lookup got %d, "
			      "want %d", i, got, cases[i].found);
		free(k);
	}
	/* C-1's address and server are free again. */
	ck_assert_int_eq(store_contract_put(s, &c3, &err), 0);
	ck_assert_int_eq(store_contract_clear(s, &err), 0);
	ck_assert_int_eq(store_contract_put(s, &c1, &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
	store_free(&s);
}
END_TEST

static const char *
outbox_state(struct store *s, long long id, char *buf, size_t size)
{
	struct store_outbox *v = NULL;
	size_t n = 0, i;
	struct mp_err err = { 0 };

	/* due at a far time: every queued row */
	ck_assert_int_eq(store_outbox_due(s, 1LL << 40, 100, &v, &n, &err),
			 0);
	snprintf(buf, size, "not-queued");
	for (i = 0; i < n; i++) {
		if (v[i].id == id)
			snprintf(buf, size, "queued");
		store_outbox_release(&v[i]);
	}
	free(v);
	return buf;
}

/* A row left 'sending' goes back to the queue after its lease, not
 * before; one marked sent stays sent (issue 13). */
START_TEST(test_outbox_lease)
{
	struct store *s = NULL;
	struct store_outbox o = { 0 };
	struct mp_err err = { 0 };
	long long a, b;
	char buf[32];
	int n;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	o.template = "ack";
	o.to_addr = "a@x.jp";
	o.env_from = "";
	o.subject = "s";
	o.state = "queued";
	o.created = o.next_attempt = 1000;
	o.raw = "x";
	o.raw_len = 1;
	ck_assert_int_eq(store_outbox_insert(s, &o, &a, &err), 0);
	ck_assert_int_eq(store_outbox_insert(s, &o, &b, &err), 0);
	ck_assert_int_eq(store_outbox_claim(s, a, 1000, &err), 1);
	ck_assert_int_eq(store_outbox_claim(s, a, 1000, &err), 0);
	ck_assert_int_eq(store_outbox_claim(s, b, 1000, &err), 1);
	ck_assert_int_eq(store_outbox_mark_sent(s, b, 1001, &err), 1);
	ck_assert_int_eq(store_outbox_mark_sent(s, b, 1001, &err), 0);
	ck_assert_int_eq(store_outbox_requeue_stale(s, 1000, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(outbox_state(s, a, buf, sizeof(buf)), "not-queued");
	ck_assert_int_eq(store_outbox_requeue_stale(s, 1001, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(outbox_state(s, a, buf, sizeof(buf)), "queued");
	ck_assert_str_eq(outbox_state(s, b, buf, sizeof(buf)), "not-queued");
	store_free(&s);
}
END_TEST

/* Kept statements: the same text gets its statement back; other text in
 * the same buffer gets its own; a statement still in use is not given
 * out twice. */
START_TEST(test_statement_cache)
{
	struct mp_err err = { 0 };
	struct store *s = NULL;
	sqlite3_stmt *a, *b, *c;
	char sql[64];
	long long v = 0;
	int i, kept = 0;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	for (i = 1; i <= 3; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d + ?1", i * 10);
		ck_assert_int_eq(first_row_int(s, prep(s, &err, sql, "i",
						       (long long)i), "sum",
					       &v, &err), 1);
		ck_assert_int_eq(v, i * 11);
	}
	for (i = 0; i < STMT_CACHE; i++)
		kept += s->cache[i].key == sql;
	ck_assert_int_eq(kept, 1);	/* the buffer has one slot */

	a = prep(s, &err, "SELECT ?1", "i", 7LL);
	b = prep(s, &err, "SELECT ?1", "i", 8LL);	/* a is in use */
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(first_row_int(s, b, "b", &v, &err), 1);
	ck_assert_int_eq(v, 8);
	ck_assert_int_eq(first_row_int(s, a, "a", &v, &err), 1);
	ck_assert_int_eq(v, 7);
	c = prep(s, &err, "SELECT ?1", "");	/* bindings were cleared */
	ck_assert_ptr_eq(c, a);
	ck_assert_int_eq(sqlite3_step(c), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_type(c, 0), SQLITE_NULL);
	done(s, c);
	store_free(&s);
}
END_TEST

Suite *
suite_store(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_messages_and_threads);
	tcase_add_test(tc, test_duplicate_rejected);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_state_and_reopen);
	tcase_add_test(tc, test_contract_remove);
	tcase_add_test(tc, test_outbox_lease);
	tcase_add_test(tc, test_statement_cache);
	suite_add_tcase(s, tc);
	return s;
}
