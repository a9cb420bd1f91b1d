#!/bin/bash
# The Postfix end-to-end scripts again, with Postfix's lmtp client handing
# the mail to a resident `mailproc lmtp` on a unix socket instead of the
# pipe (a stack of its own, MP_TRANSPORT=lmtp, ports 10 above the main
# stack's): 0100 (delivery, duplicates, the acknowledgement), 0710 (staff
# replies over SASL submission) and 0720 (the staff trust cases).  Then
# the LMTP login header itself: a client's own X-Mailproc-Login, through
# the customer port or below the submission smtpd's Received: line, never
# makes a mail staff's; the real one (PREPENDed by check_sasl_access)
# does.  Last, issue 18: `mailproc lmtp` SIGKILLed while Postfix hands it
# a 2,000-message stream; after a restart and Postfix's retries each of
# the 2,000 is filed exactly once (those spooled but not filed by the
# dead server by `run --once`), nothing bounces, nothing is left in new/.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
base=${MP_PORT_BASE:-2525}
stack=$(mktemp -d /tmp/mp-lmtp-stack.XXXXXX)
chmod 755 "$stack"
trap '"$here/stack.sh" stop "$stack" >/dev/null 2>&1; rm -rf "$stack"' EXIT
fail() { echo "FAIL 3000-postfix-over-lmtp: $*" >&2; exit 1; }
MP_PORT_BASE=$((base + 10)) MP_TRANSPORT=lmtp MP_STACK_DOVECOT=1 \
	"$here/stack.sh" start "$stack" >/dev/null 2>&1 ||
	fail "the LMTP stack did not start"
for t in 0100-postfix-deliver 0710-staff-via-postfix 0720-staff-trust-postfix; do
	MP_STACK=$stack "$here/$t.sh" >"$stack/$t.out" 2>&1 ||
		fail "$t over LMTP: $(tail -n 5 "$stack/$t.out")"
done

MP_STACK=$stack
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# lib.sh's EXIT trap replaces ours: stop the LMTP stack through it.
at_exit "'$here/stack.sh' stop '$stack' >/dev/null 2>&1; rm -rf '$stack'"
MP_TEST=3000-postfix-over-lmtp
db=$MP_STACK/state/mailproc.db
q() { sqlite3 "$db" "$1"; }
[ "$MP_TRANSPORT" = lmtp ] || fail "the stack is not on LMTP"
send_mail --from customer@example.com --to support@example.jp \
	--header 'Subject: disk' --header 'Message-ID: <seed.lmtp@example.com>' \
	--body 'ディスク容量について教えてください。'
wait_delivered 1
t=$(q "SELECT max(id) FROM tickets")
staff_reply() {	# staff_reply N MESSAGE-ID: the direction of that message
	q "SELECT direction FROM messages WHERE message_id = '$2'"
}
# 1. Through the customer port, forged header and staff From.
send_mail --from staff@example.jp --to "support+$t@example.jp" \
	--header 'X-Mailproc-Login: staff@example.jp' --header 'From: staff@example.jp' \
	--header "Subject: Re: [SUPPORT#$t]" --header 'Message-ID: <forged1.lmtp@example.jp>' \
	--body 'forged answer 1'
wait_delivered 2
[ "$(staff_reply 2 forged1.lmtp@example.jp)" = in ] || fail "a forged login header through port 25 passed as staff"
# 2. The customer's own login on the submission port, with a forged copy
#    of the header below smtpd's Received: line.
_mp_swaks --server "127.0.0.1:$MP_STAFF_PORT" --auth PLAIN \
	--auth-user hanako@customer.example.com --auth-password hanako-secret \
	--from hanako@customer.example.com --to "support+$t@example.jp" \
	--header 'X-Mailproc-Login: staff@example.jp' --header 'From: staff@example.jp' \
	--header "Subject: Re: [SUPPORT#$t]" --header 'Message-ID: <forged2.lmtp@example.jp>' \
	--body 'forged answer 2'
wait_delivered 3
[ "$(staff_reply 3 forged2.lmtp@example.jp)" = in ] || fail "a forged login header below Received: passed as staff"
grep -q 'header=X-Mailproc-Login action=ignored' "$MP_STACK/lmtp.log" ||
	fail "the ignored header was not logged: $(tail -n 3 "$MP_STACK/lmtp.log")"
