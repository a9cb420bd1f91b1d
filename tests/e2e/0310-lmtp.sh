#!/bin/bash
# `mailproc lmtp` without Postfix, on a unix socket and a random loopback
# port in a scratch directory: per-recipient 250s after DATA and tickets
# made by the resident process; dot-unstuffing; 552 over max_message_size
# (SIZE= and DATA) leaving nothing behind; 451 when the spool fails; the login header trusted only
# above the first Received and only from the unix socket (a forged one is
# a spoofing attempt); a mail whose processing fails stays in new/ for
# `run`; the session limit; the idle timeout; SIGHUP with a broken
# configuration keeps the old one, with a good one takes it; SIGTERM
# answers 421 to idle sessions, finishes the DATA under way, exits 0;
# after a SIGKILL mid-stream every message that got 250 is filed once; a
# batch whose commit fails (the database on a full filesystem) leaves
# every one of its messages in new/, and `run` files each once.
set -eu
MAILPROC=$(readlink -f "${MAILPROC:-./bin/mailproc}")
E2E=$(cd "$(dirname "$0")" && pwd -P)
dir=$(mktemp -d /tmp/mp-0310.XXXXXX)
pid=
mounted=
cleanup() {
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
	[ -z "$mounted" ] || umount "$mounted" 2>/dev/null ||
		umount -l "$mounted" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL 0310-lmtp: $*" >&2
	[ ! -f "$dir/log" ] || tail -20 "$dir/log" >&2
	[ -z "${MP_KEEP_LOG:-}" ] || cp "$dir/log" "$MP_KEEP_LOG"
	exit 1
}
port=$((30000 + RANDOM % 20000))
sock=$dir/lmtp.sock
write_conf() {	# write_conf [MAX-MESSAGE-SIZE]
	cat > "$dir/conf" <<CONF
state_dir = $dir/state
max_message_size = ${1:-2M}
staff_addresses = staff@example.jp
lock_timeout = 200
lmtp_max_sessions = 4
lmtp_timeout = 3s
smtp_url = smtp://127.0.0.1:1
CONF
}
write_conf
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
db=$dir/state/mailproc.db
count() { find "$dir/state/spool/incoming/$1" -type f | wc -l; }
tickets() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
lmtp() {	# lmtp PYTHON-CODE: with c = Client(unix socket), lhlo done
	PYTHONPATH=$E2E python3 -c "
import sys, time, os
from lmtpc import Client
SOCK = 'unix:$sock'
TCP = '127.0.0.1:$port'
def mail(mid, subject, body, frm='Taro <taro@example.com>', extra=''):
    return ((extra + 'From: %s\nTo: support@example.jp\nSubject: %s\n'
             'Message-ID: <%s>\nDate: Mon, 4 Mar 2024 10:00:00 +0900\n\n%s\n')
            % (frm, subject, mid, body)).encode()
def want(got, exp, what):
    if got != exp:
        sys.exit('%s: got %r, want %r' % (what, got, exp))
$1
"
}
start() {	# start ARGS: the server in the background, listening
	local n
	n=$(cat "$dir/log" 2>/dev/null | grep -c 'lmtp: action=listen ' || true)
	"$MAILPROC" -d -c "$dir/conf" lmtp "$@" >> "$dir/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(grep -c 'lmtp: action=listen ' "$dir/log")" -gt "$n" ] &&
			return 0
		sleep 0.05
	done
	fail "the server did not come up"
}
wait_log() {	# wait_log TEXT: until the server logged it (10 s)
	for _ in $(seq 200); do
		grep -q "$1" "$dir/log" && return 0
		sleep 0.05
	done
	return 1
}
wait_processed() {	# until new/ is empty
	for _ in $(seq 100); do
		[ "$(count new)" = 0 ] && return 0
		sleep 0.05
	done
	fail "still $(count new) file(s) in new/"
}

start --listen "unix:$sock"

# 1. Two recipients, two replies after the final dot; the message is
#    processed by the server itself; a line starting with a dot is
#    unstuffed.
lmtp "
c = Client(SOCK)
want(c.lhlo()[0], 250, 'LHLO')
r = c.send('taro@example.com', ['support@example.jp', 'form@example.jp'],
           mail('m1@example.com', 'first', '.dotted line\nhello'))
