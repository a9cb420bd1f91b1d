/*
 * Unit tests of rules.c: the catalogue as loaded from the checkout's
 * rules/ ($MP_TOP/rules, else ./rules), lookups, form parsing,
 * classification of decoded (subject, text) pairs, and the reporting of
 * broken rule files with file:line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"

static char rules_dir[4096];

static void
setup_dir(void)
{
	const char *top = getenv("MP_TOP");

	snprintf(rules_dir, sizeof(rules_dir), "%s/rules",
		 top != NULL ? top : ".");
}

struct report_log {
	char text[8192];
	int n;
};

static void
collect(void *ctx, const char *file, int line, const char *msg)
{
	struct report_log *log = ctx;
	size_t len = strlen(log->text);
	const char *base = strrchr(file, '/');

	snprintf(log->text + len, sizeof(log->text) - len, "%s:%d: %s\n",
		 base != NULL ? base + 1 : file, line, msg);
	log->n++;
}

static struct rules *
load_checkout(void)
{
	struct report_log log = { "", 0 };
	struct rules *r = NULL;
	struct mp_err err;

	setup_dir();
	if (rules_check_dir(rules_dir, collect, &log, &err) < 0)
		ck_abort_msg("rules_check_dir(%s): %s\n%s", rules_dir,
			     err.msg, log.text);
	if (rules_load(&r, rules_dir, collect, &log, &err) < 0)
		ck_abort_msg("rules_load(%s): %s\n%s", rules_dir, err.msg,
			     log.text);
	return r;
}

static const char *
str_or_null(const char *s)
{
	return s != NULL ? s : "(null)";
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* ---- the catalogue ---------------------------------------------------- */

static const struct {
	const char *id;
	const char *channel;	/* NULL: none */
	int identity;
	int catalogue;
	const char *options;	/* exactly these, in any order */
} catalogue_cases[] = {
	{ "service-monitoring-change", "email", 1, 1,
	  "service-monitoring monitoring-work-package vm-monitoring-package "
	  "vm-monitoring-work-package" },
	{ "service-monitoring-exclusion", "email", 1, 1,
	  "service-monitoring monitoring-work-package vm-monitoring-package "
	  "vm-monitoring-work-package" },
	{ "resource-monitoring-change", "phone", 1, 1,
	  "resource-monitoring monitoring-work-package vm-monitoring-package "
	  "vm-monitoring-work-package" },
	{ "resource-monitoring-exclusion", "phone", 1, 1,
	  "resource-monitoring monitoring-work-package vm-monitoring-package "
	  "vm-monitoring-work-package" },
	{ "process-restart-change", "phone", 1, 1,
	  "process-restart monitoring-work-package" },
	{ "ping-monitoring-change", "phone", 1, 1,
	  "vm-monitoring-package vm-monitoring-work-package" },
	{ "ping-monitoring-exclusion", "phone", 1, 1,
	  "vm-monitoring-package vm-monitoring-work-package" },
	{ "reboot", "phone", 1, 1,
	  "reboot monitoring-work-package spot-work vm-monitoring-work-package "
	  "vm-spot-work" },
	{ "remote-access-recovery", "phone", 1, 1,
	  "remote-access-recovery monitoring-work-package spot-work" },
	{ "password-reset", "phone", 1, 1,
	  "password-reset monitoring-work-package" },
	{ "os-reinstall", "phone", 1, 1, "os-reinstall" },
	{ "vm-image-restore", "phone", 1, 1, "vm-image-restore" },
	{ "fault-report", NULL, 0, 0, "" },
	{ "out-of-scope", NULL, 0, 0, "" },
	{ "general", NULL, 0, 0, "" },
};

static int
options_equal(const struct rules_item *it, const char *want)
{
	char buf[512], *tok, *save = NULL;
	size_t n = 0, i;

	snprintf(buf, sizeof(buf), "%s", want);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		for (i = 0; i < it->n_options; i++)
			if (strcmp(it->options[i], tok) == 0)
				break;
		if (i == it->n_options)
			return 0;
		n++;
	}
	return n == it->n_options;
}

