/*
 * queue.c: escalation of overdue first responses and the digest.
 *
 * Both act only while the desk is open: a due time is business time, so
 * staff can only be late while they are at work, and a mail to staff at
 * 03:00 on a Sunday is read on Monday anyway.  The digest belongs to an
 * opening (its start is the key of its row in `digests`), so a restarted
 * runner, or a second one, finds the row and sends nothing; the row and
 * the mail commit in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "queue.h"
#include "ticket.h"
#include "tmpl.h"

#define MAX_ESCALATE 100	/* tickets escalated in one pass */

struct ids {
	long long v[MAX_ESCALATE];
	size_t n;
};

static int
collect_unescalated(void *ctx, const struct store_ticket *t)
{
	struct ids *ids = ctx;

	if (t->escalated_at == 0 && ids->n < MAX_ESCALATE)
		ids->v[ids->n++] = t->id;
	return 0;
}

static int
desk_open(struct compose *c, int *open_r, struct mp_err *err)
{
	struct hours_status st;

	if (hours_status(c->hours, c->now, &st, err) < 0)
		return -1;
	*open_r = st.open;
	return 0;
}

static int
escalate_one(struct compose *c, long long id, struct mp_err *err)
{
	struct store_ticket t;
	char due[128] = "", received[128] = "";
	int rc = store_ticket_get(c->store, id, &t, err);

	if (rc <= 0)
		return rc;
	rc = store_ticket_claim_escalation(c->store, id, c->now, err);
	if (rc <= 0)
		goto done;
	if (hours_format_human(c->hours, (time_t)t.first_response_due,
			       c->conf->language, due, sizeof(due), err) < 0 ||
	    hours_format_human(c->hours, (time_t)t.created, c->conf->language,
			       received, sizeof(received), err) < 0) {
		rc = -1;
		goto done;
	}
	{
		struct tmpl_var vars[] = {
			{ "customer_subject", t.subject },
			{ "requester", t.requester },
			{ "received_at", received },
			{ "first_response_due", due },
			{ "state", t.state },
			{ "contract_id", t.contract ? t.contract : "-" },
		};
		size_t nv = sizeof(vars) / sizeof(*vars);

		rc = -1;
		if (store_history_add(c->store, id, c->now, "mailproc",
				      "escalated", "first response overdue: "
				      "staff told", err) < 0 ||
		    compose_notify(c, c->conf->staff_addresses, id,
				   "staff-escalation", vars, nv, err) < 0 ||
		    (*c->conf->escalation_address != '\0' &&
		     compose_notify(c, c->conf->escalation_address, id,
				    "staff-escalation", vars, nv, err) < 0))
			goto done;
		rc = 1;
		log_info("ticket=%lld action=escalated reason=first-response-"
			 "overdue", id);
	}
done:
	store_ticket_release(&t);
	return rc;
}

int
queue_escalate(struct compose *c, int *n_r, struct mp_err *err)
{
	struct store_ticket_filter f = { 0 };
	struct ids ids = { .n = 0 };
	size_t i;
	int open, n = 0;

	if (n_r != NULL)
		*n_r = 0;
	if (desk_open(c, &open, err) < 0)
		return -1;
	if (!open)
		return 0;
	f.overdue = 1;
	f.now = (long long)c->now;
	if (store_ticket_list(c->store, &f, collect_unescalated, &ids,
			      err) < 0)
		return -1;
	for (i = 0; i < ids.n; i++) {
		int rc = escalate_one(c, ids.v[i], err);
		if (rc < 0)
			return -1;
		n += rc;
	}
	if (n_r != NULL)
		*n_r = n;
	return 0;
}

/* ---- the digest ---- */

