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

#include <fcntl.h>
#include <stdint.h>

#include "model.h"
#include "ngram.h"
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

/* ---- classification: the hard signals ---------------------------------- */

/* Without a model only the form's kind and the rules of classify.rules
 * decide; everything else is general, in triage. */
struct classify_case {
	const char *subject, *text;
	int from_form;
	const char *want;	/* class */
	const char *by;		/* "form", "rule" */
};

static const struct classify_case classify_cases[] = {
	/* an explicit fault, now */
	{ "", "web01 のサーバーが落ちています。", 0, "fault-report", "rule" },
	{ "至急", "サーバーがダウンしています", 0, "fault-report", "rule" },
	{ "", "朝からpingが通りません。", 0, "fault-report", "rule" },
	{ "ｻｰﾊﾞｰ", "ｻｰﾊﾞｰが落ちてる", 0, "fault-report", "rule" },
	{ "URGENT", "Our server is down since 3am.", 0, "fault-report",
	  "rule" },
	{ "", "the vm seems to be unreachable", 0, "fault-report", "rule" },
	{ "", "db2 does not respond to ping", 0, "fault-report", "rule" },
	/* ... but not a fault that is over */
	{ "", "昨日サーバーが落ちていましたが、今は復旧しました。", 0,
	  "general", "rule" },
	{ "", "The server was down yesterday but it is fine now.", 0,
	  "general", "rule" },
	/* quoted text and signatures never decide */
	{ "Re: 件", "承知しました。\n\n2024年5月10日(金) 15:02 サポート "
	  "<support@example.jp>:\n> サーバーが落ちています\n", 0, "general",
	  "rule" },
	{ "", "ok\n-- \nサーバーがダウンしています\n", 0, "general", "rule" },
	/* form-gateway mail: the kind field decides */
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n"
	  "メールアドレス: y@example.jp\n依頼種別: リブート代行\n"
	  "対象サーバー: web01\n内容:\nリブートの料金も教えてください。\n",
	  1, "reboot", "form" },
	{ "【フォーム】", "契約ID: C-1\n依頼種別: os-reinstall\n"
	  "内容: お願いします\n", 0, "os-reinstall", "form" },
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n依頼種別: その他\n"
	  "内容:\nサーバーがダウンしています。\n", 1, "fault-report", "rule" },
	{ "【フォーム】", "契約ID: C-1\nお名前: 山田\n依頼種別: ｻｰﾋﾞｽ監視 "
	  "除外設定\n内容:\nよろしく\n", 1, "service-monitoring-exclusion",
	  "form" },
	{ "", "", 0, "general", "rule" },
	{ NULL, NULL, 0, "general", "rule" },
};

START_TEST(test_classify)
{
	struct rules *r = load_checkout();
	size_t i, n = sizeof(classify_cases) / sizeof(classify_cases[0]);
	int bad = 0, pass;

	/* Twice: from the second classification on patterns are JIT
	 * compiled, which must not change a result. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			const struct classify_case *c = &classify_cases[i];
			struct rules_result res;
			struct mp_err err;

			if (rules_classify(r, c->subject, c->text, c->from_form,
					   &res, &err) < 0) {
				fprintf(stderr, "case %zu: error %s\n", i,
					err.msg);
				bad++;
				continue;
			}
			/* Nothing decided and no model: staff choose. */
			int want_triage = strcmp(res.rule, "default") == 0;

			if (!same(res.class, c->want) || !same(res.by, c->by) ||
			    res.triage != want_triage || res.confidence < 0 ||
			    res.confidence > 1) {
				fprintf(stderr, "case %zu: got %s by %s (rule "
					"%s), want %s by %s: %s\n", i,
					res.class, res.by, res.rule, c->want,
					c->by, str_or_null(c->text));
				bad++;
			}
		}
	rules_free(&r);
	ck_assert_msg(bad == 0, "%d classification cases failed", bad);
}
END_TEST

