#!/bin/bash
# Working a ticket by mail and on the command line (through `deliver`,
# the clock set): #take and #assign set the owner (`ticket list --owner`);
# #merge joins a duplicate to the older ticket with both histories, and
# what comes later on the duplicate's thread lands on the older one; two
# customers' tickets are never merged, nor a duplicate whose work waits
# for its identity confirmation; `close` records who closed; the
# requester writing to a closed ticket within reopen_within reopens it
# with a new due time, later it opens a linked ticket.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0750.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp, alice@example.jp
staff_logins = alice=alice@example.jp
smtp_url = smtp://127.0.0.1:1
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
db=$dir/state/mailproc.db
q() { sqlite3 "$db" "$1"; }
MON_1000=1796000400	# Mon 2026-11-30 10:00 JST
export MAILPROC_NOW=$MON_1000
customer() {	# customer FROM MSGID SUBJECT BODY [IN-REPLY-TO] -> $t
	printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <%s>\n%sContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "$3" "$2" "${5:+In-Reply-To: <$5>
}" "$4" | mp deliver --sender "$1" --recipient support@example.jp || fail "deliver $2"
	t=$(q "SELECT ticket FROM messages WHERE message_id = '$2'")
}
n=0
staff() {	# staff FROM TICKET BODY
	n=$((n + 1))
	printf 'From: %s\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] q\nMessage-ID: <st%s@example.jp>\n\n%b\n' "$1" "$2" "$2" "$n" "$3" |
		mp deliver --sender "$1" --recipient "support+$2@example.jp" --sasl-user "$([ "$1" = alice@example.jp ] && echo alice || echo "$1")" ||
		fail "staff deliver"
}
field() { mp ticket show "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)$2)"; }
errors() { q "SELECT count(*) FROM outbox WHERE template = 'staff-command-error'"; }

customer taro@example.com a1@example.com "disk question" "How do I use the second disk?"
a=$t
MAILPROC_NOW=$((MON_1000 + 300)) customer taro@example.com b1@example.com "disk question again" "Second disk: how?"
b=$t
[ "$a" != "$b" ] || fail "duplicate already on one ticket"
customer hanako@example.org h1@example.org "other question" "Where is my invoice?"
h=$t

# #take, #assign; an address that is not staff is refused.
staff staff@example.jp "$b" "#take"
[ "$(field "$b" '["owner"]')" = staff@example.jp ] || fail "#take"
staff alice@example.jp "$a" "#assign staff@example.jp"
[ "$(field "$a" '["owner"]')" = staff@example.jp ] || fail "#assign"
[ "$(mp ticket list --owner STAFF@example.jp --json | python3 -c 'import json,sys; print(sorted(t["id"] for t in json.load(sys.stdin)))')" = "[$a, $b]" ] ||
	fail "list --owner"
staff staff@example.jp "$a" "#assign mallory@example.net"
[ "$(errors)" = 1 ] || fail "#assign to a stranger not refused"
mp take "$h" --by alice@example.jp || fail "take on the command line"
[ "$(field "$h" '["owner"]')" = alice@example.jp ] || fail "take"
mp assign "$h" staff@example.jp --by alice@example.jp || fail "assign on the command line"
[ "$(field "$h" '["owner"]')" = staff@example.jp ] || fail "assign"

# Two customers' tickets are not merged.
set +e
mp merge "$a" "$h" --by staff@example.jp 2>/dev/null; rc=$?
set -e
[ "$rc" = 65 ] || fail "merge of two customers' tickets: exit $rc"
staff staff@example.jp "$h" "#merge $a\nshould not be sent"
[ "$(errors)" = 2 ] || fail "#merge of two customers' tickets not refused"

