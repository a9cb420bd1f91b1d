#!/bin/bash
# Issue 13: `fetch --imap` behaves like `deliver`.  The identity flow of
# 0600 over the stack's Dovecot: a registered contact's change request is
# held and the confirmation mailed; the contact's answer to the confirm
# address, fetched from the mailbox (its To is support+confirm-...),
# confirms the request.  A web-form mail fetched from the mailbox (its
# Delivered-To is form_address) is read as a form: the requester is the
# address typed in the form, not the gateway.
set -eu
MP_NEEDS_DOVECOT=1
. "$(dirname "$0")/lib.sh"

url="imap://support%40example.jp:support-secret@127.0.0.1:$MP_IMAP_PORT/INBOX"
db=$MP_STACK/state/mailproc.db
append() {	# append FROM TO SUBJECT BODY
	python3 - "$@" <<'PY'
import imaplib, os, random, sys, time
frm, to, subject, body = sys.argv[1:]
msg = ("Return-Path: <%s>\r\nDelivered-To: %s\r\nFrom: %s\r\nTo: %s\r\n"
       "Subject: %s\r\nMessage-ID: <i%d@x>\r\n"
       "Content-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
       % (frm, to, frm, to, subject, random.getrandbits(48), body))
m = imaplib.IMAP4("127.0.0.1", int(os.environ["MP_IMAP_PORT"]))
m.login("support@example.jp", "support-secret")
m.append("INBOX", None, imaplib.Time2Internaldate(time.time()),
         msg.encode())
m.logout()
PY
}
fetch() { mp fetch --imap "$url" --once || fail "fetch: exit $?"; }
last_ticket() { mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }
state_of() { mp ticket show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

csv=$MP_STACK/customers.csv
cat > "$csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,株式会社テスト,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring reboot
CSV
chmod 644 "$csv"
mp customers import "$csv" >/dev/null || fail "import"

append mon@a.example.jp support@example.jp "監視設定の変更" \
	"サービス監視のURLを変更してください。"
fetch
t=$(last_ticket)
[ "$(state_of "$t")" = held ] || fail "ticket $t: $(state_of "$t"), want held"
addr=$(sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t AND template = 'identity-confirm' ORDER BY id DESC LIMIT 1" |
	python3 -c '
import email, email.policy, re, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
print(re.search(r"support\+confirm-\S+@example\.jp",
                m.get_body(("plain",)).get_content()).group(0))') ||
	fail "no identity-confirm mail with a confirm address"
append mon@a.example.jp "$addr" "Re: confirm" "OK"
fetch
[ "$(state_of "$t")" = open ] ||
	fail "the token reply over IMAP did not confirm: $(state_of "$t")"
[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE ticket = $t AND template = 'staff-work'")" -ge 1 ] ||
	fail "no staff work notice after confirmation"

append gateway@forms.example.net form@example.jp "Webフォームからのお問い合わせ" \
	"$(printf '契約ID: C-1\nお名前: 山田\nメールアドレス: req@a.example.jp\n依頼種別: リブート代行\n内容: 再起動をお願いします。')"
fetch
f=$(last_ticket)
[ "$f" != "$t" ] || fail "the form mail made no ticket"
req=$(mp ticket show "$f" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["requester"])')
[ "$req" = req@a.example.jp ] ||
	fail "form mail over IMAP not read as a form: requester $req"
pass
