/* log_quote(): the one way a value goes into a key=value log line.  A
 * plain token stays as it is; anything else is quoted with '"' and '\'
 * escaped and control characters spelt out, so that a value can never
 * end the pair early or forge another key; long values are cut at a
 * UTF-8 boundary with "...". */
#include <check.h>
#include <string.h>

#include "log.h"

START_TEST(test_quote)
{
	static const struct {
		const char *in;
		size_t size;
		const char *want;
	} cases[] = {
		{ "a@example.jp", 64, "a@example.jp" },
		{ "<id@x>", 64, "<id@x>" },
		{ NULL, 64, "-" },
		{ "", 64, "\"\"" },
		{ "bob smith", 64, "\"bob smith\"" },
		/* a value that tries to add a key of its own */
		{ "x status=ok", 64, "\"x status=ok\"" },
		{ "k=v", 64, "\"k=v\"" },
		{ "say \"hi\"", 64, "\"say \\\"hi\\\"\"" },
		{ "back\\slash", 64, "\"back\\\\slash\"" },
		{ "two\nlines\r\tx", 64, "\"two\\nlines\\r\\tx\"" },
		{ "bell\x07", 64, "\"bell\\x07\"" },
		{ "del\x7f", 64, "\"del\\x7f\"" },
		/* UTF-8 is kept, and needs no quotes */
		{ "再起動", 64, "再起動" },
		{ "サーバー 再起動", 64, "\"サーバー 再起動\"" },
		/* cut: plain, then quoted, then inside a character */
		{ "abcdefghijklmnop", 12, "abcdefgh..." },
		{ "abc defghijklmnop", 12, "\"abc de...\"" },
		{ "ab再起動です", 12, "ab再起..." },
		{ "a再起動です", 12, "a再起..." },
		/* an escape is never cut in half */
		{ "abcde\"fghijk", 12, "\"abcde...\"" },
		{ "exactly10!", 11, "exactly10!" },
		{ "tiny", 4, "" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		memset(buf, 'Z', sizeof(buf));
		got = log_quote(buf, cases[i].size, cases[i].in);
		ck_assert_msg(got == buf, "case %zu: did not return buf", i);
		ck_assert_msg(strcmp(got, cases[i].want) == 0,
			      "case %zu: got [%s], want [%s]", i, got,
			      cases[i].want);
		ck_assert_msg(strlen(got) < cases[i].size ||
			      cases[i].size == 0,
			      "case %zu: %zu bytes in a buffer of %zu", i,
			      strlen(got), cases[i].size);
	}
}
END_TEST

/* Held info lines wait for log_release(); warnings never wait. */
START_TEST(test_hold)
{
	log_hold();
	log_info("filed %d", 1);
	log_warning("a warning goes out at once");
	log_info("filed %d", 2);
	ck_assert_int_eq(log_release(0), 2);
	ck_assert_int_eq(log_release(1), 0);
	log_hold();
	log_info("filed %d", 3);
	ck_assert_int_eq(log_release(1), 1);
	log_info("not held");
	ck_assert_int_eq(log_release(1), 0);
}
END_TEST

Suite *
suite_log(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_hold);
	suite_add_tcase(s, tc);
	return s;
}
