#!/bin/bash
# A deliver that cannot write the database says so loudly (issue 15):
# - with a root-owned database (what a command run as root used to leave)
#   every deliver exits 0 with the mail safe in spool/incoming/new/, a
#   LOG_CRIT line and a line on stderr saying what to fix;
# - 20 failing delivers raise one alarm, and the runner (which stays up
#   without the database) mails staff exactly one notice for it, through
#   SMTP with no outbox row; more failures and passes add none;
# - once the database is fixed, `run` files every waiting mail and clears
#   the alarm, so that the next cause (here a read-only database owned by
#   the service user) is announced again, once.
# Needs root (setpriv); a scripted SMTP relay on a random loopback port.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=$(readlink -f "${MAILPROC:-./bin/mailproc}")
here=$(pwd)/tests/e2e
T=0955-db-alarm
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
if [ "$(id -u)" != 0 ]; then echo "SKIP $T: needs root"; exit 0; fi
svc=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${svc[@]}" test -x "$MAILPROC" || { echo "SKIP $T: nobody cannot run $MAILPROC"; exit 0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-alarm.XXXXXX")
relay=
trap '[ -n "$relay" ] && kill $relay 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
install -d -o nobody -g nogroup -m 2770 "$tmp/state"
port=$((20000 + RANDOM % 20000))
touch "$tmp/relay.log"
chown nobody "$tmp/relay.log"
python3 "$here/fake-relay.py" "$port" "$tmp/relay.log" &
relay=$!
for i in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
cat >"$tmp/c" <<CONF
state_dir = $tmp/state
smtp_url = smtp://127.0.0.1:$port
staff_addresses = staff@example.jp
smtp_timeout = 5s
CONF
chmod 644 "$tmp/c"
mp() { "${svc[@]}" "$MAILPROC" -c "$tmp/c" "$@"; }
mail() {
	printf 'From: c%s@customer.example.com\nTo: support@example.jp\nSubject: alarm test %s\nMessage-ID: <alarm-%s@customer.example.com>\n\nplease reboot web%s\n' "$1" "$1" "$1" "$1"
}
deliver() { mail "$1" | mp -d deliver --sender "c$1@customer.example.com" --recipient support@example.jp; }
new_count() { find "$tmp/state/spool/incoming/new" -type f ! -name '.*' | wc -l; }
notices() { grep -c '^staff@example.jp ' "$tmp/relay.log" || true; }
tickets() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

deliver 0 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "first deliver failed"; }
[ "$(tickets)" = 1 ] || fail "first deliver filed no ticket"
: >"$tmp/relay.log"

# Root-owned database: exit 0, mail in new/, LOG_CRIT, what to fix.
chown root:root "$tmp/state/mailproc.db"
chmod 644 "$tmp/state/mailproc.db"
for i in $(seq 1 20); do
	rc=0
	deliver "$i" 2>"$tmp/err" || rc=$?
	[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "deliver $i: exit $rc, want 0 (the mail is spooled)"; }
done
grep -q 'crit: alarm=database status=critical action=mail-not-filed reason=".*mailproc.db: not readable and writable by nobody (owner root' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "no LOG_CRIT line naming the database"; }
grep -q '^mailproc: deliver: spooled for `run`, not filed: .*chown it' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "no stderr line saying what to fix"; }
[ "$(new_count)" = 20 ] || fail "$(new_count) mails in new/, want 20"
[ "$(wc -l <"$tmp/state/alarms/database")" = 20 ] || fail "alarm does not count 20 occurrences"
echo "$T: 20 delivers: exit 0, mail in new/, LOG_CRIT"

# The runner stays up without the database and tells staff once.
rc=0
mp run --once 2>"$tmp/err" || rc=$?
[ "$rc" = 75 ] || { cat "$tmp/err" >&2; fail "run --once with no database: exit $rc, want 75"; }
[ "$(notices)" = 1 ] || { cat "$tmp/relay.log" >&2; fail "$(notices) staff notices after the first run, want 1"; }
for i in $(seq 21 25); do deliver "$i" 2>/dev/null || fail "deliver $i failed"; done
mp run --once 2>/dev/null || true
mp run --once 2>/dev/null || true
[ "$(notices)" = 1 ] || fail "$(notices) staff notices after more failures, want still 1"
[ "$(wc -l <"$tmp/relay.log")" = 1 ] || fail "mail other than the notice went out"
echo "$T: 25 failing delivers, 3 runner passes: one staff notice"

# Fixed: the runner files all of it and clears the alarm.
chown nobody:nogroup "$tmp/state/mailproc.db"
chmod 660 "$tmp/state/mailproc.db"
mp run --once 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "run --once after the fix failed"; }
[ "$(new_count)" = 0 ] || fail "$(new_count) mails still in new/ after the fix"
[ "$(tickets)" = 26 ] || fail "$(tickets) tickets after the fix, want 26"
[ ! -e "$tmp/state/alarms/database" ] || fail "alarm not cleared once the database works"
echo "$T: fixed: 26 tickets, alarm cleared"

# The next cause is announced again: a read-only database.
: >"$tmp/relay.log"
chmod 440 "$tmp/state/mailproc.db"
rc=0
deliver 30 2>"$tmp/err" || rc=$?
[ "$rc" = 0 ] || fail "read-only database: deliver exit $rc, want 0"
grep -q 'crit: alarm=database .*mailproc.db: not readable and writable by its owner nobody' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "read-only database: no LOG_CRIT line"; }
[ "$(new_count)" = 1 ] || fail "read-only database: mail not in new/"
mp run --once 2>/dev/null || true
[ "$(notices)" = 1 ] || fail "read-only database: $(notices) notices, want 1"
chmod 660 "$tmp/state/mailproc.db"
mp run --once 2>/dev/null || fail "run after the second fix failed"
[ "$(new_count)" = 0 ] || fail "mail left in new/ after the second fix"
echo "PASS $T"
