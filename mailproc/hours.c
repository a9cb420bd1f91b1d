/*
 * hours.c: business hours on the support desk's clock.
 *
 * Everything is computed on local dates of the configured zone: an instant
 * becomes (day number, seconds after local midnight) through the zone's
 * UTC offset at that instant, and an opening span of a local date becomes
 * instants through g_time_zone_adjust_time(), which moves a local time
 * that a DST jump skips to the end of the gap.  We never call localtime()
 * or touch TZ: the zone is a GTimeZone read from the tz database, so the
 * machine's own zone and the process environment play no part.
 *
 * The one search primitive is next_span(): the first opening span that
 * ends after an instant.  Status, next opening, business time and due
 * times are all walks over it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "holiday.h"
#include "hours.h"

#define DAY_SECS 86400L
#define SEARCH_DAYS 3660L	/* "never opens" means not within ten years */
#define JOIN_DAYS 400L		/* how far next_close follows joined spans */
#define MAX_DAYS_WITHIN 365LL	/* a year of business days */
#define SPANS_PARSED 64		/* spans per weekday before merging */
#define SEPARATORS ", \t"

static const char *const day_abbr[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static const char *const day_ja[7] = {
	"日", "月", "火", "水", "木", "金", "土"
};

static const char *const day_en[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};

static const char *const month_en[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};


static long
floor_div(long long a, long b)
{
	long long q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return (long)q;
}

/* ---- local time ---- */

static long
utc_offset(const struct hours *h, time_t t)
{
	gint i;

	i = g_time_zone_find_interval(h->tz, G_TIME_TYPE_UNIVERSAL,
				      (gint64)t);
	return i < 0 ? 0 : g_time_zone_get_offset(h->tz, i);
}

static void
local_of(const struct hours *h, time_t t, long *dn_r, long *sod_r)
{
	long long lt = (long long)t + utc_offset(h, t);

	*dn_r = floor_div(lt, DAY_SECS);
	*sod_r = (long)(lt - (long long)*dn_r * DAY_SECS);
}

static time_t
instant_of(const struct hours *h, long dn, long sod)
{
	gint64 lt = (gint64)dn * DAY_SECS + sod;
	gint i;

	i = g_time_zone_adjust_time(h->tz, G_TIME_TYPE_STANDARD, &lt);
	return (time_t)(lt - (i < 0 ? 0 : g_time_zone_get_offset(h->tz, i)));
}

/* ---- the calendar of one local date ---- */

static int
in_ranges(const struct hours_range *r, size_t n, long dn)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (dn >= r[i].from && dn <= r[i].to)
			return 1;
	return 0;
}

static int
in_closure(const struct hours *h, int md)
{
	int i, from, to;

	for (i = 0; i < h->nclosure; i++) {
		from = h->closure[i].from;
		to = h->closure[i].to;
		if (from <= to ? (md >= from && md <= to) :
		    (md >= from || md <= to))
			return 1;
	}
	return 0;
}

/* The opening spans of local date dn and their count; 0 when the date is
 * closed all day, with the reason in *why_r. */
static int
day_spans(const struct hours *h, long dn, const struct hours_span **spans_r,
	  enum hours_reason *why_r)
{
	int y, m, d, wd = holiday_weekday(dn);

	holiday_civil(dn, &y, &m, &d);
	*spans_r = h->week[wd];
	*why_r = HOURS_OPEN;
	if (in_ranges(h->closed, h->nclosed, dn)) {
		*why_r = HOURS_CLOSURE;
		return 0;
	}
	if (in_ranges(h->open, h->nopen, dn)) {
		if (h->nspans[wd] == 0)
			wd = h->fallback;
		*spans_r = h->week[wd];
		return h->nspans[wd];
	}
	if (holiday_name(y, m, d) != NULL) {
		*why_r = HOURS_HOLIDAY;
		return 0;
	}
	if (in_closure(h, m * 100 + d)) {
		*why_r = HOURS_CLOSURE;
		return 0;
	}
	if (h->nspans[wd] == 0)
		*why_r = HOURS_WEEKEND;
	return h->nspans[wd];
}

/* The first opening span [*s_r, *e_r) with *e_r > t, looking at most
 * max_days local dates ahead; *dn_r (if not NULL) gets its local date.
 * Returns 1 when found, 0 when not. */
