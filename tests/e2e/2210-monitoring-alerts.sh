#!/bin/bash
# Monitoring alerts at alerts_address (issue 17), through `deliver`, on a
# Saturday night (alerts are never held to business hours):
# - each kind reaches the contract's monitoring-notification address, and
#   the staff notice asks for a call to the emergency number exactly where
#   the policy's table says (ping, resource, service other than SSH and
#   telnet; not hardware or network);
# - a callback waits in the digest's pending callbacks until staff act on
#   the ticket or it closes;
# - the alert sender never gets an answer;
# - 50 repeats fold into one ticket and one customer mail; a recovery
#   tells the customer and closes the ticket;
# - an unknown host, an unreadable alert and a forged sender go to staff
#   alone, never to a customer;
# - a bad rules/alerts.conf is reported with file:line, and an alert
#   arriving meanwhile waits in the spool until it is fixed.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-2210.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:1
alerts_address = alerts@example.jp
alerts_senders = monitor@noc.example.jp
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796236200	# Sat 2026-12-05 03:30 JST
db=$dir/state/mailproc.db
q() { sqlite3 "$db" "$1"; }

cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers,holder_email
C-1,Example Ltd.,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring,web01.a.example.jp 192.0.2.10,boss@a.example.jp
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"

n=0
alert() {	# alert ENV-SENDER FROM HOST KIND SERVICE STATE: the ticket in $t
	n=$((n + 1))
	printf 'From: %s\nTo: alerts@example.jp\nSubject: ** %s %s/%s is %s **\nMessage-ID: <al%s@noc.example.jp>\n\nHost: %s\nKind: %s\nService: %s\nState: %s\nTime: 2026-12-05 03:2%s JST\n' \
		"$2" "$6" "$3" "$5" "$6" "$n" "$3" "$4" "$5" "$6" "$((n % 10))" |
		mp deliver --sender "$1" --recipient alerts@example.jp || fail "deliver alert $n"
	t=$(q "SELECT ticket FROM messages WHERE message_id = 'al$n@noc.example.jp'")
	[ -n "$t" ] || fail "alert $n filed on no ticket"
}
mon=monitor@noc.example.jp
count() { q "SELECT count(*) FROM outbox WHERE ticket = $1 AND template = '$2' AND to_addr = '$3'"; }
staff_note() { q "SELECT raw FROM outbox WHERE ticket = $1 AND template = 'staff-alert' ORDER BY id LIMIT 1" |
	python3 -c 'import email, email.policy, re, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
print(re.sub(r" ?\n", "", m.get_body(("plain",)).get_content()))'; }	# lines joined

# Each kind, its route.
check_kind() {	# check_kind KIND SERVICE PHONE(yes|no)
	alert $mon $mon web01.a.example.jp "$1" "$2" PROBLEM
	[ "$(count "$t" alert-notice mon@a.example.jp)" = 1 ] || fail "$1/$2: no alert to the monitoring address"
	[ "$(count "$t" staff-alert staff@example.jp)" = 1 ] || fail "$1/$2: no staff notice"
	[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t AND to_addr = '$mon'")" = 0 ] ||
		fail "$1/$2: the alert sender was answered"
	[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t AND release_at > 0")" = 0 ] ||
		fail "$1/$2: held to business hours"
	calls=$(q "SELECT count(*) FROM history WHERE ticket = $t AND event = 'callback'")
	note=$(staff_note "$t")
	if [ "$3" = yes ]; then
		[ "$calls" = 1 ] || fail "$1/$2: no callback"
		case $note in *"03-1111-2222"*"電話"*) ;; *) fail "$1/$2: the notice does not ask for the call: $note" ;; esac
	else
		[ "$calls" = 0 ] || fail "$1/$2: a callback the table does not ask for"
		case $note in *"電話連絡なし"*) ;; *) fail "$1/$2: the notice does not say mail only: $note" ;; esac
	fi
	[ "$(q "SELECT state || ' ' || class || ' ' || contract FROM tickets WHERE id = $t")" = "open alert C-1" ] ||
		fail "$1/$2: ticket is $(q "SELECT state, class, contract FROM tickets WHERE id = $t")"
}
check_kind ping PING yes
ping_t=$t
check_kind service HTTP yes
check_kind service SMTP yes
check_kind service SSH no
ssh_t=$t
check_kind resource "disk /var" yes
check_kind process httpd yes
check_kind hardware "front panel lamp" no
check_kind network uplink no

