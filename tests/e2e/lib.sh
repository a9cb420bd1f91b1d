# shellcheck shell=bash
# tests/e2e/lib.sh: sourced by every tests/e2e/NNNN-*.sh, from the
# repository root, after `set -eu`.
#
# The stack (tests/e2e/stack.sh) is taken from $MP_STACK.  When MP_STACK is
# unset the script starts a stack of its own in a temporary directory and
# stops it on exit, so that a script can be run alone (with Dovecot only if
# the script sets MP_NEEDS_DOVECOT=1 before sourcing this file):
#
#     tests/e2e/0100-postfix-deliver.sh
#
# On load the stack is brought to a known point: the binary, rules/ and
# templates/ copied again from the checkout ($MAILPROC, else bin/mailproc),
# the Postfix queue emptied, state/ and sink/ emptied.  Only maillog lines
# written after that point count for the wait_* helpers.
#
# Helpers:
#   mp ARGS...             DIR/bin/mailproc -c DIR/mailproc.conf ARGS as nobody
#   as_nobody CMD...       any command as nobody
#   send_mail SWAKS-ARGS   swaks to 127.0.0.1:2525; sets QID to the queue id
#   send_staff_mail ARGS   the same to 127.0.0.1:2587 with SASL as staff
#   wait_for_log ERE [S]   until a new maillog line matches (default 20 s);
#                          a bounce fails at once unless ERE is about one
#   wait_delivered N [S]   until N mails went through the pipe (status=sent)
#   assert_no_bounce       no new status=bounced line
#   queue_count            messages in the Postfix queue
#   json_check JSON CODE   python3 CODE with the parsed JSON in `d` and
#                          want(got, expected, what) to compare
#   at_exit CMD            run CMD (eval) when the script exits
#   fail MSG / pass
#
# The stack: customers on 127.0.0.1:$MP_SMTP_PORT (2525), staff on
# $MP_STAFF_PORT (2587; SASL user
# staff@example.jp, password staff-secret), the sink on $MP_SINK_PORT (2526) writing one
# file per mail to $MP_STACK/sink/, IMAP on $MP_IMAP_PORT (1143; support@example.jp,
# password support-secret), Postfix log $MP_STACK/maillog, Postfix config
# $MP_STACK/etc (postqueue -c $MP_STACK/etc -p|-j|-f).  Mail to any
# address at inbox.e2e.test (or below it) that reaches the customer port
# is delivered by Postfix through dovecot-lda into the Dovecot mailbox of
# mailbox@inbox.e2e.test (password mailbox-secret): set mailproc's
# smtp_url to the customer port to read its mail as a customer's
# mailbox holds it (0460).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
MP_TOP=$(cd "$E2E_DIR/../.." && pwd -P)
export MP_TOP
MP_TEST=$(basename "$0" .sh)
_mp_cleanups=()
_mp_own_stack=

fail()
{
	local n
	printf 'FAIL %s: %s\n' "$MP_TEST" "$*" >&2
	# Delivered but not processed: say so, it explains missing tickets.
	n=$(find "${MP_STACK:-/nonexistent}" -type f \( \
		-path '*/spool/incoming/new/*' -o -path '*/spool/failed/*' \) ! -name '.*' \
		2>/dev/null | wc -l)
	if [ "$n" -gt 0 ]; then
		printf '%s: %s file(s) in spool/incoming/new or spool/failed' \
			"$MP_TEST" "$n" >&2
		printf ' under %s; "mailproc -d ... run --once" tells why\n' \
			"$MP_STACK" >&2
	fi
	exit 1
}

pass()
{
	printf 'PASS %s\n' "$MP_TEST"
	exit 0
}

note()
{
	printf '%s: %s\n' "$MP_TEST" "$*" >&2
}

at_exit()
{
	_mp_cleanups+=("$1")
}

