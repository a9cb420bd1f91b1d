#!/bin/bash
# The Postfix end-to-end scripts again, with Postfix's lmtp client handing
# the mail to a resident `mailproc lmtp` on a unix socket instead of the
# pipe (a stack of its own, MP_TRANSPORT=lmtp, ports 10 above the main
# stack's): 0100 (delivery, duplicates, the acknowledgement), 0710 (staff
# replies over SASL submission) and 0720 (the staff trust cases).  Then
# the LMTP login header itself: a client's own X-Mailproc-Login, through
# the customer port or below the submission smtpd's Received: line, never
# makes a mail staff's; the real one (PREPENDed by check_sasl_access)
# does.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
base=${MP_PORT_BASE:-2525}
stack=$(mktemp -d /tmp/mp-lmtp-stack.XXXXXX)
chmod 755 "$stack"
trap '"$here/stack.sh" stop "$stack" >/dev/null 2>&1; rm -rf "$stack"' EXIT
fail() { echo "FAIL 3000-postfix-over-lmtp: $*" >&2; exit 1; }
MP_PORT_BASE=$((base + 10)) MP_TRANSPORT=lmtp MP_STACK_DOVECOT=1 \
	"$here/stack.sh" start "$stack" >/dev/null 2>&1 ||
	fail "the LMTP stack did not start"
for t in 0100-postfix-deliver 0710-staff-via-postfix 0720-staff-trust-postfix; do
	MP_STACK=$stack "$here/$t.sh" >"$stack/$t.out" 2>&1 ||
		fail "$t over LMTP: $(tail -n 5 "$stack/$t.out")"
done

MP_STACK=$stack
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# lib.sh's EXIT trap replaces ours: stop the LMTP stack through it.
at_exit "'$here/stack.sh' stop '$stack' >/dev/null 2>&1; rm -rf '$stack'"
MP_TEST=3000-postfix-over-lmtp
db=$MP_STACK/state/mailproc.db
q() { sqlite3 "$db" "$1"; }
[ "$MP_TRANSPORT" = lmtp ] || fail "the stack is not on LMTP"
send_mail --from customer@example.com --to support@example.jp \
	--header 'Subject: disk' --header 'Message-ID: <seed.lmtp@example.com>' \
	--body 'ディスク容量について教えてください。'
wait_delivered 1
t=$(q "SELECT max(id) FROM tickets")
staff_reply() {	# staff_reply N MESSAGE-ID: the direction of that message
	q "SELECT direction FROM messages WHERE message_id = '$2'"
}
# 1. Through the customer port, forged header and staff From.
send_mail --from staff@example.jp --to "support+$t@example.jp" \
	--header 'X-Mailproc-Login: staff@example.jp' --header 'From: staff@example.jp' \
	--header "Subject: Re: [SUPPORT#$t]" --header 'Message-ID: <forged1.lmtp@example.jp>' \
	--body 'forged answer 1'
wait_delivered 2
[ "$(staff_reply 2 forged1.lmtp@example.jp)" = in ] || fail "a forged login header through port 25 passed as staff"
# 2. The customer's own login on the submission port, with a forged copy
#    of the header below smtpd's Received: line.
_mp_swaks --server "127.0.0.1:$MP_STAFF_PORT" --auth PLAIN \
	--auth-user hanako@customer.example.com --auth-password hanako-secret \
	--from hanako@customer.example.com --to "support+$t@example.jp" \
	--header 'X-Mailproc-Login: staff@example.jp' --header 'From: staff@example.jp' \
	--header "Subject: Re: [SUPPORT#$t]" --header 'Message-ID: <forged2.lmtp@example.jp>' \
	--body 'forged answer 2'
wait_delivered 3
[ "$(staff_reply 3 forged2.lmtp@example.jp)" = in ] || fail "a forged login header below Received: passed as staff"
grep -q 'header=X-Mailproc-Login action=ignored' "$MP_STACK/lmtp.log" ||
	fail "the ignored header was not logged: $(tail -n 3 "$MP_STACK/lmtp.log")"
# 3. Staff's real login: the PREPENDed header counts.
send_staff_mail --from staff@example.jp --to "support+$t@example.jp" \
	--header "Subject: Re: [SUPPORT#$t]" --header 'Message-ID: <real.lmtp@example.jp>' \
	--body 'The quota is 100 GB.'
wait_delivered 4
[ "$(staff_reply 4 real.lmtp@example.jp)" = staff ] || fail "staff's SASL login over LMTP did not count"
pass
