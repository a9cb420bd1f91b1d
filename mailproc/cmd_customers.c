/*
 * cmd_customers.c: `customers import [--replace] FILE.csv`, `customers
 * remove ID...` and `customers list`.  The whole file is imported in one
 * transaction or not at all; with --replace the registry becomes exactly
 * the file (contracts not in it are removed) in that same transaction,
 * so a reader sees the old registry or the new one, never a mix.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "cmd.h"
#include "contracts.h"
#include "log.h"
#include "rules.h"
#include "store.h"

static int
option_known(void *ctx, const char *id)
{
	return rules_option_find(ctx, id) != NULL;
}

static int
import(struct conf *conf, const char *path, int replace)
{
	struct store_contract *rows = NULL;
	struct rules *rules = NULL;
	struct store *s = NULL;
	struct mp_err err = { 0 };
	size_t n = 0, i;
	int rc = EX_OK;

	if (rules_load_site(&rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, &err) < 0) {
		log_user_error("customers import", "rules: %s", err.msg);
		return EX_CONFIG;
	}
	if (contracts_read(path, option_known, rules, &rows, &n, &err) < 0) {
		log_user_error("customers import", "%s", err.msg);
		rules_free(&rules);
		return err.kind == MP_TEMP ? EX_TEMPFAIL :
			(strstr(err.msg, "No such file") ? EX_NOINPUT :
			 EX_DATAERR);
	}
	rules_free(&rules);
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_begin(s, &err) < 0) {
		log_user_error("customers import", "%s", err.msg);
		rc = EX_TEMPFAIL;
		goto done;
	}
	if (replace && store_contract_clear(s, &err) < 0) {
		store_rollback(s);
		log_user_error("customers import", "%s", err.msg);
		rc = EX_TEMPFAIL;
		goto done;
	}
	for (i = 0; i < n; i++)
		if (store_contract_put(s, &rows[i], &err) < 0)
			break;
	if (i < n) {
		store_rollback(s);
		log_user_error("customers import", "contract %s: %s; nothing "
			       "imported", rows[i].id, err.msg);
		rc = err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
		goto done;
	}
	if (store_commit(s, &err) < 0) {
		log_user_error("customers import", "%s", err.msg);
		rc = EX_TEMPFAIL;
		goto done;
	}
	printf("imported %zu contract%s from %s%s\n", n, n == 1 ? "" : "s",
	       path, replace ? " (registry replaced)" : "");
	log_info("action=customers-import contracts=%zu replace=%d status=ok",
		 n, replace);
done:
	store_free(&s);
	contracts_free(rows, n);
	return rc;
}

/* Removes each contract named, all in one transaction: an unknown id
 * removes nothing (66). */
static int
remove_ids(struct conf *conf, int argc, char **argv)
{
	struct mp_err err = { 0 };
	struct store *s = NULL;
	int i, rc = EX_OK, found;

	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0 ||
	    store_begin(s, &err) < 0) {
		log_user_error("customers remove", "%s", err.msg);
		store_free(&s);
		return EX_TEMPFAIL;
	}
	for (i = 0; i < argc; i++) {
		found = store_contract_remove(s, argv[i], &err);
		if (found < 0) {
			log_user_error("customers remove", "%s", err.msg);
			rc = EX_TEMPFAIL;
			break;
		}
		if (found == 0) {
			log_user_error("customers remove", "no contract %s; "
				       "nothing removed", argv[i]);
			rc = EX_NOINPUT;
			break;
		}
	}
	if (rc != EX_OK)
		store_rollback(s);
	else if (store_commit(s, &err) < 0) {
		log_user_error("customers remove", "%s", err.msg);
		rc = EX_TEMPFAIL;
	} else {
		printf("removed %d contract%s\n", argc, argc == 1 ? "" : "s");
		log_info("action=customers-remove contracts=%d status=ok",
			 argc);
	}
	store_free(&s);
	return rc;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int
list_one(void *ctx, const struct store_contract *c)
{
	json_t *arr = ctx, *addrs, *opts, *servers;
	size_t i;

	if (arr == NULL) {
		printf("%-12s %-30s %-28s %s", c->id, c->holder_name,
		       c->monitoring_email ? c->monitoring_email : "-",
		       c->options);
		for (i = 0; i < c->n_servers; i++)
			printf("%s%s", i ? " " : "  servers: ",
			       c->servers[i]);
		putchar('\n');
		return 0;
	}
	addrs = json_array();
	for (i = 0; i < c->n_addresses; i++)
		json_array_append_new(addrs, json_string(c->addresses[i]));
	servers = json_array();
	for (i = 0; i < c->n_servers; i++)
		json_array_append_new(servers, json_string(c->servers[i]));
	opts = json_array();
	{
		char buf[1024], *tok, *save = NULL;
		snprintf(buf, sizeof(buf), "%s", c->options ? c->options : "");
		for (tok = strtok_r(buf, " ,", &save); tok != NULL;
		     tok = strtok_r(NULL, " ,", &save))
			json_array_append_new(opts, json_string(tok));
	}
	return json_array_append_new(arr, json_pack("{s:s,s:s,s:o,s:o,s:o,"
						     "s:o,s:o,s:o}",
		"contract_id", c->id, "holder_name", c->holder_name,
		"requester_addresses", addrs,
		"monitoring_email", str_or_null(c->monitoring_email),
		"emergency_phone", str_or_null(c->emergency_phone),
		"options", opts,
		"holder_email", str_or_null(c->holder_email),
		"servers", servers));
}

int
cmd_customers(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", "replace", NULL };
	struct mp_err err = { 0 };
	struct store *s = NULL;
	json_t *arr = NULL;
	int rc = EX_OK;

	if (!cmd_args_known(argc, argv, "customers", flags, NULL))
		return EX_USAGE;
	if (argc == 3 && strcmp(argv[1], "import") == 0 &&
	    strncmp(argv[2], "--", 2) != 0)
		return import(conf, argv[2], 0);
	if (argc == 4 && strcmp(argv[1], "import") == 0 &&
	    strcmp(argv[2], "--replace") == 0)
		return import(conf, argv[3], 1);
	if (argc >= 3 && strcmp(argv[1], "remove") == 0 &&
	    !cmd_flag(argc, argv, "replace") && !cmd_flag(argc, argv, "json"))
		return remove_ids(conf, argc - 2, argv + 2);
	if (argc < 2 || strcmp(argv[1], "list") != 0 ||
	    cmd_flag(argc, argv, "replace")) {
		log_user_error("customers", "usage: customers import "
			       "[--replace] FILE.csv | customers remove ID... "
			       "| customers list [--json]");
		return EX_USAGE;
	}
	if (store_open(&s, conf->state_dir, conf->lock_timeout, &err) < 0) {
		log_user_error("customers", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (cmd_flag(argc, argv, "json"))
		arr = json_array();
	if (store_contract_each(s, list_one, arr, &err) < 0) {
		log_user_error("customers list", "%s", err.msg);
		rc = EX_TEMPFAIL;
	} else if (arr != NULL) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(arr);
	store_free(&s);
	return rc;
}