START_TEST(test_catalogue)
{
	struct rules *r = load_checkout();
	size_t i, j;
	int bad = 0;

	ck_assert_uint_eq(rules_item_count(r),
			  sizeof(catalogue_cases) / sizeof(catalogue_cases[0]));
	for (i = 0; i < sizeof(catalogue_cases) / sizeof(catalogue_cases[0]);
	     i++) {
		const struct rules_item *it =
			rules_item_find(r, catalogue_cases[i].id);

		if (it == NULL) {
			fprintf(stderr, "case %zu: %s missing\n", i,
				catalogue_cases[i].id);
			bad++;
			continue;
		}
		if (!same(rules_channel_name(it->channel),
			  catalogue_cases[i].channel) ||
		    it->identity_required != catalogue_cases[i].identity ||
		    it->catalogue != catalogue_cases[i].catalogue ||
		    !options_equal(it, catalogue_cases[i].options) ||
		    it->name_ja == NULL || it->name_en == NULL) {
			fprintf(stderr, "case %zu: %s: got channel %s identity "
				"%d catalogue %d, %zu options; want %s %d %d "
				"[%s]\n", i, it->id,
				str_or_null(rules_channel_name(it->channel)),
				it->identity_required, it->catalogue,
				it->n_options,
				str_or_null(catalogue_cases[i].channel),
				catalogue_cases[i].identity,
				catalogue_cases[i].catalogue,
				catalogue_cases[i].options);
			bad++;
		}
		if (it->catalogue &&
		    it->notify != RULES_NOTIFY_MONITORING_EMAIL) {
			fprintf(stderr, "case %zu: %s: completion notice "
				"not to the monitoring address\n", i, it->id);
			bad++;
		}
		/* every option a task names is a menu */
		for (j = 0; j < it->n_options; j++)
			if (rules_option_find(r, it->options[j]) == NULL) {
				fprintf(stderr, "case %zu: unknown option %s\n",
					i, it->options[j]);
				bad++;
			}
	}
	ck_assert_uint_eq(rules_option_count(r), 13);
	ck_assert_ptr_nonnull(rules_item_find(r, "fault-report"));
	ck_assert_int_eq(rules_item_find(r, "fault-report")->urgent, 1);
	ck_assert_ptr_null(rules_item_find(r, "no-such-task"));
	rules_free(&r);
	ck_assert_ptr_null(r);
	rules_free(&r);		/* a second free does nothing */
	ck_assert_msg(bad == 0, "%d catalogue cases failed", bad);
}
END_TEST

static const struct {
	const char *task;
	const char *options;	/* a contract's options */
	int covered;
} covered_cases[] = {
	{ "reboot", "reboot", 1 },
	{ "reboot", "spot-work", 1 },
	{ "reboot", "vm-spot-work,service-monitoring", 1 },
	{ "reboot", "vm-monitoring-package", 0 },
	{ "reboot", "", 0 },
	{ "reboot", NULL, 0 },
	{ "os-reinstall", "monitoring-work-package", 0 },
	{ "password-reset", "monitoring-work-package", 1 },
	{ "ping-monitoring-change", "monitoring-work-package", 0 },
	{ "ping-monitoring-change", "vm-monitoring-work-package", 1 },
	{ "service-monitoring-change", "  service-monitoring  ", 1 },
	{ "service-monitoring-change", "service-monitoring-x", 0 },
	{ "general", NULL, 1 },
	{ "fault-report", "", 1 },
};

START_TEST(test_covered)
{
	struct rules *r = load_checkout();
	size_t i;
	int got, bad = 0;

	for (i = 0; i < sizeof(covered_cases) / sizeof(covered_cases[0]);
	     i++) {
		const struct rules_item *it =
			rules_item_find(r, covered_cases[i].task);

		ck_assert_ptr_nonnull(it);
		got = rules_item_covered(it, covered_cases[i].options);
		if (got != covered_cases[i].covered) {
			fprintf(stderr, "case %zu: %s with [%s]: got %d, want "
				"%d\n", i, covered_cases[i].task,
				str_or_null(covered_cases[i].options), got,
				covered_cases[i].covered);
			bad++;
		}
	}
	rules_free(&r);
	ck_assert_msg(bad == 0, "%d cases failed", bad);
}
END_TEST

static const struct {
	const char *name;
	const char *want;	/* NULL: no item */
} name_cases[] = {
	{ "リブート代行", "reboot" },
	{ "  ﾘﾌﾞｰﾄ代行 ", "reboot" },
	{ "reboot", "reboot" },
	{ "Reboot", "reboot" },
	{ "サービス監視 設定項目変更", "service-monitoring-change" },
	{ "サービス監視設定項目変更", "service-monitoring-change" },
	{ "プロセス・リソース監視 監視設定項目変更",
	  "resource-monitoring-change" },
	{ "ｐｉｎｇ監視　除外設定", "ping-monitoring-exclusion" },
	{ "仮想OSイメージファイル復旧<仮想マシン>", "vm-image-restore" },
	{ "PASSWORD-RESET", "password-reset" },
	{ "OS clean installation", "os-reinstall" },
	{ "障害連絡", "fault-report" },
	{ "その他", "general" },
	{ "サービス監視", NULL },	/* a menu, not a request */
	{ "何か", NULL },
	{ "", NULL },
	{ "・・・", NULL },
};