static int
next_span(const struct hours *h, time_t t, long max_days, time_t *s_r,
	  time_t *e_r, long *dn_r)
{
	const struct hours_span *spans;
	enum hours_reason why;
	long dn, sod, first;
	time_t s, e;
	int i, n;

	local_of(h, t, &dn, &sod);
	/* Start a day early: a fall-back hour can put t's local date
	 * before the date of a span that is still running. */
	for (first = --dn; dn - first <= max_days; dn++) {
		n = day_spans(h, dn, &spans, &why);
		for (i = 0; i < n; i++) {
			e = instant_of(h, dn, spans[i].to);
			if (e <= t)
				continue;
			s = instant_of(h, dn, spans[i].from);
			if (s >= e)
				continue;	/* swallowed by a DST gap */
			*s_r = s;
			*e_r = e;
			if (dn_r != NULL)
				*dn_r = dn;
			return 1;
		}
	}
	return 0;
}

static int
find_span(const struct hours *h, time_t t, time_t *s_r, time_t *e_r,
	  long *dn_r, struct mp_err *err)
{
	char when[64];

	if (next_span(h, t, SEARCH_DAYS, s_r, e_r, dn_r))
		return 0;
	if (hours_format(h, t, when, sizeof(when), NULL) < 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	return mp_err_set(err, MP_PERM,
			  "the desk never opens within ten years of %s", when);
}

/* ---- questions ---- */

int
hours_status(const struct hours *h, time_t t, struct hours_status *st_r,
	     struct mp_err *err)
{
	const struct hours_span *spans;
	enum hours_reason why;
	time_t s, e, s2, e2;
	long dn, sod;
	int y, m, d;

	if (find_span(h, t, &s, &e, NULL, err) < 0)
		return -1;
	/* Join spans that meet (24:00 one day, 00:00 the next). */
	while (e - t < JOIN_DAYS * DAY_SECS &&
	       next_span(h, e, 2, &s2, &e2, NULL) && s2 == e)
		e = e2;

	local_of(h, t, &dn, &sod);
	holiday_civil(dn, &y, &m, &d);
	st_r->holiday = holiday_name(y, m, d);
	st_r->open = s <= t;
	st_r->next_open = s <= t ? t : s;
	st_r->next_close = e;
	if (st_r->open) {
		st_r->reason = HOURS_OPEN;
	} else if (day_spans(h, dn, &spans, &why) > 0) {
		st_r->reason = HOURS_OUTSIDE_HOURS;
	} else {
		st_r->reason = why;
	}
	return 0;
}

int
hours_next_open(const struct hours *h, time_t t, time_t *open_r,
		struct mp_err *err)
{
	time_t s, e;

	if (find_span(h, t, &s, &e, NULL, err) < 0)
		return -1;
	*open_r = s <= t ? t : s;
	return 0;
}

int
hours_next_opening(const struct hours *h, time_t t, time_t *open_r,
		   struct mp_err *err)
{
	struct hours_status st;

	if (hours_status(h, t, &st, err) < 0)
		return -1;
	if (!st.open) {
		*open_r = st.next_open;
		return 0;
	}
	return hours_next_open(h, st.next_close, open_r, err);
}

int
hours_between(const struct hours *h, time_t a, time_t b, long long *secs_r,
	      struct mp_err *err)
{
	long long sum = 0;
	time_t t, s, e;
	long days;

	if (b < a) {
		if (hours_between(h, b, a, &sum, err) < 0)
			return -1;
		*secs_r = -sum;
		return 0;
	}
	for (t = a; t < b; t = e) {
		days = (long)((b - t) / DAY_SECS) + 2;
		if (!next_span(h, t, days, &s, &e, NULL) || s >= b)
			break;
		sum += (e < b ? e : b) - (s > t ? s : t);
	}
	*secs_r = sum;
	return 0;
}

int
hours_add_seconds(const struct hours *h, time_t t, long long secs,
		  time_t *r, struct mp_err *err)
{
	time_t s, e, cur;

	if (secs < 0)
		return mp_err_set(err, MP_PERM, "negative business time");
	for (;;) {
		if (find_span(h, t, &s, &e, NULL, err) < 0)
			return -1;
		cur = s > t ? s : t;
		if (secs <= e - cur) {
			*r = cur + (time_t)secs;
			return 0;
		}
		secs -= e - cur;
		t = e;
	}
}

int
hours_add_days(const struct hours *h, time_t t, int days, time_t *r,
	       struct mp_err *err)
{
	const struct hours_span *spans;
	enum hours_reason why;
	time_t s, e, cur, si, ei;
	long long into = 0;
	long dn, dn0;
	int i, n, k, at_close;

	if (days < 0)
		return mp_err_set(err, MP_PERM, "negative business days");
	if (find_span(h, t, &s, &e, &dn0, err) < 0)
		return -1;
	cur = s > t ? s : t;

	/* How far into its day's opening cur lies. */
	n = day_spans(h, dn0, &spans, &why);
	for (i = 0; i < n; i++) {
		si = instant_of(h, dn0, spans[i].from);
		ei = instant_of(h, dn0, spans[i].to);
		if (si >= ei || si >= cur)
			continue;
		into += (ei < cur ? ei : cur) - si;
	}

	/* A point at the very start of a day's opening is the same business
	 * time as the close of the business day before: count dn0 itself
	 * and end at a close, so Friday night + 1 business day is Monday
	 * 18:00, not Tuesday 09:30. */
	at_close = into == 0 && days > 0;
	for (dn = dn0, k = at_close; k < days; ) {
		if (++dn - dn0 > SEARCH_DAYS)
			return mp_err_set(err, MP_PERM,
					  "no %d business days within ten "
					  "years", days);
		if (day_spans(h, dn, &spans, &why) > 0)
			k++;
	}

	n = day_spans(h, dn, &spans, &why);
	*r = cur;
	for (i = 0; i < n; i++) {
		si = instant_of(h, dn, spans[i].from);
		ei = instant_of(h, dn, spans[i].to);
		if (si >= ei)
			continue;
		*r = ei;
		if (!at_close && into <= ei - si) {
			*r = si + (time_t)into;
			break;
		}
		into -= ei - si;
	}
	return 0;
}

int
hours_parse_within(const char *s, struct hours_within *w_r,
		   struct mp_err *err)
{
	static const struct {
		const char *word;
		int days;
		long long unit, max;
	} units[] = {
		{ "day", 1, 1, MAX_DAYS_WITHIN },
		{ "days", 1, 1, MAX_DAYS_WITHIN },
		{ "hour", 0, 3600, MAX_DAYS_WITHIN * 24 },
		{ "hours", 0, 3600, MAX_DAYS_WITHIN * 24 },
		{ "minute", 0, 60, MAX_DAYS_WITHIN * 24 * 60 },
		{ "minutes", 0, 60, MAX_DAYS_WITHIN * 24 * 60 },
	};
	const char *p = s, *word;
	long long n = 0;
	size_t i, len;

	if (s == NULL)
		goto bad;
	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > MAX_DAYS_WITHIN * 24 * 60)
			goto bad;
	}
	if (!isspace((unsigned char)*p))
		goto bad;
	while (isspace((unsigned char)*p))
		p++;
	if (g_ascii_strncasecmp(p, "business", 8) != 0 ||
	    !isspace((unsigned char)p[8]))
		goto bad;
	for (p += 8; isspace((unsigned char)*p); p++)
		;
	word = p;
	while (isalpha((unsigned char)*p))
		p++;
	len = (size_t)(p - word);
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		goto bad;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].word) != len ||
		    g_ascii_strncasecmp(word, units[i].word, len) != 0)
			continue;
		if (n > units[i].max)
			return mp_err_set(err, MP_PERM,
					  "\"%.64s\": more than %lld %s", s,
					  units[i].max, units[i].word);
		w_r->unit = units[i].days ? HOURS_WITHIN_DAYS :
			    HOURS_WITHIN_SECONDS;
		w_r->amount = n * units[i].unit;
		return 0;
	}
