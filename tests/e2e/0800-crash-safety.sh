#!/bin/bash
# Crash safety (SPEC §0, §5): `deliver` killed with SIGKILL at random
# points, and `run` killed in the middle of sending.
#
# 1. Hundreds of deliveries, four at a time, each under `timeout -s KILL`
#    with a random delay drawn around deliver's own running time, so that
#    kills land before the spool, between spool and commit, and after.
#    Then `run --once`.  Every delivery that exited 0 is in the database
#    exactly once; no message is in it twice; deliver never exits with
#    anything but 0, 75 or a signal; every ticket is whole (it has its
#    message and the same outbox rows as every other); new/ is empty.
# 2. Postfix retries what was not acknowledged: each killed delivery is
#    delivered again, then `run --once`; now every message is in the
#    database exactly once.
# 3. `run` sending the queued mail to smtp-sink is killed with SIGKILL at
#    random moments, several times, then run to the end: every row ends
#    'sent', the sink got every mail at least once, and a mail that went
#    out twice is counted (at most one per kill: the one in flight).
#    A SIGTERM lets `run` finish cleanly with nothing left 'sending'.
#
# A killed deliver may leave a file in spool/incoming/tmp/: it was never
# acknowledged, so Postfix still has the message and delivers it again;
# the file is garbage, never processed.  The test counts and reports such
# files (see the note line); it fails only if one shows up in new/ or cur/.
#
# MP_SEED=N repeats a run's random choices.
set -eu
# Hundreds of processes: the plain build when the suite runs under ASan.
MAILPROC=${MAILPROC_PLAIN:-${MAILPROC:-./bin/mailproc}}
MAILPROC=$(readlink -f "$MAILPROC")
seed=${MP_SEED:-$$}
RANDOM=$seed
dir=$(mktemp -d /tmp/mp-0800.XXXXXX)
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
fail() { echo "FAIL 0800-crash-safety (MP_SEED=$seed): $*" >&2; exit 1; }
note() { echo "0800-crash-safety: $*" >&2; }
n=${MP_CRASH_MESSAGES:-240}
port=$((20000 + RANDOM % 20000))
cat > "$dir/mailproc.conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:$port
smtp_timeout = 5s
CONF
mp() { "$MAILPROC" -c "$dir/mailproc.conf" "$@"; }
db=$dir/state/mailproc.db
sql() { sqlite3 -cmd '.timeout 5000' "$db" "$@"; }
spool=$dir/state/spool/incoming
# Monday 2026-11-30 10:00 JST: business hours, nothing held.
export MAILPROC_NOW=1796000400

# The messages: each its own sender, subject and Message-ID.
mkdir -p "$dir/msg" "$dir/rc"
for i in $(seq 0 $((n - 1))); do
	printf 'From: Customer %d <c%d@customer.example.co.jp>\nTo: support@example.jp\nSubject: crash test %d\nMessage-ID: <crash%d@customer.example.co.jp>\nDate: Mon, 30 Nov 2026 09:59:00 +0900\nContent-Type: text/plain; charset=UTF-8\n\nサーバー web%d の再起動をお願いします。\n' \
		"$i" "$i" "$i" "$i" "$i" > "$dir/msg/$i.eml"
done

deliver_one() {	# deliver_one I [DELAY]: exit status into rc/I
	local rc=0
	if [ -n "${2:-}" ]; then
		timeout -s KILL "$2" "$MAILPROC" -c "$dir/mailproc.conf" \
			deliver --sender "c$1@customer.example.co.jp" \
			--recipient support@example.jp \
			< "$dir/msg/$1.eml" 2>>"$dir/deliver.err" || rc=$?
	else
		mp deliver --sender "c$1@customer.example.co.jp" \
			--recipient support@example.jp \
			< "$dir/msg/$1.eml" 2>>"$dir/deliver.err" || rc=$?
	fi
	echo "$rc" > "$dir/rc/$1"
}

deliver_batch() {	# deliver_batch I... four at a time, no kills
	local running=0 i
	for i in "$@"; do
		deliver_one "$i" &
		running=$((running + 1))
		if [ "$running" -ge 4 ]; then
			wait -n || true
			running=$((running - 1))
		fi
	done
	wait
}

# How long one delivery takes here, four at a time (the first one makes
# the database).
deliver_one 0
t0=$(date +%s%N)
deliver_batch 1 2 3 4 5 6 7 8
ms=$(( ($(date +%s%N) - t0) * 4 / 8 / 1000000 ))
[ "$ms" -ge 5 ] || ms=5
[ "$ms" -le 900 ] || ms=900
note "seed $seed, $n deliveries, one takes about $ms ms (four at a time)"