START_TEST(test_by_name)
{
	struct rules *r = load_checkout();
	const struct rules_item *it;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		it = rules_item_by_name(r, name_cases[i].name);
		if (!same(it != NULL ? it->id : NULL, name_cases[i].want)) {
			fprintf(stderr, "case %zu: \"%s\": got %s, want %s\n",
				i, name_cases[i].name,
				str_or_null(it != NULL ? it->id : NULL),
				str_or_null(name_cases[i].want));
			bad++;
		}
	}
	rules_free(&r);
	ck_assert_msg(bad == 0, "%d cases failed", bad);
}
END_TEST

/* ---- forms ------------------------------------------------------------ */

static const char form_text[] =
	"以下の内容でフォームから送信されました。\n\n"
	"契約ID: Ｃ－１００２３\n"
	"お名前：山田 太郎\n"
	"【メールアドレス】 yamada@example.jp\n"
	"■電話番号: 03-1234-5678\n"
	"依頼種別: リブート代行\n"
	"対象サーバー: web01\n"
	"内容:\n"
	"メモリが足りないようです。\n"
	"再起動をお願いします。 \n"
	"\n"
	"-- \n"
	"form gateway\n";

static const struct {
	enum rules_field field;
	const char *want;
} form_cases[] = {
	{ RULES_FIELD_CONTRACT, "C-10023" },
	{ RULES_FIELD_NAME, "山田 太郎" },
	{ RULES_FIELD_EMAIL, "yamada@example.jp" },
	{ RULES_FIELD_PHONE, "03-1234-5678" },
	{ RULES_FIELD_KIND, "リブート代行" },
	{ RULES_FIELD_SERVER, "web01" },
	{ RULES_FIELD_CONTENT,
	  "メモリが足りないようです。\n再起動をお願いします。" },
};

START_TEST(test_form_parse)
{
	struct rules *r = load_checkout();
	struct rules_form form;
	struct mp_err err;
	size_t i;
	int bad = 0;

	ck_assert_int_eq(rules_form_parse(r, form_text, &form, &err), 0);
	ck_assert_int_eq(form.n_fields, 7);
	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		const char *got = form.field[form_cases[i].field];

		if (!same(got, form_cases[i].want)) {
			fprintf(stderr, "case %zu: %s: got \"%s\", want "
				"\"%s\"\n", i,
				rules_field_name(form_cases[i].field),
				str_or_null(got), form_cases[i].want);
			bad++;
		}
	}
	rules_form_release(&form);
	ck_assert_ptr_null(form.field[RULES_FIELD_KIND]);

	/* Plain mail with a label-like line is no form. */
	ck_assert_int_eq(rules_form_parse(r, "件名: テスト\n本文です\n",
					  &form, &err), 0);
	ck_assert_int_eq(form.n_fields, 0);
	rules_form_release(&form);
	ck_assert_int_eq(rules_form_parse(r, NULL, &form, &err), 0);
	ck_assert_int_eq(form.n_fields, 0);
	ck_assert_str_eq(rules_field_name(RULES_FIELD_KIND), "kind");
	rules_free(&r);
	ck_assert_msg(bad == 0, "%d cases failed", bad);
}
END_TEST

/* ---- classification --------------------------------------------------- */

struct classify_case {
	const char *subject;
	const char *text;
	int from_form;
	const char *want;
	const char *second;	/* NULL: none expected */
};

