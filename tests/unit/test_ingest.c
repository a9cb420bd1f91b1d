/* From a spool file to a ticket, and to failed/ when that can never
 * work. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "spool.h"
#include "store.h"

static char dir[64];
static struct conf conf;

static void
setup(void)
{
	struct mp_err err = { 0 };
	const char *top = getenv("MP_TOP");

	snprintf(dir, sizeof(dir), "/tmp/mp-ingest-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(conf_load(&conf, top ? top : ".", NULL, &err), 0);
	free(conf.state_dir);
	conf.state_dir = strdup(dir);
}

static void
teardown(void)
{
	char cmd[256];

	conf_release(&conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *
spool_env(const char *text, const char *sender, const char *recipient,
	  const char *sasl)
{
	struct spool_envelope env = { (char *)sender, (char *)recipient,
				      (char *)sasl };
	struct mp_err err = { 0 };
	char path[] = "/tmp/mp-ingest-in.XXXXXX", *name = NULL;
	int fd = mkstemp(path), lock = -1;

	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(spool_receive(dir, fd, &env, 1 << 20, &name, &lock,
				       &err), 0);
	close(fd);
	close(lock);
	return name;
}

static char *
spool(const char *text)
{
	return spool_env(text, "a@example.com", "support@example.jp", "");
}

struct tally {
	const char *template;
	int n;
};

static int
count_template(void *ctx, const struct store_outbox *o)
{
	struct tally *t = ctx;

	if (strncmp(o->template, t->template, strlen(t->template)) == 0 &&
	    strcmp(o->state, "suppressed") != 0)
		t->n++;
	return 0;
}

/* Rows of template on ticket (0: all) that were not suppressed. */
static int
outbox_count(long long ticket, const char *template)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	struct tally t = { template, 0 };

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_outbox_each(s, ticket, count_template, &t,
					   &err), 0);
	store_free(&s);
	return t.n;
}

static int
in_new(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/spool/incoming/new/%s", dir, name);
	return stat(path, &st) == 0;
}

static int
count_outbox(void *ctx, const struct store_outbox *o)
{
	if (strcmp(o->template, "staff-failed-message") == 0)
		(*(int *)ctx)++;
	return 0;
}

/* The staff-failed-message notices queued. */
static int
failed_notices(void)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	int n = 0;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_outbox_each(s, 0, count_outbox, &n, &err), 0);
	store_free(&s);
	return n;
}

/* Whether new/name has an attempt count beside it. */
static int
has_attempts(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/spool/incoming/new/.%s.attempts",
		 dir, name);
	return stat(path, &st) == 0;
}

/* Reads failed/name.reason into reason (size bytes); 0 when failed/name
 * or its reason is missing. */
static int
failed_reason(const char *name, char *reason, size_t size)
{
	char path[512];
	struct stat st;
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "%s/spool/failed/%s", dir, name);
	if (stat(path, &st) != 0)
		return 0;
	strncat(path, ".reason", sizeof(path) - strlen(path) - 1);
	fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	ok = fgets(reason, (int)size, fp) != NULL;
	fclose(fp);
	return ok;
}

START_TEST(test_failed_goes_aside_and_staff_told)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 }, perm = { MP_PERM, "cannot ever work", 0 };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");
	char reason[512];

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ingest_failed(in, name, &perm);
	ck_assert(failed_reason(name, reason, sizeof(reason)));
	ingest_free(&in);
	ck_assert_int_eq(failed_notices(), 1);
	free(name);
}
END_TEST

START_TEST(test_temporary_stays_in_new)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 }, temp = { MP_TEMP, "locked", 0 };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");
	char path[512];
	struct stat st;

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ingest_failed(in, name, &temp);
	snprintf(path, sizeof(path), "%s/spool/incoming/new/%s", dir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	/* ... and a later pass files it, once. */
	ck_assert_int_eq(ingest_spooled(in, name, &err), 0);
	ck_assert_int_ne(stat(path, &st), 0);
	ingest_free(&in);
	free(name);
}
END_TEST

/* Issue 13: a mail that fails temporarily every time was retried for
 * ever.  The max_spool_attempts-th failure quarantines it, with one staff
 * notice; database faults never count, however often they come. */
