#!/usr/bin/env python3
"""A scripted SMTP relay on loopback for the outbox's bad-neighbour tests.

    fake-relay.py PORT LOG [--banner CODE] [--null-from CODE]
                  [--rcpt ADDR=CODE ...] [--lock-db PATH --lock-seconds N]

Each accepted message appends "<recipient> <Message-ID>" to LOG.  --banner
greets with CODE (a 554 relay), --null-from answers MAIL FROM:<> with
CODE, --rcpt answers RCPT TO:<ADDR> with CODE.  With --lock-db, the first
message's final "." takes an exclusive lock on the SQLite database PATH
before it is answered 250, and holds it for N seconds: the database is
busy just after a successful send.
"""
import argparse
import re
import socket
import sqlite3
import threading

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("log")
ap.add_argument("--banner", type=int, default=220)
ap.add_argument("--null-from", type=int, default=250)
ap.add_argument("--rcpt", action="append", default=[])
ap.add_argument("--lock-db")
ap.add_argument("--lock-seconds", type=float, default=0)
args = ap.parse_args()
rcpt_codes = {}
for r in args.rcpt:
    addr, code = r.rsplit("=", 1)
    rcpt_codes[addr.lower()] = int(code)
locked = [False]


def lock_db():
    conn = sqlite3.connect(args.lock_db, isolation_level=None,
                           check_same_thread=False, timeout=10)
    conn.execute("BEGIN EXCLUSIVE")
    threading.Timer(args.lock_seconds, lambda: (conn.execute("COMMIT"),
                                                conn.close())).start()


def serve(c):
    f = c.makefile("rb")
    out = lambda s: c.sendall((s + "\r\n").encode())
    if args.banner != 220:
        out("%d 5.3.2 go away" % args.banner)
        # RFC 5321 §3.1: after a 554 greeting the server waits for QUIT.
    else:
        out("220 fake ESMTP")
    sender, rcpts = None, []
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode("latin-1").rstrip("\r\n")
        up = cmd.upper()
        if up.startswith("QUIT"):
            out("221 bye")
            return
        if args.banner != 220:
            out("503 5.5.1 no service")
            continue
        if up.startswith("EHLO"):
            out("250-fake")
            out("250 8BITMIME")
        elif up.startswith("HELO") or up.startswith("NOOP"):
            out("250 ok")
        elif up.startswith("RSET"):
            sender, rcpts = None, []
            out("250 ok")
        elif up.startswith("MAIL FROM:"):
            m = re.search(r"<([^>]*)>", cmd)
            addr = m.group(1) if m else ""
            if addr == "" and args.null_from != 250:
                out("%d 5.7.1 null sender refused" % args.null_from)
                continue
            sender, rcpts = addr, []
            out("250 ok")
        elif up.startswith("RCPT TO:"):
            m = re.search(r"<([^>]*)>", cmd)
            addr = (m.group(1) if m else "").lower()
            code = rcpt_codes.get(addr, 250)
            if code != 250:
                out("%d 5.1.1 no such user" % code)
                continue
            rcpts.append(addr)
            out("250 ok")
        elif up.startswith("DATA"):
            out("354 go ahead")
            data = []
            while True:
                l = f.readline()
                if not l or l in (b".\r\n", b".\n"):
                    break
                data.append(l)
            mid = ""
            for l in data:
                if l.strip() == b"":
                    break
                if l.lower().startswith(b"message-id:"):
                    mid = l.split(b":", 1)[1].strip().decode()
            if args.lock_db and not locked[0]:
                locked[0] = True
                lock_db()
            with open(args.log, "a") as lf:
                for r in rcpts:
                    lf.write("%s %s\n" % (r, mid))
            out("250 2.0.0 queued")
            sender, rcpts = None, []
        else:
            out("500 5.5.2 what")


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", args.port))
s.listen(5)
while True:
    c, _ = s.accept()
    try:
        serve(c)
    except OSError:
        pass
    finally:
        c.close()
