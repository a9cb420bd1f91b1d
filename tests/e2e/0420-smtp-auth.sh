#!/bin/bash
# SMTP AUTH against the real Postfix submission port (Dovecot SASL): `run`
# logs in with smtp_user and the password file and the mail is relayed to
# the sink; a wrong password leaves the mail queued with the reason; a
# password file readable by others is refused.
set -eu
MP_NEEDS_DOVECOT=1
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d /tmp/mp-0420.XXXXXX)
chmod 755 "$work"
at_exit "rm -rf '$work'"
conf=$work/mailproc.conf
printf 'staff-secret\n' > "$work/pw"
chown nobody "$work/pw"
chmod 600 "$work/pw"
cat > "$conf" <<CONF
state_dir = $MP_STACK/state
rules_dir = $MP_STACK/rules
templates_dir = $MP_STACK/templates
smtp_url = smtp://127.0.0.1:$MP_STAFF_PORT
smtp_user = staff@example.jp
smtp_password_file = $work/pw
staff_addresses = staff@example.jp
# Every mail is counted, on the real clock: no digest (0740 has it).
staff_digest = no
CONF
chmod 644 "$conf"
mpa() { as_nobody "$MP_STACK/bin/mailproc" -c "$conf" "$@"; }

printf 'From: ken@customer.example.com\nTo: support@example.jp\nSubject: hello\nMessage-ID: <auth1@customer.example.com>\n\nquestion\n' |
	mpa deliver --sender ken@customer.example.com --recipient support@example.jp || fail "deliver"
mpa run --once || fail "run with AUTH: exit $?"
sent=$(mpa outbox list --json | python3 -c 'import json,sys; print(sum(o["state"] == "sent" for o in json.load(sys.stdin)))')
[ "$sent" = 2 ] || fail "want 2 sent through the authenticated port, got $sent"
wait_for_log 'sasl_username=staff@example.jp' 10
for i in $(seq 50); do
	grep -lq '^X-Rcpt-Args:.*ken@customer.example.com' "$MP_STACK"/sink/* 2>/dev/null && break
	sleep 0.2
done
grep -lq '^X-Rcpt-Args:.*ken@customer.example.com' "$MP_STACK"/sink/* ||
	fail "the acknowledgement did not reach the sink"

# A wrong password: the mail stays queued (our login failing says
# nothing about the mail), with the reason.
printf 'wrong\n' > "$work/pw"
printf 'From: ken@customer.example.com\nTo: support@example.jp\nSubject: again\nMessage-ID: <auth2@customer.example.com>\n\nquestion 2\n' |
	mpa deliver --sender ken@customer.example.com --recipient support@example.jp || fail "deliver 2"
mpa run --once 2>/dev/null || true
mpa outbox list --json | python3 -c '
import json, sys
rows = [o for o in json.load(sys.stdin) if o["state"] != "sent"]
assert rows and all(o["state"] == "queued" for o in rows), rows
assert any("login" in (o["last_error"] or "") for o in rows), rows
' || fail "wrong password: mail not kept with a reason"

# A password file others can read is refused outright.
chmod 644 "$work/pw"
set +e
err=$(mpa run --once 2>&1)
rc=$?
set -e
[ $rc = 78 ] || fail "readable password file: exit $rc, want 78"
printf '%s' "$err" | grep -q 'readable by group or others' || fail "no clear error: $err"
pass
