#!/bin/bash
# tests/e2e/stack.sh start DIR | stop DIR | status DIR
#
# The mail stack of the end-to-end tests, all on 127.0.0.1 and all under
# DIR (an absolute or relative path; created if missing):
#
#   2525  Postfix smtpd for customers (no auth)
#   2587  Postfix smtpd for staff, SASL through the private Dovecot
#   2526  smtp-sink: relayhost of Postfix and smtp_url of mailproc; one
#         file per mail in DIR/sink/
#   1143  Dovecot IMAP (plain, no TLS); users in DIR/dovecot/passwd
#         (staff@example.jp, support@example.jp, and the customer
#         hanako@customer.example.com, password hanako-secret; and
#         mailbox@inbox.e2e.test, password mailbox-secret, where Postfix
#         delivers all mail to inbox.e2e.test through dovecot-lda)
#
# example.jp is a relay domain: support@ and form@ (with any +detail) go to
# the pipe transport "mailproc", which runs DIR/bin/mailproc as nobody with
# DIR/mailproc.conf; inbox.e2e.test (and its subdomains) go through
# dovecot-lda into the mailbox of mailbox@inbox.e2e.test; staff@ and
# every other domain go to the sink.
#
# The repository may not be traversable by nobody or postfix, so start
# copies the binary ($MAILPROC, else bin/mailproc of this checkout), rules/
# and templates/ into DIR.  start first stops whatever a previous run left
# in DIR and fails, naming the process, if another program holds a port.
# stop ends everything start began.  sync copies the binary, rules/ and
# templates/ again (after a rebuild) into a running stack.  MP_STACK_DOVECOT=0 leaves Dovecot out
# (then 2587 cannot authenticate and 1143 is closed).
#
# Log files: DIR/maillog (Postfix), DIR/sink.log, DIR/dovecot/dovecot.log.
#
# MP_TRANSPORT=lmtp hands example.jp's mail to a resident `mailproc lmtp`
# on DIR/lmtp/lmtp.sock (run as nobody, group postfix, so that Postfix's
# lmtp client may connect) instead of the pipe; the staff submission
# service writes the SASL login into X-Mailproc-Login either way
# (check_sasl_access PREPEND, README "The SASL login over LMTP").
# `lmtp-restart DIR` restarts that server (after state/ was emptied).
#
# MP_PORT_BASE=N moves the four ports to N (customers), N+1 (sink), N+2
# (staff) and N+3 (IMAP), so that two checkouts can each run a stack.
# start writes the ports it used to DIR/ports (shell assignments of
# MP_SMTP_PORT, MP_SINK_PORT, MP_STAFF_PORT, MP_IMAP_PORT), which
# tests/e2e/lib.sh reads and stop and status go by.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd -P)
want_transport=${MP_TRANSPORT:-pipe}
TOP=$(cd "$HERE/../.." && pwd -P)

# The ports of a new stack, from MP_PORT_BASE.
ports_choose()
{
	if [ -n "${MP_PORT_BASE:-}" ]; then
		case $MP_PORT_BASE in
		*[!0-9]*) echo "stack: MP_PORT_BASE=$MP_PORT_BASE is not a number" >&2; exit 64 ;;
		esac
		[ "$MP_PORT_BASE" -ge 1024 ] && [ "$MP_PORT_BASE" -le 65000 ] ||
			{ echo "stack: MP_PORT_BASE must be 1024..65000" >&2; exit 64; }
		MP_SMTP_PORT=$MP_PORT_BASE
		MP_SINK_PORT=$((MP_PORT_BASE + 1))
		MP_STAFF_PORT=$((MP_PORT_BASE + 2))
		MP_IMAP_PORT=$((MP_PORT_BASE + 3))
	else
		MP_SMTP_PORT=2525 MP_SINK_PORT=2526 MP_STAFF_PORT=2587 MP_IMAP_PORT=1143
	fi
	MP_TRANSPORT=$want_transport
	case $MP_TRANSPORT in
	pipe|lmtp) ;;
	*) echo "stack: MP_TRANSPORT=$MP_TRANSPORT: want pipe or lmtp" >&2; exit 64 ;;
	esac
}

