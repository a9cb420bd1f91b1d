/*
 * Dry-run commands read a message on stdin; this copies it into an
 * unlinked temporary file (under $TMPDIR or /tmp) so it can be parsed in
 * place like a spool file.
 */
#ifndef MP_STDIN_FILE_H
#define MP_STDIN_FILE_H

#include "err.h"

/* Returns a read/write fd holding all of stdin, or -1 with err set. */
int stdin_to_file(struct mp_err *err);

#endif
