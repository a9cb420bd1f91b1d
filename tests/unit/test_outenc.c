/* Outgoing text on the wire: where lines fold (character boundaries,
 * words, 。、「」), what format=flowed needs, encoded-word sizes. */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "outenc.h"

static char *
repeat(const char *s, int n)
{
	GString *g = g_string_new(NULL);

	while (n-- > 0)
		g_string_append(g, s);
	return g_string_free(g, FALSE);
}

START_TEST(test_fold)
{
	char *a35 = repeat("あ", 35), *i10 = repeat("い", 10);
	char *words = repeat("reboot ", 20), *line;
	struct {
		char *in;
		int iso, flowed;
		const char *want;	/* NULL: only the checks below */
	} c[] = {
		{ "短い行です。\n次の行\n", 1, 0, "短い行です。\n次の行\n" },
		/* 。 does not start a line: the break moves one back */
		{ NULL, 1, 1, NULL },
		{ NULL, 0, 1, NULL },
		{ "> trailing  \nFrom me\n", 0, 0, "> trailing  \nFrom me\n" },
	};
	size_t i;

	line = g_strconcat(a35, "。", i10, "\n", NULL);
	c[1].in = line;
	c[2].in = words;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int flowed = -1;
		char *out = outenc_fold_body(c[i].in, c[i].iso, &flowed);
		char **lines, **l;

		ck_assert_msg(flowed == c[i].flowed, "case %zu: flowed %d", i,
			      flowed);
		if (c[i].want != NULL)
			ck_assert_msg(strcmp(out, c[i].want) == 0, "case %zu: "
				      "got \"%s\"", i, out);
		lines = g_strsplit(out, "\n", -1);
		for (l = lines; *l != NULL; l++) {
			GByteArray *b = outenc_iso2022jp(*l, strlen(*l));
			glong cols = g_utf8_strlen(*l, -1);

			ck_assert_msg(strncmp(*l, "。", 3) != 0, "case %zu: "
				      "line starts with 。: %s", i, *l);
			ck_assert_msg(c[i].iso ? b->len <= 78 : cols <= 78,
				      "case %zu: long line %s", i, *l);
			/* English breaks only between words */
			if (i == 2 && l[1] != NULL && **l != '\0')
				ck_assert_msg(g_str_has_suffix(*l, "reboot  "),
					      "case %zu: %s", i, *l);
			g_byte_array_free(b, TRUE);
		}
		g_strfreev(lines);
		if (i == 1)
			ck_assert_msg(strstr(out, "あ \nあ。") != NULL,
				      "case 1: got %s", out);
		free(out);
	}
	g_free(line);
	g_free(a35);
	g_free(i10);
	g_free(words);
}
END_TEST

START_TEST(test_header)
{
	const char *const subjects[] = {
		"サーバーの再起動のお願いと監視設定の変更についてのご相談",
		"[SUPPORT#1] 受付",
		"Re: [SUPPORT#123456] まとめて よろしく お願いいたします",
	};
	const char *const charsets[] = { "iso-2022-jp", "utf-8" };
	size_t i, k;

	for (i = 0; i < sizeof(subjects) / sizeof(*subjects); i++)
		for (k = 0; k < 2; k++) {
			char *h = outenc_header("Subject", subjects[i],
						charsets[k], 0, NULL);
			char **lines = g_strsplit(h, "\n", -1), **l;

			ck_assert(h[0] == ' ');
			for (l = lines; *l != NULL; l++) {
				size_t extra = l == lines ? 8 : 0;
				const char *w = strstr(*l, "=?");

				ck_assert_msg(strlen(*l) + extra <= 76,
					      "%zu/%zu: line %s", i, k, *l);
				if (w != NULL)
					ck_assert_msg(strlen(w) <= 75, "%s", w);
				if (w != NULL && k == 0)
					ck_assert(strstr(w, "?B?") != NULL);
			}
			g_strfreev(lines);
			free(h);
		}
}
END_TEST

Suite *
suite_outenc(void)
{
	Suite *s = suite_create("outenc");
	TCase *tc = tcase_create("outenc");

	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_header);
	suite_add_tcase(s, tc);
	return s;
}
