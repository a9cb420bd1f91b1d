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

static const struct {
	const char *name;
	int (*fn)(struct conf *conf, int argc, char **argv);
} commands[] = {
	{ "deliver", cmd_deliver },
	{ "lmtp", cmd_lmtp },
	{ "run", cmd_run },
	{ "fetch", cmd_fetch },
	{ "parse", cmd_parse },
	{ "ticket", cmd_ticket },
	{ "check-config", cmd_check_config },
	{ "hours", cmd_hours },
	{ "outbox", cmd_outbox },
	{ "customers", cmd_customers },
	{ "notice", cmd_notice },
	{ "classify", cmd_classify },
	{ "train", cmd_train },
	{ "classify-report", cmd_classify_report },
	{ "verify", cmd_staff },
	{ "deny", cmd_staff },
	{ "complete", cmd_staff },
	{ "close", cmd_staff },
	{ "category", cmd_staff },
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: mailproc [-d] [-c FILE] COMMAND [ARGS]\n"
		"commands: deliver lmtp run fetch parse classify classify-report train "
		"ticket outbox "
		"customers notice verify deny complete close category hours check-config\n");
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

int
main(int argc, char **argv)
{
	const char *path = NULL;
	char top[PATH_MAX];
	struct conf conf;
	struct mp_err err = { 0 };
	int debug = 0, i, rc, is_deliver;
	size_t c;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-d") == 0)
			debug = 1;
		else
			break;
	}
	if (i >= argc) {
		usage();
		return EX_USAGE;
	}
	is_deliver = strcmp(argv[i], "deliver") == 0;
	log_open(debug);
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			break;
	if (c == sizeof(commands) / sizeof(commands[0])) {
		log_user_error(argv[i], "unknown command");
		usage();
		return is_deliver ? EX_TEMPFAIL : EX_USAGE;
	}
	if (path == NULL)
		path = getenv("MAILPROC_CONFIG");
	if (path == NULL && access("/etc/mailproc/mailproc.conf", F_OK) == 0)
		path = "/etc/mailproc/mailproc.conf";
	find_top(top, sizeof(top));
	if (conf_load(&conf, top, path, &err) < 0) {
		conf_release(&conf);
		if (is_deliver) {
			log_crit("configuration unusable, mail deferred: %s",
				 err.msg);
			log_user_error("deliver", "configuration: %s",
				       err.msg);
			return EX_TEMPFAIL;
		}
		log_user_error("config", "%s", err.msg);
		return err.kind == MP_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	}
	rc = commands[c].fn(&conf, argc - i, argv + i);
	conf_release(&conf);
	exit(rc);
}
