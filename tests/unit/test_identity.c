/* Confirmation tokens and their addresses. */
#include <check.h>
#include <ctype.h>
#include <string.h>

#include "identity.h"

START_TEST(test_token)
{
	char a[IDENTITY_TOKEN_LEN + 1], b[IDENTITY_TOKEN_LEN + 1];
	char ha[IDENTITY_HASH_LEN + 1], hb[IDENTITY_HASH_LEN + 1];
	struct mp_err err = { 0 };
	size_t i;

	ck_assert_int_eq(identity_token_new(a, &err), 0);
	ck_assert_int_eq(identity_token_new(b, &err), 0);
	ck_assert_uint_eq(strlen(a), IDENTITY_TOKEN_LEN);
	ck_assert(IDENTITY_TOKEN_LEN * 4 >= 128);	/* at least 128 bits */
	for (i = 0; i < IDENTITY_TOKEN_LEN; i++)
		ck_assert(isxdigit((unsigned char)a[i]) &&
			  !isupper((unsigned char)a[i]));
	ck_assert_str_ne(a, b);
	identity_token_hash(a, ha);
	identity_token_hash(b, hb);
	ck_assert_uint_eq(strlen(ha), IDENTITY_HASH_LEN);
	ck_assert_str_ne(ha, hb);
	ck_assert(strstr(ha, a) == NULL);
	/* sha256("abc") */
	identity_token_hash("abc", ha);
	ck_assert_str_eq(ha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9"
			 "cb410ff61f20015ad");
}
END_TEST

START_TEST(test_addresses)
{
	static const char tok[] = "0123456789abcdef0123456789abcdef01234567";
	static const struct {
		const char *addr;
		enum identity_kind kind;
		long long ticket;
		const char *token;
	} cases[] = {
		{ "support+confirm-12-0123456789abcdef0123456789abcdef01234567"
		  "@example.jp", IDENTITY_CONFIRM, 12, tok },
		{ "support+deny-3-0123456789abcdef0123456789abcdef01234567"
		  "@example.jp", IDENTITY_DENY, 3, tok },
		{ "SUPPORT+CONFIRM-12-0123456789ABCDEF0123456789ABCDEF01234567"
		  "@EXAMPLE.JP", IDENTITY_CONFIRM, 12,
		  "0123456789ABCDEF0123456789ABCDEF01234567" },
		{ "support+confirm-12-abc@example.jp", IDENTITY_CONFIRM, 12, "" },
		{ "support+confirm-x-abc@example.jp", IDENTITY_CONFIRM, 0, "" },
		{ "support+confirm-12@example.jp", IDENTITY_CONFIRM, 0, "" },
		{ "support+12@example.jp", IDENTITY_NONE, 0, "" },
		{ "support@example.jp", IDENTITY_NONE, 0, "" },
		{ "other+confirm-12-0123456789abcdef0123456789abcdef01234567"
		  "@example.jp", IDENTITY_NONE, 0, "" },
		{ "support+confirm-12-0123456789abcdef0123456789abcdef01234567"
		  "@example.com", IDENTITY_NONE, 0, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char token[IDENTITY_TOKEN_LEN + 1];
		long long ticket;
		enum identity_kind got = identity_parse_address(
			cases[i].addr, "support@example.jp", &ticket, token);

		ck_assert_msg(got == cases[i].kind && ticket == cases[i].ticket
			      && strcmp(token, cases[i].token) == 0,
			      "case %zu: got %d %lld \"%s\", want %d %lld "
			      "\"%s\"", i, got, ticket, token, cases[i].kind,
			      cases[i].ticket, cases[i].token);
	}
	{
		char buf[256], token[IDENTITY_TOKEN_LEN + 1];
		long long ticket;

		identity_address(buf, sizeof(buf), "support@example.jp",
				 IDENTITY_DENY, 42, tok);
		ck_assert_int_eq(identity_parse_address(buf,
			"support@example.jp", &ticket, token), IDENTITY_DENY);
		ck_assert_int_eq(ticket, 42);
		ck_assert_str_eq(token, tok);
	}
}
END_TEST

/* What the text of a mail to the confirm address says: a no never
 * passes for a yes. */
START_TEST(test_declines)
{
	static const struct {
		const char *text;
		int no;
	} cases[] = {
		{ "", 0 },
		{ "OK", 0 },
		{ "はい、お願いします。", 0 },
		{ "依頼内容に間違いありません。よろしくお願いいたします。", 0 },
		{ "Yes, please go ahead.", 0 },
		{ "No problem, go ahead.", 0 },
		{ "心当たりがあります。実施してください。", 0 },
		{ "再起動をお願いします。返信不要です。", 0 },
		/* the case */
		{ "このような依頼はしていません。作業しないでください。", 1 },
		{ "依頼していません", 1 },
		{ "身に覚えがありません。", 1 },
		{ "心当たりがありません", 1 },
		{ "作業は中止してください", 1 },
		{ "キャンセルでお願いします", 1 },
		{ "いいえ", 1 },
		{ "ｷｬﾝｾﾙ", 1 },		/* half-width: NFKC */
		{ "No.", 1 },
		{ "no", 1 },
		{ "NO, I did not ask for this", 1 },
		{ "I did not request this.", 1 },
		{ "I didn\u2019t request this", 1 },
		{ "Don't do it.", 1 },
		{ "Please cancel.", 1 },
		{ "This was not me", 1 },
		{ "I do not recognise this request", 1 },
		{ "Unauthorized!", 1 },
		/* words that only contain a no-word are not one */
		{ "Nothing to add, thanks", 0 },
		{ "Notably fine", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = identity_reply_declines(cases[i].text);

		ck_assert_msg(got == cases[i].no, "case %zu: got %d, want %d "
			      "(%s)", i, got, cases[i].no, cases[i].text);
	}
}
END_TEST

Suite *
suite_identity(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("identity");

	tcase_add_test(tc, test_token);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_declines);
	suite_add_tcase(s, tc);
	return s;
}
