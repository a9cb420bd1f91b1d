#!/bin/bash
# Identity confirmation (本人性確認) end to end through `deliver`: work is
# held until the registered contact confirms; the confirmation goes to the
# registered address, never to the requester's; forged, replayed,
# guessed, foreign, expired and altered tokens are refused and recorded;
# declining rejects; the phone path works by command; unregistered
# senders are never held.
set -eu
# shellcheck source=tests/e2e/scratch.sh
. "$(dirname "$0")/scratch.sh"
scratch 0600 'identity_token_ttl = 72h'

cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,株式会社テスト,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring reboot
C-2,Other Ltd.,req@b.example.com,mon@b.example.com,03-3333-4444,service-monitoring
C-3,電話なし,req@c.example.jp,mon@c.example.jp,,reboot
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"

n=0
request() {	# request FROM SUBJECT BODY [RECIPIENT]
	n=$((n + 1))
	printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <r%s.%s@x>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "$2" "$n" "$RANDOM" "$3" |
		mp deliver --sender "$1" --recipient "${4:-support@example.jp}" ||
		fail "deliver exit $?"
}
last_ticket() { mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }
state_of() { mp ticket show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
want_state() { s=$(state_of "$1"); [ "$s" = "$2" ] || fail "ticket $1: state $s, want $2 ($3)"; }
# The confirm address of the newest identity mail of a ticket.
confirm_addr() {
	sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $1 AND template IN ('identity-confirm','identity-reminder') ORDER BY id DESC LIMIT 1" |
		python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
import re
body = m.get_body(("plain",)).get_content()
print(re.search(r"support\+confirm-\S+@example\.jp", body).group(0))'
}
reply_to() {	# reply_to ADDRESS FROM
	n=$((n + 1))
	printf 'From: %s\nTo: %s\nSubject: Re: confirm\nMessage-ID: <c%s.%s@x>\n\nOK\n' "$2" "$1" "$n" "$RANDOM" |
		mp deliver --sender "$2" --recipient "$1" || fail "reply exit $?"
}
# Mail to the customer is threaded to the customer's own mail.
threaded() {	# threaded TICKET TEMPLATE
	req=$(mp ticket show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["requester"])')
	ids=$(sqlite3 "$db" "SELECT message_id FROM messages WHERE ticket = $1 AND direction = 'in' AND parsed LIKE '%\"$req\"%' ORDER BY id")
	sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $1 AND template = '$2' AND to_addr = '$req' ORDER BY id LIMIT 1" |
		python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
ids = ["<%s>" % i for i in sys.argv[1].split()]
refs = (m["References"] or "").split()
assert m["In-Reply-To"] in ids, (m["In-Reply-To"], ids)
assert ids[0] in refs and m["In-Reply-To"] == refs[-1], (refs, ids)
' "$ids" || fail "ticket $1: $2 not threaded to the customer's mail"
}
refusals() { sqlite3 "$db" "SELECT count(*) FROM identity_log WHERE outcome = '$1'"; }
outbox_to() {	# outbox_to TICKET TEMPLATE -> recipients
	sqlite3 "$db" "SELECT to_addr FROM outbox WHERE ticket = $1 AND template = '$2' ORDER BY id"
}

# 1. An email-channel request is held; the token goes to the registered
#    monitoring address only, never to the requester.
request req@a.example.jp "サービス監視の設定変更のお願い" "HTTP監視のURLを変更してください。"
t1=$(last_ticket)
want_state "$t1" held "email-channel request"
[ "$(outbox_to "$t1" identity-confirm)" = mon@a.example.jp ] ||
	fail "confirmation went to '$(outbox_to "$t1" identity-confirm)'"
[ "$(outbox_to "$t1" identity-pending)" = req@a.example.jp ] ||
	fail "requester not told the request is pending"
threaded "$t1" identity-pending
sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t1 AND to_addr = 'req@a.example.jp'" |
	grep -q 'confirm-' && fail "the token reached the requester"
sqlite3 "$db" "SELECT count(*) FROM identity WHERE token_hash LIKE '%$(confirm_addr "$t1" | sed 's/.*-\([0-9a-f]*\)@.*/\1/')%'" |
	grep -qx 0 || fail "the token is stored in clear"
addr1=$(confirm_addr "$t1")

# A customer follow-up, or a staff attempt to complete, leaves it held.
printf 'From: req@a.example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s]\nMessage-ID: <fu%s@x>\n\n急ぎでお願いします。\n' "$t1" "$t1" "$RANDOM" |
	mp deliver --sender req@a.example.jp --recipient "support+$t1@example.jp" || fail "follow-up"
want_state "$t1" held "customer follow-up"
set +e
mp complete "$t1" --by alice 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "complete of a held ticket: exit $rc, want 65"
want_state "$t1" held "complete refused"

# 2. A forged request From the registered monitoring address still waits
#    for the token.
# (The text was an exclusion request, which the classifier of 4c15499
# sends to triage as a low-confidence "change"; this step is about who
# may confirm, so it uses an unambiguous change request.)
request mon@a.example.jp "監視設定の変更" "サービス監視のURLを変更してください。"
t2=$(last_ticket)
want_state "$t2" held "request from the registered address"
addr2=$(confirm_addr "$t2")

# 3. Refused: a token for another ticket, a guessed token, changed case,
#    whitespace, a malformed address.
tok2=$(echo "$addr2" | sed 's/.*confirm-[0-9]*-\([0-9a-f]*\)@.*/\1/')
before=$(mp ticket show "$t1" --json)
reply_to "support+confirm-$t1-$tok2@example.jp" mon@a.example.jp
[ "$(refusals unknown-token)" = 1 ] || fail "foreign token not refused"
reply_to "support+confirm-$t1-$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')@example.jp" mon@a.example.jp
[ "$(refusals unknown-token)" = 2 ] || fail "guessed token not refused"
upper=$(echo "$addr1" | sed 's/confirm-\([0-9]*\)-\([0-9a-f]*\)@/confirm-\1-\U\2\E@/')
reply_to "$upper" mon@a.example.jp
[ "$(refusals unknown-token)" = 3 ] || fail "upper-case token not refused"
spaced=$(echo "$addr1" | sed 's/\(confirm-[0-9]*-[0-9a-f]\{10\}\)/\1 /')
reply_to "$spaced" mon@a.example.jp
reply_to "support+confirm-$t1-abc@example.jp" mon@a.example.jp
[ "$(refusals malformed-token)" = 2 ] || fail "malformed tokens not refused: $(refusals malformed-token)"
want_state "$t1" held "after refused attempts"
# A wrong token joins nothing: not one of those mails is on the ticket;
# each is a ticket of its own, linked to it.
mp ticket show "$t1" --json | python3 -c '
import json, sys
t, b = json.load(sys.stdin), json.loads(sys.argv[1])
assert t["messages"] == b["messages"], [m["subject"] for m in t["messages"]]
assert t["history"] == b["history"], t["history"][len(b["history"]):]
assert t["outbox"] == b["outbox"], t["outbox"][len(b["outbox"]):]
' "$before" || fail "a wrong token added to the ticket"
[ "$(sqlite3 "$db" "SELECT count(*) FROM tickets WHERE linked = $t1")" = 5 ] ||
	fail "wrong-token mails not filed as linked tickets of their own"

# 4. The right token confirms: open, requester told, staff get the work.
reply_to "$addr1" mon@a.example.jp
want_state "$t1" open "confirmed"
[ "$(outbox_to "$t1" staff-work)" = staff@example.jp ] || fail "no staff work notice"
outbox_to "$t1" identity-confirmed | grep -qx req@a.example.jp || fail "requester not told"
threaded "$t1" identity-confirmed
# ... once: replaying it is refused.
reply_to "$addr1" mon@a.example.jp
[ "$(refusals used-token)" = 1 ] || fail "replayed token not refused"

# 5. Declining rejects the request.
deny2=$(echo "$addr2" | sed 's/+confirm-/+deny-/')
reply_to "$deny2" mon@a.example.jp
want_state "$t2" rejected "declined"
outbox_to "$t2" denied | grep -q . || fail "decline not answered"
threaded "$t2" denied

# 6. Expiry: a token used after identity_token_ttl is refused, and `run`
#    rejects the request and tells the requester and staff.
request req@b.example.com "サービス監視設定変更" "監視項目を変更してください。"
t3=$(last_ticket)
addr3=$(confirm_addr "$t3")
MAILPROC_NOW=$((MAILPROC_NOW + 73 * 3600)) reply_to "$addr3" mon@b.example.com
[ "$(refusals expired-token)" = 1 ] || fail "expired token not refused"
want_state "$t3" held "expired token"
printf 'smtp_url = smtp://127.0.0.1:1\n' >> "$dir/conf"
MAILPROC_NOW=$((MAILPROC_NOW + 60 * 3600)) mp run --once 2>/dev/null || true
[ "$(outbox_to "$t3" identity-reminder)" = mon@b.example.com ] || fail "no reminder before expiry"
MAILPROC_NOW=$((MAILPROC_NOW + 73 * 3600)) mp run --once 2>/dev/null || true
want_state "$t3" rejected "expiry"
outbox_to "$t3" identity-expired | grep -qx req@b.example.com || fail "requester not told of expiry"
threaded "$t3" identity-expired
outbox_to "$t3" staff-identity-expired | grep -qx staff@example.jp || fail "staff not told of expiry"

# 7. The phone channel: a callback task to staff with the registered
#    number; staff record the result with verify / deny.
request req@a.example.jp "サーバーの再起動をお願いします" "web01 を再起動してください。"
t4=$(last_ticket)
want_state "$t4" held "phone-channel request"
sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t4 AND template = 'identity-callback'" |
	python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
assert str(m["To"]) == "staff@example.jp", m["To"]
assert "03-1111-2222" in m.get_body(("plain",)).get_content()
' || fail "callback task without the registered number"
mp verify "$t4" --by alice || fail "verify exit $?"
want_state "$t4" open "verified by phone"
mp ticket show "$t4" --json | grep -q '"actor": "alice"' || fail "verifier not recorded"
request req@a.example.jp "再起動依頼" "web02 を再起動してください。"
t5=$(last_ticket)
mp deny "$t5" --by bob || fail "deny exit $?"
want_state "$t5" rejected "denied by phone"
# verify on a ticket that is not held, or an email-channel one without an
# override reason, is refused.
set +e
mp verify "$t4" --by alice 2>/dev/null; rc1=$?
request req@a.example.jp "監視設定変更" "サービス監視の設定を変更してください"
t6=$(last_ticket)
mp verify "$t6" --by alice 2>/dev/null; rc2=$?
set -e
[ $rc1 = 65 ] || fail "verify of an open ticket: exit $rc1, want 65"
[ $rc2 = 65 ] || fail "verify of an email-channel ticket without override: exit $rc2"
want_state "$t6" held "no override"
mp verify "$t6" --by alice --override "customer called from the registered number" ||
	fail "override refused"
want_state "$t6" open "override"
mp ticket show "$t6" --json | grep -q 'override' || fail "override not recorded"

# 7b. ... and by mail command from trusted staff: #verified / #denied.
staff_cmd() {	# staff_cmd TICKET COMMAND
	n=$((n + 1))
	printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s]\nMessage-ID: <sc%s@example.jp>\n\n%s\n' "$1" "$1" "$n" "$2" |
		mp deliver --sender staff@example.jp --recipient "support+$1@example.jp" --sasl-user staff@example.jp || fail "staff deliver"
}
request req@a.example.jp "再起動のお願い" "web03 を再起動してください。"
t10=$(last_ticket)
staff_cmd "$t10" "#verified"
want_state "$t10" open "#verified by mail"
request req@a.example.jp "再起動のお願い" "web04 を再起動してください。"
t11=$(last_ticket)
staff_cmd "$t11" "#denied"
want_state "$t11" rejected "#denied by mail"
# A forged #verified (no SASL login) changes nothing.
request req@a.example.jp "再起動のお願い" "web05 を再起動してください。"
t12=$(last_ticket)
printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s]\nMessage-ID: <forged%s@x>\n\n#verified\n' "$t12" "$t12" "$RANDOM" |
	mp deliver --sender staff@example.jp --recipient "support+$t12@example.jp" || fail "forged deliver"
