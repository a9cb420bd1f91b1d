#!/bin/bash
# The classifier learns from the desk: a request in words the shipped
# model never saw ("ぷるぷる作業", the customer's own name for an OS
# reinstall) is not classified os-reinstall; staff correct it with
# "#category os-reinstall" in a trusted reply; the decision is stored
# (classify-report counts it); `train --from-desk` writes
# state_dir/model.bin, which `classify` and `deliver` then use, and the
# next similar mail from another customer is os-reinstall, held for its
# identity confirmation like any other.  A forged #category (staff From,
# no trust signal) is no decision.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-2020.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
rules_dir = $PWD/rules
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:1
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796000400	# Mon 2026-12-07 10:00 JST

mail() {	# mail FROM SUBJECT BODY -> file
	printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <%s@x>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
		"$1" "$2" "$RANDOM$RANDOM" "$3"
}
class_of() {	# class_of FILE -> "class triage"
	mp classify --json "$1" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["class"], d["triage"])'
}

mail a@one.example "ぷるぷる作業依頼" "web01 のぷるぷる作業をお願いします。" >"$dir/m1.eml"
mail b@two.example "ぷるぷる作業のお願い" "db02 のぷるぷる作業もお願いできますか。" >"$dir/m2.eml"
[ ! -e "$dir/state/model.bin" ] || fail "a desk model before training"
before=$(class_of "$dir/m2.eml")
case $before in os-reinstall\ False) fail "the shipped model knows it already: $before" ;; esac

mp deliver --sender a@one.example --recipient support@example.jp <"$dir/m1.eml" || fail "deliver m1"
t1=$(sqlite3 "$dir/state/mailproc.db" "SELECT max(id) FROM tickets")

staff() {	# staff SASL BODY
	printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s]\nMessage-ID: <s%s@example.jp>\n\n%s\n' \
		"$t1" "$t1" "$RANDOM$RANDOM" "$2" |
		mp deliver --sender staff@example.jp --recipient "support+$t1@example.jp" --sasl-user "$1" ||
		fail "staff deliver"
}
staff "" "#category os-reinstall"	# forged: no login
n=$(mp classify-report --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["decisions"])')
[ "$n" = 0 ] || fail "a forged #category counted as a decision ($n)"
staff staff@example.jp "#category os-reinstall"
mp classify-report --json >"$dir/report.json"
python3 - "$dir/report.json" <<'PY' || fail "classify-report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["decisions"] == 1, d
assert any(k.endswith("-> os-reinstall") for k in d["confusion"]), d
PY

mp train --from-desk --json >"$dir/train.json" || fail "train --from-desk"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["from_desk"] == 1, d' "$dir/train.json" ||
	fail "train --from-desk did not count the decision"
[ -s "$dir/state/model.bin" ] || fail "no state_dir/model.bin"
mp check-config >/dev/null || fail "check-config refuses the desk model"

after=$(class_of "$dir/m2.eml")
[ "$after" = "os-reinstall False" ] || fail "after training from the desk: $after (before: $before)"

# deliver uses the desk model too: m2 is an os-reinstall request, held
# only if the sender is registered; here it is not, so it is refused as
# unregistered, which it could only be as a task.
mp deliver --sender b@two.example --recipient support@example.jp <"$dir/m2.eml" || fail "deliver m2"
got=$(sqlite3 "$dir/state/mailproc.db" "SELECT class || ' ' || state FROM tickets ORDER BY id DESC LIMIT 1")
[ "$got" = "os-reinstall rejected" ] || fail "deliver after training: $got"
echo "ok: before '$before', after '$after'; ticket: $got"