# 3. Staff's real login: the PREPENDed header counts.
send_staff_mail --from staff@example.jp --to "support+$t@example.jp" \
	--header "Subject: Re: [SUPPORT#$t]" --header 'Message-ID: <real.lmtp@example.jp>' \
	--body 'The quota is 100 GB.'
wait_delivered 4
[ "$(staff_reply 4 real.lmtp@example.jp)" = staff ] || fail "staff's SASL login over LMTP did not count"
# 4. Issue 18: SIGKILL the server in the middle of a 2,000-message stream.
#    Every message that got a 250 is filed exactly once; every other one
#    is retried by Postfix until it gets one; nothing bounces.
kill_n=2000 kill_at=300 ksec=$SECONDS
kmark=$(wc -l <"$MP_STACK/maillog")
klog() { tail -n +"$((kmark + 1))" "$MP_STACK/maillog"; }
kcount() { klog | grep -cE -- "$1" || true; }
sent_re="$MP_RELAY_RE.*status=sent"
deferred_re='to=<support@example\.jp>.*status=deferred'
new_dir=$MP_STACK/state/spool/incoming/new
in_new() { find "$new_dir" -type f ! -name '.*' | wc -l; }
# Four SMTP sessions into the customer port, each sending its share on one
# connection; a watchdog keeps a stuck session from hanging the script.
python3 - "$MP_SMTP_PORT" "$kill_n" >"$stack/kill-send.out" 2>&1 <<'PY' &
import email.utils, smtplib, sys, threading
port, n, conns = int(sys.argv[1]), int(sys.argv[2]), 4
errors = []
def stream(k):
    try:
        s = smtplib.SMTP('127.0.0.1', port, 'client.e2e.test', timeout=20)
        for i in range(k, n, conns):
            s.sendmail('customer@example.com', ['support@example.jp'],
                       'From: customer@example.com\r\nTo: support@example.jp\r\n'
                       'Subject: kill %d\r\nDate: %s\r\n'
                       'Message-ID: <kill-%d.lmtp@example.com>\r\n\r\n'
                       'message %d of the stream\r\n'
                       % (i, email.utils.formatdate(), i, i))
        s.quit()
    except Exception as e:
        errors.append('session %d: %r' % (k, e))
ts = [threading.Thread(target=stream, args=(k,), daemon=True) for k in range(conns)]
for t in ts:
    t.start()
for t in ts:
    t.join(40)
if errors or any(t.is_alive() for t in ts):
    print('not all sent:', errors or 'a session is stuck after 40 s')
    sys.exit(1)
PY
sender=$!
# shellcheck disable=SC2016
at_exit '[ -z "$sender" ] || kill "$sender" 2>/dev/null'
# Kill once a few hundred went through, while Postfix still has most of
# the stream to hand over.
t=0
while [ "$(kcount "$sent_re")" -lt "$kill_at" ]; do
	[ "$t" -lt 300 ] || fail "fewer than $kill_at delivered over LMTP after 30 s"
	sleep 0.1
	t=$((t + 1))
done
lpid=$(cat "$MP_STACK/run/lmtp.pid")
case $(tr '\0' ' ' <"/proc/$lpid/cmdline") in
*mailproc*lmtp*) ;;
*) fail "pid $lpid in run/lmtp.pid is not mailproc lmtp" ;;
esac
kill -KILL "$lpid"
t=0	# gone, or a zombie nobody reaps
while [ -e "/proc/$lpid" ] && ! grep -q '^State:.*Z' "/proc/$lpid/status" 2>/dev/null; do
	[ "$t" -lt 50 ] || fail "mailproc lmtp $lpid still alive 5 s after SIGKILL"
	sleep 0.1
	t=$((t + 1))
done
sent_kill=$(kcount "$sent_re") new_kill=$(in_new)
[ "$sent_kill" -lt "$kill_n" ] || fail "all $kill_n were delivered before the kill"
# Postfix takes the cut sessions and the refused connections as
# deferrals, not bounces.
t=0
while [ "$(kcount "$deferred_re")" = 0 ]; do
	[ "$t" -lt 200 ] || fail "no deferral logged 20 s after the kill"
	sleep 0.1
	t=$((t + 1))
done
assert_no_bounce
# What the killed server acknowledged: every status=sent line so far (no
# server is listening now).
klog | sed -n "s/.*: \([0-9A-F]*\): to=.*$MP_RELAY_RE.*status=sent.*/\1/p" |
	LC_ALL=C sort -u >"$stack/kill-acked.qid"
