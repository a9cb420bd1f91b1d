/*
 * msg.c: reading mail with GMime.
 *
 * The message is parsed in place from the spool file (GMime keeps parts as
 * windows onto the file), so memory does not grow with message size: text
 * is read up to max_text bytes and attachments are streamed to disk.
 *
 * Header text is first passed through charset_header_prepass_all(), which
 * rewrites runs of encoded words (ISO-2022-JP decoded as CP50220, which
 * glibc lacks; and every other charset too, because GMime 3.2.13 drops the
 * text after a padded B-word followed by one in the same charset, GMime
 * issue #133) and raw 8-bit bytes; GMime's RFC 2047 decoder does the rest.
 * Body text is converted by charset.c for the same reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "msg.h"
#include "text.h"

struct walk {
	struct msg *m;
	const struct msg_limits *lim;
	const char *attach_dir;
	GMimeObject *html_part;		/* first text/html, if no plain */
	int have_text;
	int depth_defect;
	struct mp_err *err;
	int failed;
};

static GMimeParserOptions *parser_options;

static void
add_defect(struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add_defect(struct msg *m, const char *fmt, ...)
{
	char buf[256];
	char **v;
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; i < m->n_defects; i++)
		if (strcmp(m->defects[i], buf) == 0)
			return;
	if (m->n_defects >= 64)
		return;
	v = realloc(m->defects, (m->n_defects + 1) * sizeof(*v));
	if (v == NULL)
		return;
	m->defects = v;
	if ((v[m->n_defects] = strdup(buf)) != NULL)
		m->n_defects++;
}

static void
parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
	       gpointer user_data)
{
	static const char *const names[] = {
		[GMIME_WARN_DUPLICATED_HEADER] = "duplicated-header",
		[GMIME_WARN_DUPLICATED_PARAMETER] = "duplicated-parameter",
		[GMIME_WARN_UNENCODED_8BIT_HEADER] = "8bit-header",
		[GMIME_WARN_INVALID_CONTENT_TYPE] = "invalid-content-type",
		[GMIME_WARN_INVALID_RFC2047_HEADER_VALUE] = "invalid-rfc2047",
		[GMIME_WARN_MALFORMED_MULTIPART] = "malformed-multipart",
		[GMIME_WARN_TRUNCATED_MESSAGE] = "truncated-message",
		[GMIME_WARN_MALFORMED_MESSAGE] = "malformed-message",
		[GMIME_CRIT_INVALID_HEADER_NAME] = "invalid-header-name",
		[GMIME_CRIT_CONFLICTING_HEADER] = "conflicting-header",
		[GMIME_CRIT_CONFLICTING_PARAMETER] = "conflicting-parameter",
		[GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY] =
			"multipart-without-boundary",
		[GMIME_CRIT_NESTING_OVERFLOW] = "nesting-overflow",
		[GMIME_WARN_PART_WITHOUT_CONTENT] = "part-without-content",
		[GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT] =
			"part-without-headers-or-content",
	};
	struct msg *m = user_data;

	(void)offset;
	(void)item;
	if (m == NULL)
		return;
	if ((size_t)code < sizeof(names) / sizeof(names[0]) &&
	    names[code] != NULL)
		add_defect(m, "%s", names[code]);
	else
		add_defect(m, "parser-warning-%d", (int)code);
}

void
msg_library_init(void)
{
	static const char *fallback[] = { "utf-8", "cp932", "euc-jp", NULL };

	if (parser_options != NULL)
		return;
	g_mime_init();
	parser_options = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(parser_options,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(parser_options,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(parser_options,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_fallback_charsets(parser_options, fallback);
}

/* Duplicates with malloc so that callers only ever free(). */
static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Unfolds a raw header value (RFC 5322 §2.2.3: remove the CRLF, keep the
 * whitespace after it) into a new string. */
static char *
unfold(const char *raw)
{
	char *out = malloc(strlen(raw) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *raw != '\0'; raw++)
		if (*raw != '\r' && *raw != '\n')
			*o++ = *raw;
	*o = '\0';
	return out;
}

/* Decodes a raw header value to UTF-8. */
static char *
decode_header_text(struct msg *m, const char *folded)
{
	char *pre, *decoded, *out, *raw;
	int defect = 0;

	if (folded == NULL || (raw = unfold(folded)) == NULL)
		return NULL;
	pre = charset_header_prepass_all(raw, &defect);
	if (defect)
		add_defect(m, "header-charset");
	decoded = g_mime_utils_header_decode_text(parser_options,
						  pre ? pre : raw);
	free(pre);
	free(raw);
	if (decoded == NULL)
		return strdup("");
	/* Encoded words can smuggle in CR/LF and other controls. */
	for (out = decoded; *out != '\0'; out++)
		if ((unsigned char)*out < 0x20 || *out == 0x7f)
			*out = ' ';
	g_strstrip(decoded);
	out = strdup(decoded);
	g_free(decoded);
	return out;
}

static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h;

	if (hl == NULL || (h = g_mime_header_list_get_header(hl, name)) ==
	    NULL)
		return NULL;
	return g_mime_header_get_raw_value(h);
}

static void
decode_addresses(struct msg *m, GMimeObject *obj, const char *name,
		 struct msg_addrs *out)
{
	const char *folded = raw_header(obj, name);
	InternetAddressList *list;
	char *pre, *raw;
	int defect = 0, i, n;

	if (folded == NULL || (raw = unfold(folded)) == NULL)
		return;
	pre = charset_header_prepass_all(raw, &defect);
	if (defect)
		add_defect(m, "header-charset");
	list = internet_address_list_parse(parser_options, pre ? pre : raw);
	free(pre);
	free(raw);
	if (list == NULL) {
		add_defect(m, "bad-address-list");
		return;
	}
	n = internet_address_list_length(list);
	for (i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list,
									 i);
		const char *addr, *nm;
		struct msg_addr *v;

		if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			/* A group: flatten its members. */
			InternetAddressList *members =
				internet_address_group_get_members(
					INTERNET_ADDRESS_GROUP(ia));
			int j, k = internet_address_list_length(members);
			for (j = 0; j < k; j++) {
				InternetAddress *mb =
					internet_address_list_get_address(
						members, j);
				if (!INTERNET_ADDRESS_IS_MAILBOX(mb))
					continue;
				v = realloc(out->v, (out->n + 1) *
					    sizeof(*v));
				if (v == NULL)
					break;
				out->v = v;
				nm = internet_address_get_name(mb);
				v[out->n].name = (nm && *nm) ? strdup(nm)
							     : NULL;
				v[out->n].address = strdup(
					internet_address_mailbox_get_addr(
						INTERNET_ADDRESS_MAILBOX(mb)));
				out->n++;
			}
			continue;
		}
		addr = internet_address_mailbox_get_addr(
			INTERNET_ADDRESS_MAILBOX(ia));
		if (addr == NULL || *addr == '\0')
			continue;
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (v == NULL)
			break;
		out->v = v;
		nm = internet_address_get_name(ia);
		v[out->n].name = (nm && *nm) ? strdup(nm) : NULL;
		v[out->n].address = strdup(addr);
		out->n++;
	}
	g_object_unref(list);
}

