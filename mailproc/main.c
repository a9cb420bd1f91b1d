/*
 * main.c: global options, configuration and dispatch.  The only caller of
 * exit(): every command returns its sysexits code here.
 *
 * `deliver` is special: Postfix bounces the message on any status but 0,
 * 65 and 75, so every failure before the command runs (usage, config,
 * memory) becomes 75 there and the message waits in Postfix's queue.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "perm.h"
#include "store.h"

#ifndef MAILPROC_VERSION
#define MAILPROC_VERSION "unknown"
#endif

/* state: what the command opens in the state dir (0: nothing; PERM_DB;
 * PERM_SPOOL), so that main.c checks first that the running user may,
 * and that root would not leave files of its own there.  deliver and run
 * check the database themselves (PERM_SPOOL_ONLY): mail is spooled and
 * an alarm raised (alarm.h) when only the database is unusable. */
static const struct {
	const char *name;
	int (*fn)(struct conf *conf, int argc, char **argv);
	enum perm_need state;
	const char *usage;
	const char *what;
} commands[] = {
	{ "deliver", cmd_deliver, PERM_SPOOL_ONLY,
	  "deliver [--sender S] [--recipient R] [--sasl-user U]",
	  "read one message on stdin (Postfix pipe), spool it, process it" },
	{ "lmtp", cmd_lmtp, PERM_SPOOL, "lmtp [--listen unix:PATH|HOST:PORT]",
	  "resident LMTP server (RFC 2033) for Postfix's lmtp: transport" },
	{ "run", cmd_run, PERM_SPOOL_ONLY, "run [--once]",
	  "the runner: spooled mail, outbox, held replies, timers" },
	{ "fetch", cmd_fetch, PERM_SPOOL,
	  "fetch --imap URL [--idle] [--once]",
	  "take new mail from an IMAP mailbox, each message once" },
	{ "parse", cmd_parse, 0, "parse [--json] < MAIL",
	  "dry run: how the message on stdin is decoded" },
	{ "ticket", cmd_ticket, PERM_DB,
	  "ticket list [--state S] [--class C] [--contract ID] "
	  "[--requester ADDR] [--owner STAFF] [--overdue] [--since TIME] "
	  "[--json] [--utc] | ticket show ID [--json] [--utc] | "
	  "ticket search QUERY [--limit N] [--since TIME] [--json] [--utc] | "
	  "ticket attachment ID [N [-o FILE]]",
	  "tickets with their messages, history and outbox; full-text "
	  "search; attachments" },
	{ "check-config", cmd_check_config, 0, "check-config",
	  "every problem of the configuration, rules, model and templates, "
	  "and whether this user can write the state dir" },
	{ "hours", cmd_hours, 0, "hours [--at ISO8601] [--json]",
	  "business hours: open or closed, why, next opening" },
	{ "outbox", cmd_outbox, PERM_DB,
	  "outbox list [--json] | outbox retry ID|--failed",
	  "outgoing mail and its state; put failed mail back in the queue" },
	{ "customers", cmd_customers, PERM_DB,
	  "customers import [--replace] FILE.csv | customers remove ID... | "
	  "customers list [--json]",
	  "the contract registry" },
	{ "notice", cmd_notice, PERM_DB,
	  "notice create --template maintenance|emergency|restored ... | "
	  "notice show ID [--dry-run] [--json] | notice send ID",
	  "maintenance and incident notices to contract holders" },
	{ "classify", cmd_classify, 0, "classify [--json] [< MAIL | FILE...]",
	  "dry run: the class, rule and tasks of a message" },
	{ "train", cmd_train, 0, "train [--from-desk] [--model FILE]",
	  "build the classifier's model" },
	{ "classify-report", cmd_classify_report, PERM_DB,
	  "classify-report [--since DATE] [--json]",
	  "the classifier against the staff's decisions" },
	{ "verify", cmd_staff, PERM_DB, "verify ID --by STAFF",
	  "phone callback confirmed the requester" },
	{ "deny", cmd_staff, PERM_DB, "deny ID --by STAFF",
	  "phone callback: not the customer" },
	{ "complete", cmd_staff, PERM_DB,
	  "complete ID [--task TASK] --by STAFF",
	  "confirmed work done: completion notices" },
	{ "close", cmd_staff, PERM_DB, "close ID", "close a ticket" },
	{ "backup", cmd_backup, PERM_DB, "backup FILE",
	  "copy the database to FILE while mail flows (SQLite online backup)" },
	{ "stats", cmd_stats, PERM_DB, "stats [--json|--prometheus]",
	  "tickets, triage, held, overdue, outbox and spool counts (JSON, "
	  "or Prometheus text for node exporter's textfile collector)" },
	{ "purge", cmd_purge, PERM_SPOOL, "purge --older-than AGE",
	  "remove processed raw mail received before AGE ago (e.g. 180d)" },
	{ "category", cmd_staff, PERM_DB, "category ID CLASS --by STAFF",
	  "staff choose or change the class" },
	{ "digest", cmd_digest, PERM_DB, "digest [--print]",
	  "the staff digest of the queue now (run sends one each opening)" },
	{ "take", cmd_staff, PERM_DB, "take ID --by STAFF",
	  "the staff member owns the ticket (#take by mail)" },
	{ "assign", cmd_staff, PERM_DB, "assign ID STAFF [--by STAFF]",
	  "make a staff member the ticket's owner (#assign by mail)" },
	{ "merge", cmd_staff, PERM_DB, "merge ID OTHER --by STAFF",
	  "the newer of two tickets joins the older (#merge by mail)" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t c;

	fprintf(fp, "usage: mailproc [-d] [-c FILE] COMMAND [ARGS]\n"
		"       mailproc --help | --version | help COMMAND\n\n"
		"commands:\n");
	for (c = 0; c < NCOMMANDS; c++)
		fprintf(fp, "  %s\n", commands[c].usage);
	fprintf(fp, "\nSee mailproc(8).\n");
}

static size_t
find_command(const char *name)
{
	size_t c;

	for (c = 0; c < NCOMMANDS; c++)
		if (strcmp(name, commands[c].name) == 0)
			break;
	return c;
}

/* `help [COMMAND]` and `COMMAND --help`: stdout, exit 0, nothing logged. */
static int
help(const char *name)
{
	size_t c;

	if (name == NULL) {
		usage(stdout);
		return EX_OK;
	}
	c = find_command(name);
	if (c == NCOMMANDS) {
		fprintf(stderr, "mailproc: help: %s: unknown command\n", name);
		usage(stderr);
		return EX_USAGE;
	}
	printf("usage: mailproc [-c FILE] %s\n%s\n", commands[c].usage,
	       commands[c].what);
	return EX_OK;
}

static int
version(void)
{
	printf("mailproc %s (database schema %d)\n", MAILPROC_VERSION,
	       store_schema_version());
	return EX_OK;
}

/* The checkout (or install prefix) the binary runs from: the parent of
 * the directory that holds it, e.g. /src/mailproc for
 * /src/mailproc/bin/mailproc. */
static void
find_top(char *top, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		snprintf(top, size, ".");
		return;
	}
	exe[n] = '\0';
	snprintf(top, size, "%s", dirname(dirname(exe)));
}

