/*
 * form.c: form.conf (the labels of form-gateway mail, one per field) and
 * the parsing of form mail into its fields.
 */
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rules_priv.h"

static const char *const field_names[RULES_FIELD_COUNT] = {
	"contract", "name", "email", "phone", "kind", "server", "content",
};

/* -- form.conf -- */

void
form_conf_line(struct loader *ld, int line, char *s)
{
	struct rules *r = ld->r;
	char *field = rules_next_word(&s), *key;
	struct label *l;
	size_t i;

	for (i = 0; i < RULES_FIELD_COUNT; i++)
		if (strcmp(field, field_names[i]) == 0)
			break;
	if (i == RULES_FIELD_COUNT) {
		loader_problem(ld, line, "unknown field '%s' (contract, name, email, "
			"phone, kind, server, content)", field);
		return;
	}
	if (*s == '\0') {
		loader_problem(ld, line, "field %s without a label", field);
		return;
	}
	key = rules_name_key(s, -1);
	if (key == NULL) {
		ld->oom = 1;
		return;
	}
	if (*key == '\0') {
		loader_problem(ld, line, "label '%s' has no letters", s);
		free(key);
		return;
	}
	for (i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i].key, key) == 0) {
			loader_problem(ld, line, "duplicate label '%s' (first on "
				"line %d)", s, r->labels[i].line);
			free(key);
			return;
		}
	l = rules_array_push(&r->labels, &r->n_labels, sizeof(*l));
	if (l == NULL) {
		free(key);
		ld->oom = 1;
		return;
	}
	for (i = 0; i < RULES_FIELD_COUNT; i++)
		if (strcmp(field, field_names[i]) == 0)
			l->field = (enum rules_field)i;
	l->key = key;
	l->line = line;
}

void
form_conf_finish(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i, j;

	for (i = 0; i < RULES_FIELD_COUNT; i++) {
		for (j = 0; j < r->n_labels; j++)
			if (r->labels[j].field == (enum rules_field)i)
				break;
		if (j == r->n_labels)
			loader_problem(ld, 0, "no label for field %s",
				field_names[i]);
	}
}

/* ---- forms ------------------------------------------------------------ */

static const struct label *
label_find(const struct rules *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i].key, key) == 0)
			return &r->labels[i];
	return NULL;
}

/* If line (normalised, len bytes) starts with a known label, returns its
 * field and sets *value to where the value starts; else -1. */
static int
form_label(const struct rules *r, const char *line, size_t len,
	   const char **value)
{
	const char *p = line, *end = line + len, *lstart, *lend, *v;
	const struct label *l;
	char *key;
	int field = -1;

	while (p < end && rules_is_space((unsigned char)*p))
		p++;
	/* Bullets some gateways put before labels. */
	if (end - p >= 3 && (memcmp(p, "■", 3) == 0 ||
			     memcmp(p, "●", 3) == 0 ||
			     memcmp(p, "◆", 3) == 0 ||
			     memcmp(p, "・", 3) == 0))
		p += 3;
	else if (p < end && (*p == '*' || *p == '-'))
		p++;
	while (p < end && rules_is_space((unsigned char)*p))
		p++;
	if (end - p >= 3 && memcmp(p, "【", 3) == 0) {
		lstart = p + 3;
		lend = strstr(lstart, "】");
		if (lend == NULL || lend >= end)
			return -1;
		v = lend + 3;
		if (v < end && *v == ':')
			v++;
	} else if (p < end && *p == '[') {
		lstart = p + 1;
		lend = memchr(lstart, ']', (size_t)(end - lstart));
		if (lend == NULL)
			return -1;
		v = lend + 1;
		if (v < end && *v == ':')
			v++;
	} else {
		lstart = p;
		lend = memchr(p, ':', (size_t)(end - p));
		if (lend == NULL || lend - lstart > 60)
			return -1;
		v = lend + 1;
	}
	if (lend == lstart)
		return -1;
	key = rules_name_key(lstart, lend - lstart);
	if (key == NULL)
		return -2;
	l = label_find(r, key);
	free(key);
	if (l != NULL) {
		field = (int)l->field;
		while (v < end && rules_is_space((unsigned char)*v))
			v++;
		*value = v;
	}
	return field;
}

static char *
trimmed_dup(const char *s, size_t len)
{
	while (len > 0 && rules_is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && rules_is_space((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

/* Parses already normalised text.  Returns 0 or -1 (out of memory). */
int
form_parse_norm(const struct rules *r, const char *s,
		struct rules_form *form)
{
	struct buf vals[RULES_FIELD_COUNT];
	const char *p = s, *nl, *value = NULL;
	size_t len, i;
	int field, cur = -1, rc = 0;

	memset(form, 0, sizeof(*form));
	memset(vals, 0, sizeof(vals));
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		field = form_label(r, p, len, &value);
		if (field == -2) {
			rc = -1;
			break;
		}
		if (field >= 0) {
			cur = field;
			/* a label seen twice keeps both values */
			if (vals[cur].p != NULL)
				buf_add(&vals[cur], "\n", 1);
			else
				form->n_fields++;
			buf_add(&vals[cur], value, (size_t)(p + len - value));
		} else if (cur >= 0) {
			buf_add(&vals[cur], "\n", 1);
			buf_add(&vals[cur], p, len);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (i = 0; i < RULES_FIELD_COUNT; i++) {
		if (vals[i].oom)
			rc = -1;
		if (vals[i].p != NULL && rc == 0) {
			form->field[i] = trimmed_dup(vals[i].p, vals[i].len);
			if (form->field[i] == NULL)
				rc = -1;
		}
		free(vals[i].p);
	}
	if (rc < 0)
		rules_form_release(form);
	return rc;
}

int
rules_form_parse(const struct rules *r, const char *text,
		 struct rules_form *form, struct mp_err *err)
{
	char *u;
	int rc;

	memset(form, 0, sizeof(*form));
	if (text == NULL)
		return 0;
	u = owntext_all(text);
	if (u == NULL)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	rc = form_parse_norm(r, u, form);
	free(u);
	if (rc < 0)
		return mp_err_set(err, MP_TEMP, "rules: out of memory");
	return 0;
}

void
rules_form_release(struct rules_form *form)
{
	size_t i;

	for (i = 0; i < RULES_FIELD_COUNT; i++)
		free(form->field[i]);
	memset(form, 0, sizeof(*form));
}

const char *
rules_field_name(enum rules_field field)
{
	if ((int)field < 0 || field >= RULES_FIELD_COUNT)
		return NULL;
	return field_names[field];
}

