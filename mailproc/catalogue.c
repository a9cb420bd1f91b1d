/*
 * catalogue.c: catalogue.conf (service menus as option ids, the tasks of
 * the catalogue and the three classes outside it) and the lookups in it:
 * by id, by any of a task's names, and whether a contract's options
 * cover a task.
 */
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

static const char *const required_classes[] = {
	"fault-report", "out-of-scope", "general",
};

/* -- catalogue.conf -- */

enum cat_key {
	KEY_JA = 1 << 0,
	KEY_EN = 1 << 1,
	KEY_IDENTITY = 1 << 2,
	KEY_CHANNEL = 1 << 3,
	KEY_NOTIFY = 1 << 4,
	KEY_OPTIONS = 1 << 5,
	KEY_URGENT = 1 << 6,
};

static int
parse_yes_no(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
parse_channel(const char *v, enum rules_channel *out)
{
	if (strcmp(v, "email") == 0)
		*out = RULES_CHANNEL_EMAIL;
	else if (strcmp(v, "phone") == 0)
		*out = RULES_CHANNEL_PHONE;
	else if (strcmp(v, "none") == 0)
		*out = RULES_CHANNEL_NONE;
	else
		return -1;
	return 0;
}

static int
parse_notify(const char *v, enum rules_notify *out)
{
	if (strcmp(v, "monitoring-email") == 0)
		*out = RULES_NOTIFY_MONITORING_EMAIL;
	else if (strcmp(v, "none") == 0)
		*out = RULES_NOTIFY_NONE;
	else
		return -1;
	return 0;
}

static int
class_allowed(const char *id)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(required_classes); i++)
		if (strcmp(id, required_classes[i]) == 0)
			return 1;
	return 0;
}

static void
cat_header(struct loader *ld, int line, const char *key, char *rest)
{
	struct rules *r = ld->r;
	char *id = rules_next_word(&rest);
	size_t i;

	ld->rec = strcmp(key, "option") == 0 ? REC_OPTION :
		  strcmp(key, "task") == 0 ? REC_TASK : REC_CLASS;
	ld->skip = 1;
	if (id == NULL) {
		loader_problem(ld, line, "%s without an id", key);
		return;
	}
	if (*rest != '\0') {
		loader_problem(ld, line, "unexpected text after %s id: %s", key,
			rest);
		return;
	}
	if (!rules_valid_id(id)) {
		loader_problem(ld, line, "bad id '%s' (lower-case letters, digits "
			"and '-')", id);
		return;
	}
	if (ld->rec == REC_OPTION) {
		struct option_priv *o;

		for (i = 0; i < r->n_options; i++)
			if (strcmp(r->options[i].pub.id, id) == 0) {
				loader_problem(ld, line, "duplicate option id '%s' "
					"(first on line %d)", id,
					r->options[i].line);
				return;
			}
		o = rules_array_push(&r->options, &r->n_options, sizeof(*o));
		if (o == NULL || (o->pub.id = loader_strdup(ld, id)) == NULL) {
			ld->oom = 1;
			return;
		}
		o->line = line;
		ld->index = r->n_options - 1;
	} else {
		struct item_priv *it;

		for (i = 0; i < r->n_items; i++)
			if (strcmp(r->items[i].pub.id, id) == 0) {
				loader_problem(ld, line, "duplicate task id '%s' "
					"(first on line %d)", id,
					r->items[i].line);
				return;
			}
		if (ld->rec == REC_CLASS && !class_allowed(id)) {
			loader_problem(ld, line, "unknown class '%s' (fault-report, "
				"out-of-scope or general)", id);
			return;
		}
		if (ld->rec == REC_TASK && class_allowed(id)) {
			loader_problem(ld, line, "'%s' is a class, not a task", id);
			return;
		}
		it = rules_array_push(&r->items, &r->n_items, sizeof(*it));
		if (it == NULL || (it->pub.id = loader_strdup(ld, id)) == NULL) {
			ld->oom = 1;
			return;
		}
		it->line = line;
		it->pub.catalogue = ld->rec == REC_TASK;
		ld->index = r->n_items - 1;
	}
	ld->skip = 0;
}