_mp_exit()
{
	local rc=$? i
	set +e
	for ((i = ${#_mp_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_mp_cleanups[i]}"
	done
	if [ -n "$_mp_own_stack" ]; then
		"$E2E_DIR/stack.sh" stop "$MP_STACK"
		if [ "$rc" = 0 ]; then
			rm -rf "$MP_STACK"
		else
			note "stack kept for inspection in $MP_STACK" \
			     "(maillog $MP_STACK/maillog)"
		fi
	fi
	exit "$rc"
}
trap _mp_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_nobody()
{
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		runuser -u nobody -- "$@"
	fi
}

# mailproc as the pipe runs it: as nobody, so that the database and its
# WAL and shm files stay owned by nobody.
mp()
{
	as_nobody "$MP_STACK/bin/mailproc" -c "$MP_STACK/mailproc.conf" "$@"
}

# The maillog lines written since the script began.
log_since()
{
	tail -n +"$((_mp_log_mark + 1))" "$MP_STACK/maillog" 2>/dev/null || true
}

_mp_log_tail()
{
	echo "--- last lines of $MP_STACK/maillog:" >&2
	tail -n 15 "$MP_STACK/maillog" >&2 || true
}

# Lines matching ERE among the new maillog lines.
log_count()
{
	log_since | grep -cE -- "$1" || true
}

wait_for_log()
{
	local pattern=$1 limit=${2:-20} t=0
	while [ "$(log_count "$pattern")" = 0 ]; do
		case $pattern in
		*bounced*) ;;
		*) assert_no_bounce ;;
		esac
		if [ "$t" -ge "$((limit * 5))" ]; then
			_mp_log_tail
			fail "no maillog line matching '$pattern' after ${limit}s"
		fi
		sleep 0.2
		t=$((t + 1))
	done
}

assert_no_bounce()
{
	if [ "$(log_count 'status=bounced')" != 0 ]; then
		log_since | grep -E 'status=bounced' >&2
		fail "Postfix bounced a message"
	fi
}

# Waits until N mails went through the mailproc pipe with status=sent since
# the script began (over LMTP, and were filed); a bounce on the way fails
# at once.
wait_delivered()
{
	local n=$1 limit=${2:-20} t=0
	while [ "$(log_count "$MP_RELAY_RE.*status=sent")" -lt "$n" ]; do
		assert_no_bounce
		if [ "$t" -ge "$((limit * 5))" ]; then
			_mp_log_tail
			fail "fewer than $n mails delivered through the pipe" \
			     "after ${limit}s"
		fi
		sleep 0.2
		t=$((t + 1))
	done
	assert_no_bounce
	# Over LMTP the 250 comes once the mail is spooled, and the server
	# files it a moment later: wait for that too (a mail whose filing
	# fails stays in new/ for good; the script's own checks say so).
	t=0
	while [ "$MP_TRANSPORT" = lmtp ] && [ "$t" -lt 50 ] &&
		[ -n "$(find "$MP_STACK/state/spool/incoming/new" -type f \
			! -name '.*' 2>/dev/null | head -1)" ]; do
		sleep 0.2
		t=$((t + 1))
	done
}

postqueue_json()
{
	postqueue -c "$MP_STACK/etc" -j
}

queue_count()
{
	postqueue_json | grep -c . || true
}

_mp_swaks()
{
	local out
	out=$(swaks --helo client.e2e.test --timeout 20 "$@" 2>&1) ||
		fail "swaks $*: $(printf '%s\n' "$out" | grep -E '^(<\*\*|\*\*\*)' |
			head -3)"
	QID=$(printf '%s\n' "$out" | sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p')
	[ -n "$QID" ] || fail "swaks $*: no queue id in: $out"
}

# send_mail SWAKS-ARGS...: one message to the customer port.  Use --from,
# --to, --header 'Name: value', --body, or --data @FILE for a whole
# message (then --from/--to are the envelope only).  Sets QID.
send_mail()
{
	_mp_swaks --server "127.0.0.1:$MP_SMTP_PORT" "$@"
}

# send_staff_mail SWAKS-ARGS...: the same through the staff port, logged
# in as staff@example.jp (needs Dovecot, see MP_NEEDS_DOVECOT), so that
# deliver gets --sasl-user staff@example.jp.
send_staff_mail()
{
	_mp_swaks --server "127.0.0.1:$MP_STAFF_PORT" --auth PLAIN \
		--auth-user staff@example.jp --auth-password staff-secret "$@"
}

# json_check JSON CODE: runs python3 CODE with the decoded JSON in d and
# want(got, expected, what), which fails with "what: got X, want Y".
json_check()
{
	local prelude='import json, sys
def want(got, expected, what):
    if got != expected:
        print("%s: got %r, want %r" % (what, got, expected), file=sys.stderr)
        sys.exit(1)
d = json.loads(sys.stdin.read())
'
	printf '%s' "$1" | python3 -c "$prelude$2" ||
		fail "json check failed on: $(printf '%s' "$1" | head -c 2000)"
}

# A fresh stack of our own when none was given.
if [ -z "${MP_STACK:-}" ]; then
	MP_STACK=$(mktemp -d /tmp/mp-e2e.XXXXXX)
	chmod 755 "$MP_STACK"
	_mp_own_stack=1
	# Dovecot only for scripts that say MP_NEEDS_DOVECOT=1 before
	# sourcing this file: it costs seconds to stop.
	MP_STACK_DOVECOT=${MP_STACK_DOVECOT:-${MP_NEEDS_DOVECOT:-0}} \
		"$E2E_DIR/stack.sh" start "$MP_STACK" || fail "stack did not start"
fi
[ -f "$MP_STACK/.mp-e2e-stack" ] ||
	fail "MP_STACK=$MP_STACK is not a stack (tests/e2e/stack.sh start DIR)"
MP_STACK=$(cd "$MP_STACK" && pwd -P)
export MP_STACK
# The stack's ports (tests/e2e/stack.sh, MP_PORT_BASE).
MP_SMTP_PORT=2525 MP_SINK_PORT=2526 MP_STAFF_PORT=2587 MP_IMAP_PORT=1143
# shellcheck disable=SC1091
[ ! -f "$MP_STACK/ports" ] || . "$MP_STACK/ports"
MP_TRANSPORT=${MP_TRANSPORT:-pipe}
export MP_SMTP_PORT MP_SINK_PORT MP_STAFF_PORT MP_IMAP_PORT MP_TRANSPORT
# How the maillog names a delivery to mailproc: the pipe service, or the
# LMTP socket.
if [ "$MP_TRANSPORT" = lmtp ]; then
	MP_RELAY_RE='relay=[^ ]*lmtp\.sock[^ ]*, '
else
	MP_RELAY_RE='relay=mailproc, '
fi

# A known starting point.
"$E2E_DIR/stack.sh" sync "$MP_STACK" || fail "stack sync failed"
if [ "$(queue_count)" != 0 ]; then
	note "deleting $(queue_count) message(s) left in the queue"
	postsuper -c "$MP_STACK/etc" -d ALL >/dev/null 2>&1 ||
		fail "postsuper -d ALL failed"
fi
find "$MP_STACK/state" "$MP_STACK/sink" -mindepth 1 -delete
chown nobody:nogroup "$MP_STACK/state"
chmod 755 "$MP_STACK/state"
# A resident LMTP server held the old database open: start it afresh.
"$E2E_DIR/stack.sh" lmtp-restart "$MP_STACK" || fail "lmtp restart failed"
_mp_log_mark=$(wc -l <"$MP_STACK/maillog" 2>/dev/null || echo 0)
QID=
