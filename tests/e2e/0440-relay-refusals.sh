#!/bin/bash
# One bad relay answer does not fail the outbox (issue 13).  A 554
# greeting, or a 550 to MAIL FROM:<>, is the relay's problem: every mail
# stays queued and staff are told once; mail from a sender the relay
# takes still goes out.  A 550 to one RCPT fails that mail alone.
# `outbox retry ID|--failed` puts failed mail back.  Runs against a
# scripted relay on a random loopback port.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
MAILPROC=$(readlink -f "$MAILPROC")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/mp-0440.XXXXXX)
relay=
cleanup() {
	[ -n "$relay" ] && kill "$relay" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
port=$((20000 + RANDOM % 20000))
mp() { "$MAILPROC" -c "$dir/mailproc.conf" "$@"; }
db=$dir/state/mailproc.db
export MAILPROC_NOW=1796000400	# Monday 2026-11-30 10:00 JST

start_relay() {	# start_relay [fake-relay options...]
	if [ -n "$relay" ]; then kill "$relay"; wait "$relay" 2>/dev/null || true; fi
	python3 "$here/fake-relay.py" "$port" "$dir/relay.log" "$@" &
	relay=$!
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "fake relay did not start"
}
count() { sqlite3 "$db" "SELECT count(*) FROM outbox WHERE $1"; }
fresh() {
	rm -rf "$dir/state"; : > "$dir/relay.log"
	cat > "$dir/mailproc.conf" <<CONF
state_dir = $dir/state
smtp_url = smtp://127.0.0.1:$port
staff_addresses = staff@example.jp
staff_logins = staff@example.jp=staff@example.jp
smtp_timeout = 5s
CONF
	for n in 1 2 3; do
		printf 'From: taro%s@example.com\nTo: support@example.jp\nSubject: question %s\nMessage-ID: <q%s@example.com>\n\nHow do I use the disk?\n' $n $n $n |
			mp deliver --sender taro$n@example.com --recipient support@example.jp || fail "deliver $n"
	done
}

# 1. A 554 greeting: nothing fails, staff are told once.
fresh
start_relay --banner 554
mp run --once 2>/dev/null || true
MAILPROC_NOW=$((MAILPROC_NOW + 7200)) mp run --once 2>/dev/null || true
[ "$(count "state = 'failed'")" = 0 ] || fail "554 greeting: $(count "state = 'failed'") mails failed for good"
[ "$(count "template = 'staff-delivery-failure'")" = 1 ] || fail "554 greeting: $(count "template = 'staff-delivery-failure'") relay notices, want 1"
start_relay
MAILPROC_NOW=$((MAILPROC_NOW + 3 * 3600)) mp run --once || fail "run with a good relay"
[ "$(count "state != 'sent'")" = 0 ] || fail "554 greeting then a good relay: $(count "state != 'sent'") not sent"

# 2. 550 to MAIL FROM:<>: automatic mail waits, a staff reply (sent from
#    the support address) still goes out.
fresh
printf 'From: staff@example.jp\nTo: support+1@example.jp\nSubject: Re: [SUPPORT#1] question 1\nMessage-ID: <s1@example.jp>\n\nUse /data.\n' |
	mp deliver --sender staff@example.jp --recipient support+1@example.jp --sasl-user staff@example.jp || fail "staff deliver"
start_relay --null-from 550
mp run --once 2>/dev/null || true
[ "$(count "state = 'failed'")" = 0 ] || fail "550 to MAIL FROM:<>: $(count "state = 'failed'") mails failed for good"
[ "$(count "template = 'staff-reply' AND state = 'sent'")" = 1 ] || fail "550 to MAIL FROM:<>: the staff reply was not sent"
[ "$(count "template = 'staff-delivery-failure'")" = 1 ] || fail "550 to MAIL FROM:<>: want one relay notice"

# 3. 550 to one RCPT fails that mail alone; outbox retry requeues it.
fresh
start_relay --rcpt taro2@example.com=550
mp run --once 2>/dev/null || true
[ "$(count "state = 'failed'")" = 1 ] || fail "550 to one RCPT: $(count "state = 'failed'") failed, want 1"
[ "$(count "state = 'failed' AND to_addr = 'taro2@example.com'")" = 1 ] || fail "550 to one RCPT: the wrong mail failed"
id=$(sqlite3 "$db" "SELECT id FROM outbox WHERE state = 'failed'")
mp outbox retry "$id" | grep -qx '1 mail requeued' || fail "outbox retry ID"
[ "$(sqlite3 "$db" "SELECT state FROM outbox WHERE id = $id")" = queued ] || fail "retry did not requeue"
mp outbox retry 99999 2>/dev/null && fail "retry of no such mail succeeded"
start_relay
mp run --once 2>/dev/null || fail "run after retry"
[ "$(sqlite3 "$db" "SELECT state FROM outbox WHERE id = $id")" = sent ] || fail "retried mail not sent"
sqlite3 "$db" "UPDATE outbox SET state = 'failed' WHERE id IN (1, 2)"
mp outbox retry --failed | grep -qx '2 mails requeued' || fail "outbox retry --failed"
echo "ok: relay refusals"