/* How many fields named name the header list of obj has. */
static size_t
count_headers(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int i, n = hl ? g_mime_header_list_get_count(hl) : 0;
	size_t count = 0;

	for (i = 0; i < n; i++)
		if (g_ascii_strcasecmp(g_mime_header_get_name(
			g_mime_header_list_get_header_at(hl, i)), name) == 0)
			count++;
	return count;
}

/* Collects every value of a header (Authentication-Results). */
static void
collect_headers(GMimeObject *obj, const char *name, char ***v_r, size_t *n_r)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int i, n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *raw;
		char **v;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		raw = g_mime_header_get_raw_value(h);
		v = realloc(*v_r, (*n_r + 1) * sizeof(*v));
		if (v == NULL || raw == NULL)
			return;
		*v_r = v;
		v[*n_r] = strdup(raw);
		if (v[*n_r] != NULL) {
			g_strstrip(v[*n_r]);
			(*n_r)++;
		}
	}
}

/* Unfolds and trims a raw header value into a new string. */
static char *
plain_header(GMimeObject *obj, const char *name)
{
	const char *raw = raw_header(obj, name);
	char *s, *p;

	if (raw == NULL)
		return NULL;
	s = strdup(raw);
	if (s == NULL)
		return NULL;
	for (p = s; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	g_strstrip(s);
	return s;
}

/* Reads a part's decoded content, at most limit bytes; *truncated_r says
 * whether there was more.  Also flags base64 that had garbage in it. */
static int
read_part_content(struct msg *m, GMimePart *part, long long limit,
		  char **out_r, size_t *len_r, int *truncated_r)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeContentEncoding enc;
	GMimeStream *src, *filtered;
	GMimeFilter *f;
	GByteArray *bytes;
	char buf[8192];
	ssize_t n;

	*out_r = NULL;
	*len_r = 0;
	*truncated_r = 0;
	if (w == NULL) {
		*out_r = strdup("");
		return *out_r ? 0 : -1;
	}
	enc = g_mime_data_wrapper_get_encoding(w);
	src = g_mime_data_wrapper_get_stream(w);
	g_mime_stream_reset(src);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		/* GMime skips invalid characters silently; note them.  A
		 * body that is plainly not base64 (more than one byte in
		 * 5 outside the alphabet, a blank inside a line counting:
		 * base64 lines have none), or "uuencoded" text without a
		 * begin line, is text with a wrong label: read as 7bit. */
		long long bad = 0, all = 0;
		int sol = 1, began = 0, prev_space = 0;
		while ((n = g_mime_stream_read(src, buf, sizeof(buf))) > 0) {
			ssize_t i;
			for (i = 0; i < n; i++) {
				unsigned char c = (unsigned char)buf[i];
				int nl = c == '\n' || c == '\r';

				if (sol && n - i >= 6 &&
				    memcmp(buf + i, "begin ", 6) == 0)
					began = 1;
				if (!g_ascii_isspace(c)) {
					all++;
					bad += prev_space && !sol;
					if (!(g_ascii_isalnum(c) || c == '+' ||
					      c == '/' || c == '='))
						bad++;
				}
				if (nl)
					sol = 1;
				else if (!g_ascii_isspace(c))
					sol = 0;
				prev_space = c == ' ' || c == '\t';
			}
		}
		if (enc == GMIME_CONTENT_ENCODING_UUENCODE ? !began :
		    bad * 5 > all) {
			add_defect(m, "not-%s-read-as-text",
				   enc == GMIME_CONTENT_ENCODING_BASE64 ?
				   "base64" : "uuencode");
			enc = GMIME_CONTENT_ENCODING_7BIT;
		} else if (bad > 0) {
			add_defect(m, "bad-base64");
		}
		g_mime_stream_reset(src);
	}
	filtered = g_mime_stream_filter_new(src);
	f = g_mime_filter_basic_new(enc, FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
	g_object_unref(f);
	bytes = g_byte_array_new();
	while ((n = g_mime_stream_read(filtered, buf, sizeof(buf))) > 0) {
		if ((long long)bytes->len + n > limit) {
			g_byte_array_append(bytes, (guint8 *)buf,
					    (guint)(limit - bytes->len));
			*truncated_r = 1;
			break;
		}
		g_byte_array_append(bytes, (guint8 *)buf, (guint)n);
	}
	g_object_unref(filtered);
	*out_r = malloc(bytes->len + 1);
	if (*out_r != NULL) {
		if (bytes->len > 0)
			memcpy(*out_r, bytes->data, bytes->len);
		(*out_r)[bytes->len] = '\0';
		*len_r = bytes->len;
	}
	g_byte_array_free(bytes, TRUE);
	return *out_r ? 0 : -1;
}