static int
seen_once(struct loader *ld, int line, unsigned *seen, unsigned bit,
	  const char *key)
{
	if (*seen & bit) {
		loader_problem(ld, line, "'%s' given twice in one record", key);
		return 0;
	}
	*seen |= bit;
	return 1;
}

static void
cat_option_key(struct loader *ld, int line, const char *key, char *val)
{
	struct option_priv *o = &ld->r->options[ld->index];

	if (strcmp(key, "ja") == 0) {
		if (seen_once(ld, line, &o->seen, KEY_JA, key))
			o->pub.name_ja = loader_strdup(ld, val);
	} else if (strcmp(key, "en") == 0) {
		if (seen_once(ld, line, &o->seen, KEY_EN, key))
			o->pub.name_en = loader_strdup(ld, val);
	} else {
		loader_problem(ld, line, "unknown key '%s' in option %s (ja, en)",
			key, o->pub.id);
	}
}

static void
cat_item_options(struct loader *ld, int line, struct item_priv *it,
		 char *val)
{
	char *w, **slot;
	size_t i;

	it->options_line = line;
	while ((w = rules_next_word(&val)) != NULL) {
		for (i = 0; i < it->pub.n_options; i++)
			if (strcmp(it->pub.options[i], w) == 0)
				break;
		if (i < it->pub.n_options) {
			loader_problem(ld, line, "option '%s' listed twice", w);
			continue;
		}
		slot = rules_array_push(&it->pub.options, &it->pub.n_options,
			    sizeof(*slot));
		if (slot == NULL || (*slot = loader_strdup(ld, w)) == NULL) {
			ld->oom = 1;
			return;
		}
	}
}

static void
cat_item_key(struct loader *ld, int line, const char *key, char *val)
{
	struct item_priv *it = &ld->r->items[ld->index];
	struct rules_item *p = &it->pub;

	if (strcmp(key, "ja") == 0) {
		if (seen_once(ld, line, &it->seen, KEY_JA, key))
			p->name_ja = loader_strdup(ld, val);
	} else if (strcmp(key, "en") == 0) {
		if (seen_once(ld, line, &it->seen, KEY_EN, key))
			p->name_en = loader_strdup(ld, val);
	} else if (strcmp(key, "identity") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_IDENTITY, key))
			return;
		if (parse_yes_no(val, &p->identity_required) < 0)
			loader_problem(ld, line, "identity must be yes or no, not "
				"'%s'", val);
	} else if (strcmp(key, "urgent") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_URGENT, key))
			return;
		if (parse_yes_no(val, &p->urgent) < 0)
			loader_problem(ld, line, "urgent must be yes or no, not "
				"'%s'", val);
	} else if (strcmp(key, "channel") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_CHANNEL, key))
			return;
		if (parse_channel(val, &p->channel) < 0)
			loader_problem(ld, line, "unknown channel '%s' (email, phone "
				"or none)", val);
	} else if (strcmp(key, "notify") == 0) {
		if (!seen_once(ld, line, &it->seen, KEY_NOTIFY, key))
			return;
		if (parse_notify(val, &p->notify) < 0)
			loader_problem(ld, line, "unknown notify '%s' "
				"(monitoring-email or none)", val);
	} else if (strcmp(key, "options") == 0) {
		if (seen_once(ld, line, &it->seen, KEY_OPTIONS, key))
			cat_item_options(ld, line, it, val);
	} else if (strcmp(key, "facets") == 0) {
		char *w;

		while ((w = rules_next_word(&val)) != NULL) {
			char **slot;

			if (!rules_valid_id(w)) {
				loader_problem(ld, line, "bad facet '%s'", w);
				continue;
			}
			slot = rules_array_push(&p->facets, &p->n_facets, sizeof(*slot));
			if (slot == NULL || (*slot = loader_strdup(ld, w)) == NULL) {
				ld->oom = 1;
				return;
			}
		}
	} else if (strcmp(key, "alias") == 0) {
		char **slot = rules_array_push(&p->aliases, &p->n_aliases, sizeof(*slot));

		if (slot == NULL || (*slot = loader_strdup(ld, val)) == NULL)
			ld->oom = 1;
	} else {
		loader_problem(ld, line, "unknown key '%s' in %s (ja, en, identity, "
			"channel, notify, options, alias, facets, urgent)", key,
			p->id);
	}
}

