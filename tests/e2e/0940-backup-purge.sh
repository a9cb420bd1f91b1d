#!/bin/bash
# `backup FILE` while deliver goes on: the backup is taken during a stream
# of deliveries, is a self-contained SQLite file (not WAL) that passes
# integrity_check, and restored into a fresh state dir it lists every
# ticket it had, a consistent snapshot (no more than after, no fewer than
# before).  `purge --older-than 30d` removes processed raw mail received
# before then and keeps newer mail, new/ and failed/.  No mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0940-backup-purge
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-backup.XXXXXX")
trap 'kill $feeder 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
feeder=
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\n' "$tmp" >"$tmp/c"
mp() { "$MAILPROC" -c "$tmp/c" "$@"; }
mail() {
	printf 'From: c%s@customer.example.com\nTo: support@example.jp\nSubject: backup test %s\nMessage-ID: <bk-%s@customer.example.com>\n\nplease check server %s\n' "$1" "$1" "$1" "$1"
}
count() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

for i in 1 2 3 4 5; do mail $i | mp deliver --recipient support@example.jp; done
# A stream of deliveries while the backup runs.
( i=100; while [ $i -lt 160 ]; do mail $i | mp deliver --recipient support@example.jp || exit 1; i=$((i + 1)); done ) &
feeder=$!
sleep 0.3
before=$(count)
mp backup "$tmp/backup.db" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "backup failed"; }
after=$(count)
wait $feeder || fail "a delivery failed during the backup"
feeder=
[ -s "$tmp/backup.db" ] || fail "no backup file"
ls "$tmp"/backup.db.tmp* >/dev/null 2>&1 && fail "temporary file left"
[ "$(sqlite3 "$tmp/backup.db" 'PRAGMA journal_mode')" = delete ] || fail "backup is not a self-contained file"
[ "$(sqlite3 "$tmp/backup.db" 'PRAGMA integrity_check')" = ok ] || fail "backup fails integrity_check"
echo "$T: backup taken while delivering ($before..$after tickets)"

# Restore into a fresh state dir.
mkdir "$tmp/restored"
cp "$tmp/backup.db" "$tmp/restored/mailproc.db"
printf 'state_dir = %s/restored\n' "$tmp" >"$tmp/rc"
n=$("$MAILPROC" -c "$tmp/rc" ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') ||
	fail "ticket list on the restored database failed"
[ "$n" -ge "$before" ] && [ "$n" -le "$after" ] || fail "restored $n tickets, want $before..$after"
"$MAILPROC" -c "$tmp/rc" ticket show 1 --json >/dev/null || fail "ticket show 1 on the restored database"
echo "$T: restored: $n tickets"

# Purge: age three processed files, keep the rest.
cur=$tmp/state/spool/incoming/cur
total=$(ls "$cur" | wc -l)
[ "$total" -ge 60 ] || fail "only $total processed files"
old=$(ls "$cur" | head -3)
for f in $old; do touch -d '40 days ago' "$cur/$f"; done
echo x >"$tmp/state/spool/incoming/new/keep-me"
touch -d '40 days ago' "$tmp/state/spool/incoming/new/keep-me"
mkdir -p "$tmp/state/spool/failed"
echo x >"$tmp/state/spool/failed/keep-me"
touch -d '40 days ago' "$tmp/state/spool/failed/keep-me"
rc=0
mp purge --older-than 30d >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "purge: exit $rc"; }
grep -q '^purge: 3 processed messages removed$' "$tmp/out" || { cat "$tmp/out"; fail "purge did not report 3"; }
[ "$(ls "$cur" | wc -l)" = $((total - 3)) ] || fail "purge removed the wrong number"
for f in $old; do [ -e "$cur/$f" ] && fail "purge kept $f"; done
[ -e "$tmp/state/spool/incoming/new/keep-me" ] || fail "purge touched new/"
[ -e "$tmp/state/spool/failed/keep-me" ] || fail "purge touched failed/"
rm "$tmp/state/spool/incoming/new/keep-me"
[ "$(count)" = "$after" ] || [ "$(count)" -ge "$after" ] || fail "purge changed the tickets"
rc=0
mp purge --older-than 1h >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "purge --older-than 1h: exit $rc, want 64 (at least a day)"
echo "PASS $T"
