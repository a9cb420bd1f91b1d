#!/bin/bash
# The promises of `deliver` without Postfix: exit codes, one ticket entry
# for a message delivered twice, a Message-ID reused by another message
# kept, a locked database leaving the message in new/ for `run`, and no
# partial file left behind.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0010.XXXXXX)
trap 'rm -rf "$dir"' EXIT
conf=$dir/mailproc.conf
printf 'state_dir = %s/state\nmax_message_size = 200K\nlock_timeout = 200\n' \
	"$dir" > "$conf"
mp() { "$MAILPROC" -c "$conf" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
count() { ls "$dir/state/spool/incoming/$1" | wc -l; }
tickets() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

mail() {	# mail MESSAGE-ID SUBJECT BODY
	printf 'From: Taro <taro@example.com>\nTo: support@example.jp\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 4 Mar 2024 10:00:00 +0900\n\n%s\n' "$2" "$1" "$3"
}

# 1. A plain delivery exits 0 and makes a ticket; the file ends in cur/.
mail a1@example.com "first" "hello" | mp deliver --sender taro@example.com \
	--recipient support@example.jp || fail "deliver exit $?"
[ "$(tickets)" = 1 ] || fail "want 1 ticket, got $(tickets)"
[ "$(count cur)" = 1 ] && [ "$(count new)" = 0 ] && [ "$(count tmp)" = 0 ] ||
	fail "spool not cur=1 new=0 tmp=0"

# 2. The same message again: still one ticket, one message.
mail a1@example.com "first" "hello" | mp deliver || fail "redeliver exit $?"
[ "$(tickets)" = 1 ] || fail "duplicate made a ticket"
n=$(mp ticket show 1 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["messages"]))')
[ "$n" = 1 ] || fail "duplicate stored twice: $n messages"

# 3. Another message reusing the Message-ID is kept, not dropped.
mail a1@example.com "other" "different body" | mp deliver || fail "exit $?"
[ "$(tickets)" = 2 ] || fail "reused Message-ID dropped: $(tickets) tickets"

# 4. Too big: 65 with a one-line reason, nothing left behind.
set +e
{ mail big@example.com big ""; head -c 300000 /dev/zero | tr '\0' x; } |
	mp deliver 2> "$dir/err"
rc=$?
set -e
[ $rc = 65 ] || fail "too big: exit $rc, want 65"
grep -q '^mailproc: deliver: message larger than' "$dir/err" ||
	fail "too big: stderr $(cat "$dir/err")"
[ "$(count tmp)" = 0 ] || fail "too big left a file in tmp/"

# 5. Database locked for longer than lock_timeout: exit 0, the message
#    stays in new/, and `run --once` files it once the lock is gone.
python3 - "$dir/state/mailproc.db" "$dir/locked" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(3)
db.execute("ROLLBACK")
PY
locker=$!
for i in $(seq 100); do [ -e "$dir/locked" ] && break; sleep 0.1; done
mail locked@example.com "while locked" "x" | mp deliver || fail "locked: exit $?"
[ "$(count new)" = 1 ] || fail "locked: want the message in new/"
wait $locker
mp run --once || fail "run --once exit $?"
[ "$(count new)" = 0 ] || fail "run left the message in new/"
[ "$(tickets)" = 3 ] || fail "run did not file it: $(tickets) tickets"

# 6. Unwritable spool: 75, never 0 or 1 (as a non-root user).
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	chmod 755 "$dir"
	chown -R nobody "$dir/state"
	chmod 500 "$dir/state/spool/incoming/tmp"
	set +e
	mail u1@example.com "unwritable" "x" |
		runuser -u nobody -- "$MAILPROC" -c "$conf" deliver 2>"$dir/err"
	rc=$?
	set -e
	[ $rc = 75 ] || fail "unwritable spool: exit $rc, want 75"
	grep -q '^mailproc: deliver: cannot spool' "$dir/err" ||
		fail "unwritable: stderr $(cat "$dir/err")"
fi

# 7. A broken configuration defers (75), it must not bounce.
printf 'state_dir = %s/state\nbogus = 1\n' "$dir" > "$dir/bad.conf"
set +e
mail b1@example.com "bad conf" "x" | "$MAILPROC" -c "$dir/bad.conf" deliver 2>/dev/null
rc=$?
set -e
[ $rc = 75 ] || fail "bad config: exit $rc, want 75"

# 8. A spool half made by a concurrent first delivery (tmp/ there, new/
#    not yet): the mail is still spooled, not deferred.
printf 'state_dir = %s/half\n' "$dir" > "$dir/half.conf"
mkdir -p "$dir/half/spool/incoming/tmp"
mail h1@example.com "half-made spool" "x" |
	"$MAILPROC" -c "$dir/half.conf" deliver --sender h1@example.com \
		--recipient support@example.jp 2>"$dir/err" ||
	fail "half-made spool: exit $?: $(cat "$dir/err")"
[ -n "$(ls "$dir/half/spool/incoming/new" "$dir/half/spool/incoming/cur" 2>/dev/null)" ] ||
	fail "half-made spool: the mail is neither in new/ nor in cur/"
echo "ok: deliver promises"
