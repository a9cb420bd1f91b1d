/*
 * Charset conversion of mail text to UTF-8.  Owns charset-name handling,
 * guessing undeclared charsets, a CP50220-style ISO-2022-JP decoder (glibc
 * has none: NEC row 13 and IBM extension characters are decoded through
 * CP932), and the RFC 2047 header prepass that fixes what GMime 3.2 gets
 * wrong before msg.c hands a header to GMime.  Knows nothing of MIME
 * structure and never includes GMime; uses glibc iconv.
 *
 * Every function here is best-effort: undecodable bytes become U+FFFD and
 * the rest of the text is kept.  Only running out of memory fails.
 */
#ifndef MP_CHARSET_H
#define MP_CHARSET_H

#include <stddef.h>

/*
 * Converts len bytes of in, labelled charset (NULL or "" if undeclared),
 * to UTF-8.  *out_r gets a new NUL-terminated string the caller free()s and
 * *outlen_r (if outlen_r is not NULL) its length; NUL bytes in the input
 * come out as U+FFFD, so the result never has an embedded NUL.
 * Returns 0 when converted cleanly; 1 when converted with defects (bytes
 * replaced by U+FFFD, an unknown label or 8-bit text labelled us-ascii so a
 * guess was used, undeclared text guessed as CP932/EUC-JP); -1 only when
 * out of memory (*out_r is then NULL).
 * Labels: the ISO-2022-JP family uses the CP50220-style decoder;
 * Shift_JIS and its aliases mean CP932; EUC-JP falls back to EUC-JP-MS per
 * character; 7-bit text holding JIS escapes is ISO-2022-JP whatever its
 * ASCII-compatible label says (Outlook omits the label).
 */
int charset_to_utf8(const char *charset, const char *in, size_t len,
		    char **out_r, size_t *outlen_r);

/*
 * Guesses the charset of len bytes of in.  Returns a static canonical name:
 * "us-ascii" (7-bit, no JIS escapes), "iso-2022-jp" (JIS escapes present),
 * "utf-8" (valid or nearly valid UTF-8), else "cp932" or "euc-jp" by which
 * reads as more plausible Japanese text, or "windows-1252" when neither
 * reads as Japanese at all (and it is not half-width katakana).
 */
const char *charset_sniff(const char *in, size_t len);

/*
 * Prepares a raw header value (bytes as in the message, folded or not) for
 * GMime's RFC 2047 decoder.  Each run of encoded words separated only by
 * linear whitespace that holds at least one ISO-2022-JP word is decoded as
 * a whole (bytes of adjacent words in one charset are joined first, so a
 * character or shift state split across words survives) and re-emitted as
 * one =?UTF-8?B?...?= word; raw 8-bit or JIS-escaped text outside encoded
 * words is converted to UTF-8 by sniffing; all else is kept byte for byte.
 * Returns a new malloc'd string the caller free()s, or NULL when nothing
 * needed changing (use raw as is).  *defect_r (if defect_r is not NULL)
 * gets 1 if bytes were replaced or a charset guessed, else 0; on out of
 * memory it gets -1 and the function returns NULL.
 */
char *charset_header_prepass(const char *raw, int *defect_r);

/*
 * Same as charset_header_prepass() but rewrites every run of encoded words,
 * whatever its charsets.  Needed because GMime 3.2.13 drops the text after
 * a B-encoded word that ends in '=' padding when the next word has the
 * same charset (GMime issue #133): "=?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?="
 * decodes to "a".
 */
char *charset_header_prepass_all(const char *raw, int *defect_r);

#endif
