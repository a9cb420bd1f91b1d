/*
 * test_holiday.c: the national holiday calendar against the Cabinet
 * Office's published lists (内閣府「国民の祝日について」 and its CSV of
 * past holidays), one table per rule of the Act.  Every expectation here
 * was written from those lists, not from the code's output.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "holiday.h"

struct failures {
	int n;
	char first[512];
};

static void failed(struct failures *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
failed(struct failures *f, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
	if (f->n++ == 0)
		snprintf(f->first, sizeof(f->first), "%s", line);
}

#define CHECK_FAILURES(f) \
	ck_assert_msg((f).n == 0, "%d case(s) failed, first: %s", (f).n, \
		      (f).first)

struct day_case {
	int y, m, d;
	const char *want;	/* NULL: not a holiday */
};

static void
run_days(const struct day_case *c, size_t n)
{
	struct failures f = { 0, "" };
	const char *got;
	size_t i;

	for (i = 0; i < n; i++) {
		got = holiday_name(c[i].y, c[i].m, c[i].d);
		if ((got == NULL) != (c[i].want == NULL) ||
		    (got != NULL && strcmp(got, c[i].want) != 0))
			failed(&f, "case %zu (%04d-%02d-%02d): got %s, want %s",
			       i, c[i].y, c[i].m, c[i].d,
			       got != NULL ? got : "(none)",
			       c[i].want != NULL ? c[i].want : "(none)");
	}
	CHECK_FAILURES(f);
}

#define RUN_DAYS(table) run_days(table, sizeof(table) / sizeof(table[0]))

/* Fixed-date holidays and each change of their dates. */
START_TEST(test_fixed_dates)
{
	static const struct day_case c[] = {
		{ 1948, 5, 3, NULL },		/* before the Act */
		{ 1948, 7, 20, NULL },
		{ 1948, 9, 23, "秋分の日" },
		{ 1948, 11, 3, "文化の日" },
		{ 1949, 1, 1, "元日" },
		{ 1949, 1, 15, "成人の日" },
		{ 1949, 4, 29, "天皇誕生日" },
		{ 1966, 2, 11, NULL },		/* 建国記念の日 from 1967 */
		{ 1967, 2, 11, "建国記念の日" },
		{ 1965, 9, 15, NULL },		/* 敬老の日 from 1966 */
		{ 1966, 9, 15, "敬老の日" },
		{ 1965, 10, 10, NULL },		/* 体育の日 from 1966 */
		{ 1966, 10, 10, "体育の日" },
		{ 1988, 4, 29, "天皇誕生日" },
		{ 1988, 12, 23, NULL },
		{ 1989, 4, 29, "みどりの日" },
		{ 1989, 12, 23, "天皇誕生日" },
		{ 2006, 4, 29, "みどりの日" },
		{ 2007, 4, 29, "昭和の日" },
		{ 2007, 5, 4, "みどりの日" },
		{ 2018, 12, 23, "天皇誕生日" },
		{ 2019, 2, 23, NULL },
		{ 2019, 12, 23, NULL },		/* no 天皇誕生日 in 2019 */
		{ 2020, 2, 23, "天皇誕生日" },
		{ 2020, 12, 23, NULL },
		{ 1995, 7, 20, NULL },		/* 海の日 from 1996 */
		{ 1996, 7, 20, "海の日" },
		{ 2002, 7, 20, "海の日" },
		{ 2015, 8, 11, NULL },		/* 山の日 from 2016 */
		{ 2016, 8, 11, "山の日" },
		{ 2019, 10, 14, "体育の日" },
		{ 2022, 10, 10, "スポーツの日" },
		{ 2025, 5, 3, "憲法記念日" },
		{ 2025, 5, 5, "こどもの日" },
		{ 2025, 11, 3, "文化の日" },
		{ 2025, 11, 23, "勤労感謝の日" },
		{ 2025, 12, 31, NULL },
		{ 2025, 1, 2, NULL },
	};

	RUN_DAYS(c);
}
END_TEST

/* Happy Monday: 成人の日 and 体育の日 from 2000, 海の日 and 敬老の日 from
 * 2003. */
