/* The durable spool: envelope, size limit, failures leave nothing. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mp-spool-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
count(const char *sub)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/spool/%s", dir, sub);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int
input(const char *text)
{
	char path[] = "/tmp/mp-spool-in.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	lseek(fd, 0, SEEK_SET);
	return fd;
}

START_TEST(test_receive_and_open)
{
	static const struct spool_envelope cases[] = {
		{ "a@example.com", "support@example.jp", "" },
		{ "", "support+1@example.jp", "staff" },
		{ "we ird%~@x", "r@x", "u s" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spool_envelope env;
		struct mp_err err = { 0 };
		char *name = NULL, buf[64];
		int lock = -1, fd, in = input("Subject: x\n\nbody\n");
		off_t off;
		ssize_t n;

		ck_assert_int_eq(spool_receive(dir, in, &cases[i], 1 << 20,
					       &name, &lock, &err), 0);
		close(in);
		ck_assert_int_eq(spool_open(dir, name, 0, &env, &fd, &off,
					    &err), 0);
		ck_assert_msg(strcmp(env.sender, cases[i].sender) == 0 &&
			      strcmp(env.recipient, cases[i].recipient) == 0 &&
			      strcmp(env.sasl_user, cases[i].sasl_user) == 0,
			      "case %zu: got \"%s\" \"%s\" \"%s\"", i,
			      env.sender, env.recipient, env.sasl_user);
		n = pread(fd, buf, sizeof(buf) - 1, off);
		buf[n < 0 ? 0 : n] = '\0';
		ck_assert_str_eq(buf, "Subject: x\n\nbody\n");
		spool_envelope_release(&env);
		close(fd);
		close(lock);
		ck_assert_int_eq(spool_done(dir, name, &err), 0);
		free(name);
	}
	ck_assert_int_eq(count("incoming/new"), 0);
	ck_assert_int_eq(count("incoming/cur"), 3);
	ck_assert_int_eq(count("incoming/tmp"), 0);
}
END_TEST

START_TEST(test_too_big_leaves_nothing)
{
	struct spool_envelope env = { "", "", "" };
	struct mp_err err = { 0 };
	char *name = NULL, big[5000];
	int lock = -1, in;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	in = input(big);
	ck_assert_int_eq(spool_receive(dir, in, &env, 4096, &name, &lock,
				       &err), -1);
	ck_assert_int_eq(err.kind, MP_PERM);
	ck_assert_int_eq(count("incoming/tmp"), 0);
	ck_assert_int_eq(count("incoming/new"), 0);
	close(in);
}
END_TEST

/* Empty input, typed or piped by mistake, is refused (deliver: 65)
 * rather than filed as an empty ticket. */
START_TEST(test_empty_leaves_nothing)
{
	static const char *const cases[] = { "", "\n", " \r\n\t\n" };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spool_envelope env = { "", "r@x", "" };
		struct mp_err err = { 0 };
		char *name = NULL;
		int lock = -1, in = input(cases[i]), rc;

		rc = spool_receive(dir, in, &env, 4096, &name, &lock, &err);
		ck_assert_msg(rc == -1 && err.kind == MP_PERM,
			      "case %zu: got %d kind %d, want -1 MP_PERM", i,
			      rc, err.kind);
		ck_assert_str_eq(err.msg, "empty message");
		close(in);
	}
	ck_assert_int_eq(count("incoming/tmp"), 0);
	ck_assert_int_eq(count("incoming/new"), 0);
}
END_TEST

START_TEST(test_unwritable_is_temporary)
{
	struct spool_envelope env = { "", "", "" };
	struct mp_err err = { 0 };
	char *name = NULL, path[256];
	int lock = -1, in = input("x\n");

	if (geteuid() == 0)
		return;	/* root writes anywhere: covered by the e2e test */
	ck_assert_int_eq(spool_init(dir, &err), 0);
	snprintf(path, sizeof(path), "%s/spool/incoming/tmp", dir);
	chmod(path, 0500);
	ck_assert_int_eq(spool_receive(dir, in, &env, 1 << 20, &name, &lock,
				       &err), -1);
	ck_assert_int_eq(err.kind, MP_TEMP);
	close(in);
}
END_TEST

