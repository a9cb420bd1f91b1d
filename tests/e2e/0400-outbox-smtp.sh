#!/bin/bash
# Outgoing mail end to end against Postfix's smtp-sink on loopback:
# acknowledgements and staff notices queued by `deliver` are sent by
# `run` over SMTP and parse back (with GMime, through `mailproc parse`, and
# with Python's email package) to the expected Japanese subject and body,
# in UTF-8 and in ISO-2022-JP; a relay that is down, then up, delivers
# everything exactly once; a relay that refuses for good ends in `failed`
# with a notice to staff.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
MAILPROC=$(readlink -f "$MAILPROC")
dir=$(mktemp -d /tmp/mp-0400.XXXXXX)
chmod 755 "$dir"
sinks=()
cleanup() {
	for p in "${sinks[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
port=$((20000 + RANDOM % 20000))

start_sink() {	# start_sink NAME [smtp-sink options...]
	local name=$1; shift
	mkdir -p "$dir/$name"
	chown postfix "$dir/$name"
	smtp-sink -u postfix "$@" -d "$dir/$name/%Y%m%d%H%M%S." \
		"127.0.0.1:$port" 100 &
	sinks+=($!)
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "smtp-sink did not start"
}
stop_sinks() {
	for p in "${sinks[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	sinks=()
}

write_conf() {	# write_conf CHARSET
	cat > "$dir/mailproc.conf" <<CONF
state_dir = $dir/state
smtp_url = smtp://127.0.0.1:$port
staff_addresses = staff@example.jp
outgoing_charset = $1
smtp_timeout = 5s
# Every mail is counted here; the staff digest is 0740's.
staff_digest = no
CONF
}
mp() { "$MAILPROC" -c "$dir/mailproc.conf" "$@"; }
# Monday 2026-11-30 10:00 JST: in business hours.
export MAILPROC_NOW=1796000400

customer_mail() {	# customer_mail N
	printf 'From: =?UTF-8?B?5bGx55Sw?= <yamada%s@example.co.jp>\nTo: support@example.jp\nSubject: =?UTF-8?B?5YaN6LW35YuV44Gu44GK6aGY44GE?= %s\nMessage-ID: <cust%s@example.co.jp>\nDate: Mon, 30 Nov 2026 09:59:00 +0900\nContent-Type: text/plain; charset=UTF-8\n\nweb01 の再起動をお願いします。\n' "$1" "$1" "$1"
}
count_state() {	# count_state STATE
	mp outbox list --json | python3 -c '
import json, sys
print(sum(1 for o in json.load(sys.stdin) if o["state"] == sys.argv[1]))' "$1"
}

# --- 1. relay down, then up: everything exactly once -------------------
write_conf utf-8
for n in 1 2 3; do
	customer_mail $n | mp deliver --sender "yamada$n@example.co.jp" \
		--recipient support@example.jp || fail "deliver $n"
done
queued=$(count_state queued)
[ "$queued" = 6 ] || fail "want 6 queued (3 acks + 3 staff notices), got $queued"
mp run --once || fail "run with the relay down: exit $?"
[ "$(count_state queued)" = 6 ] || fail "relay down: mail lost or sent"
mp outbox list --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert any(r["attempts"] == 1 and r["last_error"] for r in rows), rows
' || fail "relay down: no attempt recorded"
start_sink ok
# Retries wait for their backoff: an hour later everything is due.
MAILPROC_NOW=$((MAILPROC_NOW + 3600)) mp run --once || fail "run: exit $?"
[ "$(count_state sent)" = 6 ] || fail "want 6 sent, got $(count_state sent)"
MAILPROC_NOW=$((MAILPROC_NOW + 7200)) mp run --once || fail "run again"
sleep 0.5
files=$(ls "$dir/ok" | wc -l)
[ "$files" = 6 ] || fail "sink got $files mails, want 6 (each exactly once)"

# Each acknowledgement parses back, with Python's parser ...
python3 - "$dir/ok" <<'PY' || fail "python parse of the acknowledgements"
import email, email.policy, glob, sys
acks = 0
for path in glob.glob(sys.argv[1] + "/*"):
    raw = open(path, "rb").read()
    # smtp-sink prepends X-Mail-Args/X-Rcpt-Args headers: fine for parsing
    m = email.message_from_bytes(raw, policy=email.policy.default)
    rcpt = m["X-Rcpt-Args"] or ""
    assert m["From"].addresses[0].addr_spec == "support@example.jp", m["From"]
    assert m["Message-ID"].endswith("@example.jp>"), m["Message-ID"]
    assert m["Date"] is not None
    # a reply to the customer; a notice to staff answers nothing
    want = "auto-replied" if "yamada" in str(m["To"]) else "auto-generated"
    assert m["Auto-Submitted"] == want, (m["To"], m["Auto-Submitted"])
    body = m.get_body(("plain",)).get_content()
    if "yamada" in str(m["To"]):
        acks += 1
        n = str(m["To"])[len("yamada")]
        assert "[SUPPORT#" in m["Subject"], m["Subject"]
        assert m["In-Reply-To"] == "<cust%s@example.co.jp>" % n, m["In-Reply-To"]
        assert "cust%s@example.co.jp" % n in m["References"]
        assert any(0x3040 <= ord(c) <= 0x30ff for c in body), body
    else:
        assert str(m["To"]) == "staff@example.jp", m["To"]
        assert m["Reply-To"].addresses[0].addr_spec.startswith("support+"), m["Reply-To"]
        assert "web01 の再起動をお願いします" in body, body
assert acks == 3, acks
PY
# ... and with GMime (our own parser), after stripping the sink's lines.
for f in "$dir"/ok/*; do
	sed '/^X-Mail-Args:/d; /^X-Rcpt-Args:/d' "$f" | mp parse --json |
		python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["defects"] == [], m["defects"]
assert "[SUPPORT#" in m["subject"], m["subject"]
assert m["text"].strip(), m
' || fail "gmime parse of $f"
done
stop_sinks

# --- 2. ISO-2022-JP: subject and body in JIS, and back ------------------
rm -rf "$dir/state"
write_conf iso-2022-jp
start_sink jis
customer_mail 7 | mp deliver --sender yamada7@example.co.jp || fail "deliver jis"
mp run --once || fail "run jis"
sleep 0.5
python3 - "$dir/jis" <<'PY' || fail "iso-2022-jp acknowledgement"
import email, email.policy, glob, sys
seen = 0
for path in glob.glob(sys.argv[1] + "/*"):
    raw = open(path, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    if "yamada" not in str(m["To"]):
        continue
    seen += 1
    part = m.get_body(("plain",))
    assert part.get_content_charset() == "iso-2022-jp", part.get_content_charset()
    assert b"=?ISO-2022-JP?" in raw.upper() or b"=?iso-2022-jp?" in raw, "subject not in JIS"
    assert max(raw) < 0x80, "8-bit bytes in an ISO-2022-JP mail"
    body = part.get_content()
    assert any(0x3040 <= ord(c) <= 0x30ff for c in body), body
    assert "[SUPPORT#" in str(m["Subject"])
assert seen == 1, seen
PY
stop_sinks

# --- 3. a relay that refuses for good: failed, and staff are told -------
rm -rf "$dir/state"
write_conf utf-8
start_sink refuse -f RCPT
customer_mail 9 | mp deliver --sender yamada9@example.co.jp || fail "deliver refuse"
mp run --once || fail "run refuse"
mp outbox list --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
failed = [r for r in rows if r["state"] == "failed"]
assert failed and all("refused" in r["last_error"] for r in failed), rows
notices = [r for r in rows if r["template"] == "staff-delivery-failure"]
assert notices, "no delivery-failure notice to staff"
' || fail "permanent refusal"
echo "ok: outbox over SMTP"