static const struct classify_case classify_cases[] = {
	/* requests, Japanese: keigo, terse, width variants */
	{ "", "お世話になります。サーバーが重いので再起動していただけると"
	  "助かります。", 0, "reboot", NULL },
	{ "サーバ再起動", "至急、web10の再起動を願います。", 0, "reboot",
	  NULL },
	{ "", "ホスト名 db09 の電源再投入をお願いできますか。", 0, "reboot",
	  NULL },
	{ "【依頼】リブート", "本日中に対応願います。", 0, "reboot", NULL },
	{ "", "ﾘﾌﾞｰﾄ希望です。", 0, "reboot", NULL },
	{ "", "サーバーがフリーズしているようなので、再起動をお願いできます"
	  "でしょうか。", 0, "reboot", NULL },
	{ "", "SSHのポートを変更したところ、ログインできなくなりました。"
	  "復旧をお願いします。", 0, "remote-access-recovery", NULL },
	{ "", "リモートアクセスができなくなったので復旧作業を依頼します。", 0,
	  "remote-access-recovery", NULL },
	{ "", "ファイアウォールの設定ミスでSSHに接続できません。コンソール"
	  "から解除をお願いします。", 0, "remote-access-recovery", NULL },
	{ "", "Administratorのパスワードがわからなくなりました。リセットして"
	  "いただけますか。", 0, "password-reset", NULL },
	{ "", "パスワードリセットをお願いします。サーバーはweb02です。", 0,
	  "password-reset", NULL },
	{ "", "rootパスワードの再設定をお願いいたします。", 0,
	  "password-reset", NULL },
	{ "", "OSを入れ直していただきたいです。対象: web03", 0,
	  "os-reinstall", NULL },
	{ "", "サーバーを初期化(OS再インストール)していただけますか。", 0,
	  "os-reinstall", NULL },
	{ "", "Ｗｉｎｄｏｗｓ　Ｓｅｒｖｅｒの再インストールをお願いします。",
	  0, "os-reinstall", NULL },
	{ "", "仮想マシンをイメージファイルから元に戻していただきたいです。",
	  0, "vm-image-restore", NULL },
	{ "", "サービス監視の対象にSMTPを加えてください。", 0,
	  "service-monitoring-change", NULL },
	{ "", "明日の作業中はサービス監視を止めてください。", 0,
	  "service-monitoring-exclusion", NULL },
	{ "", "HTTP監視を来週月曜まで除外してもらえますか。", 0,
	  "service-monitoring-exclusion", NULL },
	{ "", "明日 01:00-03:00 メンテナンスのため、サービス監視の除外設定を"
	  "お願いします。よろしくお願いします。", 0,
	  "service-monitoring-exclusion", NULL },
	{ "", "CPU使用率の閾値を90%に上げてください。プロセス・リソース監視"
	  "の件です。", 0, "resource-monitoring-change", NULL },
	{ "", "ディスク容量の監視しきい値を変更願います。", 0,
	  "resource-monitoring-change", NULL },
	{ "", "リソース監視のメモリ閾値を変えてほしいです。", 0,
	  "resource-monitoring-change", NULL },
	{ "", "リソース監視を一時停止してください。明日の夜間バッチのため"
	  "です。", 0, "resource-monitoring-exclusion", NULL },
	{ "", "プロセス再起動の対象から httpd を外してください。", 0,
	  "process-restart-change", NULL },
	{ "", "ping監視の間隔を変更したいのでお願いします。", 0,
	  "ping-monitoring-change", NULL },
	{ "", "vm-08のping監視を今夜だけ止めてください。", 0,
	  "ping-monitoring-exclusion", NULL },

	/* requests, English */
	{ "Server restart", "Hello, could you restart the server app01 "
	  "tonight after 22:00? Thanks.", 0, "reboot", NULL },
	{ "", "Could you please power-cycle web01?", 0, "reboot", NULL },
	{ "remote access", "We changed the sshd config and now we're locked "
	  "out. Please help us recover access.", 0,
	  "remote-access-recovery", NULL },
	{ "root password", "We forgot the root password of web04. Please "
	  "reset it.", 0, "password-reset", NULL },
	{ "Reinstallation", "Please perform an OS reinstallation on srv12, "
	  "we want to start from scratch.", 0, "os-reinstall", NULL },
	{ "VM restore", "Can you restore our virtual machine vm-3 from the OS "
	  "image?", 0, "vm-image-restore", NULL },
	{ "Service monitoring", "Could you add DNS to our service "
	  "monitoring?", 0, "service-monitoring-change", NULL },
	{ "Resource monitoring", "Please pause resource monitoring on db01 "
	  "during tonight's batch.", 0, "resource-monitoring-exclusion",
	  NULL },
	{ "auto restart", "Please add nginx to the automatic restart "
	  "settings.", 0, "process-restart-change", NULL },

	/* two tasks: the one named first wins, the other is second */
	{ "作業依頼", "rootのパスワード初期化と、その後のリブートをお願い"
	  "いたします。", 0, "password-reset", "reboot" },
	{ "Two requests", "Please reboot web01 today, and afterwards please "
	  "reinstall the OS on web02.", 0, "reboot", "os-reinstall" },

	/* faults */
	{ "", "Webサーバーにつながりません。ご確認ください。", 0,
	  "fault-report", NULL },
	{ "Site down", "Our website has been down for 20 minutes.", 0,
	  "fault-report", NULL },
	{ "", "サーバーが落ちているようです。pingも通りません。", 0,
	  "fault-report", NULL },
	{ "", "メールが届かなくなりました。サーバー側で障害が発生していま"
	  "せんか。", 0, "fault-report", NULL },
	{ "", "サーバーが起動しません。ランプが消えています。", 0,
	  "fault-report", NULL },
	{ "", "HDD故障のアラートが出ています。", 0, "fault-report", NULL },
	{ "", "Since this morning the server keeps timing out.", 0,
	  "fault-report", NULL },
	{ "ｻｲﾄが見れない", "至急見てください", 0, "fault-report", NULL },
	{ "サーバー停止", "サーバーがダウンしているようです。\n再起動が必要"
	  "かどうか調査してください。", 0, "fault-report", NULL },

	/* applications and content */
	{ "", "WordPressのプラグインを更新したら画面が真っ白になりました。",
	  0, "out-of-scope", NULL },
	{ "Thunderbird", "How do I set up Thunderbird for our mailboxes?", 0,
	  "out-of-scope", NULL },
	{ "", "PHPのエラーが出てサイトが表示されません。php.iniの設定を教え"
	  "てください。", 0, "out-of-scope", NULL },
	{ "", "Apacheのバーチャルホストの設定方法を教えてください。", 0,
	  "out-of-scope", NULL },
	{ "", "メールソフトでメールが送れません。", 0, "out-of-scope", NULL },
	{ "", "WordPressの管理者パスワードを忘れてしまいました。\n初期化を"
	  "お願いできますか。", 0, "out-of-scope", NULL },

	/* questions about a task, thanks, other business: general */
	{ "", "リブート代行はどのプランに含まれていますか。", 0, "general",
	  NULL },
	{ "Question", "Is OS clean install available for virtual machines, and "
	  "what does it cost?", 0, "general", NULL },
	{ "", "パスワード初期化を依頼する方法を教えてください。", 0,
	  "general", NULL },
	{ "", "リブートの料金を教えてください", 0, "general", NULL },
	{ "", "how much does an OS reinstall cost", 0, "general", NULL },
	{ "", "パスワード初期化の手順を知りたい", 0, "general", NULL },
	{ "", "先日はパスワード初期化のご対応ありがとうございました。", 0,
	  "general", NULL },
	{ "", "請求金額について確認させてください。", 0, "general", NULL },
	{ "", "OS再インストールにはどのくらい時間がかかりますか。", 0,
	  "general", NULL },
	{ "Monitoring", "What is the difference between service monitoring "
	  "and resource monitoring?", 0, "general", NULL },
	{ "", "リブート後にサーバーのIPアドレスは変わりますか。", 0,
	  "general", NULL },
	{ "", "先月お願いしたOSクリーンインストールの請求書を送ってくださ"
	  "い。", 0, "general", NULL },
	{ "", "サービス監視のアラートメールの送信元アドレスを教えてください。",
	  0, "general", NULL },
	{ "", "We are planning a reboot ourselves next week; no action needed "
	  "from you.", 0, "general", NULL },
	{ "", "リブート代行とスポット作業代行の違いは何ですか。", 0,
	  "general", NULL },
	{ "Re: reboot", "Thanks, the server is fine now.", 0, "general",
	  NULL },
	{ "", "パスワードを初期化した場合、データは消えますか。", 0,
	  "general", NULL },
	{ "", "Do you offer password reset for Windows servers?", 0,
	  "general", NULL },
	{ "", "OSクリーンインストール代行を申し込みたいのですが、申込書は"
	  "どこにありますか。", 0, "general", NULL },
	{ "", "", 0, "general", NULL },
	{ NULL, NULL, 0, "general", NULL },

	/* quoted text, forwarded history and signatures do not count */
	{ "Re: [support#12] ご案内", "承知しました。\n\n"
	  "2024年5月10日(金) 15:02 サポート <support@example.jp>:\n"
	  "> リブートをお願いします。\n", 0, "general", NULL },
	{ "RE: 件", "了解です。\n\n-----Original Message-----\n"
	  "From: x\n\nサーバーのリブートをお願いします。\n", 0, "general",
	  NULL },
	{ "転送: 件", "ご参考まで。\n---------- Forwarded message ---------\n"
	  "パスワードの初期化をお願いします。\n", 0, "general", NULL },
	{ "", "よろしくお願いします。\n-- \n"
	  "サービス監視の設定変更をお願いします\n", 0, "general", NULL },
	{ "", "On Tue, 14 May 2024, Bob wrote:\n> please reboot web01\n\n"
	  "Please reset the root password too.\n", 0, "password-reset",
	  NULL },
	{ "", "＞ リブートをお願いします\n了解しました\n", 0, "general",
	  NULL },

	/* form-gateway mail: the kind field decides */
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n"
	  "メールアドレス: y@example.jp\n依頼種別: リブート代行\n"
	  "対象サーバー: web01\n内容:\nリブートの料金も教えてください。\n",
	  1, "reboot", NULL },
	{ "【フォーム】", "契約ID: C-1\n依頼種別: os-reinstall\n"
	  "内容: お願いします\n", 0, "os-reinstall", NULL },
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n依頼種別: その他\n"
	  "内容:\nサーバーがダウンしています。\n", 1, "fault-report", NULL },
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n依頼種別: ｻｰﾋﾞｽ監視 "
	  "除外設定\n内容:\nあわせてリブートもお願いします。\n", 1,
	  "service-monitoring-exclusion", "reboot" },
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n依頼種別: 不明な種別\n"
	  "内容:\nパスワードの初期化をお願いします。\n", 1, "password-reset",
	  NULL },
};

