#!/bin/bash
# A request for held work from a machine (Auto-Submitted, a bounce, a list)
# is still held and its registered contact still asked, but the requester
# gets no "your request waits" mail: RFC 3834 covers that answer as it
# covers the acknowledgement.  A person's identical request does get it.
set -eu
# shellcheck source=tests/e2e/scratch.sh
. "$(dirname "$0")/scratch.sh"
scratch 0412 'smtp_url = smtp://127.0.0.1:1'

cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,Example Ltd.,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"

request() {	# request MESSAGE-ID EXTRA-HEADER
	printf 'From: req@a.example.jp\nTo: support@example.jp\nSubject: exclude web01 from HTTP monitoring\nMessage-ID: <%s@a.example.jp>\n%s\n\nPlease stop the HTTP service monitoring for web01 during our migration tonight.\n' \
		"$1" "$2" | mp deliver --sender req@a.example.jp --recipient support@example.jp ||
		fail "deliver exit $?"
	t=$(q "SELECT max(id) FROM tickets")
}

pending_state() {	# the identity-pending row of ticket $t: state and reason
	q "SELECT state || ' ' || coalesce(last_error, '-') FROM outbox
	   WHERE ticket = $t AND template = 'identity-pending'"
}

request machine "Auto-Submitted: auto-replied"
[ "$(q "SELECT state FROM tickets WHERE id = $t")" = held ] || fail "machine request not held"
[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t AND template = 'identity-confirm'")" = 1 ] ||
	fail "machine request: the registered contact was not asked: $(q "SELECT template FROM outbox WHERE ticket = $t")"
got=$(pending_state)
[ "$got" = "suppressed auto-submitted" ] || fail "machine request: identity-pending is '$got'"

request person "X-Note: written by hand"
got=$(pending_state)
[ "$got" = "queued -" ] || fail "person's request: identity-pending is '$got'"
echo "PASS 0412-loop-held-request"
