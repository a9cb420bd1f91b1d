#!/bin/bash
# A staff mailbox's auto-responder logs in like its owner.  Its answer to
# our notice (Auto-Submitted, or an out-of-office subject) is filed on
# the ticket but never relayed to the customer and runs no command; the
# same staff member writing by hand is relayed as before.
set -eu
# shellcheck source=tests/e2e/scratch.sh
. "$(dirname "$0")/scratch.sh"
scratch 0414 'smtp_url = smtp://127.0.0.1:1'

printf 'From: taro@example.com\nTo: support@example.jp\nSubject: disk\nMessage-ID: <c1@example.com>\n\nHow much disk space is left on my plan?\n' |
	mp deliver --sender taro@example.com --recipient support@example.jp || fail "customer deliver"
t=$(q "SELECT max(id) FROM tickets")
staff() {	# staff MESSAGE-ID SUBJECT EXTRA-HEADER BODY
	printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: %s\nMessage-ID: <%s@example.jp>\n%s\n\n%s\n' \
		"$t" "$2" "$1" "$3" "$4" |
		mp deliver --sender staff@example.jp --recipient "support+$t@example.jp" \
			--sasl-user staff@example.jp || fail "staff deliver $1"
}
relayed() { q "SELECT count(*) FROM outbox WHERE ticket = $t AND template = 'staff-reply' AND to_addr = 'taro@example.com'"; }

staff auto1 "Re: [SUPPORT#$t] disk" "Auto-Submitted: auto-replied" "#close
I am out of the office until Monday."
[ "$(relayed)" = 0 ] || fail "an Auto-Submitted staff mail was relayed to the customer"
[ "$(q "SELECT state FROM tickets WHERE id = $t")" != closed ] || fail "the auto-responder's #close ran"
staff auto2 "自動応答: Re: [SUPPORT#$t] disk" "X-Note: unmarked" "不在にしております。"
[ "$(relayed)" = 0 ] || fail "an out-of-office staff mail was relayed to the customer"
[ "$(q "SELECT count(*) FROM history WHERE ticket = $t AND event = 'quiet'")" = 2 ] ||
	fail "the automatic staff mails are not on the history"
[ "$(q "SELECT count(*) FROM messages WHERE ticket = $t")" = 3 ] || fail "an automatic staff mail was not filed"
staff real "Re: [SUPPORT#$t] disk" "X-Note: by hand" "You have 40 GB left."
[ "$(relayed)" = 1 ] || fail "the staff member's own reply was not relayed"
echo "PASS 0414-staff-autoresponder"
