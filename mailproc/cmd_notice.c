/*
 * cmd_notice.c: `notice create`, `notice show` and `notice send`.
 *
 *   notice create --template maintenance|emergency|restored
 *          (--contracts all|ID... | --servers FILE)
 *          --var start=ISO8601 --var end=ISO8601 --var services=TEXT
 *          [--var details=TEXT] [--json]
 *   notice show ID [--dry-run] [--json]
 *   notice send ID
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "hours.h"
#include "log.h"
#include "notice.h"
#include "store.h"

#define USAGE "usage: notice create --template maintenance|emergency|" \
	"restored --contracts all|ID...|--servers FILE --var key=value... " \
	"[--json] | notice show ID [--dry-run] [--json] | notice send ID"

struct session {
	struct conf *conf;
	struct store *store;
	struct hours hours;
	struct compose c;
};

static int
open_session(struct session *x, struct conf *conf, const char *what)
{
	struct mp_err err = { 0 };

	memset(x, 0, sizeof(*x));
	x->conf = conf;
	if (hours_init_conf(&x->hours, conf, &err) < 0) {
		log_user_error(what, "%s", err.msg);
		return EX_CONFIG;
	}
	if (store_open(&x->store, conf->state_dir, conf->lock_timeout,
		       &err) < 0) {
		log_user_error(what, "%s", err.msg);
		hours_release(&x->hours);
		return EX_TEMPFAIL;
	}
	x->c.conf = conf;
	x->c.store = x->store;
	x->c.hours = &x->hours;
	x->c.now = clock_now();
	return EX_OK;
}

static void
close_session(struct session *x)
{
	store_free(&x->store);
	hours_release(&x->hours);
}

/* The server names in path: words separated by white space or commas;
 * '#' starts a comment. */
static int
read_servers(const char *path, char ***v_r, size_t *n_r)
{
	FILE *f = fopen(path, "r");
	char line[1024], *tok, *save, **v = NULL, **nv;
	size_t n = 0;

	*v_r = NULL;
	*n_r = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (tok = strtok_r(line, " \t\r\n,", &save); tok != NULL;
		     tok = strtok_r(NULL, " \t\r\n,", &save)) {
			nv = realloc(v, (n + 1) * sizeof(*v));
			if (nv == NULL || (nv[n] = strdup(tok)) == NULL) {
				v = nv ? nv : v;
				goto fail;
			}
			v = nv;
			n++;
		}
	}
	fclose(f);
	*v_r = v;
	*n_r = n;
	return 0;
fail:
	fclose(f);
	while (n > 0)
		free(v[--n]);
	free(v);
	return -1;
}

