#!/bin/bash
# Notices to contract holders (SPEC §15): chosen by contract, all, or a
# server list; one individual mail per holder address (holder_email, else
# the monitoring address) in the contract's language, never a list of
# recipients; a dry run queues nothing; maintenance must be announced in
# advance while an emergency notice may go after the fact; a notice is
# sent once; the runner keeps to notice_rate; a reply threads to a ticket
# linked to the notice.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-2200.XXXXXX)
sink=
trap '[ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
port=$((20000 + RANDOM % 20000))
cat > "$dir/conf" <<CONF
state_dir = $dir/state
smtp_url = smtp://127.0.0.1:$port
notice_rate = 2
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
db=$dir/state/mailproc.db
export MAILPROC_NOW=1795777200	# Fri 2026-11-27 20:00 JST

cat > "$dir/c.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers,holder_email
C-1,株式会社イチ,a@one.example.jp,mon@one.example.jp,03-1111-1111,,web01,boss@one.example.jp
C-2,Two K.K.,b@two.example.jp,mon@two.example.jp,,,web02 web02.two.example.jp,
C-3,Three Ltd,c@three.example.com,,,,web03,holder@three.example.com
C-4,Nobody,d@four.example.jp,,,,web04,
C-5,株式会社イチ 別契約,e@one.example.jp,,,,web05,boss@one.example.jp
CSV
mp customers import "$dir/c.csv" >/dev/null || fail "import"
# C-3 writes in English: its notices are in English.
printf 'From: c@three.example.com\nTo: support@example.jp\nSubject: Hello\nMessage-ID: <en1@three.example.com>\n\nCould you tell me about the disk quota?\n' |
	mp deliver --sender c@three.example.com --recipient support@example.jp || fail "deliver en"
base=$(sqlite3 "$db" "SELECT count(*) FROM outbox")

V=(--var start=2026-12-01T01:00+09:00 --var end=2026-12-01T05:00+09:00 --var "services=ネットワーク接続")
set +e
mp notice create --template maintenance --contracts all --var start=2026-11-27T19:00+09:00 \
	--var end=2026-11-27T23:00+09:00 --var services=x 2> "$dir/err"; rc=$?
set -e
[ $rc = 65 ] || fail "maintenance after the fact: exit $rc"
grep -q 'emergency' "$dir/err" || fail "no hint at emergency: $(cat "$dir/err")"
set +e
mp notice create --template maintenance --contracts C-1 --var start=2026-12-01T01:00+09:00 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "maintenance without end/services: exit $rc"
set +e
mp notice create --template maintenance --contracts C-404 "${V[@]}" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "unknown contract: exit $rc"

mp notice create --template maintenance --contracts all "${V[@]}" --var details=コアスイッチの交換 --json > "$dir/n1.json" ||
	fail "create all"
n1=$(python3 - "$dir/n1.json" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))
r = {x["address"]: x for x in n["recipients"]}
assert set(r) == {"boss@one.example.jp", "mon@two.example.jp", "holder@three.example.com"}, r
assert r["boss@one.example.jp"]["contracts"] == ["C-1", "C-5"], r
assert r["holder@three.example.com"]["lang"] == "en", r
assert r["mon@two.example.jp"]["lang"] == "ja", r
assert n["skipped"] == ["C-4"], n
print(n["id"])
PY
) || fail "create all: recipients"

# The dry run shows every mail rendered and queues nothing.
mp notice show "$n1" --dry-run > "$dir/dry" || fail "dry run"
grep -q '2026年12月1日（火）1:00 〜 2026年12月1日（火）5:00' "$dir/dry" || fail "dry run: no JST window: $(cat "$dir/dry")"
grep -q 'Scheduled maintenance: ネットワーク接続' "$dir/dry" || fail "dry run: no English mail"
grep -q 'C-1 C-5' "$dir/dry" || fail "dry run: C-1 C-5 not named"
grep -q 'コアスイッチの交換' "$dir/dry" || fail "dry run: no details"
mp notice show "$n1" --dry-run --json | python3 -c '
import json, sys
n = json.load(sys.stdin)
assert n["state"] == "draft" and len(n["recipients"]) == 3, n
assert all("body" in r for r in n["recipients"]), n
' || fail "dry run json"
[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox")" = "$base" ] || fail "dry run queued mail"

