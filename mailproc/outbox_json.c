/* outbox_json.c: outbox rows as JSON. */
#include <time.h>

#include "outbox_json.h"

json_t *
json_time_or_null(long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
outbox_json(const struct store_outbox *o)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:o,s:o,s:o,s:o,"
			 "s:o}",
		"id", (json_int_t)o->id,
		"ticket", o->ticket ? json_integer(o->ticket) : json_null(),
		"to", str_or_null(o->to_addr),
		"subject", str_or_null(o->subject),
		"template", str_or_null(o->template),
		"state", str_or_null(o->state),
		"automatic", o->automatic,
		"attempts", (json_int_t)o->attempts,
		"next_attempt", json_time_or_null(o->next_attempt),
		"release_at", json_time_or_null(o->release_at),
		"last_error", str_or_null(o->last_error),
		"message_id", str_or_null(o->message_id),
		"sent_at", json_time_or_null(o->sent_at));
}
