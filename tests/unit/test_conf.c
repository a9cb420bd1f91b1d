/* The configuration file: defaults, errors with file:line, the example. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static char *
write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/mp-conf-test.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_values)
{
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
		{ "state_dir = /tmp/x\n", 1 },
		{ "# comment\n\n  state_dir=/tmp/x  \n", 1 },
		{ "max_message_size = 10M\n", 1 },
		{ "max_message_size = 10\n", 0 },	/* below minimum */
		{ "max_message_size = ten\n", 0 },
		{ "identity_token_ttl = 3d\n", 1 },
		{ "identity_token_ttl = 3 weeks\n", 0 },
		{ "identity_token_ttl = 3 business days\n", 1 },
		{ "identity_token_ttl = 12 Business Hours\n", 1 },
		{ "identity_token_ttl = business days\n", 0 },
		{ "identity_token_ttl = 3 business weeks\n", 0 },
		{ "callback_escalate_after = 1 business day\n", 1 },
		{ "callback_escalate_after = 4h\n", 1 },
		{ "callback_escalate_after = soon\n", 0 },
		{ "outgoing_charset = iso-2022-jp\n", 1 },
		{ "outgoing_charset = iso\n", 0 },
		/* fuzz findings: an empty enum hung, a huge size overflowed */
		{ "outgoing_charset =\n", 0 },
		{ "max_message_size = 9000000000000M\n", 0 },
		{ "max_message_size = 9223372036854775807G\n", 0 },
		{ "support_address = not-an-address\n", 0 },
		{ "staff_addresses = a@x.jp, b@x.jp\n", 1 },
		{ "staff_addresses = a@x.jp, b\n", 0 },
		{ "nonsense = 1\n", 0 },
		{ "state_dir\n", 0 },
		{ "state_dir = /a\nstate_dir = /b\n", 0 },
		{ "smtp_url = smtp://127.0.0.1:2526\n", 1 },
		{ "smtp_url = smtps://mail.example.jp\n", 1 },
		{ "smtp_url = smtp://[::1]:25/\n", 1 },
		{ "smtp_url = htp://127.0.0.1:25\n", 0 },
		{ "smtp_url = smtp://\n", 0 },
		{ "smtp_url = smtp://host:99999\n", 0 },
		{ "smtp_url = smtp://host:25x\n", 0 },
		{ "smtp_url = 127.0.0.1\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf c;
		struct mp_err err = { 0 };
		char *path = write_tmp(cases[i].text);
		int got = conf_load(&c, "/top", path, &err) == 0;

		ck_assert_msg(got == cases[i].ok, "case %zu: got %d, want %d "
			      "(%s)", i, got, cases[i].ok, err.msg);
		conf_release(&c);
		unlink(path);
	}
}
END_TEST

START_TEST(test_defaults_and_lines)
{
	struct conf c;
	struct mp_err err = { 0 };
	char *path = write_tmp("# x\nsubject_tag = HELP\n");

	ck_assert_int_eq(conf_load(&c, "/top", path, &err), 0);
	ck_assert_str_eq(c.state_dir, "/top/spool");
	ck_assert_str_eq(c.rules_dir, "/top/rules");
	ck_assert_str_eq(c.subject_tag, "HELP");
	ck_assert_int_eq(conf_line(&c, "subject_tag"), 2);
	ck_assert_int_eq(conf_line(&c, "state_dir"), 0);
	ck_assert_str_eq(c.identity_token_ttl, "3 business days");
	ck_assert_str_eq(c.callback_escalate_after, "1 business day");
	ck_assert(conf_is_staff(&c, "STAFF@example.jp"));
	ck_assert(!conf_is_staff(&c, "staff+x@example.jp"));
	ck_assert(conf_is_ours(&c, "support+12@example.jp"));
	ck_assert(!conf_is_ours(&c, "customer@example.jp"));
	conf_release(&c);
	unlink(path);
}
END_TEST

/* etc/mailproc.conf.example documents every key of the table and loads
 * cleanly. */
START_TEST(test_example_matches_table)
{
	const char *top = getenv("MP_TOP");
	char path[4096], line[1024];
	struct conf c;
	struct mp_err err = { 0 };
	size_t i;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/etc/mailproc.conf.example",
		 top ? top : ".");
	ck_assert_int_eq(conf_load(&c, "/top", path, &err), 0);
	conf_release(&c);
	for (i = 0; conf_key_name(i) != NULL; i++) {
		const char *key = conf_key_name(i);
		int found = 0;

		fp = fopen(path, "r");
		ck_assert_ptr_nonnull(fp);
		while (!found && fgets(line, sizeof(line), fp) != NULL) {
			char *p = line + (line[0] == '#');
			size_t n = strlen(key);
			found = strncmp(p, key, n) == 0 &&
				(p[n] == ' ' || p[n] == '=');
		}
		fclose(fp);
		ck_assert_msg(found, "key %s is not in %s", key, path);
	}
}
END_TEST

START_TEST(test_duration)
{
	static const struct {
		const char *s;
		long want;	/* -1: rejected */
	} cases[] = {
		{ "90", 90 }, { "90s", 90 }, { "2m", 120 }, { "3h", 10800 },
		{ "1d", 86400 }, { "x", -1 }, { "-1", -1 }, { "5y", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long got = -1;
		if (conf_parse_duration(cases[i].s, &got) < 0)
			got = -1;
		ck_assert_msg(got == cases[i].want, "case %zu: got %ld, "
			      "want %ld", i, got, cases[i].want);
	}
}
END_TEST

Suite *
suite_conf(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_defaults_and_lines);
	tcase_add_test(tc, test_example_matches_table);
	tcase_add_test(tc, test_duration);
	suite_add_tcase(s, tc);
	return s;
}
