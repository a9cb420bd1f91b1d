/* Threading decisions and the subject tag. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ticket.h"

START_TEST(test_id_from_address)
{
	static const struct {
		const char *addr;
		long long want;
	} cases[] = {
		{ "support+42@example.jp", 42 },
		{ "Support+42@EXAMPLE.JP", 42 },
		{ "support@example.jp", 0 },
		{ "support+@example.jp", 0 },
		{ "support+42x@example.jp", 0 },
		{ "support+confirm-abc@example.jp", 0 },
		{ "support+42@example.com", 0 },
		{ "other+42@example.jp", 0 },
		{ "supportx+42@example.jp", 0 },
		{ "support+0@example.jp", 0 },
		{ NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long got = ticket_id_from_address(cases[i].addr,
						       "support@example.jp");
		ck_assert_msg(got == cases[i].want, "case %zu: got %lld, "
			      "want %lld", i, got, cases[i].want);
	}
}
END_TEST

START_TEST(test_id_from_subject)
{
	static const struct {
		const char *subject;
		long long want;
	} cases[] = {
		{ "Re: [SUPPORT#12] reboot", 12 },
		{ "Re: [support#12] reboot", 12 },
		{ "[SUPPORT#12 reboot", 0 },
		{ "[SUPPORT#] x", 0 },
		{ "[OTHER#12] x", 0 },
		{ "RE: 再起動 [SUPPORT#7]", 7 },
		{ "[x] [SUPPORT#9]", 9 },
		{ "", 0 },
		/* typed with a Japanese IME: NFKC first */
		{ "Re: ［SUPPORT＃１］ 再起動", 1 },
		{ "Re: [SUPPORT#１２]", 12 },
		{ "[SUPPORT# 1] x", 1 },
		{ "【SUPPORT#1】 x", 0 },
		{ "[ SUPPORT #3 ] x", 3 },
		{ "[SUPPORT#1 2]", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long got = ticket_id_from_subject(cases[i].subject,
						       "SUPPORT");
		ck_assert_msg(got == cases[i].want, "case %zu: got %lld, "
			      "want %lld", i, got, cases[i].want);
	}
}
END_TEST

START_TEST(test_may_join)
{
	static const struct {
		const char *requester, *tcontract, *sender, *scontract;
		int staff, want;
	} cases[] = {
		{ "a@x.jp", NULL, "a@x.jp", NULL, 0, 1 },
		{ "a@x.jp", NULL, "A@X.JP", NULL, 0, 1 },
		{ "a@x.jp", NULL, "b@x.jp", NULL, 0, 0 },
		{ "a@x.jp", "C1", "b@x.jp", "C1", 0, 1 },
		{ "a@x.jp", "C1", "b@x.jp", "C2", 0, 0 },
		{ "a@x.jp", NULL, "b@x.jp", "C2", 0, 0 },
		{ "a@x.jp", NULL, "staff@x.jp", NULL, 1, 1 },
		{ "a@x.jp", NULL, "", NULL, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = ticket_may_join(cases[i].requester,
					  cases[i].tcontract, cases[i].sender,
					  cases[i].scontract, cases[i].staff);
		ck_assert_msg(got == cases[i].want, "case %zu: got %d, "
			      "want %d", i, got, cases[i].want);
	}
}
END_TEST

START_TEST(test_tag)
{
	char buf[64];

	ck_assert_str_eq(ticket_tag(buf, sizeof(buf), "SUPPORT", 123),
			 "[SUPPORT#123]");
	ck_assert_int_eq(ticket_id_from_subject(buf, "SUPPORT"), 123);
}
END_TEST

START_TEST(test_reply_subject)
{
	static const struct {
		const char *subject, *want;
	} cases[] = {
		{ "サーバーの再起動のお願い",
		  "Re: [SUPPORT#7] サーバーの再起動のお願い" },
		{ "Re: [SUPPORT#7] サーバーの再起動のお願い",
		  "Re: [SUPPORT#7] サーバーの再起動のお願い" },
		{ "RE: Re[2]: Fwd: [support#7] [SUPPORT#7] 質問",
		  "Re: [SUPPORT#7] 質問" },
		{ "返信： 転送: 質問 [SUPPORT#3]", "Re: [SUPPORT#7] 質問" },
		{ "Ｒｅ：質問", "Re: [SUPPORT#7] 質問" },
		{ "", "Re: [SUPPORT#7]" },
		{ NULL, "Re: [SUPPORT#7]" },
		{ "Regarding web01", "Re: [SUPPORT#7] Regarding web01" },
		{ "[OTHER#1] x", "Re: [SUPPORT#7] [OTHER#1] x" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];

		ticket_reply_subject(buf, sizeof(buf), "SUPPORT", 7,
				     cases[i].subject);
		ck_assert_msg(strcmp(buf, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, buf,
			      cases[i].want);
	}
}
END_TEST

START_TEST(test_subject_bare)
{
	static const struct {
		const char *subject, *want;
	} cases[] = {
		{ "Re: [SUPPORT#1] ①ディスクの使い方について",
		  "①ディスクの使い方について" },
		{ "[SUPPORT#1] Re: [SUPPORT#1] disk", "disk" },
		{ "返信: 転送: web01 [SUPPORT#3] の件", "web01 の件" },
		{ "Re: [SUPPORT#2]", "" },
		{ NULL, "" },
		{ "[OTHER#1] x", "[OTHER#1] x" },
	};
	size_t i;
	char small[4];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];

		ticket_subject_bare(buf, sizeof(buf), "SUPPORT",
				    cases[i].subject);
		ck_assert_msg(strcmp(buf, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, buf,
			      cases[i].want);
	}
	ticket_subject_bare(small, sizeof(small), "SUPPORT", "Re: abcdef");
	ck_assert_str_eq(small, "abc");
}
END_TEST

Suite *
suite_ticket(void)
{
	Suite *s = suite_create("ticket");
	TCase *tc = tcase_create("threading");

	tcase_add_test(tc, test_id_from_address);
	tcase_add_test(tc, test_id_from_subject);
	tcase_add_test(tc, test_may_join);
	tcase_add_test(tc, test_tag);
	tcase_add_test(tc, test_reply_subject);
	tcase_add_test(tc, test_subject_bare);
	suite_add_tcase(s, tc);
	return s;
}
