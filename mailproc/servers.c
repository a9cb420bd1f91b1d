/*
 * servers.c: finding registered servers in a request's text.
 *
 * The text is cut into words of host-name characters (ASCII letters,
 * digits, '-', '_', '.', ':'); anything else, Japanese text included,
 * is a boundary.  Each word is looked up whole (an IPv6 address), then
 * each ':'-separated part of it (host:port), and each of those also by
 * its leading labels (web1 of web1.example.jp).  A registered name never
 * matches inside a label, so web1 is not named by web10.  Matching errs
 * towards finding a server: a false find costs a staff decision, a
 * missed one could confirm work for the wrong contract.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "servers.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

static int
is_word(int c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
}

/* ASCII case-insensitive comparison of the len bytes at s with the
 * string name, ordered as a shorter string first. */
static int
cmp_len(const char *s, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int a = lower((unsigned char)s[i]);
		int b = lower((unsigned char)name[i]);
		if (b == '\0' || a != b)
			return b == '\0' ? 1 : a - b;
	}
	return name[len] == '\0' ? 0 : -1;
}

static int
cmp_hosts(const void *a, const void *b)
{
	const struct servers_host *x = *(const struct servers_host *const *)a;
	const struct servers_host *y = *(const struct servers_host *const *)b;

	return cmp_len(x->name, strlen(x->name), y->name);
}

struct finder {
	const struct servers_host *hosts;
	const struct servers_host **sorted;
	size_t n, *found, max, n_found;
};

/* Records every host named exactly by the len bytes at s. */
static void
lookup(struct finder *fd, const char *s, size_t len)
{
	size_t lo = 0, hi = fd->n, k;

	if (len == 0)
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_len(s, len, fd->sorted[mid]->name) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < fd->n && fd->n_found < fd->max &&
	     cmp_len(s, len, fd->sorted[lo]->name) == 0; lo++) {
		size_t idx = (size_t)(fd->sorted[lo] - fd->hosts);
		for (k = 0; k < fd->n_found; k++)
			if (fd->found[k] == idx)
				break;
		if (k == fd->n_found)
			fd->found[fd->n_found++] = idx;
	}
}

/* Trims the punctuation that ends a sentence or starts a list item. */
static void
trim(const char **s, size_t *len, const char *chars)
{
	while (*len > 0 && strchr(chars, (*s)[0]) != NULL) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && strchr(chars, (*s)[*len - 1]) != NULL)
		(*len)--;
}

/* A host word without ':': the whole of it and its leading labels. */
static void
lookup_host(struct finder *fd, const char *s, size_t len)
{
	size_t i;

	trim(&s, &len, "-_.");
	for (i = 0; i < len; i++)
		if (s[i] == '.' && i > 0)
			lookup(fd, s, i);
	lookup(fd, s, len);
}

static void
lookup_word(struct finder *fd, const char *s, size_t len)
{
	const char *p, *end;

	trim(&s, &len, "-_.:");
	if (memchr(s, ':', len) == NULL) {
		lookup_host(fd, s, len);
		return;
	}
	lookup(fd, s, len);	/* an IPv6 address */
	for (p = s, end = s + len; p < end;) {
		const char *q = memchr(p, ':', (size_t)(end - p));
		if (q == NULL)
			q = end;
		lookup_host(fd, p, (size_t)(q - p));
		p = q + 1;
	}
}

int
servers_find(const char *text, const struct servers_host *hosts, size_t n,
	     size_t *found, size_t max)
{
	struct finder fd = { hosts, NULL, n, found, max, 0 };
	const char *p, *w;
	size_t i;

	if (text == NULL || n == 0 || max == 0)
		return 0;
	fd.sorted = malloc(n * sizeof(*fd.sorted));
	if (fd.sorted == NULL)
		return -1;
	for (i = 0; i < n; i++)
		fd.sorted[i] = &hosts[i];
	qsort(fd.sorted, n, sizeof(*fd.sorted), cmp_hosts);
	for (p = text; *p && fd.n_found < max;) {
		if (!is_word((unsigned char)*p)) {
			p++;
			continue;
		}
		for (w = p; is_word((unsigned char)*p); p++)
			;
		lookup_word(&fd, w, (size_t)(p - w));
	}
	free(fd.sorted);
	return (int)fd.n_found;
}

int
servers_check(const char *text, const struct servers_host *hosts, size_t n,
	      const char *requester_contract, const char *form_contract,
	      struct servers_mismatch *out, size_t max)
{
	size_t *found, i, k = 0;
	int nf;

	if ((requester_contract == NULL && form_contract == NULL) || n == 0)
		return 0;
	found = malloc(n * sizeof(*found));
	if (found == NULL)
		return -1;
	nf = servers_find(text, hosts, n, found, n);
	for (i = 0; nf > 0 && i < (size_t)nf && k < max; i++) {
		const struct servers_host *h = &hosts[found[i]];

		if (requester_contract != NULL &&
		    strcasecmp(h->contract, requester_contract) != 0) {
			out[k].claimed = requester_contract;
			out[k].by_form = 0;
		} else if (form_contract != NULL &&
			   strcasecmp(h->contract, form_contract) != 0) {
			out[k].claimed = form_contract;
			out[k].by_form = 1;
		} else {
			continue;
		}
		out[k].name = h->name;
		out[k++].contract = h->contract;
	}
	free(found);
	return nf < 0 ? -1 : (int)k;
}

void
servers_mismatch_format(const struct servers_mismatch *mm, char *buf,
			size_t size)
{
	snprintf(buf, size, "server %s belongs to contract %s, not %s %s",
		 mm->name, mm->contract, mm->by_form ? "the form's 契約ID" :
		 "the requester's", mm->claimed);
}

int
servers_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > 253)
		return 0;
	if (strchr(name, ':') != NULL) {
		struct in6_addr a;
		return inet_pton(AF_INET6, name, &a) == 1;
	}
	if (!is_alnum((unsigned char)name[0]) ||
	    !is_alnum((unsigned char)name[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_word((unsigned char)name[i]) ||
		    (name[i] == '.' && name[i + 1] == '.'))
			return 0;
	return 1;
}
