/* Monitoring alerts: the format file, reading alerts, the policy's
 * routing table, fold keys. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "scratch.h"

static char dir[64];

static void
setup(void)
{
	scratch_make(dir, sizeof(dir), "alert");
}

static void
teardown(void)
{
	scratch_remove(dir);
}

static void
write_format(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, ALERT_FILE);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int lines_reported;

static void
count_report(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	(void)file;
	(void)msg;
	lines_reported += line > 0;
}

START_TEST(test_default_format)
{
	struct alert_format *f = NULL;
	struct mp_err err = { 0 };
	struct alert a;
	char why[200], key[200];

	/* No file: the default Key: value lines. */
	ck_assert_int_eq(alert_format_load(&f, NULL, dir, NULL, NULL, &err), 0);
	ck_assert_int_eq(alert_parse(f, "whatever", "Host: WEB01.example.jp\n"
		"Kind: Service\nService: HTTP \nState: PROBLEM\nTime: 03:12\n",
		&a, why, sizeof(why)), 0);
	ck_assert_str_eq(a.host, "WEB01.example.jp");
	ck_assert_int_eq(a.kind, ALERT_SERVICE);
	ck_assert_str_eq(a.service, "HTTP");
	ck_assert_int_eq(a.recovery, 0);
	ck_assert(alert_wants_phone(&a));
	ck_assert_str_eq(alert_key(&a, key, sizeof(key)),
			 "alert:web01.example.jp|service|http");
	alert_release(&a);
	/* An alias, and a recovery word in any case. */
	ck_assert_int_eq(alert_parse(f, "", "host: db1\nkind: process\n"
		"state: Ok\n", &a, why, sizeof(why)), 0);
	ck_assert_int_eq(a.kind, ALERT_RESOURCE);
	ck_assert_int_eq(a.recovery, 1);
	ck_assert_ptr_null(a.service);
	alert_release(&a);
	/* Not an alert: said why. */
	ck_assert_int_eq(alert_parse(f, "", "hello\n", &a, why, sizeof(why)),
			 -1);
	ck_assert_str_eq(why, "no host in the alert");
	ck_assert_int_eq(alert_parse(f, "", "Host: x\nKind: teapot\n"
		"State: PROBLEM\n", &a, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "unknown alert kind 'teapot'");
	alert_format_free(&f);
}
END_TEST

START_TEST(test_policy_table)
{
	struct alert a = { 0 };

	a.kind = ALERT_PING;
	ck_assert(alert_wants_phone(&a));
	a.kind = ALERT_RESOURCE;
	ck_assert(alert_wants_phone(&a));
	a.kind = ALERT_HARDWARE;
	ck_assert(!alert_wants_phone(&a));
	a.kind = ALERT_NETWORK;
	ck_assert(!alert_wants_phone(&a));
	a.kind = ALERT_SERVICE;
	a.service = (char *)"SSH";
	ck_assert(!alert_wants_phone(&a));
	a.service = (char *)"telnet";
	ck_assert(!alert_wants_phone(&a));
	a.service = (char *)"SMTP";
	ck_assert(alert_wants_phone(&a));
}
END_TEST

START_TEST(test_custom_format)
{
	struct alert_format *f = NULL;
	struct mp_err err = { 0 };
	struct alert a;
	char why[200];

	/* A Nagios-like subject. */
	write_format("host subject ^\\*\\* \\S+ Host Alert: (\\S+)\n"
		     "state subject is (\\S+) \\*\\*$\n"
		     "kind subject (Host) Alert\n"
		     "alias host ping\n"
		     "recovery UP\n");
	ck_assert_int_eq(alert_format_load(&f, NULL, dir, NULL, NULL, &err), 0);
	ck_assert_int_eq(alert_parse(f, "** PROBLEM Host Alert: web02 is DOWN **",
				     "body", &a, why, sizeof(why)), 0);
	ck_assert_str_eq(a.host, "web02");
	ck_assert_int_eq(a.kind, ALERT_PING);
	ck_assert_int_eq(a.recovery, 0);
	alert_release(&a);
	ck_assert_int_eq(alert_parse(f, "** RECOVERY Host Alert: web02 is UP **",
				     "", &a, why, sizeof(why)), 0);
	ck_assert_int_eq(a.recovery, 1);
	alert_release(&a);
	alert_format_free(&f);
}
END_TEST