# #merge on the duplicate, with an answer: both histories and messages on
# the older ticket, the answer relayed from it.
staff staff@example.jp "$b" "#merge $a\nThe second disk is /data."
[ "$(field "$b" '["state"]')" = closed ] || fail "duplicate not closed"
[ "$(field "$b" '["merged_into"]')" = "$a" ] || fail "merged_into"
mp ticket show "$a" --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
texts = [m.get('text', '') for m in d['messages']]
assert any('How do I use the second disk?' in t for t in texts), texts
assert any('Second disk: how?' in t for t in texts), texts
hist = [(h['event'], h['detail']) for h in d['history']]
assert ('merge', '#$b merged into this ticket') in hist, hist
assert any(e == 'owner' and det.startswith('#$b: ') for e, det in hist), hist
assert d['first_response_at'] is not None, 'the answer is the first response'
" || fail "merged history"
q "SELECT ticket FROM outbox WHERE template = 'staff-reply'" | grep -qx "$a" || fail "answer not relayed from the older ticket"
# The customer answers on the duplicate's thread: it lands on the older.
customer taro@example.com b2@example.com "Re: disk question again" "Thanks!" b1@example.com
[ "$t" = "$a" ] || fail "reply on a merged ticket's thread went to $t, not $a"
mp ticket search "second disk" --json | python3 -c "
import json, sys
assert {h['ticket'] for h in json.load(sys.stdin)} == {$a}" || fail "search after merge"

# Close: who closed is recorded.  Within reopen_within the requester's
# mail reopens the ticket with a new due time; staff are told.
staff alice@example.jp "$a" "#close"
mp ticket show "$a" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["state"] == "closed", d["state"]
assert any(h["event"] == "state" and h["actor"] == "alice@example.jp" and "closed by alice@example.jp" in h["detail"] for h in d["history"]), d["history"]' ||
	fail "close does not record who closed"
TUE_1000=$((MON_1000 + 86400))
export MAILPROC_NOW=$TUE_1000
before=$(q "SELECT count(*) FROM outbox WHERE template = 'staff-followup' AND ticket = $a")
customer taro@example.com a3@example.com "Re: disk question" "It broke again." a1@example.com
[ "$t" = "$a" ] || fail "follow-up within reopen_within opened ticket $t"
mp ticket show "$a" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["state"] == "new", d["state"]
assert d["first_response_at"] is None, d["first_response_at"]
assert d["first_response_due"] == "2026-12-02T10:00:00+09:00", d["first_response_due"]
assert any("reopened" in (h["detail"] or "") for h in d["history"]), d["history"]' || fail "reopen"
[ "$(q "SELECT count(*) FROM outbox WHERE template = 'staff-followup' AND ticket = $a")" -gt "$before" ] ||
	fail "staff not told of the reopened ticket"

# A duplicate whose work waits for its identity confirmation is not
# merged: its token and callback belong to it.  Once that work is
# settled, it may be.
cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-9,Example Ltd.,req@c9.example.jp,mon@c9.example.jp,03-1111-2222,service-monitoring
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"
customer req@c9.example.jp m1@c9.example.jp "billing address" "Where do I change our billing address?"
older=$t
customer req@c9.example.jp m2@c9.example.jp "exclude web01 from HTTP monitoring" \
	"Please stop the HTTP service monitoring for web01 during our migration tonight."
held=$t
[ "$(field "$held" '["state"]')" = held ] || fail "the monitoring request is not held"
set +e
out=$(mp merge "$older" "$held" --by staff@example.jp 2>&1); rc=$?
set -e
[ "$rc" = 65 ] || fail "merge of a held ticket: exit $rc"
case $out in *"waiting for identity confirmation"*) ;; *) fail "merge refusal says: $out" ;; esac
[ "$(field "$held" '["merged_into"]')" = None ] || fail "held ticket merged anyway"
[ "$(field "$held" '["state"]')" = held ] || fail "held ticket changed state"
staff staff@example.jp "$held" "#denied not the customer"
mp merge "$older" "$held" --by staff@example.jp >/dev/null || fail "merge after the work was settled"
[ "$(field "$held" '["merged_into"]')" = "$older" ] || fail "merged_into after settling"

# Later than reopen_within: a new ticket linked to the closed one.
mp close "$a" --by staff@example.jp >/dev/null || fail "close on the command line"
export MAILPROC_NOW=$((TUE_1000 + 15 * 86400))
customer taro@example.com a4@example.com "Re: disk question" "Again, weeks later." a1@example.com
[ "$t" != "$a" ] || fail "a follow-up weeks later reopened the ticket"
[ "$(field "$t" '["linked"]')" = "$a" ] || fail "the new ticket is not linked to $a"
[ "$(field "$a" '["state"]')" = closed ] || fail "the old ticket did not stay closed"
echo "ok: take, merge, reopen"