void
catalogue_line(struct loader *ld, int line, char *s)
{
	char *key = rules_next_word(&s);

	if (strcmp(key, "option") == 0 || strcmp(key, "task") == 0 ||
	    strcmp(key, "class") == 0) {
		cat_header(ld, line, key, s);
		return;
	}
	if (ld->rec == REC_NONE) {
		loader_problem(ld, line, "'%s' before the first option, task or "
			"class", key);
		return;
	}
	if (ld->skip)
		return;
	if (*s == '\0') {
		loader_problem(ld, line, "'%s' without a value", key);
		return;
	}
	if (ld->rec == REC_OPTION)
		cat_option_key(ld, line, key, s);
	else
		cat_item_key(ld, line, key, s);
}

static struct option_priv *
option_find(struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_options; i++)
		if (strcmp(r->options[i].pub.id, id) == 0)
			return &r->options[i];
	return NULL;
}

void
catalogue_finish(struct loader *ld)
{
	struct rules *r = ld->r;
	size_t i, j;

	for (i = 0; i < r->n_options; i++) {
		struct option_priv *o = &r->options[i];

		if (!(o->seen & KEY_JA))
			loader_problem(ld, o->line, "option %s has no ja name",
				o->pub.id);
		if (!(o->seen & KEY_EN))
			loader_problem(ld, o->line, "option %s has no en name",
				o->pub.id);
	}
	for (i = 0; i < r->n_items; i++) {
		struct item_priv *it = &r->items[i];
		struct rules_item *p = &it->pub;

		if (!(it->seen & KEY_JA))
			loader_problem(ld, it->line, "%s has no ja name", p->id);
		if (!(it->seen & KEY_EN))
			loader_problem(ld, it->line, "%s has no en name", p->id);
		if (!(it->seen & KEY_IDENTITY))
			loader_problem(ld, it->line, "%s has no identity line",
				p->id);
		if (!(it->seen & KEY_CHANNEL))
			loader_problem(ld, it->line, "%s has no channel line", p->id);
		if ((it->seen & KEY_IDENTITY) && (it->seen & KEY_CHANNEL)) {
			if (p->identity_required &&
			    p->channel == RULES_CHANNEL_NONE)
				loader_problem(ld, it->line, "%s requires identity "
					"confirmation but has channel none",
					p->id);
			if (!p->identity_required &&
			    p->channel != RULES_CHANNEL_NONE)
				loader_problem(ld, it->line, "%s has a channel but "
					"no identity confirmation", p->id);
		}
		if (p->catalogue) {
			if (!(it->seen & KEY_NOTIFY))
				loader_problem(ld, it->line, "task %s has no notify "
					"line", p->id);
			if (p->n_options == 0 && !(it->seen & KEY_OPTIONS))
				loader_problem(ld, it->line, "task %s has no "
					"options line", p->id);
			else if (p->n_options == 0)
				loader_problem(ld, it->options_line, "task %s lists "
					"no option", p->id);
		} else if (p->n_options > 0) {
			loader_problem(ld, it->options_line, "class %s cannot need "
				"options", p->id);
		}
		for (j = 0; j < p->n_options; j++)
			if (option_find(r, p->options[j]) == NULL)
				loader_problem(ld, it->options_line, "unknown option "
					"'%s'", p->options[j]);
	}
	for (i = 0; i < G_N_ELEMENTS(required_classes); i++)
		if (rules_item_find(r, required_classes[i]) == NULL)
			loader_problem(ld, 0, "class %s is missing",
				required_classes[i]);
}

