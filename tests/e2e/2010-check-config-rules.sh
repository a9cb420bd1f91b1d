#!/bin/bash
# `mailproc check-config` on the catalogue and rules: the checkout's rules/
# pass; a copy broken in five places (bad regex, unknown channel, duplicate
# task id, unknown task in a rule, unknown option) makes it exit 78 and
# print every one of the problems, in one run, as "file:line: message".
#
# MAILPROC names the binary (default ./bin/mailproc, relative to the
# repository root, where this script runs).  No mail stack is needed.

set -eu

cd "$(dirname "$0")/../.."

MAILPROC=${MAILPROC:-./bin/mailproc}
T=2010-check-config-rules

fail()
{
	printf 'FAIL %s: %s\n' "$T" "$*" >&2
	exit 1
}

[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-checkrules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state"
cp -R rules "$tmp/rules"
printf 'state_dir = %s\nrules_dir = %s\ntemplates_dir = %s\n' \
	"$tmp/state" "$tmp/rules" "$PWD/templates" >"$tmp/mailproc.conf"

# The checkout's rules, as copied, are fine.
rc=0
"$MAILPROC" -c "$tmp/mailproc.conf" check-config >"$tmp/out" \
	2>"$tmp/err" || rc=$?
if [ "$rc" != 0 ]; then
	cat "$tmp/err" >&2
	fail "check-config on the checkout's rules: exit $rc, want 0"
fi

# Break them.
cat_file=$tmp/rules/catalogue.conf
rules_file=$tmp/rules/classify.rules

grep -q '^[[:space:]]*channel phone$' "$cat_file" ||
	fail "no 'channel phone' line to break in catalogue.conf"
sed -i '0,/^\([[:space:]]*\)channel phone$/s//\1channel fax/' "$cat_file"
line_channel=$(grep -n -m1 'channel fax$' "$cat_file" | cut -d: -f1)

grep -q '^[[:space:]]*options os-reinstall$' "$cat_file" ||
	fail "no 'options os-reinstall' line to break in catalogue.conf"
sed -i 's/^\([[:space:]]*\)options os-reinstall$/\1options os-reinstall no-such-option/' \
	"$cat_file"
line_option=$(grep -n -m1 'no-such-option' "$cat_file" | cut -d: -f1)

line_dup=$(($(wc -l <"$cat_file") + 2))
printf '\ntask reboot\n\tja 重複\n' >>"$cat_file"

line_regex=$(($(wc -l <"$rules_file") + 3))
printf '\nrule e2e-bad-regex reboot priority 10\n\tmatch any /(unclosed/\n' \
	>>"$rules_file"
line_task=$(($(wc -l <"$rules_file") + 1))
printf 'rule e2e-unknown-task no-such-task priority 10\n\tmatch any /x/\n' \
	>>"$rules_file"

rc=0
"$MAILPROC" -c "$tmp/mailproc.conf" check-config >"$tmp/out" \
	2>"$tmp/err" || rc=$?
[ "$rc" = 78 ] || { cat "$tmp/err" >&2; fail "exit $rc, want 78"; }

missing=0
for want in \
	"catalogue.conf:$line_channel: unknown channel 'fax'" \
	"catalogue.conf:$line_option: unknown option 'no-such-option'" \
	"catalogue.conf:$line_dup: duplicate task id 'reboot'" \
	"classify.rules:$line_regex: bad regex" \
	"classify.rules:$line_task: unknown task 'no-such-task'"; do
	if grep -qF -- "$want" "$tmp/err"; then
		echo "$T: reported: $want"
	else
		echo "$T: case \"$want\": not on stderr" >&2
		missing=$((missing + 1))
	fi
done
if [ "$missing" != 0 ]; then
	echo "--- stderr:" >&2
	cat "$tmp/err" >&2
	fail "$missing problem(s) not reported with file:line"
fi
echo "PASS $T"
