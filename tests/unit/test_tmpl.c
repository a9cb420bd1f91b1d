/*
 * Templates: every shipped template rendered against its golden file,
 * header injection through placeholders, and the checker's file:line
 * reports on broken templates in a scratch directory.
 *
 * The goldens are tests/unit/tmpl/<lang>-<name>.ref: the subject, a blank
 * line, the body.  MP_UPDATE_GOLDEN=1 rewrites them instead of comparing;
 * read the diff before committing.
 */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpl.h"

#define N_LANGS 2
static const char *const langs[N_LANGS] = { "ja", "en" };

/* Sample values: name, Japanese value, English value (NULL = same). */
static const struct {
	const char *name, *ja, *en;
} sample[] = {
	{ "ticket_id", "12", NULL },
	{ "ticket_tag", "[SUPPORT#12]", NULL },
	{ "customer_subject", "サーバーの再起動のお願い",
	  "Please reboot my server" },
	{ "requester", "yamada@example.co.jp", NULL },
	{ "requester_name", "山田 太郎", "Taro Yamada" },
	{ "salutation", "山田 太郎 様", "Dear Taro Yamada," },
	{ "order_page", "オーダーページ（https://order.example.jp/）",
	  "the order page (https://order.example.jp/)" },
	{ "company_name", "サンプルホスティング株式会社",
	  "Sample Hosting K.K." },
	{ "support_address", "support@example.jp", NULL },
	{ "support_phone", "03-0000-0000", NULL },
	{ "monitoring_centre_address", "noc@example.jp", NULL },
	{ "monitoring_centre_phone", "0120-000-000", NULL },
	{ "business_hours_text",
	  "平日9:30〜18:00（土曜・祝日・年末年始を除く）",
	  "weekdays 9:30-18:00 (JST), except Saturdays, national holidays "
	  "and the New Year holidays" },
	{ "next_open", "2025年1月6日（月）9:30",
	  "Monday 6 January 2025, 9:30 Japan time" },
	{ "first_response_due", "2025年1月7日（火）18:00",
	  "Tuesday 7 January 2025, 18:00 Japan time" },
	{ "task_name", "サービス監視 設定項目変更",
	  "Service monitoring: change of settings" },
	{ "class_name", "サービス監視 設定項目変更",
	  "service-monitoring-change" },
	{ "option_name", "サービス監視、監視・作業代行パッケージ、"
	  "VM監視パッケージ<仮想マシン>",
	  "Service monitoring, Monitoring and work package, "
	  "VM monitoring package" },
	{ "contract_id", "C-0001", NULL },
	{ "holder_name", "株式会社サンプル商事", "Sample Trading Co., Ltd." },
	{ "emergency_phone", "090-0000-0000", NULL },
	{ "confirm_address", "support+confirm-Q2FtZWxvdA@example.jp", NULL },
	{ "deny_address", "support+deny-Q2FtZWxvdA@example.jp", NULL },
	{ "token_expires", "2025年1月9日（木）9:00",
	  "Thursday 9 January 2025, 9:00 Japan time" },
	{ "channel_text",
	  "ご登録の監視通知連絡先メールアドレスへ、確認のメールを"
	  "お送りしました。",
	  "We have sent a confirmation email to the monitoring-notification "
	  "address registered for your contract." },
	/* CR LF on purpose: the body must come out with LF only. */
	{ "customer_text",
	  "お世話になっております。\r\nweb01 の再起動をお願いいたします。"
	  "\r\n\r\n山田",
	  "Hello,\r\nPlease reboot web01.\r\n\r\nTaro" },
	{ "state", "new", NULL },
	{ "command", "#category nosuch", NULL },
	{ "error", "unknown category \"nosuch\"", NULL },
	{ "to", "yamada@example.co.jp", NULL },
	{ "from", "staff@example.jp", NULL },
	{ "staff_name", "佐藤", "Sato" },
	{ "candidates", "  reboot                         リブート代行             0.41\n"
	  "  general                        一般                     0.33\n",
	  "  reboot                         Reboot on behalf         0.41\n"
	  "  general                        General                  0.33\n" },
	{ "reason", "SASL login hanako is not a login of staff@example.jp",
	  NULL },
	{ "staff_note", "", NULL },
	{ "received_at", "2025年1月6日（月）10:15",
	  "Monday 6 January 2025, 10:15 Japan time" },
	{ "server_mismatch",
	  "\n【他の契約のサーバー】分類にかかわらず、このお問い合わせは"
	  "スタッフの判断を\n待ちます。依頼元のご契約の依頼として保留・"
	  "本人性確認・作業しないでください。\nどのサーバーのことか、"
	  "依頼者に確認してください：\n"
	  "　web-a01 はご契約 C-0002 のサーバーです（依頼者のご契約は "
	  "C-0001）\n",
	  "\nSERVER OF ANOTHER CONTRACT: this request waits for you "
	  "whatever its\nclass. Do not hold, confirm or work it for the "
	  "contract it came from;\nask the requester which server is "
	  "meant:\n"
	  "  server web-a01 belongs to contract C-0002, not the requester's "
	  "C-0001\n" },
	{ "notice_window", "2025年7月1日（火）1:00 〜 2025年7月1日（火）5:00",
	  "Tuesday 1 July 2025, 1:00 Japan time to Tuesday 1 July 2025, "
	  "5:00 Japan time" },
	{ "services", "ネットワーク接続（最大10分間の断続的な切断）",
	  "network access (interruptions of up to 10 minutes)" },
	{ "servers", "web01 web01.example.jp", NULL },
	{ "notice_details", "　備考　　　　　　：コアスイッチの交換\n",
	  "  Details:                    replacing a core switch\n" },
	{ "alert_host", "web01", NULL },
	{ "alert_kind", "ping監視アラート", "ping monitoring alert" },
	{ "alert_service", "PING", NULL },
	{ "alert_state", "PROBLEM", NULL },
	{ "alert_time", "2025年1月6日（月）3:12",
	  "Monday 6 January 2025, 3:12 Japan time" },
	{ "alert_text", "PING CRITICAL - Packet loss = 100%", NULL },
	{ "digest_triage",
	  "  [SUPPORT#12]   2d 3h    general              "
	  "yamada@example.co.jp  ご相談", NULL },
	{ "digest_held",
	  "  [SUPPORT#14]   5h 20m   reboot               "
	  "yamada@example.co.jp  再起動のお願い", NULL },
	{ "digest_callbacks", "  -", NULL },
	{ "digest_overdue",
	  "  [SUPPORT#12]   2d 3h    general              "
	  "yamada@example.co.jp  ご相談", NULL },
	{ "digest_mail",
	  "  [SUPPORT#9]    failed     ack                    "
	  "yamada@example.co.jp  550 5.1.1 unknown user", NULL },
	{ "digest_new",
	  "  [SUPPORT#15]   40m      fault-report         "
	  "sato@example.com  Webサイトが表示されない", NULL },
	{ "digest_since", "2025年1月6日(月) 9:30",
	  "Mon 6 Jan 2025 09:30 (+09:00)" },
	{ "attachments_note",
	  "\n\n　添付ファイル（1件、12 KB）：この通知に添付しています。",
	  "\n\n  Attachments (1, 12 KB): attached to this notice." },
};
#define N_SAMPLE (sizeof(sample) / sizeof(sample[0]))