START_TEST(test_happy_monday)
{
	static const struct day_case c[] = {
		{ 1999, 1, 15, "成人の日" },
		{ 1999, 1, 11, NULL },
		{ 2000, 1, 10, "成人の日" },
		{ 2000, 1, 15, NULL },
		{ 2024, 1, 8, "成人の日" },
		{ 2025, 1, 13, "成人の日" },
		{ 1999, 10, 10, "体育の日" },
		{ 2000, 10, 9, "体育の日" },
		{ 2000, 10, 10, NULL },
		{ 2019, 10, 14, "体育の日" },
		{ 2024, 10, 14, "スポーツの日" },
		{ 2002, 9, 15, "敬老の日" },
		{ 2003, 7, 20, NULL },
		{ 2003, 7, 21, "海の日" },
		{ 2003, 9, 15, "敬老の日" },
		{ 2004, 9, 15, NULL },
		{ 2004, 9, 20, "敬老の日" },
		{ 2025, 7, 21, "海の日" },
		{ 2025, 9, 15, "敬老の日" },
		{ 2026, 7, 20, "海の日" },
		{ 2026, 9, 21, "敬老の日" },
	};

	RUN_DAYS(c);
}
END_TEST

/* The Olympic moves of 2020 and 2021 and the special one-off days. */
START_TEST(test_special_days)
{
	static const struct day_case c[] = {
		{ 1959, 4, 10, "皇太子明仁親王の結婚の儀" },
		{ 1989, 2, 24, "昭和天皇の大喪の礼" },
		{ 1990, 11, 12, "即位礼正殿の儀" },
		{ 1993, 6, 9, "皇太子徳仁親王の結婚の儀" },
		{ 2019, 4, 30, HOLIDAY_CITIZENS },
		{ 2019, 5, 1, "天皇の即位の日" },
		{ 2019, 5, 2, HOLIDAY_CITIZENS },
		{ 2019, 10, 21, NULL },
		{ 2019, 10, 22, "即位礼正殿の儀" },
		{ 2018, 10, 22, NULL },
		{ 2020, 7, 20, NULL },
		{ 2020, 7, 23, "海の日" },
		{ 2020, 7, 24, "スポーツの日" },
		{ 2020, 8, 10, "山の日" },
		{ 2020, 8, 11, NULL },
		{ 2020, 10, 12, NULL },
		{ 2021, 7, 19, NULL },
		{ 2021, 7, 22, "海の日" },
		{ 2021, 7, 23, "スポーツの日" },
		{ 2021, 8, 8, "山の日" },
		{ 2021, 8, 9, HOLIDAY_SUBSTITUTE },
		{ 2021, 8, 11, NULL },
		{ 2021, 10, 11, NULL },
		{ 2022, 7, 18, "海の日" },
		{ 2022, 8, 11, "山の日" },
	};

	RUN_DAYS(c);
}
END_TEST

/* 振替休日: none before 1973-04-12; the Monday after a Sunday holiday
 * until 2006; from 2007 the next day that is not a holiday. */
START_TEST(test_substitute)
{
	static const struct day_case c[] = {
		{ 1973, 2, 12, NULL },		/* 02-11 Sunday, law not yet */
		{ 1973, 4, 30, HOLIDAY_SUBSTITUTE },
		{ 1973, 9, 24, HOLIDAY_SUBSTITUTE },
		{ 1987, 5, 4, HOLIDAY_SUBSTITUTE },
		{ 1989, 1, 2, HOLIDAY_SUBSTITUTE },
		{ 1989, 1, 16, HOLIDAY_SUBSTITUTE },
		{ 1995, 1, 16, HOLIDAY_SUBSTITUTE },
		{ 1998, 5, 4, HOLIDAY_SUBSTITUTE },
		{ 1998, 5, 6, NULL },		/* old rule: no carry-over */
		{ 1997, 5, 4, NULL },		/* a Sunday, not a 祝日 */
		{ 1997, 5, 6, NULL },
		{ 1999, 10, 11, HOLIDAY_SUBSTITUTE },
		{ 2001, 12, 24, HOLIDAY_SUBSTITUTE },
		{ 2002, 9, 16, HOLIDAY_SUBSTITUTE },
		{ 2003, 5, 4, NULL },
		{ 2003, 5, 6, NULL },
		{ 2005, 3, 21, HOLIDAY_SUBSTITUTE },
		{ 2006, 1, 2, HOLIDAY_SUBSTITUTE },
		{ 2007, 4, 30, HOLIDAY_SUBSTITUTE },
		{ 2008, 5, 6, HOLIDAY_SUBSTITUTE },	/* new rule */
		{ 2008, 5, 7, NULL },
		{ 2009, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2009, 5, 7, NULL },
		{ 2013, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2014, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2015, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2018, 12, 24, HOLIDAY_SUBSTITUTE },
		{ 2019, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2019, 8, 12, HOLIDAY_SUBSTITUTE },
		{ 2019, 11, 4, HOLIDAY_SUBSTITUTE },
		{ 2020, 2, 24, HOLIDAY_SUBSTITUTE },
		{ 2020, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2023, 1, 2, HOLIDAY_SUBSTITUTE },
		{ 2024, 2, 12, HOLIDAY_SUBSTITUTE },
		{ 2024, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2024, 8, 12, HOLIDAY_SUBSTITUTE },
		{ 2024, 9, 23, HOLIDAY_SUBSTITUTE },
		{ 2024, 11, 4, HOLIDAY_SUBSTITUTE },
		{ 2025, 2, 24, HOLIDAY_SUBSTITUTE },
		{ 2025, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2025, 11, 24, HOLIDAY_SUBSTITUTE },
		{ 2026, 5, 6, HOLIDAY_SUBSTITUTE },
		{ 2025, 11, 25, NULL },
		{ 2024, 11, 24, NULL },		/* 11-23 Saturday: nothing */
	};

	RUN_DAYS(c);
}
END_TEST

