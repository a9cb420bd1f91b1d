/* cmd_args.c: the small option parser every command shares. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

int
cmd_option(int argc, char **argv, const char *name, const char **value_r)
{
	size_t n = strlen(name);
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 ||
		    strncmp(argv[i] + 2, name, n) != 0)
			continue;
		if (argv[i][2 + n] == '=') {
			*value_r = argv[i] + 3 + n;
			return 1;
		}
		if (argv[i][2 + n] == '\0') {
			if (i + 1 >= argc)
				return -1;
			*value_r = argv[i + 1];
			return 1;
		}
	}
	return 0;
}

int
cmd_flag(int argc, char **argv, const char *name)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "--", 2) == 0 &&
		    strcmp(argv[i] + 2, name) == 0)
			return 1;
	return 0;
}

static int
in_list(const char *s, size_t n, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strlen(*list) == n && strncmp(*list, s, n) == 0)
			return 1;
	return 0;
}

int
cmd_args_known(int argc, char **argv, const char *cmd,
	       const char *const *flags, const char *const *options)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n;

		if (strncmp(a, "--", 2) != 0)
			continue;
		a += 2;
		n = strcspn(a, "=");
		if (in_list(a, n, options)) {
			if (a[n] == '\0')
				i++;	/* skip its value */
			continue;
		}
		if (a[n] == '\0' && in_list(a, n, flags))
			continue;
		log_user_error(cmd, "unknown option --%.*s", (int)n, a);
		return 0;
	}
	return 1;
}

int
cmd_pairs(int argc, char **argv, const char *cmd, const char *const *names,
	  const char **values_r)
{
	size_t k, n_names = 0;
	int i;

	while (names[n_names] != NULL)
		values_r[n_names++] = NULL;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *value;
		size_t n;

		if (strncmp(a, "--", 2) != 0) {
			log_user_error(cmd, "unexpected argument");
			return 0;
		}
		a += 2;
		n = strcspn(a, "=");
		for (k = 0; k < n_names; k++)
			if (strlen(names[k]) == n &&
			    strncmp(names[k], a, n) == 0)
				break;
		if (k == n_names) {
			log_user_error(cmd, "unknown option --%.*s", (int)n,
				       a);
			return 0;
		}
		if (a[n] == '=') {
			value = a + n + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];	/* taken as it is */
		} else {
			log_user_error(cmd, "--%s needs a value", names[k]);
			return 0;
		}
		if (values_r[k] != NULL) {
			log_user_error(cmd, "--%s given twice", names[k]);
			return 0;
		}
		values_r[k] = value;
	}
	return 1;
}
