/*
 * The commands.  Each takes the loaded configuration and its own argv
 * (argv[0] is the command name) and returns a sysexits.h code; main.c
 * only dispatches and exits with it.
 */
#ifndef MP_CMD_H
#define MP_CMD_H

#include "conf.h"

int cmd_deliver(struct conf *conf, int argc, char **argv);
int cmd_lmtp(struct conf *conf, int argc, char **argv);
int cmd_run(struct conf *conf, int argc, char **argv);
int cmd_fetch(struct conf *conf, int argc, char **argv);
int cmd_parse(struct conf *conf, int argc, char **argv);
int cmd_ticket(struct conf *conf, int argc, char **argv);
int cmd_check_config(struct conf *conf, int argc, char **argv);
int cmd_hours(struct conf *conf, int argc, char **argv);
int cmd_outbox(struct conf *conf, int argc, char **argv);
int cmd_customers(struct conf *conf, int argc, char **argv);
int cmd_notice(struct conf *conf, int argc, char **argv);
int cmd_classify(struct conf *conf, int argc, char **argv);
int cmd_train(struct conf *conf, int argc, char **argv);
int cmd_classify_report(struct conf *conf, int argc, char **argv);
/* backup FILE, purge --older-than AGE (cmd_ops.c). */
int cmd_backup(struct conf *conf, int argc, char **argv);
int cmd_purge(struct conf *conf, int argc, char **argv);
int cmd_digest(struct conf *conf, int argc, char **argv);
/* stats [--json|--prometheus] (cmd_stats.c). */
int cmd_stats(struct conf *conf, int argc, char **argv);
/* verify, deny, complete, close, category, take, assign, merge: argv[0]
 * says which. */
int cmd_staff(struct conf *conf, int argc, char **argv);

/* Finds "--name value" or "--name=value" in argv; returns 1 with *value_r
 * set, 0 if absent, -1 if the value is missing.  Used by every command. */
int cmd_option(int argc, char **argv, const char *name,
	       const char **value_r);

/* Whether "--name" is among argv. */
int cmd_flag(int argc, char **argv, const char *name);

/* Whether every "--x" in argv is one of the NULL-terminated names (flags
 * or options with values, listed without "--"); prints the usage error
 * and returns 0 otherwise. */
int cmd_args_known(int argc, char **argv, const char *cmd,
		   const char *const *flags, const char *const *options);

/* Parses argv[1..] strictly as "--name VALUE" or "--name=VALUE" pairs of
 * the NULL-terminated names.  The argument after "--name" is its value
 * whatever it looks like, "--other=x" included: an envelope address must
 * never turn into an option.  values_r[i] gets the value of names[i] (NULL
 * when absent).  Returns 1, or 0 after printing the usage error (unknown
 * option, stray argument, missing value, an option given twice). */
int cmd_pairs(int argc, char **argv, const char *cmd,
	      const char *const *names, const char **values_r);

#endif
