#!/bin/bash
# Staff trust through a real Postfix and Dovecot SASL (issue 11): a
# customer's own SASL login with a staff From is not staff; a signed mail
# with a second From is not staff (the same mail with one From is); a
# wrong token to a confirm address adds nothing to the ticket; a form
# mail with a staff address in its fields, submitted with the staff
# login, is customer mail; a staff reply quoting the callback notice
# reaches the customer without the emergency number.
set -eu
MP_NEEDS_DOVECOT=1
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
at_exit "rm -rf '$work'"
cust=hanako@customer.example.com
phone=03-1111-2222
holder=株式会社ハナコ商事
# Our own MTA's Authentication-Results count for DKIM.
echo "trusted_authserv_id = mx.e2e.test" >>"$MP_STACK/mailproc.conf"
# Over LMTP the resident server reads the configuration at its start.
"$E2E_DIR/stack.sh" lmtp-restart "$MP_STACK" || fail "lmtp restart"

cat >"$work/customers.csv" <<CSV
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,$holder,$cust,mon@customer.example.com,$phone,reboot service-monitoring
CSV
chmod 644 "$work/customers.csv"
chmod 755 "$work"
mp customers import "$work/customers.csv" >/dev/null || fail "import"

# The customer asks for a reboot: held for a phone callback.
send_mail --from "$cust" --to support@example.jp \
	--header 'Subject: 再起動のお願い' \
	--header 'Message-ID: <rb1.e2e@customer.example.com>' \
	--header 'Content-Type: text/plain; charset=UTF-8' \
	--body 'web01 を再起動してください。'
