/*
 * Which contract servers a request names.  Pure: the registry's host
 * names and addresses are passed in, the text is the customer's; no
 * database and no I/O.  Whether a mismatch stops anything is ingest.c's
 * and respond.c's business.
 */
#ifndef MP_SERVERS_H
#define MP_SERVERS_H

#include <stddef.h>

/* One registered server: a host name or IP address and its contract. */
struct servers_host {
	const char *name;
	const char *contract;
};

/* A server named in a request that belongs to another contract than the
 * one the request is for.  Points into the hosts and contract ids the
 * caller passed to servers_check(). */
struct servers_mismatch {
	const char *name;	/* as registered */
	const char *contract;	/* the contract it is registered to */
	const char *claimed;	/* the contract the request is for */
	int by_form;		/* claimed is the form's 契約ID */
};

/* Whether name may be registered as a server: a host name (ASCII
 * letters, digits, '-', '_' and '.'; beginning and ending with a letter
 * or digit) or an IPv4 or IPv6 address, at most 253 bytes. */
int servers_name_ok(const char *name);

/* Finds the hosts that text names, case-insensitively and on word
 * boundaries: a name matches a whole word of host-name characters (web1
 * is not in web10, web1-b or old.web1), or the leading labels of a
 * dotted one (web1 is in web1.example.jp).  A trailing '.', '-' or '_'
 * (the end of a sentence) and a ':' (a port, "Host:web1") end a word.
 * Writes the index in hosts of each distinct host found, in the order
 * first named, to found[] (at most max of them).  Returns how many were
 * written, or -1 when out of memory.  text may be NULL. */
int servers_find(const char *text, const struct servers_host *hosts,
		 size_t n, size_t *found, size_t max);

/* The servers text names that belong to another contract than the
 * requester's (requester_contract) or, when not NULL, the form's 契約ID
 * (form_contract; compared ignoring case).  A server of the contract
 * asked for is fine, and so is a request for no contract at all (both
 * NULL): there is nothing to mismatch.  Writes at most max mismatches to
 * out; returns how many, or -1 when out of memory. */
int servers_check(const char *text, const struct servers_host *hosts,
		  size_t n, const char *requester_contract,
		  const char *form_contract, struct servers_mismatch *out,
		  size_t max);

/* Writes "server X belongs to contract B, not the requester's A" (or
 * "..., not the form's 契約ID A") to buf, truncated to size. */
void servers_mismatch_format(const struct servers_mismatch *mm, char *buf,
			     size_t size);

#endif
