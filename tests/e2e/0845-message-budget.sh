#!/bin/bash
# Time budgets (issue 13): a message whose parsing or classification takes
# longer than message_budget_ms is still filed, once, but in triage and
# with an over-budget defect on the message; the same message within the
# budget is classified as usual.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0845.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL 0845-message-budget: $*" >&2; exit 1; }
export MAILPROC_NOW=1796000400

mail() {	# mail ID: a long question the rules file as general
	printf 'From: taro@example.com\nTo: support@example.jp\nSubject: お願い\nMessage-ID: <%s@example.com>\nContent-Type: text/plain; charset=UTF-8\n\n' "$1"
	# 20,000 lines: parsing alone takes several ms, well past a 1 ms
	# budget on any machine (3,000 lines sometimes fitted in it).
	for i in $(seq 20000); do echo "請求書を再発行してください。"; done
}
run_case() {	# run_case BUDGET ID -> "state defects" of the ticket
	conf=$dir/$2.conf
	printf 'state_dir = %s/%s\nmessage_budget_ms = %s\n' "$dir" "$2" "$1" > "$conf"
	mail "$2" | "$MAILPROC" -c "$conf" deliver --sender taro@example.com \
		--recipient support@example.jp 2>/dev/null || fail "deliver exit $?"
	db=$dir/$2/mailproc.db
	[ "$(ls "$dir/$2/spool/incoming/cur" | wc -l)" = 1 ] || fail "$2: not filed"
	[ "$(sqlite3 "$db" "SELECT count(*) FROM tickets")" = 1 ] || fail "$2: tickets"
	echo "$(sqlite3 "$db" "SELECT state FROM tickets") $(sqlite3 "$db" "SELECT parsed FROM messages" |
		python3 -c 'import json,sys; print(",".join(d for d in json.load(sys.stdin)["defects"] if d.startswith("over-budget")) or "-")')"
}
got=$(run_case 1 tight)
case $got in
triage\ over-budget-*) ;;
*) fail "past the budget: '$got', want triage with an over-budget defect" ;;
esac
got=$(run_case 60000 roomy)
[ "${got#triage}" = "$got" ] && [ "${got##* }" = - ] ||
	fail "within the budget: '$got'"
echo "PASS 0845-message-budget ($got within, triage past 1 ms)"