/* What the strip patterns and unquoting leave for the model to read. */
START_TEST(test_prepare)
{
	static const struct {
		const char *text;
		const char *gone;	/* must not be in the prepared body */
		const char *kept;	/* must be */
	} cases[] = {
		{ "再起動は不要です。監視だけ止めてください。", "再起動",
		  "監視だけ止めて" },
		{ "リブートはしなくて大丈夫です", "リブート", "" },
		{ "No need to reboot, just pause the HTTP check.", "reboot",
		  "pause the http check" },
		{ "please don't restart it; reset the root password", "restart",
		  "reset the root password" },
		{ "Please reboot web01.", "", "please reboot web01" },
		{ "ＷＥＢ０１をﾘﾌﾞｰﾄ", "", "web01をリブート" },
		{ "ok\n> please reboot\n", "reboot", "ok" },
		{ "ok\n-----Original Message-----\nplease reboot\n", "reboot",
		  "ok" },
	};
	struct rules *r = load_checkout();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_prepared p;
		struct mp_err err;

		ck_assert_msg(rules_prepare(r, "", cases[i].text, 0, &p,
					    &err) == 0, "case %zu: %s", i,
			      err.msg);
		ck_assert_msg(*cases[i].gone == '\0' ||
			      strstr(p.body, cases[i].gone) == NULL,
			      "case %zu: got \"%s\", want no \"%s\"", i,
			      p.body, cases[i].gone);
		ck_assert_msg(strstr(p.body, cases[i].kept) != NULL,
			      "case %zu: got \"%s\", want \"%s\"", i, p.body,
			      cases[i].kept);
		rules_prepared_release(&p);
	}
	rules_free(&r);
}
END_TEST

/* ---- classification: the model ----------------------------------------- */

/* A model written by hand: each class listed scores high on the
 * n-grams of one word (a word of its own, so no other feature adds). */
static const struct {
	const char *class, *word;
	double weight;
} hand_weights[] = {
	{ "reboot", "qqreboot", 60 },
	{ "password-reset", "qqpass", 60 },
	{ "general", "qqgeneral", 60 },
	{ "fault-report", "qqfault", 60 },
	{ "service-monitoring-change", "qqsvc", 60 },
};

static void
write_hand_model(const struct rules *r, const char *path)
{
	size_t n_classes = rules_item_count(r), c, i, j, k, n_rows = 0;
	const char **classes = calloc(n_classes, sizeof(*classes));
	double *bias = calloc(n_classes, sizeof(*bias));
	uint32_t keys[4096];
	double *w = calloc(4096 * n_classes, sizeof(*w));
	struct mp_err err;

	for (c = 0; c < n_classes; c++) {
		classes[c] = rules_item_at(r, c)->id;
		bias[c] = -6;	/* about 0.0025 with nothing said */
	}
	for (i = 0; i < sizeof(hand_weights) / sizeof(hand_weights[0]); i++) {
		struct ngrams fs = { 0 };

		ck_assert_int_eq(ngram_extract(&fs, NULL, hand_weights[i].word),
				 0);
		for (c = 0; c < n_classes; c++)
			if (strcmp(classes[c], hand_weights[i].class) == 0)
				break;
		ck_assert_uint_lt(c, n_classes);
		for (j = 0; j < fs.n; j++) {
			for (k = 0; k < n_rows && keys[k] != fs.v[j].bucket;
			     k++)
				;
			if (k == n_rows) {
				ck_assert_uint_lt(n_rows, 4096);
				keys[n_rows++] = fs.v[j].bucket;
			}
			/* Short n-grams ("q", "qq") are shared by every
			 * word: only the longer ones carry the class. */
			if (fs.v[j].len >= 3)
				w[k * n_classes + c] =
					hand_weights[i].weight / 10;
		}
		ngram_release(&fs);
	}
	/* Rows must be in bucket order: sort keys with their rows. */
	for (i = 1; i < n_rows; i++)
		for (j = i; j > 0 && keys[j - 1] > keys[j]; j--) {
			uint32_t t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
			for (c = 0; c < n_classes; c++) {
				double x = w[j * n_classes + c];
				w[j * n_classes + c] = w[(j - 1) * n_classes + c];
				w[(j - 1) * n_classes + c] = x;
			}
		}
	ck_assert_msg(model_write(path, classes, n_classes, bias, keys, w,
				  n_rows, &err) == 0, "%s", err.msg);
	free(classes);
	free(bias);
	free(w);
}

