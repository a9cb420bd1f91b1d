#!/bin/bash
# `stats [--json|--prometheus]` (issue 15) on a desk with the demo
# corpus filed on Monday 10:00 JST (five held requests), one ticket in
# triage ten minutes later, the outbox tried once against a relay that is
# down, one mail waiting in new/ and one in failed/; read on Thursday:
# - tickets by state and class, triage and held counts with the oldest
#   age, overdue (the same tickets as `ticket list --overdue`), outbox by
#   state, backlog and the relay's last error, spool new/ and failed/;
# - the Prometheus text is what node exporter's textfile collector
#   parses: checked line by line against the text format (HELP and TYPE
#   once per family and before its samples, families contiguous, metric
#   and label names, label escaping, float values, no duplicate series),
#   every name mailproc_*, and its numbers agree with --json;
# - --json with --prometheus is a usage error.
# No mail stack.
set -eu
cd "$(dirname "$0")/../.."
MAILPROC=${MAILPROC:-./bin/mailproc}
T=0970-stats
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x "$MAILPROC" ] || fail "$MAILPROC: no such executable"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-stats.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
port=$((20000 + RANDOM % 20000))	# nothing listens there
printf 'state_dir = %s/state\nsmtp_url = smtp://127.0.0.1:%s\nsmtp_timeout = 5s\nstaff_addresses = staff@example.jp\n' \
	"$tmp" "$port" >"$tmp/c"
cp "$tmp/c" "$tmp/c-nomodel"
printf 'model_file = %s/no-model.bin\n' "$tmp" >>"$tmp/c-nomodel"
mp() { "$MAILPROC" -c "$tmp/c" "$@"; }
t0=1796000400	# Monday 2026-11-30 10:00 JST
t1=$((t0 + 3 * 86400))	# Thursday 10:00
db=$tmp/state/mailproc.db

