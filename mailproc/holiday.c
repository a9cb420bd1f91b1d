/*
 * holiday.c: the Japanese national holiday calendar.
 *
 * Two layers, as in the Act itself.  statutory() knows the 国民の祝日 of
 * Article 2 as they stood in each year, plus the days the special laws
 * made holidays (1959, 1989, 1990, 1993, 2019) and the 2020/2021 moves of
 * the Olympic special measures law; those count as 国民の祝日 for
 * Article 3, as the special laws say.  holiday_name() adds Article 3's
 * 休日 on top:
 *
 *   3-2 振替休日, in force 1973-04-12: until 2006 the Monday after a Sunday
 *       祝日; from 2007-01-01 the first day after a Sunday 祝日 that is
 *       not itself a 祝日 (so 2008-05-06 and 2009-05-06 are holidays).
 *   3-3 国民の休日, in force 1985-12-27: a day that is not a 祝日 between
 *       two 祝日.  Until 2006 a Sunday or a 振替休日 was excluded.
 *
 * Every holiday of a year is fixed by that year's dates alone (a 振替休日
 * never crosses 12-31 and no 12-31 lies between two 祝日), so the answer
 * for a day needs at most a few neighbouring days.
 *
 * The equinox days are fixed each February by a Cabinet Office notice
 * following the National Astronomical Observatory's almanac; ahead of
 * that, the usual approximation is exact for every year published so far:
 *   day = int(A + 0.242194 * (Y - 1980) - int((Y - B) / 4))
 * with A = 20.8431 / 23.2488, B = 1980 for 1980-2099; A = 20.8357 /
 * 23.2588, B = 1983 for 1900-1979 (int truncating towards zero); and
 * A = 21.8510 / 24.2488, B = 1980 for 2100-2150.  We evaluate it in
 * millionths with integers so no rounding can move a day.
 */
#include <stddef.h>

#include "holiday.h"

/* Day numbers of the dates the Act and its amendments took effect. */
#define ACT_START_Y 1948
#define ACT_START_M 7
#define ACT_START_D 20

long
holiday_daynum(int year, int month, int day)
{
	long y = year - (month <= 2);
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
holiday_civil(long daynum, int *year_r, int *month_r, int *day_r)
{
	long z = daynum + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	int month = mp < 10 ? (int)mp + 3 : (int)mp - 9;

	*day_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month_r = month;
	*year_r = (int)(yoe + era * 400 + (month <= 2));
}

int
holiday_weekday(long daynum)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((daynum % 7) + 7 + 4) % 7);
}

int
holiday_days_in_month(int year, int month)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && leap)
		return 29;
	return days[month - 1];
}

static int
equinox(int year, long a_old, long a_mid, long a_new)
{
	long a, v;
	int base;

	if (year < HOLIDAY_FIRST_YEAR || year > HOLIDAY_LAST_YEAR)
		return 0;
	if (year < 1980) {
		a = a_old;
		base = 1983;
	} else if (year < 2100) {
		a = a_mid;
		base = 1980;
	} else {
		a = a_new;
		base = 1980;
	}
	/* C division truncates towards zero, as the formula's int() does. */
	v = a + 242194L * (year - 1980) - 1000000L * ((year - base) / 4);
	return (int)(v / 1000000L);
}

int
holiday_vernal_equinox(int year)
{
	return equinox(year, 20835700L, 20843100L, 21851000L);
}

int
holiday_autumnal_equinox(int year)
{
	return equinox(year, 23258800L, 23248800L, 24248800L);
}

