/* format=flowed, HTML rendering, line ends. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

START_TEST(test_unflow)
{
	static const struct {
		const char *in;
		int delsp;
		const char *want;
	} cases[] = {
		{ "Hello \nworld\n", 0, "Hello world\n" },
		{ "Hello \nworld\n", 1, "Helloworld\n" },
		{ " From me\n", 0, "From me\n" },
		{ "> quoted \n> more\nplain\n", 0, "> quoted more\nplain\n" },
		{ "a \n> b\n", 0, "a \n> b\n" },
		{ "-- \nsig\n", 0, "-- \nsig\n" },
		{ "再起動を \nお願いします\n", 1, "再起動をお願いします\n" },
		{ "no newline", 0, "no newline\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = text_unflow(cases[i].in, cases[i].delsp);
		ck_assert_msg(got != NULL && strcmp(got, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, got,
			      cases[i].want);
		free(got);
	}
}
END_TEST

START_TEST(test_html)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "<p>Hello</p><p>World</p>", "Hello\n\nWorld" },
		{ "a<br>b<br/>c", "a\nb\nc" },
		{ "&lt;tag&gt; &amp; &quot;x&quot;&nbsp;y", "<tag> & \"x\" y" },
		{ "&#x5b89;&#23450;", "安定" },
		{ "<script>alert(1)</script>ok", "ok" },
		{ "<style>p{}</style><b>bold</b>", "bold" },
		{ "<!-- c -->text", "text" },
		{ "<ul><li>one</li><li>two</li></ul>", "- one\n- two" },
		{ "a   \n  b", "a b" },
		{ "&unknown; &", "&unknown; &" },
		{ "<html><head><title>T</title></head><body>再起動</body>",
		  "再起動" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = text_from_html(cases[i].in);
		ck_assert_msg(got != NULL && strcmp(got, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, got,
			      cases[i].want);
		free(got);
	}
}
END_TEST

START_TEST(test_newlines)
{
	char s[] = "a\r\nb\rc\n";
	size_t n = text_normalise_newlines(s, strlen(s));

	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(s, "a\nb\nc\n");
}
END_TEST

Suite *
suite_text(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_unflow);
	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_newlines);
	suite_add_tcase(s, tc);
	return s;
}