START_TEST(test_model)
{
	static const struct {
		const char *subject, *text;
		const char *want, *tasks;	/* tasks space-separated */
		int triage;
	} cases[] = {
		{ "", "qqreboot", "reboot", "reboot", 0 },
		{ "qqpass", "", "password-reset", "password-reset", 0 },
		{ "", "qqgeneral", "general", "", 0 },
		/* two tasks asked: both held, no triage */
		{ "", "qqreboot qqpass", "*", "reboot password-reset", 0 },
		/* a task and general about as strong: staff choose */
		{ "", "qqreboot qqgeneral", "*", "", 1 },
		/* nothing strong at all: no class is sure, staff choose */
		{ "", "hello", "*", "", 1 },
		/* a fault report never waits in triage */
		{ "", "qqfault qqgeneral", "fault-report", "", 0 },
		{ "", "qqfault qqreboot", "fault-report", "reboot", 0 },
		{ "", "qqsvc", "service-monitoring-change",
		  "service-monitoring-change", 0 },
	};
	struct rules *r = load_checkout();
	char path[] = "/tmp/mp-test-model.XXXXXX";
	struct mp_err err;
	size_t i, k;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_hand_model(r, path);
	ck_assert_int_eq(rules_model_load(r, path, &err), 1);
	ck_assert_int_eq(rules_model_check(r, path, NULL, NULL, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_result res;
		char got[512] = "";

		ck_assert_int_eq(rules_classify(r, cases[i].subject,
						cases[i].text, 0, &res, &err),
				 0);
		for (k = 0; k < res.n_tasks; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
				 "%s%s", k ? " " : "", res.tasks[k]);
		ck_assert_msg((strcmp(cases[i].want, "*") == 0 ||
			       strcmp(res.class, cases[i].want) == 0) &&
			      res.triage == cases[i].triage &&
			      (res.triage || strcmp(got, cases[i].tasks) == 0),
			      "case %zu: got %s (triage %d, tasks \"%s\"), want "
			      "%s (triage %d, tasks \"%s\")", i, res.class,
			      res.triage, got, cases[i].want, cases[i].triage,
			      cases[i].tasks);
		ck_assert_msg(strcmp(res.by, "model") == 0 ||
			      strcmp(res.class, "general") == 0,
			      "case %zu: by %s", i, res.by);
		if (strcmp(cases[i].want, "reboot") == 0) {
			/* why names an n-gram of the word that decided */
			char gram[32] = "";

			ck_assert_int_gt(res.n_why, 0);
			ck_assert_int_eq(sscanf(res.why[0], "model: \"%31[^\"]",
						gram), 1);
			ck_assert_msg(strlen(gram) >= 3 &&
				      strstr("qqreboot", gram) != NULL,
				      "case %zu: why %s", i, res.why[0]);
		}
	}
	/* A model of another feature version is refused. */
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\x63", 1, 8), 1);
	close(fd);
	ck_assert_int_eq(rules_model_load(r, path, &err), -1);
	ck_assert_msg(strstr(err.msg, "feature version") != NULL, "%s",
		      err.msg);
	unlink(path);
	ck_assert_int_eq(rules_model_load(r, path, &err), 0);
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
	tcase_add_test(tc, test_prepare);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_broken);
	tcase_add_test(tc, test_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}
