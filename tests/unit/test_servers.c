/* Finding registered servers in a request's text; the contract check. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "servers.h"

static const struct servers_host hosts[] = {
	{ "web1", "C-A" },
	{ "web10", "C-B" },
	{ "web-a01", "C-A" },
	{ "web-b01", "C-B" },
	{ "DB.Example.JP", "C-B" },
	{ "192.0.2.1", "C-A" },
	{ "192.0.2.10", "C-B" },
	{ "2001:db8::1", "C-B" },
	{ "mail_gw", "C-A" },
};
#define N_HOSTS (sizeof(hosts) / sizeof(hosts[0]))

/* The names found, space separated, in the order first named. */
static void
names_found(const char *text, char *buf, size_t size)
{
	size_t found[N_HOSTS], i, len = 0;
	int n = servers_find(text, hosts, N_HOSTS, found, N_HOSTS);

	buf[0] = '\0';
	if (n < 0) {
		snprintf(buf, size, "error");
		return;
	}
	for (i = 0; i < (size_t)n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? " " : "", hosts[found[i]].name);
}

START_TEST(test_find)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "please reboot web1", "web1" },
		{ "please reboot web10", "web10" },
		{ "web1 and web10", "web1 web10" },
		{ "WEB1 を再起動してください", "web1" },
		{ "web1を再起動してください。", "web1" },
		{ "「web-a01」の再起動", "web-a01" },
		{ "reboot web1.", "web1" },
		{ "reboot web1, then web1 again", "web1" },
		{ "web1.example.jp is down", "web1" },
		{ "old.web1 is down", "" },
		{ "web1-b is down", "" },
		{ "web1_test", "" },
		{ "2web1", "" },
		{ "web", "" },
		{ "Host:web-b01", "web-b01" },
		{ "web-b01:22 refuses ssh", "web-b01" },
		{ "db.example.jp", "DB.Example.JP" },
		{ "db.example.jp.", "DB.Example.JP" },
		{ "db.example", "" },
		{ "example.jp", "" },
		{ "server 192.0.2.1 is down", "192.0.2.1" },
		{ "server 192.0.2.10 is down", "192.0.2.10" },
		{ "server 192.0.2.100 is down", "" },
		{ "server 10.192.0.2.1 is down", "" },
		{ "[2001:db8::1]:443", "2001:db8::1" },
		{ "2001:DB8::1", "2001:db8::1" },
		{ "2001:db8::10", "" },
		{ "mail_gw", "mail_gw" },
		{ "(web-a01)/(web-b01)", "web-a01 web-b01" },
		{ "-web1-", "web1" },
		{ "", "" },
	};
	char got[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		names_found(cases[i].text, got, sizeof(got));
		ck_assert_msg(strcmp(got, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, got,
			      cases[i].want);
	}
	ck_assert_int_eq(servers_find(NULL, hosts, N_HOSTS, NULL, 0), 0);
	ck_assert_int_eq(servers_find("web1", hosts, 0, NULL, 4), 0);
}
END_TEST

START_TEST(test_find_max)
{
	size_t found[1];

	ck_assert_int_eq(servers_find("web1 web10 web-a01", hosts, N_HOSTS,
				      found, 1), 1);
	ck_assert_str_eq(hosts[found[0]].name, "web1");
}
END_TEST

START_TEST(test_check)
{
	static const struct {
		const char *text, *requester, *form, *want;
	} cases[] = {
		/* The requester's own server, and no server at all. */
		{ "reboot web-b01", "C-B", NULL, "" },
		{ "reboot my server", "C-B", NULL, "" },
		{ "reboot web-a01", "C-B", NULL,
		  "server web-a01 belongs to contract C-A, not the "
		  "requester's C-B" },
		{ "reboot web-b01 and web-a01", "C-B", NULL,
		  "server web-a01 belongs to contract C-A, not the "
		  "requester's C-B" },
		{ "web1, web10 and 192.0.2.1", "C-B", NULL,
		  "server web1 belongs to contract C-A, not the requester's "
		  "C-B; server 192.0.2.1 belongs to contract C-A, not the "
		  "requester's C-B" },
		{ "reboot web-a01", "c-a", NULL, "" },
		/* Form mail: the typed 契約ID counts too. */
		{ "reboot web-b01", "C-B", "C-A",
		  "server web-b01 belongs to contract C-B, not the form's "
		  "契約ID C-A" },
		{ "reboot web-b01", NULL, "C-B", "" },
		{ "reboot web-a01", NULL, "C-B",
		  "server web-a01 belongs to contract C-A, not the form's "
		  "契約ID C-B" },
		/* No contract asked for: nothing to mismatch. */
		{ "reboot web-a01", NULL, NULL, "" },
	};
	struct servers_mismatch mm[N_HOSTS];
	char got[512], one[200];
	size_t i, len;
	int n, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = servers_check(cases[i].text, hosts, N_HOSTS,
				  cases[i].requester, cases[i].form, mm,
				  N_HOSTS);
		got[0] = '\0';
		for (k = 0, len = 0; k < n; k++) {
			servers_mismatch_format(&mm[k], one, sizeof(one));
			len += (size_t)snprintf(got + len, sizeof(got) - len,
						"%s%s", k ? "; " : "", one);
		}
		ck_assert_msg(n >= 0 && strcmp(got, cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, got,
			      cases[i].want);
	}
}
END_TEST

START_TEST(test_name_ok)
{
	static const struct {
		const char *name;
		int want;
	} cases[] = {
		{ "web1", 1 },
		{ "web-a01.example.jp", 1 },
		{ "192.0.2.1", 1 },
		{ "2001:db8::1", 1 },
		{ "mail_gw", 1 },
		{ "", 0 },
		{ "-web1", 0 },
		{ "web1.", 0 },
		{ "web..1", 0 },
		{ "web 1", 0 },
		{ "web/1", 0 },
		{ "サーバー1", 0 },
		{ "2001:db8:::1:x", 0 },
		{ "web1:22", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(servers_name_ok(cases[i].name) == cases[i].want,
			      "case %zu (%s): got %d, want %d", i,
			      cases[i].name, !cases[i].want, cases[i].want);
}
END_TEST

Suite *
suite_servers(void)
{
	Suite *s = suite_create("servers");
	TCase *tc = tcase_create("servers");

	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_find_max);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_name_ok);
	suite_add_tcase(s, tc);
	return s;
}
