/* The LMTP protocol's bytes: command parsing, dot-unstuffing, and the
 * login header counted only above the first Received. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "lmtp.h"

static const struct {
	const char *line;
	enum lmtp_verb verb;
	enum lmtp_syntax syntax;
	const char *addr;
	long long size;
} parse_cases[] = {
	{ "LHLO mx.example.jp", LMTP_LHLO, LMTP_OK, "", -1 },
	{ "lhlo x", LMTP_LHLO, LMTP_OK, "", -1 },
	{ "LHLO", LMTP_LHLO, LMTP_BAD_SYNTAX, "", -1 },
	{ "EHLO x", LMTP_HELO, LMTP_OK, "", -1 },
	{ "HELO x", LMTP_HELO, LMTP_OK, "", -1 },
	{ "MAIL FROM:<a@b.jp>", LMTP_MAIL, LMTP_OK, "a@b.jp", -1 },
	{ "mail from:<a@b.jp> SIZE=1234 BODY=8BITMIME", LMTP_MAIL, LMTP_OK,
	  "a@b.jp", 1234 },
	{ "MAIL FROM: <a@b.jp>", LMTP_MAIL, LMTP_OK, "a@b.jp", -1 },
	{ "MAIL FROM:<>", LMTP_MAIL, LMTP_OK, "", -1 },
	{ "MAIL FROM:<@r1,@r2:a@b.jp>", LMTP_MAIL, LMTP_OK, "a@b.jp", -1 },
	{ "MAIL FROM:a@b.jp", LMTP_MAIL, LMTP_BAD_SYNTAX, "", -1 },
	{ "MAIL FROM:<a@b.jp", LMTP_MAIL, LMTP_BAD_SYNTAX, "", -1 },
	{ "MAIL FROM:<a b@c>", LMTP_MAIL, LMTP_BAD_SYNTAX, "", -1 },
	{ "MAIL FROM:<a@b.jp> SIZE=12x", LMTP_MAIL, LMTP_BAD_SYNTAX, "", -1 },
	{ "MAIL FROM:<a@b.jp> SIZE=99999999999999999999", LMTP_MAIL,
	  LMTP_BAD_SYNTAX, "", -1 },
	{ "MAIL FROM:<a@b.jp> SMTPUTF8", LMTP_MAIL, LMTP_BAD_PARAM, "", -1 },
	{ "MAIL", LMTP_MAIL, LMTP_BAD_SYNTAX, "", -1 },
	{ "RCPT TO:<support+12@example.jp>", LMTP_RCPT, LMTP_OK,
	  "support+12@example.jp", -1 },
	{ "RCPT TO:<>", LMTP_RCPT, LMTP_BAD_SYNTAX, "", -1 },
	{ "RCPT TO:<a@b> SIZE=1", LMTP_RCPT, LMTP_BAD_PARAM, "", -1 },
	{ "RCPT TO:<a@b> NOTIFY=NEVER", LMTP_RCPT, LMTP_BAD_PARAM, "", -1 },
	{ "DATA", LMTP_DATA, LMTP_OK, "", -1 },
	{ "DATA x", LMTP_DATA, LMTP_BAD_SYNTAX, "", -1 },
	{ "RSET", LMTP_RSET, LMTP_OK, "", -1 },
	{ "NOOP hello", LMTP_NOOP, LMTP_OK, "", -1 },
	{ "QUIT", LMTP_QUIT, LMTP_OK, "", -1 },
	{ "VRFY x", LMTP_VRFY, LMTP_OK, "", -1 },
	{ "XCLIENT LOGIN=staff", LMTP_UNKNOWN, LMTP_OK, "", -1 },
	{ "DATAX", LMTP_UNKNOWN, LMTP_OK, "", -1 },
	{ "", LMTP_UNKNOWN, LMTP_OK, "", -1 },
};

START_TEST(test_parse)
{
	struct lmtp_cmd cmd;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const char *l = parse_cases[i].line;
		lmtp_parse(l, strlen(l), &cmd);
		ck_assert_msg(cmd.verb == parse_cases[i].verb,
			      "case %zu: got verb %d, want %d", i, cmd.verb,
			      parse_cases[i].verb);
		ck_assert_msg(cmd.syntax == parse_cases[i].syntax,
			      "case %zu: got syntax %d, want %d", i,
			      cmd.syntax, parse_cases[i].syntax);
		if (cmd.syntax == LMTP_OK) {
			ck_assert_msg(strcmp(cmd.addr, parse_cases[i].addr)
				      == 0, "case %zu: got addr %s, want %s",
				      i, cmd.addr, parse_cases[i].addr);
			ck_assert_msg(cmd.size == parse_cases[i].size,
				      "case %zu: got size %lld, want %lld", i,
				      cmd.size, parse_cases[i].size);
		}
	}
}
END_TEST

START_TEST(test_parse_nul)
{
	struct lmtp_cmd cmd;

	lmtp_parse("RSET\0x", 6, &cmd);
	ck_assert_int_eq(cmd.verb, LMTP_UNKNOWN);
}
END_TEST

static const struct {
	const char *in;		/* the DATA stream */
	const char *out;	/* the message */
	size_t rest;		/* bytes left after the final dot */
} dot_cases[] = {
	{ "a\r\nb\r\n.\r\n", "a\nb\n", 0 },
	{ ".\r\n", "", 0 },
	{ "..x\r\n.\r\nQUIT\r\n", ".x\n", 6 },
	{ "a\r\n..\r\n.\r\n", "a\n.\n", 0 },
	{ "a\r\n.x\r\n.\r\n", "a\nx\n", 0 },	/* unstuffed anyway */
	{ "a\rb\r\n.\r\n", "a\rb\n", 0 },	/* lone CR kept */
	{ "a\r\r\n.\r\n", "a\r\n", 0 },
	{ "a\n.\n", "a\n", 0 },			/* bare LF: lenient */
	{ "a\r\n.\rb\r\n.\r\n", "a\n\rb\n", 0 },
	{ "x.\r\n.\r\n", "x.\n", 0 },
	{ "a\r\n.\r\n.\r\n", "a\n", 3 },
	{ "no end\r\n", "no end\n", 0 },	/* not done */
};

