/*
 * cmd_parse.c: `parse`, a dry run of the parser on the message on stdin.
 * The message is copied to an unlinked temporary file first so that it is
 * parsed exactly as `deliver` parses a spool file, in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "log.h"
#include "msg.h"
#include "msgjson.h"
#include "stdin_file.h"

int
cmd_parse(struct conf *conf, int argc, char **argv)
{
	static const char *const flags[] = { "json", NULL };
	struct msg_limits lim = { conf->max_mime_depth, conf->max_text_size };
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	char *json;
	int fd;

	if (!cmd_args_known(argc, argv, "parse", flags, NULL))
		return EX_USAGE;
	if ((fd = stdin_to_file(&err)) < 0) {
		log_user_error("parse", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	if (msg_parse_fd(fd, 0, &lim, NULL, &m, &err) < 0) {
		close(fd);
		log_user_error("parse", "%s", err.msg);
		return EX_TEMPFAIL;
	}
	close(fd);
	if (cmd_flag(argc, argv, "json")) {
		json_t *o;
		json = msgjson_dump(m);
		o = json ? json_loads(json, 0, NULL) : NULL;
		free(json);
		if (o == NULL) {
			msg_free(&m);
			log_user_error("parse", "out of memory");
			return EX_TEMPFAIL;
		}
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		size_t i;
		printf("Subject: %s\n", m->subject);
		for (i = 0; i < m->from.n; i++)
			printf("From: %s%s<%s>\n",
			       m->from.v[i].name ? m->from.v[i].name : "",
			       m->from.v[i].name ? " " : "",
			       m->from.v[i].address);
		printf("Message-ID: %s\n",
		       m->message_id ? m->message_id : "(none)");
		for (i = 0; i < m->n_attachments; i++)
			printf("Attachment: %s (%s, %lld bytes)\n",
			       m->attachments[i].filename ?
			       m->attachments[i].filename : "(no name)",
			       m->attachments[i].content_type,
			       m->attachments[i].size);
		for (i = 0; i < m->n_defects; i++)
			printf("Defect: %s\n", m->defects[i]);
		printf("\n%s\n", m->text);
	}
	msg_free(&m);
	return EX_OK;
}
