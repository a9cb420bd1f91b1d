#!/bin/bash
# Staff replies through a real Postfix: the customer writes on the plain
# port; staff get the notification at the sink, reply from a common
# client format (multipart/alternative, ISO-2022-JP, quoted text) through
# the authenticated submission port, and the reply reaches the customer at
# the sink from the support address; the same reply with a staff From on
# the unauthenticated port does not; #comment never leaves.
set -eu
MP_NEEDS_DOVECOT=1
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
at_exit "rm -rf '$work'"
cust=hanako@customer.example.com

send_mail --from "$cust" --to support@example.jp \
	--header 'Subject: バックアップについて' \
	--header 'Message-ID: <q1.e2e@customer.example.com>' \
	--header 'Content-Type: text/plain; charset=UTF-8' \
	--body 'バックアップの取得時刻を教えてください。'
wait_delivered 1
id=$(mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
mp run --once || fail "run --once"

# The notification to staff reached the sink, Reply-To the ticket.
notice=$(grep -l '^X-Rcpt-Args:.*staff@example.jp' "$MP_STACK"/sink/* 2>/dev/null | head -1)
[ -n "$notice" ] || fail "no notification for staff at the sink"
python3 - "$notice" "$id" <<'PY' || fail "notification"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m["Reply-To"].addresses[0].addr_spec == "support+%s@example.jp" % sys.argv[2], m["Reply-To"]
PY
notice_id=$(python3 -c '
import email, email.policy, sys
print(email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)["Message-ID"])' "$notice")

# A Thunderbird-style reply: multipart/alternative, ISO-2022-JP, quoting.
python3 - "$work/reply.eml" "$id" "$notice_id" <<'PY'
import sys
path, tid, parent = sys.argv[1:]
text = ("#send-now\n花子様\n\n取得時刻は毎日 3:00 です。\n\n"
        "> バックアップの取得時刻を教えてください。\n")
html = "<html><body><p>花子様</p><p>取得時刻は毎日 3:00 です。</p></body></html>"
def jis(s): return s.encode("iso-2022-jp").decode("ascii")
open(path, "w").write(
    "From: Support Staff <staff@example.jp>\n"
    "To: support+%s@example.jp\n"
    "Subject: Re: [SUPPORT#%s] =?ISO-2022-JP?B?GyRCJVAlQyUvJSIlQyVXJEskRCQkJEYbKEI=?=\n"
    "Message-ID: <r1.e2e@example.jp>\n"
    "In-Reply-To: %s\nReferences: %s\n"
    "User-Agent: Mozilla Thunderbird\nMIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
    "--b1\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n%s\n"
    "--b1\nContent-Type: text/html; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n%s\n"
    "--b1--\n" % (tid, tid, parent, parent, jis(text), jis(html)))
PY
send_staff_mail --from staff@example.jp --to "support+$id@example.jp" --data "@$work/reply.eml"
wait_delivered 2

# The same text with a staff From on the customer port: not staff.
sed 's/^Message-ID: .*/Message-ID: <forged.e2e@example.jp>/' "$work/reply.eml" > "$work/forged.eml"
send_mail --from staff@example.jp --to "support+$id@example.jp" --data "@$work/forged.eml"
wait_delivered 3

# A #comment from staff never leaves.
send_staff_mail --from staff@example.jp --to "support+$id@example.jp" \
	--header "Subject: Re: [SUPPORT#$id]" \
	--header 'Message-ID: <c1.e2e@example.jp>' \
	--body $'#comment\nInternal: customer is on the old plan.'
wait_delivered 4
mp run --once || fail "run --once"

# Exactly one reply reached the customer, and it is the right one.
replies=$(grep -l "^X-Rcpt-Args:.*$cust" "$MP_STACK"/sink/* | xargs grep -L '^Auto-Submitted:' || true)
[ "$(printf '%s\n' "$replies" | grep -c .)" = 1 ] || fail "want 1 staff reply to the customer, got: $replies"
python3 - $replies <<'PY' || fail "relayed reply"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m["From"].addresses[0].addr_spec == "support@example.jp", m["From"]
assert m["In-Reply-To"] == "<q1.e2e@customer.example.com>", m["In-Reply-To"]
assert "[SUPPORT#" in m["Subject"] and "バックアップについて" in m["Subject"], m["Subject"]
body = m.get_body(("plain",)).get_content()
assert "取得時刻は毎日 3:00 です。" in body, body
assert "> バックアップの取得時刻を教えてください。" in body, body
assert "#send-now" not in body, body
assert "Internal" not in body
PY
grep -l 'Internal: customer is on the old plan' "$MP_STACK"/sink/* 2>/dev/null &&
	fail "#comment text left the system"
show=$(mp ticket show "$id" --json)
json_check "$show" '
ev = [h["event"] for h in d["history"]]
want("comment" in ev, True, "comment recorded")
want("reply" in ev, True, "reply recorded")
'
n=$(mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "the forged mail should open one linked ticket: $n tickets"
mp ticket list --json | python3 -c '
import json, sys
ts = json.load(sys.stdin)
assert ts[1]["requester"] == "staff@example.jp", ts
' || fail "forged mail not filed as customer mail"
pass