static int
check_case(struct rules *r, size_t i, const struct classify_case *c)
{
	struct rules_result res;
	struct mp_err err;

	if (rules_classify(r, c->subject, c->text, c->from_form, &res,
			   &err) < 0) {
		fprintf(stderr, "case %zu: error %s\n", i, err.msg);
		return 1;
	}
	if (!same(res.class, c->want) || !same(res.second_class, c->second)) {
		fprintf(stderr, "case %zu: got %s (rule %s, second %s), want "
			"%s (second %s): %s\n", i, res.class, res.rule,
			str_or_null(res.second_class), c->want,
			str_or_null(c->second), str_or_null(c->text));
		return 1;
	}
	if (res.confidence < 0 || res.confidence > 1 || res.rule == NULL) {
		fprintf(stderr, "case %zu: confidence %f rule %s\n", i,
			res.confidence, str_or_null(res.rule));
		return 1;
	}
	return 0;
}

START_TEST(test_classify)
{
	struct rules *r = load_checkout();
	size_t i, n = sizeof(classify_cases) / sizeof(classify_cases[0]);
	int bad = 0;

	for (i = 0; i < n; i++)
		bad += check_case(r, i, &classify_cases[i]);
	/* Again: from the second classification on patterns are JIT
	 * compiled, which must not change a result. */
	for (i = 0; i < n; i++)
		bad += check_case(r, i, &classify_cases[i]);
	rules_free(&r);
	ck_assert_msg(bad == 0, "%d classification cases failed", bad);
}
END_TEST

