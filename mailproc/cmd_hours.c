/*
 * cmd_hours.c: `mailproc hours [--at ISO8601] [--json]` tells whether the
 * support desk is open at an instant (now by default), why not, and when
 * it next opens; `mailproc hours --holidays YEAR [--json]` lists the
 * national holidays of a year, so an operator can check the calendar.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "err.h"
#include "holiday.h"
#include "hours.h"
#include "log.h"

#define USAGE "usage: hours [--at ISO8601] [--json] | " \
	      "hours --holidays YEAR [--json]"

static int
write_failed(void)
{
	log_user_error("hours", "stdout: %s", strerror(errno));
	return EX_TEMPFAIL;
}

/* Writes j as one line on stdout and releases it; j NULL means it could
 * not be built.  Returns the exit code. */
static int
put_json(json_t *j)
{
	int rc;

	if (j == NULL) {
		log_user_error("hours", "out of memory");
		return EX_TEMPFAIL;
	}
	rc = json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc < 0 || putchar('\n') == EOF || fflush(stdout) == EOF)
		return write_failed();
	return EX_OK;
}

static int
show_holidays(const char *year_text, int as_json)
{
	struct holiday list[40];
	static const char *const wd[7] = {
		"日", "月", "火", "水", "木", "金", "土"
	};
	char date[16], *end;
	json_t *arr = NULL, *item;
	long year;
	int i, n, rc = 0;

	errno = 0;
	year = strtol(year_text, &end, 10);
	if (errno != 0 || end == year_text || *end != '\0' ||
	    year < HOLIDAY_FIRST_YEAR || year > HOLIDAY_LAST_YEAR) {
		log_user_error("hours", "--holidays: \"%.32s\" is not a year "
			       "from %d to %d", year_text, HOLIDAY_FIRST_YEAR,
			       HOLIDAY_LAST_YEAR);
		return EX_USAGE;
	}
	n = holiday_list((int)year, list, (int)(sizeof(list) /
						sizeof(list[0])));
	if (as_json && (arr = json_array()) == NULL)
		return put_json(NULL);
	for (i = 0; i < n; i++) {
		snprintf(date, sizeof(date), "%04ld-%02d-%02d", year,
			 list[i].month, list[i].day);
		if (!as_json) {
			if (printf("%s (%s) %s\n", date,
				   wd[holiday_weekday(holiday_daynum(
					   (int)year, list[i].month,
					   list[i].day))],
				   list[i].name) < 0)
				rc = -1;
			continue;
		}
		item = json_pack("{s:s, s:s}", "date", date,
				 "name", list[i].name);
		if (item == NULL || json_array_append_new(arr, item) < 0) {
			json_decref(arr);
			return put_json(NULL);
		}
	}
	if (as_json)
		return put_json(arr);
	if (rc < 0 || fflush(stdout) == EOF)
		return write_failed();
	return EX_OK;
}

static int
show_status(const struct hours *h, time_t t, int as_json)
{
	struct hours_status st;
	struct mp_err err;
	char at[64], next[64], close[64];
	const char *reason;
	json_t *j;
	int rc;

	mp_err_clear(&err);
	if (hours_status(h, t, &st, &err) < 0 ||
	    hours_format(h, t, at, sizeof(at), &err) < 0 ||
	    hours_format(h, st.next_open, next, sizeof(next), &err) < 0 ||
	    hours_format(h, st.next_close, close, sizeof(close), &err) < 0) {
		log_user_error("hours", "%s", err.msg);
		return EX_CONFIG;
	}
	reason = hours_reason_name(st.reason);
	if (as_json) {
		j = json_pack("{s:s, s:b, s:s?, s:s?, s:s, s:s}",
			      "at", at, "open", st.open, "reason", reason,
			      "holiday", st.holiday, "next_open", next,
			      "next_close", close);
		return put_json(j);
	}
	if (st.open && st.holiday != NULL)
		rc = printf("%s open until %s (%s, an open date)\n", at,
			    close, st.holiday);
	else if (st.open)
		rc = printf("%s open until %s\n", at, close);
	else if (st.holiday != NULL)
		rc = printf("%s closed (%s: %s); next opening %s\n", at,
			    reason, st.holiday, next);
	else
		rc = printf("%s closed (%s); next opening %s\n", at, reason,
			    next);
	if (rc < 0 || fflush(stdout) == EOF)
		return write_failed();
	return EX_OK;
}

int
cmd_hours(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	static const char *const options[] = { "at", "holidays", NULL };
	const char *at = NULL, *year = NULL;
	struct hours h;
	struct mp_err err;
	time_t t;
	int i, as_json, rc;

	if (!cmd_args_known(argc, argv, "hours", flags, options))
		return EX_USAGE;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--at") == 0 ||
		    strcmp(argv[i], "--holidays") == 0) {
			i++;
		} else if (strncmp(argv[i], "--", 2) != 0) {
			log_user_error("hours", "unexpected argument "
				       "\"%.32s\"; %s", argv[i], USAGE);
			return EX_USAGE;
		}
	}
	as_json = cmd_flag(argc, argv, "json");
	if (cmd_option(argc, argv, "at", &at) < 0 ||
	    cmd_option(argc, argv, "holidays", &year) < 0) {
		log_user_error("hours", "option without its value; %s", USAGE);
		return EX_USAGE;
	}
	if (year != NULL && at != NULL) {
		log_user_error("hours", "--at and --holidays do not go "
			       "together; %s", USAGE);
		return EX_USAGE;
	}
	if (year != NULL)
		return show_holidays(year, as_json);

	mp_err_clear(&err);
	if (hours_init_conf(&h, conf, &err) < 0) {
		log_user_error("hours", "%s", err.msg);
		return err.kind == MP_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	}
	if (at == NULL) {
		t = clock_now();
	} else if (hours_parse_time(&h, at, &t, &err) < 0) {
		log_user_error("hours", "--at: %s", err.msg);
		hours_release(&h);
		return EX_USAGE;
	}
	rc = show_status(&h, t, as_json);
	hours_release(&h);
	return rc;
}