static json_t *
words(const char *s)
{
	json_t *a = json_array();
	char *tmp = strdup(s ? s : ""), *tok, *save = NULL;

	for (tok = tmp ? strtok_r(tmp, " ", &save) : NULL; tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		json_array_append_new(a, json_string(tok));
	free(tmp);
	return a;
}

static json_t *
rcpt_json(const struct store_notice_rcpt *r)
{
	json_t *o = json_pack("{s:s,s:o,s:s,s:o}", "address", r->address,
			      "contracts", words(r->contracts), "lang",
			      r->lang, "servers", words(r->servers));
	if (r->outbox > 0) {
		json_object_set_new(o, "outbox", json_integer(r->outbox));
		json_object_set_new(o, "state", json_string(r->outbox_state ?
							    r->outbox_state :
							    "?"));
	}
	return o;
}

static int
create(struct conf *conf, int argc, char **argv)
{
	char why[LOG_VALUE_MAX];
	const char **names = calloc((size_t)argc, sizeof(*names));
	const char **vars = calloc((size_t)argc, sizeof(*vars));
	struct notice_request rq = { 0 };
	struct session x;
	struct mp_err err = { 0 };
	char **servers = NULL, *skipped = NULL;
	size_t n_servers = 0, i;
	const char *servers_file = NULL;
	int json = 0, scoped = 0, rc, a;
	long long id = 0;

	if (names == NULL || vars == NULL) {
		free(names);
		free(vars);
		return EX_TEMPFAIL;
	}
	rq.names = names;
	rq.vars = vars;
	for (a = 2; a < argc; a++) {
		const char *arg = argv[a];
		if (strcmp(arg, "--json") == 0) {
			json = 1;
		} else if (strcmp(arg, "--template") == 0 && a + 1 < argc) {
			rq.kind = argv[++a];
		} else if (strcmp(arg, "--var") == 0 && a + 1 < argc) {
			vars[rq.n_vars++] = argv[++a];
		} else if (strcmp(arg, "--servers") == 0 && a + 1 < argc &&
			   !scoped) {
			servers_file = argv[++a];
			rq.scope = NOTICE_SERVERS;
			scoped = 1;
		} else if (strcmp(arg, "--contracts") == 0 && !scoped) {
			scoped = 1;
			rq.scope = NOTICE_CONTRACTS;
			while (a + 1 < argc && strncmp(argv[a + 1], "--", 2) != 0)
				names[rq.n_names++] = argv[++a];
			if (rq.n_names == 1 && strcmp(names[0], "all") == 0) {
				rq.scope = NOTICE_ALL;
				rq.n_names = 0;
			}
			if (rq.n_names == 0 && rq.scope != NOTICE_ALL)
				scoped = 0;
		} else {
			scoped = -1;
			break;
		}
	}
	if (scoped != 1 || rq.kind == NULL) {
		log_user_error("notice create", USAGE);
		free(names);
		free(vars);
		return EX_USAGE;
	}
	if (servers_file != NULL) {
		if (read_servers(servers_file, &servers, &n_servers) < 0) {
			log_user_error("notice create", "%s: cannot read it",
				       servers_file);
			free(names);
			free(vars);
			return EX_NOINPUT;
		}
		rq.names = (const char *const *)servers;
		rq.n_names = n_servers;
		if (n_servers == 0) {
			log_user_error("notice create", "%s: no server names",
				       servers_file);
			rc = EX_DATAERR;
			goto free_args;
		}
	}
	rc = open_session(&x, conf, "notice create");
	if (rc != EX_OK)
		goto free_args;
	if (store_begin(x.store, &err) < 0 ||
	    notice_create(&x.c, &rq, &id, &skipped, &err) < 0 ||
	    store_commit(x.store, &err) < 0) {
		store_rollback(x.store);
		log_user_error("notice create", "%s", err.msg);
		rc = err.kind == MP_PERM ? EX_DATAERR : EX_TEMPFAIL;
		goto done;
	}
	if (*skipped)
		log_warning("notice=%lld action=skipped reason="
			    "no-holder-or-monitoring-email contracts=%s", id,
			    log_quote(why, sizeof(why), skipped));
	{
		struct store_notice_rcpt *v = NULL;
		size_t nv = 0;

		if (store_notice_rcpts(x.store, id, &v, &nv, &err) < 0) {
			log_user_error("notice create", "%s", err.msg);
			rc = EX_TEMPFAIL;
			goto done;
		}
		if (json) {
			json_t *o = json_pack("{s:I,s:s,s:o,s:o}", "id",
					      (json_int_t)id, "template",
					      notice_template(rq.kind),
					      "recipients", json_array(),
					      "skipped", words(skipped));
			for (i = 0; i < nv; i++)
				json_array_append_new(json_object_get(o,
					"recipients"), rcpt_json(&v[i]));
			json_dumpf(o, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(o);
		} else {
			printf("notice %lld: %zu recipient%s%s%s\n", id, nv,
			       nv == 1 ? "" : "s", *skipped ?
			       "; no address for " : "", skipped);
		}
		store_notice_rcpts_free(v, nv);
	}
	log_info("notice=%lld action=notice-create status=ok", id);
done:
	free(skipped);
	close_session(&x);
free_args:
	for (i = 0; i < n_servers; i++)
		free(servers[i]);
	free(servers);
	free(names);
	free(vars);
	return rc;
}

static int
parse_id(const char *s, long long *id_r)
{
	char *end;

	*id_r = strtoll(s, &end, 10);
	return *end == '\0' && *id_r > 0;
}

static int
show(struct conf *conf, long long id, int dry_run, int json)
{
	struct store_notice n;
	struct store_notice_rcpt *v = NULL;
	struct session x;
	struct mp_err err = { 0 };
	json_t *arr = json_array();
	size_t nv = 0, i;
	int rc = open_session(&x, conf, "notice show"), got;

	if (rc != EX_OK) {
		json_decref(arr);
		return rc;
	}
	got = store_notice_get(x.store, id, &n, &err);
	if (got <= 0) {
		if (got == 0)
			log_user_error("notice show", "no notice %lld", id);
		else
			log_user_error("notice show", "%s", err.msg);
		rc = got == 0 ? EX_NOINPUT : EX_TEMPFAIL;
		goto done;
	}
	if (store_notice_rcpts(x.store, id, &v, &nv, &err) < 0) {
		log_user_error("notice show", "%s", err.msg);
		rc = EX_TEMPFAIL;
		goto release;
	}
	if (!json)
		printf("notice %lld  %s  %s  ticket %lld  %zu recipient%s\n",
		       n.id, n.template, n.state, n.ticket, nv,
		       nv == 1 ? "" : "s");
	for (i = 0; i < nv; i++) {
		struct tmpl_out out = { 0 };
		json_t *o = rcpt_json(&v[i]);

		if (dry_run && notice_render(&x.c, &n, &v[i], &out,
					     &err) < 0) {
			log_user_error("notice show", "%s", err.msg);
			json_decref(o);
			rc = EX_TEMPFAIL;
			break;
		}
		if (json) {
			if (dry_run) {
				json_object_set_new(o, "subject",
						    json_string(out.subject));
				json_object_set_new(o, "body",
						    json_string(out.body));
			}
			json_array_append_new(arr, o);
		} else {
			json_decref(o);
			printf("%s%s  %s  %s%s%s\n", dry_run ? "\n=== " : "  ",
			       v[i].address, v[i].lang, v[i].contracts,
			       v[i].outbox_state ? "  " : "",
			       v[i].outbox_state ? v[i].outbox_state : "");
			if (dry_run)
				printf("To: %s\nSubject: %s\n\n%s", v[i].address,
				       out.subject, out.body);
		}
		tmpl_out_release(&out);
	}
	if (json && rc == EX_OK) {
		json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:I,s:o,s:b}", "id",
				      (json_int_t)n.id, "ticket",
				      (json_int_t)n.ticket, "template",
				      n.template, "state", n.state, "created",
				      (json_int_t)n.created, "recipients",
				      json_incref(arr), "dry_run", dry_run);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	}
	store_notice_rcpts_free(v, nv);
release:
	store_notice_release(&n);
done:
	json_decref(arr);
	close_session(&x);
	return rc;
}

