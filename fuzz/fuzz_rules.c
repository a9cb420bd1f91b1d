/*
 * fuzz_rules.c: libFuzzer harness for the rules loader.  The input holds
 * up to three files separated by lines "--8<--": catalogue.conf,
 * classify.rules and form.conf (a missing part is an empty file).  They
 * are written to a private directory, checked with rules_check_dir()
 * (which compiles every pattern, as check-config does) and read with
 * rules_load(); a set that loads classifies a short fixed text, so that
 * patterns and form labels are exercised too.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"

#define SEP "\n--8<--\n"

static char fuzz_dir[64];
static const char *const names[] = {
	"catalogue.conf", "classify.rules", "form.conf",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Removes the private directory when the fuzzer exits normally. */
static void
remove_dir(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, names[i]);
		unlink(path);
	}
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/mp-fuzz-rules.XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("fuzz_rules: mkdtemp");
		abort();
	}
	atexit(remove_dir);
	return 0;
}

static void
write_part(const char *name, const uint8_t *p, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (len > 0 && write(fd, p, len) != (ssize_t)len))
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct rules *r = NULL;
	struct mp_err err = { 0 };
	size_t i;

	for (i = 0; i < 3; i++) {
		const uint8_t *q = p < end ? memmem(p, (size_t)(end - p), SEP,
						    strlen(SEP)) : NULL;
		size_t len = q ? (size_t)(q - p) : (size_t)(end - p);

		write_part(names[i], p, p < end ? len : 0);
		p = q ? q + strlen(SEP) : end;
	}
	if (rules_check_dir(fuzz_dir, NULL, NULL, &err) == 0 &&
	    rules_load(&r, fuzz_dir, NULL, NULL, &err) == 0) {
		struct rules_result res;

		(void)rules_classify(r, "サーバーの再起動 reboot",
				     "依頼種別: 再起動\n内容: web01 を"
				     "再起動してください\n", 0, &res, &err);
		rules_free(&r);
	}
	return 0;
}
