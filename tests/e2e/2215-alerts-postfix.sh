#!/bin/bash
# Monitoring alerts through the stack's real Postfix (issue 17): every
# shipped example in rules/alert-examples/ goes in on the customer port to
# alerts@example.jp and through the pipe, with the envelope sender Postfix
# hands it:
# - each kind reaches its contract's monitoring-notification address (at
#   the sink, after `run --once`), and a callback is raised exactly where
#   the policy's table says (not SSH, hardware or network);
# - the monitoring system never gets an answer;
# - 50 repeats of the ping alert make one ticket and one customer mail;
#   the shipped recovery tells the customer and closes it;
# - an unknown host and a forged envelope sender go to staff alone.
set -eu
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
at_exit "rm -rf '$work'"
chmod 755 "$work"
ex=rules/alert-examples
mon=monitor@noc.example.jp
db=$MP_STACK/state/mailproc.db
q() { sqlite3 "$db" "$1"; }

cat >>"$MP_STACK/mailproc.conf" <<'EOF'
alerts_address = alerts@example.jp
alerts_senders = monitor@noc.example.jp
EOF
# A resident LMTP server (MP_TRANSPORT=lmtp stacks) read the old settings.
if [ "${MP_TRANSPORT:-pipe}" = lmtp ]; then
	"$(dirname "$0")/stack.sh" lmtp-restart "$MP_STACK" || fail "lmtp restart"
fi
mp check-config >/dev/null || fail "check-config with the alert settings"

cat >"$work/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers,holder_email
C-1,Example Ltd.,req@a.example.com,mon1@a.example.com,03-1111-2222,service-monitoring,web01.example.jp mail01.example.jp,boss@a.example.com
C-2,Sample Inc.,req@b.example.com,mon2@b.example.com,06-3333-4444,resource-monitoring,db01.example.jp 192.0.2.10,boss@b.example.com
CSV
chmod 644 "$work/customers.csv"
mp customers import "$work/customers.csv" >/dev/null || fail "customers import"

sent=0
# send FILE [ENVELOPE-SENDER] [SED]: the file (edited by SED) through Postfix.
send() {
	sed -e "${3:-}" "$1" >"$work/m.eml"
	send_mail --from "${2:-$mon}" --to alerts@example.jp --data @"$work/m.eml"
	sent=$((sent + 1))
}
ticket_of() {	# ticket_of MESSAGE-ID
	q "SELECT ticket FROM messages WHERE message_id = '$1'"
}
count() { q "SELECT count(*) FROM outbox WHERE ticket = $1 AND template = '$2' AND to_addr = '$3'"; }

# file              customer             call
table='ping.eml         mon1@a.example.com yes
service-http.eml        mon1@a.example.com yes
service-smtp.eml        mon1@a.example.com yes
service-ssh.eml         mon1@a.example.com no
resource.eml            mon2@b.example.com yes
process.eml             mon1@a.example.com yes
hardware.eml            mon2@b.example.com no
network.eml             mon2@b.example.com no'
while read -r f _ _; do send "$ex/$f"; done <<<"$table"
wait_delivered "$sent"

while read -r f to call; do
	id=${f%.eml}.example@noc.example.jp
	t=$(ticket_of "$id")
	[ -n "$t" ] || fail "$f: filed on no ticket"
	[ "$(count "$t" alert-notice "$to")" = 1 ] || fail "$f: no alert mail to $to"
	[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t AND to_addr NOT IN ('$to', 'staff@example.jp')")" = 0 ] ||
		fail "$f: mail to $(q "SELECT group_concat(to_addr) FROM outbox WHERE ticket = $t")"
	[ "$(count "$t" staff-alert staff@example.jp)" = 1 ] || fail "$f: staff not told"
	calls=$(q "SELECT count(*) FROM history WHERE ticket = $t AND event = 'callback'")
	if [ "$call" = yes ]; then
		[ "$calls" = 1 ] || fail "$f: no callback where the table asks for the phone"
	else
		[ "$calls" = 0 ] || fail "$f: a callback the table does not ask for"
	fi
done <<<"$table"

# The storm: 49 more of the ping alert, each its own Message-ID.
ping=$(ticket_of ping.example@noc.example.jp)
for i in $(seq 2 50); do
	send "$ex/ping.eml" "$mon" "s/^Message-ID: .*/Message-ID: <storm$i@noc.example.jp>/"
done
wait_delivered "$sent" 60
[ "$(q "SELECT count(DISTINCT ticket) FROM messages WHERE message_id LIKE 'storm%' OR message_id = 'ping.example@noc.example.jp'")" = 1 ] ||
	fail "the storm opened more than one ticket"
[ "$(q "SELECT count(*) FROM messages WHERE ticket = $ping")" = 50 ] || fail "storm: not every alert kept on $ping"
[ "$(count "$ping" alert-notice mon1@a.example.com)" = 1 ] || fail "storm: more than one customer mail"

# The shipped recovery closes it.
send "$ex/ping-recovery.eml"
# An unknown host; a forged envelope sender with the right From.
send "$ex/ping.eml" "$mon" 's/web01\.example\.jp/nobody.example.net/; s/^Message-ID: .*/Message-ID: <unknown@noc.example.jp>/'
send "$ex/service-http.eml" mallory@evil.example 's/^Message-ID: .*/Message-ID: <forged@noc.example.jp>/'
wait_delivered "$sent"
[ "$(ticket_of ping-recovery.example@noc.example.jp)" = "$ping" ] || fail "the recovery did not thread to $ping"
[ "$(count "$ping" alert-recovered mon1@a.example.com)" = 1 ] || fail "no recovery mail"
[ "$(q "SELECT state FROM tickets WHERE id = $ping")" = closed ] || fail "the recovery did not close $ping"
for id in unknown forged; do
	t=$(ticket_of "$id@noc.example.jp")
	[ -n "$t" ] || fail "$id: filed on no ticket"
	[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t AND to_addr != 'staff@example.jp'")" = 0 ] ||
		fail "$id: mail to $(q "SELECT group_concat(to_addr) FROM outbox WHERE ticket = $t")"
	[ "$(count "$t" staff-alert staff@example.jp)" = 1 ] || fail "$id: staff not told"
	[ "$(q "SELECT state FROM tickets WHERE id = $t")" = triage ] || fail "$id: not in triage"
done
forged=$(ticket_of forged@noc.example.jp)
q "SELECT detail FROM history WHERE ticket = $forged AND event = 'alert'" | grep -q 'mallory@evil.example is not one of alerts_senders' ||
	fail "the forged alert is not marked as such"

# What goes out: the customers' alert mails at the sink, none to the
# monitoring system, none of the forged one's to a customer.
mp run --once || fail "run --once"
rcpts() { grep -h '^X-Rcpt-Args:' "$MP_STACK"/sink/* 2>/dev/null | grep -c "$1" || true; }
[ "$(rcpts '<mon1@a.example.com>')" = 6 ] || fail "mon1 got $(rcpts '<mon1@a.example.com>') mails, not 6 (5 alerts, 1 recovery)"
[ "$(rcpts '<mon2@b.example.com>')" = 3 ] || fail "mon2 got $(rcpts '<mon2@b.example.com>') mails, not 3"
[ "$(rcpts "$mon")" = 0 ] || fail "the monitoring system was answered"
[ "$(rcpts mallory)" = 0 ] || fail "the forger was answered"
grep -l '^X-Rcpt-Args:.*<mon1@a.example.com>' "$MP_STACK"/sink/* | xargs grep -l '^Subject:' >/dev/null ||
	fail "no Subject on the customer's alert mail"
assert_no_bounce
pass
