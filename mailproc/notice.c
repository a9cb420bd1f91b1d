/*
 * notice.c: notices to contract holders.
 *
 * Recipients are chosen when the notice is created and recorded with it,
 * so the dry run shows exactly who will get what, and a registry change
 * between `create` and `send` cannot widen a notice.  One row per
 * address: a holder of several contracts gets one mail naming them all.
 * Each mail is queued on its own, To: that address alone; nothing ever
 * carries a list of recipients.  Every mail is threaded on the notice's
 * own ticket (class "notice", requester our support address), so a
 * holder's reply finds it and, not being its requester, opens a ticket
 * of its own linked to it (ingest.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hours.h"
#include "log.h"
#include "notice.h"

static const struct {
	const char *kind, *template;
	int need_start, need_end, advance;
} kinds[] = {
	{ "maintenance", "notice-maintenance", 1, 1, 1 },
	{ "emergency", "notice-emergency", 1, 0, 0 },
	{ "restored", "notice-restored", 0, 1, 0 },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const var_names[] = { "start", "end", "services",
					 "details" };
#define N_VAR_NAMES (sizeof(var_names) / sizeof(var_names[0]))

const char *
notice_template(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < N_KINDS; i++)
		if (strcmp(kind, kinds[i].kind) == 0 ||
		    strcmp(kind, kinds[i].template) == 0)
			return kinds[i].template;
	return NULL;
}

static int
kind_index(const char *template)
{
	size_t i;

	for (i = 0; i < N_KINDS; i++)
		if (strcmp(template, kinds[i].template) == 0)
			return (int)i;
	return -1;
}

/* The value of key in "key=value\n" lines (a new string), or NULL. */
static char *
var_get(const char *vars, const char *key)
{
	size_t kl = strlen(key);
	const char *p = vars;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);

		if (ll > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
			return strndup(p + kl + 1, ll - kl - 1);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Checks the --var values and joins them into "key=value\n" lines. */
static int
vars_join(const struct notice_request *rq, int k, const struct hours *h,
	  time_t now, struct buf *out, struct mp_err *err)
{
	time_t start = 0, end = 0;
	size_t i, j;
	char *v;

	for (i = 0; i < rq->n_vars; i++) {
		const char *eq = strchr(rq->vars[i], '=');
		const unsigned char *q;

		for (j = 0; eq != NULL && j < N_VAR_NAMES; j++)
			if (strlen(var_names[j]) == (size_t)(eq - rq->vars[i]) &&
			    strncmp(rq->vars[i], var_names[j],
				    (size_t)(eq - rq->vars[i])) == 0)
				break;
		if (eq == NULL || j == N_VAR_NAMES)
			return mp_err_set(err, MP_PERM, "--var %.60s: want "
					  "start=, end=, services= or "
					  "details=", rq->vars[i]);
		for (q = (const unsigned char *)eq + 1; *q; q++)
			if (*q < 0x20 || *q == 0x7f)
				return mp_err_set(err, MP_PERM, "--var %.*s: "
						  "control character",
						  (int)(eq - rq->vars[i]),
						  rq->vars[i]);
		v = var_get(out->p ? out->p : "", var_names[j]);
		free(v);
		if (v != NULL)
			return mp_err_set(err, MP_PERM, "--var %s given twice",
					  var_names[j]);
		buf_adds(out, rq->vars[i]);
		buf_addc(out, '\n');
	}
	if (out->oom)
		return mp_err_set(err, MP_TEMP, "out of memory");
	for (j = 0; j < 2; j++) {
		const char *key = j == 0 ? "start" : "end";
		int need = j == 0 ? kinds[k].need_start : kinds[k].need_end;
		time_t *t = j == 0 ? &start : &end;

		v = var_get(out->p ? out->p : "", key);
		if (v == NULL && need)
			return mp_err_set(err, MP_PERM, "a %s notice needs "
					  "--var %s=ISO8601", kinds[k].kind,
					  key);
		if (v != NULL && hours_parse_time(h, v, t, err) < 0) {
			free(v);
			return mp_err_set(err, MP_PERM, "--var %s: not an "
					  "ISO 8601 time", key);
		}
		free(v);
	}
	v = var_get(out->p ? out->p : "", "services");
	if (v == NULL || *v == '\0') {
		free(v);
		return mp_err_set(err, MP_PERM, "a notice needs --var "
				  "services=... (the services affected)");
	}
	free(v);
	if (start && end && end < start)
		return mp_err_set(err, MP_PERM, "the window ends before it "
				  "starts");
	/* The policy: maintenance is announced in advance, except in an
	 * emergency, which has a template of its own. */
	if (kinds[k].advance && start <= now)
		return mp_err_set(err, MP_PERM, "a maintenance notice goes "
				  "before its window starts; use --template "
				  "emergency for one after the fact");
	return 0;
}

/* The recipients being gathered. */
struct rcpts {
	struct store_notice_rcpt *v;
	size_t n;
	struct buf skipped;
	struct store *store;
	int oom;
};

static void
rcpts_release(struct rcpts *r)
{
	store_notice_rcpts_free(r->v, r->n);
	buf_release(&r->skipped);
}

static char *
joined(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, a, la);
	s[la] = la && lb ? ' ' : '\0';
	memcpy(s + la + (la && lb), b, lb + 1);
	return s;
}

