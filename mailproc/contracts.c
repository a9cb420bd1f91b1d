/*
 * contracts.c: reading the contract CSV.
 *
 * RFC 4180 fields: quoted fields may hold commas, doubled quotes and line
 * breaks.  Line numbers in messages are those of the record's first line.
 * A file with any bad row imports nothing: a registry that is half the old
 * one and half the new one would confirm identities against the wrong
 * contacts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "contracts.h"
#include "servers.h"

/* The columns from C_OPTIONAL on may be missing from the header: files
 * written before they existed still import. */
enum col {
	C_ID, C_HOLDER, C_ADDRS, C_MONITOR, C_PHONE, C_OPTIONS,
	C_OPTIONAL, C_SERVERS = C_OPTIONAL, C_HOLDER_EMAIL, C_N
};
static const char *const col_names[C_N] = {
	"contract_id", "holder_name", "requester_addresses",
	"monitoring_email", "emergency_phone", "options",
	"servers", "holder_email",
};

struct record {
	char **f;
	size_t n;
};

static void
record_clear(struct record *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->f[i]);
	free(r->f);
	r->f = NULL;
	r->n = 0;
}

/* Reads one CSV record; returns 1, 0 at end of file, -1 out of memory. */
static int
read_record(FILE *fp, struct record *r, int *lines_r)
{
	char *field = NULL;
	size_t len = 0, cap = 0;
	int c, quoted = 0, any = 0;

	*lines_r = 0;
	for (;;) {
		c = getc(fp);
		if (c == EOF && !any && len == 0 && r->n == 0)
			return 0;
		if (quoted) {
			if (c == EOF)
				quoted = 0;	/* unterminated: take it */
			else if (c == '"') {
				int d = getc(fp);
				if (d == '"')
					goto add;
				quoted = 0;
				if (d != EOF)
					ungetc(d, fp);
				continue;
			} else {
				if (c == '\n')
					(*lines_r)++;
				goto add;
			}
		}
		if (c == '"' && len == 0) {
			quoted = 1;
			any = 1;
			continue;
		}
		if (c == ',' || c == '\n' || c == EOF) {
			char **v = realloc(r->f, (r->n + 1) * sizeof(*v));
			if (v == NULL)
				return -1;
			r->f = v;
			if (len > 0 && field[len - 1] == '\r' && c != ',')
				len--;
			v[r->n] = strndup(field ? field : "", len);
			if (v[r->n] == NULL)
				return -1;
			r->n++;
			len = 0;
			if (c != ',') {
				(*lines_r)++;
				free(field);
				return 1;
			}
			any = 1;
			continue;
		}
add:
		if (len + 2 > cap) {
			char *p = realloc(field, cap ? cap * 2 : 64);
			if (p == NULL) {
				free(field);
				return -1;
			}
			field = p;
			cap = cap ? cap * 2 : 64;
		}
		field[len++] = (char)c;
		any = 1;
	}
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
phone_ok(const char *p)
{
	int digits = 0;

	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (!strchr("+-() ", *p))
			return 0;
	}
	return digits >= 6;
}

static int
id_ok(const char *id)
{
	if (*id == '\0')
		return 0;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && !strchr("-_.", *id))
			return 0;
	return 1;
}

