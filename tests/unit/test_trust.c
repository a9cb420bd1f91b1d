/* Trust signals for staff mail: Authentication-Results parsing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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
		{ "mx.example.jp; dkim=pass header.i=alice@mail.example.jp",
		  1 },
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

START_TEST(test_judge)
{
	static const struct {
		const char *from, *sasl, *ar;
		enum trust_verdict want;
	} cases[] = {
		{ "customer@x.jp", "", NULL, TRUST_NOT_STAFF },
		{ "customer@x.jp", "someone", NULL, TRUST_NOT_STAFF },
		{ "staff@example.jp", "staff", NULL, TRUST_STAFF },
		{ "staff@example.jp", "", NULL, TRUST_SPOOFED },
		{ "staff@example.jp", "", "mx.example.jp; dkim=pass "
		  "header.d=example.jp", TRUST_STAFF },
		{ "staff@example.jp", "", "other; dkim=pass "
		  "header.d=example.jp", TRUST_SPOOFED },
	};
	struct conf conf;
	struct mp_err err = { 0 };
	size_t i;

	ck_assert_int_eq(conf_load(&conf, "/top", NULL, &err), 0);
	free(conf.trusted_authserv_id);
	conf.trusted_authserv_id = strdup("mx.example.jp");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg m;
		char *ar[1];
		const char *signal;
		enum trust_verdict got;

		memset(&m, 0, sizeof(m));
		if (cases[i].ar != NULL) {
			ar[0] = (char *)cases[i].ar;
			m.auth_results = ar;
			m.n_auth_results = 1;
		}
		got = trust_judge(&conf, &m, cases[i].from, cases[i].sasl,
				  &signal);
		ck_assert_msg(got == cases[i].want, "case %zu: got %d, want "
			      "%d", i, got, cases[i].want);
	}
	conf_release(&conf);
}
END_TEST

Suite *
suite_trust(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("trust");

	tcase_add_test(tc, test_ar);
	tcase_add_test(tc, test_judge);
	suite_add_tcase(s, tc);
	return s;
}