/* Per-template values, so that each golden reads like a real mail. */
static const struct {
	const char *template, *name, *ja, *en;
} override[] = {
	{ "identity-callback", "task_name", "リブート代行 作業実施",
	  "Reboot" },
	{ "staff-work", "task_name", "リブート代行 作業実施", "Reboot" },
	{ "staff-work", "staff_note",
	  "　※注意：確認メールは登録外のアドレス other@example.net から"
	  "届きました。",
	  "  NOTE: the confirmation came from other@example.net, not the "
	  "registered address." },
	{ "staff-suppressed", "error", "rate-limit", NULL },
	{ "staff-suppressed", "command", "identity-confirm", NULL },
	{ "staff-identity-reply", "error",
	  "自動応答（auto-submitted）：承認・取り消しのどちらにもしていません",
	  "an automatic reply (auto-submitted): neither confirmed nor "
	  "declined" },
	{ "staff-callback-reminder", "task_name", "リブート代行 作業実施",
	  "Reboot" },
	{ "staff-callback-escalation", "task_name", "リブート代行 作業実施",
	  "Reboot" },
	{ "staff-callback-escalation", "error", "1 business day", NULL },
	{ "staff-delivery-failure", "error",
	  "550 5.1.1 <yamada@example.co.jp>: Recipient address rejected",
	  NULL },
};

static const char *
top(void)
{
	const char *t = getenv("MP_TOP");

	return t != NULL && *t != '\0' ? t : ".";
}

static size_t
n_templates(void)
{
	size_t n = 0;

	while (tmpl_template_name(n) != NULL)
		n++;
	return n;
}

