/* From a spool file to a ticket, and to failed/ when that can never
 * work. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "spool.h"
#include "store.h"

static char dir[64];
static struct conf conf;

static void
setup(void)
{
	struct mp_err err = { 0 };
	const char *top = getenv("MP_TOP");

	snprintf(dir, sizeof(dir), "/tmp/mp-ingest-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(conf_load(&conf, top ? top : ".", NULL, &err), 0);
	free(conf.state_dir);
	conf.state_dir = strdup(dir);
}

static void
teardown(void)
{
	char cmd[256];

	conf_release(&conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *
spool(const char *text)
{
	struct spool_envelope env = { "a@example.com", "support@example.jp",
				      "" };
	struct mp_err err = { 0 };
	char path[] = "/tmp/mp-ingest-in.XXXXXX", *name = NULL;
	int fd = mkstemp(path), lock = -1;

	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(spool_receive(dir, fd, &env, 1 << 20, &name, &lock,
				       &err), 0);
	close(fd);
	close(lock);
	return name;
}

static int
count_outbox(void *ctx, const struct store_outbox *o)
{
	if (strcmp(o->template, "staff-failed-message") == 0)
		(*(int *)ctx)++;
	return 0;
}

START_TEST(test_failed_goes_aside_and_staff_told)
{
	struct ingest *in = NULL;
	struct store *s = NULL;
	struct mp_err err = { 0 }, perm = { MP_PERM, "cannot ever work" };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");
	char path[512];
	struct stat st;
	int n = 0;

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ingest_failed(in, name, &perm);
	snprintf(path, sizeof(path), "%s/spool/failed/%s", dir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	strncat(path, ".reason", sizeof(path) - strlen(path) - 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ingest_free(&in);
	ck_assert_int_eq(store_open(&s, dir, 1000, &err), 0);
	ck_assert_int_eq(store_outbox_each(s, 0, count_outbox, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	store_free(&s);
	free(name);
}
END_TEST

START_TEST(test_temporary_stays_in_new)
{
	struct ingest *in = NULL;
	struct mp_err err = { 0 }, temp = { MP_TEMP, "locked" };
	char *name = spool("From: a@example.com\nSubject: x\n\nbody\n");
	char path[512];
	struct stat st;

	ck_assert_int_eq(ingest_new(&in, &conf, &err), 0);
	ingest_failed(in, name, &temp);
	snprintf(path, sizeof(path), "%s/spool/incoming/new/%s", dir, name);
	ck_assert_int_eq(stat(path, &st), 0);
	/* ... and a later pass files it, once. */
	ck_assert_int_eq(ingest_spooled(in, name, &err), 0);
	ck_assert_int_ne(stat(path, &st), 0);
	ingest_free(&in);
	free(name);
}
END_TEST

Suite *
suite_ingest(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failed_goes_aside_and_staff_told);
	tcase_add_test(tc, test_temporary_stays_in_new);
	suite_add_tcase(s, tc);
	return s;
}
