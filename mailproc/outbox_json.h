/*
 * The JSON form of an outbox row (SPEC §12a), shared by `outbox list` and
 * `ticket show`.
 */
#ifndef MP_OUTBOX_JSON_H
#define MP_OUTBOX_JSON_H

#include <jansson.h>

#include "store.h"

/* A new JSON object for o (reference owned by the caller). */
json_t *outbox_json(const struct store_outbox *o);

/* ISO 8601 UTC for a Unix time, or null for 0 (new reference). */
json_t *json_time_or_null(long long t);

#endif
