/* Building outgoing mail: header safety, charsets, threading; each built
 * message is parsed back with the parser. */
#include <check.h>
#include <glib.h>
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
	b.automatic = 1;
	b.generated = 1;
	ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
	ck_assert_ptr_nonnull(strstr(raw, "Auto-Submitted: auto-generated\r\n"));
	free(raw);
	free(mid);

	base(&b);
	ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
	ck_assert_ptr_null(strstr(raw, "Auto-Submitted"));
	free(raw);
	free(mid);
}
END_TEST


/* Checks the wire form of raw: no line over 998 octets, 7-bit, every
 * ISO-2022-JP line ending in ASCII, every encoded word at most 75
 * characters and every line holding one at most 76; body lines at most
 * 78 octets. */
static void
check_wire(const char *raw, size_t i)
{
	const char *p = raw, *body = strstr(strstr(raw, "text/plain"),
					    "\r\n\r\n");
	const char *body_end = strstr(body, "\r\n--");
	int jis = 0;

	ck_assert_ptr_nonnull(body);
	if (body_end == NULL)
		body_end = body + strlen(body);
	while (*p != '\0') {
		const char *e = strstr(p, "\r\n"), *w;
		size_t n = e ? (size_t)(e - p) : strlen(p);

		ck_assert_msg(n <= 998, "case %zu: line of %zu octets", i, n);
		/* only one word that cannot be broken may be longer */
		if (p > body && p < body_end && (memchr(p, ' ', n) != NULL ||
				 memchr(p, 0x1b, n) != NULL))
			ck_assert_msg(n <= 78, "case %zu: body line of %zu "
				      "octets: %.*s", i, n, (int)n, p);
		for (w = p; w < p + n; w++) {
			ck_assert_msg(!(*w & 0x80), "case %zu: 8-bit", i);
			if (w + 2 < p + n && w[0] == 0x1b)
				jis = w[1] == '$';
		}
		ck_assert_msg(!jis, "case %zu: line ends in JIS: %.*s", i,
			      (int)n, p);
		for (w = p; (w = strstr(w, "=?")) != NULL && w < p + n;) {
			const char *q = strstr(w + 2, "?=");
			/* skip =?charset?B? */
			const char *t = strchr(strchr(w + 2, '?') + 1, '?');
			q = strstr(t + 1, "?=");
			ck_assert_msg(q - w + 2 <= 75, "case %zu: encoded word "
				      "of %zu: %.*s", i, (size_t)(q - w + 2),
				      (int)(q - w + 2), w);
			ck_assert_msg(n <= 76, "case %zu: line with an "
				      "encoded word of %zu", i, n);
			w = q + 2;
		}
		if (e == NULL)
			break;
		p = e + 2;
	}
}

