#!/bin/bash
# No automatic reply to bounces, auto-submitted mail, bulk/list mail, our
# own addresses or daemons, and at most auto_reply_limit an hour to one
# sender; every suppression is recorded on the outbox and on the ticket.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0410.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
printf 'state_dir = %s/state\nauto_reply_limit = 3\n' "$dir" > "$dir/conf"
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796000400

deliver() {	# deliver ENV-SENDER FROM EXTRA-HEADER
	printf 'From: %s\nTo: support@example.jp\nSubject: test\nMessage-ID: <%s.%s@x>\n%s\n\nhello\n' \
		"$2" "$RANDOM" "$RANDOM" "$3" | mp deliver --sender "$1" \
		--recipient support@example.jp || fail "deliver exit $?"
}
last_ack() {	# the state and reason of the newest ack row
	mp outbox list --json | python3 -c '
import json, sys
acks = [o for o in json.load(sys.stdin) if o["template"] in ("ack", "ack-closed")]
a = acks[-1]
print(a["state"], a["last_error"] or "-")'
}

check() {	# check WANT-STATE WANT-REASON ENV-SENDER FROM HEADER
	deliver "$3" "$4" "$5"
	got=$(last_ack)
	[ "$got" = "$1 $2" ] || fail "$4 / '$5': got '$got', want '$1 $2'"
}

check queued - a@example.com a@example.com "X-Note: plain"
check suppressed null-sender "" b@example.com "X-Note: bounce"
check suppressed auto-submitted c@example.com c@example.com "Auto-Submitted: auto-replied"
check queued - d@example.com d@example.com "Auto-Submitted: no"
check suppressed precedence e@example.com e@example.com "Precedence: bulk"
check suppressed precedence f@example.com f@example.com "Precedence: list"
check suppressed precedence g@example.com g@example.com "Precedence: junk"
check suppressed list-id h@example.com h@example.com "List-Id: <news.example.com>"
check suppressed own-address support@example.jp support@example.jp "X-Note: ours"
check suppressed null-sender MAILER-DAEMON@example.com MAILER-DAEMON@example.com "X-Note: daemon"
# What the Postfix pipe passes as ${sender} for the null sender (issue 13).
check suppressed null-sender MAILER-DAEMON z@example.com "X-Note: postfix bounce"
check suppressed mailer-daemon a@example.com MAILER-DAEMON@example.com "X-Note: daemon from"

# The suppression is on the ticket's history too.
id=$(mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[1]["id"])')
mp ticket show "$id" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert any(h["event"] == "suppressed" and "null-sender" in h["detail"] for h in t["history"]), t["history"]
assert any(o["state"] == "suppressed" for o in t["outbox"]), t["outbox"]
' || fail "suppression not recorded on the ticket"

# Rate limit: the 4th and 5th acknowledgement to one sender in an hour
# are not sent; an hour later one is again.
for i in 1 2 3; do check queued - r@example.com r@example.com "X-N: $i"; done
check suppressed rate-limit r@example.com r@example.com "X-N: 4"
check suppressed rate-limit r@example.com r@example.com "X-N: 5"
MAILPROC_NOW=$((MAILPROC_NOW + 3601)) check queued - r@example.com r@example.com "X-N: 6"
# Staff notices are not limited: one per ticket.
n=$(mp outbox list --json | python3 -c '
import json, sys
print(sum(1 for o in json.load(sys.stdin) if o["template"] == "staff-new-ticket" and o["state"] == "queued"))')
t=$(mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = "$t" ] || fail "staff notices: $n for $t tickets"
# ... and staff hear of every suppressed reply, with the ticket.
mp outbox list --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
supp = [o for o in rows if o["state"] == "suppressed"]
told = [o for o in rows if o["template"] == "staff-suppressed"]
assert len(told) == len(supp), (len(told), len(supp))
assert sorted(o["ticket"] for o in told) == sorted(o["ticket"] for o in supp), told
' || fail "suppressed replies not announced to staff"
echo "ok: loop protection"