export MAILPROC_NOW=$t0
mp customers import tests/corpus/demo/customers.csv >/dev/null
for f in tests/corpus/demo/*.eml; do
	from=$(mp parse --json <"$f" | python3 -c 'import json,sys; f=json.load(sys.stdin)["from"]; print(f[0]["address"] if f else "")')
	rcpt=support@example.jp
	grep -q '^To:.*form@example.jp' "$f" && rcpt=form@example.jp
	mp deliver --sender "$from" --recipient "$rcpt" <"$f"
done
# Without a model nothing that no rule decides is filed without staff.
export MAILPROC_NOW=$((t0 + 600))
printf 'From: tanaka@example.co.jp\nTo: support@example.jp\nSubject: サーバーの件\nMessage-ID: <stats-triage@example.co.jp>\n\nweb01 の件でご相談があります。\n' |
	"$MAILPROC" -c "$tmp/c-nomodel" deliver --sender tanaka@example.co.jp --recipient support@example.jp
[ "$(sqlite3 "$db" "SELECT count(*) FROM tickets WHERE state = 'triage'")" = 1 ] || fail "set-up: no ticket in triage"
# The relay is down: every mail stays queued with an error.
mp run --once >/dev/null 2>&1 || true
[ "$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE last_error IS NOT NULL AND state != 'suppressed'")" -gt 0 ] ||
	fail "set-up: the failed attempt left no error"
echo x >"$tmp/state/spool/incoming/new/waiting"
touch -d "@$((t1 - 3600))" "$tmp/state/spool/incoming/new/waiting"
echo x >"$tmp/state/spool/failed/broken"
echo "reason" >"$tmp/state/spool/failed/broken.reason"

export MAILPROC_NOW=$t1
mp stats --json >"$tmp/json" || fail "stats --json failed"
mp ticket list --overdue --json >"$tmp/overdue" || fail "ticket list --overdue failed"
backlog=$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE state IN ('queued', 'held', 'sending')")
python3 - "$tmp/json" "$tmp/overdue" "$backlog" "$t0" "$t1" <<'EOF' || fail "stats --json: wrong numbers"
import json, sys
d = json.load(open(sys.argv[1]))
overdue = len(json.load(open(sys.argv[2])))
backlog, t0, t1 = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
bad = []
def want(got, exp, what):
    if got != exp:
        bad.append("%s: got %r, want %r" % (what, got, exp))
want(d["at"], t1, "at")
want(d["tickets"]["by_state"], {"held": 5, "new": 2, "triage": 1}, "tickets by state")
want(d["tickets"]["by_class"].get("reboot"), 2, "reboot tickets")
want(d["tickets"]["by_class"].get("password-reset"), 2, "password-reset tickets")
want(sum(r["count"] for r in d["tickets"]["by_state_class"]), 8, "by_state_class total")
want({(r["state"], r["class"]) for r in d["tickets"]["by_state_class"] if r["state"] == "held"},
     {("held", "reboot"), ("held", "password-reset"), ("held", "service-monitoring-change")}, "held classes")
want(d["triage"], {"count": 1, "oldest_age_s": t1 - t0 - 600}, "triage")
want(d["held"], {"count": 5, "oldest_age_s": t1 - t0}, "held")
want(d["overdue"], overdue, "overdue (ticket list --overdue)")
if overdue == 0:
    bad.append("set-up: nothing overdue on Thursday")
want(d["outbox"]["backlog"], backlog, "outbox backlog")
want(d["outbox"]["oldest_backlog_age_s"], t1 - t0, "oldest backlog age")
want(sum(d["outbox"]["by_state"].values()) >= backlog, True, "outbox by state")
if not d["outbox"]["last_error"]:
    bad.append("no last_error")
want(d["spool"], {"new": 1, "oldest_new_age_s": 3600, "failed": 1}, "spool")
want(d["alarms"], [], "alarms")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
echo "$T: --json: tickets, triage, held, overdue, outbox, spool"

mp stats --prometheus >"$tmp/prom" || fail "stats --prometheus failed"
python3 - "$tmp/prom" "$tmp/json" <<'EOF' || { cat "$tmp/prom" >&2; fail "stats --prometheus: not valid or wrong"; }
import json, re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))
bad, typed, helped, done, series, samples = [], {}, set(), set(), set(), {}
current = None
text = open(sys.argv[1], encoding="utf-8").read()
if not text.endswith("\n"):
    bad.append("no final newline")
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, line)
    if m:
        kind, name, rest = m.groups()
        if not name.startswith("mailproc_"):
            bad.append("%d: %s is not mailproc_*" % (n, name))
        if name in done:
            bad.append("%d: family %s not contiguous" % (n, name))
        if current not in (None, name):
            done.add(current)
        current = name
        if kind == "TYPE":
            if name in typed:
                bad.append("%d: second TYPE for %s" % (n, name))
            if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                bad.append("%d: bad type %s" % (n, rest))
            typed[name] = rest
        else:
            if name in helped:
                bad.append("%d: second HELP for %s" % (n, name))
            if re.search(r"\\[^\\n]", rest):
                bad.append("%d: bad escape in HELP" % n)
            helped.add(name)
        continue
    if line.startswith("#") or line == "":
        bad.append("%d: stray line %r" % (n, line))
        continue
    m = SAMPLE.match(line)
    if not m:
        bad.append("%d: not a sample: %r" % (n, line))
        continue
    name, labels, value = m.groups()
    if name != current or name not in typed:
        bad.append("%d: sample of %s outside its family (or before TYPE)" % (n, name))
    try:
        float(value)
    except ValueError:
        bad.append("%d: bad value %r" % (n, value))
    key = (name, labels or "")
    if key in series:
        bad.append("%d: duplicate series %s%s" % (n, name, labels or ""))
    series.add(key)
    samples[name + (labels or "")] = float(value)
for name in typed:
    if name not in helped:
        bad.append("no HELP for %s" % name)
d = json.load(open(sys.argv[2]))
def want(key, exp):
    if samples.get(key) != exp:
        bad.append("%s: got %r, want %r" % (key, samples.get(key), exp))
for r in d["tickets"]["by_state_class"]:
    want('mailproc_tickets{state="%s",class="%s"}' % (r["state"], r["class"]), r["count"])
want("mailproc_triage_tickets", d["triage"]["count"])
want("mailproc_triage_oldest_age_seconds", d["triage"]["oldest_age_s"])
want("mailproc_held_tickets", 5)
want("mailproc_held_oldest_age_seconds", d["held"]["oldest_age_s"])
want("mailproc_overdue_tickets", d["overdue"])
for state, count in d["outbox"]["by_state"].items():
    want('mailproc_outbox_mails{state="%s"}' % state, count)
want("mailproc_outbox_backlog_mails", d["outbox"]["backlog"])
want("mailproc_spool_new_messages", 1)
want("mailproc_spool_new_oldest_age_seconds", 3600)
want("mailproc_spool_failed_messages", 1)
want("mailproc_stats_timestamp_seconds", d["at"])
if not [k for k in samples if k.startswith("mailproc_outbox_last_error_info{")]:
    bad.append("no mailproc_outbox_last_error_info sample")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
echo "$T: --prometheus: valid text format, agrees with --json"

mp stats >"$tmp/text" || fail "stats (text) failed"
grep -q '^held: 5 ' "$tmp/text" || { cat "$tmp/text" >&2; fail "text: no held count"; }
rc=0
mp stats --json --prometheus >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "stats --json --prometheus: exit $rc, want 64"
echo "PASS $T"