wait_delivered 1
t=$(mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
show() { mp ticket show "$1" --json; }
state_of() { show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
[ "$(state_of "$t")" = held ] || fail "reboot request not held: $(state_of "$t")"
mp run --once || fail "run --once"

# 1. The customer's own SASL login with a staff From: not staff.
before=$(show "$t")
_mp_swaks --server "127.0.0.1:$MP_STAFF_PORT" --auth PLAIN --auth-user "$cust" \
	--auth-password hanako-secret --from "$cust" --to "support+$t@example.jp" \
	--header 'From: staff@example.jp' --header "Subject: Re: [SUPPORT#$t]" \
	--header 'Message-ID: <own-login.e2e@customer.example.com>' \
	--body $'#verified\n'
wait_delivered 2
[ "$(state_of "$t")" = held ] || fail "a customer's SASL login verified the request"
db=$MP_STACK/state/mailproc.db
sqlite3 "$db" "SELECT detail FROM history WHERE event = 'spoofing'" |
	grep -q "SASL login $cust is not a login of staff@example.jp" ||
	fail "the customer's login not recorded as a spoofing attempt"
log_since >/dev/null

# 2. A signed mail: with one From it is staff (the history names the
#    domain), with a second From on top it is not.
signed() {	# signed MSGID EXTRA-FROM
	python3 - "$work/signed.eml" "$t" "$1" "$2" <<'PY'
import sys
path, tid, mid, extra = sys.argv[1:]
open(path, "w").write(
    "Authentication-Results: mx.e2e.test; dkim=pass header.d=example.jp header.s=sel\n"
    + ("From: %s\n" % extra if extra else "") +
    "From: staff@example.jp\nTo: support+%s@example.jp\n"
    "Subject: Re: [SUPPORT#%s]\nMessage-ID: <%s>\n\n#comment\nsigned note %s\n" % (tid, tid, mid, mid))
PY
	send_mail --from staff@example.jp --to "support+$t@example.jp" --data "@$work/signed.eml"
}
signed one-from.e2e@example.jp ""
wait_delivered 3
sqlite3 "$db" "SELECT detail FROM history WHERE ticket = $t AND event = 'message'" |
	grep -q 'message from staff (DKIM example.jp)' || fail "signed staff mail not staff"
signed two-from.e2e@example.jp "staff@example.jp"
wait_delivered 4
[ "$(sqlite3 "$db" "SELECT count(*) FROM history WHERE ticket = $t AND event = 'comment'")" = 1 ] ||
	fail "a signed mail with a second From passed as staff"
sqlite3 "$db" "SELECT detail FROM history WHERE event = 'spoofing'" | grep -q 'more than one From' ||
	fail "second From not recorded as spoofing"

# 3. A wrong token to the confirm address adds nothing to the ticket.
before=$(show "$t")
send_mail --from "$cust" --to "support+confirm-$t-$(printf '%040d' 0)@example.jp" \
	--header "Subject: Re: [SUPPORT#$t]" \
	--header 'Message-ID: <wrong-token.e2e@customer.example.com>' \
	--body 'Our new technical contact is mallory@evil.example.'
wait_delivered 5
show "$t" | python3 -c '
import json, sys
t, b = json.load(sys.stdin), json.loads(sys.argv[1])
assert t["messages"] == b["messages"], [m["subject"] for m in t["messages"]]
assert t["history"] == b["history"], t["history"][len(b["history"]):]
assert not any("mallory" in (m.get("text") or "") for m in t["messages"])
' "$before" || fail "a wrong token added to the ticket"
[ "$(sqlite3 "$db" "SELECT count(*) FROM tickets WHERE linked = $t")" -ge 1 ] ||
	fail "the wrong-token mail is not a linked ticket of its own"

# 4. A form mail with a staff address in its fields, submitted by the
#    gateway with the staff login: customer mail.
before=$(show "$t")
python3 - "$work/form.eml" "$t" <<'PY'
import sys
path, tid = sys.argv[1:]
open(path, "w").write(
    "From: staff@example.jp\nTo: form@example.jp\n"
    "Subject: [SUPPORT#%s] form\nMessage-ID: <form.e2e@example.jp>\n"
    "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
    "契約ID: C-1\nお名前: 偽スタッフ\nメールアドレス: staff@example.jp\n"
    "電話番号: 090-0000-0000\n内容: #verified\n作業してください。\n" % tid)
PY
send_staff_mail --from staff@example.jp --to form@example.jp --data "@$work/form.eml"
wait_delivered 6
[ "$(state_of "$t")" = held ] || fail "a form mail changed the ticket"
sqlite3 "$db" "SELECT direction FROM messages WHERE message_id = 'form.e2e@example.jp'" | grep -qx in ||
	fail "form mail not filed as customer mail"
sqlite3 "$db" "SELECT detail FROM history WHERE event = 'spoofing'" | grep -q 'web form' ||
	fail "form mail with a staff address not recorded as spoofing"

# 5. Staff press Reply on the callback notice: the customer gets the
#    answer, not the number, the holder or our instructions.
notice=$(python3 - "$MP_STACK"/sink/* <<'PY'
import email, email.policy, sys
for p in sys.argv[1:]:
    m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
    if m["X-Mailproc-Notice"] and "03-1111-2222" in m.get_body(("plain",)).get_content():
        print(p)
        break
PY
)
[ -n "$notice" ] || fail "no marked callback notice at the sink"
python3 - "$notice" "$work/reply.eml" "$t" <<'PY'
import email, email.policy, sys
src, path, tid = sys.argv[1:]
m = email.message_from_bytes(open(src, "rb").read(), policy=email.policy.default)
quoted = "".join("> " + l + "\n" for l in m.get_body(("plain",)).get_content().splitlines())
text = ("#send-now\nお電話で確認が取れましたので、本日中に再起動いたします。\n\n"
        "%s support@example.jp wrote:\n%s" % (m["Date"], quoted))
open(path, "w").write(
    "From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: %s\n"
    "Message-ID: <callback-reply.e2e@example.jp>\nIn-Reply-To: %s\n"
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n\n%s" % (tid, m["Subject"], m["Message-ID"], text))
PY
send_staff_mail --from staff@example.jp --to "support+$t@example.jp" --data "@$work/reply.eml"
wait_delivered 7
mp run --once || fail "run --once"
reply=$(grep -l "^X-Rcpt-Args:.*$cust" "$MP_STACK"/sink/* | xargs grep -L '^Auto-Submitted:' || true)
[ "$(printf '%s\n' "$reply" | grep -c .)" = 1 ] || fail "want 1 staff reply to the customer, got: $reply"
python3 - $reply "$phone" "$holder" <<'PY' || fail "relayed reply"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
body = m.get_body(("plain",)).get_content()
assert "本日中に再起動いたします" in body, body
for secret in (sys.argv[2], sys.argv[3], "MAILPROC STAFF NOTICE", "mailproc verify", "wrote:"):
    assert secret not in body, (secret, body)
PY
pass
