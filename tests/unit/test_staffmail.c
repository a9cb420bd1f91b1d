/* The #commands at the top of a staff reply, and address syntax. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "staffmail.h"

START_TEST(test_parse)
{
	static const struct {
		const char *text;
		int ok;
		size_t n;
		const char *rest;	/* start of what is relayed */
	} cases[] = {
		{ "hello\n", 1, 0, "hello\n" },
		{ "#done\n", 1, 1, "" },
		{ "\n  #verified\n#send-now\nanswer\n", 1, 2, "answer\n" },
		{ "#category reboot\ntext\n", 1, 1, "text\n" },
		{ "#comment\ninternal # not a command\n", 1, 1,
		  "internal # not a command\n" },
		{ "#Verified called back\n", 1, 1, "" },
		{ "text first\n#done\n", 1, 0, "text first\n#done\n" },
		{ "#frobnicate\nx\n", 0, 0, NULL },
		{ "#category\n", 0, 0, NULL },
		{ "#category a b\n", 0, 0, NULL },
		{ "#done reboot\n", 1, 1, "" },	/* one task of several */
		{ "#done reboot now\n", 0, 0, NULL },
		{ "#close please\n", 0, 0, NULL },
		{ "#done\n#done\n#done\n#done\n#done\n#done\n#done\n#done\n"
		  "#done\n", 0, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct staffmail_cmds cmds;
		char why[256] = "";
		int ok = staffmail_parse(cases[i].text, &cmds, why,
					 sizeof(why)) == 0;

		ck_assert_msg(ok == cases[i].ok, "case %zu: got %s (%s), "
			      "want %s", i, ok ? "ok" : "error", why,
			      cases[i].ok ? "ok" : "error");
		if (!ok) {
			ck_assert_msg(why[0] != '\0', "case %zu: no reason",
				      i);
			continue;
		}
		ck_assert_msg(cmds.n == cases[i].n && strcmp(cmds.rest,
			      cases[i].rest) == 0, "case %zu: got %zu "
			      "commands, rest \"%s\"; want %zu, \"%s\"", i,
			      cmds.n, cmds.rest, cases[i].n, cases[i].rest);
	}
}
END_TEST

START_TEST(test_arguments)
{
	struct staffmail_cmds cmds;
	char why[256];

	ck_assert_int_eq(staffmail_parse("#category os-reinstall\n"
					 "#verified customer called\n", &cmds,
					 why, sizeof(why)), 0);
	ck_assert_int_eq(cmds.v[0].verb, STAFF_CATEGORY);
	ck_assert_str_eq(cmds.v[0].arg, "os-reinstall");
	ck_assert_int_eq(cmds.v[1].verb, STAFF_VERIFIED);
	ck_assert_str_eq(cmds.v[1].arg, "customer called");
}
END_TEST

