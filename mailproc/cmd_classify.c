/*
 * cmd_classify.c: `classify [--json] [FILE...]`, a dry run of the
 * classification of the message on stdin, or of each FILE (then one
 * line per file: JSON Lines with a "file" key under --json).  Mail
 * addressed to form_address is read as form gateway mail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "log.h"
#include "msg.h"
#include "rules.h"
#include "stdin_file.h"


static json_t *
result_json(const struct rules_result *res)
{
	const char *ch = rules_channel_name(res->channel);
	json_t *tasks = json_array(), *why = json_array();
	json_t *scores = json_object();
	size_t i;

	for (i = 0; i < res->n_tasks; i++)
		json_array_append_new(tasks, json_string(res->tasks[i]));
	for (i = 0; i < res->n_why; i++)
		json_array_append_new(why, json_string(res->why[i]));
	for (i = 0; i < res->n_scores; i++)
		json_object_set_new(scores, res->scores[i].class,
				    json_real(res->scores[i].p));
	return json_pack("{s:s,s:s,s:s,s:o,s:b,s:f,s:o,s:b,s:o,s:o,s:o,s:b,"
			 "s:b}",
		"class", res->class, "by", res->by, "rule", res->rule,
		"channel", ch ? json_string(ch) : json_null(),
		"identity_required", res->identity_required,
		"confidence", res->confidence,
		"second_class", res->second_class ?
			json_string(res->second_class) : json_null(),
		"triage", res->triage, "tasks", tasks, "why", why,
		"scores", scores, "urgent", res->urgent, "form", res->form);
}

/* Classifies the message in fd and prints the result; file is the name
 * printed with it (NULL for stdin).  Returns a sysexits code. */
static int
classify_fd(const struct conf *conf, struct rules *rules, int fd,
	    const char *file, int json)
{
	struct msg_limits lim = { conf->max_mime_depth, conf->max_text_size };
	struct rules_result res;
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	size_t i;

	if (msg_parse_fd(fd, 0, &lim, NULL, &m, &err) < 0) {
		log_user_error(file ? file : "classify", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (rules_classify(rules, m->subject, m->text, msg_addressed_to(m, conf->form_address), &res,
			   &err) < 0) {
		msg_free(&m);
		log_user_error(file ? file : "classify", "%s", err.msg);
		return err.kind == MP_PERM ? EX_CONFIG : EX_TEMPFAIL;
	}
	msg_free(&m);
	if (json) {
		json_t *o = result_json(&res);

		if (file != NULL)
			json_object_set_new(o, "file", json_string(file));
		json_dumpf(o, stdout, file ? JSON_COMPACT : JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		return EX_OK;
	}
	if (file != NULL)
		printf("%s: ", file);
	printf("%s (by %s %s, confidence %.2f%s)", res.class, res.by,
	       res.rule, res.confidence, res.triage ? ", triage" : "");
	for (i = 0; i < res.n_tasks; i++)
		printf("%s%s", i ? " " : "; tasks: ", res.tasks[i]);
	putchar('\n');
	return EX_OK;
}

int
cmd_classify(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	struct rules *rules = NULL;
	struct mp_err err = { 0 };
	char path[4096];
	int json = cmd_flag(argc, argv, "json"), rc = EX_OK, i, n_files = 0;

	if (!cmd_args_known(argc, argv, "classify", flags, NULL))
		return EX_USAGE;
	if (rules_load_site(&rules, conf->site_rules_dir, conf->rules_dir, NULL, NULL, &err) < 0) {
		log_user_error("classify", "rules: %s", err.msg);
		return EX_CONFIG;
	}
	if (rules_model_load(rules, conf_model_path(conf, path, sizeof(path)),
			     &err) < 0) {
		log_user_error("classify", "model: %s", err.msg);
		rules_free(&rules);
		return EX_CONFIG;
	}
	for (i = 1; i < argc; i++) {
		int fd, r;

		if (argv[i][0] == '-' && argv[i][1] == '-')
			continue;
		n_files++;
		fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			log_user_error(argv[i], "%s", strerror(errno));
			rc = EX_NOINPUT;
			continue;
		}
		r = classify_fd(conf, rules, fd, argv[i], json);
		close(fd);
		if (r != EX_OK)
			rc = r;
	}
	if (n_files == 0) {
		int fd = stdin_to_file(&err);

		if (fd < 0) {
			log_user_error("classify", "%s", err.msg);
			rc = EX_TEMPFAIL;
		} else {
			rc = classify_fd(conf, rules, fd, NULL, json);
			close(fd);
		}
	}
	rules_free(&rules);
	return rc;
}
