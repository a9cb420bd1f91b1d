/*
 * The contract registry's import format: CSV with a header row naming the
 * columns contract_id, holder_name, requester_addresses (space
 * separated), monitoring_email, emergency_phone, options (space separated
 * option ids of rules/catalogue.conf) and, optionally, servers (space
 * separated host names and IP addresses; each belongs to one contract)
 * and holder_email, in any order.  Owns reading and validating that
 * file; storing is store.c's.
 */
#ifndef MP_CONTRACTS_H
#define MP_CONTRACTS_H

#include <stddef.h>

#include "err.h"
#include "store.h"

/* Decides whether an option id exists (the catalogue's). */
typedef int contracts_option_fn(void *ctx, const char *option_id);

/* Reads every row of path into *rows_r (*n_r of them; free with
 * contracts_free()).  Every bad row is reported as "path:line: problem"
 * on stderr and reading goes on; if there was any problem, returns -1
 * with err (MP_PERM) and no rows, so that nothing is half-imported. */
int contracts_read(const char *path, contracts_option_fn *option_ok,
		   void *ctx, struct store_contract **rows_r, size_t *n_r,
		   struct mp_err *err);

void contracts_free(struct store_contract *rows, size_t n);

#endif