START_TEST(test_addr)
{
	static const struct {
		const char *a;
		int want;
	} cases[] = {
		{ "a@x.jp", 1 }, { "first.last+tag@sub.example.co.jp", 1 },
		{ "root@localhost", 1 }, { "", 0 }, { "a", 0 }, { "@x.jp", 0 },
		{ "a@", 0 }, { "a@b@c", 0 }, { "a b@x.jp", 0 },
		{ "<a@x.jp>", 0 }, { "a@x.jp,b@x.jp", 0 }, { "a@x.jp\n", 0 },
		{ "\"a\"@x.jp", 0 },
	};
	size_t i;

	ck_assert_int_eq(addr_plausible(NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(addr_plausible(cases[i].a) == cases[i].want,
			      "case %zu (%s): got %d, want %d", i, cases[i].a,
			      !cases[i].want, cases[i].want);
}
END_TEST

/* A staff reply reaches the customer without our notice to staff: by
 * its markers, by its lines, by the registered data in a quote. */
#define NB "-----BEGIN MAILPROC STAFF NOTICE [SUPPORT#7]: internal, never " \
	"sent to the customer-----\n"
#define NE "-----END MAILPROC STAFF NOTICE [SUPPORT#7]-----\n"
#define NOTICE_BODY \
	"To the support team,\n" \
	"\n" \
	"The request below needs identity confirmation by calling back the\n" \
	"contract's registered emergency phone number.\n" \
	"\n" \
	"  Holder:       Test Trading Co.\n" \
	"  Call:         03-1111-2222 (registered emergency number)\n" \
	"\n" \
	"----- customer's message -----\n" \
	"Please reboot web01.\n" \
	"----- end of message -----\n"
#define Q(s) "> " s

START_TEST(test_strip_notices)
{
	static const char *const notices[] = { NB NOTICE_BODY NE };
	static const char *const keep[] = { "Please reboot web01.\n" };
	static const char *const secrets[] = { "03-1111-2222",
					       "Test Trading Co.", NULL };
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* 0: nothing quoted: as it is */
		{ "We will reboot it at 10:00.\n",
		  "We will reboot it at 10:00.\n" },
		/* 1: a full quote, markers and all, under the answer */
		{ "We will reboot it at 10:00.\n\n"
		  "On Mon, 30 Nov 2026, support@example.jp wrote:\n"
		  Q(NB) Q("To the support team,\n") ">\n"
		  Q("  Call:         03-1111-2222 (registered emergency "
		    "number)\n") Q(NE),
		  "We will reboot it at 10:00.\n" },
		/* 2: the marker lines deleted: the notice lines give it away */
		{ "Done.\n\nsupport wrote:\n"
		  Q("The request below needs identity confirmation by "
		    "calling back the\n")
		  Q("contract's registered emergency phone number.\n"),
		  "Done.\n" },
		/* 3: the customer's own words may be quoted back */
		{ Q("Please reboot web01.\n") "\nWe will, at 10:00.\n",
		  Q("Please reboot web01.\n") "\nWe will, at 10:00.\n" },
		/* 4: a quote holding the number, even rewrapped */
		{ "OK.\n" Q("Call: 03-1111-2222\n") Q("(registered)\n"),
		  "OK.\n" },
		/* 5: the holder's name in a quote */
		{ "OK.\n" Q("for Test Trading Co. today\n"), "OK.\n" },
		/* 6: Outlook: top-posted, the notice unquoted below */
		{ "We will reboot it.\n\n-----Original Message-----\n"
		  "From: support@example.jp\nSent: Monday\n"
		  "Subject: [SUPPORT#7] Callback\n\n" NB NOTICE_BODY NE,
		  "We will reboot it.\n" },
		/* 7: the same with the markers gone: line by line */
		{ "We will reboot it.\n\n-----Original Message-----\n"
		  "From: support@example.jp\n\n"
		  "The request below needs identity confirmation by calling "
		  "back the\n"
		  "  Call:         03-1111-2222 (registered emergency number)\n",
		  "We will reboot it.\n" },
		/* 8: what staff type themselves stays, the number too */
		{ "Please call us back at 03-1111-2222.\n",
		  "Please call us back at 03-1111-2222.\n" },
		/* 9: inline answers between quotes of the notice */
		{ Q("  Holder:       Test Trading Co.\n") "Confirmed.\n"
		  Q("Please reboot web01.\n") "Rebooting now.\n",
		  "Confirmed.\n" Q("Please reboot web01.\n")
		  "Rebooting now.\n" },
		/* 10: a BEGIN marker with no END: cut to the end */
		{ "Answer.\n" NB "anything after it\n", "Answer.\n" },
		/* 11: a quote of a quote */
		{ "Answer.\n>> " NB ">> To the support team,\n>> " NE,
		  "Answer.\n" },
		/* 12: a Japanese attribution line */
		{ "承知しました。\n\n2026年11月30日 10:00 support@example.jp "
		  "のメッセージ:\n" Q(NB) Q(NE),
		  "承知しました。\n" },
		/* 13: quotes of something else are left alone */
		{ "Answer.\n" Q("an unrelated quote\n"),
		  "Answer.\n" Q("an unrelated quote\n") },
		/* 14: nothing but the quote */
		{ Q(NB) Q(NE), "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = staffmail_strip_notices(cases[i].text, notices, 1,
						    keep, 1, secrets, 3);

		ck_assert_msg(got != NULL && strcmp(got, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i,
			      got ? got : "(null)", cases[i].want);
		free(got);
	}
}
END_TEST

Suite *
suite_staffmail(void)
{
	Suite *s = suite_create("staffmail");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_strip_notices);
	suite_add_tcase(s, tc);
	return s;
}
