#!/bin/bash
# Users and permissions (README "Users and permissions"):
# - root running a command in a state dir that belongs to the service user
#   is refused (77) and leaves no file behind;
# - the service user (here nobody:nogroup, state dir 2770) creates the
#   database 0660, so a member of the group (daemon with nogroup as a
#   supplementary group) can use the CLI; a user outside the group gets a
#   clear permission error, exit 77, not a temporary failure;
# - a root-owned database in the service user's dir (what a command run as
#   root before this fix left): deliver keeps the mail in new/ for `run`
#   (exit 0, SPEC §5.2) with a line saying what to fix, and raises the
#   alarm (0955-db-alarm.sh), never 0 in silence.
# Needs root (setpriv); no mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0920-permissions
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
if [ "$(id -u)" != 0 ]; then echo "SKIP $T: needs root"; exit 0; fi
svc=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
staff=(setpriv --reuid=daemon --regid=daemon --groups=nogroup)
other=(setpriv --reuid=daemon --regid=daemon --clear-groups)
"${svc[@]}" test -x "$MAILPROC" || { echo "SKIP $T: nobody cannot run $MAILPROC"; exit 0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-perm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
install -d -o nobody -g nogroup -m 2770 "$tmp/state"
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\n' "$tmp" >"$tmp/c"
chmod 644 "$tmp/c"
mail="From: a@example.com
To: support@example.jp
Subject: perm test
Message-ID: <perm-$$@example.com>

hello
"

# Root is refused, nothing created.
rc=0
"$MAILPROC" -c "$tmp/c" ticket list 2>"$tmp/err" || rc=$?
[ "$rc" = 77 ] || { cat "$tmp/err" >&2; fail "root ticket list: exit $rc, want 77"; }
grep -q 'running as root, but .* belongs to nobody: run the command as nobody' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "root: no clear refusal"; }
[ -z "$(ls -A "$tmp/state")" ] || fail "root left files: $(ls -A "$tmp/state")"
rc=0
printf '%s' "$mail" | "$MAILPROC" -c "$tmp/c" deliver --recipient support@example.jp 2>/dev/null || rc=$?
[ "$rc" = 75 ] || fail "root deliver: exit $rc, want 75"
[ -z "$(ls -A "$tmp/state")" ] || fail "root deliver left files"
echo "$T: root refused, nothing left"

# The service user delivers: database 0660, group nogroup (setgid dir).
printf '%s' "$mail" | "${svc[@]}" "$MAILPROC" -c "$tmp/c" deliver \
	--sender a@example.com --recipient support@example.jp ||
	fail "service user deliver failed"
mode=$(stat -c '%a %G' "$tmp/state/mailproc.db")
[ "$mode" = "660 nogroup" ] || fail "mailproc.db: $mode, want 660 nogroup"
mode=$(stat -c '%a' "$tmp/state/spool/incoming/new")
[ "$mode" = 2770 ] || fail "spool/incoming/new: mode $mode, want 2770"
echo "$T: database 0660, spool 2770"

# Staff in the group use the CLI.
"${staff[@]}" "$MAILPROC" -c "$tmp/c" ticket list --json >"$tmp/t" 2>"$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "staff in the group: ticket list failed"; }
grep -q 'perm test' "$tmp/t" || fail "staff: ticket not listed"
"${staff[@]}" "$MAILPROC" -c "$tmp/c" close 1 >/dev/null 2>"$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "staff in the group: close failed"; }
echo "$T: staff in the group: ticket list, close"

# Outside the group: 77 and what to fix.
rc=0
"${other[@]}" "$MAILPROC" -c "$tmp/c" ticket list 2>"$tmp/err" || rc=$?
[ "$rc" = 77 ] || { cat "$tmp/err" >&2; fail "outsider: exit $rc, want 77"; }
grep -q 'not writable by daemon.*add daemon to group nogroup' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "outsider: no line saying what to fix"; }
echo "$T: outsider: 77 with what to fix"

# A root-owned database: deliver keeps the mail in new/ for `run`.
chown root:root "$tmp/state/mailproc.db"
chmod 644 "$tmp/state/mailproc.db"
rc=0
printf '%s' "$mail" | "${svc[@]}" "$MAILPROC" -c "$tmp/c" deliver \
	--sender a@example.com --recipient support@example.jp 2>"$tmp/err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "root-owned db: deliver exit $rc, want 0 (spooled)"; }
[ "$(ls "$tmp/state/spool/incoming/new" | wc -l)" = 1 ] || fail "root-owned db: the mail is not in new/"
[ -s "$tmp/state/alarms/database" ] || fail "root-owned db: no alarm raised"
grep -q 'mailproc.db: not readable and writable by nobody (owner root.*chown it' "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "root-owned db: no line saying what to fix"; }
rc=0
"${svc[@]}" "$MAILPROC" -c "$tmp/c" ticket list >/dev/null 2>&1 || rc=$?
[ "$rc" = 77 ] || fail "root-owned db: ticket list exit $rc, want 77"
echo "PASS $T"
