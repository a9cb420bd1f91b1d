/*
 * cmd_check_config.c: `check-config`.  The configuration file itself was
 * read by conf_load() before this runs (its problems are already printed
 * and counted in conf->problems; main.c lets check-config go on after
 * them); this checks the rest in the same pass: the state dir, database
 * and password files as the running user, business hours, the catalogue
 * and rules, the classifier's model, the templates.  Every problem is
 * printed as "file:line: message"; exit 78 if there was any, after a
 * count that is the number of those lines.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "alert.h"
#include "cmd.h"
#include "hours.h"
#include "perm.h"
#include "rules.h"
#include "tmpl.h"

/* Every problem goes through one of the report functions below, which
 * count it: the total printed at the end is the number of lines above
 * it, whatever each module's return value says. */
struct check {
	const struct conf *conf;
	int problems;
};

static const char *
conf_file(const struct conf *conf)
{
	return conf->path ? conf->path : "(default)";
}

static void
report_key(const char *key, const char *msg, void *arg)
{
	struct check *c = arg;

	fprintf(stderr, "%s:%d: %s: %s\n", conf_file(c->conf),
		conf_line(c->conf, key), key, msg);
	c->problems++;
}

static void
report_file(void *ctx, const char *file, int line, const char *msg)
{
	struct check *c = ctx;

	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	c->problems++;
}

/* Not a problem: which copy of a template is used, on stdout. */
static void
report_winner(void *ctx, const char *site_file, const char *shipped_file)
{
	(void)ctx;
	if (shipped_file != NULL)
		printf("template: %s wins over %s\n", site_file,
		       shipped_file);
	else
		printf("template: %s (site only: nothing shipped by that "
		       "name)\n", site_file);
}

/* A failure no report function announced still counts, once. */
static void
report_err(struct check *c, int before, const struct mp_err *err)
{
	if (c->problems == before)
		report_file(c, conf_file(c->conf), 0, err->msg);
}

/* The rules, then the model against their catalogue: same classes, same
 * feature version.  A missing model is a problem too: without it only
 * the hard rules classify, and every other request is filed general. */
static void
check_rules(struct check *c)
{
	struct mp_err err = { 0 };
	struct rules *r = NULL;
	char path[4096];
	int before = c->problems;

	if (rules_check_site(c->conf->site_rules_dir, c->conf->rules_dir, report_file, c,
			     &err) < 0) {
		report_err(c, before, &err);
		return;
	}
	if (rules_load_site(&r, c->conf->site_rules_dir, c->conf->rules_dir, report_file, c, &err) < 0) {
		report_err(c, before, &err);
		return;
	}
	if (rules_model_check(r, conf_model_path(c->conf, path, sizeof(path)),
			      report_file, c, &err) < 0)
		report_err(c, before, &err);
	rules_free(&r);
	{
		/* rules/alerts.conf: how alert mail is read. */
		struct alert_format *f = NULL;

		before = c->problems;
		if (alert_format_load(&f, c->conf->site_rules_dir,
				      c->conf->rules_dir, report_file, c,
				      &err) < 0)
			report_err(c, before, &err);
		alert_format_free(&f);
	}
	{
		/* Which file of rules/ serves, for each the site has. */
		static const char *const files[] = {
			"catalogue.conf", "classify.rules", "form.conf",
			ALERT_FILE,
		};
		char site[4096], shipped[4096];
		size_t i;
		int from_site;

		for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
			if (rules_file_path(site, sizeof(site),
					    c->conf->site_rules_dir,
					    c->conf->rules_dir, files[i],
					    &from_site) == NULL || !from_site)
				continue;
			snprintf(shipped, sizeof(shipped), "%s/%s",
				 c->conf->rules_dir, files[i]);
			printf("rules: %s wins over %s\n", site, shipped);
		}
	}
}

static int
check_dir(struct check *c, const char *key, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	fprintf(stderr, "%s:%d: %s: %s is not a directory\n",
		conf_file(c->conf), conf_line(c->conf, key), key, dir);
	c->problems++;
	return 0;
}

/* Path problems of a key: "file:line: key: message". */
struct keyed {
	struct check *c;
	const char *key;
};

static void
report_path(void *ctx, const char *msg)
{
	struct keyed *k = ctx;

	fprintf(stderr, "%s:%d: %s\n", conf_file(k->c->conf),
		conf_line(k->c->conf, k->key), msg);
	k->c->problems++;
}

static void
report_state(void *ctx, const char *msg)
{
	struct keyed *k = ctx;

	fprintf(stderr, "%s:%d: state_dir: %s\n", conf_file(k->c->conf),
		conf_line(k->c->conf, k->key), msg);
	k->c->problems++;
}

int
cmd_check_config(struct conf *conf, int argc, char **argv)
{
	struct check c = { conf, conf->problems };
	struct keyed state = { &c, "state_dir" };
	struct keyed smtp = { &c, "smtp_password_file" };
	struct keyed imap = { &c, "imap_password_file" };
	struct mp_err err = { 0 };

	if (!cmd_args_known(argc, argv, "check-config", NULL, NULL))
		return EX_USAGE;
	/* As the user that runs it: root passes every access check, so
	 * say whose view this is when it is not the state dir's owner's. */
	if (perm_root_check(conf->state_dir, &err) < 0)
		fprintf(stderr, "mailproc: check-config: note: checked as "
			"root; the service user may see more problems\n");
	perm_state_problems(conf->state_dir, PERM_SPOOL, report_state, &state);
	perm_secret_problems("smtp_password_file", conf->smtp_password_file,
			     report_path, &smtp);
	perm_secret_problems("imap_password_file", conf->imap_password_file,
			     report_path, &imap);
	hours_check_conf(conf, report_key, &c);
	if (conf->retention > 0 && conf->retention < 86400)
		report_key("retention", "at least 1d, or 0 to keep everything",
			   &c);
	if (check_dir(&c, "rules_dir", conf->rules_dir))
		check_rules(&c);
	if (check_dir(&c, "templates_dir", conf->templates_dir)) {
		tmpl_check_dir(conf->templates_dir, report_file, &c);
		tmpl_check_site(conf->site_templates_dir, conf->templates_dir,
				report_file, report_winner, &c);
	}
	if (c.problems > 0) {
		fprintf(stderr, "mailproc: check-config: %d problem%s\n",
			c.problems, c.problems == 1 ? "" : "s");
		return EX_CONFIG;
	}
	printf("configuration ok: %s\n", conf->path ? conf->path :
	       "(built-in defaults)");
	return EX_OK;
}
