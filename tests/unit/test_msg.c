/* Parsing in place from a file, limits, and attachments streamed to the
 * content-addressed store.  (The full corpus is checked end to end by
 * tests/e2e/1000-parse-corpus.sh.) */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

static int
file_with(const char *text)
{
	char path[] = "/tmp/mp-msg-test.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	return fd;
}

/* A file holding head, then n copies of rep, then tail. */
static int
file_repeated(const char *head, const char *rep, size_t n, const char *tail)
{
	char path[] = "/tmp/mp-msg-test.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	size_t i;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	f = fdopen(dup(fd), "w");
	fputs(head, f);
	for (i = 0; i < n; i++)
		fprintf(f, rep, (unsigned)i);
	fputs(tail, f);
	ck_assert_int_eq(fclose(f), 0);
	return fd;
}

static int
has_defect(const struct msg *m, const char *d)
{
	size_t i;

	for (i = 0; i < m->n_defects; i++)
		if (strcmp(m->defects[i], d) == 0)
			return 1;
	return 0;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Issue 13: GMime's parameter parsing is quadratic (40,000 parameters
 * took 13 s, 100,000 two minutes) and a 10 MB Subject cost 300 MB.  The
 * pre-scan caps header fields and parameters first: each of these
 * parses in well under a second, with the cut recorded as a defect and
 * the rest of the message intact. */
START_TEST(test_hostile_headers)
{
	static const struct {
		const char *head, *rep, *tail;
		size_t n;
		const char *defect, *want_text, *want_mid;
	} cases[] = {
		{ "From: a@x.jp\nMessage-ID: <p@x>\nContent-Type: text/plain; "
		  "charset=UTF-8", ";\n p%u=v", "\nSubject: after\n\nhello\n",
		  100000, "too-many-parameters", "hello\n", "p@x" },
		{ "From: a@x.jp\nSubject: ", "word%u ", "\nMessage-ID: <s@x>\n"
		  "\nhello\n", 300000, "header-field-too-long", "hello\n",
		  "s@x" },
		/* A part's own header block is capped too. */
		{ "From: a@x.jp\nMessage-ID: <m@x>\nContent-Type: "
		  "multipart/mixed; boundary=B\n\n--B\nContent-Type: "
		  "text/plain", "; p%u=v", "\n\nhello\n--B--\n", 100000,
		  "too-many-parameters", "hello", "m@x" },
		{ "From: a@x.jp\nMessage-ID: <f@x>\n", "X-F%u: v\n",
		  "\nhello\n", 20000, "too-many-header-fields", "hello\n",
		  "f@x" },
	};
	struct msg_limits lim = { 50, 1 << 20 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mp_err err = { 0 };
		struct msg *m = NULL;
		int fd = file_repeated(cases[i].head, cases[i].rep,
				       cases[i].n, cases[i].tail);
		double t0 = now_s(), dt;

		ck_assert_int_eq(msg_parse_fd(fd, 0, &lim, NULL, &m, &err), 0);
		dt = now_s() - t0;
		ck_assert_msg(dt < 2.0, "case %zu: %.1f s, want < 2 s", i, dt);
		ck_assert_msg(has_defect(m, cases[i].defect),
			      "case %zu: no %s defect", i, cases[i].defect);
		ck_assert_msg(strncmp(m->text, cases[i].want_text,
				      strlen(cases[i].want_text)) == 0,
			      "case %zu: text got \"%.40s\"", i, m->text);
		ck_assert_msg(m->message_id != NULL &&
			      strcmp(m->message_id, cases[i].want_mid) == 0,
			      "case %zu: Message-ID got %s", i,
			      m->message_id ? m->message_id : "(none)");
		ck_assert_uint_le(strlen(m->subject), 64 * 1024);
		msg_free(&m);
		close(fd);
	}
}
END_TEST

