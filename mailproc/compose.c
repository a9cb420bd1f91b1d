/*
 * compose.c: from a template to an outbox row.
 *
 * Automatic mail goes out with a null envelope sender and
 * Auto-Submitted (RFC 3834 §3.1.7, §5: auto-replied for a reply,
 * auto-generated for a notification that answers nothing), so that whatever
 * answers it cannot start a loop with us; at most auto_reply_limit
 * replies go to one address an hour.  The limit is for replies to
 * whoever wrote: mail the policy requires (to a registered contact) is
 * neither held to it nor counted by it, since dropping a confirmation
 * request leaves a request that can only expire.  No automatic mail
 * ever goes to one of our own addresses.  Nothing is dropped silently:
 * staff hear of every suppressed mail.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "log.h"
#include "msgbuild.h"
#include "ticket.h"

const char *
compose_ticket_address(const struct conf *conf, long long id, char *buf,
		       size_t size)
{
	const char *at = strrchr(conf->support_address, '@');
	int local = at ? (int)(at - conf->support_address) : 0;

	snprintf(buf, size, "%.*s+%lld%s", local, conf->support_address, id,
		 at ? at : "");
	return buf;
}

/* Whether template is a notification that answers no mail of its
 * recipient (RFC 3834 §5: Auto-Submitted: auto-generated), rather than a
 * reply (auto-replied). */
static int
notification(const char *template)
{
	static const char *const names[] = {
		"identity-confirm", "identity-reminder", "completion",
		"identity-expired", "identity-callback", "alert-notice",
		"alert-recovered",
	};
	size_t i;

	if (template == NULL)
		return 0;
	if (strncmp(template, "staff-", 6) == 0 &&
	    strcmp(template, "staff-reply") != 0)
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(template, names[i]) == 0)
			return 1;
	return 0;
}

/* The configured opening hours in words (hours_describe()). */
static const char *
hours_words(struct compose *c, const char *lang, char *buf, size_t size)
{
	struct hours h;
	struct mp_err err = { 0 };

	if (c->hours != NULL)
		return hours_describe(c->hours, c->conf->timezone, lang, buf,
				      size);
	if (hours_init_conf(&h, c->conf, &err) < 0) {
		snprintf(buf, size, "%s", c->conf->business_hours);
		return buf;
	}
	hours_describe(&h, c->conf->timezone, lang, buf, size);
	hours_release(&h);
	return buf;
}

/* The company's name in lang: English mail never carries the Japanese
 * one (company_name_en, or company_name when that is plain ASCII). */
static const char *
company_name(const struct conf *conf, const char *lang)
{
	const unsigned char *p;

	if (lang == NULL || strcmp(lang, "en") != 0)
		return conf->company_name;
	if (conf->company_name_en != NULL && *conf->company_name_en != '\0')
		return conf->company_name_en;
	for (p = (const unsigned char *)conf->company_name; *p; p++)
		if (*p >= 0x80)
			return NULL;
	return conf->company_name;
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : "localhost";
}

int
compose_suppressed(struct compose *c, long long ticket, const char *template,
		   const char *to, const char *reason, struct mp_err *err)
{
	char safe_to[LOG_VALUE_MAX];
	char safe[LOG_VALUE_MAX];
	struct store_outbox o = { 0 };
	char detail[256];

	o.ticket = ticket;
	o.template = (char *)template;
	o.to_addr = (char *)(to ? to : "");
	o.env_from = "";
	o.subject = "";
	o.automatic = 1;
	o.state = "suppressed";
	o.last_error = (char *)reason;
	o.created = c->now;
	if (store_outbox_insert(c->store, &o, NULL, err) < 0)
		return -1;
	snprintf(detail, sizeof(detail), "%s to %s not sent: %s", template,
		 to ? to : "(nobody)", reason);
	log_info("ticket=%lld action=mail-suppressed template=%s to=%s "
		 "reason=%s", ticket, template,
		 log_quote(safe_to, sizeof(safe_to), to),
		 log_quote(safe, sizeof(safe), reason));
	if (ticket && store_history_add(c->store, ticket, c->now, "mailproc",
					"suppressed", detail, err) < 0)
		return -1;
	/* Never about a notice to staff: that would loop. */
	if (strncmp(template, "staff-", 6) == 0 ||
	    strcmp(template, "identity-callback") == 0)
		return 0;
	{
		struct tmpl_var vars[] = {
			{ "to", to ? to : "" },
			{ "error", reason },
			{ "command", template },
		};
		return compose_notify(c, c->conf->staff_addresses, ticket,
				      "staff-suppressed", vars,
				      sizeof(vars) / sizeof(*vars), err);
	}
}

