#!/bin/bash
# Escalation and the digest from `run` (through `deliver` and `run --once`
# with the clock set; first responses due within 4 business hours):
# - a request of Friday 14:00 falls due at Friday's close, 18:00; it is
#   escalated once, at Monday's opening, not on Saturday, to staff and
#   to escalation_address; later runs do not escalate it again;
# - a request staff answered on Friday is never escalated;
# - the digest goes to staff at Monday's opening, once however often the
#   runner runs, and lists each category: triage, held, pending
#   callbacks, overdue, suppressed mail, new tickets; the next opening
#   gets its own;
# - with nothing to say, no digest; `mailproc digest` sends one on
#   demand, `--print` shows it.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0740.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
escalation_address = boss@example.jp
first_response_within = 4 business hours
auto_reply_limit = 1
smtp_url = smtp://127.0.0.1:1
language = en
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
db=$dir/state/mailproc.db
q() { sqlite3 "$db" "$1"; }
FRI_1400=1795755600	# Fri 2026-11-27 14:00 JST
FRI_1500=1795759200
SAT_1000=1795827600
MON_0929=1795998540
MON_0930=1795998600	# Mon 2026-11-30 09:30 JST: the desk opens
MON_0945=1795999500
TUE_0930=1796085000
export MAILPROC_NOW=$FRI_1400

cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,株式会社テスト,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring reboot
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"
n=0
request() {	# request FROM SUBJECT BODY -> $t
	n=$((n + 1))
	printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <r%s@x>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "$2" "$n" "$3" |
		mp deliver --sender "$1" --recipient support@example.jp || fail "deliver exit $?"
	t=$(q "SELECT max(id) FROM tickets")
}
escalations() { q "SELECT count(*) FROM outbox WHERE template = 'staff-escalation' AND ticket = $1"; }
digests() { q "SELECT count(*) FROM outbox WHERE template = 'staff-digest'"; }
digest_body() {
	q "SELECT raw FROM outbox WHERE template = 'staff-digest' ORDER BY id DESC LIMIT 1" |
		python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
print(m.get_body(("plain",)).get_content())'
}

request taro@example.com "disk question" "How do I use the second disk?"
late=$t
q "SELECT first_response_due FROM tickets WHERE id = $late" | grep -qx 1795770000 ||
	fail "due time: $(q "SELECT first_response_due FROM tickets WHERE id = $late"), want Friday 18:00"
request hanako@example.com "billing question" "Where do I find my invoice?"
answered=$t
request req@a.example.jp "再起動のお願い" "web05 を再起動してください。"
held=$t
[ "$(q "SELECT state FROM tickets WHERE id = $held")" = held ] || fail "reboot request not held"
# Without a model, what no rule decides goes to triage whichever corpus
# the model learnt from (as in 0620).
cp "$dir/conf" "$dir/conf.model"
printf 'model_file = %s/no-model.bin\n' "$dir" >> "$dir/conf"
request req@a.example.jp "サーバーの件" "web01 の件でご相談があります。"
mv "$dir/conf.model" "$dir/conf"
triage=$t
[ "$(q "SELECT state FROM tickets WHERE id = $triage")" = triage ] || fail "unclear request not in triage"
# A second mail from the same sender within the hour: its acknowledgement
# is suppressed (auto_reply_limit = 1).
request taro@example.com "another question" "And the third disk?"
q "SELECT count(*) FROM outbox WHERE state = 'suppressed'" | grep -qvx 0 || fail "nothing suppressed"

# Staff answer one request on Friday: its clock stops.
export MAILPROC_NOW=$FRI_1500
printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] billing\nMessage-ID: <s1@example.jp>\n\nIt is under Billing.\n' "$answered" "$answered" |
	mp deliver --sender staff@example.jp --recipient "support+$answered@example.jp" --sasl-user staff@example.jp ||
	fail "staff deliver"