/* The charset an HTML document names in its first 4 KB (<meta
 * charset="..."> or <meta http-equiv="Content-Type" content="...;
 * charset=...">, HTML5 §13.2.3.2), into buf; 1 if found.  Used when the
 * MIME header names none. */
static int
html_meta_charset(const char *html, size_t len, char *buf, size_t size)
{
	size_t n = len < 4096 ? len : 4096, i, k;
	char *head = g_ascii_strdown(html, (gssize)n);
	const char *p = head;
	int found = 0;

	while (!found && (p = strstr(p, "<meta")) != NULL) {
		const char *end = strchr(p, '>'), *c;

		if (end == NULL)
			break;
		for (c = p; c < end && (c = strstr(c, "charset")) != NULL &&
		     c < end; c += 7) {
			i = (size_t)(c - head) + 7;
			while (i < n && (head[i] == ' ' || head[i] == '='))
				i++;
			while (i < n && (head[i] == '"' || head[i] == '\''))
				i++;
			for (k = 0; i < n && k + 1 < size &&
			     (g_ascii_isalnum(head[i]) || head[i] == '-' ||
			      head[i] == '_' || head[i] == ':' ||
			      head[i] == '.'); i++)
				buf[k++] = head[i];
			buf[k] = '\0';
			if (k > 0) {
				found = 1;
				break;
			}
		}
		p = end;
	}
	g_free(head);
	return found;
}

/* Decodes a text part into UTF-8 with LF line ends. */
static char *
part_text(struct walk *w, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	const char *charset = g_mime_object_get_content_type_parameter(
		obj, "charset");
	const char *format = g_mime_object_get_content_type_parameter(
		obj, "format");
	const char *delsp = g_mime_object_get_content_type_parameter(
		obj, "delsp");
	char *raw, *utf8 = NULL, meta[64];
	size_t len, ulen;
	int truncated, rc;

	if (read_part_content(w->m, part, w->lim->max_text, &raw, &len,
			      &truncated) < 0)
		return NULL;
	if (truncated)
		add_defect(w->m, "text-truncated");
	if (charset == NULL && g_mime_content_type_is_type(
		    g_mime_object_get_content_type(obj), "text", "html") &&
	    html_meta_charset(raw, len, meta, sizeof(meta)))
		charset = meta;
	rc = charset_to_utf8(charset, raw, len, &utf8, &ulen);
	free(raw);
	if (rc < 0)
		return NULL;
	if (rc > 0)
		add_defect(w->m, "charset:%s", charset ? charset : "none");
	ulen = text_normalise_newlines(utf8, ulen);
	utf8[ulen] = '\0';
	if (format != NULL && g_ascii_strcasecmp(format, "flowed") == 0) {
		char *un = text_unflow(utf8, delsp != NULL &&
				       g_ascii_strcasecmp(delsp, "yes") == 0);
		free(utf8);
		utf8 = un;
	}
	return utf8;
}

static int
is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(
		obj);

	if (d != NULL && g_mime_content_disposition_is_attachment(d))
		return 1;
	return GMIME_IS_PART(obj) &&
	       g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
}

static int
mkdir_one(const char *p)
{
	return (mkdir(p, 0750) < 0 && errno != EEXIST) ? -1 : 0;
}

/* Writes obj's decoded content (or, for a message/rfc822 part, the
 * embedded message) to the content-addressed store, or only counts it. */
static int
store_attachment(struct walk *w, GMimeObject *obj,
		 struct msg_attachment *a)
{
	GMimeStream *out, *filtered;
	GMimeFilter *sum;
	char tmp[4096], dir[4096], dst[4200];
	int fd = -1, write_errno = 0;
	gint64 written;
	ssize_t wrote = 0;

	if (w->attach_dir == NULL) {
		out = g_mime_stream_null_new();
	} else {
		snprintf(tmp, sizeof(tmp), "%s/tmp", w->attach_dir);
		if (mkdir_one(w->attach_dir) < 0 || mkdir_one(tmp) < 0)
			return mp_err_set(w->err, MP_TEMP,
					  "cannot create %s: %s", tmp,
					  strerror(errno));
		snprintf(tmp, sizeof(tmp), "%s/tmp/att.XXXXXX",
			 w->attach_dir);
		fd = mkstemp(tmp);
		if (fd < 0)
			return mp_err_set(w->err, MP_TEMP,
					  "cannot create %s: %s", tmp,
					  strerror(errno));
		out = g_mime_stream_fs_new(fd);
	}
	filtered = g_mime_stream_filter_new(out);
	sum = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), sum);
	errno = 0;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *em = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(obj));
		if (em != NULL)
			wrote = g_mime_object_write_to_stream(GMIME_OBJECT(em),
							      NULL, filtered);
	} else {
		GMimeDataWrapper *dw = g_mime_part_get_content(
			GMIME_PART(obj));
		if (dw != NULL)
			wrote = g_mime_data_wrapper_write_to_stream(dw,
								    filtered);
	}
	if (g_mime_stream_flush(filtered) < 0 || wrote < 0)
		write_errno = errno ? errno : EIO;
	g_object_unref(filtered);
	written = GMIME_IS_STREAM_NULL(out) ?
		(gint64)GMIME_STREAM_NULL(out)->written :
		g_mime_stream_tell(out);
	/* A full disk cuts the file short while the checksum saw it all:
	 * never keep a short file under the whole content's name. */
	if (!write_errno && w->attach_dir != NULL && written != wrote)
		write_errno = errno ? errno : EIO;
	a->size = written < 0 ? 0 : written;
	{
		gchar *hex = g_mime_filter_checksum_get_string(
			GMIME_FILTER_CHECKSUM(sum));
		a->sha256 = hex ? strdup(hex) : NULL;
		g_free(hex);
	}
	g_object_unref(sum);
	if (w->attach_dir == NULL) {
		g_object_unref(out);
		return 0;
	}
	g_object_unref(out);	/* closes fd */
	if (write_errno) {
		unlink(tmp);
		return mp_err_set(w->err, MP_TEMP, "cannot write %s: %s", tmp,
				  strerror(write_errno));
	}
	if (a->sha256 == NULL) {
		unlink(tmp);
		return mp_err_set(w->err, MP_TEMP, "out of memory");
	}
	snprintf(dir, sizeof(dir), "%s/%.2s", w->attach_dir, a->sha256);
	snprintf(dst, sizeof(dst), "%s/%s", dir, a->sha256);
	if (mkdir_one(dir) < 0 || rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return mp_err_set(w->err, MP_TEMP, "cannot store %s: %s", dst,
				  strerror(e));
	}
	return 0;
}

