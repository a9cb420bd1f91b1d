#!/bin/bash
# Server and contract (issue 11, item 9): a request naming a registered
# server of another contract than the requester's (or than a form's
# 契約ID) goes to triage, with the mismatch in its history and in the
# staff notice: nothing is held, no confirmation mail and no callback go
# out for the wrong contract.  The requester's own server, or no server
# at all, is held as usual.
set -eu
# shellcheck source=tests/e2e/scratch.sh
. "$(dirname "$0")/scratch.sh"
scratch 2110 'form_address = form@example.jp' 'language = en'

cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers,holder_email
C-A,株式会社エー,req@a.example.jp,mon@a.example.jp,03-1111-2222,reboot service-monitoring,web-a01 web-a01.a.example.jp 192.0.2.11,boss@a.example.jp
C-B,株式会社ビー,req@b.example.jp,mon@b.example.jp,03-3333-4444,reboot service-monitoring,web-b01 192.0.2.21,
C-N,サーバー未登録,req@n.example.jp,mon@n.example.jp,03-5555-6666,reboot,,
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"

n=0
request() {	# request FROM SUBJECT BODY [RECIPIENT]
	n=$((n + 1))
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <s%s.%s@x>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "${4:-support@example.jp}" "$2" "$n" "$RANDOM" "$3" |
		mp deliver --sender "$1" --recipient "${4:-support@example.jp}" ||
		fail "deliver exit $?"
}
last_ticket() { mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }
state_of() { mp ticket show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
want_state() { s=$(state_of "$1"); [ "$s" = "$2" ] || fail "ticket $1: state $s, want $2 ($3)"; }
outbox_to() {	# outbox_to TICKET TEMPLATE -> recipients
	sqlite3 "$db" "SELECT to_addr FROM outbox WHERE ticket = $1 AND template = '$2' ORDER BY id"
}
to_monitoring() {	# to_monitoring TICKET -> how many mails to a monitoring address
	sqlite3 "$db" "SELECT count(*) FROM outbox WHERE ticket = $1 AND to_addr IN ('mon@a.example.jp', 'mon@b.example.jp')"
}
history_has() {	# history_has TICKET EVENT DETAIL
	mp ticket show "$1" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
ev, want = sys.argv[1:]
assert any(h["event"] == ev and h["detail"] == want for h in t["history"]), \
    [(h["event"], h["detail"]) for h in t["history"]]
' "$2" "$3"
}
no_mismatch() {	# no_mismatch TICKET
	[ "$(sqlite3 "$db" "SELECT count(*) FROM history WHERE ticket = $1 AND event = 'server'")" = 0 ] ||
		fail "ticket $1: a server mismatch where there is none"
}
# The body of the newest staff notice of a ticket with template.
notice_body() {
	sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $1 AND template = '$2' ORDER BY id DESC LIMIT 1" |
		python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
print(m.get_body(("plain",)).get_content())'
}

# 1. A registered requester of C-B asks to reboot C-A's web-a01: triage,
#    the mismatch recorded and told to staff, nothing to either contract's
#    monitoring address, no callback task, no task recorded.
request req@b.example.jp "サーバーの再起動をお願いします" "web-a01 を再起動してください。"
t1=$(last_ticket)
want_state "$t1" triage "another contract's server"
history_has "$t1" server "server web-a01 belongs to contract C-A, not the requester's C-B" ||
	fail "no mismatch in the history"
[ "$(to_monitoring "$t1")" = 0 ] || fail "mail to a monitoring address: $(outbox_to "$t1" identity-confirm)"
[ -z "$(outbox_to "$t1" identity-callback)" ] || fail "a callback task for the wrong contract"
[ -z "$(outbox_to "$t1" identity-pending)" ] || fail "the requester was told it is pending"
[ "$(sqlite3 "$db" "SELECT count(*) FROM ticket_tasks WHERE ticket = $t1")" = 0 ] ||
	fail "a task recorded for the wrong contract"
[ "$(sqlite3 "$db" "SELECT count(*) FROM identity WHERE ticket = $t1")" = 0 ] ||
	fail "an identity confirmation started"
[ "$(outbox_to "$t1" staff-triage)" = staff@example.jp ] || fail "staff not asked"
body=$(notice_body "$t1" staff-triage)
grep -q 'SERVER OF ANOTHER CONTRACT' <<<"$body" || fail "triage notice without the mismatch: $body"
grep -q "server web-a01 belongs to contract C-A, not the requester's C-B" <<<"$body" ||
	fail "triage notice does not name the server: $body"
outbox_to "$t1" ack-triage | grep -qx req@b.example.jp || fail "no neutral acknowledgement"
sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t1 AND to_addr = 'req@b.example.jp'" |
	grep -q 'C-A' && fail "the requester was told the other contract's id"
# ... and no class change makes it held for C-B.
set +e
mp category "$t1" reboot --by alice 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "category reboot on the mismatch: exit $rc, want 65"
want_state "$t1" triage "category refused"
[ -z "$(outbox_to "$t1" identity-callback)" ] || fail "a callback after category"

# 2. The same requester asking to reboot their own web-b01 is held as
#    usual, with the callback task.
request req@b.example.jp "サーバーの再起動をお願いします" "web-b01 を再起動してください。"
t2=$(last_ticket)
want_state "$t2" held "own server"
no_mismatch "$t2"
[ "$(outbox_to "$t2" identity-callback)" = staff@example.jp ] || fail "no callback task for the own server"

# 3. Case, an FQDN, an address, and the subject count; a name inside a
#    longer one does not.
request req@b.example.jp "Reboot WEB-A01.A.EXAMPLE.JP please" "Please reboot it today."
t3=$(last_ticket)
want_state "$t3" triage "FQDN in the subject"
history_has "$t3" server "server web-a01.a.example.jp belongs to contract C-A, not the requester's C-B" ||
	fail "FQDN mismatch not in the history"
request req@b.example.jp "再起動依頼" "192.0.2.11 のサーバーを再起動してください。"
t4=$(last_ticket)
want_state "$t4" triage "address"
history_has "$t4" server "server 192.0.2.11 belongs to contract C-A, not the requester's C-B" ||
	fail "address mismatch not in the history"
request req@b.example.jp "再起動依頼" "web-b01 と 192.0.2.111 を再起動してください。"
t5=$(last_ticket)
want_state "$t5" held "192.0.2.111 is not 192.0.2.11"
no_mismatch "$t5"

# 4. No registered server named, or a contract that lists none: held.
request req@b.example.jp "再起動依頼" "サーバーを再起動してください。"
t6=$(last_ticket)
want_state "$t6" held "no server named"
no_mismatch "$t6"
request req@n.example.jp "再起動依頼" "web-n01 を再起動してください。"
t7=$(last_ticket)
want_state "$t7" held "a contract without servers"

# 5. Form mail: the 対象サーバー field (full-width, normalised) and the
#    form's 契約ID count.
form() {	# form CONTRACT EMAIL SERVER CONTENT
	request gateway@forms.example.net "Webフォームからのお問い合わせ" \
		"$(printf '契約ID: %s\nお名前: 山田\nメールアドレス: %s\n依頼種別: リブート代行\n対象サーバー: %s\n内容: %s' "$1" "$2" "$3" "$4")" \
		form@example.jp
}
form C-B req@b.example.jp "ｗｅｂ－ａ０１" "再起動をお願いします。"
t8=$(last_ticket)
want_state "$t8" triage "form: another contract's server in the field"
history_has "$t8" server "server web-a01 belongs to contract C-A, not the requester's C-B" ||
	fail "form field mismatch not in the history"
[ -z "$(outbox_to "$t8" identity-callback)" ] || fail "form: a callback task for the wrong contract"
form C-A req@b.example.jp "web-b01" "再起動をお願いします。"
t9=$(last_ticket)
want_state "$t9" triage "form: the typed 契約ID is not the server's"
history_has "$t9" server "server web-b01 belongs to contract C-B, not the form's 契約ID C-A" ||
	fail "form 契約ID mismatch not in the history"
form C-B req@b.example.jp "web-b01" "再起動をお願いします。"
t10=$(last_ticket)
want_state "$t10" held "form: own server"
no_mismatch "$t10"
# Full-width letters in the body are the same name (NFKC).
request req@b.example.jp "再起動依頼" "ｗｅｂ－ａ０１ を再起動してください。"
t11=$(last_ticket)
want_state "$t11" triage "full-width name in the body"
echo "ok: server and contract"