START_TEST(test_attempts_run_out)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 }, temp = { MP_TEMP, "cannot build", 0 },
		db = { MP_TEMP, "database: begin: database is locked", 1 };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");
	char reason[512];
	int i;

	conf.max_spool_attempts = 3;
	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	for (i = 0; i < 20; i++)
		ingest_failed(in, name, &db);
	ck_assert(in_new(name));
	for (i = 1; i < 3; i++) {
		ingest_failed(in, name, &temp);
		ck_assert_msg(in_new(name), "gone after %d attempts", i);
	}
	ingest_failed(in, name, &temp);
	ck_assert(!in_new(name));
	ck_assert(failed_reason(name, reason, sizeof(reason)));
	ck_assert_ptr_nonnull(strstr(reason, "3 attempts"));
	ck_assert_ptr_nonnull(strstr(reason, "cannot build"));
	/* The side file goes with it: nothing is left in new/. */
	ck_assert(!has_attempts(name));
	/* A later pass finds nothing to fail again: one notice only. */
	ingest_failed(in, name, &temp);
	ingest_free(&in);
	ck_assert_int_eq(failed_notices(), 1);
	free(name);
}
END_TEST

/* A mail that fails once and then files leaves no attempt count. */
START_TEST(test_attempts_cleared_when_filed)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 }, temp = { MP_TEMP, "cannot build", 0 };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ingest_failed(in, name, &temp);
	ck_assert(has_attempts(name));
	ck_assert_int_eq(ingest_spooled(in, name, &err), 0);
	ck_assert(!has_attempts(name));
	ingest_free(&in);
	free(name);
}
END_TEST

/* Issue 13: identifiers with a space, '<' or an encoded CR LF made the
 * acknowledgement unbuildable, and the mail stayed in new/ for ever. */
START_TEST(test_poison_ids_make_a_ticket)
{
	static const char *const mails[] = {
		"From: a@example.com\nTo: support@example.jp\nSubject: "
		"disk\nMessage-ID: <a b@x>\n\nbody\n",
		"From: a@example.com\nTo: support@example.jp\nSubject: "
		"disk\nMessage-ID: <ok1@x>\nReferences: <x y@z>\n\nbody\n",
		"From: a@example.com\nTo: support@example.jp\nSubject: "
		"disk\nMessage-ID: <ok2@x>\nIn-Reply-To: <c<d@x>\n\nbody\n",
		"From: a@example.com\nTo: support@example.jp\nSubject: "
		"disk\nMessage-ID: <e=?UTF-8?Q?=0D=0A?=f@x>\n\nbody\n",
	};
	size_t i;

	for (i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		struct ingest *in = NULL;
		struct mp_err err = { 0 };
		char *name = spool(mails[i]);
		int before = outbox_count(0, "ack");

		ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
		ck_assert_msg(ingest_spooled(in, name, &err) == 0,
			      "case %zu: not filed: %s", i, err.msg);
		ck_assert_msg(!in_new(name), "case %zu: still in new/", i);
		ck_assert_msg(outbox_count(0, "ack") == before + 1,
			      "case %zu: no acknowledgement", i);
		ingest_free(&in);
		free(name);
	}
}
END_TEST

/* A poison identifier on a ticket (from a stranger's mail to its confirm
 * address, or a row stored before the parser dropped them) must not
 * block staff replies on that ticket. */
