/*
 * Outgoing text on the wire: ISO-2022-JP conversion, folding body lines
 * (RFC 3676 format=flowed, DelSp=yes), RFC 2047 encoded words for
 * headers and RFC 2231 parameter values.  Pure text functions (GLib and
 * iconv, no GMime): msgbuild.c decides the charset and puts the results
 * into the message.  Every function returns a new malloc'd string (or
 * GByteArray) the caller frees, or NULL when out of memory or, where
 * said, when the text cannot be encoded.
 */
#ifndef MP_OUTENC_H
#define MP_OUTENC_H

#include <stddef.h>

#include <glib.h>

/* len bytes of UTF-8 as ISO-2022-JP, each line (up to and including its
 * LF) ending in ASCII (ESC ( B before the LF), as RFC 1468 wants.  NULL
 * if any character has no ISO-2022-JP form. */
GByteArray *outenc_iso2022jp(const char *utf8, size_t len);

/* 1 if the whole NUL-terminated utf8 can be encoded as ISO-2022-JP. */
int outenc_iso2022jp_ok(const char *utf8);

/* Folds every body line longer than 78 (octets of ISO-2022-JP with its
 * escapes when iso2022jp, else display columns: wide characters count
 * 2) at character boundaries, between words of Latin text and between
 * characters of Japanese text (not before 。、」 and the like, not after
 * 「（), as format=flowed soft breaks (a space before the line end,
 * DelSp=yes).  A word too long to fold stays whole up to 900 octets.
 * Returns the new text (LF line ends); *flowed_r is 1 when a soft break
 * was inserted (the text part must then say format=flowed; delsp=yes),
 * and the text then follows RFC 3676: trailing spaces of hard lines
 * removed, lines starting with a space or "From " stuffed. */
char *outenc_fold_body(const char *utf8, int iso2022jp, int *flowed_r);

/* A header value for the header `name` as GMime's raw value (" ... \n",
 * folded with "\n "): words of utf8 holding non-ASCII (and everything
 * after the first of them) as RFC 2047 B encoded words in charset
 * ("iso-2022-jp" or "utf-8"), each at most 75 characters, split at
 * character boundaries, in ISO-2022-JP each starting and ending in
 * ASCII; no header line over 76 characters where the words allow.
 * phrase: a display name (all of it encoded when any of it needs to be,
 * since raw words would need RFC 5322 quoting).  tail (or NULL) is
 * appended as is, e.g. " <support@example.jp>". */
char *outenc_header(const char *name, const char *utf8, const char *charset,
		    int phrase, const char *tail);

/* 1 if utf8 needs encoding in a header (non-ASCII or "=?"). */
int outenc_needs_encoding(const char *utf8);

/* One parameter for a raw Content-Type or Content-Disposition value,
 * starting with ";": RFC 2231 (attr*0*=charset''%..;  attr*1*=...) when
 * rfc2231, else attr="=?charset?B?...?= ..." (RFC 2047 inside the quoted
 * string, as Japanese mailers read it), folded with "\n ". */
char *outenc_param(const char *attr, const char *utf8, const char *charset,
		   int rfc2231);

#endif