/* Adds contract c, with the affected servers (space separated; NULL:
 * all of its servers). */
static int
rcpts_add(struct rcpts *r, const struct store_contract *c,
	  const char *servers, struct mp_err *err)
{
	const char *to = c->holder_email ? c->holder_email :
		c->monitoring_email;
	struct buf all = { 0 };
	struct store_notice_rcpt *x;
	char *lang = NULL, *s1, *s2;
	size_t i;

	if (to == NULL) {
		if (r->skipped.len)
			buf_addc(&r->skipped, ' ');
		buf_adds(&r->skipped, c->id);
		return r->skipped.oom ? mp_err_set(err, MP_TEMP,
						   "out of memory") : 0;
	}
	if (servers == NULL) {
		for (i = 0; i < c->n_servers; i++) {
			if (i)
				buf_addc(&all, ' ');
			buf_adds(&all, c->servers[i]);
		}
		if (all.oom)
			return mp_err_set(err, MP_TEMP, "out of memory");
		servers = all.p ? all.p : "";
	}
	for (i = 0; i < r->n; i++)
		if (strcasecmp(r->v[i].address, to) == 0)
			break;
	if (i < r->n) {
		x = &r->v[i];
		s1 = joined(x->contracts, c->id);
		s2 = joined(x->servers, servers);
		if (s1 == NULL || s2 == NULL) {
			free(s1);
			free(s2);
			buf_release(&all);
			return mp_err_set(err, MP_TEMP, "out of memory");
		}
		free(x->contracts);
		free(x->servers);
		x->contracts = s1;
		x->servers = s2;
		buf_release(&all);
		return 0;
	}
	if (store_contract_lang(r->store, c->id, &lang, err) < 0) {
		buf_release(&all);
		return -1;
	}
	x = realloc(r->v, (r->n + 1) * sizeof(*x));
	if (x == NULL) {
		free(lang);
		buf_release(&all);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	r->v = x;
	x = &r->v[r->n++];
	memset(x, 0, sizeof(*x));
	x->address = strdup(to);
	x->contracts = strdup(c->id);
	x->holder_name = strdup(c->holder_name ? c->holder_name : "");
	x->lang = lang != NULL && strcmp(lang, "en") == 0 ? lang :
		(free(lang), strdup("ja"));
	x->servers = strdup(servers);
	buf_release(&all);
	if (x->address == NULL || x->contracts == NULL ||
	    x->holder_name == NULL || x->lang == NULL || x->servers == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	return 0;
}

struct each_ctx {
	struct rcpts *r;
	struct mp_err *err;
};

static int
add_each(void *ctx, const struct store_contract *c)
{
	struct each_ctx *e = ctx;
	return rcpts_add(e->r, c, NULL, e->err);
}

struct server_ctx {
	const struct notice_request *rq;
	const char **owner;		/* per name: its contract */
	char **owner_copy;
};

static int
server_each(void *ctx, const char *name, const char *contract)
{
	struct server_ctx *x = ctx;
	size_t i;

	for (i = 0; i < x->rq->n_names; i++)
		if (strcasecmp(x->rq->names[i], name) == 0 &&
		    x->owner_copy[i] == NULL) {
			x->owner_copy[i] = strdup(contract);
			if (x->owner_copy[i] == NULL)
				return -1;
		}
	return 0;
}

/* Notices by server: each named server must be registered; each of
 * their contracts is told about its own servers only. */
static int
gather_servers(struct rcpts *r, const struct notice_request *rq,
	       struct mp_err *err)
{
	struct server_ctx x = { rq, NULL, NULL };
	size_t i, j;
	int rc = -1;

	x.owner_copy = calloc(rq->n_names + 1, sizeof(*x.owner_copy));
	if (x.owner_copy == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	i = (size_t)store_server_each(r->store, server_each, &x, err);
	if ((int)i != 0) {
		if ((int)i > 0)
			mp_err_set(err, MP_TEMP, "out of memory");
		goto done;
	}
	for (i = 0; i < rq->n_names; i++)
		if (x.owner_copy[i] == NULL) {
			mp_err_set(err, MP_PERM, "server %.100s is not "
				   "registered to any contract",
				   rq->names[i]);
			goto done;
		}
	for (i = 0; i < rq->n_names; i++) {
		struct store_contract c;
		struct buf srv = { 0 };
		int got;

		for (j = 0; j < i; j++)
			if (strcmp(x.owner_copy[j], x.owner_copy[i]) == 0)
				break;
		if (j < i)
			continue;	/* that contract is done */
		for (j = i; j < rq->n_names; j++)
			if (strcmp(x.owner_copy[j], x.owner_copy[i]) == 0) {
				if (srv.len)
					buf_addc(&srv, ' ');
				buf_adds(&srv, rq->names[j]);
			}
		got = store_contract_get(r->store, x.owner_copy[i], &c, err);
		if (got <= 0 || srv.oom) {
			buf_release(&srv);
			if (got > 0)
				store_contract_release(&c);
			if (got == 0 || srv.oom)
				mp_err_set(err, MP_TEMP, "registry changed");
			goto done;
		}
		got = rcpts_add(r, &c, srv.p, err);
		store_contract_release(&c);
		buf_release(&srv);
		if (got < 0)
			goto done;
	}
	rc = 0;
done:
	for (i = 0; i < rq->n_names; i++)
		free(x.owner_copy[i]);
	free(x.owner_copy);
	return rc;
}

static int
gather(struct rcpts *r, const struct notice_request *rq, struct mp_err *err)
{
	size_t i;

	if (rq->scope == NOTICE_ALL) {
		struct each_ctx e = { r, err };
		return store_contract_each(r->store, add_each, &e, err) != 0 ?
			-1 : 0;
	}
	if (rq->scope == NOTICE_SERVERS)
		return gather_servers(r, rq, err);
	for (i = 0; i < rq->n_names; i++) {
		struct store_contract c;
		int got = store_contract_get(r->store, rq->names[i], &c, err);

		if (got < 0)
			return -1;
		if (got == 0)
			return mp_err_set(err, MP_PERM, "no contract %.100s",
					  rq->names[i]);
		got = rcpts_add(r, &c, NULL, err);
		store_contract_release(&c);
		if (got < 0)
			return -1;
	}
	return 0;
}

int
notice_create(struct compose *c, const struct notice_request *rq,
	      long long *id_r, char **skipped_r, struct mp_err *err)
{
	const char *template = notice_template(rq->kind);
	struct rcpts r = { 0 };
	struct buf vars = { 0 };
	struct store_ticket t = { 0 };
	struct store_notice n = { 0 };
	char subject[200], detail[300];
	size_t i;
	int rc = -1;

	*id_r = 0;
	*skipped_r = NULL;
	if (template == NULL)
		return mp_err_set(err, MP_PERM, "unknown template %.60s: want "
				  "maintenance, emergency or restored",
				  rq->kind ? rq->kind : "(none)");
	if (vars_join(rq, kind_index(template), c->hours, c->now, &vars,
		      err) < 0)
		goto done;
	r.store = c->store;
	if (gather(&r, rq, err) < 0)
		goto done;
	if (r.n == 0) {
		mp_err_set(err, MP_PERM, "nobody to notify: no contract "
			   "chosen has a holder_email or monitoring_email");
		goto done;
	}
	snprintf(subject, sizeof(subject), "notice: %s", rq->kind);
	t.state = "closed";
	t.class = "notice";
	t.requester = (char *)c->conf->support_address;
	t.recipient = (char *)c->conf->support_address;
	t.subject = subject;
	t.lang = (char *)c->conf->language;
	t.created = c->now;
	if (store_ticket_insert(c->store, &t, &n.ticket, err) < 0)
		goto done;
	n.template = (char *)template;
	n.vars = vars.p;
	n.state = "draft";
	n.created = c->now;
	if (store_notice_insert(c->store, &n, id_r, err) < 0)
		goto done;
	for (i = 0; i < r.n; i++)
		if (store_notice_rcpt_add(c->store, *id_r, &r.v[i], err) < 0)
			goto done;
	snprintf(detail, sizeof(detail), "notice %lld (%s) created for %zu "
		 "recipient%s%s%.100s", *id_r, rq->kind, r.n,
		 r.n == 1 ? "" : "s", r.skipped.len ? "; no address for " :
		 "", r.skipped.p ? r.skipped.p : "");
	if (store_history_add(c->store, n.ticket, c->now, "mailproc",
			      "notice", detail, err) < 0)
		goto done;
	*skipped_r = strdup(r.skipped.p ? r.skipped.p : "");
	if (*skipped_r == NULL) {
		mp_err_set(err, MP_TEMP, "out of memory");
		goto done;
	}
	rc = 0;
done:
	buf_release(&vars);
	rcpts_release(&r);
	return rc;
}

/* The values recipient r's mail gets; the strings are new and freed by
 * vals_release(). */
struct vals {
	struct tmpl_var v[8];
	size_t n;
	char *own[4];
};

static void
vals_release(struct vals *x)
{
	size_t i;

	for (i = 0; i < sizeof(x->own) / sizeof(*x->own); i++)
		free(x->own[i]);
}

static int
vals_make(struct compose *c, const struct store_notice *n,
	  const struct store_notice_rcpt *r, struct vals *x,
	  struct mp_err *err)
{
	int ja = strcmp(r->lang, "en") != 0;
	char *start = var_get(n->vars, "start"), *end = var_get(n->vars, "end");
	char *details = var_get(n->vars, "details");
	char a[128] = "", b[128] = "", win[320];
	time_t t;

	memset(x, 0, sizeof(*x));
	if ((start && (hours_parse_time(c->hours, start, &t, err) < 0 ||
		       hours_format_human(c->hours, t, r->lang, a, sizeof(a),
					  err) < 0)) ||
	    (end && (hours_parse_time(c->hours, end, &t, err) < 0 ||
		     hours_format_human(c->hours, t, r->lang, b, sizeof(b),
					err) < 0))) {
		free(start);
		free(end);
		free(details);
		return -1;
	}
	if (start && end)
		snprintf(win, sizeof(win), ja ? "%s 〜 %s" : "%s to %s", a, b);
	else if (start)
		snprintf(win, sizeof(win), ja ? "%s 〜（終了時刻は未定）" :
			 "from %s (end not yet known)", a);
	else
		snprintf(win, sizeof(win), ja ? "〜 %s（復旧）" :
			 "until %s (restored)", b);
	free(start);
	free(end);
	x->own[0] = strdup(win);
	x->own[1] = var_get(n->vars, "services");
	if (details != NULL && *details != '\0') {
		size_t len = strlen(details) + 64;
		x->own[2] = malloc(len);
		if (x->own[2] != NULL)
			snprintf(x->own[2], len, ja ? "　備考　　　　　　：%s\n" :
				 "  Details:                    %s\n", details);
	} else {
		x->own[2] = strdup("");
	}
	free(details);
	x->own[3] = strdup(*r->servers ? r->servers : "-");
	if (x->own[0] == NULL || x->own[1] == NULL || x->own[2] == NULL ||
	    x->own[3] == NULL) {
		vals_release(x);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
#define VAL(k, val) (x->v[x->n].name = (k), x->v[x->n].value = (val), x->n++)
	VAL("notice_window", x->own[0]);
	VAL("services", x->own[1]);
	VAL("notice_details", x->own[2]);
	VAL("servers", x->own[3]);
	VAL("contract_id", r->contracts);
	VAL("holder_name", r->holder_name ? r->holder_name : "");
#undef VAL
	return 0;
}

static void
mail_for(const struct store_notice *n, const struct store_notice_rcpt *r,
	 const struct vals *x, struct compose_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->ticket = n->ticket;
	m->template = n->template;
	m->lang = r->lang;
	m->to = r->address;
	m->policy = 1;		/* the policy's mail: never rate-limited */
	m->vars = x->v;
	m->n_vars = x->n;
}

int
notice_render(struct compose *c, const struct store_notice *n,
	      const struct store_notice_rcpt *r, struct tmpl_out *out,
	      struct mp_err *err)
{
	struct compose_mail m;
	struct vals x;
	int rc;

	if (vals_make(c, n, r, &x, err) < 0)
		return -1;
	mail_for(n, r, &x, &m);
	rc = compose_render(c, &m, out, err);
	vals_release(&x);
	return rc;
}

int
notice_send(struct compose *c, long long id, size_t *queued_r,
	    struct mp_err *err)
{
	struct store_notice n;
	struct store_notice_rcpt *v = NULL;
	char addr[512], detail[200];
	size_t nv = 0, i;
	int got, rc = -1;

	*queued_r = 0;
	got = store_notice_get(c->store, id, &n, err);
	if (got <= 0)
		return got;
	if (strcmp(n.state, "draft") != 0) {
		mp_err_set(err, MP_PERM, "notice %lld was already sent", id);
		goto done;
	}
	if (store_notice_rcpts(c->store, id, &v, &nv, err) < 0)
		goto done;
	compose_ticket_address(c->conf, n.ticket, addr, sizeof(addr));
	for (i = 0; i < nv; i++) {
		struct compose_mail m;
		struct vals x;
		long long ob = 0;
		int q;

		if (vals_make(c, &n, &v[i], &x, err) < 0)
			goto done;
		mail_for(&n, &v[i], &x, &m);
		m.reply_to = addr;
		q = compose_queue(c, &m, &ob, err);
		vals_release(&x);
		if (q < 0 || store_notice_rcpt_set_outbox(c->store, id,
							  v[i].address, ob,
							  err) < 0)
			goto done;
		if (ob > 0)
			(*queued_r)++;
	}
	snprintf(detail, sizeof(detail), "notice %lld sent: %zu mail%s "
		 "queued", id, *queued_r, *queued_r == 1 ? "" : "s");
	if (store_notice_set_sent(c->store, id, c->now, err) < 0 ||
	    store_history_add(c->store, n.ticket, c->now, "mailproc",
			      "notice", detail, err) < 0)
		goto done;
	log_info("notice=%lld ticket=%lld action=notice-send mails=%zu "
		 "status=ok", id, n.ticket, *queued_r);
	rc = 1;
done:
	store_notice_rcpts_free(v, nv);
	store_notice_release(&n);
	return rc;
}
