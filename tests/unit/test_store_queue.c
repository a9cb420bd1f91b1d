/* The staff's queue in the store: first responses, overdue, listing
 * filters, search, escalation and digest claims, merges. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "scratch.h"

static char dir[64];
static struct store *st;

static void
setup(void)
{
	struct mp_err err = { 0 };

	scratch_make(dir, sizeof(dir), "queue");
	ck_assert_int_eq(store_open(&st, dir, 1000, &err), 0);
}

static void
teardown(void)
{
	store_free(&st);
	scratch_remove(dir);
}

/* A new ticket from requester created at created, due at due (0: none). */
static long long
ticket(const char *requester, long long created, long long due)
{
	struct store_ticket t = { 0 };
	struct mp_err err = { 0 };
	long long id = 0;

	t.state = "new";
	t.class = "general";
	t.requester = (char *)requester;
	t.subject = "subject";
	t.created = created;
	t.first_response_due = due;
	ck_assert_int_eq(store_ticket_insert(st, &t, &id, &err), 0);
	return id;
}

/* A customer message on ticket id with subject and text, received at. */
static long long
message(long long id, const char *mid, const char *subject,
	const char *text, long long at)
{
	struct store_message m = { 0 };
	struct mp_err err = { 0 };
	char json[512];
	long long mid_r = 0;

	snprintf(json, sizeof(json), "{\"subject\": \"%s\", \"text\": \"%s\"}",
		 subject, text);
	m.ticket = id;
	m.direction = "in";
	m.message_id = mid;
	m.content_hash = mid;
	m.parsed_json = json;
	m.received = at;
	ck_assert_int_eq(store_message_insert(st, &m, &mid_r, &err), 0);
	return mid_r;
}

static void
get(long long id, struct store_ticket *t)
{
	struct mp_err err = { 0 };

	ck_assert_int_eq(store_ticket_get(st, id, t, &err), 1);
}

START_TEST(test_first_response_once)
{
	struct store_ticket t;
	struct mp_err err = { 0 };
	int first = -1;
	long long id = ticket("a@example.com", 100, 200);

	ck_assert_int_eq(store_ticket_first_response(st, id, 150, "staff",
						     &first, &err), 0);
	ck_assert_int_eq(first, 1);
	get(id, &t);
	ck_assert_int_eq(t.first_response_at, 150);
	ck_assert_str_eq(t.state, "open");
	store_ticket_release(&t);
	/* A later reply changes nothing. */
	ck_assert_int_eq(store_ticket_first_response(st, id, 180, "staff",
						     &first, &err), 0);
	ck_assert_int_eq(first, 0);
	get(id, &t);
	ck_assert_int_eq(t.first_response_at, 150);
	store_ticket_release(&t);
}
END_TEST

START_TEST(test_overdue)
{
	struct store_ticket t = { 0 };

	t.state = (char *)"new";
	t.first_response_due = 200;
	ck_assert(!store_ticket_overdue(&t, 199));
	ck_assert(store_ticket_overdue(&t, 200));
	t.first_response_at = 150;
	ck_assert(!store_ticket_overdue(&t, 300));
	t.first_response_at = 0;
	t.state = (char *)"closed";
	ck_assert(!store_ticket_overdue(&t, 300));
	t.state = (char *)"open";
	t.merged_into = 1;
	ck_assert(!store_ticket_overdue(&t, 300));
	t.merged_into = 0;
	t.first_response_due = 0;
	ck_assert(!store_ticket_overdue(&t, 300));
}
END_TEST

static int
collect(void *ctx, const struct store_ticket *t)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 128 - n, "%s%lld", n ? "," : "", t->id);
	return 0;
}

static const char *
list(const struct store_ticket_filter *f, char *out)
{
	struct mp_err err = { 0 };

	out[0] = '\0';
	ck_assert_int_eq(store_ticket_list(st, f, collect, out, &err), 0);
	return out;
}