/* The 国民の祝日 on that date, special days included, or NULL. */
static const char *
statutory(int y, int m, int d)
{
	long dn = holiday_daynum(y, m, d);
	int monday_nth = 0;

	if (y < HOLIDAY_FIRST_YEAR || y > HOLIDAY_LAST_YEAR ||
	    dn < holiday_daynum(ACT_START_Y, ACT_START_M, ACT_START_D))
		return NULL;
	if (holiday_weekday(dn) == 1)
		monday_nth = (d - 1) / 7 + 1;

	switch (m) {
	case 1:
		if (d == 1)
			return "元日";
		/* Happy Monday from 2000 (平成10年法律第141号). */
		if (y < 2000 ? d == 15 : monday_nth == 2)
			return "成人の日";
		break;
	case 2:
		if (d == 11 && y >= 1967)
			return "建国記念の日";
		if (d == 23 && y >= 2020)
			return "天皇誕生日";
		if (y == 1989 && d == 24)
			return "昭和天皇の大喪の礼";
		break;
	case 3:
		if (d == holiday_vernal_equinox(y))
			return "春分の日";
		break;
	case 4:
		if (d == 29) {
			if (y < 1989)
				return "天皇誕生日";
			return y < 2007 ? "みどりの日" : "昭和の日";
		}
		if (y == 1959 && d == 10)
			return "皇太子明仁親王の結婚の儀";
		break;
	case 5:
		if (d == 3)
			return "憲法記念日";
		if (d == 4 && y >= 2007)
			return "みどりの日";
		if (d == 5)
			return "こどもの日";
		if (y == 2019 && d == 1)
			return "天皇の即位の日";
		break;
	case 6:
		if (y == 1993 && d == 9)
			return "皇太子徳仁親王の結婚の儀";
		break;
	case 7:
		/* 1996 fixed, 2003 Happy Monday, moved for the Olympics. */
		if (y == 2020 || y == 2021) {
			if (d == (y == 2020 ? 23 : 22))
				return "海の日";
			if (d == (y == 2020 ? 24 : 23))
				return "スポーツの日";
		} else if (y >= 2003 ? monday_nth == 3 :
			   (y >= 1996 && d == 20)) {
			return "海の日";
		}
		break;
	case 8:
		if (y == 2020 ? d == 10 : y == 2021 ? d == 8 :
		    (y >= 2016 && d == 11))
			return "山の日";
		break;
	case 9:
		if (y >= 2003 ? monday_nth == 3 : (y >= 1966 && d == 15))
			return "敬老の日";
		if (d == holiday_autumnal_equinox(y))
			return "秋分の日";
		break;
	case 10:
		if (y == 2019 && d == 22)
			return "即位礼正殿の儀";
		if (y == 2020 || y == 2021)
			break;
		if (y >= 2000 ? monday_nth == 2 : (y >= 1966 && d == 10))
			return y >= 2020 ? "スポーツの日" : "体育の日";
		break;
	case 11:
		if (d == 3)
			return "文化の日";
		if (d == 23)
			return "勤労感謝の日";
		if (y == 1990 && d == 12)
			return "即位礼正殿の儀";
		break;
	case 12:
		if (d == 23 && y >= 1989 && y <= 2018)
			return "天皇誕生日";
		break;
	}
	return NULL;
}

static const char *
statutory_dn(long dn)
{
	int y, m, d;

	holiday_civil(dn, &y, &m, &d);
	return statutory(y, m, d);
}

/* Whether dn is a 振替休日 (dn itself is not a 祝日). */
static int
is_substitute(long dn)
{
	long k;

	if (dn < holiday_daynum(1973, 4, 12))
		return 0;
	if (dn < holiday_daynum(2007, 1, 1))
		return holiday_weekday(dn) == 1 && statutory_dn(dn - 1) != NULL;
	/* Walk back over the run of 祝日 that ends the day before. */
	for (k = dn - 1; statutory_dn(k) != NULL; k--) {
		if (holiday_weekday(k) == 0)
			return 1;
	}
	return 0;
}

/* Whether dn is a 国民の休日 (dn is neither 祝日 nor 振替休日). */
static int
is_citizens(long dn)
{
	if (dn < holiday_daynum(1985, 12, 27))
		return 0;
	if (dn < holiday_daynum(2007, 1, 1) && holiday_weekday(dn) == 0)
		return 0;
	return statutory_dn(dn - 1) != NULL && statutory_dn(dn + 1) != NULL;
}

const char *
holiday_name(int year, int month, int day)
{
	const char *name;
	long dn;

	if (year < HOLIDAY_FIRST_YEAR || year > HOLIDAY_LAST_YEAR ||
	    day < 1 || day > holiday_days_in_month(year, month))
		return NULL;
	name = statutory(year, month, day);
	if (name != NULL)
		return name;
	dn = holiday_daynum(year, month, day);
	if (is_substitute(dn))
		return HOLIDAY_SUBSTITUTE;
	if (is_citizens(dn))
		return HOLIDAY_CITIZENS;
	return NULL;
}

int
holiday_list(int year, struct holiday *out, int max)
{
	int n = 0, m, d;
	const char *name;

	for (m = 1; m <= 12; m++) {
		for (d = 1; d <= holiday_days_in_month(year, m); d++) {
			name = holiday_name(year, m, d);
			if (name == NULL)
				continue;
			if (n < max) {
				out[n].month = m;
				out[n].day = d;
				out[n].name = name;
			}
			n++;
		}
	}
	return n;
}