# The ports of the stack in DIR (the defaults for one started before
# DIR/ports existed).
ports_load()
{
	if [ -f "$dir/ports" ]; then
		# shellcheck disable=SC1091
		. "$dir/ports"
	else
		MP_SMTP_PORT=2525 MP_SINK_PORT=2526 MP_STAFF_PORT=2587 MP_IMAP_PORT=1143
	fi
	MP_TRANSPORT=${MP_TRANSPORT:-pipe}
	PORTS="$MP_SMTP_PORT $MP_SINK_PORT $MP_STAFF_PORT $MP_IMAP_PORT"
}
say()
{
	printf 'stack: %s\n' "$*" >&2
}

die()
{
	say "$*"
	if [ -n "${dir:-}" ] && [ -f "$dir/maillog" ]; then
		say "maillog: $dir/maillog (last lines below)"
		tail -n 15 "$dir/maillog" >&2 || true
	fi
	exit 1
}

# Runs a command as another user without PAM (setpriv), else runuser.
as_user()
{
	local user=$1
	shift
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid="$user" --regid="$(id -g "$user")" \
			--init-groups -- "$@"
	else
		runuser -u "$user" -- "$@"
	fi
}

# Whether pid is a live process (a zombie counts as dead: with no reaping
# init, an orphan's zombie stays until the machine stops).
alive()
{
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) ||
		return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

cmdline_of()
{
	tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true
}

# Sends TERM, waits up to $2 tenths of a second, then KILL.
end_pid()
{
	local pid=$1 n=0
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid" && [ "$n" -lt "$2" ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if alive "$pid"; then
		say "pid $pid ignored TERM, killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	wait "$pid" 2>/dev/null || true
}

port_listening()
{
	local hex
	hex=$(printf ':%04X' "$1")
	awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {
		f = 1 } END { exit !f }' /proc/net/tcp
}

# The pids holding a listening socket on port $1 (IPv4).
port_holders()
{
	local hex inode
	hex=$(printf ':%04X' "$1")
	for inode in $(awk -v p="$hex" '$4 == "0A" &&
		substr($2, length($2) - 4) == p { print $10 }' /proc/net/tcp); do
		find /proc/[0-9]*/fd -lname "socket:\\[$inode\\]" 2>/dev/null
	done | cut -d/ -f3 | sort -un
}

# Stops one process that holds a port of ours if it is recognisably a
# leftover of some stack directory (one whose marker is there, or one that
# has been deleted); returns 1 for anything else.
end_leftover()
{
	local pid=$1 cmd conf other
	cmd=$(cmdline_of "$pid")
	case $cmd in
	*smtp-sink*/sink/%Y%m%d%H%M%S.*)
		say "ending leftover smtp-sink $pid"
		end_pid "$pid" 30
		return 0
		;;
	*dovecot*/dovecot/dovecot.conf*)
		say "ending leftover dovecot $pid"
		end_pid "$pid" 100
		return 0
		;;
	esac
	# Postfix master and its smtpd children share the listener; the
	# config directory is in MAIL_CONFIG.
	conf=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" |
		sed -n 's/^MAIL_CONFIG=//p') || true
	case $conf in
	*/etc) other=${conf%/etc} ;;
	*) return 1 ;;
	esac
	if [ -f "$other/.mp-e2e-stack" ]; then
		say "stopping leftover Postfix of $other"
		postfix -c "$conf" stop >/dev/null 2>&1 || true
		sleep 0.5
		return 0
	fi
	if [ ! -d "$other" ]; then
		local m
		m=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status")
		case $(cmdline_of "$m") in
		*master*) pid=$m ;;
		esac
		say "ending leftover Postfix $pid of deleted $other"
		end_pid "$pid" 50
		return 0
	fi
	return 1
}

