/* The strict --name VALUE pairs of `deliver`: a value that looks like an
 * option is still a value. */
#include <check.h>
#include <string.h>

#include "cmd.h"

START_TEST(test_pairs)
{
	static const char *const names[] = {
		"sender", "recipient", "sasl-user", NULL,
	};
	static const struct {
		const char *argv[8];
		int ok;
		const char *want[3];	/* sender, recipient, sasl-user */
	} cases[] = {
		{ { "deliver", "--sender", "a@x.jp", "--recipient",
		    "support@example.jp", "--sasl-user", "", NULL }, 1,
		  { "a@x.jp", "support@example.jp", "" } },
		/* the envelope sender of an attacker: still the sender */
		{ { "deliver", "--sender", "--sasl-user=staff@example.jp",
		    "--recipient", "support@example.jp", "--sasl-user", "",
		    NULL }, 1,
		  { "--sasl-user=staff@example.jp", "support@example.jp",
		    "" } },
		{ { "deliver", "--sender", "--sasl-user", "--recipient",
		    "support@example.jp", NULL }, 1,
		  { "--sasl-user", "support@example.jp", NULL } },
		{ { "deliver", "--sender=--recipient", NULL }, 1,
		  { "--recipient", NULL, NULL } },
		{ { "deliver", "--sasl-user", "--sender", NULL }, 1,
		  { NULL, NULL, "--sender" } },
		/* refused */
		{ { "deliver", "--sender", NULL }, 0, { NULL } },
		{ { "deliver", "--sender", "a", "--sender", "b", NULL }, 0,
		  { NULL } },
		{ { "deliver", "--sasl-user", "x", "--sasl-user", "", NULL },
		  0, { NULL } },
		{ { "deliver", "stray", NULL }, 0, { NULL } },
		{ { "deliver", "--bogus", "x", NULL }, 0, { NULL } },
		{ { "deliver", "--sender", "a", "b", NULL }, 0, { NULL } },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v[3];
		int argc = 0, ok;

		while (cases[i].argv[argc] != NULL)
			argc++;
		ok = cmd_pairs(argc, (char **)cases[i].argv, "deliver", names,
			       v);
		ck_assert_msg(ok == cases[i].ok, "case %zu: got %d, want %d",
			      i, ok, cases[i].ok);
		if (!ok)
			continue;
		for (k = 0; k < 3; k++) {
			const char *w = cases[i].want[k];
			ck_assert_msg((v[k] == NULL && w == NULL) ||
				      (v[k] != NULL && w != NULL &&
				       strcmp(v[k], w) == 0),
				      "case %zu, %s: got %s, want %s", i,
				      names[k], v[k] ? v[k] : "(none)",
				      w ? w : "(none)");
		}
	}
}
END_TEST

Suite *
suite_cmd_args(void)
{
	Suite *s = suite_create("cmd_args");
	TCase *tc = tcase_create("cmd_args");

	tcase_add_test(tc, test_pairs);
	suite_add_tcase(s, tc);
	return s;
}