/* Splits a space separated list into a new vector of new strings. */
static char **
split(const char *s, size_t *n_r)
{
	char *tmp = strdup(s), *tok, *save = NULL;
	char **v = NULL;

	*n_r = 0;
	if (tmp == NULL)
		return NULL;
	for (tok = strtok_r(tmp, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		char **nv = realloc(v, (*n_r + 2) * sizeof(*v));
		if (nv == NULL)
			break;
		v = nv;
		v[(*n_r)++] = strdup(tok);
		v[*n_r] = NULL;
	}
	free(tmp);
	return v;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
contracts_read(const char *path, contracts_option_fn *option_ok, void *ctx,
	       struct store_contract **rows_r, size_t *n_r,
	       struct mp_err *err)
{
	struct record rec = { 0 };
	struct store_contract *rows = NULL;
	size_t n = 0, i, j, k;
	int col_of[C_N], line = 1, lines, rc, problems = 0, bad = 0;
	FILE *fp;

	*rows_r = NULL;
	*n_r = 0;
	fp = fopen(path, "r");
	if (fp == NULL)
		return mp_err_set(err, MP_PERM, "%s: %s", path,
				  strerror(errno));
#define BAD(ln, ...) do { \
		fprintf(stderr, "%s:%d: ", path, ln); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		problems++; \
		bad = 1; \
	} while (0)
	rc = read_record(fp, &rec, &lines);
	if (rc <= 0) {
		fclose(fp);
		record_clear(&rec);
		return mp_err_set(err, rc < 0 ? MP_TEMP : MP_PERM,
				  "%s: %s", path, rc < 0 ? "out of memory" :
				  "empty file (want a header row)");
	}
	for (i = 0; i < C_N; i++) {
		col_of[i] = -1;
		for (j = 0; j < rec.n; j++) {
			char *name = trim(rec.f[j]);
			/* A UTF-8 byte order mark before the first name. */
			if (j == 0 && strncmp(name, "\xef\xbb\xbf", 3) == 0)
				name += 3;
			if (strcasecmp(name, col_names[i]) == 0)
				col_of[i] = (int)j;
		}
		if (col_of[i] < 0 && i < C_OPTIONAL)
			BAD(1, "header: no column %s", col_names[i]);
	}
	record_clear(&rec);
	line += lines;
	if (problems > 0)
		goto done;
	while ((rc = read_record(fp, &rec, &lines)) > 0) {
		struct store_contract c = { 0 };
		char *f[C_N], **opts;
		size_t nopts;
		int start = line;

		line += lines;
		bad = 0;
		if (rec.n == 1 && *trim(rec.f[0]) == '\0') {
			record_clear(&rec);
			continue;	/* blank line */
		}
		for (i = 0; i < C_N; i++)
			f[i] = col_of[i] >= 0 && (size_t)col_of[i] < rec.n ?
				trim(rec.f[col_of[i]]) : "";
		if (!id_ok(f[C_ID]))
			BAD(start, "contract_id '%s': letters, digits, '-', "
			    "'_' or '.' expected", f[C_ID]);
		for (k = 0; k < n && !bad; k++)
			if (strcmp(rows[k].id, f[C_ID]) == 0)
				BAD(start, "contract_id %s appears twice",
				    f[C_ID]);
		if (*f[C_HOLDER] == '\0')
			BAD(start, "holder_name is empty");
		if (*f[C_HOLDER_EMAIL] != '\0' &&
		    !addr_plausible(f[C_HOLDER_EMAIL]))
			BAD(start, "holder_email '%s' is not a mail address",
			    f[C_HOLDER_EMAIL]);
		if (*f[C_MONITOR] != '\0' && !addr_plausible(f[C_MONITOR]))
			BAD(start, "monitoring_email '%s' is not a mail "
			    "address", f[C_MONITOR]);
		if (*f[C_PHONE] != '\0' && !phone_ok(f[C_PHONE]))
			BAD(start, "emergency_phone '%s' is not a phone "
			    "number", f[C_PHONE]);
		c.addresses = split(f[C_ADDRS], &c.n_addresses);
		if (c.n_addresses == 0)
			BAD(start, "requester_addresses is empty");
		for (i = 0; i < c.n_addresses; i++) {
			if (!addr_plausible(c.addresses[i]))
				BAD(start, "requester address '%s' is not a "
				    "mail address", c.addresses[i]);
			for (k = 0; k < n; k++)
				for (j = 0; j < rows[k].n_addresses; j++)
					if (strcasecmp(rows[k].addresses[j],
						       c.addresses[i]) == 0)
						BAD(start, "%s is also "
						    "registered to %s",
						    c.addresses[i],
						    rows[k].id);
		}
		c.servers = split(f[C_SERVERS], &c.n_servers);
		for (i = 0; i < c.n_servers; i++) {
			if (!servers_name_ok(c.servers[i]))
				BAD(start, "server '%s' is not a host name or "
				    "IP address", c.servers[i]);
			for (j = 0; j < i; j++)
				if (strcasecmp(c.servers[j],
					       c.servers[i]) == 0)
					BAD(start, "server %s is listed twice",
					    c.servers[i]);
			for (k = 0; k < n; k++)
				for (j = 0; j < rows[k].n_servers; j++)
					if (strcasecmp(rows[k].servers[j],
						       c.servers[i]) == 0)
						BAD(start, "server %s is also "
						    "registered to %s",
						    c.servers[i], rows[k].id);
		}
		opts = split(f[C_OPTIONS], &nopts);
		for (i = 0; i < nopts; i++)
			if (option_ok != NULL && !option_ok(ctx, opts[i]))
				BAD(start, "unknown option '%s'", opts[i]);
		strv_free(opts, nopts);
		if (!bad) {
			struct store_contract *v = realloc(rows, (n + 1) *
							   sizeof(*v));
			if (v == NULL) {
				strv_free(c.addresses, c.n_addresses);
				strv_free(c.servers, c.n_servers);
				record_clear(&rec);
				rc = -1;
				break;
			}
			rows = v;
			c.id = strdup(f[C_ID]);
			c.holder_name = strdup(f[C_HOLDER]);
			c.monitoring_email = *f[C_MONITOR] ?
				strdup(f[C_MONITOR]) : NULL;
			c.emergency_phone = *f[C_PHONE] ?
				strdup(f[C_PHONE]) : NULL;
			c.options = strdup(f[C_OPTIONS]);
			c.holder_email = *f[C_HOLDER_EMAIL] ?
				strdup(f[C_HOLDER_EMAIL]) : NULL;
			rows[n++] = c;
		} else {
			strv_free(c.addresses, c.n_addresses);
			strv_free(c.servers, c.n_servers);
		}
		record_clear(&rec);
	}
#undef BAD
	if (rc < 0) {
		fclose(fp);
		contracts_free(rows, n);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
done:
	fclose(fp);
	if (problems > 0) {
		contracts_free(rows, n);
		return mp_err_set(err, MP_PERM, "%s: %d problem%s, nothing "
				  "imported", path, problems,
				  problems == 1 ? "" : "s");
	}
	*rows_r = rows;
	*n_r = n;
	return 0;
}

void
contracts_free(struct store_contract *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_contract_release(&rows[i]);
	free(rows);
}