lmtp_stop()
{
	local pid
	if [ -f "$dir/run/lmtp.pid" ]; then
		pid=$(cat "$dir/run/lmtp.pid")
		case $(cmdline_of "$pid") in
		*mailproc*lmtp*) end_pid "$pid" 100 ;;
		esac
		rm -f "$dir/run/lmtp.pid"
	fi
}

# Starts `mailproc lmtp` on DIR/lmtp/lmtp.sock and waits for the socket.
lmtp_start()
{
	local n=0
	mkdir -p "$dir/lmtp"
	chown nobody:postfix "$dir/lmtp"
	chmod 750 "$dir/lmtp"
	rm -f "$dir/lmtp/lmtp.sock"
	setsid setpriv --reuid=nobody --regid=postfix --clear-groups -- \
		"$dir/bin/mailproc" -d -c "$dir/mailproc.conf" lmtp \
		--listen "unix:$dir/lmtp/lmtp.sock" </dev/null \
		>>"$dir/lmtp.log" 2>&1 &
	echo $! >"$dir/run/lmtp.pid"
	while [ ! -S "$dir/lmtp/lmtp.sock" ]; do
		n=$((n + 1))
		[ "$n" -lt 100 ] || die "mailproc lmtp did not listen, see $dir/lmtp.log"
		sleep 0.1
	done
}

stack_stop()
{
	local pid
	lmtp_stop
	# Postfix.
	if [ -f "$dir/etc/main.cf" ] && [ -f "$dir/queue/pid/master.pid" ]; then
		pid=$(tr -d ' \n' <"$dir/queue/pid/master.pid")
		if alive "$pid"; then
			postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
			end_pid "$pid" 100
		fi
	fi
	# The sink.
	if [ -f "$dir/run/sink.pid" ]; then
		pid=$(cat "$dir/run/sink.pid")
		case $(cmdline_of "$pid") in
		*smtp-sink*"$dir/sink/"*) end_pid "$pid" 30 ;;
		esac
		rm -f "$dir/run/sink.pid"
	fi
	# Dovecot.
	if [ -f "$dir/dovecot/run/master.pid" ]; then
		pid=$(cat "$dir/dovecot/run/master.pid")
		case $(cmdline_of "$pid") in
		*dovecot*) end_pid "$pid" 100 ;;
		esac
	fi
}

wait_port()
{
	local n=0
	while ! port_listening "$1"; do
		n=$((n + 1))
		[ "$n" -lt 100 ] || die "nothing listens on 127.0.0.1:$1 after 10 s ($2)"
		sleep 0.1
	done
}

# Writes template $1 of tests/e2e/stack/ to $2 with @DIR@ and the ports
# replaced.
render()
{
	local transport=mailproc:

	[ "$MP_TRANSPORT" != lmtp ] || transport="lmtp:unix:$dir/lmtp/lmtp.sock"
	sed -e "s|@DIR@|$dir|g" -e "s|@TRANSPORT@|$transport|g" -e "s|@SMTP_PORT@|$MP_SMTP_PORT|g" \
		-e "s|@SINK_PORT@|$MP_SINK_PORT|g" -e "s|@STAFF_PORT@|$MP_STAFF_PORT|g" \
		-e "s|@IMAP_PORT@|$MP_IMAP_PORT|g" "$HERE/stack/$1" >"$2"
}

