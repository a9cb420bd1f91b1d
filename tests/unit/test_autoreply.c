/* RFC 3834 loop protection: which mail never gets an automatic reply. */
#include <check.h>
#include <string.h>

#include "autoreply.h"

START_TEST(test_refusals)
{
	static const struct {
		const char *env_sender, *reply_to;
		const char *auto_submitted, *precedence, *list_id;
		const char *want;	/* NULL: a reply is allowed */
	} cases[] = {
		{ "a@x.jp", "a@x.jp", NULL, NULL, NULL, NULL },
		{ "", "a@x.jp", NULL, NULL, NULL, "null-sender" },
		{ "<>", "a@x.jp", NULL, NULL, NULL, "null-sender" },
		/* What the Postfix pipe passes for a null sender. */
		{ "MAILER-DAEMON", "a@x.jp", NULL, NULL, NULL,
		  "null-sender" },
		{ "mailer-daemon", "a@x.jp", NULL, NULL, NULL,
		  "null-sender" },
		{ "Mailer-Daemon@relay.x.jp", "a@x.jp", NULL, NULL, NULL,
		  "null-sender" },
		{ "postmaster@relay.x.jp", "a@x.jp", NULL, NULL, NULL,
		  "null-sender" },
		{ "mailer-daemons@x.jp", "a@x.jp", NULL, NULL, NULL, NULL },
		{ "a@x.jp", "a@x.jp", "auto-replied", NULL, NULL,
		  "auto-submitted" },
		{ "a@x.jp", "a@x.jp", "auto-generated; x", NULL, NULL,
		  "auto-submitted" },
		{ "a@x.jp", "a@x.jp", "no", NULL, NULL, NULL },
		{ "a@x.jp", "a@x.jp", " No (comment)", NULL, NULL, NULL },
		{ "a@x.jp", "a@x.jp", NULL, "bulk", NULL, "precedence" },
		{ "a@x.jp", "a@x.jp", NULL, "List", NULL, "precedence" },
		{ "a@x.jp", "a@x.jp", NULL, "junk", NULL, "precedence" },
		{ "a@x.jp", "a@x.jp", NULL, "first-class", NULL, NULL },
		{ "a@x.jp", "a@x.jp", NULL, NULL, "<list.x.jp>", "list-id" },
		{ "a@x.jp", "support@example.jp", NULL, NULL, NULL,
		  "own-address" },
		{ "a@x.jp", "Support+12@Example.JP", NULL, NULL, NULL,
		  "own-address" },
		{ "a@x.jp", "noc@example.jp", NULL, NULL, NULL,
		  "own-address" },
		{ "a@x.jp", "MAILER-DAEMON@x.jp", NULL, NULL, NULL,
		  "mailer-daemon" },
		{ "a@x.jp", "noreply@x.jp", NULL, NULL, NULL,
		  "mailer-daemon" },
		{ "a@x.jp", "owner-list@x.jp", NULL, NULL, NULL,
		  "mailer-daemon" },
		{ "a@x.jp", "list-request@x.jp", NULL, NULL, NULL,
		  "mailer-daemon" },
		/* Form mail: the gateway's no-reply envelope is not judged. */
		{ "noreply@form.x.jp", "a@x.jp", NULL, NULL, NULL, NULL },
		{ "a@x.jp", "", NULL, NULL, NULL, "no-address" },
		{ "a@x.jp", NULL, NULL, NULL, NULL, "no-address" },
	};
	struct conf conf;
	struct mp_err err = { 0 };
	size_t i;

	ck_assert_int_eq(conf_load(&conf, "/top", NULL, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg m;
		const char *got;

		memset(&m, 0, sizeof(m));
		m.auto_submitted = (char *)cases[i].auto_submitted;
		m.precedence = (char *)cases[i].precedence;
		m.list_id = (char *)cases[i].list_id;
		got = autoreply_refusal(&conf, &m, cases[i].env_sender,
					cases[i].reply_to);
		ck_assert_msg(got == cases[i].want ||
			      (got && cases[i].want &&
			       strcmp(got, cases[i].want) == 0),
			      "case %zu: got %s, want %s", i,
			      got ? got : "(allowed)",
			      cases[i].want ? cases[i].want : "(allowed)");
	}
	conf_release(&conf);
}
END_TEST

/* Mail a machine wrote: never a confirmation or a decline. */
START_TEST(test_automatic)
{
	static const struct {
		const char *env_sender, *from, *subject;
		const char *auto_submitted, *x_autoreply, *precedence;
		int report;
		const char *want;	/* NULL: a person's mail */
	} cases[] = {
		{ "mon@a.jp", "mon@a.jp", "Re: confirm", NULL, NULL, NULL, 0,
		  NULL },
		{ "mon@a.jp", "mon@a.jp", "", "no", NULL, NULL, 0, NULL },
		{ "", "mon@a.jp", "x", NULL, NULL, NULL, 0, "null-sender" },
		{ "mon@a.jp", "mon@a.jp", "x", "auto-replied", NULL, NULL, 0,
		  "auto-submitted" },
		{ "mon@a.jp", "mon@a.jp", "x", NULL, "yes", NULL, 0,
		  "x-autoreply" },
		{ "mon@a.jp", "mon@a.jp", "x", NULL, NULL, "junk", 0,
		  "precedence" },
		{ "mon@a.jp", "mon@a.jp", "x", NULL, NULL, NULL, 1, "report" },
		{ "mon@a.jp", "MAILER-DAEMON@a.jp", "x", NULL, NULL, NULL, 0,
		  "mailer-daemon" },
		{ "mon@a.jp", "mon@a.jp", "Out of Office: 本人性確認", NULL,
		  NULL, NULL, 0, "out-of-office" },
		{ "mon@a.jp", "mon@a.jp", "Automatic reply: Please confirm",
		  NULL, NULL, NULL, 0, "out-of-office" },
		{ "mon@a.jp", "mon@a.jp", "AUTO: away", NULL, NULL, NULL, 0,
		  "out-of-office" },
		{ "mon@a.jp", "mon@a.jp", "【不在通知】12/29まで休暇中です", NULL,
		  NULL, NULL, 0, "out-of-office" },
		{ "mon@a.jp", "mon@a.jp", "自動応答: Re: 確認", NULL, NULL,
		  NULL, 0, "out-of-office" },
		{ "mon@a.jp", "mon@a.jp", "Re: 作業のご確認", NULL, NULL, NULL,
		  0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg m;
		struct msg_addr a;
		const char *got;

		memset(&m, 0, sizeof(m));
		a.name = NULL;
		a.address = (char *)cases[i].from;
		m.from.v = &a;
		m.from.n = 1;
		m.subject = (char *)cases[i].subject;
		m.auto_submitted = (char *)cases[i].auto_submitted;
		m.x_autoreply = (char *)cases[i].x_autoreply;
		m.precedence = (char *)cases[i].precedence;
		m.is_report = cases[i].report;
		got = autoreply_automatic(&m, cases[i].env_sender);
		ck_assert_msg(got == cases[i].want ||
			      (got && cases[i].want &&
			       strcmp(got, cases[i].want) == 0),
			      "case %zu: got %s, want %s", i,
			      got ? got : "(a person)",
			      cases[i].want ? cases[i].want : "(a person)");
	}
}
END_TEST

Suite *
suite_autoreply(void)
{
	Suite *s = suite_create("autoreply");
	TCase *tc = tcase_create("rfc3834");

	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_automatic);
	suite_add_tcase(s, tc);
	return s;
}