START_TEST(test_bad_format)
{
	struct alert_format *f = NULL;
	struct mp_err err = { 0 };

	write_format("host body ^host:(\nkind body no-group\nfrobnicate\n"
		     "alias x teapot\n");
	lines_reported = 0;
	ck_assert_int_eq(alert_format_load(&f, NULL, dir, count_report, NULL, &err),
			 -1);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(err.kind, MP_PERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "alerts.conf:1:"));
	/* Every bad line in one pass, and the missing state. */
	ck_assert_int_ge(lines_reported, 5);
}
END_TEST

/* alerts.conf of dir alone (no site directory). */
static int
load_dir(struct alert_format **f, const char *dir, struct mp_err *err)
{
	return alert_format_load(f, NULL, dir, NULL, NULL, err);
}

/* The shipped rules/alerts.conf ($MP_TOP/rules, else ./rules) reads each
 * shipped example in rules/alert-examples/ as its README says. */
START_TEST(test_shipped_examples)
{
	static const struct {
		const char *file, *host, *service;
		enum alert_kind kind;
		int phone, recovery;
	} ex[] = {
		{ "ping", "web01.example.jp", "PING", ALERT_PING, 1, 0 },
		{ "service-http", "web01.example.jp", "HTTP", ALERT_SERVICE, 1, 0 },
		{ "service-smtp", "mail01.example.jp", "SMTP", ALERT_SERVICE, 1, 0 },
		{ "service-ssh", "web01.example.jp", "SSH", ALERT_SERVICE, 0, 0 },
		{ "resource", "db01.example.jp", "disk /var", ALERT_RESOURCE, 1, 0 },
		{ "process", "web01.example.jp", "httpd", ALERT_RESOURCE, 1, 0 },
		{ "hardware", "db01.example.jp", "front panel", ALERT_HARDWARE, 0, 0 },
		{ "network", "192.0.2.10", "uplink", ALERT_NETWORK, 0, 0 },
		{ "ping-recovery", "web01.example.jp", "PING", ALERT_PING, 1, 1 },
	};
	const char *top = getenv("MP_TOP");
	struct alert_format *f = NULL;
	struct mp_err err = { 0 };
	char rules[512], path[600], text[4096], subject[300], why[200];
	size_t i, n;

	snprintf(rules, sizeof(rules), "%s/rules", top ? top : ".");
	ck_assert_msg(load_dir(&f, rules, &err) == 0, "%s", err.msg);
	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct alert a;
		FILE *fp;
		char *body, *subj;

		snprintf(path, sizeof(path), "%s/alert-examples/%s.eml", rules,
			 ex[i].file);
		fp = fopen(path, "r");
		ck_assert_msg(fp != NULL, "%s: missing", path);
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
		text[n] = '\0';
		body = strstr(text, "\n\n");
		ck_assert_msg(body != NULL, "%s: no body", path);
		*body = '\0';
		body += 2;
		subj = strstr(text, "\nSubject: ");
		ck_assert_msg(subj != NULL, "%s: no Subject", path);
		snprintf(subject, sizeof(subject), "%.*s",
			 (int)strcspn(subj + 10, "\n"), subj + 10);
		ck_assert_msg(alert_parse(f, subject, body, &a, why,
					  sizeof(why)) == 0, "%s: %s", path, why);
		ck_assert_str_eq(a.host, ex[i].host);
		ck_assert_str_eq(a.service, ex[i].service);
		ck_assert_msg(a.kind == ex[i].kind, "%s: kind %s", path,
			      alert_kind_name(a.kind));
		ck_assert_int_eq(alert_wants_phone(&a), ex[i].phone);
		ck_assert_int_eq(a.recovery, ex[i].recovery);
		alert_release(&a);
	}
	alert_format_free(&f);
}
END_TEST

Suite *
suite_alert(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("alert");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_default_format);
	tcase_add_test(tc, test_policy_table);
	tcase_add_test(tc, test_custom_format);
	tcase_add_test(tc, test_bad_format);
	tcase_add_test(tc, test_shipped_examples);
	suite_add_tcase(s, tc);
	return s;
}
