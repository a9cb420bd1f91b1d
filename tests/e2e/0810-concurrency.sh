#!/bin/bash
# Concurrency: rounds of 16 deliveries at once on one database while a
# `run` loop processes and sends (to a local smtp-sink) beside them.
#
# Each round has 12 new requests, 2 replies (In-Reply-To) to requests of
# the round before, and one message delivered twice at the same moment.
# Every delivery must exit 0 with nothing on stderr (a "database is
# locked" may delay processing to `run`, never surface as an error); at
# the end, after SIGTERM to the loop (exit 0) and a last `run --once`:
# new/ and failed/ are empty, every message is stored exactly once, the
# replies joined their request's ticket, and there is one ticket per
# request, none more.
#
# Then two `run --once` at the same time on one outbox must not send a
# mail twice (the runner lock turns the second away; rows are also claimed
# one by one).  MP_TEST_TWO_RUNNERS=0 skips that part.
set -eu
# Hundreds of processes: the plain build when the suite runs under ASan.
MAILPROC=${MAILPROC_PLAIN:-${MAILPROC:-./bin/mailproc}}
MAILPROC=$(readlink -f "$MAILPROC")
rounds=${MP_CONC_ROUNDS:-8}
dir=$(mktemp -d /tmp/mp-0810.XXXXXX)
chmod 755 "$dir"
sink_pid=
run_pid=
cleanup() {
	[ -z "$run_pid" ] || kill -KILL "$run_pid" 2>/dev/null || true
	[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL 0810-concurrency: $*" >&2; exit 1; }
note() { echo "0810-concurrency: $*" >&2; }
port=$((20000 + RANDOM % 20000))
cat > "$dir/mailproc.conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:$port
smtp_timeout = 5s
CONF
mp() { "$MAILPROC" -c "$dir/mailproc.conf" "$@"; }
db=$dir/state/mailproc.db
sql() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; }
spool=$dir/state/spool/incoming
export MAILPROC_NOW=1796000400	# Monday 10:00 JST

mkdir -p "$dir/msg" "$dir/out" "$dir/sink"
chown postfix "$dir/sink"
smtp-sink -u postfix -d "$dir/sink/%Y%m%d%H%M%S." "127.0.0.1:$port" 100 &
sink_pid=$!
for i in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

new_mail() {	# new_mail R I: request I of round R
	printf 'From: Customer <r%dc%d@customer.example.co.jp>\nTo: support@example.jp\nSubject: request %d.%d\nMessage-ID: <req-%d-%d@customer.example.co.jp>\nDate: Mon, 30 Nov 2026 09:59:00 +0900\n\nPlease reboot web%d.\n' \
		"$1" "$2" "$1" "$2" "$1" "$2" "$2"
}
reply_mail() {	# reply_mail R I: a reply to request I of round R - 1
	printf 'From: Customer <r%dc%d@customer.example.co.jp>\nTo: support@example.jp\nSubject: Re: request %d.%d\nMessage-ID: <reply-%d-%d@customer.example.co.jp>\nIn-Reply-To: <req-%d-%d@customer.example.co.jp>\nReferences: <req-%d-%d@customer.example.co.jp>\nDate: Mon, 30 Nov 2026 10:01:00 +0900\n\nAny news?\n' \
		"$(($1 - 1))" "$2" "$(($1 - 1))" "$2" "$1" "$2" "$(($1 - 1))" \
		"$2" "$(($1 - 1))" "$2"
}

deliver() {	# deliver NAME: msg/NAME.eml; status and stderr into out/
	local rc=0
	mp deliver --sender "sender@customer.example.co.jp" \
		--recipient support@example.jp < "$dir/msg/$1.eml" \
		2>"$dir/out/$1.err" || rc=$?
	echo "$rc" > "$dir/out/$1.rc"
}

mp outbox list >/dev/null || fail "outbox list: exit $?"	# makes the db
"$MAILPROC" -c "$dir/mailproc.conf" run 2>"$dir/run.err" &
run_pid=$!

names=()
for r in $(seq 1 "$rounds"); do
	batch=()
	for i in $(seq 1 12); do
		new_mail "$r" "$i" > "$dir/msg/new-$r-$i.eml"
		batch+=("new-$r-$i")
	done
	if [ "$r" -gt 1 ]; then
		for i in 1 2; do
			reply_mail "$r" "$i" > "$dir/msg/reply-$r-$i.eml"
			batch+=("reply-$r-$i")
		done
	else
		new_mail "$r" 13 > "$dir/msg/new-$r-13.eml"
		new_mail "$r" 14 > "$dir/msg/new-$r-14.eml"
		batch+=("new-$r-13" "new-$r-14")
	fi
	new_mail "$r" 99 > "$dir/msg/twice-$r.eml"
	cp "$dir/msg/twice-$r.eml" "$dir/msg/twice2-$r.eml"
	batch+=("twice-$r" "twice2-$r")
	[ "${#batch[@]}" = 16 ] || fail "round $r has ${#batch[@]} messages"
	for name in "${batch[@]}"; do
		deliver "$name" &
	done
	# (waits for the deliveries, not for run or the sink)
	for name in "${batch[@]}"; do
		while [ ! -e "$dir/out/$name.rc" ]; do sleep 0.05; done
	done
	names+=("${batch[@]}")
done

for name in "${names[@]}"; do
	rc=$(cat "$dir/out/$name.rc")
	[ "$rc" = 0 ] || fail "deliver $name exited $rc: $(cat "$dir/out/$name.err")"
	[ ! -s "$dir/out/$name.err" ] ||
		fail "deliver $name wrote to stderr: $(head -3 "$dir/out/$name.err")"
done
left=$(find "$spool/new" -type f | wc -l)
note "$((${#names[@]})) deliveries in $rounds rounds of 16, all exit 0;" \
	"$left left in new/ for run"

kill -TERM "$run_pid"
rc=0
wait "$run_pid" || rc=$?
run_pid=
[ "$rc" = 0 ] || fail "the run loop exited $rc on SIGTERM: $(tail -3 "$dir/run.err")"
! grep -qi 'locked' "$dir/run.err" ||
	fail "run reported a lock: $(grep -i locked "$dir/run.err" | head -3)"
mp run --once 2>>"$dir/run.err" || fail "final run --once: exit $?"
[ -z "$(ls -A "$spool/new")" ] ||
	fail "$(ls "$spool/new" | wc -l) file(s) left in new/ after run --once"
[ -z "$(ls -A "$dir/state/spool/failed" 2>/dev/null)" ] ||
	fail "spool/failed: $(ls "$dir/state/spool/failed")"
[ "$(sql 'PRAGMA integrity_check')" = ok ] || fail "integrity check"

# Every message once; the twin deliveries once each.
want=$((rounds * 15))
got=$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")
distinct=$(sql "SELECT count(DISTINCT message_id) FROM messages
		WHERE direction = 'in'")
[ "$distinct" = "$want" ] || fail "$distinct distinct messages stored, want $want"
[ "$got" = "$want" ] || fail "$got messages stored for $want distinct ones:" \
	"$(sql "SELECT message_id, count(*) FROM messages GROUP BY 1
		HAVING count(*) > 1" | head -3)"
# One ticket per request; replies joined their request's ticket.
requests=$((15 + 13 * (rounds - 1)))
tickets=$(mp ticket list --json | python3 -c \
	'import json, sys; print(len(json.load(sys.stdin)))')
[ "$tickets" = "$requests" ] || fail "$tickets tickets, want $requests"
ticket_of() {
	sql "SELECT ticket FROM messages WHERE message_id = '$1'"
}
for r in $(seq 2 "$rounds"); do
	for i in 1 2; do
		a=$(ticket_of "reply-$r-$i@customer.example.co.jp")
		b=$(ticket_of "req-$((r - 1))-$i@customer.example.co.jp")
		[ -n "$a" ] && [ "$a" = "$b" ] ||
			fail "reply-$r-$i is in ticket '$a', its request in '$b'"
	done
done
dup_tickets=$(sql "SELECT subject FROM tickets GROUP BY subject
		   HAVING count(*) > 1")
[ -z "$dup_tickets" ] || fail "duplicate tickets: $dup_tickets"
sending=$(sql "SELECT count(*) FROM outbox WHERE state = 'sending'")
[ "$sending" = 0 ] || fail "$sending outbox rows left 'sending'"
if [ "${MP_TEST_TWO_RUNNERS:-1}" = 1 ]; then
	sql "UPDATE outbox SET state = 'queued', attempts = 0, next_attempt = 0"
	rows=$(sql "SELECT count(*) FROM outbox")
	before=$(find "$dir/sink" -type f | wc -l)
	"$MAILPROC" -c "$dir/mailproc.conf" run --once 2>>"$dir/run.err" &
	a=$!
	"$MAILPROC" -c "$dir/mailproc.conf" run --once 2>>"$dir/run.err" &
	b=$!
	wait "$a" "$b" || true
	sleep 0.5
	got=$(($(find "$dir/sink" -type f | wc -l) - before))
	[ "$got" = "$rows" ] ||
		fail "two runners sent $got mails for $rows outbox rows"
fi
echo "ok: concurrency ($((${#names[@]})) deliveries, $tickets tickets," \
	"$(sql "SELECT count(*) FROM outbox WHERE state = 'sent'") mails sent)"
