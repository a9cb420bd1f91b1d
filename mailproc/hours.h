/*
 * Business hours.  Owns the grammar of the config keys timezone,
 * business_hours, year_end_closure, closed_dates, open_dates and
 * first_response_within, and every question about the support desk's
 * clock: open at an instant and why not, the next opening, business time
 * between instants, due times.  Pure logic: the caller passes the clock
 * in (time_t); nothing here reads the time, the database or the
 * machine's local time zone (zones come from the system tz database
 * through GLib).  National holidays come from holiday.c.
 *
 * A local date is closed all day when, first match wins: it is in
 * closed_dates (closure); it is in open_dates (then open, see below); it
 * is a national holiday (holiday); it is in year_end_closure (closure); its
 * weekday has no hours in business_hours (weekend).  An open date uses its
 * weekday's hours, or, when its weekday has none, the hours of the first
 * weekday from Monday on that has some.
 */
#ifndef MP_HOURS_H
#define MP_HOURS_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "err.h"

struct _GTimeZone;

#define HOURS_DEFAULT_TIMEZONE "Asia/Tokyo"
#define HOURS_DEFAULT_BUSINESS_HOURS "mon-fri 09:30-18:00"
#define HOURS_DEFAULT_YEAR_END_CLOSURE "12-29..01-03"
#define HOURS_DEFAULT_FIRST_RESPONSE_WITHIN "1 business day"

#define HOURS_MAX_SPANS 8	/* opening spans per weekday */
#define HOURS_MAX_CLOSURES 16	/* items in year_end_closure */

enum hours_reason {
	HOURS_OPEN = 0,
	HOURS_OUTSIDE_HOURS,	/* a working day, before or after its hours */
	HOURS_WEEKEND,		/* a weekday without hours */
	HOURS_HOLIDAY,		/* a national holiday */
	HOURS_CLOSURE,		/* year_end_closure or closed_dates */
};

struct hours_span {
	int from, to;		/* seconds after local midnight, from < to */
};

struct hours_range {
	long from, to;		/* day numbers (holiday_daynum), inclusive */
};

struct hours {
	struct _GTimeZone *tz;
	struct hours_span week[7][HOURS_MAX_SPANS];	/* 0 = Sunday */
	int nspans[7];
	int fallback;		/* weekday an open date borrows hours from */
	struct {
		int from, to;	/* month * 100 + day, inclusive, may wrap */
	} closure[HOURS_MAX_CLOSURES];
	int nclosure;
	struct hours_range *closed;
	size_t nclosed;
	struct hours_range *open;
	size_t nopen;
};

struct hours_status {
	int open;			/* 1 or 0 */
	enum hours_reason reason;	/* HOURS_OPEN when open */
	const char *holiday;	/* the local date's holiday name, else NULL */
	time_t next_open;	/* earliest open instant >= t (t when open) */
	time_t next_close;	/* end of that opening (joined across days,
				 * looked for up to 400 days ahead) */
};

/* An allowance (first response, token lifetime, callback escalation):
 * amount business days, business seconds, or wall-clock seconds, as
 * unit says. */
struct hours_within {
	enum {
		HOURS_WITHIN_SECONDS,	/* business seconds */
		HOURS_WITHIN_DAYS,	/* business days */
		HOURS_WITHIN_WALL,	/* wall-clock seconds */
	} unit;
	long long amount;
};

/* Builds h from the config strings; NULL means the default.  Grammar:
 *   timezone          a tz database name ("Asia/Tokyo") or "+09:00"
 *   business_hours    GROUP *(";" GROUP), GROUP = DAYS SP RANGES,
 *                     DAYS = DAY ["-" DAY] *("," DAY ["-" DAY]),
 *                     DAY = mon|tue|wed|thu|fri|sat|sun (any case),
 *                     RANGES = HH:MM-HH:MM *(("," | SP) HH:MM-HH:MM),
 *                     00:00 <= start < end <= 24:00
 *                     e.g. "mon-fri 09:30-12:00,13:00-18:00; sat 10:00-12:00"
 *   year_end_closure  items MM-DD or MM-DD..MM-DD (may wrap past 12-31)
 *                     separated by spaces or commas; "" or "none": none
 *   closed_dates,     items YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD separated
 *   open_dates        by spaces or commas; may be empty
 * Returns 0, or -1 with err naming the key ("business_hours: ...");
 * MP_TEMP only when out of memory.  On failure h needs no release. */
int hours_init(struct hours *h, const char *tz, const char *business_hours,
	       const char *year_end_closure, const char *closed_dates,
	       const char *open_dates, struct mp_err *err);

/* hours_init() with the values of conf. */
int hours_init_conf(struct hours *h, const struct conf *conf,
		    struct mp_err *err);

/* The opening hours of h in words, for a customer: lang "en" or
 * Japanese otherwise, e.g. "平日9:30〜18:00（土曜・日曜・祝日・年末年始を
 * 除く）" or "weekdays 9:30-18:00 Japan time (closed on Saturdays,
 * Sundays, Japanese national holidays and the year-end/new-year
 * holidays)".  tz is the timezone key's value: named unless it is
 * Asia/Tokyo.  Writes into buf (truncated to size); returns buf. */