START_TEST(test_offset_and_fields)
{
	static const struct {
		const char *text;
		off_t offset;
		const char *subject, *from, *mid, *text_want;
	} cases[] = {
		{ "ENVELOPE LINE\nFrom: a@x.jp\nSubject: hi\n"
		  "Message-ID: <m1@x>\n\nbody\n", 14, "hi", "a@x.jp", "m1@x",
		  "body\n" },
		{ "From: =?UTF-8?B?5bGx55Sw?= <y@x.jp>\nSubject: "
		  "=?ISO-2022-JP?B?GyRCOkY1L0YwGyhC?=\n\n\x1b$B$\"\x1b(B\n", 0,
		  "再起動", "y@x.jp", NULL, "あ\n" },
		{ "Subject: crlf\r\n\r\nline1\r\nline2\r\n", 0, "crlf", NULL,
		  NULL, "line1\nline2\n" },
		{ "", 0, "", NULL, NULL, "" },
	};
	struct msg_limits lim = { 50, 1 << 20 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mp_err err = { 0 };
		struct msg *m = NULL;
		int fd = file_with(cases[i].text);

		ck_assert_int_eq(msg_parse_fd(fd, cases[i].offset, &lim, NULL,
					      &m, &err), 0);
		ck_assert_msg(strcmp(m->subject, cases[i].subject) == 0,
			      "case %zu: subject got \"%s\", want \"%s\"", i,
			      m->subject, cases[i].subject);
		ck_assert_msg(cases[i].from == NULL ?
			      msg_from_address(m) == NULL :
			      strcmp(msg_from_address(m), cases[i].from) == 0,
			      "case %zu: from got %s", i,
			      msg_from_address(m));
		ck_assert_msg(cases[i].mid == NULL ? m->message_id == NULL :
			      strcmp(m->message_id, cases[i].mid) == 0,
			      "case %zu: message-id got %s", i,
			      m->message_id);
		ck_assert_msg(strcmp(m->text, cases[i].text_want) == 0,
			      "case %zu: text got \"%s\", want \"%s\"", i,
			      m->text, cases[i].text_want);
		msg_free(&m);
		ck_assert_ptr_null(m);
		close(fd);
	}
}
END_TEST

START_TEST(test_limits)
{
	struct msg_limits lim = { 3, 10 };
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	size_t i;
	int fd, depth_defect = 0, trunc_defect = 0;

	fd = file_with("Subject: x\nContent-Type: multipart/mixed; boundary=a\n"
		       "\n--a\nContent-Type: multipart/mixed; boundary=b\n\n"
		       "--b\nContent-Type: multipart/mixed; boundary=c\n\n"
		       "--c\nContent-Type: multipart/mixed; boundary=d\n\n"
		       "--d\n\ndeep text\n--d--\n--c--\n--b--\n--a--\n");
	ck_assert_int_eq(msg_parse_fd(fd, 0, &lim, NULL, &m, &err), 0);
	for (i = 0; i < m->n_defects; i++)
		depth_defect |= strcmp(m->defects[i], "mime-depth-limit") == 0;
	ck_assert_msg(depth_defect, "no mime-depth-limit defect");
	msg_free(&m);
	close(fd);

	lim.max_depth = 50;
	fd = file_with("Subject: x\n\n0123456789abcdef\n");
	ck_assert_int_eq(msg_parse_fd(fd, 0, &lim, NULL, &m, &err), 0);
	ck_assert_str_eq(m->text, "0123456789");
	for (i = 0; i < m->n_defects; i++)
		trunc_defect |= strcmp(m->defects[i], "text-truncated") == 0;
	ck_assert(trunc_defect);
	msg_free(&m);
	close(fd);
}
END_TEST

/* Attachment names with NEC row 13 and IBM extension characters, as
 * Outlook and Becky! send them (RFC 2047 inside a quoted filename, or
 * RFC 2231), are decoded by our Japanese decoder, not glibc's. */
