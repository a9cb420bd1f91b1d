#!/bin/sh
# `make demo`: imports the demo contracts, feeds tests/corpus/demo/*.eml
# through `mailproc deliver` into a scratch state directory, runs the
# runner once against a local SMTP sink (Postfix's smtp-sink on
# loopback), and prints the tickets and the mails that went out.
set -eu
bin=$1
dir=$(mktemp -d /tmp/mailproc-demo.XXXXXX)
chmod 755 "$dir"
port=$((30000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
conf=$dir/mailproc.conf
cat > "$conf" <<CONF
state_dir = $dir/state
smtp_url = smtp://127.0.0.1:$port
staff_addresses = staff@example.jp
CONF
mkdir "$dir/sink"
sink_pid=
if command -v smtp-sink >/dev/null 2>&1 && id postfix >/dev/null 2>&1; then
	chown postfix "$dir/sink"
	smtp-sink -u postfix -d "$dir/sink/%H%M%S." "127.0.0.1:$port" 10 &
	sink_pid=$!
	sleep 0.3
fi
trap '[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null' EXIT

echo "== contracts (tests/corpus/demo/customers.csv)"
"$bin" -c "$conf" customers import tests/corpus/demo/customers.csv
echo
echo "== delivering tests/corpus/demo/*.eml"
for f in tests/corpus/demo/*.eml; do
	from=$("$bin" -c "$conf" parse --json < "$f" |
		python3 -c 'import json,sys; f=json.load(sys.stdin)["from"]; print(f[0]["address"] if f else "")')
	rcpt=support@example.jp
	grep -q '^To:.*form@example.jp' "$f" && rcpt=form@example.jp
	"$bin" -c "$conf" deliver --sender "$from" --recipient "$rcpt" < "$f"
	echo "  $(basename "$f"): exit $?"
done
echo
echo "== running the outbox once"
"$bin" -c "$conf" run --once || true
echo
echo "== tickets"
"$bin" -c "$conf" ticket list
echo
echo "== outgoing mail"
"$bin" -c "$conf" outbox list
for f in "$dir"/sink/*; do
	[ -e "$f" ] || break
	echo
	echo "---- $(basename "$f")"
	python3 - "$f" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print("To:", m["To"])
print("Subject:", m["Subject"])
print()
body = m.get_body(("plain",))
print("\n".join(body.get_content().splitlines()[:12]) if body else "")
PY
done
echo
echo "== the state is kept in $dir (remove it when done)"
