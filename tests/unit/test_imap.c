/* IMAP URLs for `fetch`. */
#include <check.h>
#include <string.h>

#include "imap.h"

START_TEST(test_url)
{
	static const struct {
		const char *url;
		int ok, tls;
		const char *user, *password, *host, *mailbox;
		unsigned port;
	} cases[] = {
		{ "imap://support%40example.jp:s3cret@127.0.0.1:1143/INBOX",
		  1, 0, "support@example.jp", "s3cret", "127.0.0.1", "INBOX",
		  1143 },
		{ "imaps://u@mail.example.jp", 1, 1, "u", "",
		  "mail.example.jp", "INBOX", 993 },
		{ "imap://u@h/Support%2FRequests", 1, 0, "u", "", "h",
		  "Support/Requests", 143 },
		{ "IMAP://u@h:143/", 1, 0, "u", "", "h", "INBOX", 143 },
		{ "imap://a:p%3Aq@h", 1, 0, "a", "p:q", "h", "INBOX", 143 },
		{ "http://u@h/", 0, 0, NULL, NULL, NULL, NULL, 0 },
		{ "imap://h/INBOX", 0, 0, NULL, NULL, NULL, NULL, 0 },
		{ "imap://u@h:0/", 0, 0, NULL, NULL, NULL, NULL, 0 },
		{ "imap://u@h:99999/", 0, 0, NULL, NULL, NULL, NULL, 0 },
		{ "imap://u@:143/", 0, 0, NULL, NULL, NULL, NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_url u;
		struct mp_err err = { 0 };
		int ok = imap_url_parse(cases[i].url, &u, &err) == 0;

		ck_assert_msg(ok == cases[i].ok, "case %zu: got %s (%s), "
			      "want %s", i, ok ? "ok" : "error", err.msg,
			      cases[i].ok ? "ok" : "error");
		if (!ok)
			continue;
		ck_assert_msg(u.tls == cases[i].tls &&
			      strcmp(u.user, cases[i].user) == 0 &&
			      strcmp(u.password, cases[i].password) == 0 &&
			      strcmp(u.host, cases[i].host) == 0 &&
			      strcmp(u.mailbox, cases[i].mailbox) == 0 &&
			      u.port == cases[i].port,
			      "case %zu: got %d %s %s %s %s %u", i, u.tls,
			      u.user, u.password, u.host, u.mailbox, u.port);
	}
}
END_TEST

Suite *
suite_imap(void)
{
	Suite *s = suite_create("imap");
	TCase *tc = tcase_create("url");

	tcase_add_test(tc, test_url);
	suite_add_tcase(s, tc);
	return s;
}
