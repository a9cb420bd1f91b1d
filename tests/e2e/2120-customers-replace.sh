#!/bin/bash
# The registry's upkeep: `customers remove ID...` removes contracts (an
# unknown id removes nothing), and `customers import --replace FILE`
# makes the registry exactly the file in one transaction: contracts not
# in it go, and a bad file changes nothing at all.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-2120.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
printf 'state_dir = %s/state\n' "$dir" > "$dir/conf"
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
ids() { mp customers list --json | python3 -c 'import json,sys; print(" ".join(c["contract_id"] for c in json.load(sys.stdin)))'; }
H=contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers,holder_email

printf '%s\n' "$H" 'C-1,One,a@x.example.jp,mon@x.example.jp,,,web01,boss@x.example.jp' \
	'C-2,Two,b@y.example.jp,,,,web02,' 'C-3,Three,c@z.example.jp,,,,,' > "$dir/all.csv"
mp customers import "$dir/all.csv" >/dev/null || fail "import: exit $?"
[ "$(ids)" = "C-1 C-2 C-3" ] || fail "imported: $(ids)"

# remove: an unknown id among known ones removes nothing.
set +e
mp customers remove C-2 C-404 2> "$dir/err"; rc=$?
set -e
[ $rc = 66 ] || fail "remove unknown: exit $rc, want 66"
grep -q 'no contract C-404' "$dir/err" || fail "remove unknown: $(cat "$dir/err")"
[ "$(ids)" = "C-1 C-2 C-3" ] || fail "failed remove removed: $(ids)"
mp customers remove C-2 >/dev/null || fail "remove: exit $?"
[ "$(ids)" = "C-1 C-3" ] || fail "after remove: $(ids)"
# Its address and server may be registered again.
printf '%s\n' "$H" 'C-4,Four,b@y.example.jp,,,,web02,' > "$dir/four.csv"
mp customers import "$dir/four.csv" >/dev/null || fail "re-register: exit $?"
[ "$(ids)" = "C-1 C-3 C-4" ] || fail "after re-register: $(ids)"

# --replace: C-3 and C-4 are not in the file, so they go; C-1 moves its
# address to C-5 (which a plain import refuses).
printf '%s\n' "$H" 'C-1,One,x@x.example.jp,mon@x.example.jp,,,web01,' \
	'C-5,Five,a@x.example.jp b@y.example.jp,,,,web02,' > "$dir/new.csv"
set +e
mp customers import "$dir/new.csv" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "plain import stealing an address: exit $rc"
mp customers import --replace "$dir/new.csv" >/dev/null || fail "replace: exit $?"
[ "$(ids)" = "C-1 C-5" ] || fail "after replace: $(ids)"
mp customers list --json | python3 -c '
import json, sys
c = {x["contract_id"]: x for x in json.load(sys.stdin)}
assert c["C-1"]["requester_addresses"] == ["x@x.example.jp"], c
assert c["C-1"]["holder_email"] is None, c
assert c["C-5"]["servers"] == ["web02"], c
' || fail "replaced registry"

# A bad file replaces nothing.
printf '%s\n' "$H" 'C-6,Six,f@x.example.jp,,,,,' 'C-7,,g@x.example.jp,,,,,' > "$dir/bad.csv"
set +e
mp customers import --replace "$dir/bad.csv" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "bad replace: exit $rc"
[ "$(ids)" = "C-1 C-5" ] || fail "bad replace changed the registry: $(ids)"
# A conflict inside the file (found only while storing) rolls back too.
printf '%s\n' "$H" 'C-8,Eight,h@x.example.jp,,,,web09,' 'C-9,Nine,i@x.example.jp,,,,web09,' > "$dir/dup.csv"
set +e
mp customers import --replace "$dir/dup.csv" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "conflicting replace: exit $rc"
[ "$(ids)" = "C-1 C-5" ] || fail "conflicting replace changed the registry: $(ids)"

set +e
mp customers import --replace 2>/dev/null; rc=$?
set -e
[ $rc = 64 ] || fail "replace without file: exit $rc"
echo "ok 2120-customers-replace"
