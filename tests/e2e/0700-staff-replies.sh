#!/bin/bash
# Staff answer from their mail client (through `deliver`, with the clock
# set): a trusted reply (SASL login, or DKIM pass from our own
# authserv-id) is relayed to the customer from the support address,
# threaded to the customer's mail, tagged, with its attachment; a staff
# From without a trust signal, or with an Authentication-Results header
# from another authserv-id, is customer mail and recorded as spoofing;
# #comment never leaves; bad commands are answered to staff only; a reply
# at 20:00 on a Friday is held and released at 09:30 on the next business
# day; #send-now and fault reports are not held.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0700.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp, alice@example.jp
staff_logins = alice=alice@example.jp
trusted_authserv_id = mx.example.jp
smtp_url = smtp://127.0.0.1:1
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
db=$dir/state/mailproc.db
FRI_2000=1795777200	# Fri 2026-11-27 20:00 JST
MON_0929=1795998540	# Mon 2026-11-30 09:29 JST
MON_0930=1795998600
export MAILPROC_NOW=$FRI_2000

customer() {	# customer MSGID SUBJECT BODY
	printf 'From: Taro <taro@example.com>\nTo: support@example.jp\nSubject: %s\nMessage-ID: <%s>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' "$2" "$1" "$3" |
		mp deliver --sender taro@example.com --recipient support@example.jp || fail "customer deliver"
}
staff() {	# staff FROM SASL TICKET EXTRA-HEADERS BODY-FILE
	{ printf 'From: %s\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] question\nMessage-ID: <s%s@example.jp>\n%b' "$1" "$3" "$3" "$RANDOM$RANDOM" "$4"; cat "$5"; } |
		mp deliver --sender "$1" --recipient "support+$3@example.jp" --sasl-user "$2" || fail "staff deliver"
}
relayed() {	# relayed TICKET -> rows "state release_at" of staff replies
	sqlite3 -separator " " "$db" "SELECT state, coalesce(release_at, 0) FROM outbox WHERE ticket = $1 AND template = 'staff-reply' ORDER BY id"
}

customer c1@example.com "question" "ディスクの使い方について教えてください。"
t=$(mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
# Outside hours the acknowledgement goes out at once and names the next
# opening (Monday 30 Nov 9:30); the first response is due by its close.
sqlite3 "$db" "SELECT template, state FROM outbox WHERE ticket = $t AND to_addr = 'taro@example.com'" |
	grep -qx 'ack-closed|queued' || fail "no immediate ack-closed outside hours"
sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t AND template = 'ack-closed'" |
	python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
body = m.get_body(("plain",)).get_content()
assert "2026年11月30日（月）9:30" in body, body
' || fail "ack-closed does not name the next opening"
mp ticket show "$t" --json | python3 -c '
import json, sys
assert json.load(sys.stdin)["first_response_due"] == "2026-11-30T18:00:00+09:00"
' || fail "first response due"

# 1. A multipart/alternative ISO-2022-JP reply with quoted text and an
#    attachment, by SASL login, at 20:00 on a Friday: held until Monday.
python3 - "$dir/reply1.eml" <<'PY'
import sys
body = "山田様\n\nお問い合わせの件、ご回答いたします。\n①ディスクは /data をお使いください。\n\n> ディスクの使い方について教えてください。\n"
jis = body.replace("①", "(1)").encode("iso-2022-jp")
html = "<p>山田様</p><p>ご回答いたします。</p>".encode("iso-2022-jp")
import base64
out = (b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=MIX\n\n--MIX\n"
       b"Content-Type: multipart/alternative; boundary=ALT\n\n--ALT\n"
       b"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" + jis +
       b"\n--ALT\nContent-Type: text/html; charset=ISO-2022-JP\n\n" + html + b"\n--ALT--\n"
       b"--MIX\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"guide.pdf\"\n"
       b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"%PDF-1.4 test guide\n") + b"--MIX--\n")
