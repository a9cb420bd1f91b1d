/* Trust signals for staff mail: Authentication-Results parsing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust.h"

START_TEST(test_ar)
{
	static const struct {
		const char *value;
		int want;
	} cases[] = {
		{ "mx.example.jp; dkim=pass header.d=example.jp", 1 },
		{ "MX.Example.JP; DKIM=pass header.d=EXAMPLE.JP", 1 },
		{ "mx.example.jp 1; spf=pass smtp.mailfrom=x.jp;\r\n\t"
		  "dkim=pass (2048-bit key) header.d=example.jp "
		  "header.s=sel", 1 },
		{ "mx.example.jp; dkim=pass header.i=@example.jp", 1 },
		{ "mx.example.jp; dkim=pass header.i=alice@example.jp", 1 },
		/* never a subdomain: a form gateway may sign as one */
		{ "mx.example.jp; dkim=pass header.i=alice@mail.example.jp",
		  0 },
		{ "mx.example.jp; dkim=pass header.d=form.example.jp", 0 },
		{ "mx.example.jp; dkim=pass header.i=@form.example.jp", 0 },
		{ "mx.example.jp; dkim=pass header.d=example.jp.evil.com", 0 },
		{ "mx.example.jp; dkim=pass header.d=badexample.jp", 0 },
		{ "mx.example.jp; dkim=fail header.d=example.jp", 0 },
		{ "mx.example.jp; dkim=passed header.d=example.jp", 0 },
		{ "mx.example.jp; dkim=neutral header.d=example.jp; "
		  "spf=pass header.d=example.jp", 0 },
		{ "evil.example; dkim=pass header.d=example.jp", 0 },
		{ "mx.example.jp.evil; dkim=pass header.d=example.jp", 0 },
		{ "(comment) mx.example.jp; dkim=pass header.d=example.jp",
		  1 },
		{ "mx.example.jp; none", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = trust_ar_dkim_pass(cases[i].value, "mx.example.jp",
					     "example.jp");
		ck_assert_msg(got == cases[i].want, "case %zu: got %d, want "
			      "%d", i, got, cases[i].want);
	}
	ck_assert_int_eq(trust_ar_dkim_pass(cases[0].value, "", "example.jp"),
			 0);
}
END_TEST

/* A message for trust_judge(): From (several with ",", several headers
 * with "|"), Sender, Authentication-Results. */
struct judge_msg {
	struct msg m;
	struct msg_addr from[2], sender[1];
	char *ar[1];
};

static void
judge_msg_init(struct judge_msg *j, const char *from, size_t n_from_headers,
	       const char *from2, const char *sender, const char *ar)
{
	memset(j, 0, sizeof(*j));
	j->from[0].address = (char *)from;
	j->from[1].address = (char *)from2;
	j->m.from.v = j->from;
	j->m.from.n = from2 ? 2 : 1;
	j->m.n_from_headers = n_from_headers;
	if (sender != NULL) {
		j->sender[0].address = (char *)sender;
		j->m.sender.v = j->sender;
		j->m.sender.n = 1;
		j->m.n_sender_headers = 1;
	}
	if (ar != NULL) {
		j->ar[0] = (char *)ar;
		j->m.auth_results = j->ar;
		j->m.n_auth_results = 1;
	}
}

#define DKIM_OK "mx.example.jp; dkim=pass header.d=example.jp"

