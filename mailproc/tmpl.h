/*
 * Outgoing-mail templates.  Owns the template file format (see
 * templates/README.md), the table of placeholder names, the list of
 * template names every installation must have, and rendering a template
 * into a subject line and a body, both UTF-8.  It knows nothing of MIME,
 * charsets on the wire, addresses or threading: msgbuild/outbox turn the
 * result into a message.  No GMime here; plain C and GLib.
 *
 * Safety promise: a value can never add or split a header.  Every
 * character of a value substituted into the subject that is a control
 * character (C0, DEL, C1, U+2028, U+2029; CR and LF included) becomes a
 * space, and the rendered subject is always a single line.
 */
#ifndef MP_TMPL_H
#define MP_TMPL_H

#include <stddef.h>

#include "err.h"

/* One placeholder value.  name must be in the placeholder table; a NULL
 * value, like a placeholder not given at all, renders as "".  When a name
 * is given twice, the first value wins. */
struct tmpl_var {
	const char *name;
	const char *value;
};

/* A rendered template.  Strings are malloc'd, owned by the struct and
 * freed by tmpl_out_release(). */
struct tmpl_out {
	char *subject;	/* UTF-8, one line, no control characters */
	char *body;	/* UTF-8, LF line ends, ends with exactly one LF */
	char *lang;	/* the language actually used: lang or "ja" */
};

/* Renders templates_dir/<lang>/<name>.txt, or templates_dir/ja/<name>.txt
 * when the file does not exist in lang (a NULL or empty lang means ja).  Values are inserted as given and
 * never expanded again.  Returns 0 with out filled, or -1 with err set:
 * MP_PERM for a missing template, an invalid lang/name, a template with
 * problems (message "file:line: what") or a var name not in the table;
 * MP_TEMP for an I/O error or no memory.  out is untouched on failure. */
int tmpl_render(const char *templates_dir, const char *lang,
		const char *name, const struct tmpl_var *vars, size_t n_vars,
		struct tmpl_out *out, struct mp_err *err);

/* The same with a site directory (site_templates_dir, e.g.
 * /etc/mailproc/templates) searched first, file by file: for each
 * language tried, site_dir/<lang>/<name>.txt wins over
 * templates_dir/<lang>/<name>.txt when it exists, so a local edit
 * survives an upgrade of the shipped copies and removing it falls back
 * to them.  site_dir NULL or "" is tmpl_render(). */
int tmpl_render_site(const char *site_dir, const char *templates_dir,
		     const char *lang, const char *name,
		     const struct tmpl_var *vars, size_t n_vars,
		     struct tmpl_out *out, struct mp_err *err);

/* Frees what tmpl_render() put in out and sets the pointers to NULL;
 * safe to call twice. */
void tmpl_out_release(struct tmpl_out *out);

/* Checks every template under templates_dir/ja and templates_dir/en:
 * each required template exists in ja (en may fall back), every .txt file
 * has a known template name and parses, and every placeholder is known.
 * Calls report(ctx, file, line, msg) once per problem (line 0 when the
 * problem is the file as a whole) and returns the number of problems. */
int tmpl_check_dir(const char *templates_dir,
		   void (*report)(void *ctx, const char *file, int line,
				  const char *msg),
		   void *ctx);

typedef void tmpl_report_fn(void *ctx, const char *file, int line,
			    const char *msg);
typedef void tmpl_winner_fn(void *ctx, const char *site_file,
			    const char *shipped_file);

/* Checks the site directory's templates as tmpl_check_dir() does, except
 * that nothing in it is required and a missing directory is fine, and
 * calls winner(ctx, site_file, shipped_file) for each of its .txt files:
 * shipped_file is the file it overrides, or NULL when nothing is shipped
 * under that name.  Returns the number of problems. */
int tmpl_check_site(const char *site_dir, const char *templates_dir,
		    tmpl_report_fn *report, tmpl_winner_fn *winner,
		    void *ctx);

/* 1 if name is in the placeholder table, else 0. */
int tmpl_known_placeholder(const char *name);

/* The i-th placeholder name, or NULL past the end (for tests and docs). */
const char *tmpl_placeholder_name(size_t i);

/* The i-th required template name, or NULL past the end. */
const char *tmpl_template_name(size_t i);

#endif
