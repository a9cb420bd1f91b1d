/*
 * The Japanese national holiday calendar.  Owns the rules of the National
 * Holidays Act (国民の祝日に関する法律) as amended, the special laws for
 * one-off days, and the proleptic Gregorian day arithmetic they rest on.
 * Pure computation: no clock, no time zone, no allocation.  Business hours
 * (what a holiday means for the support desk) belong to hours.c.
 */
#ifndef MP_HOLIDAY_H
#define MP_HOLIDAY_H

/* The calendar covers 1948-07-20 (the Act in force) to the end of
 * HOLIDAY_LAST_YEAR; past 2099 it applies the law as it stands today. */
#define HOLIDAY_FIRST_YEAR 1948
#define HOLIDAY_LAST_YEAR 2150

/* The names used for the two kinds of 休日 that are not 祝日.  The Cabinet
 * Office lists both as "休日"; we keep them apart. */
#define HOLIDAY_SUBSTITUTE "振替休日"
#define HOLIDAY_CITIZENS "国民の休日"

struct holiday {
	int month;
	int day;
	const char *name;	/* static storage */
};

/* The Japanese name of the holiday on that date, or NULL when it is not
 * one (or is outside the covered range, or is not a valid date).  The
 * string is static and never freed. */
const char *holiday_name(int year, int month, int day);

/* Fills out with the holidays of year in date order and returns how many
 * there are (at most max are written; a year never has more than 32).
 * Returns 0 for a year outside the covered range. */
int holiday_list(int year, struct holiday *out, int max);

/* Day of the vernal / autumnal equinox day in March / September of year
 * by the standard approximation, or 0 outside 1948..2150. */
int holiday_vernal_equinox(int year);
int holiday_autumnal_equinox(int year);

/* Days from 1970-01-01 to the given date (negative before it).  month
 * must be 1..12; day may run past either end of the month (day 0 is the
 * last day of the month before). */
long holiday_daynum(int year, int month, int day);

/* The date of a day number from holiday_daynum(). */
void holiday_civil(long daynum, int *year_r, int *month_r, int *day_r);

/* Day of the week of a day number: 0 Sunday .. 6 Saturday. */
int holiday_weekday(long daynum);

/* Days in that month (0 if month is not 1..12). */
int holiday_days_in_month(int year, int month);

#endif
