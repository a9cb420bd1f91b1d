/*
 * fuzz_lmtp.c: libFuzzer harness for the LMTP protocol bytes (lmtp.c):
 * every line of the input as a command, and the whole input as a DATA
 * stream (cut in pieces whose sizes the input's first byte chooses)
 * through the dot decoder and the login-header scanner.  Checks what the
 * server relies on: a decoded chunk is never longer than its input plus
 * one byte, an accepted path fits LMTP_MAX_ADDR, the decoder stops only
 * at the final dot.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct lmtp_dot d;
	struct lmtp_hdr h;
	size_t step = size > 0 ? (size_t)(data[0] % 17) + 1 : 1, off = 0;
	char *out = malloc(size + 2);

	if (out == NULL)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct lmtp_cmd cmd;

		lmtp_parse(p, len, &cmd);
		if (cmd.syntax == LMTP_OK &&
		    strlen(cmd.addr) > LMTP_MAX_ADDR)
			abort();
		p += len + (nl != NULL);
	}
	lmtp_dot_init(&d);
	lmtp_hdr_init(&h, "X-Mailproc-Login");
	while (off < size && !d.done) {
		size_t n = size - off < step ? size - off : step, olen, used;

		used = lmtp_dot_feed(&d, (const char *)data + off, n, out,
				     &olen);
		if (used > n || olen > n + 1 || (used < n && !d.done))
			abort();
		lmtp_hdr_feed(&h, out, olen);
		off += used;
	}
	(void)lmtp_hdr_login(&h);
	free(out);
	return 0;
}
