#!/bin/bash
# The contract registry: a good file imports; a file with bad rows reports
# each with its line number and imports nothing, not even its good rows;
# a ticket is linked to its requester's contract.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-2100.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
printf 'state_dir = %s/state\n' "$dir" > "$dir/conf"
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
count() { mp customers list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

cat > "$dir/good.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,"株式会社テスト, 本社",a@x.example.jp b@x.example.jp,mon@x.example.jp,03-1111-2222,reboot service-monitoring
C-2,Other,c@y.example.com,,,
CSV
mp customers import "$dir/good.csv" >/dev/null || fail "good file: exit $?"
[ "$(count)" = 2 ] || fail "good file: $(count) contracts"
mp customers list --json | python3 -c '
import json, sys
c = {x["contract_id"]: x for x in json.load(sys.stdin)}
assert c["C-1"]["holder_name"] == "株式会社テスト, 本社", c
assert c["C-1"]["requester_addresses"] == ["a@x.example.jp", "b@x.example.jp"], c
assert c["C-1"]["options"] == ["reboot", "service-monitoring"], c
assert c["C-2"]["monitoring_email"] is None, c
' || fail "listing"

cat > "$dir/bad.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-3,Good Row,d@z.example.jp,mon@z.example.jp,03-1234-5678,reboot
C-4,,e@z.example.jp,,,
C-5,Bad Address,not-an-address,,,
C-6,Bad Option,f@z.example.jp,,,no-such-option
C-3,Duplicate,g@z.example.jp,,,
C-7,Bad Phone,h@z.example.jp,,phone?,
C-8,Shared Address,d@z.example.jp,,,
CSV
set +e
mp customers import "$dir/bad.csv" 2> "$dir/err"
rc=$?
set -e
[ $rc = 65 ] || fail "bad file: exit $rc, want 65"
for want in "bad.csv:3: holder_name is empty" "bad.csv:4: requester address 'not-an-address'" \
	"bad.csv:5: unknown option 'no-such-option'" "bad.csv:6: contract_id C-3 appears twice" \
	"bad.csv:7: emergency_phone 'phone?'" "bad.csv:8: d@z.example.jp is also registered to C-3"; do
	grep -qF "$want" "$dir/err" || fail "missing report '$want' in: $(cat "$dir/err")"
done
grep -q 'nothing imported' "$dir/err" || fail "no 'nothing imported'"
[ "$(count)" = 2 ] || fail "bad file half-imported: $(count) contracts"

# An address already registered to another contract in the database.
printf 'contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options\nC-9,Thief,a@x.example.jp,,,\n' > "$dir/steal.csv"
set +e
mp customers import "$dir/steal.csv" 2>/dev/null
rc=$?
set -e
[ $rc = 65 ] || fail "address of another contract: exit $rc"
[ "$(count)" = 2 ] || fail "conflicting import half-done"

# The optional columns servers and holder_email, in any order; a file
# without them (above) still imports.
cat > "$dir/servers.csv" <<'CSV'
contract_id,servers,holder_name,requester_addresses,monitoring_email,emergency_phone,options,holder_email
C-1,web-a01 web-a01.example.jp 192.0.2.1,"株式会社テスト, 本社",a@x.example.jp b@x.example.jp,mon@x.example.jp,03-1111-2222,reboot,boss@x.example.jp
C-2,,Other,c@y.example.com,,,,
CSV
mp customers import "$dir/servers.csv" >/dev/null || fail "servers file: exit $?"
mp customers list --json | python3 -c '
import json, sys
c = {x["contract_id"]: x for x in json.load(sys.stdin)}
assert c["C-1"]["servers"] == ["web-a01", "web-a01.example.jp", "192.0.2.1"], c
assert c["C-1"]["holder_email"] == "boss@x.example.jp", c
assert c["C-2"]["servers"] == [] and c["C-2"]["holder_email"] is None, c
' || fail "servers and holder_email not listed"
mp customers list | grep -q 'servers: web-a01 web-a01.example.jp 192.0.2.1' ||
	fail "plain listing without servers"
cat > "$dir/badservers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers,holder_email
C-10,Bad Server,i@z.example.jp,,,,web/1,
C-11,Twice,j@z.example.jp,,,,web-b01 WEB-B01,
C-12,Shared Server,k@z.example.jp,,,,web-c01,
C-13,Shared Server 2,l@z.example.jp,,,,web-c01,
C-14,Bad Holder,m@z.example.jp,,,,,not-an-address
CSV
set +e
mp customers import "$dir/badservers.csv" 2> "$dir/err"
rc=$?
set -e
[ $rc = 65 ] || fail "bad servers: exit $rc, want 65"
for want in "badservers.csv:2: server 'web/1'" "badservers.csv:3: server WEB-B01 is listed twice" \
	"badservers.csv:5: server web-c01 is also registered to C-12" \
	"badservers.csv:6: holder_email 'not-an-address'"; do
	grep -qF "$want" "$dir/err" || fail "missing report '$want' in: $(cat "$dir/err")"
done
# A server already registered to another contract in the database.
printf 'contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers\nC-9,Thief,n@z.example.jp,,,,WEB-A01\n' > "$dir/stealserver.csv"
set +e
mp customers import "$dir/stealserver.csv" 2> "$dir/err"
rc=$?
set -e
[ $rc = 65 ] || fail "server of another contract: exit $rc"
grep -q 'server WEB-A01 is already registered to contract C-1' "$dir/err" ||
	fail "no report of the taken server: $(cat "$dir/err")"
[ "$(count)" = 2 ] || fail "conflicting server import half-done"

# Tickets are linked to the requester's contract (any case).
printf 'From: B@X.example.jp\nTo: support@example.jp\nSubject: hello\nMessage-ID: <h1@x>\n\nquestion\n' |
	mp deliver --sender B@X.example.jp --recipient support@example.jp || fail "deliver"
mp ticket show 1 --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["contract"] == "C-1", t["contract"]
' || fail "ticket not linked to its contract"
echo "ok: contract registry"
