/*
 * msgbuild.c: outgoing messages.
 *
 * The body is converted here rather than by GMime, because GMime picks
 * "the best" charset itself and glibc's ISO-2022-JP encoder refuses
 * characters that Windows users type daily (～ U+FF5E and friends).  Those
 * are mapped to their JIS look-alikes first; if anything is still not
 * encodable the mail goes out in UTF-8 instead, so no character is ever
 * silently replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <gmime/gmime.h>

#include "msg.h"
#include "msgbuild.h"
#include "outenc.h"

/* Windows look-alikes that have a JIS X 0208 counterpart. */
static const struct {
	const char *from, *to;
} lookalikes[] = {
	{ "\xef\xbd\x9e", "\xe3\x80\x9c" },	/* ～ -> 〜 */
	{ "\xef\xbc\x8d", "\xe2\x88\x92" },	/* － -> − */
	{ "\xe2\x88\xa5", "\xe2\x80\x96" },	/* ∥ -> ‖ */
	{ "\xef\xbf\xa0", "\xc2\xa2" },		/* ￠ -> ¢ */
	{ "\xef\xbf\xa1", "\xc2\xa3" },		/* ￡ -> £ */
	{ "\xef\xbf\xa2", "\xc2\xac" },		/* ￢ -> ¬ */
};

static char *
map_lookalikes(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));
	size_t i;

	while (*s != '\0') {
		for (i = 0; i < sizeof(lookalikes) / sizeof(*lookalikes); i++) {
			size_t n = strlen(lookalikes[i].from);
			if (strncmp(s, lookalikes[i].from, n) == 0) {
				g_string_append(out, lookalikes[i].to);
				s += n;
				break;
			}
		}
		if (i == sizeof(lookalikes) / sizeof(*lookalikes))
			g_string_append_c(out, *s++);
	}
	return g_string_free(out, FALSE);
}

/* The text part; its lines are folded by outenc_fold_body(). */
static GMimeObject *
text_part(const char *body, const char *charset)
{
	GMimePart *part = GMIME_PART(g_mime_text_part_new_with_subtype(
		"plain"));
	int iso = strcmp(charset, "iso-2022-jp") == 0, flowed = 0;
	char *folded = outenc_fold_body(body, iso, &flowed);
	GMimeStream *mem;
	GMimeDataWrapper *dw;

	if (iso) {
		GByteArray *bytes = outenc_iso2022jp(folded, strlen(folded));
		mem = g_mime_stream_mem_new_with_byte_array(bytes);
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
							 "charset",
							 "ISO-2022-JP");
		dw = g_mime_data_wrapper_new_with_stream(
			mem, GMIME_CONTENT_ENCODING_7BIT);
		g_mime_part_set_content_encoding(part,
						 GMIME_CONTENT_ENCODING_7BIT);
	} else {
		mem = g_mime_stream_mem_new_with_buffer(folded,
							strlen(folded));
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
							 "charset", "UTF-8");
		dw = g_mime_data_wrapper_new_with_stream(
			mem, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content_encoding(part,
						 GMIME_CONTENT_ENCODING_BASE64);
	}
	if (flowed) {
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
							 "format", "flowed");
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
							 "delsp", "yes");
	}
	free(folded);
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_object_unref(mem);
	return GMIME_OBJECT(part);
}

/* Replaces the value GMime would write for header name of obj. */
static void
set_raw_header(GMimeObject *obj, const char *name, char *raw)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h = g_mime_header_list_get_header(hl, name);

	if (h != NULL && raw != NULL)
		g_mime_header_set_raw_value(h, raw);
	free(raw);
}

/* A non-ASCII attachment name in the mail's charset, both ways Japanese
 * mailers read it: RFC 2231 filename* in Content-Disposition and an
 * RFC 2047 encoded name in Content-Type. */