/* "3d 4h", "5h 20m", "12m": how long ago t was. */
static void
age(long long now, long long t, char *buf, size_t size)
{
	long long s = now > t ? now - t : 0;

	if (s >= 86400)
		snprintf(buf, size, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldm", s / 60);
}

enum { D_TRIAGE, D_HELD, D_CALLBACKS, D_OVERDUE, D_MAIL, D_NEW, D_N };

static const char *const section_var[D_N] = {
	"digest_triage", "digest_held", "digest_callbacks", "digest_overdue",
	"digest_mail", "digest_new",
};

struct digest {
	struct compose *c;
	struct buf sec[D_N];
	int count[D_N];
	int which;
	struct mp_err *err;
};

/* Appends one line: "  [SUPPORT#12]  2d 3h  class  requester  subject". */
static void
ticket_line(struct digest *d, int which, long long id, long long since,
	    const char *class, const char *who, const char *subject)
{
	char tag[128], ago[32], line[1200];

	ticket_tag(tag, sizeof(tag), d->c->conf->subject_tag, id);
	age((long long)d->c->now, since, ago, sizeof(ago));
	snprintf(line, sizeof(line), "  %-14s %-8s %-20s %s  %s\n", tag, ago,
		 class ? class : "-", who ? who : "-", subject ? subject : "");
	buf_adds(&d->sec[which], line);
	d->count[which]++;
}

static int
on_ticket(void *ctx, const struct store_ticket *t)
{
	struct digest *d = ctx;

	ticket_line(d, d->which, t->id, t->created, t->class, t->requester,
		    t->subject);
	return 0;
}

static int
on_callback(void *ctx, long long ticket, long long created)
{
	struct digest *d = ctx;
	struct store_ticket t;
	int rc = store_ticket_get(d->c->store, ticket, &t, d->err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return 0;
	ticket_line(d, D_CALLBACKS, ticket, created, t.class, t.requester,
		    t.subject);
	store_ticket_release(&t);
	return 0;
}

static int
on_mail(void *ctx, const struct store_outbox *o)
{
	struct digest *d = ctx;
	char tag[128] = "-", line[1200];

	if (o->ticket > 0)
		ticket_tag(tag, sizeof(tag), d->c->conf->subject_tag,
			   o->ticket);
	snprintf(line, sizeof(line), "  %-14s %-10s %-22s %s  %s\n", tag,
		 o->state, o->template, o->to_addr,
		 o->last_error ? o->last_error : "");
	buf_adds(&d->sec[D_MAIL], line);
	d->count[D_MAIL]++;
	return 0;
}

/* Gathers every section; since bounds the new tickets and the mail
 * trouble. */
static int
gather(struct digest *d, long long since, struct mp_err *err)
{
	struct store_ticket_filter f = { 0 };

	d->err = err;
	f.now = (long long)d->c->now;
	f.state = "triage";
	d->which = D_TRIAGE;
	if (store_ticket_list(d->c->store, &f, on_ticket, d, err) < 0)
		return -1;
	f.state = "held";
	d->which = D_HELD;
	if (store_ticket_list(d->c->store, &f, on_ticket, d, err) < 0)
		return -1;
	if (store_callbacks_pending(d->c->store, on_callback, d, err) < 0)
		return -1;
	f.state = NULL;
	f.overdue = 1;
	d->which = D_OVERDUE;
	if (store_ticket_list(d->c->store, &f, on_ticket, d, err) < 0)
		return -1;
	if (store_outbox_trouble(d->c->store, since, on_mail, d, err) < 0)
		return -1;
	f.overdue = 0;
	f.since = since;
	d->which = D_NEW;
	if (store_ticket_list(d->c->store, &f, on_ticket, d, err) < 0)
		return -1;
	return 0;
}

static void
digest_release(struct digest *d)
{
	int i;

	for (i = 0; i < D_N; i++)
		buf_release(&d->sec[i]);
}

/* Queues (or prints) the digest if any section has something. */
static int
digest_send(struct compose *c, long long since, int print, int *sent_r,
	    struct mp_err *err)
{
	struct digest d;
	struct tmpl_var vars[D_N + 4];
	char *text[D_N] = { 0 };
	char counts[D_N][16], sincebuf[128];
	int i, total = 0, rc = -1;
	size_t nv = 0;

	memset(&d, 0, sizeof(d));
	d.c = c;
	*sent_r = 0;
	if (gather(&d, since, err) < 0)
		goto done;
	for (i = 0; i < D_N; i++)
		total += d.count[i];
	if (total == 0) {
		rc = 0;
		goto done;
	}
	for (i = 0; i < D_N; i++) {
		if (d.count[i] == 0)
			buf_adds(&d.sec[i], "  -\n");
		text[i] = buf_detach(&d.sec[i], NULL);
		if (text[i] == NULL) {
			mp_err_set(err, MP_TEMP, "out of memory");
			goto done;
		}
		/* The last line's LF: the template puts its own. */
		text[i][strlen(text[i]) - 1] = '\0';
		snprintf(counts[i], sizeof(counts[i]), "%d", d.count[i]);
		vars[nv].name = section_var[i];
		vars[nv++].value = text[i];
	}
	if (since > 0) {
		if (hours_format_human(c->hours, (time_t)since,
				       c->conf->language, sincebuf,
				       sizeof(sincebuf), err) < 0)
			goto done;
	} else {
		snprintf(sincebuf, sizeof(sincebuf), "-");
	}
	vars[nv].name = "digest_since";
	vars[nv++].value = sincebuf;
	if (print) {
		struct tmpl_out out = { 0 };

		vars[nv].name = "company_name";
		vars[nv++].value = c->conf->company_name;
		if (tmpl_render_site(c->conf->site_templates_dir,
				     c->conf->templates_dir,
				     c->conf->language, "staff-digest", vars,
				     nv, &out, err) < 0)
			goto done;
		printf("Subject: %s\n\n%s", out.subject, out.body);
		tmpl_out_release(&out);
	} else {
		if (compose_notify(c, c->conf->staff_addresses, 0,
				   "staff-digest", vars, nv, err) < 0)
			goto done;
		log_info("action=digest triage=%d held=%d callbacks=%d "
			 "overdue=%d mail=%d new=%d", d.count[D_TRIAGE],
			 d.count[D_HELD], d.count[D_CALLBACKS],
			 d.count[D_OVERDUE], d.count[D_MAIL], d.count[D_NEW]);
	}
	*sent_r = 1;
	rc = 0;
done:
	for (i = 0; i < D_N; i++)
		free(text[i]);
	digest_release(&d);
	return rc;
}

/* The start of the opening under way at now (the desk is open), and of
 * the one before it (0 if none within the fortnight looked at). */
static int
opening_starts(struct compose *c, time_t *cur_r, time_t *prev_r,
	       struct mp_err *err)
{
	time_t x, next, prev = 0;
	int i;

	if (hours_next_opening(c->hours, c->now - 14 * 86400, &x, err) < 0)
		return -1;
	for (i = 0; i < 64; i++) {
		if (hours_next_opening(c->hours, x, &next, err) < 0)
			return -1;
		if (next > c->now)
			break;
		prev = x;
		x = next;
	}
	*cur_r = x;
	*prev_r = x <= c->now ? prev : 0;
	return 0;
}

int
queue_digest_due(struct compose *c, int *sent_r, struct mp_err *err)
{
	time_t cur, prev;
	long long last_opening, last_at, since;
	int open, sent = 0, rc;

	if (sent_r != NULL)
		*sent_r = 0;
	if (strcmp(c->conf->staff_digest, "yes") != 0)
		return 0;
	if (desk_open(c, &open, err) < 0)
		return -1;
	if (!open)
		return 0;
	if (opening_starts(c, &cur, &prev, err) < 0)
		return -1;
	if (cur > c->now)
		return 0;	/* open, yet no opening start found */
	if (store_digest_last(c->store, &last_opening, &last_at, err) < 0)
		return -1;
	rc = store_digest_claim(c->store, (long long)cur, (long long)c->now,
				err);
	if (rc <= 0)
		return rc;
	/* New since the last digest looked, or since the last opening
	 * began for the first digest of all. */
	since = last_at > 0 ? last_at : (long long)prev;
	if (digest_send(c, since, 0, &sent, err) < 0)
		return -1;
	if (sent_r != NULL)
		*sent_r = sent;
	return 0;
}

int
queue_digest_now(struct compose *c, int print, int *sent_r,
		 struct mp_err *err)
{
	long long last_opening, last_at;
	time_t cur = 0, prev = 0;
	int sent = 0;

	if (sent_r != NULL)
		*sent_r = 0;
	if (store_digest_last(c->store, &last_opening, &last_at, err) < 0)
		return -1;
	if (last_at == 0 && opening_starts(c, &cur, &prev, err) < 0)
		return -1;
	if (digest_send(c, last_at > 0 ? last_at : (long long)(cur <= c->now ?
			cur : prev), print, &sent, err) < 0)
		return -1;
	if (sent_r != NULL)
		*sent_r = sent;
	return 0;
}