START_TEST(test_list_filters)
{
	struct store_ticket_filter f = { 0 };
	struct mp_err err = { 0 };
	char out[128];
	long long a = ticket("a@example.com", 100, 200);
	long long b = ticket("b@example.com", 300, 400);

	ck_assert_str_eq(list(NULL, out), "1,2");
	f.requester = "A@EXAMPLE.COM";
	ck_assert_str_eq(list(&f, out), "1");
	memset(&f, 0, sizeof(f));
	f.since = 300;
	ck_assert_str_eq(list(&f, out), "2");
	memset(&f, 0, sizeof(f));
	f.overdue = 1;
	f.now = 250;
	ck_assert_str_eq(list(&f, out), "1");
	f.now = 500;
	ck_assert_str_eq(list(&f, out), "1,2");
	ck_assert_int_eq(store_ticket_set_owner(st, b, "staff@example.jp", 310,
						"staff@example.jp", &err), 0);
	memset(&f, 0, sizeof(f));
	f.owner = "staff@example.jp";
	ck_assert_str_eq(list(&f, out), "2");
	memset(&f, 0, sizeof(f));
	f.state = "open";
	ck_assert_str_eq(list(&f, out), "");
	(void)a;
}
END_TEST

static int
hits(void *ctx, const struct store_hit *h)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 128 - n, "%s%lld", n ? "," : "", h->message);
	return 0;
}

static const char *
search(const char *q, int limit, long long since, char *out)
{
	struct mp_err err = { 0 };

	out[0] = '\0';
	ck_assert_int_eq(store_search(st, q, limit, since, hits, out, &err),
			 0);
	return out;
}

START_TEST(test_search)
{
	struct mp_err err = { 0 };
	char out[128];
	long long a = ticket("a@example.com", 100, 0);
	long long b = ticket("b@example.com", 200, 0);
	long long m1 = message(a, "m1@x", "バックアップの容量", "disk quota", 100);
	long long m2 = message(b, "m2@x", "invoice", "バックアップ again", 200);
	char want[64];

	snprintf(want, sizeof(want), "%lld,%lld", m2, m1);
	ck_assert_str_eq(search("バックアップ", 50, 0, out), want);
	snprintf(want, sizeof(want), "%lld", m2);
	ck_assert_str_eq(search("バックアップ", 1, 0, out), want);
	ck_assert_str_eq(search("バックアップ", 50, 150, out), want);
	/* Two characters: a substring match, with the same bounds. */
	snprintf(want, sizeof(want), "%lld", m1);
	ck_assert_str_eq(search("容量", 50, 0, out), want);
	ck_assert_str_eq(search("容量", 50, 150, out), "");
	/* Words are ANDed; quotes and LIKE wildcards are literal. */
	ck_assert_str_eq(search("invoice quota", 50, 0, out), "");
	ck_assert_str_eq(search("\"quota", 50, 0, out), "");
	ck_assert_str_eq(search("%%", 50, 0, out), "");
	ck_assert_int_eq(store_search(st, "  ", 50, 0, hits, out, &err), -1);
	ck_assert_int_eq(err.kind, MP_PERM);
}
END_TEST

/* The index is written at commit: what a batch's savepoints kept is
 * found, what they or a whole transaction rolled back is not. */
