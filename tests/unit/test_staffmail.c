/* The #commands at the top of a staff reply, and address syntax. */
#include <check.h>
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
		{ "#done now\n", 0, 0, NULL },
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

Suite *
suite_staffmail(void)
{
	Suite *s = suite_create("staffmail");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_addr);
	suite_add_tcase(s, tc);
	return s;
}