bad:
	return mp_err_set(err, MP_PERM,
			  "\"%.64s\" is not \"<N> business days|hours|"
			  "minutes\"", s == NULL ? "" : s);
}

int
hours_parse_ttl(const char *s, struct hours_within *w_r, struct mp_err *err)
{
	long secs;

	if (s != NULL && conf_parse_duration(s, &secs) == 0) {
		if (secs < 60 || secs > 90L * DAY_SECS)
			return mp_err_set(err, MP_PERM, "\"%.64s\": out of "
					  "range 60s..90d", s);
		w_r->unit = HOURS_WITHIN_WALL;
		w_r->amount = secs;
		return 0;
	}
	if (hours_parse_within(s, w_r, err) == 0)
		return 0;
	return mp_err_set(err, MP_PERM, "\"%.64s\" is neither \"<N> "
			  "business days|hours|minutes\" nor a wall-clock "
			  "duration (seconds, or with s, m, h, d)",
			  s == NULL ? "" : s);
}

int
hours_due(const struct hours *h, time_t t, const struct hours_within *w,
	  time_t *due_r, struct mp_err *err)
{
	if (w->unit == HOURS_WITHIN_WALL)
		return hours_next_open(h, t + (time_t)w->amount, due_r, err);
	if (w->unit == HOURS_WITHIN_DAYS) {
		if (w->amount > MAX_DAYS_WITHIN)
			return mp_err_set(err, MP_PERM,
					  "too many business days");
		return hours_add_days(h, t, (int)w->amount, due_r, err);
	}
	return hours_add_seconds(h, t, w->amount, due_r, err);
}

/* ---- formatting and parsing instants ---- */

struct local {
	int y, m, d, hh, mi, ss, wd;
	long off;	/* seconds east of UTC */
};

