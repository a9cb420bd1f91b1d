#!/bin/bash
# `mailproc check-config` reports every problem in one pass, with a count
# equal to the lines it printed: an unknown key and a bad smtp_url (in the
# file), a state dir the running user cannot write, a password file others
# can read, and a business_hours value, all in one run, exit 78.  As root
# the checks run as `nobody` (root can write anything).  No mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0900-check-config-ops
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-checkops.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
as=()
if [ "$(id -u)" = 0 ]; then
	as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	# nobody must reach the binary and the shipped rules
	"${as[@]}" test -x "$MAILPROC" || { echo "SKIP $T: nobody cannot run $MAILPROC"; exit 0; }
fi
mkdir "$tmp/state"
chmod 555 "$tmp/state"
printf 'secret\n' >"$tmp/pw"
chmod 644 "$tmp/pw"
cat >"$tmp/c" <<CONF
state_dir = $tmp/state
smtp_url = htp://127.0.0.1:25
smtp_password_file = $tmp/pw
nonsense = 1
business_hours = someday 25:00-26:00
CONF
chmod 644 "$tmp/c"

rc=0
"${as[@]}" "$MAILPROC" -c "$tmp/c" check-config >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 78 ] || { cat "$tmp/err" >&2; fail "exit $rc, want 78"; }
for want in \
	"$tmp/c:2: smtp_url: not smtp://" \
	"$tmp/c:4: unknown key 'nonsense'" \
	"$tmp/c:1: state_dir: $tmp/state: not writable by" \
	"$tmp/c:3: smtp_password_file: $tmp/pw: readable by group or others" \
	"$tmp/c:5: business_hours"; do
	grep -qF -- "$want" "$tmp/err" || { cat "$tmp/err" >&2; fail "not reported: $want"; }
	echo "$T: reported: $want"
done
lines=$(grep -c '^[^ ]*:[0-9]*: ' "$tmp/err" || true)
count=$(sed -n 's/^mailproc: check-config: \([0-9]*\) problems\{0,1\}$/\1/p' "$tmp/err")
[ -n "$count" ] || { cat "$tmp/err" >&2; fail "no count line"; }
[ "$count" = "$lines" ] || { cat "$tmp/err" >&2; fail "count $count, but $lines problems printed"; }
[ -s "$tmp/out" ] && fail "stdout not empty on failure"

# Fixed, it passes: state dir writable, password 0600, a good URL.
chmod 777 "$tmp/state"
chmod 600 "$tmp/pw"
[ ${#as[@]} -gt 0 ] && chown nobody "$tmp/pw"
cat >"$tmp/c" <<CONF
state_dir = $tmp/state
smtp_url = smtps://mail.example.jp:465
smtp_password_file = $tmp/pw
model_file = $PWD/rules/model.bin
CONF
rc=0
"${as[@]}" "$MAILPROC" -c "$tmp/c" check-config >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/err" >&2; fail "fixed config: exit $rc, want 0"; }
grep -q '^configuration ok' "$tmp/out" || fail "no 'configuration ok'"
echo "PASS $T"
