/*
 * test_hours.c: business hours with a fixed clock.  Instants are built
 * with timegm() minus the zone's offset, independently of hours.c.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "hours.h"

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
#define N(table) (sizeof(table) / sizeof(table[0]))

struct at {
	int y, mo, d, h, mi, s;
};

/* The instant of a wall-clock time at a fixed offset (seconds east). */
static time_t
at_offset(struct at a, long off)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = a.y - 1900;
	tm.tm_mon = a.mo - 1;
	tm.tm_mday = a.d;
	tm.tm_hour = a.h;
	tm.tm_min = a.mi;
	tm.tm_sec = a.s;
	return timegm(&tm) - off;
}

static time_t
jst(struct at a)
{
	return at_offset(a, 9 * 3600);
}

/* Wall-clock text of t in JST, for messages. */
static const char *
show(time_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t l = t + 9 * 3600;

	gmtime_r(&l, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static const char *
reason_text(enum hours_reason r)
{
	return r == HOURS_OPEN ? "open" : hours_reason_name(r);
}

static void
init_default(struct hours *h)
{
	struct mp_err err;

	ck_assert_msg(hours_init(h, NULL, NULL, NULL, NULL, NULL, &err) == 0,
		      "hours_init: %s", err.msg);
}

/* Open, reason, holiday and next opening at boundary instants, with the
 * default configuration. */
START_TEST(test_status)
{
	static const struct {
		struct at t;
		int open;
		enum hours_reason reason;
		const char *holiday;
		struct at next;
	} c[] = {
		/* 2025-06-02 is a Monday. */
		{ { 2025, 6, 2, 9, 29, 59 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 6, 2, 9, 30, 0 } },
		{ { 2025, 6, 2, 9, 30, 0 }, 1, HOURS_OPEN, NULL,
		  { 2025, 6, 2, 9, 30, 0 } },
		{ { 2025, 6, 2, 17, 59, 59 }, 1, HOURS_OPEN, NULL,
		  { 2025, 6, 2, 17, 59, 59 } },
		{ { 2025, 6, 2, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 6, 3, 9, 30, 0 } },
		{ { 2025, 6, 2, 23, 59, 59 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 6, 3, 9, 30, 0 } },
		{ { 2025, 6, 3, 0, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 6, 3, 9, 30, 0 } },
		{ { 2025, 6, 6, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 6, 9, 9, 30, 0 } },
		{ { 2025, 6, 7, 12, 0, 0 }, 0, HOURS_WEEKEND, NULL,
		  { 2025, 6, 9, 9, 30, 0 } },
		{ { 2025, 6, 8, 0, 0, 0 }, 0, HOURS_WEEKEND, NULL,
		  { 2025, 6, 9, 9, 30, 0 } },
		/* Friday evening before 海の日 (Monday 07-21). */
		{ { 2025, 7, 18, 19, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 7, 22, 9, 30, 0 } },
		{ { 2025, 7, 21, 10, 0, 0 }, 0, HOURS_HOLIDAY, "海の日",
		  { 2025, 7, 22, 9, 30, 0 } },
		{ { 2025, 9, 12, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 9, 16, 9, 30, 0 } },
		{ { 2025, 11, 24, 10, 0, 0 }, 0, HOURS_HOLIDAY, "振替休日",
		  { 2025, 11, 25, 9, 30, 0 } },
		/* Silver week 2026: 09-21 敬老の日, 09-22 国民の休日,
		 * 09-23 秋分の日. */
		{ { 2026, 9, 18, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2026, 9, 24, 9, 30, 0 } },
		{ { 2026, 9, 22, 12, 0, 0 }, 0, HOURS_HOLIDAY, "国民の休日",
		  { 2026, 9, 24, 9, 30, 0 } },
		{ { 2025, 5, 2, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 5, 7, 9, 30, 0 } },
		{ { 2019, 4, 26, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2019, 5, 7, 9, 30, 0 } },
		/* Year end: 2026-12-28 Monday to 2027-01-04 Monday. */
		{ { 2026, 12, 28, 17, 59, 59 }, 1, HOURS_OPEN, NULL,
		  { 2026, 12, 28, 17, 59, 59 } },
		{ { 2026, 12, 28, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2026, 12, 29, 10, 0, 0 }, 0, HOURS_CLOSURE, NULL,
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2027, 1, 1, 10, 0, 0 }, 0, HOURS_HOLIDAY, "元日",
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2027, 1, 2, 10, 0, 0 }, 0, HOURS_CLOSURE, NULL,
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2027, 1, 3, 12, 0, 0 }, 0, HOURS_CLOSURE, NULL,
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2027, 1, 4, 9, 29, 59 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2027, 1, 4, 9, 30, 0 }, 1, HOURS_OPEN, NULL,
		  { 2027, 1, 4, 9, 30, 0 } },
		{ { 2029, 12, 28, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2030, 1, 4, 9, 30, 0 } },
		{ { 2024, 12, 27, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS, NULL,
		  { 2025, 1, 6, 9, 30, 0 } },
		{ { 2024, 12, 28, 10, 0, 0 }, 0, HOURS_WEEKEND, NULL,
		  { 2025, 1, 6, 9, 30, 0 } },
		{ { 2025, 12, 31, 23, 59, 59 }, 0, HOURS_CLOSURE, NULL,
		  { 2026, 1, 5, 9, 30, 0 } },
		/* A Sunday holiday says holiday, not weekend. */
		{ { 2025, 11, 23, 10, 0, 0 }, 0, HOURS_HOLIDAY, "勤労感謝の日",
		  { 2025, 11, 25, 9, 30, 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct hours_status st;
	struct mp_err err;
	char b1[32], b2[32];
	size_t i;

	init_default(&h);
	for (i = 0; i < N(c); i++) {
		if (hours_status(&h, jst(c[i].t), &st, &err) < 0) {
			failed(&f, "case %zu: got error %s", i, err.msg);
			continue;
		}
		if (st.open != c[i].open || st.reason != c[i].reason)
			failed(&f, "case %zu: got open=%d reason=%s, want "
			       "open=%d reason=%s", i, st.open,
			       reason_text(st.reason), c[i].open,
			       reason_text(c[i].reason));
		if ((st.holiday == NULL) != (c[i].holiday == NULL) ||
		    (st.holiday != NULL &&
		     strcmp(st.holiday, c[i].holiday) != 0))
			failed(&f, "case %zu: got holiday %s, want %s", i,
			       st.holiday ? st.holiday : "(none)",
			       c[i].holiday ? c[i].holiday : "(none)");
		if (st.next_open != jst(c[i].next))
			failed(&f, "case %zu: got next_open %s, want %s", i,
			       show(st.next_open, b1, sizeof(b1)),
			       show(jst(c[i].next), b2, sizeof(b2)));
	}
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* next_close: the end of the opening now running or next. */
START_TEST(test_next_close)
{
	static const struct {
		const char *business_hours;
		struct at t, close;
	} c[] = {
		{ NULL, { 2025, 6, 2, 10, 0, 0 }, { 2025, 6, 2, 18, 0, 0 } },
		{ NULL, { 2025, 6, 7, 10, 0, 0 }, { 2025, 6, 9, 18, 0, 0 } },
		/* Round the clock on weekdays: joined across midnight,
		 * ending at the weekend. */
		{ "mon-fri 00:00-24:00", { 2025, 6, 2, 10, 0, 0 },
		  { 2025, 6, 7, 0, 0, 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct hours_status st;
	struct mp_err err;
	char b1[32], b2[32];
	size_t i;

	for (i = 0; i < N(c); i++) {
		if (hours_init(&h, NULL, c[i].business_hours, NULL, NULL,
			       NULL, &err) < 0) {
			failed(&f, "case %zu: got error %s", i, err.msg);
			continue;
		}
		if (hours_status(&h, jst(c[i].t), &st, &err) < 0)
			failed(&f, "case %zu: got error %s", i, err.msg);
		else if (st.next_close != jst(c[i].close))
			failed(&f, "case %zu: got next_close %s, want %s", i,
			       show(st.next_close, b1, sizeof(b1)),
			       show(jst(c[i].close), b2, sizeof(b2)));
		hours_release(&h);
	}
	CHECK_FAILURES(f);
}
END_TEST

/* Extra closed and open dates. */
START_TEST(test_extra_dates)
{
	static const struct {
		struct at t;
		int open;
		enum hours_reason reason;
		struct at next;
	} c[] = {
		{ { 2025, 6, 3, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS,
		  { 2025, 6, 5, 9, 30, 0 } },
		{ { 2025, 6, 4, 10, 0, 0 }, 0, HOURS_CLOSURE,
		  { 2025, 6, 5, 9, 30, 0 } },
		/* Saturday 06-07 opened: Monday's hours. */
		{ { 2025, 6, 6, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS,
		  { 2025, 6, 7, 9, 30, 0 } },
		{ { 2025, 6, 7, 9, 0, 0 }, 0, HOURS_OUTSIDE_HOURS,
		  { 2025, 6, 7, 9, 30, 0 } },
		{ { 2025, 6, 7, 10, 0, 0 }, 1, HOURS_OPEN,
		  { 2025, 6, 7, 10, 0, 0 } },
		{ { 2025, 6, 7, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS,
		  { 2025, 6, 9, 9, 30, 0 } },
		/* 01-02 opened inside the year-end closure. */
		{ { 2025, 1, 2, 10, 0, 0 }, 1, HOURS_OPEN,
		  { 2025, 1, 2, 10, 0, 0 } },
		{ { 2024, 12, 27, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS,
		  { 2025, 1, 2, 9, 30, 0 } },
		/* A holiday opened. */
		{ { 2025, 7, 21, 10, 0, 0 }, 1, HOURS_OPEN,
		  { 2025, 7, 21, 10, 0, 0 } },
		/* Summer break 08-12..08-15 after 山の日 08-11. */
		{ { 2025, 8, 8, 18, 0, 0 }, 0, HOURS_OUTSIDE_HOURS,
		  { 2025, 8, 18, 9, 30, 0 } },
		{ { 2025, 8, 13, 10, 0, 0 }, 0, HOURS_CLOSURE,
		  { 2025, 8, 18, 9, 30, 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct hours_status st;
	struct mp_err err;
	char b1[32], b2[32];
	size_t i;

	ck_assert_msg(hours_init(&h, "Asia/Tokyo", "mon-fri 09:30-18:00",
				 "12-29..01-03",
				 "2025-06-04 2025-08-12..2025-08-15",
				 "2025-06-07,2025-01-02, 2025-07-21",
				 &err) == 0, "hours_init: %s", err.msg);
	for (i = 0; i < N(c); i++) {
		if (hours_status(&h, jst(c[i].t), &st, &err) < 0) {
			failed(&f, "case %zu: got error %s", i, err.msg);
			continue;
		}
		if (st.open != c[i].open || st.reason != c[i].reason)
			failed(&f, "case %zu: got open=%d reason=%s, want "
			       "open=%d reason=%s", i, st.open,
			       reason_text(st.reason), c[i].open,
			       reason_text(c[i].reason));
		if (st.next_open != jst(c[i].next))
			failed(&f, "case %zu: got next_open %s, want %s", i,
			       show(st.next_open, b1, sizeof(b1)),
			       show(jst(c[i].next), b2, sizeof(b2)));
	}
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* Business time between instants. */
START_TEST(test_between)
{
	static const struct {
		struct at a, b;
		long long want;
	} c[] = {
		/* Across a weekend: Friday 17:00 to Monday 10:30. */
		{ { 2025, 6, 6, 17, 0, 0 }, { 2025, 6, 9, 10, 30, 0 }, 7200 },
		{ { 2025, 6, 9, 10, 30, 0 }, { 2025, 6, 6, 17, 0, 0 }, -7200 },
		{ { 2025, 6, 2, 9, 30, 0 }, { 2025, 6, 9, 9, 30, 0 },
		  5 * 30600 },
		{ { 2025, 6, 2, 12, 0, 0 }, { 2025, 6, 2, 13, 0, 0 }, 3600 },
		{ { 2025, 6, 2, 12, 0, 0 }, { 2025, 6, 2, 12, 0, 0 }, 0 },
		{ { 2025, 6, 2, 7, 0, 0 }, { 2025, 6, 2, 20, 0, 0 }, 30600 },
		{ { 2025, 6, 7, 0, 0, 0 }, { 2025, 6, 9, 0, 0, 0 }, 0 },
		{ { 2025, 6, 2, 18, 0, 0 }, { 2025, 6, 3, 9, 30, 0 }, 0 },
		/* Across a Monday holiday. */
		{ { 2025, 7, 18, 17, 0, 0 }, { 2025, 7, 22, 10, 0, 0 }, 5400 },
		/* Across the year-end closure. */
		{ { 2026, 12, 28, 17, 0, 0 }, { 2027, 1, 4, 10, 0, 0 }, 5400 },
		/* June 2025: 21 working days. */
		{ { 2025, 6, 1, 0, 0, 0 }, { 2025, 7, 1, 0, 0, 0 },
		  21 * 30600 },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct mp_err err;
	long long got;
	size_t i;

	init_default(&h);
	for (i = 0; i < N(c); i++) {
		if (hours_between(&h, jst(c[i].a), jst(c[i].b), &got,
				  &err) < 0)
			failed(&f, "case %zu: got error %s", i, err.msg);
		else if (got != c[i].want)
			failed(&f, "case %zu: got %lld, want %lld", i, got,
			       c[i].want);
	}
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* Due times from first_response_within values. */
START_TEST(test_due)
{
	static const struct {
		const char *business_hours;
		const char *within;
		struct at t, want;
	} c[] = {
		{ NULL, "1 business day",
		  { 2025, 6, 2, 10, 0, 0 }, { 2025, 6, 3, 10, 0, 0 } },
		{ NULL, "1 business day",
		  { 2025, 6, 6, 10, 0, 0 }, { 2025, 6, 9, 10, 0, 0 } },
		/* From a closed instant: the close of the next opening's
		 * day, not the opening of the day after. */
		{ NULL, "1 business day",
		  { 2025, 6, 6, 20, 0, 0 }, { 2025, 6, 9, 18, 0, 0 } },
		{ NULL, "2 business days",
		  { 2025, 6, 7, 10, 0, 0 }, { 2025, 6, 10, 18, 0, 0 } },
		{ NULL, "1 business day",
		  { 2025, 6, 2, 9, 30, 0 }, { 2025, 6, 2, 18, 0, 0 } },
		{ NULL, "1 business day",
		  { 2025, 6, 2, 9, 30, 1 }, { 2025, 6, 3, 9, 30, 1 } },
		{ NULL, "1 business day",
		  { 2025, 7, 18, 19, 0, 0 }, { 2025, 7, 22, 18, 0, 0 } },
		{ NULL, "1 business day",
		  { 2025, 6, 2, 17, 59, 59 }, { 2025, 6, 3, 17, 59, 59 } },
		{ NULL, "1 business day",
		  { 2025, 6, 2, 18, 0, 0 }, { 2025, 6, 3, 18, 0, 0 } },
		{ NULL, "2 business days",
		  { 2025, 7, 17, 15, 0, 0 }, { 2025, 7, 22, 15, 0, 0 } },
		{ NULL, "1 business day",
		  { 2026, 12, 28, 10, 0, 0 }, { 2027, 1, 4, 10, 0, 0 } },
		{ NULL, "0 business days",
		  { 2025, 6, 7, 10, 0, 0 }, { 2025, 6, 9, 9, 30, 0 } },
		{ NULL, "4 business hours",
		  { 2025, 6, 6, 16, 0, 0 }, { 2025, 6, 9, 11, 30, 0 } },
		{ NULL, "4 business hours",
		  { 2025, 6, 2, 14, 0, 0 }, { 2025, 6, 2, 18, 0, 0 } },
		{ NULL, "30 business minutes",
		  { 2025, 6, 2, 17, 45, 0 }, { 2025, 6, 3, 9, 45, 0 } },
		{ NULL, "0 business hours",
		  { 2025, 6, 7, 10, 0, 0 }, { 2025, 6, 9, 9, 30, 0 } },
		{ NULL, "0 business hours",
		  { 2025, 6, 2, 10, 0, 0 }, { 2025, 6, 2, 10, 0, 0 } },
		/* A lunch break. */
		{ "mon-fri 09:00-12:00,13:00-18:00", "1 business day",
		  { 2025, 6, 2, 14, 0, 0 }, { 2025, 6, 3, 14, 0, 0 } },
		{ "mon-fri 09:00-12:00,13:00-18:00", "3 business hours",
		  { 2025, 6, 2, 11, 0, 0 }, { 2025, 6, 2, 15, 0, 0 } },
		{ "mon-fri 09:00-12:00,13:00-18:00", "1 business day",
		  { 2025, 6, 2, 12, 30, 0 }, { 2025, 6, 3, 12, 0, 0 } },
		/* A shorter next day ends at its close. */
		{ "mon-fri 09:00-18:00; sat 10:00-12:00", "1 business day",
		  { 2025, 6, 6, 15, 0, 0 }, { 2025, 6, 7, 12, 0, 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct hours_within w;
	struct mp_err err;
	char b1[32], b2[32];
	time_t got;
	size_t i;

	for (i = 0; i < N(c); i++) {
		if (hours_init(&h, NULL, c[i].business_hours, NULL, NULL,
			       NULL, &err) < 0) {
			failed(&f, "case %zu: got error %s", i, err.msg);
			continue;
		}
		if (hours_parse_within(c[i].within, &w, &err) < 0 ||
		    hours_due(&h, jst(c[i].t), &w, &got, &err) < 0)
			failed(&f, "case %zu: got error %s", i, err.msg);
		else if (got != jst(c[i].want))
			failed(&f, "case %zu (%s): got %s, want %s", i,
			       c[i].within, show(got, b1, sizeof(b1)),
			       show(jst(c[i].want), b2, sizeof(b2)));
		hours_release(&h);
	}
	CHECK_FAILURES(f);
}
END_TEST

START_TEST(test_parse_within)
{
	static const struct {
		const char *s;
		int ok, days;
		long long amount;
	} c[] = {
		{ "1 business day", 1, 1, 1 },
		{ "2 business days", 1, 1, 2 },
		{ "4 business hours", 1, 0, 14400 },
		{ "1 business hour", 1, 0, 3600 },
		{ "30 business minutes", 1, 0, 1800 },
		{ "  1  Business  DAY ", 1, 1, 1 },
		{ "0 business hours", 1, 0, 0 },
		{ "", 0, 0, 0 },
		{ "1 day", 0, 0, 0 },
		{ "business day", 0, 0, 0 },
		{ "1 business", 0, 0, 0 },
		{ "1 business week", 0, 0, 0 },
		{ "-1 business days", 0, 0, 0 },
		{ "1.5 business days", 0, 0, 0 },
		{ "1business day", 0, 0, 0 },
		{ "1 businessday", 0, 0, 0 },
		{ "1 business days x", 0, 0, 0 },
		{ "365 business days", 1, 1, 365 },
		{ "366 business days", 0, 0, 0 },
		{ "8760 business hours", 1, 0, 8760LL * 3600 },
		{ "8761 business hours", 0, 0, 0 },
		{ "99999 business days", 0, 0, 0 },
		{ "99999999999999999999 business hours", 0, 0, 0 },
	};
	struct failures f = { 0, "" };
	struct hours_within w;
	struct mp_err err;
	size_t i;
	int ok;

	for (i = 0; i < N(c); i++) {
		memset(&w, 0, sizeof(w));
		ok = hours_parse_within(c[i].s, &w, &err) == 0;
		if (ok != c[i].ok)
			failed(&f, "case %zu (\"%s\"): got %s, want %s", i,
			       c[i].s, ok ? "ok" : "error",
			       c[i].ok ? "ok" : "error");
		else if (ok && ((w.unit == HOURS_WITHIN_DAYS) != c[i].days ||
				w.amount != c[i].amount))
			failed(&f, "case %zu (\"%s\"): got %lld %s, want "
			       "%lld %s", i, c[i].s, w.amount,
			       w.unit == HOURS_WITHIN_DAYS ? "days" : "s",
			       c[i].amount, c[i].days ? "days" : "s");
	}
	CHECK_FAILURES(f);
}
END_TEST

/* The config grammar: which strings are accepted, and that a rejection
 * names its key. */
START_TEST(test_config)
{
	static const struct {
		const char *tz, *bh, *closure, *closed, *open;
		const char *bad_key;	/* NULL: accepted */
	} c[] = {
		{ NULL, NULL, NULL, NULL, NULL, NULL },
		{ "UTC", NULL, NULL, NULL, NULL, NULL },
		{ "+09:00", NULL, NULL, NULL, NULL, NULL },
		{ "Mars/Olympus_Mons", NULL, NULL, NULL, NULL, "timezone" },
		{ "", NULL, NULL, NULL, NULL, "timezone" },
		{ NULL, "Mon-Fri 9:30-18:00", NULL, NULL, NULL, NULL },
		{ NULL, "mon,wed,fri 10:00-16:00", NULL, NULL, NULL, NULL },
		{ NULL, "fri-mon 00:00-24:00", NULL, NULL, NULL, NULL },
		{ NULL, "mon-fri 09:00-12:00 13:00-18:00", NULL, NULL, NULL,
		  NULL },
		{ NULL, "sat 10:00-12:00; mon-fri 09:30-18:00", NULL, NULL,
		  NULL, NULL },
		{ NULL, "", NULL, NULL, NULL, "business_hours" },
		{ NULL, "mon-fri", NULL, NULL, NULL, "business_hours" },
		{ NULL, "mon-fry 09:00-18:00", NULL, NULL, NULL,
		  "business_hours" },
		{ NULL, "mon-fri 18:00-09:30", NULL, NULL, NULL,
		  "business_hours" },
		{ NULL, "mon-fri 09:30-24:01", NULL, NULL, NULL,
		  "business_hours" },
		{ NULL, "mon-fri 9-18", NULL, NULL, NULL, "business_hours" },
		{ NULL, "mon-fri 09:30-18:60", NULL, NULL, NULL,
		  "business_hours" },
		{ NULL, NULL, "none", NULL, NULL, NULL },
		{ NULL, NULL, "", NULL, NULL, NULL },
		{ NULL, NULL, "12-31", NULL, NULL, NULL },
		{ NULL, NULL, "08-13..08-16, 12-29..01-03", NULL, NULL, NULL },
		{ NULL, NULL, "02-29", NULL, NULL, NULL },
		{ NULL, NULL, "12-32", NULL, NULL, "year_end_closure" },
		{ NULL, NULL, "13-01..01-03", NULL, NULL, "year_end_closure" },
		{ NULL, NULL, "12-29..", NULL, NULL, "year_end_closure" },
		{ NULL, NULL, "2025-12-29", NULL, NULL, "year_end_closure" },
		{ NULL, NULL, NULL, "", "", NULL },
		{ NULL, NULL, NULL, "2025-06-04", NULL, NULL },
		{ NULL, NULL, NULL, "2025-06-04, 2025-06-05", NULL, NULL },
		{ NULL, NULL, NULL, "2025-08-12..2025-08-15", NULL, NULL },
		{ NULL, NULL, NULL, "2024-02-29", NULL, NULL },
		{ NULL, NULL, NULL, "2025-02-29", NULL, "closed_dates" },
		{ NULL, NULL, NULL, "2025-6-4", NULL, "closed_dates" },
		{ NULL, NULL, NULL, "2025-06-05..2025-06-04", NULL,
		  "closed_dates" },
		{ NULL, NULL, NULL, "tomorrow", NULL, "closed_dates" },
		{ NULL, NULL, NULL, NULL, "2025-06-07", NULL },
		{ NULL, NULL, NULL, NULL, "2025-06-31", "open_dates" },
		{ NULL, NULL, NULL, "2025-06-04", "2025-06-01..2025-06-30",
		  "open_dates" },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct mp_err err;
	size_t i;
	int ok;

	for (i = 0; i < N(c); i++) {
		mp_err_clear(&err);
		ok = hours_init(&h, c[i].tz, c[i].bh, c[i].closure,
				c[i].closed, c[i].open, &err) == 0;
		if (ok)
			hours_release(&h);
		if (ok != (c[i].bad_key == NULL))
			failed(&f, "case %zu: got %s, want %s", i,
			       ok ? "ok" : err.msg,
			       c[i].bad_key ? c[i].bad_key : "ok");
		else if (!ok && (strncmp(err.msg, c[i].bad_key,
					 strlen(c[i].bad_key)) != 0 ||
				 err.msg[strlen(c[i].bad_key)] != ':'))
			failed(&f, "case %zu: got \"%s\", want key %s", i,
			       err.msg, c[i].bad_key);
	}
	CHECK_FAILURES(f);
}
END_TEST

struct reports {
	int n;
	char keys[256];
};

static void
collect(const char *key, const char *msg, void *arg)
{
	struct reports *r = arg;
	size_t used = strlen(r->keys);

	(void)msg;
	snprintf(r->keys + used, sizeof(r->keys) - used, "%s%s",
		 used > 0 ? " " : "", key);
	r->n++;
}

START_TEST(test_check_conf)
{
	static const struct {
		const char *bh, *closure, *within, *closed, *open;
		int n;
		const char *keys;
	} c[] = {
		{ NULL, NULL, NULL, NULL, NULL, 0, "" },
		{ "mon-fri 09:30-18:00", "12-29..01-03", "4 business hours",
		  "2025-06-04", "2025-06-07", 0, "" },
		{ "weekdays", NULL, "1 day", NULL, NULL, 2,
		  "business_hours first_response_within" },
		{ NULL, "12-29..01-33", NULL, "x", "y", 3,
		  "year_end_closure closed_dates open_dates" },
	};
	struct failures f = { 0, "" };
	struct reports r;
	struct conf conf;
	size_t i;
	int n;

	for (i = 0; i < N(c); i++) {
		memset(&conf, 0, sizeof(conf));
		memset(&r, 0, sizeof(r));
		conf.business_hours = (char *)c[i].bh;
		conf.year_end_closure = (char *)c[i].closure;
		conf.first_response_within = (char *)c[i].within;
		conf.closed_dates = (char *)c[i].closed;
		conf.open_dates = (char *)c[i].open;
		n = hours_check_conf(&conf, collect, &r);
		if (n != c[i].n || r.n != c[i].n ||
		    strcmp(r.keys, c[i].keys) != 0)
			failed(&f, "case %zu: got %d \"%s\", want %d \"%s\"",
			       i, n, r.keys, c[i].n, c[i].keys);
	}
	CHECK_FAILURES(f);
}
END_TEST

/* ISO 8601 output in several zones, and the forms for people. */
START_TEST(test_format)
{
	static const struct {
		const char *tz;
		struct at utc;
		const char *iso, *ja, *en;
	} c[] = {
		{ "Asia/Tokyo", { 2025, 6, 2, 0, 30, 0 },
		  "2025-06-02T09:30:00+09:00", "2025年6月2日（月）9:30",
		  "Monday 2 June 2025, 9:30 Japan time" },
		{ "Asia/Tokyo", { 2025, 12, 31, 15, 0, 0 },
		  "2026-01-01T00:00:00+09:00", "2026年1月1日（木）0:00",
		  "Thursday 1 January 2026, 0:00 Japan time" },
		{ "UTC", { 2025, 6, 2, 0, 30, 5 },
		  "2025-06-02T00:30:05+00:00",
		  "2025年6月2日（月）0:30（UTC+00:00）",
		  "Monday 2 June 2025, 0:30 (UTC+00:00)" },
		{ "America/New_York", { 2025, 7, 1, 12, 0, 0 },
		  "2025-07-01T08:00:00-04:00",
		  "2025年7月1日（火）8:00（UTC-04:00）",
		  "Tuesday 1 July 2025, 8:00 (UTC-04:00)" },
		{ "America/New_York", { 2025, 1, 1, 12, 0, 0 },
		  "2025-01-01T07:00:00-05:00",
		  "2025年1月1日（水）7:00（UTC-05:00）",
		  "Wednesday 1 January 2025, 7:00 (UTC-05:00)" },
		{ "Asia/Kolkata", { 2025, 6, 2, 0, 0, 0 },
		  "2025-06-02T05:30:00+05:30",
		  "2025年6月2日（月）5:30（UTC+05:30）",
		  "Monday 2 June 2025, 5:30 (UTC+05:30)" },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct mp_err err;
	char iso[64], ja[128], en[128];
	size_t i;
	time_t t;

	for (i = 0; i < N(c); i++) {
		if (hours_init(&h, c[i].tz, NULL, NULL, NULL, NULL,
			       &err) < 0) {
			failed(&f, "case %zu: got error %s", i, err.msg);
			continue;
		}
		t = at_offset(c[i].utc, 0);
		if (hours_format(&h, t, iso, sizeof(iso), &err) < 0 ||
		    hours_format_human(&h, t, "ja", ja, sizeof(ja),
				       &err) < 0 ||
		    hours_format_human(&h, t, "en", en, sizeof(en),
				       &err) < 0)
			failed(&f, "case %zu: got error %s", i, err.msg);
		else if (strcmp(iso, c[i].iso) != 0 ||
			 strcmp(ja, c[i].ja) != 0 || strcmp(en, c[i].en) != 0)
			failed(&f, "case %zu: got %s | %s | %s, want "
			       "%s | %s | %s", i, iso, ja, en, c[i].iso,
			       c[i].ja, c[i].en);
		hours_release(&h);
	}
	init_default(&h);
	t = at_offset(c[0].utc, 0);
	if (hours_format(&h, t, iso, 10, &err) == 0)
		failed(&f, "short buffer: got ok, want error");
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* --at forms: with offset, Z, local time in the configured zone. */
START_TEST(test_parse_time)
{
	static const struct {
		const char *s;
		int ok;
		struct at utc;
	} c[] = {
		{ "2025-06-02T09:30:00+09:00", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-02T00:30:00Z", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-02T00:30:00z", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-02T09:30:00", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-02T02:30:00+02:00", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-01T19:30:00-05:00", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-02T09:30+09:00", 1, { 2025, 6, 2, 0, 30, 0 } },
		{ "2025-06-02", 1, { 2025, 6, 1, 15, 0, 0 } },
		{ "", 0, { 0, 0, 0, 0, 0, 0 } },
		{ "yesterday", 0, { 0, 0, 0, 0, 0, 0 } },
		{ "2025-13-01T00:00:00Z", 0, { 0, 0, 0, 0, 0, 0 } },
		{ "2025-06-02T25:00:00Z", 0, { 0, 0, 0, 0, 0, 0 } },
		{ "2025-06-02T09:30:00+09:00 junk", 0,
		  { 0, 0, 0, 0, 0, 0 } },
		{ "2025-02-30", 0, { 0, 0, 0, 0, 0, 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct mp_err err;
	time_t got;
	size_t i;
	int ok;

	init_default(&h);
	for (i = 0; i < N(c); i++) {
		got = 0;
		ok = hours_parse_time(&h, c[i].s, &got, &err) == 0;
		if (ok != c[i].ok)
			failed(&f, "case %zu (\"%s\"): got %s, want %s", i,
			       c[i].s, ok ? "ok" : err.msg,
			       c[i].ok ? "ok" : "error");
		else if (ok && got != at_offset(c[i].utc, 0))
			failed(&f, "case %zu (\"%s\"): got %lld, want %lld",
			       i, c[i].s, (long long)got,
			       (long long)at_offset(c[i].utc, 0));
	}
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* The zone is the configured one: the machine's TZ plays no part, and a
 * DST change inside the opening counts real seconds. */
START_TEST(test_zones)
{
	struct failures f = { 0, "" };
	struct hours h;
	struct hours_status st;
	struct mp_err err;
	long long secs;
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	struct at a = { 2025, 6, 2, 9, 30, 0 };

	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	init_default(&h);
	if (hours_status(&h, jst(a), &st, &err) < 0 || !st.open)
		failed(&f, "case 0: got closed, want open at 09:30 JST "
		       "under TZ=America/Los_Angeles");
	hours_release(&h);
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);

	/* UTC desk: 09:30 UTC opens. */
	ck_assert(hours_init(&h, "UTC", NULL, NULL, NULL, NULL, &err) == 0);
	if (hours_status(&h, at_offset(a, 0), &st, &err) < 0 || !st.open)
		failed(&f, "case 1: got closed, want open at 09:30 UTC");
	if (hours_status(&h, at_offset(a, 0) - 1, &st, &err) < 0 || st.open)
		failed(&f, "case 2: got open, want closed at 09:29:59 UTC");
	hours_release(&h);

	/* New York springs forward on 2025-03-09 at 02:00: 01:00-04:00
	 * holds two real hours that day, three the day before. */
	ck_assert(hours_init(&h, "America/New_York", "mon-sun 01:00-04:00",
			     "none", NULL, NULL, &err) == 0);
	if (hours_between(&h, at_offset((struct at){ 2025, 3, 9, 5, 0, 0 },
					0),
			  at_offset((struct at){ 2025, 3, 10, 4, 0, 0 }, 0),
			  &secs, &err) < 0 || secs != 7200)
		failed(&f, "case 3: got %lld, want 7200", secs);
	if (hours_between(&h, at_offset((struct at){ 2025, 3, 8, 5, 0, 0 },
					0),
			  at_offset((struct at){ 2025, 3, 9, 5, 0, 0 }, 0),
			  &secs, &err) < 0 || secs != 10800)
		failed(&f, "case 4: got %lld, want 10800", secs);
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* Lifetimes (identity_token_ttl, callback_escalate_after): business
 * forms as hours_due, wall-clock durations moved out of closed time.
 * Nothing ends during the year-end closure. */
START_TEST(test_ttl)
{
	static const struct {
		const char *ttl;
		struct at t, want;	/* want.y 0: a parse error */
	} c[] = {
		/* Friday 12-26 10:00 + 3 business days, closure 12-29..01-03:
		 * Wednesday 01-07, so still pending all of Monday 01-05. */
		{ "3 business days",
		  { 2025, 12, 26, 10, 0, 0 }, { 2026, 1, 7, 10, 0, 0 } },
		{ "3 Business Days",
		  { 2025, 12, 26, 17, 0, 0 }, { 2026, 1, 7, 17, 0, 0 } },
		{ "8 business hours",
		  { 2025, 12, 26, 15, 0, 0 }, { 2026, 1, 5, 14, 30, 0 } },
		/* Wall-clock: 72 h from Friday 12-26 lands in the closure
		 * and moves to the first opening after it. */
		{ "72h",
		  { 2025, 12, 26, 10, 0, 0 }, { 2026, 1, 5, 9, 30, 0 } },
		{ "72h",
		  { 2025, 6, 2, 10, 0, 0 }, { 2025, 6, 5, 10, 0, 0 } },
		{ "3600",
		  { 2025, 6, 2, 17, 30, 0 }, { 2025, 6, 3, 9, 30, 0 } },
		{ "3d",
		  { 2025, 6, 4, 12, 0, 0 }, { 2025, 6, 9, 9, 30, 0 } },
		{ "30s", { 2025, 6, 2, 10, 0, 0 }, { 0 } },
		{ "91d", { 2025, 6, 2, 10, 0, 0 }, { 0 } },
		{ "3 weeks", { 2025, 6, 2, 10, 0, 0 }, { 0 } },
		{ "business days", { 2025, 6, 2, 10, 0, 0 }, { 0 } },
		{ "", { 2025, 6, 2, 10, 0, 0 }, { 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct hours_within w;
	struct mp_err err;
	char b1[32], b2[32];
	time_t got;
	size_t i;

	ck_assert(hours_init(&h, NULL, NULL, NULL, NULL, NULL, &err) == 0);
	for (i = 0; i < N(c); i++) {
		int ok = hours_parse_ttl(c[i].ttl, &w, &err) == 0;

		if (ok != (c[i].want.y != 0)) {
			failed(&f, "case %zu (%s): got %s, want %s", i,
			       c[i].ttl, ok ? "ok" : err.msg,
			       ok ? "a parse error" : "ok");
			continue;
		}
		if (!ok)
			continue;
		if (hours_due(&h, jst(c[i].t), &w, &got, &err) < 0)
			failed(&f, "case %zu: got error %s", i, err.msg);
		else if (got != jst(c[i].want))
			failed(&f, "case %zu (%s): got %s, want %s", i,
			       c[i].ttl, show(got, b1, sizeof(b1)),
			       show(jst(c[i].want), b2, sizeof(b2)));
	}
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* The opening after t: where a pending callback is reminded next. */
START_TEST(test_next_opening)
{
	static const struct {
		struct at t, want;
	} c[] = {
		{ { 2025, 6, 2, 10, 0, 0 }, { 2025, 6, 3, 9, 30, 0 } },
		{ { 2025, 6, 2, 8, 0, 0 }, { 2025, 6, 2, 9, 30, 0 } },
		{ { 2025, 6, 2, 18, 0, 0 }, { 2025, 6, 3, 9, 30, 0 } },
		{ { 2025, 6, 6, 12, 0, 0 }, { 2025, 6, 9, 9, 30, 0 } },
		{ { 2025, 12, 26, 12, 0, 0 }, { 2026, 1, 5, 9, 30, 0 } },
		{ { 2025, 12, 30, 12, 0, 0 }, { 2026, 1, 5, 9, 30, 0 } },
	};
	struct failures f = { 0, "" };
	struct hours h;
	struct mp_err err;
	char b1[32], b2[32];
	time_t got;
	size_t i;

	ck_assert(hours_init(&h, NULL, NULL, NULL, NULL, NULL, &err) == 0);
	for (i = 0; i < N(c); i++) {
		if (hours_next_opening(&h, jst(c[i].t), &got, &err) < 0)
			failed(&f, "case %zu: got error %s", i, err.msg);
		else if (got != jst(c[i].want))
			failed(&f, "case %zu: got %s, want %s", i,
			       show(got, b1, sizeof(b1)),
			       show(jst(c[i].want), b2, sizeof(b2)));
	}
	hours_release(&h);
	CHECK_FAILURES(f);
}
END_TEST

/* A desk that never opens is an error, not a hang. */
START_TEST(test_never_open)
{
	struct hours h;
	struct mp_err err;
	time_t t;

	ck_assert(hours_init(&h, NULL, NULL, NULL,
			     "2025-01-01..2040-12-31", NULL, &err) == 0);
	ck_assert_msg(hours_next_open(&h, jst((struct at){ 2025, 6, 2, 10,
							   0, 0 }),
				      &t, &err) < 0,
		      "case 0: got an opening, want an error");
	hours_release(&h);
}
END_TEST

/* The hours in words for the footer of customer mail: from the
 * configuration, never its syntax. */
START_TEST(test_describe)
{
	static const struct {
		const char *tz, *bh, *closure, *lang, *want;
	} c[] = {
		{ NULL, "mon-fri 09:30-18:00", NULL, "ja",
		  "平日9:30〜18:00（土曜・日曜・祝日・年末年始を除く）" },
		{ NULL, "mon-fri 09:30-18:00", NULL, "en",
		  "weekdays 9:30-18:00 Japan time (closed on Saturdays, "
		  "Sundays, Japanese national holidays and the "
		  "year-end/new-year holidays)" },
		{ NULL, "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-12:00",
		  "none", "ja", "平日9:00〜12:00と13:00〜18:00、"
		  "土曜10:00〜12:00（日曜・祝日を除く）" },
		{ NULL, "mon-fri 09:00-12:00", "none", "en",
		  "weekdays 9:00-12:00 Japan time (closed on Saturdays, "
		  "Sundays and Japanese national holidays)" },
		{ "UTC", "mon-sun 00:00-24:00", NULL, "en",
		  "Monday to Sunday 0:00-24:00 (UTC) (closed on Japanese "
		  "national holidays and the year-end/new-year holidays)" },
		{ NULL, "tue-sat 10:00-19:00", NULL, "ja",
		  "火曜〜土曜10:00〜19:00（月曜・日曜・祝日・年末年始を除く）" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct hours h;
		struct mp_err err = { 0 };
		char buf[512];

		ck_assert_msg(hours_init(&h, c[i].tz, c[i].bh, c[i].closure,
					 NULL, NULL, &err) == 0,
			      "case %zu: %s", i, err.msg);
		hours_describe(&h, c[i].tz, c[i].lang, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, c[i].want) == 0, "case %zu: got "
			      "\"%s\", want \"%s\"", i, buf, c[i].want);
		ck_assert_msg(strstr(buf, "mon-") == NULL, "case %zu", i);
		hours_release(&h);
	}
}
END_TEST

Suite *
suite_hours(void)
{
	Suite *s = suite_create("hours");
	TCase *tc = tcase_create("hours");

	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_next_close);
	tcase_add_test(tc, test_extra_dates);
	tcase_add_test(tc, test_between);
	tcase_add_test(tc, test_due);
	tcase_add_test(tc, test_parse_within);
	tcase_add_test(tc, test_ttl);
	tcase_add_test(tc, test_next_opening);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_check_conf);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_zones);
	tcase_add_test(tc, test_never_open);
	suite_add_tcase(s, tc);
	return s;
}
