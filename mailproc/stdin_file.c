/* stdin_file.c: stdin into an unlinked temporary file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdin_file.h"

int
stdin_to_file(struct mp_err *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/mailproc.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return mp_err_set(err, MP_TEMP, "cannot create %s: %s", path,
				  strerror(errno));
	unlink(path);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n) {
			mp_err_set(err, MP_TEMP, "cannot copy stdin: %s",
				   strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}
