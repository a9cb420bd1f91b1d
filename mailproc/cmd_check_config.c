/*
 * cmd_check_config.c: `check-config`.  The configuration file itself was
 * checked by conf_load() before this runs (its errors are already
 * printed); this checks what other modules own: business hours, the
 * catalogue and rules, the classifier's model, the templates.  Every problem is printed as
 * "file:line: message"; exit 78 if there was any.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cmd.h"
#include "hours.h"
#include "log.h"
#include "rules.h"
#include "tmpl.h"

static const char *
conf_file(const struct conf *conf)
{
	return conf->path ? conf->path : "(default)";
}

static void
report_key(const char *key, const char *msg, void *arg)
{
	const struct conf *conf = arg;

	fprintf(stderr, "%s:%d: %s: %s\n", conf_file(conf),
		conf_line(conf, key), key, msg);
}

static void
report_file(void *ctx, const char *file, int line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

/* The rules, then the model against their catalogue: same classes, same
 * feature version.  A missing model is a problem too: without it only
 * the hard rules classify, and every other request is filed general. */
static int
check_rules(const struct conf *conf)
{
	struct mp_err err = { 0 };
	struct rules *r = NULL;
	char path[4096];
	int bad;

	if (rules_check_dir(conf->rules_dir, report_file, NULL, &err) < 0)
		return 1;
	if (rules_load(&r, conf->rules_dir, report_file, NULL, &err) < 0)
		return 1;
	bad = rules_model_check(r, conf_model_path(conf, path, sizeof(path)),
				report_file, NULL, &err) < 0;
	rules_free(&r);
	return bad;
}

static int
check_dir(const struct conf *conf, const char *key, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	fprintf(stderr, "%s:%d: %s: %s is not a directory\n",
		conf_file(conf), conf_line(conf, key), key, dir);
	return 1;
}

int
cmd_check_config(struct conf *conf, int argc, char **argv)
{
	int problems = 0;

	if (!cmd_args_known(argc, argv, "check-config", NULL, NULL))
		return EX_USAGE;
	problems += check_dir(conf, "rules_dir", conf->rules_dir);
	problems += check_dir(conf, "templates_dir", conf->templates_dir);
	problems += hours_check_conf(conf, report_key, conf);
	if (problems == 0) {
		problems += check_rules(conf);
		problems += tmpl_check_dir(conf->templates_dir, report_file,
					   NULL);
	}
	if (problems > 0) {
		log_user_error("check-config", "%d problem%s", problems,
			       problems == 1 ? "" : "s");
		return EX_CONFIG;
	}
	printf("configuration ok: %s\n", conf->path ? conf->path :
	       "(built-in defaults)");
	return EX_OK;
}