static int
collect(void *ctx, const char *name)
{
	(void)name;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_each_new_skips_locked)
{
	struct spool_envelope env = { "", "", "" };
	struct mp_err err = { 0 };
	char *n1 = NULL, *n2 = NULL;
	int l1 = -1, l2 = -1, seen = 0, in;

	in = input("one\n");
	ck_assert_int_eq(spool_receive(dir, in, &env, 1 << 20, &n1, &l1,
				       &err), 0);
	close(in);
	in = input("two\n");
	ck_assert_int_eq(spool_receive(dir, in, &env, 1 << 20, &n2, &l2,
				       &err), 0);
	close(in);
	close(l2);	/* n2 is free, n1 still held */
	ck_assert_int_eq(spool_each_new(dir, collect, &seen, &err), 0);
	ck_assert_int_eq(seen, 1);
	close(l1);
	seen = 0;
	ck_assert_int_eq(spool_each_new(dir, collect, &seen, &err), 0);
	ck_assert_int_eq(seen, 2);
	ck_assert_int_eq(spool_fail(dir, n1, "test reason", &err), 0);
	ck_assert_int_eq(count("failed"), 2);	/* file and .reason */
	free(n1);
	free(n2);
}
END_TEST

/* From memory, as LMTP sessions spool: sixteen threads at once, each
 * gets its own complete, locked file. */
#define MEM_THREADS 16
#define MEM_EACH 40

static void *
spool_from_memory(void *arg)
{
	static const char msg[] = "Subject: mem\n\nfrom memory\n";
	struct spool_envelope env = { "a@example.com", "support@example.jp",
				      "" };
	long failures = 0;
	int i;

	(void)arg;
	for (i = 0; i < MEM_EACH; i++) {
		struct mp_err err = { 0 };
		char *name = NULL;
		int lock = -1;

		if (spool_receive_mem(dir, msg, sizeof(msg) - 1, &env, 1 << 20,
				      &name, &lock, &err) < 0 ||
		    name == NULL || lock < 0)
			failures++;
		if (lock >= 0)
			close(lock);
		free(name);
	}
	return (void *)failures;
}

START_TEST(test_receive_from_memory)
{
	static const char msg[] = "Subject: mem\n\nfrom memory\n";
	struct spool_envelope env = { "", "r@x", "" }, got;
	struct mp_err err = { 0 };
	pthread_t t[MEM_THREADS];
	char *name = NULL, buf[64];
	int lock = -1, fd, i;
	void *failures;
	off_t off;
	ssize_t n;

	for (i = 0; i < MEM_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL,
						spool_from_memory, NULL), 0);
	for (i = 0; i < MEM_THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &failures), 0);
		ck_assert_int_eq((long)failures, 0);
	}
	ck_assert_int_eq(count("incoming/new"), MEM_THREADS * MEM_EACH);
	ck_assert_int_eq(count("incoming/tmp"), 0);

	ck_assert_int_eq(spool_receive_mem(dir, msg, sizeof(msg) - 1, &env,
					   1 << 20, &name, &lock, &err), 0);
	ck_assert_int_eq(spool_open(dir, name, 0, &got, &fd, &off, &err), 0);
	n = pread(fd, buf, sizeof(buf) - 1, off);
	buf[n < 0 ? 0 : n] = '\0';
	ck_assert_str_eq(buf, msg);
	ck_assert_str_eq(got.recipient, "r@x");
	spool_envelope_release(&got);
	close(fd);
	close(lock);
	free(name);

	/* The same limits as from a file, and nothing left behind. */
	ck_assert_int_eq(spool_receive_mem(dir, msg, sizeof(msg) - 1, &env,
					   8, &name, &lock, &err), -1);
	ck_assert_int_eq(err.kind, MP_PERM);
	ck_assert_int_eq(spool_receive_mem(dir, " \n", 2, &env, 1 << 20,
					   &name, &lock, &err), -1);
	ck_assert_int_eq(err.kind, MP_PERM);
	ck_assert_int_eq(count("incoming/tmp"), 0);
	ck_assert_int_eq(count("incoming/new"), MEM_THREADS * MEM_EACH + 1);
}
END_TEST

Suite *
suite_spool(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("spool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_receive_and_open);
	tcase_add_test(tc, test_too_big_leaves_nothing);
	tcase_add_test(tc, test_receive_from_memory);
	tcase_add_test(tc, test_empty_leaves_nothing);
	tcase_add_test(tc, test_unwritable_is_temporary);
	tcase_add_test(tc, test_each_new_skips_locked);
	suite_add_tcase(s, tc);
	return s;
}
