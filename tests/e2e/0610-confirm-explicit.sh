#!/bin/bash
# Confirmation is an explicit yes, through a real Postfix (SPEC §8, issue
# 11): the confirmation mail's Reply-To is the ticket's address, so a
# plain Reply reaches staff and confirms nothing; a "no" sent to the
# confirm address declines; an out-of-office reply neither confirms nor
# declines; a yes from another address is flagged in the work order;
# seven requests in an hour all get their confirmation mail; a request
# made on Friday 12-26 is still pending on 01-05 (business-time lifetime,
# the year-end closure).
set -eu
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
chmod 755 "$work"
at_exit "rm -rf '$work'"
db=$MP_STACK/state/mailproc.db

cat >"$work/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,株式会社テスト,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring reboot
CSV
chmod 644 "$work/customers.csv"
mp customers import "$work/customers.csv" >/dev/null || fail "import"

sent=0	# mails through the pipe so far
n=0
request() {	# request SUBJECT BODY
	n=$((n + 1))
	send_mail --from req@a.example.jp --to support@example.jp \
		--header "Subject: $1" \
		--header "Message-ID: <req$n.$$@a.example.jp>" \
		--header 'Content-Type: text/plain; charset=UTF-8' \
		--body "$2"
	sent=$((sent + 1))
	wait_delivered "$sent"
}
last_ticket() { mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }
state_of() { mp ticket show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
want_state() { s=$(state_of "$1"); [ "$s" = "$2" ] || fail "ticket $1: state $s, want $2 ($3)"; }
count() { sqlite3 "$db" "$1"; }
# The confirmation mail of ticket $1, from the outbox, as a file.
confirm_mail() {
	sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $1 AND template = 'identity-confirm' ORDER BY id DESC LIMIT 1" >"$work/confirm.$1"
	echo "$work/confirm.$1"
}
# Header field $2 of the confirmation mail, or the confirm address (body).
confirm_field() {
	python3 - "$(confirm_mail "$1")" "$2" <<'PY'
import email, email.policy, re, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
if sys.argv[2] == "confirm":
    found = re.search(r"support\+confirm-\S+@example\.jp", m.get_body(("plain",)).get_content())
    print(found.group(0) if found else "")
elif sys.argv[2] == "Reply-To":
    print(m["Reply-To"].addresses[0].addr_spec)
else:
    print(m[sys.argv[2]])
PY
}
# to_confirm ADDRESS FROM BODY [SWAKS-ARGS...]: a mail to a token address.
to_confirm() {
	local to=$1 from=$2 body=$3
	shift 3
	[ -n "$to" ] || fail "no token address (no confirmation mail?)"
	n=$((n + 1))
	send_mail --from "$from" --to "$to" \
		--header "Subject: ${SUBJ:-Re: confirm}" \
		--header "Message-ID: <c$n.$$@a.example.jp>" \
		--header 'Content-Type: text/plain; charset=UTF-8' \
		--body "$body" "$@"
	sent=$((sent + 1))
	wait_delivered "$sent"
}

# 1. The confirmation mail names the token addresses in its body; its
#    Reply-To is the ticket's own address, not a token address.
request "サービス監視の設定変更のお願い" "HTTP監視のURLを変更してください。"
t1=$(last_ticket)
want_state "$t1" held "email-channel request"
rt=$(confirm_field "$t1" Reply-To)
[ "$rt" = "support+$t1@example.jp" ] || fail "Reply-To of the confirmation mail is $rt"
addr1=$(confirm_field "$t1" confirm)

# 2. A plain Reply to it (to its Reply-To, threaded) with a yes in the
#    text: a follow-up that staff read; the request stays held.
parent=$(confirm_field "$t1" Message-ID)
n=$((n + 1))
send_mail --from mon@a.example.jp --to "$rt" \
	--header "Subject: Re: [SUPPORT#$t1] confirm" \
	--header "Message-ID: <plain$n.$$@a.example.jp>" \
	--header "In-Reply-To: $parent" --header "References: $parent" \
	--header 'Content-Type: text/plain; charset=UTF-8' \
	--body $'はい、お願いします。\n\n> 次の作業のご依頼を受け付けました。'
sent=$((sent + 1))
wait_delivered "$sent"
want_state "$t1" held "a plain Reply to the confirmation mail"
[ "$(count "SELECT count(*) FROM messages WHERE ticket = $t1")" = 2 ] ||
	fail "the plain reply is not on ticket $t1"
[ "$(count "SELECT count(*) FROM outbox WHERE ticket = $t1 AND template = 'staff-followup' AND to_addr = 'staff@example.jp'")" = 1 ] ||
	fail "staff were not shown the plain reply"
[ "$(count "SELECT count(*) FROM outbox WHERE ticket = $t1 AND template = 'staff-work'")" = 0 ] ||
	fail "a plain reply produced a work order"

# 3. An out-of-office reply to the confirm address: neither confirms nor
#    declines, recorded, staff told; then one with only X-Autoreply.
SUBJ='自動応答: Re: confirm' to_confirm "$addr1" mon@a.example.jp \
	"不在にしております。1月5日に戻ります。" --header 'Auto-Submitted: auto-replied'
want_state "$t1" held "an auto-reply to the confirm address"
to_confirm "$addr1" mon@a.example.jp "I am out of the office." \
	--header 'X-Autoreply: yes'
want_state "$t1" held "an X-Autoreply mail to the confirm address"
[ "$(count "SELECT count(*) FROM identity_log WHERE ticket = $t1 AND outcome = 'automatic-reply'")" = 2 ] ||
	fail "automatic replies not recorded"
[ "$(count "SELECT count(*) FROM outbox WHERE ticket = $t1 AND template = 'staff-identity-reply'")" = 2 ] ||
	fail "staff not told of the automatic replies"

# 4. A "no" to the confirm address declines: rejected, no work order.
to_confirm "$addr1" mon@a.example.jp "このような依頼はしていません。作業しないでください。"
want_state "$t1" rejected "a no to the confirm address"
[ "$(count "SELECT count(*) FROM outbox WHERE ticket = $t1 AND template = 'staff-work'")" = 0 ] ||
	fail "a no produced a work order"
[ "$(count "SELECT count(*) FROM outbox WHERE ticket = $t1 AND template = 'denied' AND to_addr = 'req@a.example.jp'")" = 1 ] ||
	fail "the requester was not told of the decline"
# ... and an English no the same.
request "Service monitoring change" "Please change the HTTP check URL."
t2=$(last_ticket)
to_confirm "$(confirm_field "$t2" confirm)" mon@a.example.jp "No. I did not request this."
want_state "$t2" rejected "an English no"

# 5. A yes from an address other than the registered one confirms (the
#    token is the proof), and the work order says so.
request "サービス監視の設定変更をお願いします" "監視URLを https://example.jp/health に変更してください。"
t3=$(last_ticket)
to_confirm "$(confirm_field "$t3" confirm)" someone@else.example.net "OK"
want_state "$t3" open "a yes from another address"
sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t3 AND template = 'staff-work'" >"$work/work.eml"
python3 - "$work/work.eml" <<'PY' || fail "the work order does not flag the other address"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
body = m.get_body(("plain",)).get_content()
assert "someone@else.example.net" in body and "mon@a.example.jp" in body, body
PY

# 6. Seven requests in an hour from one address: seven confirmation
#    mails to the monitoring address, none suppressed.
first=$(( $(last_ticket) + 1 ))
for i in 1 2 3 4 5 6 7; do
	request "サービス監視の設定変更 $i" "監視項目 $i を変更してください。"
done
got=$(count "SELECT count(*) FROM outbox WHERE ticket >= $first AND template = 'identity-confirm' AND to_addr = 'mon@a.example.jp' AND state != 'suppressed'")
[ "$got" = 7 ] || fail "seven requests: $got confirmation mails, want 7"
[ "$(count "SELECT count(*) FROM outbox WHERE ticket >= $first AND state = 'suppressed'")" = 0 ] ||
	fail "policy mail suppressed: $(count "SELECT template, to_addr, last_error FROM outbox WHERE state = 'suppressed'")"
mp run --once || fail "run --once"
sinked=$(python3 - "$MP_STACK"/sink/* <<'PY'
import email, email.policy, sys
n = 0
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    if b"X-Rcpt-Args: <mon@a.example.jp>" not in raw:
        continue
    m = email.message_from_bytes(raw, policy=email.policy.default)
    if "support+confirm-" in m.get_body(("plain",)).get_content():
        n += 1
print(n)
PY
)
[ "$sinked" -ge 7 ] || fail "only $sinked confirmation mails reached the sink"

# 7. Friday 2025-12-26 10:00 JST, through Postfix: the pipe gets the clock
#    from Postfix's export_environment.  With the default lifetime (3
#    business days) and closure (12-29..01-03) it is pending all of 01-05.
old_env=$(postconf -c "$MP_STACK/etc" -h export_environment 2>/dev/null)
fri=1766710800	# 2025-12-26T10:00:00+09:00
postconf -c "$MP_STACK/etc" -e "export_environment = $old_env MAILPROC_NOW=$fri" 2>/dev/null
at_exit "postconf -c '$MP_STACK/etc' -e 'export_environment = $old_env'; postfix -c '$MP_STACK/etc' reload >/dev/null 2>&1"
postfix -c "$MP_STACK/etc" reload >/dev/null 2>&1 || fail "postfix reload"
sleep 1
request "サービス監視の設定変更（年末）" "年末年始の間、監視URLを変更してください。"
t4=$(last_ticket)
want_state "$t4" held "the Friday request"
created=$(count "SELECT created FROM tickets WHERE id = $t4")
[ "$created" = "$fri" ] || fail "the pipe did not run at the test clock: created $created"
for at in 1766970000 1767150000 1767574200 1767610800; do
	# 12-29 10:00, 12-31 12:00, 01-05 09:50, 01-05 20:00
	MAILPROC_NOW=$at mp run --once 2>/dev/null || true
	want_state "$t4" held "pending at $at"
done
[ "$(count "SELECT count(*) FROM outbox WHERE ticket = $t4 AND template = 'identity-expired'")" = 0 ] ||
	fail "expired during the closure"
# ... and the token still works on 01-05.
tok4=$(confirm_field "$t4" confirm)
postconf -c "$MP_STACK/etc" -e "export_environment = $old_env MAILPROC_NOW=1767578400" 2>/dev/null
postfix -c "$MP_STACK/etc" reload >/dev/null 2>&1 || fail "postfix reload"
sleep 1
to_confirm "$tok4" mon@a.example.jp "問題ありません。お願いします。"
want_state "$t4" open "confirmed on 01-05"
pass