mp notice send "$n1" > /dev/null || fail "send"
[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE template = 'notice-maintenance'")" = 3 ] || fail "not 3 mails queued"
set +e
mp notice send "$n1" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "second send: exit $rc"
[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE template = 'notice-maintenance'")" = 3 ] || fail "sent twice"
# Each mail names its one recipient and no other.
for to in boss@one.example.jp mon@two.example.jp holder@three.example.com; do
	sqlite3 "$db" "SELECT raw FROM outbox WHERE template = 'notice-maintenance' AND to_addr = '$to'" |
		python3 -c '
import email, email.policy, sys
to = sys.argv[1]
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
assert [a.addr_spec for a in m["To"].addresses] == [to], m["To"]
assert m["Cc"] is None and m["Bcc"] is None, m
body = m.get_body(("plain",)).get_content()
for other in ("boss@one", "mon@two", "holder@three"):
	assert other in to or other not in str(m), other
if to.endswith(".com"):
	assert "Scheduled maintenance" in m["Subject"], m["Subject"]
	assert "Tuesday 1 December 2026, 1:00" in body, body
else:
	assert "メンテナンス工事のお知らせ" in m["Subject"], m["Subject"]
' "$to" || fail "mail to $to"
done
mp notice show "$n1" --json | python3 -c '
import json, sys
n = json.load(sys.stdin)
assert n["state"] == "sent", n
assert all(r["state"] == "queued" and r["outbox"] > 0 for r in n["recipients"]), n
' || fail "record of who got it"

# By server list: only the contracts of those servers, each told of its own.
printf 'web02.two.example.jp  # core switch B\nweb03\n' > "$dir/servers"
mp notice create --template emergency --servers "$dir/servers" --var start=2026-11-27T18:00+09:00 \
	--var services=network --json > "$dir/n2.json" || fail "create by servers (emergency after the fact)"
python3 - "$dir/n2.json" <<'PY' || fail "by servers: recipients"
import json, sys
n = json.load(open(sys.argv[1]))
r = {x["address"]: x for x in n["recipients"]}
assert set(r) == {"mon@two.example.jp", "holder@three.example.com"}, r
assert r["mon@two.example.jp"]["servers"] == ["web02.two.example.jp"], r
PY
printf 'web99\n' > "$dir/bad"
set +e
mp notice create --template emergency --servers "$dir/bad" --var start=2026-11-27T18:00+09:00 --var services=x 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "unknown server: exit $rc"

# The runner sends at most notice_rate (2) notice mails a minute.
smtp-sink -u "$(id -un)" "127.0.0.1:$port" 100 & sink=$!
sleep 0.5
sent() { sqlite3 "$db" "SELECT count(*) FROM outbox WHERE template LIKE 'notice-%' AND state = 'sent'"; }
mp run --once >/dev/null 2>&1 || fail "run"
[ "$(sent)" = 2 ] || fail "first minute: $(sent) notice mails sent, want 2"
MAILPROC_NOW=$((MAILPROC_NOW + 30)) mp run --once >/dev/null 2>&1 || fail "run +30s"
[ "$(sent)" = 2 ] || fail "within the minute: $(sent) sent"
MAILPROC_NOW=$((MAILPROC_NOW + 60)) mp run --once >/dev/null 2>&1 || fail "run +60s"
[ "$(sent)" = 3 ] || fail "next minute: $(sent) sent, want 3"

# A reply to the notice opens a ticket linked to the notice's ticket.
nt=$(sqlite3 "$db" "SELECT ticket FROM notices WHERE id = $n1")
mid=$(sqlite3 "$db" "SELECT message_id FROM outbox WHERE template = 'notice-maintenance' AND to_addr = 'boss@one.example.jp'")
printf 'From: boss@one.example.jp\nTo: support@example.jp\nSubject: Re: notice\nMessage-ID: <r1@one.example.jp>\nIn-Reply-To: <%s>\n\n工事の時間をずらせますか。\n' "$mid" |
	mp deliver --sender boss@one.example.jp --recipient support@example.jp || fail "deliver reply"
got=$(sqlite3 "$db" "SELECT linked FROM tickets WHERE id = (SELECT ticket FROM messages WHERE message_id = 'r1@one.example.jp')")
[ "$got" = "$nt" ] || fail "reply linked to '$got', want notice ticket $nt"
echo "ok 2200-notices"