/* 国民の休日: from 1985-12-27 a day between two 祝日; until 2006 not on
 * a Sunday nor on a 振替休日. */
START_TEST(test_citizens)
{
	static const struct day_case c[] = {
		{ 1985, 5, 4, NULL },		/* before the amendment */
		{ 1986, 5, 4, NULL },		/* Sunday */
		{ 1988, 5, 4, HOLIDAY_CITIZENS },
		{ 1993, 5, 4, HOLIDAY_CITIZENS },
		{ 2006, 5, 4, HOLIDAY_CITIZENS },
		{ 2009, 9, 22, HOLIDAY_CITIZENS },
		{ 2014, 9, 22, NULL },
		{ 2015, 9, 22, HOLIDAY_CITIZENS },
		{ 2019, 4, 30, HOLIDAY_CITIZENS },
		{ 2019, 5, 2, HOLIDAY_CITIZENS },
		{ 2020, 9, 22, "秋分の日" },
		{ 2026, 9, 22, HOLIDAY_CITIZENS },
		{ 2032, 9, 21, HOLIDAY_CITIZENS },
		{ 2037, 9, 22, HOLIDAY_CITIZENS },
	};

	RUN_DAYS(c);
}
END_TEST

/* Equinox days against the published dates (and the approximation's
 * well-known values towards the end of the century). */
START_TEST(test_equinox)
{
	static const struct {
		int y, vernal, autumnal;
	} c[] = {
		{ 1979, 21, 24 },
		{ 1980, 20, 23 },
		{ 1989, 21, 23 },
		{ 1990, 21, 23 },
		{ 2000, 20, 23 },
		{ 2009, 20, 23 },
		{ 2012, 20, 22 },
		{ 2019, 21, 23 },
		{ 2020, 20, 22 },
		{ 2023, 21, 23 },
		{ 2024, 20, 22 },
		{ 2025, 20, 23 },
		{ 2026, 20, 23 },
		{ 2030, 20, 23 },
		{ 2044, 20, 22 },
		{ 2092, 19, 22 },
		{ 2096, 19, 22 },
		{ 2099, 20, 23 },
	};
	struct failures f = { 0, "" };
	const char *name;
	size_t i;
	int v, a;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = holiday_vernal_equinox(c[i].y);
		a = holiday_autumnal_equinox(c[i].y);
		if (v != c[i].vernal || a != c[i].autumnal)
			failed(&f, "case %zu (%d): got 03-%02d/09-%02d, "
			       "want 03-%02d/09-%02d", i, c[i].y, v, a,
			       c[i].vernal, c[i].autumnal);
		name = holiday_name(c[i].y, 3, c[i].vernal);
		if (name == NULL || strcmp(name, "春分の日") != 0)
			failed(&f, "case %zu (%d-03-%02d): got %s, "
			       "want 春分の日", i, c[i].y, c[i].vernal,
			       name != NULL ? name : "(none)");
		name = holiday_name(c[i].y, 9, c[i].autumnal);
		if (name == NULL || strcmp(name, "秋分の日") != 0)
			failed(&f, "case %zu (%d-09-%02d): got %s, "
			       "want 秋分の日", i, c[i].y, c[i].autumnal,
			       name != NULL ? name : "(none)");
	}
	CHECK_FAILURES(f);
}
END_TEST

