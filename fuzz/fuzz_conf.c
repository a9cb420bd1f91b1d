/*
 * fuzz_conf.c: libFuzzer harness for the configuration parser: the input
 * is written to a file and read with conf_load() (whose problem reports
 * go to stderr; run with -close_fd_mask=2 to silence them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

static int fuzz_fd = -1;
static char fuzz_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_fd = memfd_create("fuzz-conf", MFD_CLOEXEC);
	if (fuzz_fd < 0) {
		perror("fuzz_conf: memfd_create");
		abort();
	}
	snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf conf;
	struct mp_err err = { 0 };

	if (ftruncate(fuzz_fd, 0) < 0 ||
	    (size > 0 && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
		abort();
	(void)conf_load(&conf, ".", fuzz_path, &err);
	conf_release(&conf);
	return 0;
}
