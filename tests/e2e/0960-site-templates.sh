#!/bin/bash
# Site templates (issue 15): a file in site_templates_dir wins over the
# shipped one of the same language and name, file by file:
# - an edited ja/ack.txt in the site dir is the acknowledgement a new
#   ticket gets, while every other template still comes from templates/;
# - check-config names the file that wins (and a site-only file), and
#   reports a broken site template as file:line, exit 78;
# - removing the site file falls back to the shipped one.
# No mail stack: the acknowledgement is read from the outbox.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0960-site-templates
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-site.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
shipped=$(pwd -P)/templates
mkdir -p "$tmp/site/ja" "$tmp/site/en"
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\ntemplates_dir = %s\nsite_templates_dir = %s/site\n' \
	"$tmp" "$shipped" "$tmp" >"$tmp/c"
export MAILPROC_NOW=1796000400	# Monday 2026-11-30 10:00 JST: open
mp() { "$MAILPROC" -c "$tmp/c" "$@"; }
deliver() {
	printf 'From: c%s@customer.example.com\nTo: support@example.jp\nSubject: DNS設定について %s\nMessage-ID: <site-%s@customer.example.com>\n\n契約内容について質問があります。\n' "$1" "$1" "$1" |
		mp deliver --sender "c$1@customer.example.com" --recipient support@example.jp
}
# The decoded body of the acknowledgement to customer N.
ack_body() {
	sqlite3 "$tmp/state/mailproc.db" "SELECT template, hex(raw) FROM outbox WHERE to_addr = 'c$1@customer.example.com'" |
		python3 -c '
import email, email.policy, sys
tmpl, raw = sys.stdin.read().strip().split("|")
print("template=" + tmpl)
m = email.message_from_bytes(bytes.fromhex(raw), policy=email.policy.default)
print(m.get_body().get_content())'
}

# The site's edit of the acknowledgement.
sed 's/^いつもお世話になっております。$/SITE-EDIT: 当社独自のご挨拶です。/' "$shipped/ja/ack.txt" >"$tmp/site/ja/ack.txt"
grep -q SITE-EDIT "$tmp/site/ja/ack.txt" || fail "test set-up: sed did not edit the copy"
mp check-config >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "check-config with a good site template failed"; }
grep -qxF "template: $tmp/site/ja/ack.txt wins over $shipped/ja/ack.txt" "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "check-config does not name the winning file"; }
[ "$(grep -c '^template: ' "$tmp/out")" = 1 ] || { cat "$tmp/out" >&2; fail "check-config names files not overridden"; }
deliver 1
ack_body 1 >"$tmp/ack1"
grep -qx 'template=ack' "$tmp/ack1" || { cat "$tmp/ack1" >&2; fail "no acknowledgement in the outbox"; }
grep -q 'SITE-EDIT: 当社独自のご挨拶です。' "$tmp/ack1" || { cat "$tmp/ack1" >&2; fail "the site's ack.txt was not used"; }
echo "$T: the site's ja/ack.txt is the acknowledgement; check-config names it"

# A broken site template is a problem with file:line; a site-only file
# is named as such.
cp "$shipped/en/ack.txt" "$tmp/site/en/ack.txt"
printf 'Subject: x\n\n{{no_such_placeholder}}\n' >"$tmp/site/en/out-of-scope.txt"
printf 'Subject: x\n\nhello\n' >"$tmp/site/ja/ack-typo.txt"
rc=0
mp check-config >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 78 ] || { cat "$tmp/err" >&2; fail "check-config with a broken site template: exit $rc, want 78"; }
grep -q "^$tmp/site/en/out-of-scope.txt:[0-9]*: .*no_such_placeholder" "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "broken site template not reported as file:line"; }
grep -q "^$tmp/site/ja/ack-typo.txt:0: not a template mailproc sends" "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "misspelt site template not reported"; }
grep -qxF "template: $tmp/site/ja/ack-typo.txt (site only: nothing shipped by that name)" "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "site-only file not named"; }
grep -qxF "template: $tmp/site/en/ack.txt wins over $shipped/en/ack.txt" "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "en/ack.txt not named as winner"; }
grep -q 'check-config: 2 problems$' "$tmp/err" || { cat "$tmp/err" >&2; fail "problem count is not 2"; }
rm "$tmp/site/en/out-of-scope.txt" "$tmp/site/ja/ack-typo.txt" "$tmp/site/en/ack.txt"
echo "$T: broken and misspelt site templates reported"

# Removed: the shipped acknowledgement again.
rm "$tmp/site/ja/ack.txt"
mp check-config >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "check-config after the removal failed"; }
grep -q '^template: ' "$tmp/out" && { cat "$tmp/out" >&2; fail "check-config still names a site file"; }
deliver 2
ack_body 2 >"$tmp/ack2"
grep -qx 'template=ack' "$tmp/ack2" || fail "no acknowledgement after the removal"
grep -q SITE-EDIT "$tmp/ack2" && fail "the removed site file is still used"
grep -q 'いつもお世話になっております。' "$tmp/ack2" || { cat "$tmp/ack2" >&2; fail "not the shipped acknowledgement"; }
echo "PASS $T"
