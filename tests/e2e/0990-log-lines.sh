#!/bin/bash
# The per-message log line (issue 15): from=, class=, state= and, where
# Postfix passed one, sasl_login=, every value quoted and escaped the one
# way log_quote() does (tests/unit/test_log.c has the cases): a plain
# value as it is, one with a space or a quote in double quotes with '"'
# and '\' escaped, so that no value can end its pair or add a key.
# `-d` copies the syslog lines to stderr with their level.  No mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0990-log-lines
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-log.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:1\n' "$tmp" >"$tmp/c"
export MAILPROC_NOW=1796000400
mp() { "$MAILPROC" -d -c "$tmp/c" "$@"; }

# A plain sender, a SASL login with a space.
printf 'From: a@customer.example.com\nTo: support@example.jp\nSubject: DNS設定について\nMessage-ID: <log-1@customer.example.com>\n\n契約内容について質問があります。\n' |
	mp deliver --sender a@customer.example.com --sasl-user 'bob smith' --recipient support@example.jp 2>"$tmp/err"
line=$(grep 'status=ok$' "$tmp/err" | grep ' msgid=' || true)
[ -n "$line" ] || { cat "$tmp/err" >&2; fail "no per-message line"; }
case $line in
*'info: spool='*' msgid=<log-1@customer.example.com> from=a@customer.example.com ticket=1 class=general state=new action=new sasl_login="bob smith" status=ok') ;;
*) fail "per-message line: $line" ;;
esac

# A quoted local part with a space and a quote: quoted and escaped.
printf 'From: "x\\" y"@customer.example.com\nTo: support@example.jp\nSubject: DNS設定について\nMessage-ID: <log-2@customer.example.com>\n\n契約内容について質問があります。\n' |
	mp deliver --sender 'x@customer.example.com' --recipient support@example.jp 2>"$tmp/err"
line=$(grep 'status=ok$' "$tmp/err" | grep ' msgid=' || true)
from=$(printf '%s\n' "$line" | sed -n 's/.* from=\("\([^"\\]\|\\.\)*"\|[^ ]*\) ticket=.*/\1/p')
[ -n "$from" ] || fail "no from= value that parses: $line"
case $from in
'"'*'"') ;;
*) fail "a From with a space is not quoted: $from" ;;
esac
# Unescaped, the value is the address again.
val=$(printf '%s' "$from" | python3 -c 'import sys; v=sys.stdin.read()[1:-1]; print(v.replace("\\\"", "\"").replace("\\\\", "\\"))')
addr=$(mp parse --json <<'EOF' 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["from"][0]["address"])'
From: "x\" y"@customer.example.com
To: support@example.jp
Subject: x

x
EOF
)
[ "$val" = "$addr" ] || fail "from= unescaped is [$val], the address is [$addr]"
# No sasl_login= when there is none.
case $line in *sasl_login=*) fail "sasl_login= without a login: $line" ;; esac
echo "PASS $T"