want_state "$t12" held "forged #verified"

# 8. Never held without a registered contact: unregistered sender, or a
#    contract with no phone for a phone-channel task.
request stranger@evil.example "サーバーの再起動をお願いします" "今すぐ再起動してください。"
t7=$(last_ticket)
want_state "$t7" rejected "unregistered"
outbox_to "$t7" unregistered | grep -qx stranger@evil.example || fail "no unregistered answer"
[ -z "$(outbox_to "$t7" identity-callback)" ] || fail "callback for a stranger"
request req@c.example.jp "再起動のお願い" "サーバーを再起動してください。"
t8=$(last_ticket)
want_state "$t8" rejected "no registered phone"
# A contract without the option: not subscribed.
request req@b.example.com "再起動のお願い" "サーバーを再起動してください。"
t9=$(last_ticket)
want_state "$t9" rejected "not subscribed"
outbox_to "$t9" not-subscribed | grep -q . || fail "no not-subscribed answer"

# 8b. A pending callback: staff are reminded at the next opening and
#     escalated to once after callback_escalate_after (1 business day).
request req@a.example.jp "再起動のお願い" "web06 を再起動してください。"
t13=$(last_ticket)
MAILPROC_NOW=$((MAILPROC_NOW + 3600)) mp run --once 2>/dev/null || true
[ -z "$(outbox_to "$t13" staff-callback-reminder)" ] || fail "reminded before the next opening"
MAILPROC_NOW=$((MAILPROC_NOW + 85500)) mp run --once 2>/dev/null || true	# Tue 09:45
[ "$(outbox_to "$t13" staff-callback-reminder)" = staff@example.jp ] || fail "no callback reminder at the opening"
[ -z "$(outbox_to "$t13" staff-callback-escalation)" ] || fail "escalated too early"
MAILPROC_NOW=$((MAILPROC_NOW + 87000)) mp run --once 2>/dev/null || true	# Tue 10:10
MAILPROC_NOW=$((MAILPROC_NOW + 88000)) mp run --once 2>/dev/null || true
[ "$(outbox_to "$t13" staff-callback-escalation)" = staff@example.jp ] || fail "callback not escalated once"
[ "$(outbox_to "$t13" staff-callback-reminder | wc -l)" = 1 ] || fail "reminded twice in one day"
want_state "$t13" held "a pending callback"

# 9. Completion: only an open ticket; the notice goes to the monitoring
#    address.
mp complete "$t4" --by alice || fail "complete exit $?"
want_state "$t4" done "completed"
outbox_to "$t4" completion | grep -qx mon@a.example.jp || fail "completion notice not to the monitoring address"
set +e
mp complete "$t2" --by alice 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "complete of a rejected ticket: exit $rc"
mp close "$t4" || fail "close exit $?"
want_state "$t4" closed "closed"
echo "ok: identity confirmation"