START_TEST(test_search_after_batch)
{
	struct mp_err err = { 0 };
	char out[128], want[64];
	long long a = ticket("a@example.com", 100, 0), kept1, kept2;

	ck_assert_int_eq(store_batch_begin(st, &err), 0);
	ck_assert_int_eq(store_begin(st, &err), 0);
	kept1 = message(a, "b1@x", "batch", "zebra one", 100);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(store_begin(st, &err), 0);
	message(a, "b2@x", "batch", "zebra two", 100);
	store_rollback(st);
	ck_assert_int_eq(store_begin(st, &err), 0);
	kept2 = message(a, "b3@x", "batch", "zebra three", 100);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(store_batch_commit(st, &err), 0);
	snprintf(want, sizeof(want), "%lld,%lld", kept2, kept1);
	ck_assert_str_eq(search("zebra", 50, 0, out), want);

	ck_assert_int_eq(store_begin(st, &err), 0);
	message(a, "r1@x", "rolled", "okapi", 100);
	store_rollback(st);
	ck_assert_str_eq(search("okapi", 50, 0, out), "");
	ck_assert_int_eq(store_begin(st, &err), 0);
	kept1 = message(a, "r2@x", "kept", "okapi", 100);
	ck_assert_int_eq(store_commit(st, &err), 0);
	snprintf(want, sizeof(want), "%lld", kept1);
	ck_assert_str_eq(search("okapi", 50, 0, out), want);
}
END_TEST

START_TEST(test_claims_once)
{
	struct mp_err err = { 0 };
	long long id = ticket("a@example.com", 100, 200), opening, sent;

	ck_assert_int_eq(store_ticket_claim_escalation(st, id, 300, &err), 1);
	ck_assert_int_eq(store_ticket_claim_escalation(st, id, 301, &err), 0);
	ck_assert_int_eq(store_ticket_restart_clock(st, id, 900, &err), 0);
	ck_assert_int_eq(store_ticket_claim_escalation(st, id, 901, &err), 1);

	ck_assert_int_eq(store_digest_last(st, &opening, &sent, &err), 0);
	ck_assert_int_eq(opening, 0);
	ck_assert_int_eq(store_digest_claim(st, 1000, 1001, &err), 1);
	ck_assert_int_eq(store_digest_claim(st, 1000, 1002, &err), 0);
	ck_assert_int_eq(store_digest_claim(st, 2000, 2001, &err), 1);
	ck_assert_int_eq(store_digest_last(st, &opening, &sent, &err), 0);
	ck_assert_int_eq(opening, 2000);
	ck_assert_int_eq(sent, 2001);
}
END_TEST

START_TEST(test_merge)
{
	struct store_ticket t;
	struct mp_err err = { 0 };
	char *detail = NULL, out[128];
	long long older = ticket("a@example.com", 100, 0);
	long long newer = ticket("a@example.com", 200, 0);
	long long m = message(newer, "n1@x", "duplicate", "the same request",
			      200);
	char want[32];

	ck_assert_int_eq(store_history_add(st, newer, 210, "staff", "comment",
					   "a note", &err), 0);
	ck_assert_int_eq(store_ticket_merge(st, newer, older, 300, "staff",
					    &err), 0);
	get(newer, &t);
	ck_assert_int_eq(t.merged_into, older);
	ck_assert_str_eq(t.state, "closed");
	store_ticket_release(&t);
	/* The message is the older ticket's now, and so is the history. */
	ck_assert_int_eq(store_history_last(st, older, "comment", &detail,
					    &err), 1);
	ck_assert_ptr_nonnull(strstr(detail, "a note"));
	free(detail);
	ck_assert_int_eq(store_history_last(st, older, "merge", &detail,
					    &err), 1);
	free(detail);
	snprintf(want, sizeof(want), "%lld", m);
	ck_assert_str_eq(search("request", 50, 0, out), want);
	{
		long long found = 0;

		ck_assert_int_eq(store_message_find(st, "n1@x", "n1@x", &found,
						    &err), 1);
		ck_assert_int_eq(found, older);
	}
}
END_TEST

Suite *
suite_store_queue(void)
{
	Suite *s = suite_create("store_queue");
	TCase *tc = tcase_create("store_queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_first_response_once);
	tcase_add_test(tc, test_overdue);
	tcase_add_test(tc, test_list_filters);
	tcase_add_test(tc, test_search);
	tcase_add_test(tc, test_search_after_batch);
	tcase_add_test(tc, test_claims_once);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	return s;
}