/* Removes byte order marks (U+FEFF) at the start of s, which Windows
 * editors put before UTF-8 text and some mailers inside encoded words;
 * one before the first line is never text. */
static void
strip_bom(char *s)
{
	size_t n = 0;

	while (strncmp(s + n, "\xef\xbb\xbf", 3) == 0)
		n += 3;
	if (n > 0)
		memmove(s, s + n, strlen(s + n) + 1);
}

/* Percent-decodes s[0..n) (RFC 2231 §4) onto out. */
static void
pct_decode(GString *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    g_ascii_isxdigit(s[i + 1]) && g_ascii_isxdigit(s[i + 2])) {
			g_string_append_c(out, (char)(g_ascii_xdigit_value(
				s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2])));
			i += 2;
		} else {
			g_string_append_c(out, s[i]);
		}
	}
}

/*
 * The value of parameter attr in a raw Content-Type or
 * Content-Disposition value, decoded by our own Japanese decoder rather
 * than by GMime's, which goes through glibc iconv and loses NEC row 13
 * and IBM extension characters (①, №, 髙) that Outlook and Becky! put in
 * ISO-2022-JP or Shift_JIS names: RFC 2231 parts (attr*, attr*0*,
 * attr*1, ...) joined in order and percent-decoded before the charset
 * conversion; else a plain value holding RFC 2047 encoded words (not
 * allowed inside a quoted string by RFC 2047 §5, sent all the same).
 * NULL when neither is there: GMime's value is then as good.
 */
static char *
raw_param(struct msg *m, const char *folded, const char *attr)
{
	GString *part[32] = { NULL };
	int ext[32] = { 0 }, max = -1, i;
	char *raw, *plain = NULL, *out = NULL;
	const char *p;
	size_t an = strlen(attr);

	if (folded == NULL || (raw = unfold(folded)) == NULL)
		return NULL;
	p = strchr(raw, ';');
	while (p != NULL && *p != '\0') {
		const char *name, *ne;
		GString *v = g_string_new(NULL);
		int idx = -1, star = 0;

		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		ne = p;
		while (ne > name && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		if (*p != '=') {
			g_string_free(v, TRUE);
			continue;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				g_string_append_c(v, *p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p != '\0' && *p != ';' && *p != ' ' &&
			       *p != '\t')
				g_string_append_c(v, *p++);
		}
		while (*p != '\0' && *p != ';')
			p++;
		if ((size_t)(ne - name) >= an &&
		    g_ascii_strncasecmp(name, attr, an) == 0) {
			const char *q = name + an;

			if (q == ne) {
				if (plain == NULL) {
					plain = g_string_free(v, FALSE);
					continue;
				}
			} else if (*q == '*') {
				q++;
				if (q == ne) {
					idx = 0;
					star = 1;
				} else if (g_ascii_isdigit(*q)) {
					idx = (int)strtol(q, (char **)&q, 10);
					star = q < ne && *q == '*';
					if (q + star != ne)
						idx = -1;
				}
			}
		}
		if (idx >= 0 && idx < 32 && part[idx] == NULL) {
			part[idx] = v;
			ext[idx] = star;
			if (idx > max)
				max = idx;
			continue;
		}
		g_string_free(v, TRUE);
	}
	if (max >= 0 && part[0] != NULL) {
		GString *bytes = g_string_new(NULL);
		const char *cs = NULL, *v0 = part[0]->str, *q1, *q2;
		char *cset = NULL, *conv = NULL;

		if (ext[0] && (q1 = strchr(v0, '\'')) != NULL &&
		    (q2 = strchr(q1 + 1, '\'')) != NULL) {
			cset = g_strndup(v0, (gsize)(q1 - v0));
			cs = cset;
			v0 = q2 + 1;
		}
		for (i = 0; i <= max && part[i] != NULL; i++) {
			const char *v = i == 0 ? v0 : part[i]->str;

			if (ext[i])
				pct_decode(bytes, v, strlen(v));
			else
				g_string_append(bytes, v);
		}
		if (charset_to_utf8(cs && *cs ? cs : "utf-8", bytes->str,
				    bytes->len, &conv, NULL) > 0)
			add_defect(m, "header-charset");
		out = conv;
		g_free(cset);
		g_string_free(bytes, TRUE);
	} else if (plain != NULL && strstr(plain, "=?") != NULL) {
		out = decode_header_text(m, plain);
	}
	for (i = 0; i < 32; i++)
		if (part[i] != NULL)
			g_string_free(part[i], TRUE);
	g_free(plain);
	free(raw);
	return out;
}

/* The attachment's name: Content-Disposition filename, else Content-Type
 * name, by raw_param() where it applies, else as GMime read it. */
static char *
attachment_name(struct msg *m, GMimeObject *obj)
{
	const char *fn;
	char *r;

	if ((r = raw_param(m, raw_header(obj, "Content-Disposition"),
			   "filename")) != NULL ||
	    (r = raw_param(m, raw_header(obj, "Content-Type"), "name")) !=
	    NULL)
		return r;
	fn = GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) :
		g_mime_object_get_content_disposition_parameter(obj,
								"filename");
	return fn ? decode_header_text(m, fn) : NULL;
}