/* How a mail to the requester greets them: by the name they gave
 * themselves in their From when it reads as a name (printable, short, not
 * an address), else as the templates always did. */
static const char *
salutation(struct compose *c, const struct compose_mail *mail, char *buf,
	   size_t size)
{
	int en = mail->lang != NULL && strcmp(mail->lang, "en") == 0;
	struct mp_err err = { 0 };
	char *name = NULL;
	const char *p;
	size_t len;

	if (c->store != NULL && mail->ticket > 0 && !mail->to_staff &&
	    mail->to != NULL &&
	    store_requester_name(c->store, mail->ticket, mail->to, &name,
				 &err) > 0) {
		len = strlen(name);
		for (p = name; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f ||
			    *p == '@' || *p == '"' || *p == '<')
				break;
		if (*p == '\0' && len > 0 && len <= 60 &&
		    g_utf8_validate(name, -1, NULL)) {
			snprintf(buf, size, en ? "Dear %s," : "%s 様", name);
			free(name);
			return buf;
		}
	}
	free(name);
	return en ? "Dear Customer," : "お客さま";
}

/* The policy's order page, named with its link when one is set. */
static const char *
order_page(const struct conf *conf, const char *lang, char *buf,
	   size_t size)
{
	int en = lang != NULL && strcmp(lang, "en") == 0;

	if (conf->order_page_url == NULL || *conf->order_page_url == '\0')
		return en ? "the order page given in the documents sent to "
			    "you when your service started" :
			    "ご利用開始時にお送りしているご案内に記載の"
			    "オーダーページ";
	snprintf(buf, size, en ? "the order page (%s)" : "オーダーページ（%s）",
		 conf->order_page_url);
	return buf;
}

int
compose_render(struct compose *c, const struct compose_mail *mail,
	       struct tmpl_out *out, struct mp_err *err)
{
	const struct conf *conf = c->conf;
	char idbuf[32], tagbuf[128], hoursbuf[512], greetbuf[128];
	char orderbuf[1100];
	struct tmpl_var *vars;
	size_t n = 0, i;