static void
sample_vars(const char *lang, const char *template, struct tmpl_var *vars)
{
	int en = strcmp(lang, "en") == 0;
	size_t i, k;

	for (i = 0; i < N_SAMPLE; i++) {
		vars[i].name = sample[i].name;
		vars[i].value = en && sample[i].en ? sample[i].en :
			sample[i].ja;
		for (k = 0; k < sizeof(override) / sizeof(override[0]); k++)
			if (strcmp(override[k].template, template) == 0 &&
			    strcmp(override[k].name, sample[i].name) == 0)
				vars[i].value = en && override[k].en ?
					override[k].en : override[k].ja;
	}
}

static char *
slurp(const char *path)
{
	gchar *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

/* The 1-based number of the first line where a and b differ. */
static int
first_diff_line(const char *a, const char *b)
{
	int line = 1;

	for (; *a && *a == *b; a++, b++)
		line += *a == '\n';
	return line;
}

START_TEST(test_golden)
{
	size_t nt = n_templates();
	const char *lang = langs[_i / (int)nt];
	const char *name = tmpl_template_name((size_t)_i % nt);
	struct tmpl_var vars[N_SAMPLE];
	struct tmpl_out out = { 0 };
	struct mp_err err;
	char dir[4096], ref[4096];
	char *got, *want;
	const char *update = getenv("MP_UPDATE_GOLDEN");

	snprintf(dir, sizeof(dir), "%s/templates", top());
	snprintf(ref, sizeof(ref), "%s/tests/unit/tmpl/%s-%s.ref", top(),
		 lang, name);
	sample_vars(lang, name, vars);
	mp_err_clear(&err);
	ck_assert_msg(tmpl_render(dir, lang, name, vars, N_SAMPLE, &out,
				  &err) == 0,
		      "case %d (%s/%s): render failed: %s", _i, lang, name,
		      err.msg);
	ck_assert_msg(strcmp(out.lang, lang) == 0,
		      "case %d (%s/%s): got lang %s, want %s", _i, lang, name,
		      out.lang, lang);
	got = g_strdup_printf("%s\n\n%s", out.subject, out.body);
	if (update != NULL && strcmp(update, "1") == 0) {
		GError *gerr = NULL;

		ck_assert_msg(g_file_set_contents(ref, got, -1, &gerr),
			      "case %d: writing %s: %s", _i, ref,
			      gerr ? gerr->message : "?");
	} else {
		want = slurp(ref);
		ck_assert_msg(want != NULL, "case %d: no golden %s (run with "
			      "MP_UPDATE_GOLDEN=1 to create it)", _i, ref);
		ck_assert_msg(strcmp(got, want) == 0,
			      "case %d (%s/%s): rendered text differs from %s "
			      "at line %d", _i, lang, name, ref,
			      first_diff_line(got, want));
		g_free(want);
	}
	g_free(got);
	tmpl_out_release(&out);
	tmpl_out_release(&out);		/* twice is harmless */
	ck_assert_ptr_null(out.subject);
}
END_TEST

static void
print_report(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

START_TEST(test_shipped_check)
{
	char dir[4096];
	int problems;

	snprintf(dir, sizeof(dir), "%s/templates", top());
	problems = tmpl_check_dir(dir, print_report, NULL);
	ck_assert_msg(problems == 0, "got %d problems in %s, want 0",
		      problems, dir);
}
END_TEST

/* Shipped templates: present in both languages, Japanese ones encodable
 * as ISO-2022-JP by glibc (outgoing_charset may ask for it), English ones
 * plain ASCII. */
START_TEST(test_shipped_charsets)
{
	size_t i, nt = n_templates();
	int l;

	for (l = 0; l < N_LANGS; l++) {
		for (i = 0; i < nt; i++) {
			char path[4096];
			char *text, *conv;
			GError *gerr = NULL;
			const char *p;

			snprintf(path, sizeof(path), "%s/templates/%s/%s.txt",
				 top(), langs[l], tmpl_template_name(i));
			text = slurp(path);
			ck_assert_msg(text != NULL, "case %s: missing", path);
			if (l == 0) {
				conv = g_convert(text, -1, "ISO-2022-JP",
						 "UTF-8", NULL, NULL, &gerr);
				ck_assert_msg(conv != NULL, "case %s: not "
					      "encodable as ISO-2022-JP: %s",
					      path, gerr ? gerr->message : "");
				g_free(conv);
			} else {
				for (p = text; *p; p++)
					ck_assert_msg((unsigned char)*p < 0x80,
						      "case %s: non-ASCII byte "
						      "at offset %td", path,
						      p - text);
			}
			g_free(text);
		}
	}
}
END_TEST

/* Every placeholder in the table is documented in templates/README.md. */
START_TEST(test_readme_lists_placeholders)
{
	char path[4096], want[128];
	char *text;
	const char *name;
	size_t i;

	snprintf(path, sizeof(path), "%s/templates/README.md", top());
	text = slurp(path);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (i = 0; (name = tmpl_placeholder_name(i)) != NULL; i++) {
		snprintf(want, sizeof(want), "| `%s` |", name);
		ck_assert_msg(strstr(text, want) != NULL,
			      "case %zu: %s not in %s", i, name, path);
	}
	for (i = 0; (name = tmpl_template_name(i)) != NULL; i++) {
		snprintf(want, sizeof(want), "| `%s` |", name);
		ck_assert_msg(strstr(text, want) != NULL,
			      "case %zu: template %s not in %s", i, name,
			      path);
	}
	g_free(text);
}
END_TEST

START_TEST(test_known_placeholder)
{
	static const struct {
		const char *name;
		int want;
	} cases[] = {
		{ "ticket_tag", 1 },
		{ "customer_text", 1 },
		{ "staff_name", 1 },
		{ "to", 1 },
		{ "", 0 },
		{ "Ticket_tag", 0 },
		{ "ticket_tag ", 0 },
		{ "signature", 0 },
		{ "ticket", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = tmpl_known_placeholder(cases[i].name);

		ck_assert_msg(got == cases[i].want,
			      "case %zu (%s): got %d, want %d", i,
			      cases[i].name, got, cases[i].want);
	}
	ck_assert_int_eq(tmpl_known_placeholder(NULL), 0);
	for (i = 0; tmpl_placeholder_name(i) != NULL; i++)
		ck_assert_msg(tmpl_known_placeholder(tmpl_placeholder_name(i)),
			      "case %zu: table name not known", i);
	ck_assert_uint_eq(i, N_SAMPLE);
}
END_TEST

/* --- scratch template directories ------------------------------------ */

static char scratch[64];

static void
put(const char *rel, const char *text)
{
	char path[4096];
	GError *gerr = NULL;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	ck_assert_msg(g_file_set_contents(path, text, -1, &gerr),
		      "writing %s: %s", path, gerr ? gerr->message : "");
}

static void
drop(const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	ck_assert_msg(unlink(path) == 0 || errno == ENOENT, "unlink %s",
		      path);
}

/* A scratch tree with every required template, valid and minimal, in
 * ja/ and an empty en/. */
static void
scratch_setup(void)
{
	char path[4096];
	const char *name;
	size_t i;

	snprintf(scratch, sizeof(scratch), "/tmp/mp-tmpl-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
	snprintf(path, sizeof(path), "%s/ja", scratch);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/en", scratch);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	for (i = 0; (name = tmpl_template_name(i)) != NULL; i++) {
		snprintf(path, sizeof(path), "ja/%s.txt", name);
		put(path, "## minimal\nSubject: s {{ticket_tag}}\n\nbody\n");
	}
}

static void
scratch_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	ck_assert_int_eq(system(cmd), 0);
}

#define MAX_REPORTS 8

struct report {
	char file[256];
	int line;
	char msg[256];
};

struct reports {
	struct report r[MAX_REPORTS];
	int n;
};

static void
collect(void *ctx, const char *file, int line, const char *msg)
{
	struct reports *rs = ctx;
	const char *base = strrchr(file, '/');

	if (rs->n >= MAX_REPORTS)
		return;
	/* Keep "<lang>/<file>" so cases can tell ja/ from en/. */
	if (base != NULL && base > file) {
		const char *p = base - 1;

		while (p > file && p[-1] != '/')
			p--;
		base = p;
	} else {
		base = file;
	}
	snprintf(rs->r[rs->n].file, sizeof(rs->r[rs->n].file), "%s", base);
	rs->r[rs->n].line = line;
	snprintf(rs->r[rs->n].msg, sizeof(rs->r[rs->n].msg), "%s", msg);
	rs->n++;
}

struct want_report {
	const char *file;	/* "ja/ack.txt"; NULL ends the list */
	int line;
	const char *msg_part;
};

START_TEST(test_check_cases)
{
	static const struct {
		const char *rel;	/* file to write, or to delete */
		const char *text;	/* NULL: delete rel */
		struct want_report want[4];
	} cases[] = {
		/* 0: fine, including CRLF line ends */
		{ "ja/ack.txt",
		  "Subject: x\r\n\r\nbody {{ticket_id}}\r\n", { { NULL } } },
		/* 1: unknown placeholders, line numbers after comments */
		{ "ja/ack.txt",
		  "## comment\n## two\nSubject: hi {{ticket_tag}}\n\nline5\n"
		  "line6 {{nope}} and {{ticket_id}}\nline7 {{also_bad}}\n",
		  { { "ja/ack.txt", 6, "unknown placeholder \"{{nope}}\"" },
		    { "ja/ack.txt", 7,
		      "unknown placeholder \"{{also_bad}}\"" } } },
		/* 2: unknown placeholder in the subject */
		{ "ja/denied.txt", "Subject: {{nope}}\n\nbody\n",
		  { { "ja/denied.txt", 1, "unknown placeholder" } } },
		/* 3: unterminated braces (a placeholder is one line) */
		{ "ja/ack.txt", "Subject: x\n\nhello {{ticket_id\nnext }}\n",
		  { { "ja/ack.txt", 3, "unterminated" } } },
		/* 4: bad names */
		{ "ja/ack.txt", "Subject: x\n\n{{Ticket-ID}} {{}}\n",
		  { { "ja/ack.txt", 3, "bad placeholder \"{{Ticket-ID}}\"" },
		    { "ja/ack.txt", 3, "bad placeholder \"{{}}\"" } } },
		/* 5: forbidden headers */
		{ "ja/ack.txt",
		  "Subject: x\nTo: a@example.jp\nAuto-Submitted: no\n\nbody\n",
		  { { "ja/ack.txt", 2, "header \"To\" not allowed" },
		    { "ja/ack.txt", 3,
		      "header \"Auto-Submitted\" not allowed" } } },
		/* 6: no blank line */
		{ "ja/ack.txt", "Subject: x\n",
		  { { "ja/ack.txt", 1, "missing blank line" } } },
		/* 7: no Subject */
		{ "ja/ack.txt", "## c\n\nbody\n",
		  { { "ja/ack.txt", 2, "missing Subject" } } },
		/* 8: a forbidden header instead of Subject */
		{ "ja/ack.txt", "From: x@example.jp\n\nbody\n",
		  { { "ja/ack.txt", 1, "header \"From\" not allowed" },
		    { "ja/ack.txt", 2, "missing Subject" } } },
		/* 9: duplicate Subject */
		{ "ja/ack.txt", "Subject: a\nsubject: b\n\nbody\n",
		  { { "ja/ack.txt", 2, "duplicate Subject" } } },
		/* 10: empty body, empty subject */
		{ "ja/ack.txt", "Subject:\n\n\n\n",
		  { { "ja/ack.txt", 1, "empty Subject" },
		    { "ja/ack.txt", 2, "empty body" } } },
		/* 11: invalid UTF-8 */
		{ "ja/ack.txt", "Subject: x\n\nbad \xff\n",
		  { { "ja/ack.txt", 3, "not valid UTF-8" } } },
		/* 12: folded header */
		{ "ja/ack.txt", "Subject: x\n  more\n\nbody\n",
		  { { "ja/ack.txt", 2, "folded header" } } },
		/* 13: text where headers belong */
		{ "ja/ack.txt", "Hello there\n\nbody\n",
		  { { "ja/ack.txt", 1, "not a header line" },
		    { "ja/ack.txt", 2, "missing Subject" } } },
		/* 14: control character */
		{ "ja/ack.txt", "Subject: x\n\nbell\a\n",
		  { { "ja/ack.txt", 3, "control character 0x07" } } },
		/* 15: empty file */
		{ "ja/ack.txt", "", { { "ja/ack.txt", 0, "empty file" } } },
		/* 16: required template missing in ja */
		{ "ja/denied.txt", NULL,
		  { { "ja/denied.txt", 0, "required template missing" } } },
		/* 17: en may lack templates, but what it has is checked */
		{ "en/ack.txt", "Subject: x\nBcc: evil@example.jp\n\nbody\n",
		  { { "en/ack.txt", 2, "header \"Bcc\" not allowed" } } },
		/* 18: a file no code uses (misspelt name) */
		{ "en/acknowledge.txt", "Subject: x\n\nbody\n",
		  { { "en/acknowledge.txt", 0, "not a template" } } },
		/* 19: other files are ignored */
		{ "ja/notes.md", "anything {{", { { NULL } } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reports rs = { .n = 0 };
		int problems, nwant = 0, k;

		scratch_setup();
		if (cases[i].text != NULL)
			put(cases[i].rel, cases[i].text);
		else
			drop(cases[i].rel);
		problems = tmpl_check_dir(scratch, collect, &rs);
		while (nwant < 4 && cases[i].want[nwant].file != NULL)
			nwant++;
		ck_assert_msg(problems == rs.n, "case %zu: returned %d, "
			      "reported %d", i, problems, rs.n);
		ck_assert_msg(rs.n == nwant, "case %zu: got %d problems "
			      "(first: %s:%d: %s), want %d", i, rs.n,
			      rs.n ? rs.r[0].file : "-",
			      rs.n ? rs.r[0].line : 0,
			      rs.n ? rs.r[0].msg : "-", nwant);
		for (k = 0; k < nwant; k++) {
			const struct want_report *w = &cases[i].want[k];

			ck_assert_msg(strcmp(rs.r[k].file, w->file) == 0 &&
				      rs.r[k].line == w->line &&
				      strstr(rs.r[k].msg, w->msg_part),
				      "case %zu report %d: got %s:%d: %s, "
				      "want %s:%d: ...%s...", i, k,
				      rs.r[k].file, rs.r[k].line,
				      rs.r[k].msg, w->file, w->line,
				      w->msg_part);
		}
		scratch_teardown();
	}
}
END_TEST

START_TEST(test_check_no_ja_dir)
{
	struct reports rs = { .n = 0 };
	char cmd[256];

	scratch_setup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/ja' '%s/en'", scratch,
		 scratch);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(tmpl_check_dir(scratch, collect, &rs), 1);
	ck_assert_msg(strstr(rs.r[0].msg, "cannot open directory") != NULL,
		      "got %s", rs.r[0].msg);
	scratch_teardown();
}
END_TEST

/* Values that try to add or split a header, through every placeholder,
 * into a subject and a body. */
START_TEST(test_injection)
{
	static const struct {
		const char *value, *subject, *body;
	} cases[] = {
		{ "x\r\nBcc: evil@x", "x  Bcc: evil@x", "x\nBcc: evil@x" },
		{ "x\nX: y", "x X: y", "x\nX: y" },
		{ "\r", " ", "\n" },
		{ "\n\n", "  ", "\n\n" },
		{ "x\r\n\r\nbody", "x    body", "x\n\nbody" },
		{ "a\tb", "a b", "a\tb" },
		{ "\x1b[31mred", " [31mred", " [31mred" },
		{ "x\x7fy", "x y", "x y" },
		{ "x\xc2\x85y", "x y", "x y" },			/* NEL */
		{ "x\xe2\x80\xa8y", "x y", "x\xe2\x80\xa8y" },	/* U+2028 */
		{ "bad\xff\xfe", "bad\xef\xbf\xbd\xef\xbf\xbd",
		  "bad\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe3\x81", "\xef\xbf\xbd\xef\xbf\xbd",
		  "\xef\xbf\xbd\xef\xbf\xbd" },	/* cut multi-byte char */
		{ "{{ticket_id}}", "{{ticket_id}}", "{{ticket_id}}" },
		{ "=?UTF-8?B?QmNjOiBldmls?=", "=?UTF-8?B?QmNjOiBldmls?=",
		  "=?UTF-8?B?QmNjOiBldmls?=" },
		{ "", "", "" },
	};
	const char *name;
	size_t i, p;

	scratch_setup();
	for (p = 0; (name = tmpl_placeholder_name(p)) != NULL; p++) {
		char text[256];

		snprintf(text, sizeof(text), "Subject: a {{%s}} b\n\n"
			 "[{{%s}}] end\n", name, name);
		put("ja/ack.txt", text);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct tmpl_var var = { name, cases[i].value };
			struct tmpl_out out = { 0 };
			struct mp_err err;
			char *want_s, *want_b;
			const char *c;

			ck_assert_msg(tmpl_render(scratch, "ja", "ack", &var,
						  1, &out, &err) == 0,
				      "case %s/%zu: %s", name, i, err.msg);
			want_s = g_strdup_printf("a %s b", cases[i].subject);
			want_b = g_strdup_printf("[%s] end\n", cases[i].body);
			ck_assert_msg(strcmp(out.subject, want_s) == 0,
				      "case %s/%zu: got subject \"%s\", want "
				      "\"%s\"", name, i, out.subject, want_s);
			ck_assert_msg(strcmp(out.body, want_b) == 0,
				      "case %s/%zu: got body \"%s\", want "
				      "\"%s\"", name, i, out.body, want_b);
			for (c = out.subject; *c; c++)
				ck_assert_msg((unsigned char)*c >= 0x20 &&
					      *c != 0x7f, "case %s/%zu: "
					      "control byte in subject", name,
					      i);
			g_free(want_s);
			g_free(want_b);
			tmpl_out_release(&out);
		}
	}
	scratch_teardown();
}
END_TEST

/* site_templates_dir: a site file wins over the shipped one of the same
 * language and name; the language is chosen before the directory (a
 * shipped en/ beats a site ja/ for an English ticket); removing a site
 * file falls back to the shipped one. */
START_TEST(test_render_site)
{
	static const struct {
		int shipped_en, site_ja, site_en;
		const char *lang, *want;
	} cases[] = {
		{ 0, 0, 0, "ja", "shipped-ja" },
		{ 0, 1, 0, "ja", "site-ja" },
		{ 0, 1, 0, "en", "site-ja" },
		{ 1, 1, 0, "en", "shipped-en" },
		{ 1, 1, 1, "en", "site-en" },
		{ 1, 0, 1, "ja", "shipped-ja" },
		{ 1, 1, 1, "ja", "site-ja" },
	};
	char site[128], path[256];
	size_t i;

	scratch_setup();
	snprintf(site, sizeof(site), "%s/site", scratch);
	ck_assert_int_eq(mkdir(site, 0700), 0);
	snprintf(path, sizeof(path), "%s/ja", site);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/en", site);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tmpl_out out = { 0 };
		struct mp_err err;

		put("ja/ack.txt", "Subject: shipped-ja\n\nbody\n");
		if (cases[i].shipped_en)
			put("en/ack.txt", "Subject: shipped-en\n\nbody\n");
		else
			drop("en/ack.txt");
		if (cases[i].site_ja)
			put("site/ja/ack.txt", "Subject: site-ja\n\nbody\n");
		else
			drop("site/ja/ack.txt");
		if (cases[i].site_en)
			put("site/en/ack.txt", "Subject: site-en\n\nbody\n");
		else
			drop("site/en/ack.txt");
		ck_assert_msg(tmpl_render_site(site, scratch, cases[i].lang,
					       "ack", NULL, 0, &out,
					       &err) == 0,
			      "case %zu: %s", i, err.msg);
		ck_assert_msg(strcmp(out.subject, cases[i].want) == 0,
			      "case %zu: got %s, want %s", i, out.subject,
			      cases[i].want);
		tmpl_out_release(&out);
	}
	/* No site dir: the shipped one. */
	{
		struct tmpl_out out = { 0 };
		struct mp_err err;

		ck_assert_int_eq(tmpl_render_site(NULL, scratch, "ja", "ack",
						  NULL, 0, &out, &err), 0);
		ck_assert_str_eq(out.subject, "shipped-ja");
		tmpl_out_release(&out);
	}
	scratch_teardown();
}
END_TEST

