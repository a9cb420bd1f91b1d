/* msgjson.c: struct msg as JSON. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "msgjson.h"

/* Text from mail should already be UTF-8; anything that is not is
 * repaired rather than dropped, since jansson refuses invalid UTF-8. */
static json_t *
str_or_null(const char *s)
{
	json_t *j;
	gchar *valid;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	valid = g_utf8_make_valid(s, -1);
	j = json_string(valid);
	g_free(valid);
	return j ? j : json_string("");
}

static json_t *
addrs(const struct msg_addrs *a)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < a->n; i++)
		json_array_append_new(arr, json_pack("{s:o,s:o}",
			"name", str_or_null(a->v[i].name),
			"address", str_or_null(a->v[i].address)));
	return arr;
}

static json_t *
strv(char *const *v, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, str_or_null(v[i]));
	return arr;
}

char *
msgjson_dump(const struct msg *m)
{
	json_t *o, *att;
	char *out;
	size_t i;

	att = json_array();
	for (i = 0; i < m->n_attachments; i++) {
		const struct msg_attachment *a = &m->attachments[i];
		json_array_append_new(att, json_pack("{s:o,s:o,s:I,s:o}",
			"filename", str_or_null(a->filename),
			"content_type", str_or_null(a->content_type),
			"size", (json_int_t)a->size,
			"sha256", str_or_null(a->sha256)));
	}
	o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o}",
		"subject", str_or_null(m->subject),
		"from", addrs(&m->from),
		"to", addrs(&m->to),
		"cc", addrs(&m->cc),
		"date", str_or_null(m->date),
		"message_id", str_or_null(m->message_id),
		"in_reply_to", str_or_null(m->in_reply_to),
		"references", strv(m->references, m->n_references),
		"text", str_or_null(m->text),
		"text_from_html", m->text_from_html,
		"attachments", att,
		"defects", strv(m->defects, m->n_defects));
	if (o == NULL)
		return NULL;
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

char *
msgjson_text(const char *json)
{
	json_t *root = json ? json_loads(json, 0, NULL) : NULL;
	const char *text = root ? json_string_value(json_object_get(root,
								    "text")) :
		NULL;
	char *out = text ? strdup(text) : NULL;

	json_decref(root);
	return out;
}