START_TEST(test_judge)
{
	static const struct {
		const char *from, *sasl, *ar;
		int form;
		size_t n_from_headers;
		const char *from2, *sender;
		enum trust_verdict want;
		const char *why;	/* start of the reason */
	} cases[] = {
		{ "customer@x.jp", "", NULL, 0, 1, NULL, NULL,
		  TRUST_NOT_STAFF, "" },
		{ "customer@x.jp", "someone", NULL, 0, 1, NULL, NULL,
		  TRUST_NOT_STAFF, "" },
		/* a login equal to the address needs no entry */
		{ "staff@example.jp", "staff@example.jp", NULL, 0, 1, NULL,
		  NULL, TRUST_STAFF, "SASL login staff@example.jp" },
		{ "Staff@Example.JP", "staff@example.jp", NULL, 0, 1, NULL,
		  NULL, TRUST_STAFF, "SASL login" },
		/* staff_logins: alice=staff@example.jp */
		{ "staff@example.jp", "alice", NULL, 0, 1, NULL, NULL,
		  TRUST_STAFF, "SASL login alice" },
		/* any other login is someone else's mailbox */
		{ "staff@example.jp", "staff", NULL, 0, 1, NULL, NULL,
		  TRUST_SPOOFED, "SASL login staff is not" },
		{ "staff@example.jp", "hanako@customer.example.com", NULL, 0,
		  1, NULL, NULL, TRUST_SPOOFED, "SASL login hanako" },
		/* alice's login proves staff@, not bob@ */
		{ "bob@example.jp", "alice", NULL, 0, 1, NULL, NULL,
		  TRUST_SPOOFED, "SASL login alice is not a login of bob" },
		{ "bob@example.jp", "bob", NULL, 0, 1, NULL, NULL,
		  TRUST_STAFF, "SASL login bob" },
		/* a wrong login is not rescued by a DKIM result */
		{ "staff@example.jp", "hanako", DKIM_OK, 0, 1, NULL, NULL,
		  TRUST_SPOOFED, "SASL login hanako" },
		{ "staff@example.jp", "", NULL, 0, 1, NULL, NULL,
		  TRUST_SPOOFED, "no SASL login or trusted DKIM" },
		{ "staff@example.jp", "", DKIM_OK, 0, 1, NULL, NULL,
		  TRUST_STAFF, "DKIM example.jp" },
		{ "staff@example.jp", "", "other; dkim=pass "
		  "header.d=example.jp", 0, 1, NULL, NULL, TRUST_SPOOFED,
		  "no SASL" },
		{ "staff@example.jp", "", "mx.example.jp; dkim=pass "
		  "header.d=gw.example.jp", 0, 1, NULL, NULL, TRUST_SPOOFED,
		  "no SASL" },
		/* form mail is never staff, whatever its login or signature */
		{ "staff@example.jp", "staff@example.jp", NULL, 1, 1, NULL,
		  NULL, TRUST_SPOOFED, "web form" },
		{ "staff@example.jp", "", DKIM_OK, 1, 1, NULL, NULL,
		  TRUST_SPOOFED, "web form" },
		{ "customer@x.jp", "", NULL, 1, 1, NULL, NULL,
		  TRUST_NOT_STAFF, "" },
		/* more than one From: a second header, or two addresses */
		{ "staff@example.jp", "", DKIM_OK, 0, 2, NULL, NULL,
		  TRUST_SPOOFED, "more than one From" },
		{ "staff@example.jp", "staff@example.jp", NULL, 0, 2, NULL,
		  NULL, TRUST_SPOOFED, "more than one From" },
		{ "staff@example.jp", "", DKIM_OK, 0, 1, "x@evil.example",
		  NULL, TRUST_SPOOFED, "more than one From" },
		/* Sender in a signed mail */
		{ "staff@example.jp", "", DKIM_OK, 0, 1, NULL,
		  "staff@example.jp", TRUST_STAFF, "DKIM" },
		{ "staff@example.jp", "", DKIM_OK, 0, 1, NULL,
		  "mallory@evil.example", TRUST_SPOOFED, "DKIM example.jp "
		  "but the Sender" },
	};
	struct conf conf;
	struct mp_err err = { 0 };
	size_t i;

	ck_assert_int_eq(conf_load(&conf, "/top", NULL, &err), 0);
	free(conf.trusted_authserv_id);
	conf.trusted_authserv_id = strdup("mx.example.jp");
	free(conf.staff_addresses);
	conf.staff_addresses = strdup("staff@example.jp bob@example.jp");
	free(conf.staff_logins);
	conf.staff_logins = strdup("alice=staff@example.jp bob=bob@example.jp");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct judge_msg j;
		char why[200];
		enum trust_verdict got;

		judge_msg_init(&j, cases[i].from, cases[i].n_from_headers,
			       cases[i].from2, cases[i].sender, cases[i].ar);
		got = trust_judge(&conf, &j.m, cases[i].from, cases[i].sasl,
				  cases[i].form, why, sizeof(why));
		ck_assert_msg(got == cases[i].want &&
			      strncmp(why, cases[i].why,
				      strlen(cases[i].why)) == 0,
			      "case %zu: got %d (%s), want %d (%s...)", i, got,
			      why, cases[i].want, cases[i].why);
		if (cases[i].want == TRUST_NOT_STAFF)
			ck_assert_msg(why[0] == '\0', "case %zu: reason %s", i,
				      why);
	}
	conf_release(&conf);
}
END_TEST

/* staff_logins in a file: pairs only, and only for staff addresses. */
START_TEST(test_logins_conf)
{
	static const struct {
		const char *value;
		int ok;
	} cases[] = {
		{ "", 1 },
		{ "alice=staff@example.jp", 1 },
		{ "alice=staff@example.jp  bob=staff@example.jp", 1 },
		{ "alice", 0 },
		{ "=staff@example.jp", 0 },
		{ "alice=not-an-address", 0 },
		{ "alice=customer@example.com", 0 },	/* not staff */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[] = "/tmp/mp-test-trust.XXXXXX";
		struct conf conf;
		struct mp_err err = { 0 };
		int fd = mkstemp(path), ok;
		FILE *fp = fdopen(fd, "w");

		ck_assert(fp != NULL);
		fprintf(fp, "staff_addresses = staff@example.jp\n"
			"staff_logins = %s\n", cases[i].value);
		fclose(fp);
		ok = conf_load(&conf, "/top", path, &err) == 0;
		unlink(path);
		ck_assert_msg(ok == cases[i].ok, "case %zu (%s): got %d, want "
			      "%d", i, cases[i].value, ok, cases[i].ok);
		conf_release(&conf);
	}
}
END_TEST

Suite *
suite_trust(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("trust");

	tcase_add_test(tc, test_ar);
	tcase_add_test(tc, test_judge);
	tcase_add_test(tc, test_logins_conf);
	suite_add_tcase(s, tc);
	return s;
}
