/*
 * The test runner: every unit suite (found by the Makefile as
 * suite_<name>() definitions in tests/unit/test_*.c), then, with the
 * argument "all", every end-to-end script tests/e2e/NNNN-*.sh as one Check
 * test each, so that `make check` ends with Check's one summary line.
 */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUITE(name) Suite *suite_##name(void);
#include "suites.inc"
#undef SUITE

static glob_t scripts;

START_TEST(test_e2e_script)
{
	const char *path = scripts.gl_pathv[_i];
	char cmd[4096];
	int status;

	snprintf(cmd, sizeof(cmd), "%s", path);
	fprintf(stderr, "e2e: %s\n", path);
	status = system(cmd);
	ck_assert_msg(status == 0, "%s: exit status %d", path,
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
END_TEST

static Suite *
suite_e2e(const char *only)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("scripts");
	char pattern[256];

	snprintf(pattern, sizeof(pattern), "tests/e2e/%s*.sh",
		 only != NULL ? only : "[0-9]");
	if (glob(pattern, 0, NULL, &scripts) != 0)
		scripts.gl_pathc = 0;
	tcase_set_timeout(tc, 600);
	if (scripts.gl_pathc > 0)
		tcase_add_loop_test(tc, test_e2e_script, 0,
				    (int)scripts.gl_pathc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "unit";
	SRunner *sr = srunner_create(NULL);
	int failed;

#define SUITE(name) srunner_add_suite(sr, suite_##name());
#include "suites.inc"
#undef SUITE
	if (strcmp(mode, "all") == 0 || strcmp(mode, "e2e") == 0)
		srunner_add_suite(sr, suite_e2e(argc > 2 ? argv[2] : NULL));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	globfree(&scripts);
	return failed == 0 ? 0 : 1;
}
