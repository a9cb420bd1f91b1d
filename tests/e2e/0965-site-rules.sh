#!/bin/bash
# Site rules (site_rules_dir) win over the shipped rules_dir file by file:
# a local classify.rules with one more rule decides a mail the shipped
# one does not, while catalogue.conf and form.conf still come from
# rules_dir; a local alerts.conf reads another monitoring system's alert
# format; check-config names each file that wins and reports a broken
# site file with its own path and line; removing the site file goes back
# to the shipped one.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0965.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
top=$(pwd)
mkdir -p "$dir/site"
cat > "$dir/conf" <<CONF
state_dir = $dir/state
rules_dir = $top/rules
site_rules_dir = $dir/site
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:1
alerts_senders = nagios@noc.example.jp
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
export MAILPROC_NOW=1796000400
printf 'From: a@b.example\nTo: support@example.jp\nSubject: plugh\nMessage-ID: <p@x>\n\nplease do the plugh thing on web01\n' > "$dir/plugh.eml"
rule_of() { mp classify --json "$dir/plugh.eml" | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["rule"], d["class"])'; }

[ "$(rule_of)" != "site-plugh general" ] || fail "the shipped rules already know plugh"
{ cat rules/classify.rules; printf '\nrule site-plugh general priority 90\n\tmatch any /plugh/\n'; } > "$dir/site/classify.rules"
[ "$(rule_of)" = "site-plugh general" ] || fail "the site rule did not decide: $(rule_of)"
out=$(mp check-config) || fail "check-config with a site classify.rules: $out"
case $out in *"rules: $dir/site/classify.rules wins over $top/rules/classify.rules"*) ;; *) fail "check-config did not name the winner: $out" ;; esac
case $out in *catalogue.conf*) fail "check-config says a site catalogue.conf wins" ;; esac

# A local alert format: a subject in another system's style.
cat > "$dir/site/alerts.conf" <<'ALERTS'
host  subject ^\*\* \S+ Host Alert: (\S+)
state subject is (\S+) \*\*$
kind  subject (Host) Alert
alias host ping
recovery UP
ALERTS
cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options,servers
C-1,Example Ltd.,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring,web02
CSV
mp customers import "$dir/customers.csv" >/dev/null || fail "import"
printf 'From: nagios@noc.example.jp\nTo: alerts@example.jp\nSubject: ** PROBLEM Host Alert: web02 is DOWN **\nMessage-ID: <n1@noc>\n\n(no body fields)\n' |
	mp deliver --sender nagios@noc.example.jp --recipient alerts@example.jp || fail "deliver alert"
[ "$(sqlite3 "$dir/state/mailproc.db" "SELECT count(*) FROM outbox WHERE template = 'alert-notice' AND to_addr = 'mon@a.example.jp'")" = 1 ] ||
	fail "the site alert format was not used"

# A broken site file: its own path and line.
printf 'rule broken\n' > "$dir/site/classify.rules"
set +e
out=$(mp check-config 2>&1); rc=$?
set -e
[ "$rc" != 0 ] || fail "check-config passed a broken site classify.rules"
case $out in *"$dir/site/classify.rules:1:"*) ;; *) fail "check-config said: $out" ;; esac
rm "$dir/site/classify.rules"
[ "$(rule_of)" != "site-plugh general" ] || fail "removing the site file did not go back"
mp check-config >/dev/null || fail "check-config after removing the site file"
echo "PASS 0965-site-rules"