START_TEST(test_classify_result)
{
	struct rules *r = load_checkout();
	struct rules_result res;
	struct mp_err err;

	ck_assert_int_eq(rules_classify(r, "サービス監視除外のお願い",
					"HTTP監視の除外をお願いします。", 0,
					&res, &err), 0);
	ck_assert_str_eq(res.class, "service-monitoring-exclusion");
	ck_assert_int_eq(res.channel, RULES_CHANNEL_EMAIL);
	ck_assert_int_eq(res.identity_required, 1);
	ck_assert_int_eq(res.form, 0);
	ck_assert(res.confidence > 0.8);

	ck_assert_int_eq(rules_classify(r, "down", "server is down", 0, &res,
					&err), 0);
	ck_assert_str_eq(res.class, "fault-report");
	ck_assert_int_eq(res.channel, RULES_CHANNEL_NONE);
	ck_assert_ptr_null(rules_channel_name(res.channel));
	ck_assert_int_eq(res.urgent, 1);
	ck_assert_int_eq(res.identity_required, 0);

	ck_assert_int_eq(rules_classify(r, "x", "nothing to see", 0, &res,
					&err), 0);
	ck_assert_str_eq(res.class, "general");
	ck_assert_str_eq(res.rule, "default");
	ck_assert(res.confidence < 0.5);

	/* Invalid UTF-8 and NUL-free junk are tolerated. */
	ck_assert_int_eq(rules_classify(r, "\xff\xfe", "\xc3\x28 reboot "
					"please \xe3\x81", 0, &res, &err), 0);
	ck_assert_str_eq(res.class, "reboot");
	rules_free(&r);
}
END_TEST