stored_kill=$(q "SELECT count(*) FROM messages WHERE direction = 'in'")
"$here/stack.sh" lmtp-restart "$MP_STACK" || fail "lmtp-restart after the kill failed"
# The restart keeps state/: nothing filed before the kill is gone.
[ "$(q "SELECT count(*) FROM messages WHERE direction = 'in'")" -ge "$stored_kill" ] ||
	fail "lmtp-restart lost filed messages (state/ emptied?)"
wait "$sender" || fail "sending the stream: $(tail -n 3 "$stack/kill-send.out")"
sender=
# Retries until the queue is empty; a flush also ends the "dead site"
# mark Postfix gave the socket.
t=0
while [ "$(queue_count)" != 0 ]; do
	[ "$t" -lt 80 ] || fail "$(queue_count) message(s) still queued 40 s after the restart"
	[ $((t % 4)) != 0 ] || postqueue -c "$MP_STACK/etc" -f
	sleep 0.5
	t=$((t + 1))
done
assert_no_bounce
# Spooled but not filed when the server died: what `run` is for.  The new
# server may still be filing its backlog, hence passes until new/ is empty.
t0=$SECONDS
while [ "$(in_new)" != 0 ]; do
	[ $((SECONDS - t0)) -lt 30 ] || fail "$(in_new) file(s) still in new/ after 30 s of runs"
	mp -d run --once >>"$stack/kill-run.out" 2>&1 ||
		fail "run --once: $(tail -n 3 "$stack/kill-run.out")"
	sleep 0.2
done
# Postfix got a 250 for each of the 2,000 in the end: the killed server's,
# or the new one's after a retry.
klog | sed -n 's/.*: \([0-9A-F]*\): message-id=<\(kill-[0-9]*\.lmtp@example\.com\)>.*/\1 \2/p' |
	LC_ALL=C sort -u >"$stack/kill-qid-mid"
[ "$(wc -l <"$stack/kill-qid-mid")" = "$kill_n" ] ||
	fail "Postfix took $(wc -l <"$stack/kill-qid-mid") of the $kill_n messages"
sent_all=$(klog | sed -n "s/.*: \([0-9A-F]*\): to=.*$MP_RELAY_RE.*status=sent.*/\1/p" |
	sort -u | wc -l)
[ "$sent_all" = "$kill_n" ] || fail "Postfix delivered $sent_all of the $kill_n messages"
# Each of the 2,000 in the database exactly once.
q "SELECT message_id, count(*) FROM messages WHERE direction = 'in'
	AND message_id LIKE 'kill-%.lmtp@example.com' GROUP BY message_id" >"$stack/kill-db"
n=$(wc -l <"$stack/kill-db")
[ "$n" = "$kill_n" ] || fail "$n of the $kill_n messages are in the database"
! grep -qv '|1$' "$stack/kill-db" ||
	fail "filed more than once: $(grep -v '|1$' "$stack/kill-db" | head -3)"
# So the ones the killed server acknowledged are filed once too; checked
# by name all the same, their Message-IDs from cleanup's lines.
LC_ALL=C join "$stack/kill-acked.qid" "$stack/kill-qid-mid" | cut -d' ' -f2 |
	LC_ALL=C sort -u >"$stack/kill-acked"
acked=$(wc -l <"$stack/kill-acked")
[ "$acked" = "$(wc -l <"$stack/kill-acked.qid")" ] ||
	fail "no Message-ID in the maillog for some acknowledged queue ids"
missing=$(cut -d'|' -f1 "$stack/kill-db" | LC_ALL=C sort | LC_ALL=C comm -23 "$stack/kill-acked" -)
[ -z "$missing" ] ||
	fail "acknowledged before the kill but not filed: $(echo "$missing" | head -n 5)"
# Resent after an unanswered DATA: filed once, the copy a duplicate.
dups=$(cat "$MP_STACK/lmtp.log" "$stack/kill-run.out" |
	grep -c 'msgid=<kill-[0-9]*\.lmtp@example\.com>.*action=duplicate' || true)
# Cut off in flight: Postfix's own lines, not its "temporarily suspended"
# copies for the mail queued behind them.
cut=$(kcount "$deferred_re \\(lost connection")
note "SIGKILL after $sent_kill of $kill_n delivered over LMTP ($acked acknowledged," \
	"$new_kill not yet filed); $(kcount "$deferred_re") deferral(s), $cut cut off;" \
	"$dups resent copy(ies) dropped as duplicates; $n filed once each" \
	"($((SECONDS - ksec)) s)"
pass