/* Every shipped template with every placeholder set to an injection
 * attempt: no subject may carry a line break or control character. */
START_TEST(test_injection_shipped)
{
	struct tmpl_var vars[N_SAMPLE];
	const char *name;
	char dir[4096];
	size_t i;
	int l;

	snprintf(dir, sizeof(dir), "%s/templates", top());
	for (i = 0; i < N_SAMPLE; i++) {
		vars[i].name = tmpl_placeholder_name(i);
		vars[i].value = "x\r\nBcc: evil@example.jp\r\n\r\nX-Y: \x01z";
	}
	for (l = 0; l < N_LANGS; l++) {
		for (i = 0; (name = tmpl_template_name(i)) != NULL; i++) {
			struct tmpl_out out = { 0 };
			struct mp_err err;
			const char *c;

			ck_assert_msg(tmpl_render(dir, langs[l], name, vars,
						  N_SAMPLE, &out, &err) == 0,
				      "case %s/%s: %s", langs[l], name,
				      err.msg);
			for (c = out.subject; *c; c++)
				ck_assert_msg((unsigned char)*c >= 0x20,
					      "case %s/%s: control byte 0x%02x"
					      " in subject \"%s\"", langs[l],
					      name, (unsigned char)*c,
					      out.subject);
			ck_assert_msg(strchr(out.body, '\r') == NULL,
				      "case %s/%s: CR in body", langs[l],
				      name);
			tmpl_out_release(&out);
		}
	}
}
END_TEST

