/*
 * fuzz_parse.c: libFuzzer harness for the parse-and-classify path, the
 * way `deliver` runs it: the input is a spooled message in a file (a
 * memfd here), parsed with msg_parse_fd() (attachments only counted),
 * turned into JSON with msgjson_dump(), and classified with the
 * checkout's rules (rules/, or $MP_FUZZ_RULES).  Any crash, sanitizer
 * report or leak is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "msg.h"
#include "msgjson.h"
#include "rules.h"

static int fuzz_fd = -1;
static struct rules *fuzz_rules;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("MP_FUZZ_RULES");
	struct mp_err err = { 0 };

	(void)argc;
	(void)argv;
	msg_library_init();
	fuzz_fd = memfd_create("fuzz-message", MFD_CLOEXEC);
	if (fuzz_fd < 0) {
		perror("fuzz_parse: memfd_create");
		abort();
	}
	if (rules_load(&fuzz_rules, dir ? dir : "rules", NULL, NULL,
		       &err) < 0)
		fprintf(stderr, "fuzz_parse: rules not loaded (%s); "
			"classification is not fuzzed\n", err.msg);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_limits lim = { 50, 1024 * 1024 };
	struct mp_err err = { 0 };
	struct msg *m = NULL;
	char *json;

	if (ftruncate(fuzz_fd, 0) < 0 ||
	    (size > 0 && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
		abort();
	if (msg_parse_fd(fuzz_fd, 0, &lim, NULL, &m, &err) < 0)
		return 0;	/* I/O or memory: not the input's fault */
	json = msgjson_dump(m);
	free(json);
	if (fuzz_rules != NULL) {
		struct rules_result res;

		(void)rules_classify(fuzz_rules, m->subject, m->text, 0, &res,
				     &err);
		(void)rules_classify(fuzz_rules, m->subject, m->text, 1, &res,
				     &err);
	}
	msg_free(&m);
	return 0;
}