static void
split_local(const struct hours *h, time_t t, struct local *l)
{
	long dn, sod;

	l->off = utc_offset(h, t);
	local_of(h, t, &dn, &sod);
	holiday_civil(dn, &l->y, &l->m, &l->d);
	l->wd = holiday_weekday(dn);
	l->hh = (int)(sod / 3600);
	l->mi = (int)(sod / 60 % 60);
	l->ss = (int)(sod % 60);
}

/* "+09:00"; GLib offsets stay well within a day. */
static void
offset_text(long off, char *buf, size_t len)
{
	unsigned a = (unsigned)((off < 0 ? -off : off) % 86400);

	snprintf(buf, len, "%c%02u:%02u", off < 0 ? '-' : '+', a / 3600,
		 a / 60 % 60);
}

int
hours_format(const struct hours *h, time_t t, char *buf, size_t len,
	     struct mp_err *err)
{
	struct local l;
	char off[16];
	int n;

	split_local(h, t, &l);
	offset_text(l.off, off, sizeof(off));
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s", l.y, l.m,
		     l.d, l.hh, l.mi, l.ss, off);
	if (n < 0 || (size_t)n >= len)
		return mp_err_set(err, MP_PERM, "time buffer too small");
	return 0;
}

int
hours_format_human(const struct hours *h, time_t t, const char *lang,
		   char *buf, size_t len, struct mp_err *err)
{
	struct local l;
	char off[16];
	int n;

	split_local(h, t, &l);
	offset_text(l.off, off, sizeof(off));
	/* As a desk writes it: 2026年11月30日（月）9:30, Monday 30 November
	 * 2026, 9:30 Japan time; another zone is named. */
	if (lang != NULL && strcmp(lang, "ja") == 0) {
		n = snprintf(buf, len, "%d年%d月%d日（%s）%d:%02d%s%s%s",
			     l.y, l.m, l.d, day_ja[l.wd], l.hh, l.mi,
			     l.off == 9 * 3600 ? "" : "（UTC",
			     l.off == 9 * 3600 ? "" : off,
			     l.off == 9 * 3600 ? "" : "）");
	} else {
		n = snprintf(buf, len, "%s %d %s %d, %d:%02d %s%s%s",
			     day_en[l.wd], l.d, month_en[l.m - 1], l.y, l.hh,
			     l.mi, l.off == 9 * 3600 ? "Japan time" : "(UTC",
			     l.off == 9 * 3600 ? "" : off,
			     l.off == 9 * 3600 ? "" : ")");
	}
	if (n < 0 || (size_t)n >= len)
		return mp_err_set(err, MP_PERM, "time buffer too small");
	return 0;
}

/* Reads exactly n digits at *p into *v and moves *p past them. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/*
 * ISO 8601 extended format as people type it (RFC 3339 plus leniency):
 *   YYYY-MM-DD [("T" | "t" | SP) hh:mm [":" ss ["." fraction]]
 *              ["Z" | "z" | ("+" | "-") hh [[":"] mm]]]
 * Leap seconds and 24:00 are refused; a fraction is dropped.
 */
int
hours_parse_time(const struct hours *h, const char *s, time_t *t_r,
		 struct mp_err *err)
{
	const char *p = s;
	int y, mo, d, hh = 0, mi = 0, ss = 0, oh = 0, om = 0, sign = 0;
	long dn, sod;

	if (s == NULL || *s == '\0')
		return mp_err_set(err, MP_PERM, "empty date-time");
	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || digits(&p, 2, &d) < 0 ||
	    d < 1 || d > holiday_days_in_month(y, mo))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &hh) < 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) < 0 || hh > 23 || mi > 59)
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &ss) < 0 || ss > 59)
				goto bad;
			if (*p == '.' || *p == ',') {
				if (!isdigit((unsigned char)*++p))
					goto bad;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
			sign = 1;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh) < 0 || oh > 23)
				goto bad;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) &&
			    (digits(&p, 2, &om) < 0 || om > 59))
				goto bad;
		}
	}
	if (*p != '\0')
		goto bad;
	dn = holiday_daynum(y, mo, d);
	sod = hh * 3600L + mi * 60L + ss;
	if (sign == 0)
		*t_r = instant_of(h, dn, sod);
	else
		*t_r = (time_t)((long long)dn * DAY_SECS + sod -
				sign * (oh * 3600L + om * 60L));
	return 0;
bad:
	return mp_err_set(err, MP_PERM, "\"%.64s\" is not an ISO 8601 "
			  "date-time (YYYY-MM-DDThh:mm:ss+09:00)", s);
}

