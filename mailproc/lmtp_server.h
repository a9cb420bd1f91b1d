/*
 * The resident LMTP server behind `mailproc lmtp`.  Owns the listening
 * socket, one thread per session (bounded by lmtp_max_sessions), the
 * processing thread that runs ingest with rules, model and database opened
 * once, and the signals: SIGTERM/SIGINT drain, SIGHUP reloads.  The
 * protocol's bytes are lmtp.c's; the durable write is spool.c's.
 */
#ifndef MP_LMTP_SERVER_H
#define MP_LMTP_SERVER_H

#include "conf.h"
#include "err.h"

/* Serves until SIGTERM or SIGINT, then drains: no new connections, 421
 * to every new command, the DATA under way finished and answered.
 * listen is "unix:PATH" or "HOST:PORT" (loopback only), or NULL for
 * conf's lmtp_listen; a socket passed by systemd (LISTEN_FDS) wins over
 * both.  conf stays the caller's; reloads make copies of their own.
 * Returns 0 after a drain, -1 with err when it cannot start. */
int lmtp_serve(struct conf *conf, const char *listen, struct mp_err *err);

#endif