# Closed on Saturday: overdue, but neither escalated nor digested.
MAILPROC_NOW=$SAT_1000 mp run --once 2>/dev/null || true
[ "$(MAILPROC_NOW=$SAT_1000 mp ticket list --overdue --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 1 ] ||
	fail "not overdue on Saturday"
[ "$(escalations "$late")" = 0 ] || fail "escalated on Saturday"
[ "$(digests)" = 0 ] || fail "digest on Saturday"
MAILPROC_NOW=$MON_0929 mp run --once 2>/dev/null || true
[ "$(escalations "$late")" = 0 ] || fail "escalated before Monday's opening"
[ "$(digests)" = 0 ] || fail "digest before Monday's opening"

# Monday's opening: one escalation (staff and escalation_address), one digest.
MAILPROC_NOW=$MON_0930 mp run --once 2>/dev/null || true
[ "$(escalations "$late")" = 2 ] || fail "escalations of the late ticket: $(escalations "$late"), want 2"
q "SELECT group_concat(to_addr, ' ') FROM (SELECT to_addr FROM outbox WHERE template = 'staff-escalation' AND ticket = $late ORDER BY to_addr)" |
	grep -qx 'boss@example.jp staff@example.jp' || fail "escalation recipients"
q "SELECT created FROM outbox WHERE template = 'staff-escalation' AND ticket = $late LIMIT 1" | grep -qx "$MON_0930" ||
	fail "escalation not at Monday's opening"
[ "$(escalations "$answered")" = 0 ] || fail "an answered ticket was escalated"
mp ticket show "$late" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["escalated_at"] == "2026-11-30T09:30:00+09:00", d["escalated_at"]
assert any(h["event"] == "escalated" for h in d["history"]), d["history"]' || fail "escalation not on the ticket"
[ "$(digests)" = 1 ] || fail "digests at Monday's opening: $(digests), want 1"
q "SELECT to_addr FROM outbox WHERE template = 'staff-digest'" | grep -qx staff@example.jp || fail "digest not to staff"
digest_body > "$dir/digest1.txt"
python3 - "$dir/digest1.txt" "$late" "$answered" "$held" "$triage" <<'PY' || fail "digest sections: $(cat "$dir/digest1.txt")"
import re, sys
text = open(sys.argv[1]).read()
late, answered, held, triage = sys.argv[2:6]
def section(title):
    m = re.search(re.escape(title) + r".*?:\n(.*?)(?:\n\n|\Z)", text, re.S)
    assert m, title
    return m.group(1)
tag = lambda t: "[SUPPORT#%s]" % t
assert tag(triage) in section("Waiting for a class"), section("Waiting for a class")
assert tag(held) in section("Waiting for identity confirmation"), text
assert tag(held) in section("Phone callbacks pending"), text
overdue = section("First response overdue")
assert tag(late) in overdue and tag(answered) not in overdue, overdue
assert "suppressed" in section("Mail that failed"), text
new = section("New tickets")
assert all(tag(t) in new for t in (late, answered, held, triage)), new
assert re.search(r"\[SUPPORT#%s\]\s+2d " % late, overdue), overdue  # its age
PY

# Again, and after a restart: nothing more for this opening.
MAILPROC_NOW=$MON_0945 mp run --once 2>/dev/null || true
MAILPROC_NOW=$MON_0945 mp run --once 2>/dev/null || true
[ "$(digests)" = 1 ] || fail "second digest in one opening"
[ "$(escalations "$late")" = 2 ] || fail "escalated twice"
[ "$(q "SELECT count(*) FROM digests")" = 1 ] || fail "digest rows"

# The next opening gets its own digest; nothing new since Monday's.
MAILPROC_NOW=$TUE_0930 mp run --once 2>/dev/null || true
[ "$(digests)" = 2 ] || fail "no digest at Tuesday's opening"
digest_body | python3 -c '
import re, sys
text = sys.stdin.read()
new = re.search(r"New tickets.*?:\n(.*?)(?:\n\n|\Z)", text, re.S).group(1)
assert new.strip() == "-", new' || fail "Tuesday digest lists Monday's new tickets again"

# `digest` on demand, and --print.
MAILPROC_NOW=$TUE_0930 mp digest | grep -q queued || fail "digest command"
[ "$(digests)" = 3 ] || fail "digest command queued nothing"
MAILPROC_NOW=$TUE_0930 mp digest --print | grep -q "^Subject: " || fail "digest --print"
[ "$(digests)" = 3 ] || fail "digest --print queued a mail"

# Nothing to say: no digest.
rm -rf "$dir/state"
MAILPROC_NOW=$MON_0930 mp run --once 2>/dev/null || true
[ "$(q "SELECT count(*) FROM outbox")" = 0 ] || fail "a digest with nothing to say"
MAILPROC_NOW=$MON_0930 mp digest | grep -q "nothing to say" || fail "digest command with nothing to say"
echo "ok: escalation and digest"
