#!/bin/bash
# Mail to a requester greets them by the name typed into the web form
# (お名前), else by the name in their own From when it reads as a name
# (ja 「山田 太郎 様」, en "Dear Taro Yamada,"), else as before (お客さま /
# Dear Customer,); a name that looks like an address is
# not used.  order_page_url links the order page in the answers that
# point a customer to it, and check-config refuses a bad one.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-1020.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:1
order_page_url = https://order.example.jp/support
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796000400	# Mon 2026-11-30 10:00 JST
db=$dir/state/mailproc.db
q() { sqlite3 "$db" "$1"; }

n=0
mail() {	# mail FROM-HEADER ADDRESS SUBJECT BODY: the ticket in $t
	n=$((n + 1))
	printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <g%s@example.com>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "$3" "$n" "$4" | mp deliver --sender "$2" --recipient support@example.jp ||
		fail "deliver $n"
	t=$(q "SELECT max(id) FROM tickets")
}
body() {	# body TICKET TEMPLATE: the decoded text of that mail
	q "SELECT raw FROM outbox WHERE ticket = $1 AND template LIKE '$2' ORDER BY id LIMIT 1" |
		python3 -c 'import email, email.policy, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
print(m.get_body(("plain",)).get_content())'
}
first_line() { body "$1" "$2" | sed -n '1p'; }

mail '=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.com>' taro@example.com "ディスク容量" "ディスク容量について教えてください。"
[ "$(first_line "$t" 'ack%')" = "山田 太郎 様" ] || fail "ja greeting: $(first_line "$t" 'ack%')"
mail 'Taro Yamada <taro.y@example.org>' taro.y@example.org "disk question" "How much disk space do I have left? I would like to know the quota."
[ "$(first_line "$t" 'ack%')" = "Dear Taro Yamada," ] || fail "en greeting: $(first_line "$t" 'ack%')"
mail 'hanako@example.net' hanako@example.net "容量" "容量について教えてください。"
[ "$(first_line "$t" 'ack%')" = "お客さま" ] || fail "no name: $(first_line "$t" 'ack%')"
mail '"support@example.jp" <mallory@example.net>' mallory@example.net "容量" "容量について教えてください。"
[ "$(first_line "$t" 'ack%')" = "お客さま" ] || fail "an address as the name: $(first_line "$t" 'ack%')"

# A web form's お名前 greets the visitor, though the From is the gateway's.
printf 'From: gateway@form.example.jp\nTo: form@example.jp\nSubject: =?UTF-8?B?44GK5ZWP44GE5ZCI44KP44Gb?=\nMessage-ID: <form1@form.example.jp>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
	"$(printf 'お名前: 佐藤 花子\nメールアドレス: hanako.sato@example.net\n依頼種別: その他\n内容: ディスク容量について教えてください。')" |
	mp deliver --sender gateway@form.example.jp --recipient form@example.jp || fail "deliver form"
t=$(q "SELECT max(id) FROM tickets")
[ "$(q "SELECT requester FROM tickets WHERE id = $t")" = hanako.sato@example.net ] || fail "form requester"
tmpl=$(q "SELECT template FROM outbox WHERE ticket = $t AND to_addr = 'hanako.sato@example.net'")
[ "$(first_line "$t" "$tmpl")" = "佐藤 花子 様" ] || fail "form greeting: $(first_line "$t" "$tmpl")"

# An unregistered sender asking for work is pointed to the order page.
mail '=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.com>' taro@example.com "パスワードリセットのお願い" "サーバー web01 の root パスワードを忘れてしまいました。リセットをお願いできますでしょうか。"
tmpl=$(q "SELECT template FROM outbox WHERE ticket = $t AND to_addr = 'taro@example.com'")
[ "$tmpl" = unregistered ] || fail "want the unregistered answer, got '$tmpl'"
text=$(body "$t" unregistered)
case $text in *"オーダーページ（https://order.example.jp/support）から"*) ;;
*) fail "order page link missing: $text" ;; esac

printf 'state_dir = %s/state\norder_page_url = htp://order.example.jp\n' "$dir" > "$dir/bad.conf"
set +e
out=$("$MAILPROC" -c "$dir/bad.conf" check-config 2>&1); rc=$?
set -e
[ "$rc" != 0 ] || fail "check-config passed a bad order_page_url"
case $out in *"bad.conf:2: order_page_url"*) ;; *) fail "check-config said: $out" ;; esac
echo "PASS 1020-greeting-order-page"