# The calls wait in the digest's pending callbacks until staff act on
# the ticket; mail-only alerts never appear there.
callbacks() {	# the tickets in the digest's section of pending callbacks
	mp digest --print | sed -n '/^■ 折り返し電話待ち/,/^■/s/^  \[SUPPORT#\([0-9]*\)\].*/\1/p' | tr '\n' ' '
}
[ "$(callbacks)" = "$ping_t 2 3 5 6 " ] || fail "pending callbacks: $(callbacks)"
[ "$ssh_t" = 4 ] || fail "the SSH alert is ticket $ssh_t"
mp take "$ping_t" --by staff@example.jp >/dev/null || fail "take"
[ "$(callbacks)" = "2 3 5 6 " ] || fail "pending callbacks after take: $(callbacks)"
# A storm of 50 repeats of one alert: one ticket, one customer mail.
alert $mon $mon 192.0.2.10 ping PING PROBLEM
storm=$t
case " $(callbacks)" in *" $storm "*) ;; *) fail "the storm's callback is not pending" ;; esac
for i in $(seq 2 50); do
	alert $mon $mon 192.0.2.10 ping PING PROBLEM
	[ "$t" = "$storm" ] || fail "repeat $i opened ticket $t"
done
[ "$(count "$storm" alert-notice mon@a.example.jp)" = 1 ] || fail "storm: $(count "$storm" alert-notice mon@a.example.jp) customer mails"
[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $storm")" = 2 ] || fail "storm: $(q "SELECT count(*) FROM outbox WHERE ticket = $storm") mails in all"
[ "$(q "SELECT count(*) FROM messages WHERE ticket = $storm")" = 50 ] || fail "storm: not every alert kept"

# The recovery threads to it, tells the customer and closes it.
alert $mon $mon 192.0.2.10 ping PING OK
[ "$t" = "$storm" ] || fail "the recovery opened ticket $t"
[ "$(count "$storm" alert-recovered mon@a.example.jp)" = 1 ] || fail "no recovery mail"
[ "$(q "SELECT state FROM tickets WHERE id = $storm")" = closed ] || fail "recovery did not close"
case " $(callbacks)" in *" $storm "*) fail "the recovered alert's callback is still pending" ;; esac
# The next problem is a new alert.
alert $mon $mon 192.0.2.10 ping PING PROBLEM
[ "$t" != "$storm" ] || fail "a problem after the recovery joined the closed ticket"

staff_only() {	# staff_only WHAT: ticket $t mailed staff and nobody else
	[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t AND to_addr != 'staff@example.jp'")" = 0 ] ||
		fail "$1: mail to $(q "SELECT to_addr FROM outbox WHERE ticket = $t")"
	[ "$(count "$t" staff-alert staff@example.jp)" = 1 ] || fail "$1: staff not told"
	[ "$(q "SELECT state FROM tickets WHERE id = $t")" = triage ] || fail "$1: ticket not in triage"
}
alert $mon $mon nobody.example.net ping PING PROBLEM
staff_only "unknown host"
case $(staff_note "$t") in *"nobody.example.net is not a registered server"*) ;; *) fail "unknown host: the notice does not say why" ;; esac
alert $mon $mon nobody.example.net ping PING PROBLEM
[ "$(q "SELECT count(*) FROM outbox WHERE ticket = $t")" = 1 ] || fail "unknown host: the repeat mailed staff again"
# Forged: the right From, another envelope sender (or the reverse).
alert mallory@evil.example $mon web01.a.example.jp ping PING PROBLEM
staff_only "forged envelope sender"
alert $mon mallory@evil.example web01.a.example.jp service HTTP PROBLEM
staff_only "forged From"
printf 'From: %s\nTo: alerts@example.jp\nSubject: hello\nMessage-ID: <junk@noc.example.jp>\n\nnot an alert at all\n' "$mon" |
	mp deliver --sender $mon --recipient alerts@example.jp || fail "deliver junk"
