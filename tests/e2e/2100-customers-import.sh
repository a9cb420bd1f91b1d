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

# Tickets are linked to the requester's contract (any case).
printf 'From: B@X.example.jp\nTo: support@example.jp\nSubject: hello\nMessage-ID: <h1@x>\n\nquestion\n' |
	mp deliver --sender B@X.example.jp --recipient support@example.jp || fail "deliver"
mp ticket show 1 --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["contract"] == "C-1", t["contract"]
' || fail "ticket not linked to its contract"
echo "ok: contract registry"
