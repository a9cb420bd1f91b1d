/* Building outgoing mail: header safety, charsets, threading; each built
 * message is parsed back with the parser. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "msgbuild.h"

static struct msg *
parse_back(const char *raw, size_t len)
{
	char path[] = "/tmp/mp-build-test.XXXXXX";
	struct msg_limits lim = { 50, 1 << 20 };
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, raw, len), (ssize_t)len);
	ck_assert_int_eq(msg_parse_fd(fd, 0, &lim, NULL, &m, &err), 0);
	close(fd);
	return m;
}

static void
base(struct msgbuild *b)
{
	memset(b, 0, sizeof(*b));
	b->from_name = "サンプル株式会社";
	b->from_addr = "support@example.jp";
	b->to_addr = "taro@example.com";
	b->subject = "[SUPPORT#1] 受付";
	b->body = "本文です。\n";
	b->charset = "utf-8";
	b->domain = "example.jp";
	b->date = 1796000400;
	b->timezone = "Asia/Tokyo";
}

START_TEST(test_injection_refused)
{
	static const char *const bad[] = {
		"x\r\nBcc: evil@example.com", "x\nX-Evil: 1", "x\r",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct msgbuild b;
		struct mp_err err = { 0 };
		char *raw = NULL, *mid = NULL;
		size_t len;
		int field;

		for (field = 0; field < 3; field++) {
			base(&b);
			if (field == 0)
				b.subject = bad[i];
			else if (field == 1)
				b.to_addr = bad[i];
			else
				b.from_name = bad[i];
			ck_assert_msg(msgbuild_make(&b, &raw, &len, &mid,
						    &err) == -1,
				      "case %zu field %d: got built, want "
				      "refused", i, field);
			ck_assert_int_eq(err.kind, MP_PERM);
			ck_assert_ptr_null(raw);
		}
	}
}
END_TEST

/* Identifiers from other people's mail that cannot be written back as
 * <id> are left out: the mail is still built (issue 13: a poison
 * Message-ID blocked every acknowledgement and staff reply). */