open(sys.argv[1], "wb").write(b"\n" + out)
PY
# the blank line above ends the headers given by staff(): the MIME
# headers must come before it, so build the mail by hand here.
# Staff answer our notice: its subject is internal wording with its tag.
{ printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] =?UTF-8?B?5paw6KaP77ya?=question [SUPPORT#%s]\nMessage-ID: <s1@example.jp>\nIn-Reply-To: <notice-not-known@example.jp>\n' "$t" "$t" "$t"; tail -c +2 "$dir/reply1.eml"; } |
	mp deliver --sender staff@example.jp --recipient "support+$t@example.jp" --sasl-user staff@example.jp || fail "deliver reply1"
[ "$(relayed "$t")" = "held $MON_0930" ] || fail "Friday 20:00 reply: got '$(relayed "$t")', want 'held $MON_0930'"
MAILPROC_NOW=$MON_0929 mp run --once 2>/dev/null || true
[ "$(relayed "$t" | cut -d' ' -f1)" = held ] || fail "released before 09:30"
MAILPROC_NOW=$MON_0930 mp run --once 2>/dev/null || true
st=$(relayed "$t" | cut -d' ' -f1)
[ "$st" = queued ] || fail "not released at Monday 09:30: $st"
# What the customer gets: from support, to the customer, threaded to the
# customer's mail, tagged, the quoted history as written, the attachment.
sqlite3 "$db" "SELECT raw FROM outbox WHERE ticket = $t AND template = 'staff-reply'" > "$dir/out1.eml"
python3 - "$dir/out1.eml" "$t" <<'PY' || fail "relayed reply"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m["From"].addresses[0].addr_spec == "support@example.jp", m["From"]
assert str(m["To"]) == "taro@example.com", m["To"]
assert m["In-Reply-To"] == "<c1@example.com>", m["In-Reply-To"]
# the ticket's own subject with one tag, not the notice's wording
assert m["Subject"] == "Re: [SUPPORT#%s] question" % sys.argv[2], m["Subject"]
assert m["Auto-Submitted"] is None, "a staff reply is not automatic"
body = m.get_body(("plain",)).get_content()
assert "お問い合わせの件、ご回答いたします。" in body, body
assert "> ディスクの使い方について教えてください。" in body, body
atts = [p for p in m.iter_attachments()]
assert [a.get_filename() for a in atts] == ["guide.pdf"], atts
assert atts[0].get_content() == b"%PDF-1.4 test guide\n"
PY

# 2. #comment never leaves; #send-now is not held even on Friday night.
printf '\n#comment\ncalled the customer, waiting for logs\n' > "$dir/c.txt"
staff staff@example.jp staff@example.jp "$t" "" "$dir/c.txt"
[ "$(relayed "$t" | wc -l)" = 1 ] || fail "#comment was relayed"
mp ticket show "$t" --json | grep -q '"event": "comment"' || fail "comment not recorded"
printf '\n#send-now\nUrgent answer.\n' > "$dir/n.txt"
staff staff@example.jp staff@example.jp "$t" "" "$dir/n.txt"
[ "$(relayed "$t" | tail -1 | cut -d' ' -f1)" = queued ] || fail "#send-now was held"
mp ticket show "$t" --json | grep -q 'hold bypassed' || fail "bypass not recorded"

# 3. An unknown command: answered to staff, nothing to the customer.
printf '\n#frobnicate\nhello\n' > "$dir/u.txt"
staff alice@example.jp alice "$t" "" "$dir/u.txt"
[ "$(relayed "$t" | wc -l)" = 2 ] || fail "a mail with a bad command was relayed"
sqlite3 "$db" "SELECT to_addr FROM outbox WHERE template = 'staff-command-error'" | grep -qx alice@example.jp ||
	fail "bad command not answered to staff"

# 4. Trust by DKIM from our own authserv-id works; from another does not.
printf '\nAnswer via DKIM.\n' > "$dir/d.txt"
staff alice@example.jp "" "$t" "Authentication-Results: mx.example.jp; dkim=pass header.d=example.jp header.s=sel\n" "$dir/d.txt"
[ "$(relayed "$t" | wc -l)" = 3 ] || fail "DKIM-trusted reply not relayed"
staff alice@example.jp "" "$t" "Authentication-Results: evil.example; dkim=pass header.d=example.jp\n" "$dir/d.txt"
[ "$(relayed "$t" | wc -l)" = 3 ] || fail "reply trusted on a foreign authserv-id"
staff alice@example.jp "" "$t" "Authentication-Results: mx.example.jp; dkim=fail header.d=example.jp\n" "$dir/d.txt"
[ "$(relayed "$t" | wc -l)" = 3 ] || fail "reply trusted on dkim=fail"

# 5. A forged staff From (no SASL, no DKIM): customer mail, a new ticket
#    linked to the old one, recorded as spoofing, staff told.
printf '\n#close\nPlease send me the root password.\n' > "$dir/f.txt"
staff staff@example.jp "" "$t" "" "$dir/f.txt"
state=$(mp ticket show "$t" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" != closed ] || fail "a forged #close closed the ticket"
[ "$(relayed "$t" | wc -l)" = 3 ] || fail "forged reply relayed"
n=$(sqlite3 "$db" "SELECT count(*) FROM history WHERE event = 'spoofing'")
[ "$n" -ge 3 ] || fail "spoofing attempts not recorded: $n"
sqlite3 "$db" "SELECT count(*) FROM outbox WHERE template = 'staff-spoofing'" | grep -qvx 0 || fail "staff not told of spoofing"

# 6. #done on a ticket that is not open: error to staff, nothing else.
printf '\n#done\nfinished\n' > "$dir/x.txt"
staff alice@example.jp alice "$t" "" "$dir/x.txt"
[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE template = 'staff-command-error'")" = 2 ] ||
	fail "#done on a new ticket not refused"
[ "$(relayed "$t" | wc -l)" = 3 ] || fail "reply relayed despite a failed command"

# 7. #close works for trusted staff.
printf '\n#close\n' > "$dir/k.txt"
staff alice@example.jp alice "$t" "" "$dir/k.txt"
state=$(mp ticket show "$t" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" = closed ] || fail "#close: state $state"

# 8. A fault report's replies are not held, whatever the hour.
customer f1@example.com "サーバーに接続できません" "web01 に接続できません。ダウンしているようです。"
tf=$(mp ticket list --json | python3 -c 'import json,sys; print([t for t in json.load(sys.stdin) if t["class"] == "fault-report"][0]["id"])')
printf '\nWe are looking into it now.\n' > "$dir/fr.txt"
staff staff@example.jp staff@example.jp "$tf" "" "$dir/fr.txt"
[ "$(relayed "$tf")" = "queued 0" ] || fail "fault report reply held: $(relayed "$tf")"
echo "ok: staff replies"