const char *
hours_reason_name(enum hours_reason reason)
{
	switch (reason) {
	case HOURS_OUTSIDE_HOURS:
		return "outside-hours";
	case HOURS_WEEKEND:
		return "weekend";
	case HOURS_HOLIDAY:
		return "holiday";
	case HOURS_CLOSURE:
		return "closure";
	case HOURS_OPEN:
		break;
	}
	return NULL;
}

/* ---- the config grammar ---- */

/* The non-empty pieces of s between any of seps, as a NULL-terminated
 * vector the caller releases with g_strfreev(). */
static gchar **
tokens(const char *s, const char *seps)
{
	gchar **v, **in, **out;

	v = g_strsplit_set(s, seps, -1);
	for (in = out = v; *in != NULL; in++) {
		if (**in == '\0')
			g_free(*in);
		else
			*out++ = *in;
	}
	*out = NULL;
	return v;
}

static int
parse_tz(const char *s, GTimeZone **tz_r, struct mp_err *err)
{
	if (s == NULL)
		s = HOURS_DEFAULT_TIMEZONE;
	if (*s == '\0')
		return mp_err_set(err, MP_PERM, "empty time zone");
	*tz_r = g_time_zone_new_identifier(s);
	if (*tz_r == NULL)
		return mp_err_set(err, MP_PERM,
				  "unknown time zone \"%.64s\"", s);
	return 0;
}

static int
day_index(const char *s, size_t len)
{
	int i;

	for (i = 0; i < 7; i++)
		if (len == 3 && g_ascii_strncasecmp(s, day_abbr[i], 3) == 0)
			return i;
	return -1;
}

/* "H:MM" or "HH:MM", 00:00..24:00, into seconds; -1 if bad. */
static long
clock_time(const char *s, size_t len)
{
	int hh, mm;

	if (len == 4 && isdigit((unsigned char)s[0]) && s[1] == ':' &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3])) {
		hh = s[0] - '0';
		mm = (s[2] - '0') * 10 + (s[3] - '0');
	} else if (len == 5 && isdigit((unsigned char)s[0]) &&
		   isdigit((unsigned char)s[1]) && s[2] == ':' &&
		   isdigit((unsigned char)s[3]) &&
		   isdigit((unsigned char)s[4])) {
		hh = (s[0] - '0') * 10 + (s[1] - '0');
		mm = (s[3] - '0') * 10 + (s[4] - '0');
	} else {
		return -1;
	}
	if (mm > 59 || hh > 24 || (hh == 24 && mm != 0))
		return -1;
	return hh * 3600L + mm * 60L;
}