	vars = calloc(mail->n_vars + 14, sizeof(*vars));
	if (vars == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	snprintf(idbuf, sizeof(idbuf), "%lld", mail->ticket);
	ticket_tag(tagbuf, sizeof(tagbuf), conf->subject_tag, mail->ticket);
#define VAR(k, v) (vars[n].name = (k), vars[n].value = (v), n++)
	VAR("company_name", company_name(conf, mail->lang));
	VAR("support_address", conf->support_address);
	VAR("support_phone", conf->support_phone);
	VAR("monitoring_centre_address", conf->monitoring_centre_address);
	VAR("monitoring_centre_phone", conf->monitoring_centre_phone);
	VAR("business_hours_text", hours_words(c, mail->lang, hoursbuf,
						sizeof(hoursbuf)));
	VAR("salutation", salutation(c, mail, greetbuf, sizeof(greetbuf)));
	VAR("order_page", order_page(conf, mail->lang, orderbuf,
				     sizeof(orderbuf)));
	if (mail->ticket > 0) {
		VAR("ticket_id", idbuf);
		VAR("ticket_tag", tagbuf);
	}
#undef VAR
	for (i = 0; i < mail->n_vars; i++)
		vars[n++] = mail->vars[i];
	if (tmpl_render_site(conf->site_templates_dir, conf->templates_dir,
			     mail->lang, mail->template, vars, n, out,
			     err) < 0) {
		free(vars);
		mp_err_setup(err);	/* fix the templates, then retry */
		return -1;
	}
	free(vars);
	return 0;
}

/* A ticket mail to someone outside the desk that answers no mail of its
 * own is threaded to the mails that person wrote on the ticket (the
 * requester's request, a contact's confirmation), like every reply (RFC
 * 5322 §3.6.4): the last 20, without a Message-ID that cannot stand in a
 * header.  Someone who did not write gets no threading.  ids_r and refs_r
 * are the caller's to free. */
static int
thread_to_own_mail(struct compose *c, const struct compose_mail *mail,
		   struct msgbuild *b, char ***ids_r, size_t *n_ids_r,
		   const char ***refs_r, struct mp_err *err)
{
	size_t i, n = 0;

	if (mail->to_staff || mail->ticket <= 0 || mail->to == NULL)
		return 0;
	if (store_message_ids_from(c->store, mail->ticket, mail->to, ids_r,
				   n_ids_r, err) < 0)
		return -1;
	if (*n_ids_r == 0)
		return 0;
	*refs_r = calloc(*n_ids_r, sizeof(**refs_r));
	if (*refs_r == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	for (i = *n_ids_r > 20 ? *n_ids_r - 20 : 0; i < *n_ids_r; i++)
		if ((*ids_r)[i] != NULL && *(*ids_r)[i] != '\0' &&
		    strpbrk((*ids_r)[i], "<> \t\r\n") == NULL)
			(*refs_r)[n++] = (*ids_r)[i];
	b->in_reply_to = n > 0 ? (*refs_r)[n - 1] : NULL;
	b->references = *refs_r;
	b->n_references = n;
	return 0;
}

int
compose_queue(struct compose *c, const struct compose_mail *mail,
	      long long *outbox_id_r, struct mp_err *err)
{
	const struct conf *conf = c->conf;
	char idbuf[32], tagbuf[128], addrbuf[512];
	struct tmpl_out out = { 0 };
	struct msgbuild b = { 0 };
	struct store_outbox o = { 0 };
	char *raw = NULL, *mid = NULL, *marked = NULL, **ids = NULL;
	const char *lang, **refs = NULL;
	size_t len, n_ids = 0, i;
	int rc = -1;

	*outbox_id_r = 0;
	/* Our own addresses include the staff's: a customer mail with a
	 * staff From is a forgery (a trusted one would be staff mail), and
	 * answering it would mail our own desk. */
	if (mail->automatic && !mail->to_staff &&
	    (conf_is_ours(conf, mail->to) || conf_is_staff(conf, mail->to)))
		return compose_suppressed(c, mail->ticket, mail->template,
					  mail->to, "own-address", err);
	if (mail->automatic && !mail->to_staff && !mail->policy) {
		int count = 0;
		if (store_outbox_auto_count(c->store, mail->to, c->now - 3600,
					    &count, err) < 0)
			return -1;
		if (count >= conf->auto_reply_limit)
			return compose_suppressed(c, mail->ticket,
						  mail->template, mail->to,
						  "rate-limit", err);
	}
	if ((mail->body_override == NULL || mail->subject_override == NULL) &&
	    compose_render(c, mail, &out, err) < 0)
		return -1;
	ticket_tag(tagbuf, sizeof(tagbuf), conf->subject_tag, mail->ticket);
	snprintf(idbuf, sizeof(idbuf), "%lld", mail->ticket);

	lang = out.lang != NULL ? out.lang : mail->lang;
	b.from_name = company_name(conf, lang);
	b.from_addr = conf->support_address;
	b.to_addr = mail->to;
	if (mail->reply_to != NULL)
		b.reply_to = mail->reply_to;
	else if (mail->to_staff && mail->ticket > 0)
		b.reply_to = compose_ticket_address(conf, mail->ticket,
						    addrbuf, sizeof(addrbuf));
	b.subject = mail->subject_override ? mail->subject_override :
		out.subject;
	b.body = mail->body_override ? mail->body_override : out.body;
	if (mail->to_staff && mail->body_override == NULL) {
		size_t bl = strlen(out.body), cap = bl + 2 * sizeof(tagbuf) +
			200;
		const char *tag = mail->ticket > 0 ? tagbuf : "";
		marked = malloc(cap);
		if (marked == NULL) {
			mp_err_set(err, MP_TEMP, "out of memory");
			goto done;
		}
		snprintf(marked, cap, "%s %s: internal, never sent to the "
			 "customer-----\n%s%s%s %s-----\n",
			 COMPOSE_NOTICE_BEGIN, tag, out.body,
			 bl > 0 && out.body[bl - 1] != '\n' ? "\n" : "",
			 COMPOSE_NOTICE_END, tag);
		b.body = marked;
		b.notice = idbuf;
	}
	b.in_reply_to = mail->in_reply_to;
	b.references = mail->references;
	b.n_references = mail->n_references;
	if (b.in_reply_to == NULL && b.n_references == 0 &&
	    thread_to_own_mail(c, mail, &b, &ids, &n_ids, &refs, err) < 0)
		goto done;
	/* ISO-2022-JP is the Japanese convention; English mail is UTF-8. */
	b.charset = lang != NULL && strcmp(lang, "en") == 0 ? "utf-8" :
		conf->outgoing_charset;
	b.automatic = mail->automatic;
	b.generated = mail->to_staff || notification(mail->template);
	b.domain = domain_of(conf->support_address);
	b.date = c->now;
	b.timezone = conf->timezone;
	b.attachments = mail->attachments;
	b.n_attachments = mail->n_attachments;
	/* msgbuild says MP_PERM only for a value that can never go into a
	 * header: retrying would only block the mail in new/ for ever, so
	 * the message goes to failed/ and staff are told (ingest.c). */
	if (msgbuild_make(&b, &raw, &len, &mid, err) < 0)
		goto done;
	o.ticket = mail->ticket;
	o.template = (char *)mail->template;
	o.to_addr = (char *)mail->to;
	o.env_from = mail->automatic ? "" : conf->support_address;
	o.subject = (char *)b.subject;
	o.message_id = mid;
	/* Only what the limit is for counts against it. */
	o.automatic = mail->automatic && !mail->to_staff && !mail->policy;
	o.state = mail->release_at > 0 ? "held" : "queued";
	o.release_at = mail->release_at;
	o.next_attempt = mail->release_at > 0 ? mail->release_at : c->now;
	o.created = c->now;
	o.raw = raw;
	o.raw_len = len;
	if (store_outbox_insert(c->store, &o, outbox_id_r, err) < 0)
		goto done;
	if (mail->ticket > 0) {
		char detail[600];
		snprintf(detail, sizeof(detail), "%s to %s%s", mail->template,
			 mail->to, mail->release_at > 0 ?
			 " held for business hours" : "");
		if (store_history_add(c->store, mail->ticket, c->now,
				      "mailproc", "queued", detail, err) < 0)
			goto done;
	}
	rc = 0;
done:
	tmpl_out_release(&out);
	free(marked);
	free(raw);
	free(mid);
	for (i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	free(refs);
	return rc;
}

int
compose_notify(struct compose *c, const char *list, long long ticket,
	       const char *template, const struct tmpl_var *vars,
	       size_t n_vars, struct mp_err *err)
{
	return compose_notify_attached(c, list, ticket, template, vars,
				       n_vars, NULL, 0, err);
}

int
compose_notify_attached(struct compose *c, const char *list,
			long long ticket, const char *template,
			const struct tmpl_var *vars, size_t n_vars,
			const struct msgbuild_attachment *att, size_t n_att,
			struct mp_err *err)
{
	struct compose_mail mail = { 0 };
	char *tmp = strdup(list), *tok, *save = NULL;
	int rc = 0;

	if (tmp == NULL)
		return mp_err_set(err, MP_TEMP, "out of memory");
	mail.ticket = ticket;
	mail.template = template;
	mail.lang = c->conf->language;
	mail.automatic = 1;
	mail.to_staff = 1;
	mail.vars = vars;
	mail.n_vars = n_vars;
	mail.attachments = att;
	mail.n_attachments = n_att;
	for (tok = strtok_r(tmp, " ,\t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		long long id;

		mail.to = tok;
		rc = compose_queue(c, &mail, &id, err);
	}
	free(tmp);
	return rc;
}
