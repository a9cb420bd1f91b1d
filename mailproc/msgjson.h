/*
 * The JSON form of a parsed message (the fields of `parse --json`, SPEC
 * §12a).  Owns the mapping from struct msg to JSON; jansson objects stay
 * inside the json-producing modules.
 */
#ifndef MP_MSGJSON_H
#define MP_MSGJSON_H

#include "msg.h"

/* Returns the message as a compact JSON text (new string, caller frees
 * with free()), or NULL when out of memory. */
char *msgjson_dump(const struct msg *m);

/* The "text" of a JSON text made by msgjson_dump(): a new string (caller
 * frees), or NULL when there is none or it does not parse. */
char *msgjson_text(const char *json);

#endif