/* Whole years, as the Cabinet Office lists them. */
START_TEST(test_years)
{
	static const struct {
		int year;
		const char *days;	/* "MM-DD name" joined by "|" */
	} c[] = {
		{ 1989, "01-01 元日|01-02 振替休日|01-15 成人の日|"
			"01-16 振替休日|02-11 建国記念の日|"
			"02-24 昭和天皇の大喪の礼|03-21 春分の日|"
			"04-29 みどりの日|05-03 憲法記念日|05-04 国民の休日|"
			"05-05 こどもの日|09-15 敬老の日|09-23 秋分の日|"
			"10-10 体育の日|11-03 文化の日|11-23 勤労感謝の日|"
			"12-23 天皇誕生日" },
		{ 1990, "01-01 元日|01-15 成人の日|02-11 建国記念の日|"
			"02-12 振替休日|03-21 春分の日|04-29 みどりの日|"
			"04-30 振替休日|05-03 憲法記念日|05-04 国民の休日|"
			"05-05 こどもの日|09-15 敬老の日|09-23 秋分の日|"
			"09-24 振替休日|10-10 体育の日|11-03 文化の日|"
			"11-12 即位礼正殿の儀|11-23 勤労感謝の日|"
			"12-23 天皇誕生日|12-24 振替休日" },
		{ 2009, "01-01 元日|01-12 成人の日|02-11 建国記念の日|"
			"03-20 春分の日|04-29 昭和の日|05-03 憲法記念日|"
			"05-04 みどりの日|05-05 こどもの日|05-06 振替休日|"
			"07-20 海の日|09-21 敬老の日|09-22 国民の休日|"
			"09-23 秋分の日|10-12 体育の日|11-03 文化の日|"
			"11-23 勤労感謝の日|12-23 天皇誕生日" },
		{ 2019, "01-01 元日|01-14 成人の日|02-11 建国記念の日|"
			"03-21 春分の日|04-29 昭和の日|04-30 国民の休日|"
			"05-01 天皇の即位の日|05-02 国民の休日|"
			"05-03 憲法記念日|05-04 みどりの日|05-05 こどもの日|"
			"05-06 振替休日|07-15 海の日|08-11 山の日|"
			"08-12 振替休日|09-16 敬老の日|09-23 秋分の日|"
			"10-14 体育の日|10-22 即位礼正殿の儀|11-03 文化の日|"
			"11-04 振替休日|11-23 勤労感謝の日" },
		{ 2020, "01-01 元日|01-13 成人の日|02-11 建国記念の日|"
			"02-23 天皇誕生日|02-24 振替休日|03-20 春分の日|"
			"04-29 昭和の日|05-03 憲法記念日|05-04 みどりの日|"
			"05-05 こどもの日|05-06 振替休日|07-23 海の日|"
			"07-24 スポーツの日|08-10 山の日|09-21 敬老の日|"
			"09-22 秋分の日|11-03 文化の日|11-23 勤労感謝の日" },
		{ 2021, "01-01 元日|01-11 成人の日|02-11 建国記念の日|"
			"02-23 天皇誕生日|03-20 春分の日|04-29 昭和の日|"
			"05-03 憲法記念日|05-04 みどりの日|05-05 こどもの日|"
			"07-22 海の日|07-23 スポーツの日|08-08 山の日|"
			"08-09 振替休日|09-20 敬老の日|09-23 秋分の日|"
			"11-03 文化の日|11-23 勤労感謝の日" },
		{ 2024, "01-01 元日|01-08 成人の日|02-11 建国記念の日|"
			"02-12 振替休日|02-23 天皇誕生日|03-20 春分の日|"
			"04-29 昭和の日|05-03 憲法記念日|05-04 みどりの日|"
			"05-05 こどもの日|05-06 振替休日|07-15 海の日|"
			"08-11 山の日|08-12 振替休日|09-16 敬老の日|"
			"09-22 秋分の日|09-23 振替休日|10-14 スポーツの日|"
			"11-03 文化の日|11-04 振替休日|11-23 勤労感謝の日" },
		{ 2025, "01-01 元日|01-13 成人の日|02-11 建国記念の日|"
			"02-23 天皇誕生日|02-24 振替休日|03-20 春分の日|"
			"04-29 昭和の日|05-03 憲法記念日|05-04 みどりの日|"
			"05-05 こどもの日|05-06 振替休日|07-21 海の日|"
			"08-11 山の日|09-15 敬老の日|09-23 秋分の日|"
			"10-13 スポーツの日|11-03 文化の日|"
			"11-23 勤労感謝の日|11-24 振替休日" },
		{ 2026, "01-01 元日|01-12 成人の日|02-11 建国記念の日|"
			"02-23 天皇誕生日|03-20 春分の日|04-29 昭和の日|"
			"05-03 憲法記念日|05-04 みどりの日|05-05 こどもの日|"
			"05-06 振替休日|07-20 海の日|08-11 山の日|"
			"09-21 敬老の日|09-22 国民の休日|09-23 秋分の日|"
			"10-12 スポーツの日|11-03 文化の日|"
			"11-23 勤労感謝の日" },
	};
	struct failures f = { 0, "" };
	struct holiday list[40];
	char got[2048], entry[128];
	size_t i, used;
	int n, k;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = holiday_list(c[i].year, list, 40);
		got[0] = '\0';
		used = 0;
		for (k = 0; k < n && k < 40; k++) {
			snprintf(entry, sizeof(entry), "%s%02d-%02d %s",
				 k > 0 ? "|" : "", list[k].month, list[k].day,
				 list[k].name);
			if (used + strlen(entry) < sizeof(got)) {
				memcpy(got + used, entry, strlen(entry) + 1);
				used += strlen(entry);
			}
		}
		if (strcmp(got, c[i].days) != 0)
			failed(&f, "case %zu (%d): got %s, want %s", i,
			       c[i].year, got, c[i].days);
	}
	CHECK_FAILURES(f);
}
END_TEST