static void
add_attachment(struct walk *w, GMimeObject *obj)
{
	struct msg *m = w->m;
	struct msg_attachment *v, a = { 0 };
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *mime;

	if (w->failed)
		return;
	a.filename = attachment_name(m, obj);
	mime = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	a.content_type = strdup(mime ? mime : "application/octet-stream");
	g_free(mime);
	if (store_attachment(w, obj, &a) < 0) {
		w->failed = 1;
		free(a.filename);
		free(a.content_type);
		free(a.sha256);
		return;
	}
	v = realloc(m->attachments, (m->n_attachments + 1) * sizeof(*v));
	if (v == NULL) {
		free(a.filename);
		free(a.content_type);
		free(a.sha256);
		return;
	}
	m->attachments = v;
	v[m->n_attachments++] = a;
}

static void
walk(struct walk *w, GMimeObject *obj, int depth)
{
	if (w->failed || obj == NULL)
		return;
	if (depth > w->lim->max_depth) {
		if (!w->depth_defect)
			add_defect(w->m, "mime-depth-limit");
		w->depth_defect = 1;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int i, n = g_mime_multipart_get_count(mp);

		if (n == 0) {
			/* Boundary never found: GMime keeps everything as
			 * the prologue, which is then the only text. */
			const char *pro = g_mime_multipart_get_prologue(mp);
			add_defect(w->m, "empty-multipart");
			if (pro != NULL && !w->have_text) {
				size_t ulen;
				if (charset_to_utf8(NULL, pro, strlen(pro),
						    &w->m->text, &ulen) >= 0) {
					ulen = text_normalise_newlines(
						w->m->text, ulen);
					w->m->text[ulen] = '\0';
					w->have_text = 1;
				}
			}
		}
		for (i = 0; i < n; i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		add_attachment(w, obj);
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	{
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		int is_text = ct == NULL ||
			g_mime_content_type_is_type(ct, "text", "plain");
		int is_html = ct != NULL &&
			g_mime_content_type_is_type(ct, "text", "html");

		if (!is_attachment(obj) && is_text && !w->have_text) {
			w->m->text = part_text(w, GMIME_PART(obj));
			if (w->m->text != NULL)
				w->have_text = 1;
			return;
		}
		if (!is_attachment(obj) && is_html) {
			if (w->html_part == NULL)
				w->html_part = obj;
			return;
		}
		if (!is_attachment(obj) && is_text)
			return;	/* a second inline text part */
		add_attachment(w, obj);
	}
}

static int parse_stream(GMimeStream *stream, const struct msg_limits *lim,
			const char *attach_dir, unsigned capped,
			struct msg **msg_r, struct mp_err *err);

/*
 * The header pre-scan.  GMime's Content-Type parameter parsing is
 * quadratic in the number of parameters (100,000 of them in 1 MB took
 * two minutes), and a 10 MB Subject cost 300 MB.  So before GMime sees a
 * message, one linear pass over it finds every header block (the
 * message's own, and the one after each "--boundary" line) and checks
 * its fields against the caps below.  A message within them is parsed as
 * it is.  Otherwise a capped copy goes to an unlinked temporary file and
 * GMime parses that: fields past PRESCAN_MAX_FIELDS or
 * PRESCAN_MAX_BLOCK bytes are dropped, a field is cut at
 * PRESCAN_MAX_FIELD bytes, and a Content-* field at its
 * PRESCAN_MAX_PARAMS'th parameter; each cut is a defect.  The spool file,
 * the raw mail, is never changed.
 */
#define PRESCAN_MAX_FIELD (64 * 1024)
#define PRESCAN_MAX_PARAMS 64
#define PRESCAN_MAX_FIELDS 1000
#define PRESCAN_MAX_BLOCK (1024 * 1024)

enum {
	CAP_FIELD = 1, CAP_PARAMS = 2, CAP_FIELDS = 4, CAP_BLOCK = 8,
};

struct prescan {
	FILE *out;		/* NULL: only look */
	unsigned capped;	/* CAP_* seen */
	int in_header;		/* inside a header block */
	int bol;		/* at the start of a line */
	int line_dashes;	/* the body line so far: 1 "-", 2 "--..." */
	int dropping;		/* the rest of this field is cut */
	int emitted;		/* some of this field was written */
	int pending_nl;		/* a cut field's final line end is owed */
	int colon_seen, in_quotes, is_content;
	int held_cr;		/* a CR opened a header line: LF next? */
	size_t name_len, field_len, params, fields, block;
	char name[16];
};

static void
ps_emit(struct prescan *p, char c)
{
	if (p->out != NULL)
		putc(c, p->out);
}

/* A field, or the blank line, begins: a cut field gets its line end. */
static void
ps_close_field(struct prescan *p)
{
	if (p->pending_nl)
		ps_emit(p, '\n');
	p->pending_nl = p->dropping = p->emitted = 0;
}

static void
ps_new_field(struct prescan *p)
{
	ps_close_field(p);
	p->field_len = p->params = p->name_len = 0;
	p->colon_seen = p->in_quotes = p->is_content = 0;
	if (++p->fields > PRESCAN_MAX_FIELDS) {
		p->capped |= CAP_FIELDS;
		p->dropping = 1;
	} else if (p->block > PRESCAN_MAX_BLOCK) {
		p->capped |= CAP_BLOCK;
		p->dropping = 1;
	}
}

static void ps_header_char(struct prescan *p, char c, int bol);

static void
ps_char(struct prescan *p, char c)
{
	int bol = p->bol;

	p->bol = c == '\n';
	if (!p->in_header) {
		/* In a body only "--boundary" lines matter: a header
		 * block may follow each. */
		if (bol)
			p->line_dashes = c == '-';
		else if (p->line_dashes == 1)
			p->line_dashes = c == '-' ? 2 : 0;
		if (c == '\n') {
			if (p->line_dashes == 2) {
				/* A new block has no field yet: a first line
				 * that continues one must not inherit the
				 * last block's counts. */
				p->in_header = 1;
				p->fields = p->block = 0;
				p->dropping = p->emitted = 0;
				p->pending_nl = 0;
				p->field_len = p->params = p->name_len = 0;
				p->colon_seen = p->in_quotes = 0;
				p->is_content = 0;
			}
			p->line_dashes = 0;
		}
		ps_emit(p, c);
		return;
	}
	if (p->held_cr) {
		p->held_cr = 0;
		if (c == '\n') {
			/* CR LF: the blank line ends the block. */
			ps_close_field(p);
			p->in_header = 0;
			ps_emit(p, '\r');
			ps_emit(p, '\n');
			return;
		}
		/* A bare CR opens the line like any other character. */
		ps_header_char(p, '\r', 1);
		bol = 0;
	}
	if (bol && c == '\r') {
		p->held_cr = 1;		/* a blank line if LF follows */
		p->bol = 1;
		return;
	}
	if (bol && c == '\n') {
		/* The blank line ends the block. */
		ps_close_field(p);
		p->in_header = 0;
		ps_emit(p, c);
		return;
	}
	ps_header_char(p, c, bol);
}

/* One character of a header block, bol when it begins a line. */
static void
ps_header_char(struct prescan *p, char c, int bol)
{
	if (bol && c != ' ' && c != '\t')
		ps_new_field(p);
	if (c == '\n') {
		if (p->dropping)
			p->pending_nl = p->emitted;
		else
			ps_emit(p, c);
		return;
	}
	p->field_len++;
	if (!p->dropping)
		p->block++;
	if (!p->colon_seen) {
		if (c == ':') {
			p->colon_seen = 1;
			p->is_content = p->name_len >= 8 &&
				g_ascii_strncasecmp(p->name, "content-",
						    8) == 0;
		} else if (p->name_len < sizeof(p->name)) {
			p->name[p->name_len++] = c;
		}
	} else if (c == '"') {
		p->in_quotes = !p->in_quotes;
	} else if (c == ';' && !p->in_quotes && p->is_content &&
		   ++p->params > PRESCAN_MAX_PARAMS && !p->dropping) {
		p->capped |= CAP_PARAMS;
		p->dropping = 1;
	}
	if (p->field_len > PRESCAN_MAX_FIELD && !p->dropping) {
		p->capped |= CAP_FIELD;
		p->dropping = 1;
	}
	if (!p->dropping) {
		ps_emit(p, c);
		p->emitted = 1;
	}
}

int
msg_prescan(int fd, off_t offset, FILE *out)
{
	struct prescan p = { 0 };
	char buf[65536];
	ssize_t n, i;
	off_t at = offset;

	p.out = out;
	p.in_header = 1;
	p.bol = 1;
	while ((n = pread(fd, buf, sizeof(buf), at)) > 0) {
		for (i = 0; i < n;) {
			/* Inside a body line nothing matters until its
			 * end. */
			if (!p.in_header && !p.bol && p.line_dashes == 0) {
				const char *nl = memchr(buf + i, '\n',
							(size_t)(n - i));
				ssize_t k = nl ? nl - (buf + i) : n - i;

				if (out != NULL)
					fwrite(buf + i, 1, (size_t)k, out);
				i += k;
				if (i == n)
					break;
			}
			ps_char(&p, buf[i++]);
		}
		at += n;
	}
	if (n < 0)
		return -1;
	if (p.held_cr) {
		p.held_cr = 0;
		ps_header_char(&p, '\r', 1);
	}
	ps_close_field(&p);
	return (int)p.capped;
}

void
msg_add_defect(struct msg *m, const char *defect)
{
	add_defect(m, "%s", defect);
}

int
msg_parse_fd(int fd, off_t offset, const struct msg_limits *lim,
	     const char *attach_dir, struct msg **msg_r, struct mp_err *err)
{
	int dupfd, capped;
	FILE *tmp;

	*msg_r = NULL;
	msg_library_init();
	capped = msg_prescan(fd, offset, NULL);
	if (capped < 0)
		return mp_err_set(err, MP_TEMP, "read: %s", strerror(errno));
	if (capped == 0) {
		dupfd = dup(fd);
		if (dupfd < 0)
			return mp_err_set(err, MP_TEMP, "dup: %s",
					  strerror(errno));
		return parse_stream(g_mime_stream_fs_new_with_bounds(
					    dupfd, offset, -1),
				    lim, attach_dir, 0, msg_r, err);
	}
	/* tmpfile() is unlinked at once: nothing is left after a kill. */
	tmp = tmpfile();
	if (tmp == NULL)
		return mp_err_set(err, MP_TEMP, "tmpfile: %s",
				  strerror(errno));
	if (msg_prescan(fd, offset, tmp) < 0 || fflush(tmp) != 0 ||
	    (dupfd = dup(fileno(tmp))) < 0) {
		int e = errno;
		fclose(tmp);
		return mp_err_set(err, MP_TEMP, "capped copy: %s",
				  strerror(e));
	}
	fclose(tmp);
	return parse_stream(g_mime_stream_fs_new_with_bounds(dupfd, 0, -1),
			    lim, attach_dir, (unsigned)capped, msg_r, err);
}

int
msg_parse_mem(const char *raw, size_t len, const struct msg_limits *lim,
	      struct msg **msg_r, struct mp_err *err)
{
	*msg_r = NULL;
	msg_library_init();
	return parse_stream(g_mime_stream_mem_new_with_buffer(raw, len), lim,
			    NULL, 0, msg_r, err);
}

/* Whether line[0..n) looks like a header field ("Name: value"). */
static int
header_like(const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n && line[i] > ' ' && line[i] < 0x7f &&
	     line[i] != ':'; i++)
		;
	return i > 0 && i < n && line[i] == ':';
}

/* Whether line[0..n) is a Content-Type header of something other than
 * text (an embedded message, an image...). */
static int
not_text_type(const char *line, size_t n)
{
	const char *v = line + 13;

	if (n < 14 || g_ascii_strncasecmp(line, "content-type:", 13) != 0)
		return 0;
	while (v < line + n && (*v == ' ' || *v == '\t'))
		v++;
	return g_ascii_strncasecmp(v, "text", 4) != 0 &&
	       g_ascii_strncasecmp(v, "multipart", 9) != 0;
}

/* Whether line[0..n) is a line of base64 or uuencoded data. */
static int
data_like(const char *line, size_t n)
{
	size_t i;

	if (n < 40)
		return 0;
	for (i = 0; i < n; i++)
		if (!(g_ascii_isalnum(line[i]) || line[i] == '+' ||
		      line[i] == '/' || line[i] == '='))
			return 0;
	return 1;
}

/*
 * The readable text of a raw message whose parse gave none: the lines
 * after the header block (which may end without a blank line), without
 * MIME boundaries, part headers that ran into their bodies, attachment
 * parts and lines of base64, in the first charset= the message names
 * (else sniffed).  Mail with `Content-Type: text` and no subtype, or with
 * headers and body not separated, must not lose the customer's words.
 * Returns a new string ("" when nothing is readable) or NULL.
 */
static char *
raw_body_text(GMimeStream *stream, long long limit)
{
	GByteArray *raw = g_byte_array_new();
	GString *body = g_string_new(NULL);
	char buf[8192], label[64] = "", *out = NULL;
	const char *p, *end, *cs;
	ssize_t n;
	int in_headers = 1, in_part_headers = 0, skip_part = 0;

	g_mime_stream_reset(stream);
	while ((long long)raw->len < limit &&
	       (n = g_mime_stream_read(stream, buf, sizeof(buf))) > 0)
		g_byte_array_append(raw, (guint8 *)buf, (guint)n);
	g_byte_array_append(raw, (const guint8 *)"", 1);
	p = (const char *)raw->data;
	end = p + raw->len - 1;
	if ((cs = g_strstr_len(p, end - p, "charset=")) != NULL) {
		size_t k = 0;

		cs += 8;
		if (*cs == '"')
			cs++;
		while (k + 1 < sizeof(label) && (g_ascii_isalnum(*cs) ||
						 *cs == '-' || *cs == '_'))
			label[k++] = *cs++;
		label[k] = '\0';
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl ? nl + 1 : end;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (in_headers) {
			/* A header block ends at a blank line or at the
			 * first line that is not a header. */
			if (len == 0) {
				in_headers = 0;
				p = next;
				continue;
			}
			if (header_like(p, len) ||
			    ((p[0] == ' ' || p[0] == '\t') && len > 0)) {
				if (not_text_type(p, len))
					skip_part = 2;	/* all of it */
				p = next;
				continue;
			}
			in_headers = 0;
		}
		if (len >= 2 && p[0] == '-' && p[1] == '-' &&
		    memchr(p, ' ', len) == NULL) {
			in_part_headers = 1;	/* a boundary */
			skip_part = skip_part == 2 ? 2 : 0;
		} else if (in_part_headers && len > 0 &&
			   (header_like(p, len) || p[0] == ' ' ||
			    p[0] == '\t')) {
			if ((g_ascii_strncasecmp(p, "content-disposition:",
						 20) == 0 &&
			     g_strstr_len(p, (gssize)len, "attachment")) ||
			    not_text_type(p, len))
				skip_part = 1;
		} else if (in_part_headers && len == 0) {
			in_part_headers = 0;
		} else if (!skip_part && !data_like(p, len)) {
			in_part_headers = 0;
			g_string_append_len(body, p, (gssize)len);
			g_string_append_c(body, '\n');
		}
		p = next;
	}
	g_byte_array_free(raw, TRUE);
	if (charset_to_utf8(*label ? label : NULL, body->str, body->len,
			    &out, NULL) >= 0 && out != NULL) {
		size_t ulen = text_normalise_newlines(out, strlen(out));
		out[ulen] = '\0';
	}
	g_string_free(body, TRUE);
	return out;
}

static int
blank(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return 0;
	return 1;
}

/* Parses the message in stream, which it takes over; capped says what
 * the pre-scan cut (CAP_*), recorded as defects. */
static int
parse_stream(GMimeStream *stream, const struct msg_limits *lim,
	     const char *attach_dir, unsigned capped, struct msg **msg_r,
	     struct mp_err *err)
{
	GMimeParser *parser;
	GMimeMessage *gm;
	GMimeObject *top;
	struct msg *m;
	struct walk w = { 0 };

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		g_object_unref(stream);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	if (capped & CAP_FIELD)
		add_defect(m, "header-field-too-long");
	if (capped & CAP_PARAMS)
		add_defect(m, "too-many-parameters");
	if (capped & CAP_FIELDS)
		add_defect(m, "too-many-header-fields");
	if (capped & CAP_BLOCK)
		add_defect(m, "header-too-long");
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_options_set_warning_callback(parser_options,
						   parser_warning, m);
	gm = g_mime_parser_construct_message(parser, parser_options);
	g_mime_parser_options_set_warning_callback(parser_options, NULL,
						   NULL);
	g_object_unref(parser);
	if (gm == NULL) {
		/* Not even headers: keep the whole thing as text. */
		add_defect(m, "unparsable");
		m->subject = strdup("");
		m->text = strdup("");
		g_object_unref(stream);
		*msg_r = m;
		return 0;
	}
	top = GMIME_OBJECT(gm);
	{
		const char *raw = raw_header(top, "Subject");
		m->subject = raw ? decode_header_text(m, raw) : strdup("");
	}
	decode_addresses(m, top, "From", &m->from);
	decode_addresses(m, top, "To", &m->to);
	decode_addresses(m, top, "Cc", &m->cc);
	decode_addresses(m, top, "Reply-To", &m->reply_to);
	decode_addresses(m, top, "Sender", &m->sender);
	m->n_from_headers = count_headers(top, "From");
	m->n_sender_headers = count_headers(top, "Sender");
	if (m->from.n == 0)
		add_defect(m, "no-from");
	if (m->n_from_headers > 1)
		add_defect(m, "multiple-from");
	{
		GDateTime *dt = g_mime_message_get_date(gm);
		if (dt != NULL) {
			gchar *iso = g_date_time_format(dt,
				"%Y-%m-%dT%H:%M:%S%:z");
			m->date = dup_or_null(iso);
			g_free(iso);
		} else {
			add_defect(m, "no-date");
		}
	}
	/* An identifier we could not write back into a header of our own
	 * (a space, '<', a control character) is dropped as a defect: it
	 * threads nothing, and kept it would poison every reply. */
	{
		const char *mid = g_mime_message_get_message_id(gm);
		if (mid != NULL && *mid != '\0' && !msg_id_safe(mid))
			add_defect(m, "bad-message-id");
		else if (mid != NULL && *mid != '\0')
			m->message_id = strdup(mid);
		if (m->message_id == NULL)
			add_defect(m, "no-message-id");
	}
	{
		const char *irt = raw_header(top, "In-Reply-To");
		if (irt != NULL) {
			char *id = g_mime_utils_decode_message_id(irt);
			if (id != NULL && *id != '\0' && !msg_id_safe(id))
				add_defect(m, "bad-in-reply-to");
			else if (id != NULL && *id != '\0')
				m->in_reply_to = strdup(id);
			g_free(id);
		}
	}
	{
		const char *refs = raw_header(top, "References");
		GMimeReferences *r = refs ? g_mime_references_parse(
			parser_options, refs) : NULL;
		int i, n = r ? g_mime_references_length(r) : 0;

		/* The newest references are the ones that thread. */
		i = n > MSG_MAX_REFERENCES ? n - MSG_MAX_REFERENCES : 0;
		if (i > 0)
			add_defect(m, "too-many-references");
		if (n > 0)
			m->references = calloc((size_t)(n - i),
					       sizeof(char *));
		for (; m->references != NULL && i < n; i++) {
			const char *id = g_mime_references_get_message_id(r,
									  i);
			if (id != NULL && !msg_id_safe(id))
				add_defect(m, "bad-references");
			else if (id != NULL)
				m->references[m->n_references++] = strdup(id);
		}
		if (r != NULL)
			g_mime_references_free(r);
	}
	m->auto_submitted = plain_header(top, "Auto-Submitted");
	m->precedence = plain_header(top, "Precedence");
	m->list_id = plain_header(top, "List-Id");
	{
		static const char *const names[] = {
			"X-Autoreply", "X-Autorespond", "X-Autogenerated",
		};
		size_t i;

		for (i = 0; m->x_autoreply == NULL &&
		     i < sizeof(names) / sizeof(*names); i++)
			m->x_autoreply = plain_header(top, names[i]);
	}
	{
		GMimeObject *body = g_mime_message_get_mime_part(gm);
		GMimeContentType *ct = body ?
			g_mime_object_get_content_type(body) : NULL;

		m->is_report = ct != NULL &&
			g_mime_content_type_is_type(ct, "multipart", "report");
	}
	m->content_language = plain_header(top, "Content-Language");
	collect_headers(top, "Authentication-Results", &m->auth_results,
			&m->n_auth_results);

	w.m = m;
	w.lim = lim;
	w.attach_dir = attach_dir;
	w.err = err;
	walk(&w, g_mime_message_get_mime_part(gm), 1);
	if (!w.have_text && w.html_part != NULL && !w.failed) {
		char *html = part_text(&w, GMIME_PART(w.html_part));
		if (html != NULL) {
			m->text = text_from_html(html);
			m->text_from_html = 1;
			free(html);
		}
	}
	if (m->text == NULL)
		m->text = strdup("");
	if (m->text != NULL && blank(m->text) && !w.failed) {
		char *raw = raw_body_text(stream, lim->max_text);

		if (raw != NULL && !blank(raw)) {
			free(m->text);
			m->text = raw;
			add_defect(m, "text-from-raw-body");
		} else {
			free(raw);
		}
	}
	g_object_unref(gm);
	g_object_unref(stream);
	if (w.failed) {
		msg_free(&m);
		return -1;
	}
	if (m->subject == NULL || m->text == NULL) {
		msg_free(&m);
		return mp_err_set(err, MP_TEMP, "out of memory");
	}
	strip_bom(m->subject);
	strip_bom(m->text);
	*msg_r = m;
	return 0;
}

static void
addrs_release(struct msg_addrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].address);
	}
	free(a->v);
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
msg_free(struct msg **mp)
{
	struct msg *m = *mp;
	size_t i;

	if (m == NULL)
		return;
	free(m->subject);
	addrs_release(&m->from);
	addrs_release(&m->to);
	addrs_release(&m->cc);
	addrs_release(&m->reply_to);
	addrs_release(&m->sender);
	free(m->date);
	free(m->message_id);
	free(m->in_reply_to);
	strv_free(m->references, m->n_references);
	free(m->text);
	for (i = 0; i < m->n_attachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
		free(m->attachments[i].sha256);
	}
	free(m->attachments);
	strv_free(m->defects, m->n_defects);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	free(m->x_autoreply);
	free(m->content_language);
	strv_free(m->auth_results, m->n_auth_results);
	free(m);
	*mp = NULL;
}

int
msg_addressed_to(const struct msg *m, const char *addr)
{
	size_t i;

	for (i = 0; i < m->to.n; i++)
		if (strcasecmp(m->to.v[i].address, addr) == 0)
			return 1;
	return 0;
}

const char *
msg_from_address(const struct msg *m)
{
	return m->from.n > 0 ? m->from.v[0].address : NULL;
}

int
msg_header_value_safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

int
msg_id_safe(const char *id)
{
	const unsigned char *p = (const unsigned char *)id;

	if (id == NULL || *id == '\0' || strlen(id) > MSG_MAX_ID_LEN)
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}
