#!/bin/bash
# Socket activation of `mailproc lmtp` for real: systemd-socket-activate
# (the systemd package's tool that does what mailproc-lmtp.socket does:
# listen, start the service on the first connection, pass the socket as
# fd 3 with LISTEN_FDS/LISTEN_PID) runs the command line of
# etc/mailproc-lmtp.service.  Nothing runs until a client connects; the
# server then takes the passed socket (it binds none of its own), answers
# LMTP, files the ticket, trusts the login header as from a unix socket,
# serves a second session on the same socket, and drains on SIGTERM
# leaving the socket file to its owner.  A passed TCP socket is not
# trusted for the login header; a passed fd that is not a listening
# socket is refused with a clear error; LISTEN_FDS meant for another
# process is ignored.  No mail stack.
set -eu
MAILPROC=$(readlink -f "${MAILPROC:-./bin/mailproc}")
E2E=$(cd "$(dirname "$0")" && pwd -P)
TOP=$(cd "$E2E/../.." && pwd -P)
T=0315-lmtp-socket-activation
dir=$(mktemp -d /tmp/mp-0315.XXXXXX) pid=
trap '[ -z "$pid" ] || kill -9 $pid 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL $T: $*" >&2; tail -20 "$dir/log" >&2 2>/dev/null; exit 1; }
command -v systemd-socket-activate >/dev/null ||
	fail "no systemd-socket-activate (package systemd; make deps)"
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"

cat >"$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:1
lmtp_timeout = 5s
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
tickets() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
sock=$dir/lmtp.sock

# The service's own command line: the arguments after the binary.
args=$(sed -n 's|^ExecStart=@BINDIR@/mailproc ||p' "$TOP/etc/mailproc-lmtp.service")
[ "$args" = lmtp ] || fail "mailproc-lmtp.service runs 'mailproc $args', this test knows 'lmtp'"

lmtp() {	# lmtp SPEC PYTHON-CODE
	PYTHONPATH=$E2E python3 -c "
import sys
from lmtpc import Client
SPEC = '$1'
def want(got, exp, what):
    if got != exp:
        sys.exit('%s: got %r, want %r' % (what, got, exp))
def mail(mid, frm, extra=''):
    return (('X-Mailproc-Login: staff@example.jp\nReceived: from submission\n'
             if extra else '') +
            'From: %s\nTo: support@example.jp\nSubject: activated %s\n'
            'Message-ID: <%s>\nDate: Mon, 4 Mar 2024 10:00:00 +0900\n\n'
            'web01 please\n' % (frm, mid, mid)).encode()
$2
"
}
staff_mail() {	# staff_mail SPEC MSGID: staff mail with the login header
	lmtp "$1" "
c = Client(SPEC)
c.lhlo()
r = c.send('staff@example.jp', ['support@example.jp'],
           mail('$2', 'Staff <staff@example.jp>', extra=1))
want([x[0] for x in r], [250], 'staff mail $2')
"
}
wait_for() {	# wait_for TEXT: until the log has it (10 s)
	for _ in $(seq 200); do
		grep -q "$1" "$dir/log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# 1. Listening, but nothing started until the first connection.
# shellcheck disable=SC2086 # $args: the unit's arguments, word-split
systemd-socket-activate -l "$sock" -- "$MAILPROC" -d -c "$dir/conf" $args \
	>>"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "systemd-socket-activate made no socket"
sleep 0.3
grep -q 'lmtp: action=listen ' "$dir/log" && fail "mailproc started before any connection"
[ "$(readlink "/proc/$pid/exe")" != "$MAILPROC" ] ||
	fail "mailproc runs before any connection"

lmtp "unix:$sock" "
c = Client(SPEC)
want(c.greeting[0], 220, 'greeting')
want(c.lhlo()[0], 250, 'LHLO')
r = c.send('taro@example.com', ['support@example.jp'], mail('sa1@example.com', 'Taro <taro@example.com>'))
want([x[0] for x in r], [250], 'first delivery')
c.cmd('QUIT')
" || fail "LMTP over the activated socket"
wait_for 'listen="the socket systemd passed' ||
	fail "the server did not say it took the passed socket"
[ ! -e "$dir/state/lmtp.sock" ] || fail "the server bound a socket of its own"
[ "$(readlink /proc/$pid/exe)" = "$MAILPROC" ] ||
	fail "the activated process is not mailproc (exec in place, pid $pid)"
echo "$T: started on the first connection, served it on the passed socket"

# 2. A second session on the same socket, by the same process; the login
#    header counts from the unix socket (staff mail, no spoofing).
staff_mail "unix:$sock" sa2@example.com || fail "second session"
for _ in $(seq 100); do
	[ -z "$(ls "$dir/state/spool/incoming/new")" ] && break
	sleep 0.05
done
[ "$(tickets)" -ge 1 ] || fail "no ticket from the activated server"
n=$(grep -c 'lmtp: action=listen ' "$dir/log")
[ "$n" = 1 ] || fail "the server started $n times, want once"
wait_for 'msgid=<sa2@example.com> .*staff="SASL login staff@example.jp"' ||
	fail "the login header from the passed unix socket was not trusted"
echo "$T: second session on the same process; the unix socket is trusted"

# 3. SIGTERM drains and exits 0; the socket file stays (it is systemd's).
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "exit $rc after SIGTERM, want 0"
[ -S "$sock" ] || fail "the server removed the socket file systemd made"
echo "$T: SIGTERM: exit 0, socket file left to its owner"

# 4. A passed TCP socket: served, but the login header is not trusted.
port=$((30000 + RANDOM % 20000))
: >"$dir/log"
# shellcheck disable=SC2086
systemd-socket-activate -l "127.0.0.1:$port" -- "$MAILPROC" -d -c "$dir/conf" $args \
	>>"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" \
		2>/dev/null && break
	sleep 0.05
done
staff_mail "127.0.0.1:$port" sa3@example.com || fail "LMTP over an activated TCP socket"
wait_for 'header=X-Mailproc-Login action=ignored reason="peer not trusted"' || fail "the login header from TCP was not refused"
kill -TERM "$pid"
wait "$pid" || true
pid=
echo "$T: a passed TCP socket is served, its login header not trusted"

# 5. LISTEN_FDS for us but fd 3 is no listening socket: a clear error.
rc=0
LISTEN_FDS=1 bash -c 'export LISTEN_PID=$$; exec "$0" -c "$1" lmtp 3</dev/null' \
	"$MAILPROC" "$dir/conf" >"$dir/out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "fd 3 /dev/null accepted as the listening socket"
grep -q 'not a listening stream socket' "$dir/out" ||
	fail "no clear error for a bad fd 3: $(cat "$dir/out")"

# 6. LISTEN_FDS meant for another process (LISTEN_PID not ours): ignored,
#    the server binds its own socket as if nothing was passed.
: >"$dir/log"
LISTEN_FDS=1 LISTEN_PID=1 "$MAILPROC" -d -c "$dir/conf" lmtp \
	--listen "unix:$dir/own.sock" >>"$dir/log" 2>&1 &
pid=$!
wait_for 'lmtp: action=listen ' || fail "the server did not start"
[ -S "$dir/own.sock" ] || fail "LISTEN_FDS of another pid was taken as ours"
kill -TERM "$pid"
wait "$pid" || true
pid=
echo "$T: bad fd 3 refused; another process's LISTEN_FDS ignored"
echo "PASS $T"