/* ---- broken rule files ------------------------------------------------ */

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
remove_dir(const char *dir)
{
	static const char *const names[] = {
		"catalogue.conf", "classify.rules", "form.conf",
	};
	char path[4096];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static const char good_catalogue[] =
	"option reboot\n\tja リブート代行\n\ten Reboot\n"
	"task reboot\n\tja リブート\n\ten Reboot\n\tidentity yes\n"
	"\tchannel phone\n\tnotify monitoring-email\n\toptions reboot\n"
	"class fault-report\n\tja 障害\n\ten Fault\n\tidentity no\n"
	"\tchannel none\n"
	"class out-of-scope\n\tja 対象外\n\ten Out\n\tidentity no\n"
	"\tchannel none\n"
	"class general\n\tja 一般\n\ten General\n\tidentity no\n"
	"\tchannel none\n";

static const char good_rules[] =
	"define R (?:リブート|reboot)\n"
	"rule r1 reboot priority 50\n\tmatch any /{{R}}/\n";

static const char good_form[] =
	"contract 契約ID\nname お名前\nemail メールアドレス\nphone 電話番号\n"
	"kind 依頼種別\nserver 対象サーバー\ncontent 内容\n";

static const struct {
	const char *catalogue;	/* NULL: the good one */
	const char *rules;
	const char *form;
	int check;		/* regex problems: rules_check_dir() only */
	const char *expect[4];	/* each must appear in the reports */
} broken_cases[] = {
	{ "option reboot\n\tja a\n\ten b\n"
	  "task reboot\n\tja a\n\ten b\n\tidentity yes\n\tchannel fax\n"
	  "\tnotify monitoring-email\n\toptions reboot spot-work\n"
	  "task reboot\n\tja c\n"
	  "class fault-report\n\tja a\n\ten b\n\tidentity no\n"
	  "\tchannel none\n"
	  "class general\n\tja a\n\ten b\n\tidentity no\n\tchannel none\n"
	  "color blue\n",
	  NULL, NULL, 0,
	  { "catalogue.conf:8: unknown channel 'fax'",
	    "catalogue.conf:10: unknown option 'spot-work'",
	    "catalogue.conf:11: duplicate task id 'reboot' (first on line 4)",
	    "catalogue.conf:0: class out-of-scope is missing" } },
	{ NULL,
	  "rule r1 reboot priority 50\n\tmatch any /reboot/\n"
	  "rule r1 general priority 10\n\tmatch any /x/\n"
	  "rule r2 no-such-task priority 10\n\tmatch any /x/\n"
	  "rule r3 reboot priority 10\n\tmatch sideways /x/\n"
	  "\tmatch any /{{NOPE}}/\n",
	  NULL, 0,
	  { "classify.rules:3: duplicate rule id 'r1' (first on line 1)",
	    "classify.rules:5: unknown task 'no-such-task' in rule r2",
	    "classify.rules:8: unknown scope 'sideways'",
	    "classify.rules:9: unknown macro {{NOPE}}" } },
	{ NULL,
	  "set subject_bonus lots\nset colour 3\n"
	  "rule r1 reboot priority 50\n\tnot any /x/\n"
	  "match body reboot\n",
	  NULL, 0,
	  { "classify.rules:1: subject_bonus must be a number",
	    "classify.rules:2: unknown setting 'colour'",
	    "classify.rules:3: rule r1 has no match line",
	    "classify.rules:5: the pattern must be written /REGEX/" } },
	{ NULL,
	  "rule r1 reboot priority 50\n\tmatch any /(unclosed/\n"
	  "\tmatch any /fine/\n\tnot body /[z-a]/\n",
	  NULL, 1,
	  { "classify.rules:2: bad regex: missing closing parenthesis",
	    "classify.rules:4: bad regex: range out of order" } },
	/* the text is lower-cased: an upper-case literal never matches,
	 * while escapes like \W and \p{Han} are fine */
	{ NULL,
	  "rule r1 reboot priority 50\n\tmatch any /Reboot/\n"
	  "\tmatch any /\\W\\p{Han}x/\n",
	  NULL, 1,
	  { "classify.rules:2: bad regex: upper-case 'R' at offset 0" } },
	/* one pass reports structural and regex problems together */
	{ "option reboot\n\tja a\n\ten b\n",
	  "rule r1 reboot priority 50\n\tmatch any /(x/\n"
	  "rule r2 general priority 5\n\tmatch subject /a{2,1}/\n",
	  NULL, 1,
	  { "catalogue.conf:0: class general is missing",
	    "classify.rules:1: unknown task 'reboot' in rule r1",
	    "classify.rules:3: unknown task 'general' in rule r2" } },
	{ NULL,
	  "rule r1 reboot priority 50\n\tmatch any /(x/\n"
	  "rule r2 nope priority 5\n\tmatch any /y/\n",
	  NULL, 1,
	  { "classify.rules:2: bad regex: missing closing parenthesis",
	    "classify.rules:3: unknown task 'nope' in rule r2" } },
	{ NULL, NULL,
	  "contract 契約ID\ncontract 契約 ID\nshoe size\nname\n",
	  0,
	  { "form.conf:2: duplicate label '契約 ID' (first on line 1)",
	    "form.conf:3: unknown field 'shoe'",
	    "form.conf:4: field name without a label",
	    "form.conf:0: no label for field kind" } },
};

START_TEST(test_broken)
{
	size_t i, j;
	int bad = 0;

	for (i = 0; i < sizeof(broken_cases) / sizeof(broken_cases[0]); i++) {
		char dir[] = "/tmp/test_rules.XXXXXX";
		struct report_log log = { "", 0 };
		struct rules *r = NULL;
		struct mp_err err;
		int rc;

		ck_assert_ptr_nonnull(mkdtemp(dir));
		write_file(dir, "catalogue.conf", broken_cases[i].catalogue ?
			   broken_cases[i].catalogue : good_catalogue);
		write_file(dir, "classify.rules", broken_cases[i].rules ?
			   broken_cases[i].rules : good_rules);
		write_file(dir, "form.conf", broken_cases[i].form ?
			   broken_cases[i].form : good_form);
		if (broken_cases[i].check) {
			rc = rules_check_dir(dir, collect, &log, &err);
		} else {
			/* rules_check_dir() reports the same problems */
			struct report_log log2 = { "", 0 };

			rc = rules_load(&r, dir, collect, &log, &err);
			if (rules_check_dir(dir, collect, &log2, NULL) != -1 ||
			    strcmp(log.text, log2.text) != 0) {
				fprintf(stderr, "case %zu: rules_check_dir "
					"differs:\n%s", i, log2.text);
				bad++;
			}
		}
		if (rc != -1 || err.kind != MP_PERM ||
		    strstr(err.msg, dir) == NULL) {
			fprintf(stderr, "case %zu: got rc %d kind %d \"%s\", "
				"want -1 MP_PERM naming the file\n", i, rc,
				err.kind, err.msg);
			bad++;
		}
		if (!broken_cases[i].check && r != NULL) {
			fprintf(stderr, "case %zu: rules left allocated\n", i);
			bad++;
		}
		for (j = 0; j < 4 && broken_cases[i].expect[j]; j++)
			if (strstr(log.text, broken_cases[i].expect[j]) ==
			    NULL) {
				fprintf(stderr, "case %zu: no \"%s\" in:\n%s",
					i, broken_cases[i].expect[j],
					log.text);
				bad++;
			}
		rules_free(&r);
		remove_dir(dir);
	}
	ck_assert_msg(bad == 0, "%d broken-file checks failed", bad);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct report_log log = { "", 0 };
	struct rules *r = (struct rules *)&log;	/* must come back NULL */
	struct mp_err err;

	ck_assert_int_eq(rules_load(&r, "/nonexistent/rules", collect, &log,
				    &err), -1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err.kind, MP_PERM);
	ck_assert_int_eq(log.n, 3);
	ck_assert_ptr_nonnull(strstr(log.text,
				     "catalogue.conf:0: cannot open"));

	/* A bad regex shows up at classification too, as MP_PERM. */
	{
		char dir[] = "/tmp/test_rules.XXXXXX";
		struct rules_result res;

		ck_assert_ptr_nonnull(mkdtemp(dir));
		write_file(dir, "catalogue.conf", good_catalogue);
		write_file(dir, "classify.rules",
			   "rule r1 reboot priority 5\n\tmatch any /(x/\n");
		write_file(dir, "form.conf", good_form);
		ck_assert_int_eq(rules_load(&r, dir, NULL, NULL, &err), 0);
		ck_assert_int_eq(rules_classify(r, "s", "t", 0, &res, &err),
				 -1);
		ck_assert_int_eq(err.kind, MP_PERM);
		ck_assert_ptr_nonnull(strstr(err.msg, "classify.rules:2:"));
		rules_free(&r);
		remove_dir(dir);
	}
}
END_TEST

Suite *
suite_rules(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_catalogue);
	tcase_add_test(tc, test_covered);
	tcase_add_test(tc, test_by_name);
	tcase_add_test(tc, test_form_parse);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_classify_result);
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}
