#!/bin/bash
# max_message_size: deliver refuses a message over the limit with exit 65
# (EX_DATAERR, which Postfix returns to the sender) and one stderr line
# "mailproc: <what>: <why>"; a message under the limit is taken (exit 0).
# Run as the pipe runs it (nobody, --sender/--recipient/--sasl-user), with
# a configuration of its own whose limit is 20000 bytes.
set -eu
. "$(dirname "$0")/lib.sh"

limit=20000
t=$MP_STACK/t0120
rm -rf "$t"
mkdir -p "$t/state"
chown nobody:nogroup "$t/state"
chmod 755 "$t"
at_exit "rm -rf '$t'"
sed "s|^state_dir = .*|state_dir = $t/state|" "$MP_STACK/mailproc.conf" \
	>"$t/mailproc.conf"
printf 'max_message_size = %s\n' "$limit" >>"$t/mailproc.conf"
chmod 644 "$t/mailproc.conf"

# A message of about $2 bytes with subject $1.
make_mail()
{
	printf 'From: Sato <sato@customer.example.com>\n'
	printf 'To: support@example.jp\n'
	printf 'Subject: %s\n' "$1"
	printf 'Message-ID: <%s.e2e@customer.example.com>\n' "$1"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf '\n'
	yes 'The log file of web01 keeps growing; the lines are attached.' |
		head -c "$2"
	printf '\n'
}

# size  exit  (sizes stay clear of the limit: how headers count is the
# program's business)
cases='
1000	0
15000	0
30000	65
300000	65
'

n=0
accepted=0
subjects=
while read -r size want; do
	[ -n "$size" ] || continue
	n=$((n + 1))
	make_mail "size-$size" "$size" >"$t/mail"
	got=0
	as_nobody "$MP_STACK/bin/mailproc" -c "$t/mailproc.conf" deliver \
		--sender sato@customer.example.com \
		--recipient support@example.jp --sasl-user '' \
		<"$t/mail" >"$t/out" 2>"$t/err" || got=$?
	[ "$got" = "$want" ] ||
		fail "case $n ($size bytes): got exit $got, want $want;" \
		     "stderr: $(head -c 500 "$t/err")"
	if [ "$want" = 65 ]; then
		lines=$(grep -c . "$t/err" || true)
		[ "$lines" = 1 ] ||
			fail "case $n ($size bytes): got $lines stderr lines," \
			     "want 1: $(head -c 500 "$t/err")"
		grep -qE '^mailproc: [^:]+: .+' "$t/err" ||
			fail "case $n ($size bytes): got stderr '$(cat "$t/err")'," \
			     "want 'mailproc: <what>: <why>'"
	else
		accepted=$((accepted + 1))
		subjects="$subjects'size-$size', "
	fi
done <<EOF
$cases
EOF

# Nothing half-written is left, and exactly the accepted ones were filed.
left=$(find "$t/state" -path '*/spool/incoming/tmp/*' -type f | wc -l)
[ "$left" = 0 ] || fail "got $left files in spool/incoming/tmp, want 0"
list=$(as_nobody "$MP_STACK/bin/mailproc" -c "$t/mailproc.conf" \
	ticket list --json) || fail "ticket list --json failed"
json_check "$list" "
want(len(d), $accepted, 'tickets')
want(sorted(t['subject'] for t in d), sorted([$subjects]), 'subjects')
"
pass