START_TEST(test_poison_id_on_ticket_leaves_staff_replies)
{
	struct ingest *in = NULL;
	struct store *s = NULL;
	struct store_message sm = { 0 };
	struct mp_err err = { 0 };
	char *name;

	free(conf.staff_addresses);
	conf.staff_addresses = strdup("staff@example.jp");
	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	name = spool("From: a@example.com\nTo: support@example.jp\n"
		     "Subject: disk\nMessage-ID: <first@x>\n\nbody\n");
	ck_assert_int_eq(ingest_spooled(in, name, &err), 0);
	free(name);
	/* The stranger, through the confirm address with a wrong token. */
	name = spool_env("From: evil@example.net\nTo: support@example.jp\n"
			 "Subject: yes\nMessage-ID: <a b@x>\n"
			 "References: <first@x> <x y@z>\n\nyes\n",
			 "evil@example.net",
			 "support+confirm-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			 "@example.jp", "");
	ck_assert_int_eq(ingest_spooled(in, name, &err), 0);
	free(name);
	ingest_free(&in);
	/* ... and a bad identifier stored on ticket 1 by an older
	 * version. */
	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	sm.ticket = 1;
	sm.direction = "in";
	sm.message_id = "c<d@x";
	sm.content_hash = "00";
	sm.spool_name = "old";
	sm.env_sender = sm.env_recipient = sm.sasl_user = "";
	sm.parsed_json = "{}";
	ck_assert_int_eq(store_message_insert(s, &sm, NULL, &err), 0);
	store_free(&s);

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	name = spool_env("From: staff@example.jp\nTo: support+1@example.jp\n"
			 "Subject: Re: [SUPPORT#1] disk\nMessage-ID: "
			 "<s1@example.jp>\n\nUse /data.\n",
			 "staff@example.jp", "support+1@example.jp",
			 "staff@example.jp");
	ck_assert_msg(ingest_spooled(in, name, &err) == 0,
		      "staff reply not filed: %s", err.msg);
	ck_assert(!in_new(name));
	ck_assert_int_eq(outbox_count(1, "staff-reply"), 1);
	ingest_free(&in);
	free(name);
}
END_TEST

/* Behind Postfix a bounce arrives with the sender "MAILER-DAEMON": it
 * becomes a ticket but gets no acknowledgement (RFC 3834 §2). */
START_TEST(test_mailer_daemon_gets_no_ack)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 };
	char *name = spool_env("From: Mail System <admin@relay.example.net>\n"
			       "To: support@example.jp\nSubject: Undelivered "
			       "Mail\nMessage-ID: <b1@relay>\n\ngone\n",
			       "MAILER-DAEMON", "support@example.jp", "");

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ck_assert_int_eq(ingest_spooled(in, name, &err), 0);
	ck_assert_int_eq(outbox_count(0, "ack"), 0);
	ingest_free(&in);
	free(name);
}
END_TEST

struct row {
	long long id, ticket;
	char template[64], to[128], mid[256];
};

struct rows {
	long long after;
	struct row v[256];
	size_t n;
};

static int
collect_row(void *ctx, const struct store_outbox *o)
{
	struct rows *r = ctx;

	if (o->id <= r->after || strcmp(o->state, "suppressed") == 0 ||
	    r->n == sizeof(r->v) / sizeof(r->v[0]))
		return 0;
	r->v[r->n].id = o->id;
	r->v[r->n].ticket = o->ticket;
	snprintf(r->v[r->n].template, sizeof(r->v[0].template), "%s",
		 o->template);
	snprintf(r->v[r->n].to, sizeof(r->v[0].to), "%s", o->to_addr);
	snprintf(r->v[r->n].mid, sizeof(r->v[0].mid), "%s",
		 o->message_id ? o->message_id : "");
	r->n++;
	return 0;
}

/* The outbox rows queued after row `after` (not suppressed). */
static void
rows_after(long long after, struct rows *r)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };

	r->after = after;
	r->n = 0;
	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_outbox_each(s, 0, collect_row, r, &err), 0);
	store_free(&s);
}

static int
count_one(void *ctx, const struct store_ticket *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static int
ticket_count(void)
{
	struct store *s = NULL;
	struct mp_err err = { 0 };
	int n = 0;

	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_ticket_each(s, NULL, count_one, &n, &err), 0);
	store_free(&s);
	return n;
}

static void
file_text_as(struct ingest *in, const char *text, const char *sender,
	     const char *recipient, const char *sasl)
{
	struct mp_err err = { 0 };
	char *name = spool_env(text, sender, recipient, sasl);

	ck_assert_msg(ingest_spooled(in, name, &err) == 0, "not filed: %s",
		      err.msg);
	free(name);
}

static void
file_text(struct ingest *in, const char *text, const char *sender,
	  const char *recipient)
{
	file_text_as(in, text, sender, recipient, "");
}