t=$(q "SELECT ticket FROM messages WHERE message_id = 'junk@noc.example.jp'")
staff_only "unreadable alert"

# A broken alert format is a configuration error with file:line.
cp -R rules "$dir/rules"
printf 'host body ^host:(\n' > "$dir/rules/alerts.conf"
echo "rules_dir = $dir/rules" >> "$dir/conf"
set +e
out=$(mp check-config 2>&1); rc=$?
set -e
[ "$rc" != 0 ] || fail "check-config passed a bad alerts.conf"
case $out in *"alerts.conf:1:"*) ;; *) fail "check-config said: $out" ;; esac
# An alert that arrives while alerts.conf is broken is not lost: it waits
# in the spool (deliver exits 0) and is filed once the file is fixed.
before=$(q "SELECT count(*) FROM messages")
mp deliver --sender $mon --recipient alerts@example.jp < rules/alert-examples/ping.eml ||
	fail "deliver with a broken alerts.conf"
[ "$(q "SELECT count(*) FROM messages")" = "$before" ] || fail "filed with a broken alerts.conf"
[ "$(find "$dir/state/spool" -path '*/new/*' -type f ! -name '.*' | wc -l)" = 1 ] || fail "the alert is not waiting in new/"
# However many passes fail on the broken file, the mail is not blamed:
# it never reaches failed/ (max_spool_attempts counts the mail's faults).
echo "max_spool_attempts = 1" >> "$dir/conf"
for _ in 1 2 3; do mp run --once >/dev/null 2>&1 || true; done
[ "$(find "$dir/state/spool" -path '*/new/*' -type f ! -name '.*' | wc -l)" = 1 ] ||
	fail "a broken alerts.conf sent the alert to failed/"
cp rules/alerts.conf "$dir/rules/alerts.conf"
mp run --once || fail "run --once after the fix"
[ -n "$(q "SELECT ticket FROM messages WHERE message_id = 'ping.example@noc.example.jp'")" ] ||
	fail "the waiting alert was not filed after the fix"
# The same for a customer's mail and a broken classify.rules, then a
# broken template: the installation's fault, never the mail's.
waiting() { find "$dir/state/spool" -path '*/new/*' -type f ! -name '.*' | wc -l; }
cp -R templates "$dir/templates"
echo "templates_dir = $dir/templates" >> "$dir/conf"
n=0
for broken in "$dir/rules/classify.rules" "$dir/templates/ja/staff-new-ticket.txt"; do
	n=$((n + 1))
	cp "$broken" "$dir/saved"
	printf 'rule ( broken\n{{nosuchplaceholder}}\n' >> "$broken"
	printf 'From: taro@example.com\nTo: support@example.jp\nSubject: 質問\nMessage-ID: <setup%d@example.com>\n\nディスク容量について教えてください。\n' "$n" |
		mp deliver --sender taro@example.com --recipient support@example.jp ||
		fail "deliver with a broken $broken"
	for _ in 1 2 3; do mp run --once >/dev/null 2>&1 || true; done
	[ "$(waiting)" = 1 ] || fail "a broken $broken sent the mail to failed/ or filed it"
	cp "$dir/saved" "$broken"
	mp run --once >/dev/null 2>&1 || fail "run --once after fixing $broken"
	[ "$(waiting)" = 0 ] && [ -n "$(q "SELECT ticket FROM messages WHERE message_id = 'setup$n@example.com'")" ] ||
		fail "the mail waiting on $broken was not filed after the fix"
done
echo "PASS 2210-monitoring-alerts"
