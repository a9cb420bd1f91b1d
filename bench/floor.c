/*
 * floor.c: the least a mail-filing process can do, as the yardstick of
 * `make bench` (SPEC §13): start, initialise GMime, parse the message on
 * standard input (a regular file when the bench runs it) in place, decode
 * the text of each leaf part, and exit.  No spool, no database, no
 * output.  Built with the same pkg-config flags as mailproc.
 */
#include <stdio.h>
#include <unistd.h>

#include <gmime/gmime.h>

static void
decode_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	GMimeDataWrapper *content;
	GMimeStream *null;
	size_t *n = data;

	(void)parent;
	if (!GMIME_IS_PART(part))
		return;
	content = g_mime_part_get_content(GMIME_PART(part));
	if (content == NULL)
		return;
	null = g_mime_stream_null_new();
	*n += (size_t)g_mime_data_wrapper_write_to_stream(content, null);
	g_object_unref(null);
}

int
main(void)
{
	GMimeMessage *m;
	GMimeParser *parser;
	GMimeStream *stream;
	size_t n = 0;
	int fd;

	g_mime_init();
	fd = dup(STDIN_FILENO);
	if (fd < 0) {
		perror("floor: stdin");
		return 1;
	}
	stream = g_mime_stream_fs_new_with_bounds(fd, 0, -1);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	m = g_mime_parser_construct_message(parser, NULL);
	if (m == NULL) {
		fprintf(stderr, "floor: not a message\n");
		return 1;
	}
	(void)g_mime_message_get_subject(m);
	g_mime_message_foreach(m, decode_part, &n);
	g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_shutdown();
	return n > 0 ? 0 : 1;
}