/* Issue 13: a staff auto-responder that ignores Auto-Submitted answered
 * each notice from the staff address, without a trust signal; each
 * answer made a spoofing notice and a follow-up notice to every staff
 * address: 2, 4, 8 ... notices a round.  Now a spoofed mail makes one
 * notice, a sender at most one an hour, and machine-marked mail none. */
START_TEST(test_staff_autoresponder_loop_ends)
{
	static const char *const marks[] = { "", "Auto-Submitted: "
					     "auto-replied\n" };
	int variant;

	for (variant = 0; variant < 2; variant++) {
		struct ingest *in = NULL;
		struct mp_err err = { 0 };
		struct rows r;
		long long last;
		int round, total = 0;
		size_t i;

		if (variant > 0) {
			teardown();
			setup();
		}
		free(conf.staff_addresses);
		conf.staff_addresses = strdup("staff@example.jp "
					      "alice@example.jp");
		ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
		file_text(in, "From: a@example.com\nTo: support@example.jp\n"
			  "Subject: disk\nMessage-ID: <q1@x>\n\nHow do "
			  "I use the disk?\n", "a@example.com",
			  "support@example.jp");
		rows_after(0, &r);
		last = r.n ? r.v[r.n - 1].id : 0;
		for (round = 0; round < 7; round++) {
			struct rows now = r;
			int notices = 0;

			for (i = 0; i < now.n; i++) {
				char text[1024];

				if (strncmp(now.v[i].template, "staff-", 6))
					continue;
				notices++;
				snprintf(text, sizeof(text), "From: %s\nTo: "
					 "support+1@example.jp\nSubject: Re: "
					 "[SUPPORT#1] disk\nMessage-ID: "
					 "<r%d-%zu-%d@example.jp>\n"
					 "In-Reply-To: <%s>\n%s\nI am "
					 "away until Monday.\n",
					 now.v[i].to, round, i, variant,
					 now.v[i].mid, marks[variant]);
				file_text(in, text, now.v[i].to,
					  "support+1@example.jp");
			}
			total += notices;
			rows_after(last, &r);
			if (r.n > 0)
				last = r.v[r.n - 1].id;
		}
		ck_assert_msg(r.n == 0, "variant %d: still %zu mails after 7 "
			      "rounds", variant, r.n);
		ck_assert_msg(total <= 6, "variant %d: %d staff notices, want "
			      "at most 6", variant, total);
		ingest_free(&in);
	}
}
END_TEST

/* Issue 13: an AUTHENTICATED staff auto-responder (it ignores
 * Auto-Submitted) answers every staff notice, and the customer's ticket
 * system answers every mail we relay, unmarked.  The staff answers are
 * staff replies and are still relayed; the rounds must end all the same. */
START_TEST(test_authenticated_autoresponder_loop_ends)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 };
	struct rows r;
	long long last;
	int round, total = 0;
	size_t i;

	free(conf.staff_addresses);
	conf.staff_addresses = strdup("alice@example.jp");
	free(conf.staff_logins);
	conf.staff_logins = strdup("alice=alice@example.jp");
	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	file_text(in, "From: a@example.com\nTo: support@example.jp\n"
		  "Subject: disk\nMessage-ID: <q1@x>\n\nHow do I use the "
		  "disk?\n", "a@example.com", "support@example.jp");
	rows_after(0, &r);
	last = r.n ? r.v[r.n - 1].id : 0;
	for (round = 0; round < 8; round++) {
		struct rows now = r;

		for (i = 0; i < now.n; i++) {
			char text[1024];
			int staff = strcmp(now.v[i].to, "alice@example.jp") == 0;

			snprintf(text, sizeof(text), "From: %s\nTo: "
				 "support+1@example.jp\nSubject: Re: "
				 "[SUPPORT#1] disk\nMessage-ID: "
				 "<a%d-%zu@%s>\nIn-Reply-To: <%s>\n\n%s\n",
				 now.v[i].to, round, i, staff ? "example.jp" :
				 "example.com", now.v[i].mid, staff ?
				 "I am away until Monday." :
				 "Your mail is ticket 42 in our system.");
			file_text_as(in, text, now.v[i].to,
				     "support+1@example.jp", staff ? "alice" :
				     "");
		}
		total += (int)now.n;
		rows_after(last, &r);
		if (r.n > 0)
			last = r.v[r.n - 1].id;
	}
	ck_assert_msg(r.n == 0, "still %zu mails after 8 rounds (%d in all)",
		      r.n, total);
	ingest_free(&in);
}
END_TEST