static void
encode_filename(GMimePart *part, const char *filename, const char *charset)
{
	GMimeContentType *ct = g_mime_object_get_content_type(
		GMIME_OBJECT(part));
	char *ctp = outenc_param("name", filename, charset, 0);
	char *cdp = outenc_param("filename", filename, charset, 1);

	if (ctp != NULL && cdp != NULL) {
		set_raw_header(GMIME_OBJECT(part), "Content-Type",
			       g_strdup_printf(" %s/%s%s\n",
				g_mime_content_type_get_media_type(ct),
				g_mime_content_type_get_media_subtype(ct),
				ctp));
		set_raw_header(GMIME_OBJECT(part), "Content-Disposition",
			       g_strdup_printf(" attachment%s\n", cdp));
	}
	free(ctp);
	free(cdp);
}

static GMimeObject *
file_part(const struct msgbuild_attachment *a, const char *charset,
	  struct mp_err *err)
{
	GMimeContentType *ct = g_mime_content_type_parse(NULL,
		a->content_type ? a->content_type :
		"application/octet-stream");
	GMimePart *part = g_mime_part_new_with_type(
		g_mime_content_type_get_media_type(ct),
		g_mime_content_type_get_media_subtype(ct));
	GMimeStream *fs;
	GMimeDataWrapper *dw;
	GError *gerr = NULL;

