/*
 * cmd_classify.c: `classify`, a dry run of the classification of the
 * message on stdin.  Mail addressed to form_address is read as form
 * gateway mail.
 */
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

/* Whether the mail was sent to the form gateway's address. */
static int
to_form(const struct conf *conf, const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->to.n; i++)
		if (strcasecmp(m->to.v[i].address, conf->form_address) == 0)
			return 1;
	return 0;
}

int
cmd_classify(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	struct msg_limits lim = { conf->max_mime_depth, conf->max_text_size };
	struct rules_result res;
	struct rules *rules = NULL;
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	int fd, rc = EX_OK;

	if (!cmd_args_known(argc, argv, "classify", flags, NULL))
		return EX_USAGE;
	if (rules_load(&rules, conf->rules_dir, NULL, NULL, &err) < 0) {
		log_user_error("classify", "rules: %s", err.msg);
		return EX_CONFIG;
	}
	if ((fd = stdin_to_file(&err)) < 0 ||
	    msg_parse_fd(fd, 0, &lim, NULL, &m, &err) < 0) {
		if (fd >= 0)
			close(fd);
		rules_free(&rules);
		log_user_error("classify", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	close(fd);
	if (rules_classify(rules, m->subject, m->text, to_form(conf, m), &res,
			   &err) < 0) {
		log_user_error("classify", "%s", err.msg);
		rc = err.kind == MP_PERM ? EX_CONFIG : EX_TEMPFAIL;
		goto done;
	}
	if (cmd_flag(argc, argv, "json")) {
		const char *ch = rules_channel_name(res.channel);
		json_t *o = json_pack("{s:s,s:s,s:o,s:b,s:f,s:o,s:o,s:b,s:b}",
			"class", res.class, "rule", res.rule,
			"channel", ch ? json_string(ch) : json_null(),
			"identity_required", res.identity_required,
			"confidence", res.confidence,
			"second_class", res.second_class ?
				json_string(res.second_class) : json_null(),
			"second_rule", res.second_rule ?
				json_string(res.second_rule) : json_null(),
			"urgent", res.urgent, "form", res.form);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("%s (rule %s, confidence %.2f%s%s)\n", res.class,
		       res.rule, res.confidence,
		       res.second_class ? ", also " : "",
		       res.second_class ? res.second_class : "");
	}
done:
	msg_free(&m);
	rules_free(&rules);
	return rc;
}