/* The normalised names of each item, for rules_item_by_name(); built on
 * first use, since NFKC of some hundred names costs half a millisecond
 * that most processes never need.  Returns 0 or -1 (out of memory). */
static int
item_keys(struct rules *r)
{
	size_t i, j, n;

	if (r->keys_done)
		return 0;
	for (i = 0; i < r->n_items; i++) {
		struct item_priv *it = &r->items[i];
		const char *names[3] = {
			it->pub.id, it->pub.name_ja, it->pub.name_en,
		};

		if (it->keys != NULL)
			continue;
		n = 3 + it->pub.n_aliases;
		it->keys = calloc(n, sizeof(*it->keys));
		if (it->keys == NULL)
			return -1;
		for (j = 0; j < n; j++) {
			const char *s = j < 3 ? names[j] :
					it->pub.aliases[j - 3];

			if (s == NULL)
				continue;
			it->keys[it->n_keys] = rules_name_key(s, -1);
			if (it->keys[it->n_keys] == NULL)
				return -1;
			it->n_keys++;
		}
	}
	r->keys_done = 1;
	return 0;
}

/* ---- lookups ---------------------------------------------------------- */

const struct rules_item *
rules_item_find(const struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_items; i++)
		if (strcmp(r->items[i].pub.id, id) == 0)
			return &r->items[i].pub;
	return NULL;
}

const struct rules_item *
rules_item_by_name(const struct rules *r, const char *name)
{
	char *key;
	size_t i, j;
	const struct rules_item *found = NULL;

	/* The name table is a cache: building it does not change what r
	 * means, hence the cast. */
	if (item_keys((struct rules *)r) < 0)
		return NULL;
	key = rules_name_key(name, -1);
	if (key == NULL || *key == '\0') {
		free(key);
		return NULL;
	}
	for (i = 0; i < r->n_items && found == NULL; i++)
		for (j = 0; j < r->items[i].n_keys; j++)
			if (strcmp(r->items[i].keys[j], key) == 0) {
				found = &r->items[i].pub;
				break;
			}
	free(key);
	return found;
}

size_t
rules_item_count(const struct rules *r)
{
	return r->n_items;
}

const struct rules_item *
rules_item_at(const struct rules *r, size_t i)
{
	return i < r->n_items ? &r->items[i].pub : NULL;
}

const struct rules_option *
rules_option_find(const struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_options; i++)
		if (strcmp(r->options[i].pub.id, id) == 0)
			return &r->options[i].pub;
	return NULL;
}

size_t
rules_option_count(const struct rules *r)
{
	return r->n_options;
}

const struct rules_option *
rules_option_at(const struct rules *r, size_t i)
{
	return i < r->n_options ? &r->options[i].pub : NULL;
}

int
rules_item_covered(const struct rules_item *item, const char *options)
{
	const char *p = options, *e;
	size_t i, n;

	if (item->n_options == 0)
		return 1;
	if (options == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		for (e = p; *e != '\0' && *e != ' ' && *e != ',' &&
		     *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		for (i = 0; n > 0 && i < item->n_options; i++)
			if (strlen(item->options[i]) == n &&
			    memcmp(item->options[i], p, n) == 0)
				return 1;
		p = e;
	}
	return 0;
}

const char *
rules_channel_name(enum rules_channel channel)
{
	switch (channel) {
	case RULES_CHANNEL_EMAIL:
		return "email";
	case RULES_CHANNEL_PHONE:
		return "phone";
	default:
		return NULL;
	}
}