# --- 1. random SIGKILLs, four at a time ------------------------------------
running=0
for i in $(seq 9 $((n - 1))); do
	# 0 .. 1.5 x the running time, in ms: about a third run to the end.
	d=$((RANDOM % (ms * 3 / 2 + 1) + 1))
	# (2>/dev/null: bash's "Killed" notice; deliver's stderr is kept)
	deliver_one "$i" "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))" \
		2>/dev/null &
	running=$((running + 1))
	if [ "$running" -ge 4 ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait
killed=0 ok=0
for i in $(seq 0 $((n - 1))); do
	rc=$(cat "$dir/rc/$i")
	case $rc in
	0) ok=$((ok + 1)) ;;
	75|137) killed=$((killed + 1)) ;;
	*) fail "deliver of message $i exited $rc (only 0, 75 or a kill" \
		"may end it): $(tail -3 "$dir/deliver.err")" ;;
	esac
done
note "$ok deliveries exited 0, $killed were killed or answered 75"
[ "$killed" -gt 0 ] || fail "no delivery was killed: the test tested nothing"
[ "$ok" -gt 3 ] || fail "only $ok deliveries finished: kills too early"

tmp_left=$(find "$spool/tmp" -type f | wc -l)
new_left=$(find "$spool/new" -type f | wc -l)
note "after the kills: $tmp_left file(s) in tmp/, $new_left in new/"
mp run --once 2>"$dir/run.err" ||
	fail "run --once after the kills: exit $?: $(tail -3 "$dir/run.err")"