static int
send(struct conf *conf, long long id)
{
	struct session x;
	struct mp_err err = { 0 };
	size_t queued = 0;
	int rc = open_session(&x, conf, "notice send"), got;

	if (rc != EX_OK)
		return rc;
	if (store_begin(x.store, &err) < 0) {
		log_user_error("notice send", "%s", err.msg);
		close_session(&x);
		return EX_TEMPFAIL;
	}
	got = notice_send(&x.c, id, &queued, &err);
	if (got <= 0) {
		store_rollback(x.store);
		if (got == 0)
			log_user_error("notice send", "no notice %lld", id);
		else
			log_user_error("notice send", "%s", err.msg);
		rc = got == 0 ? EX_NOINPUT : err.kind == MP_PERM ?
			EX_DATAERR : EX_TEMPFAIL;
	} else if (store_commit(x.store, &err) < 0) {
		log_user_error("notice send", "%s", err.msg);
		rc = EX_TEMPFAIL;
	} else {
		printf("notice %lld: %zu mail%s queued (at most %ld a minute)"
		       "\n", id, queued, queued == 1 ? "" : "s",
		       conf->notice_rate);
	}
	close_session(&x);
	return rc;
}

int
cmd_notice(struct conf *conf, int argc, char **argv)
{
	long long id;

	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return create(conf, argc, argv);
	if (argc >= 3 && strcmp(argv[1], "show") == 0 &&
	    parse_id(argv[2], &id)) {
		static const char *const flags[] = { "json", "dry-run", NULL };
		int a;

		if (!cmd_args_known(argc, argv, "notice show", flags, NULL))
			return EX_USAGE;
		for (a = 3; a < argc; a++)
			if (strncmp(argv[a], "--", 2) != 0) {
				log_user_error("notice", USAGE);
				return EX_USAGE;
			}
		return show(conf, id, cmd_flag(argc, argv, "dry-run"),
			    cmd_flag(argc, argv, "json"));
	}
	if (argc == 3 && strcmp(argv[1], "send") == 0 &&
	    parse_id(argv[2], &id))
		return send(conf, id);
	log_user_error("notice", USAGE);
	return EX_USAGE;
}