const char *hours_describe(const struct hours *h, const char *tz,
			   const char *lang, char *buf, size_t size);

/* Releases what hours_init() allocated; safe to call twice. */
void hours_release(struct hours *h);

/* Validates the keys above, first_response_within, identity_token_ttl
 * and callback_escalate_after in conf, calling
 * report(key, message, arg) once for each bad key.  Returns the number
 * of bad keys (0: all good). */
int hours_check_conf(const struct conf *conf,
		     void (*report)(const char *key, const char *msg,
				    void *arg),
		     void *arg);

/* Whether the desk is open at t, why not, the holiday of t's local date
 * and the next opening.  Returns 0, or -1 with err (MP_PERM) when no
 * opening exists within ten years of t. */
int hours_status(const struct hours *h, time_t t, struct hours_status *st_r,
		 struct mp_err *err);

/* The earliest instant >= t at which the desk is open (t when open).
 * Returns 0, or -1 as hours_status(). */
int hours_next_open(const struct hours *h, time_t t, time_t *open_r,
		    struct mp_err *err);

/* The start of the first opening after t: the next opening when the desk
 * is closed at t, the one after the current opening when it is open (a
 * reminder "at the next opening" written during hours goes the next
 * business morning).  Returns 0, or -1 as hours_status(). */
int hours_next_opening(const struct hours *h, time_t t, time_t *open_r,
		       struct mp_err *err);

/* Business seconds in [a, b), negative when b < a.  Returns 0 or -1. */
int hours_between(const struct hours *h, time_t a, time_t b,
		  long long *secs_r, struct mp_err *err);

/* The instant when secs (>= 0) business seconds have passed since t: 0
 * gives the next opening; an end that falls on a closing time is that
 * closing time (14:00 + 4 business hours = 18:00).  Returns 0 or -1. */
int hours_add_seconds(const struct hours *h, time_t t, long long secs,
		      time_t *r, struct mp_err *err);

/* The same business-clock point days (>= 0) business days later: t (or
 * the next opening, if closed) lies so many business seconds into its
 * business day's opening; the result lies as far into the opening of the
 * days-th business day after it, or at its close if that day is shorter.
 * A point at the start of an opening counts as the close of the day
 * before (the same business time), so with mon-fri 09:30-18:00 Friday
 * 20:00 + 1 day is Monday 18:00 and Monday 10:00 + 1 day Tuesday 10:00.
 * Returns 0 or -1. */
int hours_add_days(const struct hours *h, time_t t, int days, time_t *r,
		   struct mp_err *err);

/* Parses "<N> business day(s)|hour(s)|minute(s)" (N >= 0, any case; at
 * most 365 days, 8760 hours or 525600 minutes).  Returns 0, or -1 with
 * err (MP_PERM). */
int hours_parse_within(const char *s, struct hours_within *w_r,
		       struct mp_err *err);

/* Parses a lifetime: the business forms of hours_parse_within(), or a
 * wall-clock duration "<N>[s|m|h|d]" (N seconds without a unit; at most
 * 90 days, at least a minute) giving HOURS_WITHIN_WALL.  Returns 0, or -1
 * with err (MP_PERM). */
int hours_parse_ttl(const char *s, struct hours_within *w_r,
		    struct mp_err *err);

/* When something started at t is due: hours_add_days() or
 * hours_add_seconds() as w says; for HOURS_WITHIN_WALL t + amount, or
 * the next opening when the desk is closed then (nothing falls due while
 * the desk is closed).  Returns 0 or -1. */
int hours_due(const struct hours *h, time_t t, const struct hours_within *w,
	      time_t *due_r, struct mp_err *err);

/* Writes t in h's zone as "2025-06-02T09:30:00+09:00" into buf.  Returns
 * 0, or -1 with err when len is too small. */
int hours_format(const struct hours *h, time_t t, char *buf, size_t len,
		 struct mp_err *err);

/* Writes t in h's zone for people: lang "ja" gives
 * "2025年6月2日(月) 9:30", anything else "Mon 2 Jun 2025 09:30 (+09:00)".
 * Returns 0, or -1 with err when len is too small. */
int hours_format_human(const struct hours *h, time_t t, const char *lang,
		       char *buf, size_t len, struct mp_err *err);

/* Parses an ISO 8601 date-time: with "Z" or an offset it is that
 * instant; without, local time in h's zone; a date alone is its local
 * midnight.  Returns 0, or -1 with err (MP_PERM). */
int hours_parse_time(const struct hours *h, const char *s, time_t *t_r,
		     struct mp_err *err);

/* "outside-hours", "weekend", "holiday", "closure", or NULL for
 * HOURS_OPEN: the values of `hours --json`'s reason. */
const char *hours_reason_name(enum hours_reason reason);

#endif