START_TEST(test_poison_ids_omitted)
{
	static const struct {
		const char *in_reply_to, *ref;
		const char *want_irt, *want_refs;	/* NULL: no header */
	} cases[] = {
		{ "a b@x", "ok@x", NULL, "<ok@x>" },
		{ "c<d@x", "x y@z", NULL, NULL },
		{ "e\r\nBcc: evil@example.com", "f\r\nX-Evil: 1", NULL,
		  NULL },
		{ "ok@x", "g>h@x", "<ok@x>", NULL },
		{ "ok@x", "ok2@x", "<ok@x>", "<ok2@x>" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *refs[] = { cases[i].ref };
		struct msgbuild b;
		struct mp_err err = { 0 };
		char *raw = NULL, *mid = NULL, want[128];
		size_t len;

		base(&b);
		b.in_reply_to = cases[i].in_reply_to;
		b.references = refs;
		b.n_references = 1;
		ck_assert_msg(msgbuild_make(&b, &raw, &len, &mid, &err) == 0,
			      "case %zu: refused: %s", i, err.msg);
		ck_assert_msg(strstr(raw, "Bcc:") == NULL &&
			      strstr(raw, "X-Evil") == NULL,
			      "case %zu: header injected", i);
		if (cases[i].want_irt != NULL) {
			snprintf(want, sizeof(want), "In-Reply-To: %s\r\n",
				 cases[i].want_irt);
			ck_assert_msg(strstr(raw, want) != NULL,
				      "case %zu: got no %s", i, want);
		} else {
			ck_assert_msg(strstr(raw, "In-Reply-To:") == NULL,
				      "case %zu: got In-Reply-To, want none",
				      i);
		}
		if (cases[i].want_refs != NULL) {
			snprintf(want, sizeof(want), "References: %s\r\n",
				 cases[i].want_refs);
			ck_assert_msg(strstr(raw, want) != NULL,
				      "case %zu: got no %s", i, want);
		} else {
			ck_assert_msg(strstr(raw, "References:") == NULL,
				      "case %zu: got References, want none",
				      i);
		}
		free(raw);
		free(mid);
	}
}
END_TEST

START_TEST(test_charsets)
{
	static const struct {
		const char *charset, *subject, *body;
		const char *want_charset;	/* in Content-Type */
		const char *want_subject, *want_body;
	} cases[] = {
		{ "utf-8", "[SUPPORT#1] 受付", "本文～①\n", "UTF-8",
		  "[SUPPORT#1] 受付", "本文～①\n" },
		{ "iso-2022-jp", "[SUPPORT#1] 受付", "本文です\n",
		  "ISO-2022-JP", "[SUPPORT#1] 受付", "本文です\n" },
		/* ～ － ∥ go out as their JIS codes (via 〜 − ‖), which a
		 * CP932 reader, ours included, reads back as ～ － ∥. */
		{ "iso-2022-jp", "[SUPPORT#1] 9:30～18:00", "－ ∥\n",
		  "ISO-2022-JP", "[SUPPORT#1] 9:30～18:00", "－ ∥\n" },
		/* ① has no JIS form: the whole mail goes as UTF-8. */
		{ "iso-2022-jp", "[SUPPORT#1] ①", "②\n", "UTF-8",
		  "[SUPPORT#1] ①", "②\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msgbuild b;
		struct mp_err err = { 0 };
		char *raw = NULL, *mid = NULL, want[64];
		size_t len;
		struct msg *m;

		base(&b);
		b.charset = cases[i].charset;
		b.subject = cases[i].subject;
		b.body = cases[i].body;
		ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
		snprintf(want, sizeof(want), "charset=%s",
			 cases[i].want_charset);
		ck_assert_msg(strstr(raw, want) != NULL, "case %zu: no %s in "
			      "%s", i, want, raw);
		m = parse_back(raw, len);
		ck_assert_msg(strcmp(m->subject, cases[i].want_subject) == 0,
			      "case %zu: subject got \"%s\", want \"%s\"", i,
			      m->subject, cases[i].want_subject);
		ck_assert_msg(strcmp(m->text, cases[i].want_body) == 0,
			      "case %zu: body got \"%s\", want \"%s\"", i,
			      m->text, cases[i].want_body);
		ck_assert_uint_eq(m->n_defects, 0);
		msg_free(&m);
		free(raw);
		free(mid);
	}
}
END_TEST

START_TEST(test_headers)
{
	static const char *const refs[] = { "a@x.jp", "b@x.jp" };
	struct msgbuild b;
	struct mp_err err = { 0 };
	char *raw = NULL, *mid = NULL;
	size_t len;
	struct msg *m;

	base(&b);
	b.automatic = 1;
	b.in_reply_to = "b@x.jp";
	b.references = refs;
	b.n_references = 2;
	b.reply_to = "support+1@example.jp";
	ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
	ck_assert_ptr_nonnull(strstr(raw, "Auto-Submitted: auto-replied\r\n"));
	ck_assert_ptr_nonnull(strstr(raw, "Date: Mon, 30 Nov 2026 10:00:00 "
				     "+0900\r\n"));
	ck_assert_ptr_null(strstr(raw, "\n\n"));	/* CRLF throughout */
	ck_assert(strstr(mid, "@example.jp") != NULL);
	m = parse_back(raw, len);
	ck_assert_str_eq(m->message_id, mid);
	ck_assert_str_eq(m->in_reply_to, "b@x.jp");
	ck_assert_uint_eq(m->n_references, 2);
	ck_assert_str_eq(m->references[1], "b@x.jp");
	ck_assert_str_eq(m->auto_submitted, "auto-replied");
	ck_assert_str_eq(m->reply_to.v[0].address, "support+1@example.jp");
	ck_assert_str_eq(m->from.v[0].name, "サンプル株式会社");
	msg_free(&m);
	free(raw);
	free(mid);

	base(&b);
	ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
	ck_assert_ptr_null(strstr(raw, "Auto-Submitted"));
	free(raw);
	free(mid);
}
END_TEST

Suite *
suite_msgbuild(void)
{
	Suite *s = suite_create("msgbuild");
	TCase *tc = tcase_create("msgbuild");

	tcase_add_test(tc, test_injection_refused);
	tcase_add_test(tc, test_poison_ids_omitted);
	tcase_add_test(tc, test_charsets);
	tcase_add_test(tc, test_headers);
	suite_add_tcase(s, tc);
	return s;
}