START_TEST(test_dot)
{
	size_t i, split;

	for (i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++) {
		const char *in = dot_cases[i].in;
		size_t n = strlen(in);
		/* Every split of the stream in two reads decodes alike. */
		for (split = 0; split <= n; split++) {
			struct lmtp_dot d;
			char out[64], buf[64];
			size_t o = 0, used, ol, total = 0;

			lmtp_dot_init(&d);
			used = lmtp_dot_feed(&d, in, split, buf, &ol);
			memcpy(out + o, buf, ol);
			o += ol;
			total += used;
			if (!d.done) {
				used = lmtp_dot_feed(&d, in + split,
						     n - split, buf, &ol);
				memcpy(out + o, buf, ol);
				o += ol;
				total += used;
			}
			out[o] = '\0';
			ck_assert_msg(strcmp(out, dot_cases[i].out) == 0,
				      "case %zu split %zu: got \"%s\", want "
				      "\"%s\"", i, split, out,
				      dot_cases[i].out);
			if (strstr(in, "no end") == NULL)
				ck_assert_msg(d.done && n - total ==
					      dot_cases[i].rest,
					      "case %zu split %zu: done %d "
					      "rest %zu", i, split, d.done,
					      n - total);
		}
	}
}
END_TEST

static const struct {
	const char *msg;
	const char *login;	/* NULL: none trusted */
	int forged;
} hdr_cases[] = {
	{ "X-Mailproc-Login: alice\nReceived: from x\nFrom: a@b\n\nbody\n",
	  "alice", 0 },
	{ "x-mailproc-login:alice \nReceived: x\n\n", "alice", 0 },
	/* written by the client: below our smtpd's Received */
	{ "Received: from x\nX-Mailproc-Login: staff@example.jp\n\n", NULL,
	  1 },
	{ "X-Mailproc-Login: alice\nReceived: x\nX-Mailproc-Login: bob\n\n",
	  "alice", 1 },
	/* prepended twice by one smtpd: the same value is fine */
	{ "X-Mailproc-Login: alice\nX-Mailproc-Login: alice\nReceived: x\n\n",
	  "alice", 0 },
	{ "X-Mailproc-Login: alice\nX-Mailproc-Login: bob\nReceived: x\n\n",
	  NULL, 0 },
	{ "X-Mailproc-Login: a b\nReceived: x\n\n", NULL, 0 },
	{ "X-Mailproc-Login:\nReceived: x\n\n", NULL, 0 },
	{ "From: a@b\n\nX-Mailproc-Login: alice\n", NULL, 0 },	/* body */
	{ "X-Mailproc-Login-Other: alice\nReceived: x\n\n", NULL, 0 },
	{ "Subject: x\n X-Mailproc-Login: alice\nReceived: x\n\n", NULL, 0 },
	/* no Received below it: nothing shows our smtpd wrote it */
	{ "X-Mailproc-Login: alice\nFrom: a@b\n\nbody\n", NULL, 0 },
	{ "X-Mailproc-Login: alice\nReceived: x", "alice", 0 },	/* no LF */
	{ "X-Mailproc-Login: alice\r\nReceived: x\r\n\r\n", "alice", 0 },
};

START_TEST(test_login_header)
{
	size_t i;

	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		struct lmtp_hdr h;
		const char *got;

		lmtp_hdr_init(&h, "X-Mailproc-Login");
		lmtp_hdr_feed(&h, hdr_cases[i].msg, strlen(hdr_cases[i].msg));
		got = lmtp_hdr_login(&h);
		if (hdr_cases[i].login == NULL)
			ck_assert_msg(got == NULL, "case %zu: got %s, want "
				      "none", i, got);
		else
			ck_assert_msg(got != NULL &&
				      strcmp(got, hdr_cases[i].login) == 0,
				      "case %zu: got %s, want %s", i,
				      got ? got : "none", hdr_cases[i].login);
		ck_assert_msg(h.forged == hdr_cases[i].forged,
			      "case %zu: got forged %d, want %d", i, h.forged,
			      hdr_cases[i].forged);
	}
}
END_TEST

START_TEST(test_login_header_disabled)
{
	struct lmtp_hdr h;
	const char *m = "X-Mailproc-Login: alice\nReceived: x\n\n";

	lmtp_hdr_init(&h, "");
	lmtp_hdr_feed(&h, m, strlen(m));
	ck_assert_ptr_null(lmtp_hdr_login(&h));
}
END_TEST

Suite *
suite_lmtp(void)
{
	Suite *s = suite_create("lmtp");
	TCase *tc = tcase_create("lmtp");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_nul);
	tcase_add_test(tc, test_dot);
	tcase_add_test(tc, test_login_header);
	tcase_add_test(tc, test_login_header_disabled);
	suite_add_tcase(s, tc);
	return s;
}
