#!/bin/bash
# --help, help COMMAND, COMMAND --help and --version print to stdout and
# exit 0, with nothing on stderr even with -d (which copies every log line
# there).  `deliver` typed on a terminal without --recipient is a usage
# error (64); empty input (no bytes, or only blank lines) is refused with
# 65 and leaves no spool file, no ticket and no staff mail.  No mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0910-help-and-misuse
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-help.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'state_dir = %s/state\n' "$tmp" >"$tmp/c"

ok() {	# ok WANT-IN-STDOUT ARGS...
	local want=$1 rc=0
	shift
	"$MAILPROC" -d -c "$tmp/c" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" = 0 ] || fail "mailproc $*: exit $rc, want 0"
	[ -s "$tmp/err" ] && { cat "$tmp/err" >&2; fail "mailproc $*: stderr not empty"; }
	grep -qF -- "$want" "$tmp/out" || { cat "$tmp/out" >&2; fail "mailproc $*: no '$want'"; }
	echo "$T: mailproc $*: ok"
}
ok "usage: mailproc" --help
ok "usage: mailproc" help
ok "ticket show ID" help ticket
ok "ticket show ID" ticket --help
ok "deliver [--sender S]" help deliver
ok "database schema" --version
"$MAILPROC" --version | grep -Eq '^mailproc [^ ]+ \(database schema [0-9]+\)$' ||
	fail "--version: not 'mailproc VERSION (database schema N)'"
[ -e "$tmp/state" ] && fail "help created the state dir"

rc=0
"$MAILPROC" help no-such-command >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "help no-such-command: exit $rc, want 64"

# deliver on a terminal, no --recipient: 64, nothing spooled.
if command -v script >/dev/null; then
	rc=0
	script -qec "$MAILPROC -c $tmp/c deliver" /dev/null </dev/null >"$tmp/tty" || rc=$?
	[ "$rc" = 64 ] || { cat "$tmp/tty" >&2; fail "deliver on a tty: exit $rc, want 64"; }
	grep -q 'stdin is a terminal' "$tmp/tty" || fail "deliver on a tty: no clear line"
	echo "$T: deliver on a terminal: 64"
fi

# Empty input: 65 "empty message", nothing in the spool or database.
for input in '' '\n\n  \n'; do
	rc=0
	printf "$input" | "$MAILPROC" -c "$tmp/c" deliver --sender a@example.com \
		--recipient support@example.jp 2>"$tmp/err" || rc=$?
	[ "$rc" = 65 ] || fail "empty input: exit $rc, want 65"
	grep -q '^mailproc: deliver: empty message$' "$tmp/err" || fail "empty input: no clear line"
done
n=$(find "$tmp/state/spool" -type f 2>/dev/null | wc -l)
[ "$n" = 0 ] || fail "empty input left $n spool files"
"$MAILPROC" -c "$tmp/c" ticket list --json >"$tmp/t"
[ "$(tr -d ' \n' <"$tmp/t")" = "[]" ] || { cat "$tmp/t"; fail "empty input made a ticket"; }
"$MAILPROC" -c "$tmp/c" outbox list --json >"$tmp/o"
[ "$(tr -d ' \n' <"$tmp/o")" = "[]" ] || { cat "$tmp/o"; fail "empty input queued mail"; }
echo "PASS $T"
