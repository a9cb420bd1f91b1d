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

START_TEST(test_failed_goes_aside_and_staff_told)
{
	struct ingest *in = NULL;
	struct store *s = NULL;
	struct mp_err err = { 0 }, perm = { MP_PERM, "cannot ever work" };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");
	char path[512];
	struct stat st;
	int n = 0;

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ingest_failed(in, name, &perm);
	snprintf(path, sizeof(path), "%s/spool/failed/%s", dir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	strncat(path, ".reason", sizeof(path) - strlen(path) - 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ingest_free(&in);
	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_outbox_each(s, 0, count_outbox, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	store_free(&s);
	free(name);
}
END_TEST

START_TEST(test_temporary_stays_in_new)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 }, temp = { MP_TEMP, "locked" };
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

Suite *
suite_ingest(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failed_goes_aside_and_staff_told);
	tcase_add_test(tc, test_temporary_stays_in_new);
	tcase_add_test(tc, test_poison_ids_make_a_ticket);
	tcase_add_test(tc, test_mailer_daemon_gets_no_ack);
	tcase_add_test(tc, test_poison_id_on_ticket_leaves_staff_replies);
	suite_add_tcase(s, tc);
	return s;
}
