/*
 * fuzz_prescan.c: libFuzzer harness for the header pre-scan (msg.c's
 * msg_prescan), the linear pass that caps header fields, parameters and
 * blocks before GMime sees a message.  Checks what msg_parse_fd relies
 * on: looking and copying find the same caps; a message within the caps
 * is copied byte for byte; the capped copy is itself within the caps.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memory file holding data[0..size), or -1. */
static int
memfile(const void *data, size_t size)
{
	int fd = memfd_create("fuzz-prescan", MFD_CLOEXEC);

	if (fd >= 0 && size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfile(data, size), fd2, look, copied, again;
	char *out = NULL;
	size_t olen = 0;
	FILE *fp;

	if (fd < 0)
		return 0;
	look = msg_prescan(fd, 0, NULL);
	fp = open_memstream(&out, &olen);
	if (fp == NULL) {
		close(fd);
		return 0;
	}
	copied = msg_prescan(fd, 0, fp);
	fclose(fp);
	close(fd);
	if (look < 0 || copied != look)
		abort();
	if (look == 0 && (olen != size || memcmp(out, data, size) != 0))
		abort();
	fd2 = memfile(out, olen);
	if (fd2 >= 0) {
		again = msg_prescan(fd2, 0, NULL);
		close(fd2);
		if (again != 0)
			abort();
	}
	free(out);
	return 0;
}