/* A flowed text (DelSp=yes) joined again: the soft breaks removed. */
static char *
unflow(const char *text)
{
	GString *s = g_string_new(NULL);
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (p[0] == ' ' && p[1] == '\n') {
			p++;
			continue;
		}
		g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

START_TEST(test_long_lines)
{
	static const struct {
		const char *charset, *subject, *body, *want_charset;
		const char *filename;
	} cases[] = {
		/* a Japanese paragraph with no line break */
		{ "iso-2022-jp", "[SUPPORT#1] サーバーの再起動のお願いと"
		  "監視設定の変更についてのご相談とお問い合わせ",
		  NULL, "ISO-2022-JP", "見積書_山田商事様.xlsx" },
		{ "utf-8", "[SUPPORT#1] サーバーの再起動のお願いと"
		  "監視設定の変更についてのご相談とお問い合わせ①",
		  NULL, "UTF-8", "①見積書_髙山商事様.xlsx" },
		/* English, one long line */
		{ "iso-2022-jp", "[SUPPORT#1] Please reboot web01 and "
		  "change the monitoring settings of db02 at your "
		  "earliest convenience", NULL, "ISO-2022-JP", NULL },
		/* mixed, quoted */
		{ "iso-2022-jp", "Re: [SUPPORT#1] 再起動", NULL,
		  "ISO-2022-JP", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msgbuild b;
		struct msgbuild_attachment att = { 0 };
		struct mp_err err = { 0 };
		char *raw = NULL, *mid = NULL, *got, want[64];
		char path[] = "/tmp/mp-build-att.XXXXXX";
		GString *body = g_string_new(NULL);
		size_t len, k;
		struct msg *m;
		int fd = mkstemp(path);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "PK", 2), 2);
		close(fd);
		for (k = 0; k < 40; k++)
			g_string_append(body, i == 0 || i == 1 ?
				"お世話になっております。サーバー（web01）の"
				"再起動を、本日中にお願いいたします。" :
				i == 2 ? "Please reboot the server web01 "
				"today, and tell us when it is done. " :
				"web01 を再起動してください。");
		/* RFC 3676 drops trailing spaces of a hard line */
		while (body->str[body->len - 1] == ' ')
			g_string_truncate(body, body->len - 1);
		g_string_append(body, "\n\n");
		if (i == 3) {
			g_string_append(body, "> ");
			for (k = 0; k < 30; k++)
				g_string_append(body, "以前のメールの引用です。");
			g_string_append(body, "\n");
		}
		g_string_append(body, "https://example.jp/a/very/long/url/"
				"that/must/not/be/broken/anywhere/at/all/"
				"index.html\n");
		base(&b);
		b.charset = cases[i].charset;
		b.subject = cases[i].subject;
		b.body = body->str;
		if (cases[i].filename != NULL) {
			att.path = path;
			att.filename = cases[i].filename;
			att.content_type = "application/vnd.openxmlformats-"
				"officedocument.spreadsheetml.sheet";
			b.attachments = &att;
			b.n_attachments = 1;
		}
		ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
		snprintf(want, sizeof(want), "charset=%s",
			 cases[i].want_charset);
		ck_assert_msg(strstr(raw, want) != NULL, "case %zu: no %s",
			      i, want);
		if (cases[i].want_charset[0] == 'I')
			check_wire(raw, i);
		else
			check_wire(strstr(raw, "\r\n\r\n") - 1 > raw ? raw :
				   raw, i);
		m = parse_back(raw, len);
		ck_assert_msg(strcmp(m->subject, cases[i].subject) == 0,
			      "case %zu: subject got \"%s\"", i, m->subject);
		ck_assert_msg(strcmp(m->from.v[0].name, b.from_name) == 0,
			      "case %zu: from got \"%s\"", i,
			      m->from.v[0].name);
		got = unflow(m->text);
		for (k = 0; got[k] != '\0' && got[k] == body->str[k]; k++)
			;
		ck_assert_msg(strcmp(got, body->str) == 0, "case %zu: body "
			      "differs at %zu: got \"%.60s\", want \"%.60s\"",
			      i, k, got + k, body->str + k);
		/* and the folded text is what a plain reader shows */
		ck_assert_msg(strstr(m->text, "index.html\n") != NULL &&
			      strstr(m->text, "https://example.jp/a/very/long/"
				     "url/that/must/not/be/broken/anywhere/"
				     "at/all/index.html") != NULL,
			      "case %zu: URL broken:\n%s", i, m->text);
		if (cases[i].filename != NULL) {
			ck_assert_uint_eq(m->n_attachments, 1);
			ck_assert_msg(strcmp(m->attachments[0].filename,
					     cases[i].filename) == 0,
				      "case %zu: filename got \"%s\"", i,
				      m->attachments[0].filename);
			ck_assert_ptr_nonnull(strstr(raw, "filename*"));
			ck_assert_ptr_nonnull(strstr(raw, "name=\"=?"));
		}
		g_free(got);
		msg_free(&m);
		unlink(path);
		free(raw);
		free(mid);
		g_string_free(body, TRUE);
	}
}
END_TEST

/* Subjects and names: encoded words at most 75 characters, B encoding
 * for ISO-2022-JP, each word a complete ISO-2022-JP string. */
START_TEST(test_encoded_words)
{
	static const struct {
		const char *charset, *subject, *from_name;
		const char *want;	/* a substring of the raw header */
	} cases[] = {
		{ "iso-2022-jp", "[SUPPORT#1] 受付", "サンプル株式会社",
		  "Subject: [SUPPORT#1] =?ISO-2022-JP?B?GyRCPHVJVRsoQg==?=" },
		{ "iso-2022-jp", "【要望】サーバーの再起動のお願いと監視設定の"
		  "変更についてのご相談とお問い合わせ", "サンプル株式会社",
		  "From: =?ISO-2022-JP?B?" },
		{ "utf-8", "サーバーの再起動のお願いと監視設定の変更について"
		  "のご相談とお問い合わせとご連絡", "サンプル株式会社",
		  "=?UTF-8?B?" },
		{ "iso-2022-jp", "Re: [SUPPORT#1] web01 の reboot を "
		  "お願いします 今日中に お願いします ありがとう", "Sample K.K.",
		  "Subject: Re: [SUPPORT#1] web01 =?ISO-2022-JP?B?" },
		{ "utf-8", "A =?utf-8?q?fake?= word", NULL, "Subject: A =?" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msgbuild b;
		struct mp_err err = { 0 };
		char *raw = NULL, *mid = NULL;
		size_t len;
		struct msg *m;

		base(&b);
		b.charset = cases[i].charset;
		b.subject = cases[i].subject;
		b.from_name = cases[i].from_name;
		ck_assert_int_eq(msgbuild_make(&b, &raw, &len, &mid, &err), 0);
		ck_assert_msg(strstr(raw, cases[i].want) != NULL,
			      "case %zu: no \"%s\" in\n%s", i, cases[i].want,
			      raw);
		ck_assert_msg(strstr(raw, "?Q?") == NULL &&
			      strstr(raw, "?q?fake") == NULL, "case %zu: Q "
			      "encoding in\n%s", i, raw);
		check_wire(raw, i);
		m = parse_back(raw, len);
		ck_assert_msg(strcmp(m->subject, cases[i].subject) == 0,
			      "case %zu: subject got \"%s\"", i, m->subject);
		if (cases[i].from_name != NULL)
			ck_assert_str_eq(m->from.v[0].name,
					 cases[i].from_name);
		msg_free(&m);
		free(raw);
		free(mid);
	}
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
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_encoded_words);
	suite_add_tcase(s, tc);
	return s;
}
