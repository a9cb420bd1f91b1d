/*
 * A scratch directory for one unit test: made in a suite's setup, removed
 * with everything in it in its teardown.
 */
#ifndef MP_TEST_SCRATCH_H
#define MP_TEST_SCRATCH_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Makes /tmp/mp-NAME-test.XXXXXX into dir (of size bytes). */
static inline void
scratch_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/mp-%s-test.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes dir and what it holds. */
static inline void
scratch_remove(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

#endif