# Copies the binary, rules/ and templates/ into DIR, where nobody can read
# them, and writes DIR/mailproc.conf.
stack_sync()
{
	local bin
	bin=${MAILPROC:-$TOP/bin/mailproc}
	case $bin in
	/*) ;;
	*) bin=$PWD/$bin ;;
	esac
	[ -x "$bin" ] || die "no mailproc binary at $bin (run make first)"
	[ -d "$TOP/rules" ] && [ -d "$TOP/templates" ] ||
		die "no rules/ or templates/ in $TOP"
	mkdir -p "$dir/bin"
	rm -rf "$dir/bin/mailproc.new" "$dir/rules" "$dir/templates"
	cp "$bin" "$dir/bin/mailproc.new"
	chmod 755 "$dir/bin" "$dir/bin/mailproc.new"
	mv -f "$dir/bin/mailproc.new" "$dir/bin/mailproc"
	cp -R "$TOP/rules" "$TOP/templates" "$dir/"
	chmod -R u+rwX,go+rX,go-w "$dir/rules" "$dir/templates"
	cat >"$dir/mailproc.conf" <<EOF
# Written by tests/e2e/stack.sh for the stack in $dir.
state_dir = $dir/state
rules_dir = $dir/rules
templates_dir = $dir/templates
support_address = support@example.jp
form_address = form@example.jp
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:$MP_SINK_PORT
# The stack's tests run on the real clock and count mail: no digest at
# whatever opening the suite happens to run in (0740 tests it).
staff_digest = no
EOF
	chmod 644 "$dir/mailproc.conf"
}

stack_start()
{
	local port pid n

	ports_load
	stack_stop
	ports_choose
	PORTS="$MP_SMTP_PORT $MP_SINK_PORT $MP_STAFF_PORT $MP_IMAP_PORT"
	for port in $PORTS; do
		n=0
		while port_listening "$port"; do
			# Ending one holder (Postfix master) may end the others.
			for pid in $(port_holders "$port"); do
				alive "$pid" || continue
				end_leftover "$pid" ||
					die "127.0.0.1:$port is taken by pid $pid:" \
					    "$(cmdline_of "$pid")"
				break
			done
			n=$((n + 1))
			[ "$n" -lt 20 ] ||
				die "127.0.0.1:$port is still taken after ending leftovers"
			sleep 0.2
		done
	done

	# A clean slate.
	rm -rf "${dir:?}/etc" "${dir:?}/queue" "${dir:?}/data" "${dir:?}/sink" "${dir:?}/run" \
		"${dir:?}/bin" "${dir:?}/rules" "${dir:?}/templates" "${dir:?}/state" \
		"${dir:?}/dovecot" "${dir:?}/maillog" "${dir:?}/maillog."* \
		"${dir:?}/sink.log" "${dir:?}/mailproc.conf" "${dir:?}/ports" \
		"${dir:?}/lmtp" "${dir:?}/lmtp.log"
	chmod 755 "$dir"
	: >"$dir/.mp-e2e-stack"
	printf 'MP_SMTP_PORT=%s\nMP_SINK_PORT=%s\nMP_STAFF_PORT=%s\nMP_IMAP_PORT=%s\nMP_TRANSPORT=%s\n' \
		"$MP_SMTP_PORT" "$MP_SINK_PORT" "$MP_STAFF_PORT" "$MP_IMAP_PORT" \
		"$MP_TRANSPORT" >"$dir/ports"
	chmod 644 "$dir/ports"
	mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/sink" "$dir/run" \
		"$dir/bin" "$dir/state"
	chown postfix "$dir/data" "$dir/sink"
	chown nobody:nogroup "$dir/state"

	stack_sync

	# nobody (the pipe) and postfix must reach DIR: a checkout or a
	# mktemp -d parent that is 0700 stops them.
	as_user nobody test -x "$dir/bin/mailproc" -a -w "$dir/state" ||
		die "nobody cannot reach $dir/bin/mailproc or write" \
		    "$dir/state: make every parent of $dir traversable" \
		    "(chmod o+x) or pick another directory"
	as_user postfix test -w "$dir/data" ||
		die "postfix cannot reach $dir/data"

	render main.cf.in "$dir/etc/main.cf"
	render master.cf.in "$dir/etc/master.cf"
	render transport.in "$dir/etc/transport"
	render recipients.in "$dir/etc/recipients"
	render mailproc_login.in "$dir/etc/mailproc_login"

	# start runs "postfix check" itself; it may fail without a word.
	local out
	out=$(postfix -c "$dir/etc" start 2>&1) ||
		die "postfix start failed: $out" \
		    "$(postfix -c "$dir/etc" check 2>&1)"

	setsid smtp-sink -u postfix -d "$dir/sink/%Y%m%d%H%M%S." \
		127.0.0.1:"$MP_SINK_PORT" 100 </dev/null >>"$dir/sink.log" 2>&1 &
	echo $! >"$dir/run/sink.pid"

	if [ "${MP_STACK_DOVECOT:-1}" != 0 ]; then
		mkdir -p "$dir/dovecot/state" "$dir/dovecot/home"
		chown nobody:nogroup "$dir/dovecot/home"
		# dovecot-lda runs as nobody and logs here.
		: >"$dir/dovecot/lda.log"
		chown nobody:nogroup "$dir/dovecot/lda.log"
		render dovecot.conf.in "$dir/dovecot/dovecot.conf"
		# Throwaway users: staff for SASL submission, support for IMAP,
		# and a customer who has a mailbox on the same Postfix.
		cat >"$dir/dovecot/passwd" <<'EOF'
staff@example.jp:{PLAIN}staff-secret::::::
support@example.jp:{PLAIN}support-secret::::::
hanako@customer.example.com:{PLAIN}hanako-secret::::::
mailbox@inbox.e2e.test:{PLAIN}mailbox-secret::::::
EOF
		chmod 640 "$dir/dovecot/passwd"
		chgrp dovecot "$dir/dovecot/passwd"
		# Stale sockets in base_dir cost seconds of retries.
		rm -rf "$dir/dovecot/run"
		dovecot -c "$dir/dovecot/dovecot.conf" </dev/null \
			>>"$dir/dovecot/start.log" 2>&1 ||
			die "dovecot did not start: $(cat "$dir/dovecot/start.log")" \
			    "$(tail -n 5 "$dir/dovecot/dovecot.log" 2>/dev/null)"
		wait_port "$MP_IMAP_PORT" "Dovecot, see $dir/dovecot/dovecot.log"
	fi
	[ "$MP_TRANSPORT" != lmtp ] || lmtp_start
	wait_port "$MP_SMTP_PORT" "Postfix"
	wait_port "$MP_STAFF_PORT" "Postfix"
	wait_port "$MP_SINK_PORT" "smtp-sink, see $dir/sink.log"
	say "up in $dir (maillog $dir/maillog)"
}

stack_status()
{
	local port
	for port in $PORTS; do
		if port_listening "$port"; then
			echo "127.0.0.1:$port listening"
		else
			echo "127.0.0.1:$port closed"
		fi
	done
}

[ $# -eq 2 ] || { echo "usage: $0 start|stop|status|sync|lmtp-restart DIR" >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "stack: must run as root" >&2; exit 1; }
action=$1
case $2 in
*[!A-Za-z0-9/._+-]*)
	echo "stack: $2: only letters, digits and / . _ + - in the path" >&2
	exit 64
	;;
esac
case $action in
start)
	mkdir -p "$2"
	dir=$(cd "$2" && pwd -P)
	stack_start
	;;
stop)
	[ -d "$2" ] || exit 0
	dir=$(cd "$2" && pwd -P)
	ports_load
	stack_stop
	;;
status)
	dir=$(cd "$2" && pwd -P)
	ports_load
	stack_status
	;;
sync)
	[ -f "$2/.mp-e2e-stack" ] || { echo "stack: $2: no stack" >&2; exit 1; }
	dir=$(cd "$2" && pwd -P)
	ports_load
	stack_sync
	;;
lmtp-restart)
	[ -f "$2/.mp-e2e-stack" ] || { echo "stack: $2: no stack" >&2; exit 1; }
	dir=$(cd "$2" && pwd -P)
	ports_load
	if [ "$MP_TRANSPORT" = lmtp ]; then
		lmtp_stop
		lmtp_start
	fi
	;;
*)
	echo "usage: $0 start|stop|status|sync|lmtp-restart DIR" >&2
	exit 64
	;;
esac