/* Outside the covered range and invalid dates. */
START_TEST(test_range)
{
	static const struct day_case c[] = {
		{ 1900, 1, 1, NULL },
		{ 1947, 1, 1, NULL },
		{ 2150, 1, 1, "元日" },
		{ 2151, 1, 1, NULL },
		{ 2025, 2, 29, NULL },
		{ 2025, 13, 1, NULL },
		{ 2025, 0, 1, NULL },
		{ 2025, 1, 0, NULL },
		{ 2025, 1, 32, NULL },
	};

	RUN_DAYS(c);
}
END_TEST

/* The day arithmetic the calendar rests on. */
START_TEST(test_daynum)
{
	static const struct {
		int y, m, d;
		long dn;
		int wd;
	} c[] = {
		{ 1970, 1, 1, 0, 4 },
		{ 1969, 12, 31, -1, 3 },
		{ 2000, 3, 1, 11017, 3 },
		{ 2025, 6, 2, 20241, 1 },
		{ 1948, 7, 20, -7835, 2 },
		{ 2100, 3, 1, 47541, 1 },
	};
	struct failures f = { 0, "" };
	size_t i;
	long dn;
	int y, m, d, wd;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		dn = holiday_daynum(c[i].y, c[i].m, c[i].d);
		wd = holiday_weekday(dn);
		holiday_civil(c[i].dn, &y, &m, &d);
		if (dn != c[i].dn || wd != c[i].wd)
			failed(&f, "case %zu: got %ld/%d, want %ld/%d", i, dn,
			       wd, c[i].dn, c[i].wd);
		if (y != c[i].y || m != c[i].m || d != c[i].d)
			failed(&f, "case %zu: got %04d-%02d-%02d, want "
			       "%04d-%02d-%02d", i, y, m, d, c[i].y, c[i].m,
			       c[i].d);
	}
	CHECK_FAILURES(f);
}
END_TEST

Suite *
suite_holiday(void)
{
	Suite *s = suite_create("holiday");
	TCase *tc = tcase_create("calendar");

	tcase_add_test(tc, test_fixed_dates);
	tcase_add_test(tc, test_happy_monday);
	tcase_add_test(tc, test_special_days);
	tcase_add_test(tc, test_substitute);
	tcase_add_test(tc, test_citizens);
	tcase_add_test(tc, test_equinox);
	tcase_add_test(tc, test_years);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_daynum);
	suite_add_tcase(s, tc);
	return s;
}