/* Issue 13: a monitoring-centre ticket system answers each fault notice
 * from a new per-ticket address.  With References to our notice it joins
 * our ticket; without them its mail opens a ticket that is never routed
 * back to the centre.  Either way the rounds end. */
START_TEST(test_centre_ticket_system_loop_ends)
{
	int variant;

	for (variant = 0; variant < 2; variant++) {
		struct ingest *in = NULL;
		struct mp_err err = { 0 };
		struct rows r;
		long long last;
		int round, k = 100, to_centre = 0;
		size_t i;

		if (variant > 0) {
			teardown();
			setup();
		}
		free(conf.monitoring_centre_address);
		conf.monitoring_centre_address =
			strdup("noc@centre.example.net");
		ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
		file_text(in, "From: a@example.com\nTo: support@example.jp\n"
			  "Subject: server down\nMessage-ID: <f1@x>\n"
			  "Content-Type: text/plain; charset=UTF-8\n\n"
			  "\xe3\x82\xb5\xe3\x83\xbc\xe3\x83\x90\xe3\x83"
			  "\xbc\xe3\x81\x8c\xe3\x83\x80\xe3\x82\xa6\xe3"
			  "\x83\xb3\xe3\x81\x97\xe3\x81\xa6\xe3\x81\x84"
			  "\xe3\x81\xbe\xe3\x81\x99\xe3\x80\x82ping\n",
			  "a@example.com", "support@example.jp");
		rows_after(0, &r);
		last = r.n ? r.v[r.n - 1].id : 0;
		for (round = 0; round < 6 && r.n > 0; round++) {
			struct rows now = r;

			for (i = 0; i < now.n; i++) {
				char text[2048], from[64], refs[400] = "";

				if (strstr(now.v[i].to, "@centre.") == NULL)
					continue;
				to_centre++;
				snprintf(from, sizeof(from),
					 "ticket-%d@centre.example.net", k++);
				if (variant == 0)
					snprintf(refs, sizeof(refs),
						 "In-Reply-To: <%s>\n"
						 "References: <%s>\n",
						 now.v[i].mid, now.v[i].mid);
				snprintf(text, sizeof(text), "From: %s\nTo: "
					 "support+%lld@example.jp\nSubject: "
					 "Re: [SUPPORT#%lld] server down "
					 "(NOC#%d)\nMessage-ID: <n%d@centre>"
					 "\n%s\nReceived. Server is down, "
					 "ping fails.\n", from,
					 now.v[i].ticket, now.v[i].ticket, k,
					 k, refs);
				file_text(in, text, from, "support@example.jp");
			}
			rows_after(last, &r);
			if (r.n > 0)
				last = r.v[r.n - 1].id;
		}
		for (i = 0; i < r.n; i++)
			ck_assert_msg(strstr(r.v[i].to, "@centre.") == NULL,
				      "variant %d: still mailing the centre "
				      "after %d rounds", variant, round);
		ck_assert_msg(to_centre == 1, "variant %d: %d mails to the "
			      "centre, want 1", variant, to_centre);
		if (variant == 0)
			ck_assert_int_eq(ticket_count(), 1);
		ingest_free(&in);
	}
}
END_TEST

Suite *
suite_ingest(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failed_goes_aside_and_staff_told);
	tcase_add_test(tc, test_temporary_stays_in_new);
	tcase_add_test(tc, test_attempts_run_out);
	tcase_add_test(tc, test_attempts_cleared_when_filed);
	tcase_add_test(tc, test_poison_ids_make_a_ticket);
	tcase_add_test(tc, test_mailer_daemon_gets_no_ack);
	tcase_add_test(tc, test_staff_autoresponder_loop_ends);
	tcase_add_test(tc, test_centre_ticket_system_loop_ends);
	tcase_add_test(tc, test_authenticated_autoresponder_loop_ends);
	tcase_add_test(tc, test_poison_id_on_ticket_leaves_staff_replies);
	suite_add_tcase(s, tc);
	return s;
}