want([x[0] for x in r], [250, 250], 'two recipients')
c.close()
" || fail "first delivery"
wait_processed
[ "$(tickets)" = 1 ] || fail "want 1 ticket, got $(tickets)"
[ "$(count cur)" = 2 ] || fail "want 2 files in cur/, got $(count cur)"
grep -qx '.dotted line' "$dir"/state/spool/incoming/cur/* ||
	fail "dot-stuffing not undone"
if grep -q $'\r' "$dir"/state/spool/incoming/cur/*; then
	fail "CRLF kept in the spool file"
fi

# 1b. A DATA larger than what a session keeps in memory (256 KB) goes
#     through a scratch file: both recipients' spool files hold all of it,
#     the same bytes as a small message would.
lmtp "
c = Client(SOCK)
c.lhlo()
body = ''.join('line %06d of a long log\n' % i for i in range(40000))
r = c.send('taro@example.com', ['support@example.jp', 'form@example.jp'],
           mail('big1@example.com', 'long log', body + '.last line'))
want([x[0] for x in r], [250, 250], 'large message, two recipients')
c.close()
" || fail "large message"
wait_processed
big=$(grep -l 'big1@example.com' "$dir"/state/spool/incoming/cur/*)
[ "$(printf '%s\n' "$big" | wc -l)" = 2 ] || fail "want 2 spool files for the large message"
for f in $big; do
	[ "$(sed 1d "$f" | wc -c)" -gt 1000000 ] || fail "$f is cut short"
	grep -qx '.last line' "$f" || fail "$f lacks its last line"
	grep -qx 'line 039999 of a long log' "$f" || fail "$f lacks its end"
done
[ "$(sed 1d $(printf '%s\n' "$big" | head -1) | md5sum)" = \
  "$(sed 1d $(printf '%s\n' "$big" | tail -1) | md5sum)" ] ||
	fail "the two recipients' copies differ"
[ "$(count tmp)" = 0 ] || fail "the scratch file was left in tmp/"

# 2. Protocol order and limits: HELO refused, MAIL before LHLO, 552 for
#    SIZE= and for the DATA itself, an overlong line; nothing left behind.
lmtp "
c = Client(SOCK)
want(c.cmd('HELO x')[0], 500, 'HELO')
want(c.cmd('MAIL FROM:<a@b>')[0], 503, 'MAIL before LHLO')
c.lhlo()
want(c.cmd('RCPT TO:<a@b>')[0], 503, 'RCPT before MAIL')
want(c.send('a@b', ['support@example.jp'], b'x', size=3000000)[0][0], 552,
     'SIZE over the limit')
r = c.send('a@b', ['support@example.jp', 'form@example.jp'],
           b'Subject: big\n\n' + b'x' * 3000000 + b'\n')
want([x[0] for x in r], [552, 552], 'DATA over the limit')
want(c.cmd('X' * 5000)[0], 500, 'overlong line')
want(c.cmd('NOOP')[0], 250, 'NOOP after it')
want(c.cmd('RSET')[0], 250, 'RSET')
c.close()
" || fail "protocol"
[ "$(count tmp)" = 0 ] || fail "a refused message left a file in tmp/"
[ "$(tickets)" = 2 ] || fail "a refused message made a ticket"

# 2b. The spool cannot take the message (new/ is not a directory): 451
#     for the recipient, nothing acknowledged, nothing left in tmp/.
mv "$dir/state/spool/incoming/new" "$dir/new.saved"
touch "$dir/state/spool/incoming/new"
lmtp "
c = Client(SOCK)
c.lhlo()
r = c.send('a@b', ['support@example.jp'], mail('m451@example.com', 'x', 'x'))
want(r[0][0], 451, 'spool failure')
want(c.cmd('NOOP')[0], 250, 'session goes on')
c.close()
" || fail "451 on a spool failure"
rm "$dir/state/spool/incoming/new"
mv "$dir/new.saved" "$dir/state/spool/incoming/new"
[ "$(count tmp)" = 0 ] || fail "a failed spool left a file in tmp/"

# 3. The SASL login.  Above the first Received (our smtpd's prepend) on
#    the unix socket: staff.  Below it (written by the client): ignored,
#    a spoofing attempt.  From TCP with lmtp_trust_tcp = no: ignored.
t=$(mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
staffmail() {	# staffmail SPEC HEADERS-BEFORE-FROM MSGID
	lmtp "
c = Client($1)
c.lhlo()
m = ('$2' + 'From: staff@example.jp\nTo: support+$t@example.jp\n'
     'Subject: Re: [SUPPORT#$t] first\nMessage-ID: <$3>\n\nanswer\n')
want(c.send('staff@example.jp', ['support+$t@example.jp'], m.encode())[0][0],
     250, 'staff mail')
c.close()
"
}
spoofs() { sqlite3 "$db" "SELECT count(*) FROM history WHERE event = 'spoofing'"; }
relays() { sqlite3 "$db" "SELECT count(*) FROM outbox WHERE template = 'staff-reply'"; }
staffmail SOCK 'Received: from client (client [192.0.2.1])\nX-Mailproc-Login: staff@example.jp\n' forged@example.jp ||
	fail "forged mail"
wait_processed
[ "$(spoofs)" = 1 ] || fail "forged login header: want 1 spoofing, got $(spoofs)"
[ "$(relays)" = 0 ] || fail "forged login header relayed as staff"
grep -q 'header=X-Mailproc-Login action=ignored reason="below Received' "$dir/log" ||
	fail "forged header not logged"
staffmail SOCK 'X-Mailproc-Login: staff@example.jp\nReceived: from submission (client [192.0.2.2])\n' real@example.jp ||
	fail "staff mail"
wait_processed
[ "$(relays)" = 1 ] || fail "login header from our smtpd not trusted"
[ "$(spoofs)" = 1 ] || fail "trusted staff mail recorded as spoofing"
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
pid=
start --listen "127.0.0.1:$port"
staffmail TCP 'X-Mailproc-Login: staff@example.jp\nReceived: from submission\n' tcp@example.jp ||
	fail "staff mail over TCP"
wait_processed
[ "$(spoofs)" = 2 ] || fail "login header over TCP trusted"
grep -q 'action=ignored reason="peer not trusted"' "$dir/log" ||
	fail "untrusted TCP login not logged"
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM (tcp)"
pid=
start --listen "unix:$sock"

# 4. Processing fails (database locked past lock_timeout): 250 anyway,
#    the file stays in new/, and `run --once` files it.
python3 - "$db" "$dir/locked" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(5)
db.execute("ROLLBACK")
PY
locker=$!
for _ in $(seq 100); do [ -f "$dir/locked" ] && break; sleep 0.05; done
n0=$(tickets 2>/dev/null || echo 0)
lmtp "
c = Client(SOCK)
c.lhlo()
want(c.send('taro@example.com', ['support@example.jp'],
            mail('locked@example.com', 'while locked', 'x'))[0][0], 250,
     'delivery while the database is locked')
c.close()
" || fail "delivery while locked"
wait_log 'action=retry-later status=deferred' ||
	fail "processing did not fail while the database was locked"
[ "$(count new)" = 1 ] || fail "want the mail in new/ while locked, got $(count new)"
wait "$locker"
mp run --once >/dev/null 2>&1 || true
[ "$(count new)" = 0 ] || fail "run did not take the mail left in new/"
sqlite3 "$db" "SELECT count(*) FROM messages WHERE message_id = 'locked@example.com'" |
	grep -qx 1 || fail "the mail left in new/ was not filed by run"

# 5. At most lmtp_max_sessions (4): the fifth is answered 421.  An idle
#    session is closed after lmtp_timeout (3s) with 421.
lmtp "
cs = [Client(SOCK) for _ in range(4)]
for c in cs:
    want(c.greeting[0], 220, 'greeting')
c5 = Client(SOCK)
want(c5.greeting[0], 421, 'fifth session')
t0 = time.time()
r = cs[0].reply()
want(r[0], 421, 'idle timeout')
if not 2 <= time.time() - t0 <= 6:
    sys.exit('timeout after %.1fs' % (time.time() - t0))
" || fail "session limit / timeout"

# 6. SIGHUP: a broken configuration is refused and the old one kept; a
#    good one is taken (a smaller max_message_size shows it).
echo 'max_message_size = lots' >> "$dir/conf"
kill -HUP "$pid"
wait_log 'action=reload status=refused kept=configuration' ||
	fail "bad reload not logged"
lmtp "
c = Client(SOCK)
c.lhlo()
want(c.send('a@b', ['support@example.jp'],
            mail('hup1@example.com', 'after bad hup', 'x' * 20000))[0][0],
     250, 'old config kept')
c.close()
" || fail "after a bad SIGHUP"
write_conf 10K
kill -HUP "$pid"
wait_log 'reloaded configuration, rules and model' ||
	fail "good reload not logged"
lmtp "
c = Client(SOCK)
c.lhlo()
want(c.send('a@b', ['support@example.jp'],
            mail('hup2@example.com', 'after good hup', 'x' * 20000))[0][0],
     552, 'new max_message_size')
c.close()
" || fail "after a good SIGHUP"
write_conf

# 7. SIGTERM drains: an idle session gets 421 at once; a DATA under way
#    is finished and answered 250, then 421; the server exits 0.
lmtp "
idle = Client(SOCK)
idle.lhlo()
c = Client(SOCK)
c.lhlo()
c.cmd('MAIL FROM:<taro@example.com>')
c.cmd('RCPT TO:<support@example.jp>')
want(c.cmd('DATA')[0], 354, 'DATA')
m = mail('drain@example.com', 'during drain', 'x')
c.raw(m[:40].replace(b'\n', b'\r\n'))
os.kill($pid, 15)
t0 = time.time()
want(idle.reply()[0], 421, 'idle session on SIGTERM')
if time.time() - t0 > 2:
    sys.exit('idle session not told at once')
c.raw(m[40:].replace(b'\n', b'\r\n') + b'.\r\n')
want(c.reply()[0], 250, 'DATA under way finished')
want(c.reply()[0], 421, 'then 421 while draining')
" || fail "drain"
wait "$pid" || fail "exit status $? after SIGTERM"
pid=
[ ! -e "$sock" ] || fail "socket left behind"
n=$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE message_id = 'drain@example.com'")
[ "$n" = 1 ] || [ "$(count new)" = 1 ] || fail "the drained mail is neither filed nor in new/"

# 8. SIGKILL in the middle of a stream over two sessions: the next server
#    files what the killed one left in new/; every message that got its
#    250 is filed exactly once; the others were never promised (Postfix
#    would send them again).
start --listen "unix:$sock"
lmtp "
import threading
acked, lock = [], threading.Lock()
def stream(k):
    try:
        c = Client(SOCK)
        c.lhlo()
        for i in range(150):
            mid = 'kill%d-%d@example.com' % (k, i)
            r = c.send('taro@example.com', ['support@example.jp'],
                       mail(mid, 'kill %d %d' % (k, i), 'x'))
            if r[0][0] == 250:
                with lock:
                    acked.append(mid)
    except (OSError, ValueError):
        pass
ts = [threading.Thread(target=stream, args=(k,)) for k in range(2)]
for t in ts:
    t.start()
while True:
    with lock:
        if len(acked) >= 60:
            break
    time.sleep(0.001)
os.kill($pid, 9)
for t in ts:
    t.join()
open('$dir/acked', 'w').write('\\n'.join(acked) + '\\n')
print(len(acked), 'acked before SIGKILL')
" || fail "stream before SIGKILL"
wait "$pid" 2>/dev/null || true
pid=
# A new server files what the killed one left in new/, before `run`
# (one more is put there by hand, so that there is at least one).
printf 'From: taro@example.com\nTo: support@example.jp\nSubject: left\nMessage-ID: <left1@example.com>\n\nleft in new/\n' \
	> "$dir/state/spool/incoming/new/1796000000.000000.1.handmade"
left=$(find "$dir/state/spool/incoming/new" -type f ! -name '.*' | wc -l)
start --listen "unix:$sock"
wait_processed
wait_log "action=pickup messages=$left from=new" ||
	fail "the restarted server did not say it took the $left left in new/"
[ "$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE message_id = 'left1@example.com'")" = 1 ] ||
	fail "the message left in new/ was not filed by the restarted server"
kill -TERM "$pid"
wait "$pid" || fail "exit $? after SIGTERM"
pid=
mp run --once >/dev/null 2>&1 || fail "run --once after SIGKILL"
[ "$(count new)" = 0 ] || fail "run left $(count new) file(s) in new/"
while read -r mid; do
	n=$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE message_id = '$mid'")
	[ "$n" = 1 ] || fail "$mid got 250 before SIGKILL but is filed $n times"
done < "$dir/acked"

# 9. The batch commit fails: the database lives on a small tmpfs (through
#    a symlink; the spool stays on the disk), which is filled after the
#    database is made.  Every message still gets its 250 (it is spooled);
#    the commit fails, and none of the batch leaves new/ or reaches the
#    database, nor is logged as filed.  With room again, `run --once` files each exactly once.
fs=$dir/dbfs
mkdir -p "$fs"
if mount -t tmpfs -o size=2m,mode=755 tmpfs "$fs" 2>"$dir/mount.err"; then
	mounted=$fs
	rm -rf "$dir/state"
	mkdir -p "$dir/state"
	ln -s "$fs/mailproc.db" "$dir/state/mailproc.db"
	start --listen "unix:$sock"
	lmtp "
c = Client(SOCK)
c.lhlo()
want(c.send('taro@example.com', ['support@example.jp'],
            mail('full0@example.com', 'before full', 'x'))[0][0], 250, 'seed')
c.close()
" || fail "seed before the full filesystem"
	wait_processed
	[ "$(count cur)" = 1 ] || fail "the seed was not filed"
	dd if=/dev/zero of="$fs/filler" bs=4k 2>/dev/null || true
	logpos=$(wc -l < "$dir/log")
	lmtp "
import threading
bad = []
def stream(k):
    c = Client(SOCK)
    c.lhlo()
    for i in range(10):
        r = c.send('taro@example.com', ['support@example.jp'],
                   mail('full%d-%d@example.com' % (k, i), 'full %d %d' % (k, i),
                        'text %d %d' % (k, i)))
        if r[0][0] != 250:
            bad.append(r)
    c.close()
ts = [threading.Thread(target=stream, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
want(bad, [], 'replies while the database is full')
" || fail "stream onto a full database"
	for _ in $(seq 100); do
		tail -n +"$((logpos + 1))" "$dir/log" | grep -q 'status=failed' && break
		sleep 0.05
	done
	tail -n +"$((logpos + 1))" "$dir/log" > "$dir/log.full"
	grep -q 'action=commit status=failed' "$dir/log.full" ||
		fail "no failed commit logged: $(tail -n 3 "$dir/log.full")"
	if grep 'msgid=<full[0-9]' "$dir/log.full" | grep -q 'status=ok'; then
		fail "a message of a failed batch was logged as filed"
	fi
	sleep 0.5
	[ "$(count cur)" = 1 ] ||
		fail "$(($(count cur) - 1)) message(s) left new/ although their batch failed"
	[ "$(count new)" = 40 ] || fail "want 40 messages in new/, got $(count new)"
	rm -f "$fs/filler"
	kill -TERM "$pid"
	wait "$pid" || fail "exit $? after SIGTERM"
	pid=
	mp run --once >/dev/null 2>&1 || fail "run --once after the full database"
	[ "$(count new)" = 0 ] || fail "run left $(count new) file(s) in new/"
	n=$(sqlite3 "$db" "SELECT count(*), count(DISTINCT message_id) FROM messages
		WHERE direction = 'in' AND message_id LIKE 'full%'")
	[ "$n" = "41|41" ] || fail "after the full database: messages, distinct = $n, want 41|41"
	grep 'action=commit status=failed' "$dir/log.full" | head -1 |
		sed 's/^/0310-lmtp: full database: /' >&2
	umount "$fs"
	mounted=
else
	echo "0310-lmtp: SKIP full database: cannot mount a tmpfs: $(cat "$dir/mount.err")" >&2
fi
echo "PASS 0310-lmtp"
