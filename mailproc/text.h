/*
 * Plain-text transformations of already-decoded UTF-8 text: undoing
 * format=flowed (RFC 3676), rendering HTML as readable text, and line-end
 * normalisation.  Pure functions, no MIME and no I/O.
 */
#ifndef MP_TEXT_H
#define MP_TEXT_H

#include <stddef.h>

/* Converts CRLF and lone CR to LF in place; returns the new length. */
size_t text_normalise_newlines(char *s, size_t len);

/* Joins the soft line breaks of format=flowed text (RFC 3676 §4.2) and
 * removes space-stuffing; with delsp the space before a soft break is
 * deleted (§4.5).  Quote depth changes end a paragraph.  Returns a new
 * malloc'd string, or NULL when out of memory. */
char *text_unflow(const char *s, int delsp);

/* Renders HTML as text: drops tags, comments and the content of script,
 * style and head; turns <br>, </p>, </div>, </li>, </tr>, <hr> and headings
 * into line breaks; decodes character references (named common ones and
 * numeric).  Returns a new malloc'd string, or NULL when out of memory. */
char *text_from_html(const char *html);

#endif
