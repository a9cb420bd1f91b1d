#!/bin/bash
# `purge` and the `retention` setting for attachments (issue 15).  Five
# tickets filed 40 days ago, each with one attachment, the files 40 days
# old; then `purge` with `retention = 30d` and no --older-than:
# - an open ticket's attachment stays, and `ticket attachment` still
#   gives it;
# - an old closed ticket's attachment goes;
# - a closed ticket's attachment whose content an open ticket also
#   carries stays (one file serves both);
# - a ticket closed today keeps its attachment (it may still reopen);
# - an unprocessed message in new/ and one in failed/, however old, are
#   never removed; processed raw mail that old is;
# - retention = 0 with no --older-than is a usage error, a retention under
#   a day a check-config problem.
# No mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0980-purge-attachments
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-purge.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\nretention = 30d\n' "$tmp" >"$tmp/c"
mp() { "$MAILPROC" -c "$tmp/c" "$@"; }
st=$tmp/state
now=$(date +%s)
old=$((now - 40 * 86400))

# mail N CONTENT: customer N's question with CONTENT as attachment.
mail() {
	printf 'From: c%s@customer.example.com\nTo: support@example.jp\nSubject: log file %s\nMessage-ID: <purge-%s@customer.example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\nDNSの設定について質問があります。ログを添付します。\n--b\nContent-Type: application/octet-stream; name="log%s.txt"\nContent-Disposition: attachment; filename="log%s.txt"\nContent-Transfer-Encoding: base64\n\n%s\n--b--\n' \
		"$1" "$1" "$1" "$1" "$1" "$(printf '%s\n' "$2" | base64)"
}
file_of() { h=$(printf '%s\n' "$1" | sha256sum | cut -c1-64); echo "$st/attachments/${h:0:2}/$h"; }
deliver() { mail "$1" "$2" | mp deliver --sender "c$1@customer.example.com" --recipient support@example.jp; }

export MAILPROC_NOW=$old
deliver 1 "open ticket's log"
deliver 2 "closed ticket's log"
deliver 3 "open ticket's log"		# closed, but ticket 1 has the same file
deliver 4 "closed today"
mp close 2 >/dev/null
mp close 3 >/dev/null
unset MAILPROC_NOW
mp close 4 >/dev/null
for c in "open ticket's log" "closed ticket's log" "closed today"; do
	f=$(file_of "$c")
	[ -f "$f" ] || fail "set-up: attachment \"$c\" not stored as $f"
	touch -d "@$old" "$f"
done
for f in "$st"/spool/incoming/cur/*; do touch -d "@$old" "$f"; done
ncur=$(ls "$st/spool/incoming/cur" | wc -l)
[ "$ncur" = 4 ] || fail "set-up: $ncur processed files, want 4"
# Never processed, and as old: must survive any purge.
mail 9 "unprocessed" >"$st/spool/incoming/new/waiting"
touch -d "@$old" "$st/spool/incoming/new/waiting"
mail 8 "failed" >"$st/spool/failed/broken"
echo "cannot be parsed" >"$st/spool/failed/broken.reason"
touch -d "@$old" "$st/spool/failed/broken" "$st/spool/failed/broken.reason"

rc=0
mp purge >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "purge (retention = 30d): exit $rc"; }
grep -qx 'purge: 4 processed messages removed' "$tmp/out" || { cat "$tmp/out" >&2; fail "purge did not remove the 4 processed files"; }
grep -qx 'purge: 1 attachment removed (no live ticket needs them)' "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "purge did not remove exactly one attachment"; }
[ -f "$(file_of "open ticket's log")" ] || fail "the open ticket's attachment was removed"
[ ! -e "$(file_of "closed ticket's log")" ] || fail "the old closed ticket's attachment was kept"
[ -f "$(file_of "closed today")" ] || fail "the attachment of a ticket closed today was removed"
[ -f "$st/spool/incoming/new/waiting" ] || fail "purge removed an unprocessed message in new/"
[ -f "$st/spool/failed/broken" ] && [ -f "$st/spool/failed/broken.reason" ] ||
	fail "purge removed a message in failed/"
[ "$(ls "$st/spool/incoming/cur" | wc -l)" = 0 ] || fail "processed raw mail kept"
mp ticket attachment 1 1 >"$tmp/att" || fail "ticket attachment 1 1 after the purge failed"
grep -qx "open ticket's log" "$tmp/att" || fail "the open ticket's attachment is not what was sent"
rc=0
mp ticket attachment 2 1 >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" != 0 ] || fail "the purged attachment of ticket 2 is still served"
grep -q '^mailproc: ticket attachment: ' "$tmp/err" || { cat "$tmp/err" >&2; fail "no clear error for a purged attachment"; }
mp ticket show 2 --json >/dev/null || fail "ticket 2 itself is gone"
echo "$T: retention 30d: open, shared and lately closed attachments kept, the old closed one removed"

# A second purge has nothing left to do.
mp purge --older-than 30d >"$tmp/out" 2>&1 || fail "second purge failed"
grep -qx 'purge: 0 attachments removed (no live ticket needs them)' "$tmp/out" || { cat "$tmp/out" >&2; fail "second purge removed more"; }

# retention = 0: purge wants --older-than; under a day: a config problem.
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\n' "$tmp" >"$tmp/c0"
rc=0
"$MAILPROC" -c "$tmp/c0" purge >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "purge with retention = 0 and no --older-than: exit $rc, want 64"
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\nretention = 2h\n' "$tmp" >"$tmp/c2"
rc=0
"$MAILPROC" -c "$tmp/c2" check-config >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 78 ] || { cat "$tmp/err" >&2; fail "check-config with retention = 2h: exit $rc, want 78"; }
grep -q "^$tmp/c2:3: retention: at least 1d" "$tmp/err" || { cat "$tmp/err" >&2; fail "retention = 2h not reported"; }
[ -f "$st/spool/incoming/new/waiting" ] || fail "unprocessed message gone"
echo "PASS $T"