	g_object_unref(ct);
	fs = g_mime_stream_fs_open(a->path, O_RDONLY, 0, &gerr);
	if (fs == NULL) {
		mp_err_set(err, MP_TEMP, "cannot open %s: %s", a->path,
			   gerr ? gerr->message : "?");
		g_clear_error(&gerr);
		g_object_unref(part);
		return NULL;
	}
	dw = g_mime_data_wrapper_new_with_stream(
		fs, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	if (a->filename != NULL) {
		g_mime_part_set_filename(part, a->filename);
		if (outenc_needs_encoding(a->filename))
			encode_filename(part, a->filename, charset);
	} else
		g_mime_object_set_disposition(GMIME_OBJECT(part),
					      "attachment");
	g_object_unref(dw);
	g_object_unref(fs);
	return GMIME_OBJECT(part);
}

static char *
new_message_id(const char *domain)
{
	unsigned char r[12];
	char buf[256];
	GDateTime *now = g_date_time_new_now_utc();
	gchar *ts = g_date_time_format(now, "%Y%m%d%H%M%S");

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	snprintf(buf, sizeof(buf),
		 "%s.%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x"
		 ".mailproc@%s", ts, r[0], r[1], r[2], r[3], r[4], r[5],
		 r[6], r[7], r[8], r[9], r[10], r[11], domain);
	g_free(ts);
	g_date_time_unref(now);
	return strdup(buf);
}

/* Whether the From name and attachment names have ISO-2022-JP forms
 * too: the whole mail is in one charset. */
static int
names_iso2022jp_ok(const struct msgbuild *b)
{
	size_t i;

	if (b->from_name != NULL && !outenc_iso2022jp_ok(b->from_name))
		return 0;
	for (i = 0; i < b->n_attachments; i++)
		if (b->attachments[i].filename != NULL &&
		    !outenc_iso2022jp_ok(b->attachments[i].filename))
			return 0;
	return 1;
}

int
msgbuild_make(const struct msgbuild *b, char **raw_r, size_t *len_r,
	      char **message_id_r, struct mp_err *err)
{
	const char *values[] = { b->from_name, b->from_addr, b->to_addr,
				 b->reply_to, b->subject, b->notice };
	GMimeMessage *m;
	GMimeObject *body;
	GMimeFormatOptions *fo;
	GDateTime *dt;
	char *subject = NULL, *text = NULL, *mid, *raw;
	const char *charset = "utf-8";
	size_t i;

	*raw_r = NULL;
	*message_id_r = NULL;
	for (i = 0; i < sizeof(values) / sizeof(*values); i++)
		if (values[i] != NULL && !msg_header_value_safe(values[i]))
			return mp_err_set(err, MP_PERM, "header value with a "
					  "line break refused");
	msg_library_init();
	if (b->charset != NULL && strcmp(b->charset, "iso-2022-jp") == 0) {
		subject = map_lookalikes(b->subject);
		text = map_lookalikes(b->body);
		if (outenc_iso2022jp_ok(subject) && outenc_iso2022jp_ok(text) &&
		    names_iso2022jp_ok(b))
			charset = "iso-2022-jp";
	}
	if (strcmp(charset, "utf-8") == 0) {
		g_free(subject);
		g_free(text);
		subject = g_strdup(b->subject);
		text = g_strdup(b->body);
	}
	/* RFC 5322 wants CRLF; GMime writes what the options say, so the
	 * body is kept in LF form here. */
	mid = new_message_id(b->domain);
	if (mid == NULL) {
		g_free(subject);
		g_free(text);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}

	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, b->from_name,
				   b->from_addr);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, b->to_addr);
	if (b->reply_to != NULL)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO,
					   NULL, b->reply_to);
	g_mime_message_set_subject(m, subject, charset);
	if (outenc_needs_encoding(subject))
		set_raw_header(GMIME_OBJECT(m), "Subject",
			       outenc_header("Subject", subject, charset, 0,
					     NULL));
	if (b->from_name != NULL && outenc_needs_encoding(b->from_name)) {
		char *tail = g_strdup_printf(" <%s>", b->from_addr);

		set_raw_header(GMIME_OBJECT(m), "From",
			       outenc_header("From", b->from_name, charset, 1,
					     tail));
		g_free(tail);
	}
	{
		GTimeZone *tz = g_time_zone_new_identifier(
			b->timezone ? b->timezone : "UTC");
		GDateTime *utc = g_date_time_new_from_unix_utc(b->date);

		if (tz == NULL)
			tz = g_time_zone_new_utc();
		dt = g_date_time_to_timezone(utc, tz);
		g_mime_message_set_date(m, dt);
		g_date_time_unref(dt);
		g_date_time_unref(utc);
		g_time_zone_unref(tz);
	}
	g_mime_message_set_message_id(m, mid);
	/* Identifiers come from other people's mail: one we cannot write
	 * back as <id> is left out, never a reason to refuse the mail
	 * (threading then rests on the subject tag and the ticket
	 * address). */
	if (b->in_reply_to != NULL && msg_id_safe(b->in_reply_to)) {
		char *v = g_strdup_printf("<%s>", b->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", v,
					 NULL);
		g_free(v);
	}
	if (b->n_references > 0) {
		GString *refs = g_string_new(NULL);
		for (i = 0; i < b->n_references; i++)
			if (msg_id_safe(b->references[i]))
				g_string_append_printf(refs, "%s<%s>",
						       refs->len ? " " : "",
						       b->references[i]);
		if (refs->len > 0)
			g_mime_object_set_header(GMIME_OBJECT(m),
						 "References", refs->str,
						 NULL);
		g_string_free(refs, TRUE);
	}
	if (b->automatic)
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted",
					 b->generated ? "auto-generated" :
					 "auto-replied", NULL);
	if (b->notice != NULL)
		g_mime_object_set_header(GMIME_OBJECT(m), "X-Mailproc-Notice",
					 b->notice, NULL);

	body = text_part(text, charset);
	if (b->n_attachments > 0) {
		GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mp, body);
		g_object_unref(body);
		for (i = 0; i < b->n_attachments; i++) {
			GMimeObject *p = file_part(&b->attachments[i],
						   charset, err);
			if (p == NULL) {
				g_object_unref(mp);
				g_object_unref(m);
				g_free(subject);
				g_free(text);
				free(mid);
				return -1;
			}
			g_mime_multipart_add(mp, p);
			g_object_unref(p);
		}
		body = GMIME_OBJECT(mp);
	}
	g_mime_message_set_mime_part(m, body);
	g_object_unref(body);

	fo = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	raw = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	g_mime_format_options_free(fo);
	g_object_unref(m);
	g_free(subject);
	g_free(text);
	if (raw == NULL) {
		free(mid);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	*len_r = strlen(raw);
	*raw_r = malloc(*len_r + 1);
	if (*raw_r == NULL) {
		g_free(raw);
		free(mid);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	memcpy(*raw_r, raw, *len_r + 1);
	g_free(raw);
	*message_id_r = mid;
	return 0;
}