/* Day set of "mon-fri,sat" as bits 0 (Sunday) .. 6; -1 if bad. */
static int
day_set(const char *s, struct mp_err *err)
{
	gchar **items = tokens(s, ",");
	const char *dash;
	int set = 0, a, b, i;

	for (i = 0; items[i] != NULL; i++) {
		dash = strchr(items[i], '-');
		if (dash == NULL) {
			a = b = day_index(items[i], strlen(items[i]));
		} else {
			a = day_index(items[i], (size_t)(dash - items[i]));
			b = day_index(dash + 1, strlen(dash + 1));
		}
		if (a < 0 || b < 0) {
			mp_err_set(err, MP_PERM,
				   "\"%.64s\" is not a day or range of days "
				   "(mon..sun)", items[i]);
			set = -1;
			break;
		}
		/* Ranges may wrap: fri-mon is fri, sat, sun, mon. */
		for (;;) {
			set |= 1 << a;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
	}
	g_strfreev(items);
	return set;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct hours_span *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static int
parse_week(struct hours *h, const char *s, struct mp_err *err)
{
	struct hours_span parsed[7][SPANS_PARSED];
	int count[7] = { 0 };
	gchar **groups, **ranges = NULL, *days = NULL;
	const char *dash, *rest;
	size_t len;
	long from, to;
	int g, w, set, day, i, n, rc = -1;

	if (s == NULL)
		s = HOURS_DEFAULT_BUSINESS_HOURS;
	groups = tokens(s, ";");
	for (g = 0; groups[g] != NULL; g++) {
		/* The days are the first word; the rest are time ranges. */
		rest = groups[g] + strspn(groups[g], " \t");
		if (*rest == '\0')
			continue;
		len = strcspn(rest, " \t");
		g_free(days);
		days = g_strndup(rest, len);
		if ((set = day_set(days, err)) < 0)
			goto out;
		g_strfreev(ranges);
		ranges = tokens(rest + len, SEPARATORS);
		if (ranges[0] == NULL) {
			mp_err_set(err, MP_PERM, "\"%.64s\" has no hours "
				   "(want e.g. \"mon-fri 09:30-18:00\")",
				   days);
			goto out;
		}
		for (w = 0; ranges[w] != NULL; w++) {
			dash = strchr(ranges[w], '-');
			from = to = -1;
			if (dash != NULL) {
				from = clock_time(ranges[w],
						  (size_t)(dash - ranges[w]));
				to = clock_time(dash + 1, strlen(dash + 1));
			}
			if (from < 0 || to < 0 || from >= to) {
				mp_err_set(err, MP_PERM,
					   "\"%.64s\" is not a time range "
					   "HH:MM-HH:MM (start before end, "
					   "up to 24:00)", ranges[w]);
				goto out;
			}
			for (day = 0; day < 7; day++) {
				if (!(set & (1 << day)))
					continue;
				if (count[day] == SPANS_PARSED) {
					mp_err_set(err, MP_PERM,
						   "too many time ranges");
					goto out;
				}
				parsed[day][count[day]].from = (int)from;
				parsed[day][count[day]].to = (int)to;
				count[day]++;
			}
		}
	}

	/* Sort each day's spans and merge those that overlap or meet. */
	h->fallback = -1;
	for (day = 0; day < 7; day++) {
		qsort(parsed[day], (size_t)count[day], sizeof(parsed[0][0]),
		      span_cmp);
		n = 0;
		for (i = 0; i < count[day]; i++) {
			if (n > 0 &&
			    parsed[day][i].from <= h->week[day][n - 1].to) {
				if (parsed[day][i].to > h->week[day][n - 1].to)
					h->week[day][n - 1].to =
						parsed[day][i].to;
				continue;
			}
			if (n == HOURS_MAX_SPANS) {
				mp_err_set(err, MP_PERM,
					   "more than %d time ranges on %s",
					   HOURS_MAX_SPANS, day_abbr[day]);
				goto out;
			}
			h->week[day][n++] = parsed[day][i];
		}
		h->nspans[day] = n;
	}
	for (i = 1; i <= 7 && h->fallback < 0; i++)
		if (h->nspans[i % 7] > 0)
			h->fallback = i % 7;
	if (h->fallback < 0) {
		mp_err_set(err, MP_PERM, "no opening hours on any day");
		goto out;
	}
	rc = 0;
out:
	g_strfreev(ranges);
	g_free(days);
	g_strfreev(groups);
	return rc;
}

/* "MM-DD" into month * 100 + day (02-29 allowed); -1 if bad. */
static int
month_day(const char *s, size_t len)
{
	int m, d;

	if (len != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != '-' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	if (d < 1 || d > holiday_days_in_month(2000, m))
		return -1;
	return m * 100 + d;
}

static int
parse_closure(struct hours *h, const char *s, struct mp_err *err)
{
	gchar **items;
	const char *dots;
	int i, from, to, rc = 0;

	if (s == NULL)
		s = HOURS_DEFAULT_YEAR_END_CLOSURE;
	items = tokens(s, SEPARATORS);
	h->nclosure = 0;
	if (items[0] != NULL && items[1] == NULL &&
	    g_ascii_strcasecmp(items[0], "none") == 0) {
		g_strfreev(items);
		return 0;
	}
	for (i = 0; items[i] != NULL; i++) {
		dots = strstr(items[i], "..");
		if (dots == NULL) {
			from = to = month_day(items[i], strlen(items[i]));
		} else {
			from = month_day(items[i], (size_t)(dots - items[i]));
			to = month_day(dots + 2, strlen(dots + 2));
		}
		if (from < 0 || to < 0) {
			rc = mp_err_set(err, MP_PERM,
					"\"%.64s\" is not MM-DD or "
					"MM-DD..MM-DD", items[i]);
			break;
		}
		if (h->nclosure == HOURS_MAX_CLOSURES) {
			rc = mp_err_set(err, MP_PERM, "more than %d periods",
					HOURS_MAX_CLOSURES);
			break;
		}
		h->closure[h->nclosure].from = from;
		h->closure[h->nclosure].to = to;
		h->nclosure++;
	}
	g_strfreev(items);
	return rc;
}

/* "YYYY-MM-DD" into a day number; 0 with *ok_r = 0 if bad. */
static long
full_date(const char *s, size_t len, int *ok_r)
{
	int y = 0, m, d;
	size_t i;

	*ok_r = 0;
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	for (i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (d < 1 || d > holiday_days_in_month(y, m))
		return 0;
	*ok_r = 1;
	return holiday_daynum(y, m, d);
}

static int
parse_dates(const char *s, struct hours_range **r_r, size_t *n_r,
	    struct mp_err *err)
{
	struct hours_range *r = NULL;
	gchar **items;
	const char *dots;
	size_t n, i;
	int ok1, ok2, rc = 0;

	*r_r = NULL;
	*n_r = 0;
	if (s == NULL)
		return 0;
	items = tokens(s, SEPARATORS);
	n = g_strv_length(items);
	if (n > 0 && (r = calloc(n, sizeof(*r))) == NULL) {
		g_strfreev(items);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	for (i = 0; i < n; i++) {
		dots = strstr(items[i], "..");
		if (dots == NULL) {
			r[i].from = full_date(items[i], strlen(items[i]),
					      &ok1);
			r[i].to = r[i].from;
			ok2 = 1;
		} else {
			r[i].from = full_date(items[i],
					      (size_t)(dots - items[i]), &ok1);
			r[i].to = full_date(dots + 2, strlen(dots + 2), &ok2);
		}
		if (!ok1 || !ok2) {
			rc = mp_err_set(err, MP_PERM,
					"\"%.64s\" is not a date YYYY-MM-DD "
					"or YYYY-MM-DD..YYYY-MM-DD", items[i]);
			break;
		}
		if (r[i].from > r[i].to) {
			rc = mp_err_set(err, MP_PERM,
					"\"%.64s\" ends before it starts",
					items[i]);
			break;
		}
	}
	g_strfreev(items);
	if (rc < 0) {
		free(r);
		return -1;
	}
	*r_r = r;
	*n_r = n;
	return 0;
}

/* Fails if an open date is also a closed date. */
static int
check_overlap(const struct hours *h, struct mp_err *err)
{
	size_t i, j;
	long dn;
	int y, m, d;

	for (i = 0; i < h->nopen; i++) {
		for (j = 0; j < h->nclosed; j++) {
			if (h->open[i].to < h->closed[j].from ||
			    h->open[i].from > h->closed[j].to)
				continue;
			dn = h->open[i].from > h->closed[j].from ?
			     h->open[i].from : h->closed[j].from;
			holiday_civil(dn, &y, &m, &d);
			return mp_err_set(err, MP_PERM,
					  "%04d-%02d-%02d is also in "
					  "closed_dates", y, m, d);
		}
	}
	return 0;
}

/* Prefixes err's message with the key it is about. */
static int
key_failed(struct mp_err *err, const char *key, const struct mp_err *why)
{
	return mp_err_set(err, why->kind, "%s: %s", key, why->msg);
}

int
hours_init(struct hours *h, const char *tz, const char *business_hours,
	   const char *year_end_closure, const char *closed_dates,
	   const char *open_dates, struct mp_err *err)
{
	struct mp_err why;

	memset(h, 0, sizeof(*h));
	mp_err_clear(&why);
	if (parse_tz(tz, &h->tz, &why) < 0) {
		key_failed(err, "timezone", &why);
		goto fail;
	}
	if (parse_week(h, business_hours, &why) < 0) {
		key_failed(err, "business_hours", &why);
		goto fail;
	}
	if (parse_closure(h, year_end_closure, &why) < 0) {
		key_failed(err, "year_end_closure", &why);
		goto fail;
	}
	if (parse_dates(closed_dates, &h->closed, &h->nclosed, &why) < 0) {
		key_failed(err, "closed_dates", &why);
		goto fail;
	}
	if (parse_dates(open_dates, &h->open, &h->nopen, &why) < 0 ||
	    check_overlap(h, &why) < 0) {
		key_failed(err, "open_dates", &why);
		goto fail;
	}
	return 0;
fail:
	hours_release(h);
	return -1;
}

int
hours_init_conf(struct hours *h, const struct conf *conf, struct mp_err *err)
{
	return hours_init(h, conf->timezone, conf->business_hours,
			  conf->year_end_closure, conf->closed_dates,
			  conf->open_dates, err);
}

void
hours_release(struct hours *h)
{
	if (h->tz != NULL)
		g_time_zone_unref(h->tz);
	free(h->closed);
	free(h->open);
	memset(h, 0, sizeof(*h));
}

int
hours_check_conf(const struct conf *conf,
		 void (*report)(const char *key, const char *msg, void *arg),
		 void *arg)
{
	struct hours h;
	struct hours_within w;
	struct mp_err why;
	int bad = 0;

	memset(&h, 0, sizeof(h));
	mp_err_clear(&why);
	if (parse_tz(conf->timezone, &h.tz, &why) < 0) {
		report("timezone", why.msg, arg);
		bad++;
	}
	if (parse_week(&h, conf->business_hours, &why) < 0) {
		report("business_hours", why.msg, arg);
		bad++;
	}
	if (parse_closure(&h, conf->year_end_closure, &why) < 0) {
		report("year_end_closure", why.msg, arg);
		bad++;
	}
	if (parse_dates(conf->closed_dates, &h.closed, &h.nclosed,
			&why) < 0) {
		report("closed_dates", why.msg, arg);
		bad++;
	}
	if (parse_dates(conf->open_dates, &h.open, &h.nopen, &why) < 0 ||
	    check_overlap(&h, &why) < 0) {
		report("open_dates", why.msg, arg);
		bad++;
	}
	if (hours_parse_within(conf->first_response_within != NULL ?
			       conf->first_response_within :
			       HOURS_DEFAULT_FIRST_RESPONSE_WITHIN,
			       &w, &why) < 0) {
		report("first_response_within", why.msg, arg);
		bad++;
	}
	if (conf->identity_token_ttl != NULL &&
	    hours_parse_ttl(conf->identity_token_ttl, &w, &why) < 0) {
		report("identity_token_ttl", why.msg, arg);
		bad++;
	}
	if (conf->callback_escalate_after != NULL &&
	    hours_parse_ttl(conf->callback_escalate_after, &w, &why) < 0) {
		report("callback_escalate_after", why.msg, arg);
		bad++;
	}
	hours_release(&h);
	return bad;
}

/* ---- the hours in words ---- */

static int
same_spans(const struct hours *h, int a, int b)
{
	int i;

	if (h->nspans[a] != h->nspans[b])
		return 0;
	for (i = 0; i < h->nspans[a]; i++)
		if (h->week[a][i].from != h->week[b][i].from ||
		    h->week[a][i].to != h->week[b][i].to)
			return 0;
	return 1;
}

static void
add_time(GString *s, int secs)
{
	g_string_append_printf(s, "%d:%02d", secs / 3600, secs / 60 % 60);
}

const char *
hours_describe(const struct hours *h, const char *tz, const char *lang,
	       char *buf, size_t size)
{
	static const char *const ja_day[7] = {
		"日曜", "月曜", "火曜", "水曜", "木曜", "金曜", "土曜" };
	static const char *const en_day[7] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday" };
	int en = lang != NULL && strcmp(lang, "en") == 0;
	int tokyo = tz == NULL || strcmp(tz, "Asia/Tokyo") == 0;
	GString *s = g_string_new(NULL);
	int i, j, k, closed[7], nclosed = 0, groups = 0;

	/* Monday first: runs of consecutive days with the same hours. */
	for (i = 0; i < 7;) {
		int d = (i + 1) % 7, end = i;

		if (h->nspans[d] == 0) {
			closed[nclosed++] = d;
			i++;
			continue;
		}
		while (end + 1 < 7 && same_spans(h, d, (end + 2) % 7))
			end++;
		if (groups++ > 0)
			g_string_append(s, en ? ", " : "、");
		if (i == 0 && end == 4)
			g_string_append(s, en ? "weekdays" : "平日");
		else if (end == i)
			g_string_append(s, en ? en_day[d] : ja_day[d]);
		else
			g_string_append_printf(s, en ? "%s to %s" : "%s〜%s",
					       en ? en_day[d] : ja_day[d],
					       en ? en_day[(end + 1) % 7] :
					       ja_day[(end + 1) % 7]);
		if (en)
			g_string_append_c(s, ' ');
		for (k = 0; k < h->nspans[d]; k++) {
			if (k > 0)
				g_string_append(s, en ? " and " : "と");
			add_time(s, h->week[d][k].from);
			g_string_append(s, en ? "-" : "〜");
			add_time(s, h->week[d][k].to);
		}
		i = end + 1;
	}
	if (groups == 0)
		g_string_append(s, en ? "no regular hours" : "定休");
	if (en) {
		const char *item[9];
		int n = 0;

		for (j = 0; j < nclosed; j++)
			item[n++] = en_day[closed[j]];
		item[n++] = "Japanese national holidays";
		if (h->nclosure > 0)
			item[n++] = "the year-end/new-year holidays";
		if (tokyo)
			g_string_append(s, " Japan time");
		else
			g_string_append_printf(s, " (%s)", tz);
		g_string_append(s, " (closed on ");
		for (j = 0; j < n; j++) {
			if (j > 0)
				g_string_append(s, j == n - 1 ? " and " :
						", ");
			g_string_append(s, item[j]);
			if (j < nclosed)
				g_string_append_c(s, 's');
		}
		g_string_append_c(s, ')');
	} else {
		if (!tokyo)
			g_string_append_printf(s, "（%s時間）", tz);
		g_string_append(s, "（");
		for (j = 0; j < nclosed; j++) {
			g_string_append(s, ja_day[closed[j]]);
			g_string_append(s, "・");
		}
		g_string_append_printf(s, "祝日%sを除く）", h->nclosure > 0 ?
				       "・年末年始" : "");
	}
	snprintf(buf, size, "%s", s->str);
	g_string_free(s, TRUE);
	return buf;
}