START_TEST(test_render_cases)
{
	static const struct tmpl_var one[] = { { "ticket_id", "7" } };
	static const struct tmpl_var unknown[] = { { "ticket_idx", "7" } };
	static const struct tmpl_var null_value[] = { { "ticket_id", NULL } };
	static const struct {
		const char *lang, *name;
		const struct tmpl_var *vars;
		size_t n_vars;
		int want_rc;
		enum mp_err_kind want_kind;
		const char *want_lang, *want_subject, *want_body;
		const char *want_err;
	} cases[] = {
		/* 0: ja as asked */
		{ "ja", "ack", one, 1, 0, MP_OK, "ja", "ja 7", "ja body 7\n",
		  NULL },
		/* 1: en present */
		{ "en", "ack", one, 1, 0, MP_OK, "en", "en 7", "en body 7\n",
		  NULL },
		/* 2: en missing: falls back to ja */
		{ "en", "denied", one, 1, 0, MP_OK, "ja", "s", "body\n",
		  NULL },
		/* 3: a language with no directory: falls back to ja */
		{ "fr", "ack", one, 1, 0, MP_OK, "ja", "ja 7", "ja body 7\n",
		  NULL },
		/* 4: no value: empty; the subject is trimmed */
		{ "ja", "ack", NULL, 0, 0, MP_OK, "ja", "ja", "ja body\n",
		  NULL },
		/* 5: NULL value: empty */
		{ "ja", "ack", null_value, 1, 0, MP_OK, "ja", "ja",
		  "ja body\n", NULL },
		/* 6: missing everywhere */
		{ "en", "no-such", one, 1, -1, MP_PERM, NULL, NULL, NULL,
		  "no-such.txt" },
		/* 7: names that would leave the directory */
		{ "../ja", "ack", one, 1, -1, MP_PERM, NULL, NULL, NULL,
		  "language" },
		{ "ja", "../ja/ack", one, 1, -1, MP_PERM, NULL, NULL, NULL,
		  "name" },
		{ "ja", "", one, 1, -1, MP_PERM, NULL, NULL, NULL, "name" },
		/* 10: a value for a placeholder not in the table */
		{ "ja", "ack", unknown, 1, -1, MP_PERM, NULL, NULL, NULL,
		  "ticket_idx" },
		/* 11: a broken template is refused with file:line */
		{ "ja", "completion", one, 1, -1, MP_PERM, NULL, NULL, NULL,
		  "ja/completion.txt:4: unknown placeholder" },
		/* 12: trailing blank lines dropped, one final newline */
		{ "ja", "staff-work", one, 1, 0, MP_OK, "ja", "w",
		  "\nw 7\n", NULL },
		/* 13: no language: ja */
		{ NULL, "ack", one, 1, 0, MP_OK, "ja", "ja 7", "ja body 7\n",
		  NULL },
		{ "", "ack", one, 1, 0, MP_OK, "ja", "ja 7", "ja body 7\n",
		  NULL },
	};
	size_t i;

	scratch_setup();
	put("ja/ack.txt", "## c\nSubject: ja {{ticket_id}}\n\n"
	    "ja body {{ticket_id}}\n");
	put("en/ack.txt", "Subject:   en {{ticket_id}}  \n\n"
	    "en body {{ticket_id}}\n");
	drop("en/denied.txt");
	put("ja/completion.txt", "Subject: c\n\nok\n{{nope}}\n");
	put("ja/staff-work.txt", "Subject: w\n\n\nw {{ticket_id}}\n\n\n  \n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tmpl_out out = { 0 };
		struct mp_err err;
		int rc;

		mp_err_clear(&err);
		rc = tmpl_render(scratch, cases[i].lang, cases[i].name,
				 cases[i].vars, cases[i].n_vars, &out, &err);
		ck_assert_msg(rc == cases[i].want_rc, "case %zu: got rc %d "
			      "(%s), want %d", i, rc, err.msg,
			      cases[i].want_rc);
		if (rc != 0) {
			ck_assert_msg(err.kind == cases[i].want_kind,
				      "case %zu: got kind %d, want %d", i,
				      err.kind, cases[i].want_kind);
			ck_assert_msg(strstr(err.msg, cases[i].want_err),
				      "case %zu: got error \"%s\", want "
				      "...%s...", i, err.msg,
				      cases[i].want_err);
			ck_assert_ptr_null(out.subject);
			continue;
		}
		ck_assert_msg(strcmp(out.lang, cases[i].want_lang) == 0,
			      "case %zu: got lang %s, want %s", i, out.lang,
			      cases[i].want_lang);
		ck_assert_msg(strcmp(out.subject, cases[i].want_subject) == 0,
			      "case %zu: got subject \"%s\", want \"%s\"", i,
			      out.subject, cases[i].want_subject);
		ck_assert_msg(strcmp(out.body, cases[i].want_body) == 0,
			      "case %zu: got body \"%s\", want \"%s\"", i,
			      out.body, cases[i].want_body);
		tmpl_out_release(&out);
	}
	scratch_teardown();
}
END_TEST

Suite *
suite_tmpl(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc = tcase_create("tmpl");

	tcase_add_loop_test(tc, test_golden, 0,
			    (int)(N_LANGS * n_templates()));
	tcase_add_test(tc, test_shipped_check);
	tcase_add_test(tc, test_shipped_charsets);
	tcase_add_test(tc, test_readme_lists_placeholders);
	tcase_add_test(tc, test_known_placeholder);
	tcase_add_test(tc, test_check_cases);
	tcase_add_test(tc, test_check_no_ja_dir);
	tcase_add_test(tc, test_injection);
	tcase_add_test(tc, test_injection_shipped);
	tcase_add_test(tc, test_render_cases);
	tcase_add_test(tc, test_render_site);
	suite_add_tcase(s, tc);
	return s;
}
