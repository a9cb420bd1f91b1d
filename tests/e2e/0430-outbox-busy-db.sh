#!/bin/bash
# The database is locked past lock_timeout just after the relay accepted
# a mail (issue 13).  The runner retries the write, and when that is not
# enough notes the send in its journal: the next pass (or the next
# runner) marks the row sent.  Nothing is sent twice, nothing stays
# 'sending'.  Runs against a scripted relay on a random loopback port.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
MAILPROC=$(readlink -f "$MAILPROC")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/mp-0430.XXXXXX)
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
	[ -n "$relay" ] && { kill "$relay"; wait "$relay" 2>/dev/null || true; }
	python3 "$here/fake-relay.py" "$port" "$dir/relay.log" "$@" &
	relay=$!
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "fake relay did not start"
}
states() { sqlite3 "$db" "SELECT state FROM outbox ORDER BY id" | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }
received_twice() { cut -d' ' -f2 "$dir/relay.log" | sort | uniq -d; }

one_case() {	# one_case LOCK-SECONDS
	rm -rf "$dir/state" "$dir/relay.log"
	touch "$dir/relay.log"
	cat > "$dir/mailproc.conf" <<CONF
state_dir = $dir/state
smtp_url = smtp://127.0.0.1:$port
staff_addresses = staff@example.jp
smtp_timeout = 5s
lock_timeout = 100
# Every mail is counted: no staff digest (0740 has it).
staff_digest = no
CONF
	printf 'From: taro@example.com\nTo: support@example.jp\nSubject: question\nMessage-ID: <q1@example.com>\n\nHow do I use the disk?\n' |
		mp deliver --sender taro@example.com --recipient support@example.jp || fail "deliver"
	start_relay --lock-db "$db" --lock-seconds "$1"
	mp run --once 2>/dev/null || true	# may stop early: the database is busy
	sleep "$1"; sleep 0.5			# the lock is gone
	mp run --once 2>/dev/null || fail "second run: exit $?"
	mp run --once 2>/dev/null || fail "third run: exit $?"
	[ -z "$(received_twice)" ] || fail "lock ${1}s: sent twice: $(received_twice)"
	[ "$(wc -l < "$dir/relay.log")" = 2 ] || fail "lock ${1}s: relay got $(wc -l < "$dir/relay.log") mails, want 2"
	[ "$(states)" = " 2 sent;" ] || fail "lock ${1}s: outbox states $(states), want 2 sent"
	[ ! -e "$dir/state/outbox-sent" ] || fail "lock ${1}s: journal left behind"
}

# Locked for 1 s: the retried write succeeds in the same pass.
one_case 1
# Locked for 4 s: past the retries; the journal carries the send over.
one_case 4

echo "ok: outbox with a busy database"