check_db() {	# check_db WHAT: every message at most once, tickets whole
	local what=$1 dups orphans shapes
	[ "$(sql 'PRAGMA integrity_check')" = ok ] ||
		fail "$what: database integrity check failed"
	dups=$(sql "SELECT message_id FROM messages WHERE direction = 'in'
		    GROUP BY message_id HAVING count(*) > 1")
	[ -z "$dups" ] || fail "$what: stored twice: $dups"
	orphans=$(sql "SELECT count(*) FROM tickets t WHERE NOT EXISTS
		       (SELECT 1 FROM messages m WHERE m.ticket = t.id)")
	[ "$orphans" = 0 ] || fail "$what: $orphans ticket(s) without a message"
	# Every message is alike, so every ticket has the same outbox rows.
	shapes=$(sql "SELECT count(DISTINCT c) FROM (SELECT t.id, (SELECT
		      count(*) FROM outbox o WHERE o.ticket = t.id) AS c
		      FROM tickets t)")
	[ "$shapes" = 1 ] || fail "$what: tickets with differing outbox rows:" \
		"$(sql "SELECT ticket, count(*) FROM outbox GROUP BY ticket
			HAVING count(*) != (SELECT count(*) FROM outbox
			WHERE ticket = 1)" | head -5)"
	[ -z "$(ls -A "$spool/new")" ] ||
		fail "$what: $(ls "$spool/new" | wc -l) file(s) left in new/"
	[ -z "$(ls -A "$dir/state/spool/failed" 2>/dev/null)" ] ||
		fail "$what: file(s) in spool/failed: $(ls "$dir/state/spool/failed")"
}
in_db() {	# in_db I: how many times message I is stored
	sql "SELECT count(*) FROM messages WHERE direction = 'in' AND
	     message_id = 'crash$1@customer.example.co.jp'"
}

check_db "after the kills"
stored=$(sql "SELECT count(*) FROM messages WHERE direction = 'in'")
for i in $(seq 0 $((n - 1))); do
	if [ "$(cat "$dir/rc/$i")" = 0 ] && [ "$(in_db "$i")" != 1 ]; then
		fail "message $i: deliver exited 0 but it is stored $(in_db "$i") times"
	fi
done
note "stored: $stored (the $ok acknowledged and $((stored - ok)) killed late)"

# A leftover tmp/ file is never one that was processed.
for f in "$spool"/tmp/*; do
	[ -e "$f" ] || continue
	b=$(basename "$f")
	[ ! -e "$spool/new/$b" ] && [ ! -e "$spool/cur/$b" ] ||
		fail "tmp/$b also in new/ or cur/"
done

# --- 2. Postfix's retry of everything not acknowledged ----------------------
retry=()
for i in $(seq 0 $((n - 1))); do
	[ "$(cat "$dir/rc/$i")" = 0 ] || retry+=("$i")
done
deliver_batch "${retry[@]}"
for i in "${retry[@]}"; do
	[ "$(cat "$dir/rc/$i")" = 0 ] ||
		fail "retry of message $i: exit $(cat "$dir/rc/$i")"
done
mp run --once 2>"$dir/run.err" || fail "run --once after the retries: $?"
check_db "after the retries"
stored=$(sql "SELECT count(DISTINCT message_id) FROM messages
	      WHERE direction = 'in'")
[ "$stored" = "$n" ] || fail "after the retries: $stored of $n messages stored"
[ "$(sql 'SELECT count(*) FROM tickets')" = "$n" ] ||
	fail "want $n tickets, got $(sql 'SELECT count(*) FROM tickets')"

# --- 3. run killed while sending ----------------------------------------------
queued=$(sql "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')")
[ "$queued" -ge "$n" ] || fail "only $queued mails queued"
# The relay was down so far: make every retry due now.
sql "UPDATE outbox SET next_attempt = 0 WHERE state = 'queued'"
mkdir -p "$dir/sink"
chown postfix "$dir/sink"
smtp-sink -u postfix -d "$dir/sink/%Y%m%d%H%M%S." "127.0.0.1:$port" 100 &
sink_pid=$!
for i in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
kills=0
for _ in 1 2 3 4 5; do
	left=$(sql "SELECT count(*) FROM outbox WHERE state != 'sent'")
	[ "$left" -gt 0 ] || break
	"$MAILPROC" -c "$dir/mailproc.conf" run --once 2>>"$dir/run.err" &
	run_pid=$!
	sleep "0.$(printf '%02d' $((RANDOM % 30 + 5)))"
	if kill -KILL "$run_pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$run_pid" 2>/dev/null || true
	run_pid=
done
sending=$(sql "SELECT count(*) FROM outbox WHERE state = 'sending'")
note "run killed $kills time(s); $sending row(s) left 'sending'"
[ "$kills" -gt 0 ] || note "run finished before every kill (fast machine)"

# A SIGTERM: run stops cleanly, nothing left 'sending'.
resent=$(sql "UPDATE outbox SET state = 'queued', attempts = 0
	      WHERE state = 'sent' AND id IN (SELECT id FROM outbox
	      WHERE state = 'sent' LIMIT 200); SELECT changes()")
before_term=$(find "$dir/sink" -type f | wc -l)
"$MAILPROC" -c "$dir/mailproc.conf" run --once 2>>"$dir/run.err" &
run_pid=$!
# Once it is sending (its signal handler is set by then).
for i in $(seq 100); do
	[ "$(find "$dir/sink" -type f | wc -l)" -gt "$before_term" ] && break
	sleep 0.05
done
kill -TERM "$run_pid" 2>/dev/null || true
rc=0
wait "$run_pid" || rc=$?
run_pid=
[ "$rc" = 0 ] || fail "run exited $rc on SIGTERM, want 0"
[ "$(sql "SELECT count(*) FROM outbox WHERE state = 'sending'")" = 0 ] ||
	fail "SIGTERM left rows 'sending'"

mp run --once 2>>"$dir/run.err" || fail "final run --once: exit $?"
states=$(sql "SELECT state || ':' || count(*) FROM outbox GROUP BY state")
[ "$states" = "sent:$(sql 'SELECT count(*) FROM outbox')" ] ||
	fail "after the final run, outbox states: $states"
sleep 0.5
kill "$sink_pid" 2>/dev/null || true
wait "$sink_pid" 2>/dev/null || true
sink_pid=
# Every mail at least once; count those that went twice (leaving aside
# the 200 sent again on purpose before the SIGTERM).
sql "SELECT message_id FROM outbox" | sort > "$dir/want"
grep -h -i '^Message-ID:' "$dir"/sink/* | sed 's/^[^<]*<//; s/>.*//' |
	sort > "$dir/got"
missing=$(comm -23 "$dir/want" <(sort -u "$dir/got") | wc -l)
[ "$missing" = 0 ] || fail "$missing mail(s) never reached the sink:" \
	"$(comm -23 "$dir/want" <(sort -u "$dir/got") | head -3)"
twice=$(( $(wc -l < "$dir/got") - $(wc -l < "$dir/want") - resent ))
note "sink: $(wc -l < "$dir/got") mails for $(wc -l < "$dir/want") rows;" \
	"$twice sent twice because of $kills kill(s); $resent resent on purpose"
[ "$twice" -le "$kills" ] ||
	fail "$twice mails sent twice for $kills kills (at most one per kill)"
if [ "$tmp_left" -gt 0 ]; then
	note "$tmp_left killed delivery(ies) left a file in spool/incoming/tmp/" \
	     "(never acknowledged, so Postfix delivers again; run does not" \
	     "clean tmp/)"
fi
echo "ok: crash safety ($n deliveries, $killed killed, $kills run kills)"
