#!/bin/bash
# `run` keeps sending while the spool is busy (issue 13): with a backlog
# that takes the runner several seconds, an acknowledgement queued before
# the pass reaches the relay while the backlog is still being processed,
# not after the last spooled message.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
MAILPROC=$(readlink -f "$MAILPROC")
dir=$(mktemp -d /tmp/mp-0840.XXXXXX)
relay=
cleanup() {
	[ -z "$relay" ] || kill "$relay" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL 0840-run-sends-while-busy: $*" >&2; exit 1; }
port=$((20000 + RANDOM % 20000))	# the scripted relay, off every stack's ports
st=$dir/state
printf 'state_dir = %s\nsmtp_url = smtp://127.0.0.1:%s\nstaff_addresses =\n' \
	"$st" "$port" > "$dir/conf"
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796000400	# Mon 2026-12-07 10:00 JST

python3 "$(dirname "$0")/fake-relay.py" "$port" "$dir/relay.log" &
relay=$!
for i in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
		2>/dev/null && break
	sleep 0.1
done

printf 'From: first@example.com\nTo: support@example.jp\nSubject: disk\nMessage-ID: <first@example.com>\n\nHow do I use the disk?\n' |
	mp deliver --sender first@example.com --recipient support@example.jp ||
	fail "deliver exit $?"
[ "$(sqlite3 "$st/mailproc.db" "SELECT count(*) FROM outbox WHERE state = 'queued'")" -ge 1 ] ||
	fail "no acknowledgement queued"

# The backlog: mail that `run` finds in new/, as after an outage.
n=400
for i in $(seq $n); do
	printf 'From: c%s@example.com\nTo: support@example.jp\nSubject: question %s\nMessage-ID: <b%s@example.com>\n\nPlease tell me how to change the DNS settings of my server, item %s.\n' \
		"$i" "$i" "$i" "$i" > "$st/spool/incoming/new/1700000000.$(printf %06d "$i").1.backlog"
done
start=$(date +%s.%N)
mp -d run --once 2> "$dir/run.log" || fail "run exit $?"
took=$(python3 -c "import time; print(round(time.time() - $start, 1))")
[ "$(ls "$st/spool/incoming/new" | wc -l)" = 0 ] || fail "backlog left"
python3 - "$dir/run.log" "$took" <<'PY' || fail "the acknowledgement waited for the backlog"
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
sent = [i for i, l in enumerate(lines) if "status=sent" in l
        and "first@example.com" in l]
filed = [i for i, l in enumerate(lines) if re.search(r"spool=\S+backlog .*status=ok", l)]
assert sent, "never sent"
assert len(filed) == 400, len(filed)
print("0840: pass took %ss; the ack went out after %d of %d backlog mails"
      % (sys.argv[2], sum(1 for i in filed if i < sent[0]), len(filed)))
assert sent[0] < filed[-1], "sent after the last backlog mail"
PY
grep -q 'first@example.com' "$dir/relay.log" || fail "relay did not get the ack"
echo "PASS 0840-run-sends-while-busy"
