#!/bin/bash
# Japanese mail as people type it, through `deliver`: a ticket tag typed
# by a Japanese IME (［SUPPORT＃１］, [SUPPORT#１], [SUPPORT# 1]) still
# joins the ticket; a mail written only in half-width katakana is answered
# in Japanese.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-1010.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\n' "$dir" > "$dir/conf"
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796000400	# Mon 2026-11-30 10:00 JST
n=0
send() {	# send SUBJECT(raw header value) BODY-BYTES
	n=$((n + 1))
	{ printf 'From: yamada@example.co.jp\nTo: support@example.jp\nSubject: %s\nMessage-ID: <m%s@example.co.jp>\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n' "$1" "$n"; printf "$2"; } |
		mp deliver --sender yamada@example.co.jp --recipient support@example.jp || fail "deliver"
}
tickets() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

send "=?UTF-8?B?44OH44Kj44K544Kv44Gr44Gk44GE44Gm?=" '\xe3\x83\x87\xe3\x82\xa3\xe3\x82\xb9\xe3\x82\xaf\xe3\x81\xae\xe4\xbd\xbf\xe3\x81\x84\xe6\x96\xb9\xe3\x82\x92\xe6\x95\x99\xe3\x81\x88\xe3\x81\xa6\xe3\x81\x8f\xe3\x81\xa0\xe3\x81\x95\xe3\x81\x84\n'
[ "$(tickets)" = 1 ] || fail "first mail"
# ［SUPPORT＃１］, [SUPPORT#１], [SUPPORT# 1]
for s in "=?UTF-8?B?UmU6IO+8u1NVUFBPUlTvvIPvvJHvvL0=?= x" "=?UTF-8?B?UmU6IFtTVVBQT1JUI++8kV0=?= x" "Re: [SUPPORT# 1] x"; do
	send "$s" 'follow-up\n'
	[ "$(tickets)" = 1 ] || fail "tag in '$s' did not join the ticket"
done
# half-width katakana only, unlabelled CP932: Japanese
send "web02" '\xba\xdd\xc6\xc1\xca \xbb\xb0\xca\xde\xb0\xa6 \xbb\xb2\xb7\xc4\xde\xb3 \xbc\xc3\xb8\xc0\xde\xbb\xb2\n'
lang=$(sqlite3 "$dir/state/mailproc.db" "SELECT lang FROM tickets ORDER BY id DESC LIMIT 1")
[ "$lang" = ja ] || fail "half-width katakana mail answered in '$lang'"
mp ticket show 2 --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
text = t["messages"][0]["text"]
assert text.startswith("ｺﾝﾆﾁﾊ ｻｰﾊﾞｰｦ"), text
' || fail "half-width katakana text"
echo "ok: incoming Japanese"
