/*
 * Tests for charset.c.  Inputs are explicit byte escapes (JIS, Shift_JIS
 * and EUC-JP codes worked out from the code tables) or text encoded by
 * iconv at test time; expected results are UTF-8 literals in this file.
 */
#include <check.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"

/* ---- charset_to_utf8 on explicit bytes ---- */

#define IN(lit) lit, sizeof(lit) - 1

static const struct {
	const char *charset;
	const char *in;
	size_t len;
	const char *want;
	int want_r;
} conv_cases[] = {
	/* NEC row 13 and IBM extensions inside ISO-2022-JP (CP50220) */
	{ "ISO-2022-JP", IN("\x1b$B\x2d\x21\x1b(B"), "①", 0 },
	{ "ISO-2022-JP", IN("\x1b$B\x2d\x6a\x1b(B"), "㈱", 0 },
	{ "ISO-2022-JP", IN("\x1b$B\x2d\x35\x1b(B"), "Ⅰ", 0 },
	{ "ISO-2022-JP", IN("\x1b$B\x2d\x5f\x1b(B"), "㍻", 0 },
	{ "ISO-2022-JP", IN("\x1b$B\x7c\x62\x1b(B"), "髙", 0 },
	{ "iso-2022-jp", IN("No.\x1b$B-!-j\x1b(B ok"), "No.①㈱ ok", 0 },
	/* ordinary kanji and kana in each charset */
	{ "ISO-2022-JP", IN("\x1b$BF|K\\8l$N%F%9%H\x1b(B"),
	  "日本語のテスト", 0 },
	{ "csISO2022JP", IN("a \x1b$BF|K\\\x1b(B b"), "a 日本 b", 0 },
	{ "ISO-2022-JP-2", IN("\x1b$BF|K\\\x1b(B"), "日本", 0 },
	{ "ISO-2022-JP", IN("\x1b$@F|K\\\x1b(B"), "日本", 0 },
	{ "Shift_JIS",
	  IN("\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x58\x83\x67"),
	  "日本語のテスト", 0 },
	{ "CP932", IN("\x93\xfa\x96\x7b"), "日本", 0 },
	{ "SJIS", IN("\x93\xfa\x96\x7b"), "日本", 0 },
	{ "x-sjis", IN("\x93\xfa\x96\x7b"), "日本", 0 },
	{ "MS932", IN("\x93\xfa\x96\x7b"), "日本", 0 },
	{ "Windows-31J", IN("\x93\xfa\x96\x7b"), "日本", 0 },
	{ "\"shift_jis\"", IN("\x93\xfa\x96\x7b"), "日本", 0 },
	{ "EUC-JP",
	  IN("\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce\xa5\xc6\xa5\xb9\xa5\xc8"),
	  "日本語のテスト", 0 },
	{ "UTF-8", IN("\xe6\x97\xa5\xe6\x9c\xac"), "日本", 0 },
	{ "utf8", IN("\xe6\x97\xa5\xe6\x9c\xac"), "日本", 0 },
	/* Shift_JIS means CP932: the Windows characters people type */
	{ "Shift_JIS", IN("\x81\x60\x81\x7c\x81\x61"),
	  "\xef\xbd\x9e\xef\xbc\x8d\xe2\x88\xa5", 0 },	/* ～－∥ */
	{ "Shift_JIS", IN("\x87\x40\xee\xe0"), "①髙", 0 },
	{ "Shift_JIS", IN("a\\b~c"), "a\\b~c", 0 },
	/* EUC-JP falls back to EUC-JP-MS for NEC row 13 */
	{ "EUC-JP", IN("\xad\xa1 \xc6\xfc"), "① 日", 0 },
	/* half-width katakana */
	{ "ISO-2022-JP", IN("\x1b(I12\x1b(B"), "ｱｲ", 0 },
	{ "ISO-2022-JP", IN("a\x0e" "12\x0f" "b"), "aｱｲb", 0 },
	{ "ISO-2022-JP", IN("\x1b$BF|\x1b(I1\x1b$BK\\\x1b(B"), "日ｱ本", 0 },
	{ "Shift_JIS", IN("\xb1\xb2"), "ｱｲ", 0 },
	{ "EUC-JP", IN("\x8e\xb1\x8e\xb2"), "ｱｲ", 0 },
	/* undeclared ISO-2022-JP (Outlook) */
	{ NULL, IN("\x1b$BF|K\\\x1b(B"), "日本", 0 },
	{ "", IN("\x1b$BF|K\\\x1b(B"), "日本", 0 },
	{ "us-ascii", IN("\x1b$BF|K\\\x1b(B"), "日本", 0 },
	{ "US-ASCII", IN("Re: \x1b$@F|\x1b(B"), "Re: 日", 0 },
	{ NULL, IN("plain text"), "plain text", 0 },
	/* undeclared or mislabelled 8-bit text is guessed */
	{ NULL, IN("\xe6\x97\xa5\xe6\x9c\xac"), "日本", 0 },
	{ "us-ascii", IN("\xe6\x97\xa5\xe6\x9c\xac"), "日本", 1 },
	{ NULL, IN("\x93\xfa\x96\x7b\x8c\xea\x82\xcc"), "日本語の", 1 },
	{ NULL, IN("\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce"), "日本語の", 1 },
	{ "iso-2022-jp", IN("\x93\xfa\x96\x7b"), "日本", 1 },
	/* unknown charset names */
	{ "x-no-such-charset", IN("\xe6\x97\xa5\xe6\x9c\xac"), "日本", 1 },
	{ "x-no-such-charset", IN("\x93\xfa\x96\x7b\x8c\xea\x82\xcc"),
	  "日本語の", 1 },
	{ "x-no-such-charset", IN("abc"), "abc", 1 },
	{ "unknown-8bit", IN("\x1b$BF|\x1b(B"), "日", 1 },
	{ "utf-8//TRANSLIT", IN("ab"), "ab", 1 },
	/* other charsets go to iconv */
	{ "ISO-8859-1", IN("caf\xe9"), "café", 0 },
	{ "iso-8859-1", IN("\x80"), "€", 0 },	/* as windows-1252 */
	{ "KOI8-R", IN("\xf0\xd2\xc9\xd7\xc5\xd4"), "Привет", 0 },
	{ "ks_c_5601-1987", IN("\xc7\xd1"), "한", 0 },
	/* invalid bytes mid-text: replaced, the rest kept */
	{ "UTF-8", IN("ab\xff" "cd"), "ab\xef\xbf\xbd" "cd", 1 },
	{ "UTF-8", IN("a\xe6\x97" "b\xe6\x97\xa5"), "a\xef\xbf\xbd" "b日", 1 },
	{ "UTF-8", IN("\xed\xa0\x80z"),
	  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz", 1 },
	{ "Shift_JIS", IN("\x93\xfa\xff\x96\x7b"), "日\xef\xbf\xbd本", 1 },
	{ "Shift_JIS", IN("\x93\xfa\x96"), "日\xef\xbf\xbd", 1 },
	{ "EUC-JP", IN("\xc6\xfc\xff\xcb\xdc"), "日\xef\xbf\xbd本", 1 },
	{ "ISO-2022-JP", IN("\x1b$BF\x1b(Babc"), "\xef\xbf\xbd" "abc", 1 },
	{ "ISO-2022-JP", IN("\x1b$B\x29\x21\x1b(B ok"),
	  "\xef\xbf\xbd ok", 1 },
	{ "ISO-2022-JP", IN("a\x1b(Zb"), "a\xef\xbf\xbd" "b", 1 },
	{ "ISO-2022-JP", IN("a\x1b"), "a\xef\xbf\xbd", 1 },
	/* NUL bytes never truncate the text */
	{ "UTF-8", IN("a\0b"), "a\xef\xbf\xbd" "b", 1 },
	{ NULL, IN("a\0b"), "a\xef\xbf\xbd" "b", 1 },
	{ "Shift_JIS", IN("\x93\xfa\0\x96\x7b"), "日\xef\xbf\xbd本", 1 },
	{ "ISO-2022-JP", IN("\x1b$BF|\x1b(B\0\x1b$BK\\\x1b(B"),
	  "日\xef\xbf\xbd本", 1 },
	{ "UTF-16LE", IN("a\0b\0"), "ab", 0 },
	/* empty input */
	{ "ISO-2022-JP", IN(""), "", 0 },
	{ NULL, IN(""), "", 0 },
};

START_TEST(test_to_utf8)
{
	size_t i;

	for (i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++) {
		char *out = NULL;
		size_t outlen = 0;
		int r;

		r = charset_to_utf8(conv_cases[i].charset, conv_cases[i].in,
				    conv_cases[i].len, &out, &outlen);
		ck_assert_msg(out != NULL, "case %zu: got NULL output", i);
		ck_assert_msg(strcmp(out, conv_cases[i].want) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, out,
			      conv_cases[i].want);
		ck_assert_msg(outlen == strlen(out),
			      "case %zu: got length %zu, want %zu", i, outlen,
			      strlen(out));
		ck_assert_msg(r == conv_cases[i].want_r,
			      "case %zu: got return %d, want %d", i, r,
			      conv_cases[i].want_r);
		free(out);
	}
}
END_TEST

/* ---- charset_to_utf8 on text iconv encodes at test time ---- */

static const struct {
	const char *encoder;	/* iconv name used to make the input */
	const char *label;	/* what the mail says */
	const char *text;
} roundtrip_cases[] = {
	{ "ISO-2022-JP", "ISO-2022-JP",
	  "お問い合わせ：サーバーの再起動をお願いします。" },
	{ "ISO-2022-JP", NULL, "監視設定項目変更について" },
	{ "ISO-2022-JP-3", "ISO-2022-JP", "ｻｰﾊﾞｰ 再起動" },
	{ "SHIFT_JIS", "Shift_JIS", "パスワード初期化代行のお願い" },
	{ "CP932", "Shift_JIS", "①②㈱Ⅰ㍻～－∥髙" },
	{ "CP932", "Windows-31J", "ﾃｽﾄ 半角カナ" },
	{ "EUC-JP", "EUC-JP", "リブート代行・作業実施" },
	{ "EUC-JP-MS", "EUC-JP", "①㈱ 年末年始" },
	{ "UTF-8", "UTF-8", "営業時間 9:30〜18:00" },
};

/* Encodes UTF-8 text into a new malloc'd buffer with iconv. */
static char *
encode(const char *cs, const char *text, size_t *len_r)
{
	size_t il = strlen(text), ol = il * 4 + 16, cap = ol;
	char *out = malloc(cap), *ip = (char *)text, *op = out;
	iconv_t cd = iconv_open(cs, "UTF-8");

	ck_assert_msg(cd != (iconv_t)-1, "iconv cannot encode %s", cs);
	ck_assert(out != NULL);
	ck_assert_msg(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 &&
		      iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1,
		      "iconv cannot encode \"%s\" as %s", text, cs);
	iconv_close(cd);
	*len_r = op - out;
	return out;
}

START_TEST(test_roundtrip)
{
	size_t i, n = sizeof(roundtrip_cases) / sizeof(roundtrip_cases[0]);

	for (i = 0; i < n; i++) {
		size_t len, outlen;
		char *in, *out;
		int r;

		in = encode(roundtrip_cases[i].encoder,
			    roundtrip_cases[i].text, &len);
		r = charset_to_utf8(roundtrip_cases[i].label, in, len, &out,
				    &outlen);
		ck_assert_msg(strcmp(out, roundtrip_cases[i].text) == 0,
			      "case %zu: got \"%s\", want \"%s\"", i, out,
			      roundtrip_cases[i].text);
		ck_assert_msg(r == 0, "case %zu: got return %d, want 0", i, r);
		free(in);
		free(out);
	}
}
END_TEST

/* ---- charset_sniff ---- */

static const struct {
	const char *in;
	size_t len;
	const char *want;
} sniff_cases[] = {
	{ IN("hello"), "us-ascii" },
	{ IN(""), "us-ascii" },
	{ IN("esc \x1b[1m bold"), "us-ascii" },
	{ IN("\x1b$BF|\x1b(B"), "iso-2022-jp" },
	{ IN("\x1b$@F|\x1b(B"), "iso-2022-jp" },
	{ IN("\x1b(I1\x1b(B"), "iso-2022-jp" },
	{ IN("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "utf-8" },
	{ IN("caf\xc3\xa9"), "utf-8" },
	{ IN("\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x58\x83\x67"),
	  "cp932" },
	{ IN("\x82\xa8\x96\xe2\x82\xa2\x8d\x87\x82\xed\x82\xb9"),
	  "cp932" },	/* お問い合わせ */
	{ IN("\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce\xa5\xc6\xa5\xb9\xa5\xc8"),
	  "euc-jp" },
	{ IN("\xa4\xaa\xcc\xe4\xa4\xa4\xb9\xe7\xa4\xef\xa4\xbb"),
	  "euc-jp" },	/* お問い合わせ */
	/* UTF-8 with one stray byte is still UTF-8 */
	{ IN("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86"
	     "\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99\xff"),
	  "utf-8" },
	/* ISO-8859-1 is not forced into CP932 private-use characters */
	{ IN("Gr\xfc\xdf" "e, J\xf6rg"), "windows-1252" },
	{ IN("Caf\xe9 na\xef" "ve, se\xf1or"), "windows-1252" },
	/* half-width katakana only (CP932) is Japanese, not EUC-JP */
	{ IN("\xba\xdd\xc6\xc1\xca \xbb\xb0\xca\xde\xb0\xa6"),
	  "cp932" },	/* ｺﾝﾆﾁﾊ ｻｰﾊﾞｰｦ */
	{ IN("\xb2\xac\xc5\xc4 \xbd\xa4"), "euc-jp" },	/* 岡田 修 */
};

START_TEST(test_sniff)
{
	size_t i;

	for (i = 0; i < sizeof(sniff_cases) / sizeof(sniff_cases[0]); i++) {
		const char *got = charset_sniff(sniff_cases[i].in,
						sniff_cases[i].len);

		ck_assert_msg(strcmp(got, sniff_cases[i].want) == 0,
			      "case %zu: got %s, want %s", i, got,
			      sniff_cases[i].want);
	}
}
END_TEST

/* ---- header prepass ---- */

/* Base64 of the UTF-8 texts below, worked out independently:
 * ① 4pGg, 日本語 5pel5pys6Kqe, あa 44GCYQ==, ab YWI=. */
static const struct {
	int all;		/* use charset_header_prepass_all() */
	const char *raw;
	const char *want;	/* NULL: no change */
	int want_defect;
} prepass_cases[] = {
	{ 0, "=?ISO-2022-JP?B?GyRCLSEbKEI=?=", "=?UTF-8?B?4pGg?=", 0 },
	{ 0, "=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?=",
	  "=?UTF-8?B?5pel5pys6Kqe?=", 0 },
	{ 0, "=?iso-2022-jp?q?=1B$BF|K=5C8l=1B(B?=",
	  "=?UTF-8?B?5pel5pys6Kqe?=", 0 },
	/* a character split across two words, folded */
	{ 0, "=?ISO-2022-JP?B?GyRCRg==?=\r\n =?ISO-2022-JP?B?fEtcOGwbKEI=?=",
	  "=?UTF-8?B?5pel5pys6Kqe?=", 0 },
	{ 0, "=?ISO-2022-JP?B?GyRCRnxLXA==?= =?ISO-2022-JP?B?OGwbKEI=?=",
	  "=?UTF-8?B?5pel5pys6Kqe?=", 0 },
	/* shift state carried into the next word */
	{ 0, "=?ISO-2022-JP?B?GyRCRnw=?= =?ISO-2022-JP?B?S1w4bBsoQg==?=",
	  "=?UTF-8?B?5pel5pys6Kqe?=", 0 },
	/* mixed B and Q, mixed case, text around the run kept */
	{ 0, "Re: =?ISO-2022-JP?B?GyRCRnw=?=\n\t=?Iso-2022-Jp?Q?K=5C8l=1B(B?="
	     " [SUP#12]",
	  "Re: =?UTF-8?B?5pel5pys6Kqe?= [SUP#12]", 0 },
	{ 0, "\"=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\" <a@example.jp>",
	  "\"=?UTF-8?B?5pel5pys6Kqe?=\" <a@example.jp>", 0 },
	/* a run with an ISO-2022-JP word is rewritten whole */
	{ 0, "=?ISO-2022-JP?B?GyRCJCIbKEI=?= =?UTF-8?B?YQ==?=",
	  "=?UTF-8?B?44GCYQ==?=", 0 },
	/* no ISO-2022-JP words: left for GMime */
	{ 0, "Hello world", NULL, 0 },
	{ 0, "=?UTF-8?B?5pel5pys?= and =?iso-8859-1?q?caf=E9?=", NULL, 0 },
	{ 0, "=?ISO-2022-JP?B?broken", NULL, 0 },
	/* raw 8-bit bytes outside encoded words */
	{ 0, "\x93\xfa\x96\x7b\x8c\xea\x82\xcc subject", "日本語の subject",
	  1 },
	{ 0, "\xc6\xfc\xcb\xdc\xb8\xec\xa4\xce subject", "日本語の subject",
	  1 },
	{ 0, "\xe6\x97\xa5\xe6\x9c\xac subject", NULL, 0 },
	{ 0, "\x1b$BF|K\\\x1b(B subject", "日本 subject", 1 },
	{ 0, "\x93\xfa\x96\x7b =?iso-2022-jp?B?GyRCJCIbKEI=?=",
	  "日本 =?UTF-8?B?44GC?=", 1 },
	/* defects: bad bytes in a word */
	{ 0, "=?ISO-2022-JP?B?GyRCRhsoQg==?=", "=?UTF-8?B?77+9?=", 1 },
	/* the _all variant rewrites every run */
	{ 1, "=?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?=", "=?UTF-8?B?YWI=?=", 0 },
	{ 1, "=?UTF-8?B?5pel5g==?= =?UTF-8?B?nKzoqp4=?=",
	  "=?UTF-8?B?5pel5pys6Kqe?=", 0 },
	{ 1, "a =?x-unknown?B?5pel5pys6Kqe?= b",
	  "a =?UTF-8?B?5pel5pys6Kqe?= b", 1 },
	{ 1, "no words here", NULL, 0 },
};

START_TEST(test_prepass)
{
	size_t i, n = sizeof(prepass_cases) / sizeof(prepass_cases[0]);

	for (i = 0; i < n; i++) {
		int defect = -2;
		char *got;

		if (prepass_cases[i].all)
			got = charset_header_prepass_all(prepass_cases[i].raw,
							 &defect);
		else
			got = charset_header_prepass(prepass_cases[i].raw,
						     &defect);
		if (prepass_cases[i].want == NULL)
			ck_assert_msg(got == NULL,
				      "case %zu: got \"%s\", want NULL", i,
				      got);
		else
			ck_assert_msg(got != NULL &&
				      strcmp(got, prepass_cases[i].want) == 0,
				      "case %zu: got \"%s\", want \"%s\"", i,
				      got ? got : "(NULL)",
				      prepass_cases[i].want);
		ck_assert_msg(defect == prepass_cases[i].want_defect,
			      "case %zu: got defect %d, want %d", i, defect,
			      prepass_cases[i].want_defect);
		free(got);
	}
}
END_TEST

Suite *
suite_charset(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("charset");

	tcase_add_test(tc, test_to_utf8);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_sniff);
	tcase_add_test(tc, test_prepass);
	suite_add_tcase(s, tc);
	return s;
}
