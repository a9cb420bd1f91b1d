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

/* Converts UTF-8 to ISO-2022-JP; returns a new GByteArray or NULL if any
 * character cannot be encoded. */
static GByteArray *
to_iso2022jp(const char *utf8)
{
	iconv_t cd = iconv_open("ISO-2022-JP", "UTF-8");
	GByteArray *out;
	char buf[4096], *in = (char *)utf8, *o;
	size_t inleft = strlen(utf8), oleft;
	int ok = 1;

	if (cd == (iconv_t)-1)
		return NULL;
	out = g_byte_array_new();
	for (;;) {
		size_t rc;
		o = buf;
		oleft = sizeof(buf);
		rc = iconv(cd, inleft ? &in : NULL, &inleft, &o, &oleft);
		g_byte_array_append(out, (guint8 *)buf, sizeof(buf) - oleft);
		if (rc != (size_t)-1 && inleft == 0) {
			/* flush the shift state */
			o = buf;
			oleft = sizeof(buf);
			iconv(cd, NULL, NULL, &o, &oleft);
			g_byte_array_append(out, (guint8 *)buf,
					    sizeof(buf) - oleft);
			break;
		}
		if (rc == (size_t)-1 && errno != E2BIG) {
			ok = 0;
			break;
		}
	}
	iconv_close(cd);
	if (!ok) {
		g_byte_array_free(out, TRUE);
		return NULL;
	}
	return out;
}

static GMimeObject *
text_part(const char *body, const char *charset)
{
	GMimePart *part = GMIME_PART(g_mime_text_part_new_with_subtype(
		"plain"));
	GMimeStream *mem;
	GMimeDataWrapper *dw;

	if (strcmp(charset, "iso-2022-jp") == 0) {
		GByteArray *bytes = to_iso2022jp(body);
		mem = g_mime_stream_mem_new_with_byte_array(bytes);
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
							 "charset",
							 "ISO-2022-JP");
		dw = g_mime_data_wrapper_new_with_stream(
			mem, GMIME_CONTENT_ENCODING_7BIT);
		g_mime_part_set_content_encoding(part,
						 GMIME_CONTENT_ENCODING_7BIT);
	} else {
		mem = g_mime_stream_mem_new_with_buffer(body, strlen(body));
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
							 "charset", "UTF-8");
		dw = g_mime_data_wrapper_new_with_stream(
			mem, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content_encoding(part,
						 GMIME_CONTENT_ENCODING_BASE64);
	}
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_object_unref(mem);
	return GMIME_OBJECT(part);
}

static GMimeObject *
file_part(const struct msgbuild_attachment *a, struct mp_err *err)
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
	if (a->filename != NULL)
		g_mime_part_set_filename(part, a->filename);
	else
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
		GByteArray *t1, *t2;
		subject = map_lookalikes(b->subject);
		text = map_lookalikes(b->body);
		t1 = to_iso2022jp(subject);
		t2 = to_iso2022jp(text);
		if (t1 != NULL && t2 != NULL)
			charset = "iso-2022-jp";
		if (t1 != NULL)
			g_byte_array_free(t1, TRUE);
		if (t2 != NULL)
			g_byte_array_free(t2, TRUE);
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
			GMimeObject *p = file_part(&b->attachments[i], err);
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