/* Before a command touches the state dir: root must not leave files of
 * its own in another user's directory, and a user who cannot write the
 * database must hear so now, not as a "temporary" failure midway.  For
 * deliver both are LOG_CRIT and the mail waits (75): nothing is taken
 * that could not be filed. */
static int
check_state(const struct conf *conf, const char *cmd, enum perm_need need,
	    int is_deliver)
{
	char why[LOG_VALUE_MAX];
	struct mp_err err = { 0 };

	if (perm_root_check(conf->state_dir, &err) < 0 ||
	    perm_state_check(conf->state_dir, need, &err) < 0) {
		if (is_deliver) {
			log_crit("action=deliver status=deferred "
				 "cause=state-dir reason=%s",
				 log_quote(why, sizeof(why), err.msg));
			log_user_error(cmd, "cannot spool the message: %s",
				       err.msg);
		} else {
			log_user_error(cmd, "%s", err.msg);
		}
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char why[LOG_VALUE_MAX];
	const char *path = NULL;
	char top[PATH_MAX];
	struct conf conf;
	struct mp_err err = { 0 };
	int debug = 0, i, rc, is_deliver;
	size_t c;

	perm_init();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-d") == 0)
			debug = 1;
		else if (strcmp(argv[i], "--help") == 0 ||
			 strcmp(argv[i], "-h") == 0)
			return help(NULL);
		else if (strcmp(argv[i], "--version") == 0 ||
			 strcmp(argv[i], "-V") == 0)
			return version();
		else
			break;
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[i], "help") == 0)
		return help(i + 1 < argc ? argv[i + 1] : NULL);
	if (strcmp(argv[i], "version") == 0)
		return version();
	is_deliver = strcmp(argv[i], "deliver") == 0;
	c = find_command(argv[i]);
	if (c == NCOMMANDS) {
		fprintf(stderr, "mailproc: %s: unknown command\n", argv[i]);
		usage(stderr);
		return is_deliver ? EX_TEMPFAIL : EX_USAGE;
	}
	/* Only "COMMAND --help": deliver's values may be anything, and
	 * Postfix always starts them with --sender. */
	if (i + 2 == argc && strcmp(argv[i + 1], "--help") == 0)
		return help(argv[i]);
	log_open(debug);
	if (path == NULL)
		path = getenv("MAILPROC_CONFIG");
	if (path == NULL && access("/etc/mailproc/mailproc.conf", F_OK) == 0)
		path = "/etc/mailproc/mailproc.conf";
	find_top(top, sizeof(top));
	/* check-config goes on after the file's problems, to report every
	 * other one in the same pass and count them all. */
	if (conf_load(&conf, top, path, &err) < 0 &&
	    (commands[c].fn != cmd_check_config || err.kind != MP_PERM ||
	     conf.problems == 0)) {
		conf_release(&conf);
		if (is_deliver) {
			log_crit("action=deliver status=deferred "
				 "cause=configuration reason=%s",
				 log_quote(why, sizeof(why), err.msg));
			log_user_error("deliver", "configuration: %s",
				       err.msg);
			return EX_TEMPFAIL;
		}
		log_user_error("config", "%s", err.msg);
		return err.kind == MP_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	}
	if (commands[c].state != 0 &&
	    check_state(&conf, argv[i], commands[c].state, is_deliver) < 0) {
		conf_release(&conf);
		return is_deliver ? EX_TEMPFAIL : EX_NOPERM;
	}
	rc = commands[c].fn(&conf, argc - i, argv + i);
	conf_release(&conf);
	exit(rc);
}