START_TEST(test_attachment_names)
{
	static const struct {
		const char *disposition, *want;
	} cases[] = {
		{ "attachment; filename=\"=?ISO-2022-JP?B?"
		  "GyRCLSE4K0BRPXEbKEIueGxzeA==?=\"", "①見積書.xlsx" },
		{ "attachment;\n filename=\"=?ISO-2022-JP?B?"
		  "GyRCLWIbKEIxMl8bJEI4K0BRPXEbKEIucGRm?=\"", "№12_見積書.pdf" },
		{ "attachment; filename=\"=?Shift_JIS?B?"
		  "h0CMqZDPj5Ff7uCOUo+kjpaXbC54bHN4?=\"",
		  "①見積書_髙山商事様.xlsx" },
		{ "attachment; filename*=ISO-2022-JP''"
		  "%1B%24B-%218%2B%40Q%3Dq%1B%28B.xlsx", "①見積書.xlsx" },
		{ "attachment; filename*0*=ISO-2022-JP''%1B%24B-%21;\n"
		  " filename*1*=8%2B%40Q%3Dq%1B%28B.xlsx", "①見積書.xlsx" },
		{ "attachment; filename=\"plain name.txt\"", "plain name.txt" },
		{ "attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt",
		  "報告.txt" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct msg_limits lim = { 50, 1 << 20 };
		struct mp_err err = { 0 };
		struct msg *m = NULL;
		char text[1024];
		int fd;

		snprintf(text, sizeof(text), "Subject: att\nMIME-Version: 1.0\n"
			 "Content-Type: multipart/mixed; boundary=XX\n\n"
			 "--XX\nContent-Type: text/plain\n\nsee attached\n"
			 "--XX\nContent-Type: application/octet-stream\n"
			 "Content-Disposition: %s\n"
			 "Content-Transfer-Encoding: base64\n\naGVsbG8=\n"
			 "--XX--\n", cases[i].disposition);
		fd = file_with(text);
		ck_assert_int_eq(msg_parse_fd(fd, 0, &lim, NULL, &m, &err), 0);
		ck_assert_uint_eq(m->n_attachments, 1);
		ck_assert_msg(m->attachments[0].filename != NULL &&
			      strcmp(m->attachments[0].filename,
				     cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i,
			      m->attachments[0].filename, cases[i].want);
		msg_free(&m);
		close(fd);
	}
}
END_TEST

START_TEST(test_attachment_stored)
{
	struct msg_limits lim = { 50, 1 << 20 };
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	char dir[] = "/tmp/mp-att-test.XXXXXX", path[256], cmd[300];
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = file_with("Subject: att\nMIME-Version: 1.0\n"
		       "Content-Type: multipart/mixed; boundary=XX\n\n"
		       "--XX\nContent-Type: text/plain\n\nsee attached\n"
		       "--XX\nContent-Type: application/octet-stream\n"
		       "Content-Disposition: attachment; "
		       "filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt\n"
		       "Content-Transfer-Encoding: base64\n\naGVsbG8=\n"
		       "--XX--\n");
	ck_assert_int_eq(msg_parse_fd(fd, 0, &lim, dir, &m, &err), 0);
	ck_assert_uint_eq(m->n_attachments, 1);
	ck_assert_str_eq(m->attachments[0].filename, "報告.txt");
	ck_assert_int_eq(m->attachments[0].size, 5);
	/* sha256("hello") */
	ck_assert_str_eq(m->attachments[0].sha256,
			 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e"
			 "73043362938b9824");
	snprintf(path, sizeof(path), "%s/2c/%s", dir,
		 m->attachments[0].sha256);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_str_eq(m->text, "see attached");
	msg_free(&m);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *
suite_msg(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, test_offset_and_fields);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_hostile_headers);
	tcase_add_test(tc, test_attachment_stored);
	tcase_add_test(tc, test_attachment_names);
	suite_add_tcase(s, tc);
	return s;
}
