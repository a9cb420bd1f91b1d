#!/bin/bash
# The Debian package (`make deb`, built once and reused while the tree is
# unchanged) installed into a throwaway root, and a mail through Postfix
# to the installed binary.
#
# The throwaway root is a copy-on-write overlay of this machine's own
# Debian 12 system (lower /, upper a scratch directory), entered with
# chroot: dpkg checks the package's real dependencies against a real
# status database, runs the real maintainer scripts (adduser, the state
# dir), and nothing reaches the machine itself.  No network, no
# debootstrap.  Inside it:
#   - the package's binary links GMime, GLib, SQLite, PCRE2 and jansson
#     dynamically and the Depends name their packages (${shlibs:Depends});
#   - postinst made the mailproc system user (nologin) and group and
#     /var/lib/mailproc mailproc:mailproc 2770; nothing changed outside;
#   - the installed units pass `systemd-analyze verify` and each service
#     has an exposure under 3.0;
#   - a private Postfix, configured as the stack's (tests/e2e/stack/) but
#     with its smtpd on a unix socket and its pipe running
#     /usr/bin/mailproc deliver as mailproc with /etc/mailproc/mailproc.conf,
#     takes a mail to support@example.jp: a ticket is filed in
#     /var/lib/mailproc, a staff member in the mailproc group lists it,
#     and `run --once` sends the acknowledgement to the stack's sink;
#   - an upgrade to a package whose conffile changed keeps the local edit
#     (the new one beside it as .dpkg-dist) and the tickets;
#   - purge removes the state dir and /etc/mailproc, and keeps the user.
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "needs root (chroot, mount)"
command -v dpkg-buildpackage >/dev/null || fail "no dpkg-buildpackage: make deps"

start=$(date +%s)
# A make of its own: not the jobserver of a `make check` above us.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$MP_TOP" deb >"$MP_STACK/deb-build.log" 2>&1 ||
	{ tail -30 "$MP_STACK/deb-build.log" >&2; fail "make deb failed"; }
deb=
for f in "$MP_TOP"/build/deb/mailproc_*.deb; do
	case $f in *-dbgsym_*) ;; *) deb=$f ;; esac
done
[ -f "$deb" ] || fail "make deb left no package in build/deb"
note "package $(basename "$deb") ready in $(($(date +%s) - start)) s"

# --- the package itself ------------------------------------------------
work=$(mktemp -d /tmp/mp-deb.XXXXXX)
chmod 755 "$work"
at_exit "rm -rf --one-file-system '$work'"
dpkg-deb -x "$deb" "$work/x"
needed=$(readelf -d "$work/x/usr/bin/mailproc" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
for lib in libgmime-3.0.so.0 libglib-2.0.so.0 libsqlite3.so.0 \
	libpcre2-8.so.0 libjansson.so.4; do
	printf '%s\n' "$needed" | grep -qx "$lib" ||
		fail "the packaged binary does not link $lib dynamically: $needed"
done
depends=$(dpkg-deb -f "$deb" Depends)
for p in libgmime-3.0-0 libglib2.0-0 libsqlite3-0 libpcre2-8-0 libjansson4 \
	libcurl3-gnutls libetpan20 liblinear4 adduser; do
	printf '%s' "$depends" | grep -q "\\b$p\\b" || fail "Depends lacks $p: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/mailproc/mailproc.conf ||
	fail "/etc/mailproc/mailproc.conf is not a conffile"
grep -q 'argv=/usr/bin/mailproc deliver' "$work/x/usr/share/doc/mailproc/master.cf.snippet" ||
	fail "the packaged master.cf snippet does not name /usr/bin/mailproc"
grep -q '/usr/local' "$work/x/etc/mailproc/mailproc.conf" &&
	fail "the packaged mailproc.conf names /usr/local paths"
echo "$MP_TEST: dynamic links and Depends ok; /etc/mailproc/mailproc.conf a conffile"

# --- the throwaway root --------------------------------------------------
# The writable layer on a tmpfs of its own: an upper dir may not be on
# overlayfs, which / of a container often is.
R=$work/root U=$work/rw
mkdir -p "$U" "$R"
mount -t tmpfs -o size=1g,mode=755 mp-deb-rw "$U" ||
	fail "cannot mount a tmpfs (needs CAP_SYS_ADMIN)"
at_exit "umount '$U' 2>/dev/null || umount -l '$U'"
mkdir -p "$U/upper" "$U/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$U/upper,workdir=$U/work" "$R" ||
	fail "cannot mount an overlay of / (needs CAP_SYS_ADMIN)"
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
# Every process left with its root in $R, then the mounts (innermost first).
at_exit "for p in /proc/[0-9]*; do [ \"\$(readlink \$p/root 2>/dev/null)\" = '$R' ] &&
	kill -9 \${p#/proc/} 2>/dev/null; done; sleep 0.2;
	umount '$R/dev' '$R/proc' 2>/dev/null; umount '$R' 2>/dev/null || umount -l '$R'"
in_root() { chroot "$R" "$@"; }
as_mailproc() { chroot "$R" setpriv --reuid=mailproc --regid=mailproc --init-groups -- "$@"; }
host_passwd=$(md5sum </etc/passwd)
host_state=$(ls -ld /var/lib/mailproc 2>&1 || true)
cp "$deb" "$R/root/mailproc.deb"

in_root env DEBIAN_FRONTEND=noninteractive dpkg -i /root/mailproc.deb \
	>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i failed"; }
in_root dpkg-query -W -f='${Status}\n' mailproc | grep -q 'install ok installed' ||
	fail "mailproc is not installed after dpkg -i"
echo "$MP_TEST: dpkg -i in the throwaway root: ok"

# postinst: the user, the group, the state dir.
pw=$(in_root getent passwd mailproc) || fail "postinst made no mailproc user"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$shell" = /usr/sbin/nologin ] || fail "mailproc's shell is $shell, want /usr/sbin/nologin"
[ "$uid" -lt 1000 ] || fail "mailproc is not a system user (uid $uid)"
[ "$(in_root getent group mailproc | cut -d: -f3)" = "$gid" ] ||
	fail "mailproc's primary group is not mailproc"
[ "$home" = /var/lib/mailproc ] || fail "mailproc's home is $home"
st=$(in_root stat -c '%U:%G %a' /var/lib/mailproc)
[ "$st" = "mailproc:mailproc 2770" ] || fail "/var/lib/mailproc is $st, want mailproc:mailproc 2770"
[ "$(md5sum </etc/passwd)" = "$host_passwd" ] || fail "the install changed the machine's /etc/passwd"
[ "$(ls -ld /var/lib/mailproc 2>&1 || true)" = "$host_state" ] ||
	fail "the install changed the machine's /var/lib/mailproc"
# The runner enabled (deb-systemd-helper's link, made without a running
# systemd too); lmtp and fetch@ left to the admin.
[ -L "$R/etc/systemd/system/multi-user.target.wants/mailproc-run.service" ] ||
	fail "mailproc-run.service is not enabled after the install"
for u in sockets.target.wants/mailproc-lmtp.socket multi-user.target.wants/mailproc-lmtp.service; do
	[ ! -e "$R/etc/systemd/system/$u" ] || fail "the package enabled $u"
done
echo "$MP_TEST: postinst: user mailproc (uid $uid, nologin), /var/lib/mailproc $st"

# The installed binary: its version, its libraries, its shipped defaults.
ver=$(in_root /usr/bin/mailproc --version)
case $ver in
"mailproc $(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//') "*) ;;
*) fail "--version says '$ver' for package $(dpkg-deb -f "$deb" Version)" ;;
esac
in_root ldd /usr/bin/mailproc >"$work/ldd" 2>&1 || fail "ldd failed: $(cat "$work/ldd")"
grep -q 'not found' "$work/ldd" && fail "unresolved libraries: $(grep 'not found' "$work/ldd")"
as_mailproc /usr/bin/mailproc check-config >"$work/cc" 2>&1 ||
	{ cat "$work/cc" >&2; fail "check-config of the installed package failed"; }
echo "$MP_TEST: $ver; check-config ok as mailproc"

# The units as installed.
units=$(cd "$R/lib/systemd/system" && ls mailproc-*)
for u in mailproc-run.service mailproc-fetch@.service mailproc-lmtp.socket \
	mailproc-lmtp.service; do
	printf '%s\n' "$units" | grep -qx "$u" || fail "unit $u not installed"
done
if in_root systemd-analyze verify --man=no /lib/systemd/system/mailproc-run.service \
	/lib/systemd/system/mailproc-lmtp.socket /lib/systemd/system/mailproc-lmtp.service \
	>"$work/verify" 2>&1; then
	echo "$MP_TEST: systemd-analyze verify: ok"
else
	cat "$work/verify" >&2
	fail "systemd-analyze verify failed"
fi
cp "$R/lib/systemd/system/mailproc-fetch@.service" "$R/root/mailproc-fetch@support.service"
for u in /lib/systemd/system/mailproc-run.service /lib/systemd/system/mailproc-lmtp.service \
	/root/mailproc-fetch@support.service; do
	in_root systemd-analyze security --offline=yes "$u" >"$work/sec" 2>&1 || true
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/sec")
	[ -n "$level" ] || { cat "$work/sec" >&2; fail "no exposure level for $u"; }
	awk -v l="$level" 'BEGIN { exit !(l < 3.0) }' || fail "$u: exposure $level, want under 3.0"
	echo "$MP_TEST: $(basename "$u"): exposure $level"
done

# --- a mail through Postfix to the installed binary ----------------------
# The site's settings, as an operator would add them to the conffile.
sed -i -e "s|^smtp_url = .*|smtp_url = smtp://127.0.0.1:$MP_SINK_PORT|" \
	-e 's|^staff_digest = .*|staff_digest = no|' "$R/etc/mailproc/mailproc.conf"
grep -q "^smtp_url = smtp://127.0.0.1:$MP_SINK_PORT\$" "$R/etc/mailproc/mailproc.conf" ||
	fail "could not set smtp_url in the conffile"
P=/srv/mp-postfix
mkdir -p "$R$P/etc" "$R$P/queue" "$R$P/data"
chmod 755 "$R$P"
in_root chown postfix "$P/data"
render() {
	sed -e "s|@DIR@|$P|g" -e "s|@SINK_PORT@|$MP_SINK_PORT|g" \
		-e "s|@TRANSPORT@|mailproc:|g" "$E2E_DIR/stack/$1"
}
render main.cf.in >"$R$P/etc/main.cf"
# form@ goes over LMTP to the socket-activated server (below).
render transport.in | sed 's|^form@example.jp.*|form@example.jp\tlmtp:unix:private/mailproc-lmtp|' \
	>"$R$P/etc/transport"
render recipients.in >"$R$P/etc/recipients"
# The stack's services without its TCP listeners (the stack's own Postfix
# holds those ports): smtpd on a unix socket, and the pipe to the
# installed binary as the package's user, with the default config path.
render master.cf.in | awk '
	/^127\.0\.0\.1:/ { skip = 1; next }
	skip && /^[ \t]/ { next }
	{ skip = 0 }
	/^mailproc / { print; getline
		print "  flags=Rq user=mailproc argv=/usr/bin/mailproc deliver" \
		      " --sender ${sender} --recipient ${recipient}" \
		      " --sasl-user ${sasl_username}"; next }
	{ print }
	END { print "smtpin     unix  n       -       n       -       -       smtpd" }
' >"$R$P/etc/master.cf"
grep -q 'argv=/usr/bin/mailproc deliver' "$R$P/etc/master.cf" || fail "master.cf has no pipe"
out=$(in_root postfix -c "$P/etc" start 2>&1) ||
	fail "postfix start in the root failed: $out $(in_root postfix -c "$P/etc" check 2>&1)"
at_exit "chroot '$R' postfix -c '$P/etc' stop >/dev/null 2>&1"

# root_mail FROM TO SUBJECT MESSAGE-ID BODY: a mail through the root's
# smtpd; prints Postfix's last delivery line for TO (waits up to 20 s).
root_mail() {
	in_root swaks --socket "$P/queue/public/smtpin" --helo client.e2e.test \
		--from "$1" --to "$2" --header "Subject: $3" \
		--header "Message-ID: $4" --body "$5" >"$work/swaks" 2>&1 ||
		{ cat "$work/swaks" >&2; fail "swaks to $2 failed"; }
	for _ in $(seq 100); do
		grep -q "to=<$2>.*status=" "$R$P/maillog" 2>/dev/null && break
		sleep 0.2
	done
	grep "to=<$2>.*status=" "$R$P/maillog" | tail -1
}

mid="<deb-$$.$RANDOM@customer.example.com>"
line=$(root_mail hanako@customer.example.com support@example.jp \
	"web01 の再起動をお願いします" "$mid" 'web01 を再起動してください。')
case $line in
*relay=mailproc,*status=sent*) ;;
*) tail -15 "$R$P/maillog" >&2; fail "Postfix did not deliver through the installed pipe" ;;
esac
list=$(as_mailproc /usr/bin/mailproc ticket list --json) || fail "ticket list as mailproc failed"
json_check "$list" '
want(len(d), 1, "tickets in the installed state dir")
want("hanako@customer.example.com" in d[0]["requester"], True, "requester")
'
[ -f "$R/var/lib/mailproc/mailproc.db" ] || fail "no database in /var/lib/mailproc"
owners=$(in_root find /var/lib/mailproc ! -user mailproc -printf '%p %u\n')
[ -z "$owners" ] || fail "files in the state dir not owned by mailproc: $owners"
echo "$MP_TEST: Postfix -> /usr/bin/mailproc deliver: ticket filed in /var/lib/mailproc"

# A staff member in the mailproc group uses the CLI.
in_root useradd --no-create-home --shell /usr/sbin/nologin -G mailproc alice-e2e
chroot "$R" setpriv --reuid=alice-e2e --regid=alice-e2e --init-groups -- \
	/usr/bin/mailproc ticket list >"$work/alice" 2>&1 ||
	fail "a member of the mailproc group cannot list tickets: $(cat "$work/alice")"

# The runner sends the acknowledgement to the stack's sink.
as_mailproc /usr/bin/mailproc run --once >"$work/run" 2>&1 ||
	{ cat "$work/run" >&2; fail "run --once failed"; }
ack=
for _ in $(seq 50); do
	ack=$(grep -l '^To: .*hanako@customer.example.com' "$MP_STACK"/sink/* 2>/dev/null | head -1) || true
	[ -n "$ack" ] && break
	sleep 0.2
done
[ -n "$ack" ] || fail "no acknowledgement to hanako@ at the sink"
grep -qi '^Auto-Submitted: auto-replied' "$ack" || fail "the acknowledgement is not Auto-Submitted"
grep -q "^In-Reply-To: $mid" "$ack" || fail "the acknowledgement does not answer $mid"
echo "$MP_TEST: acknowledgement at the sink"

# --- the same over LMTP, socket-activated as the installed units say ------
# systemd-socket-activate stands in for systemd: it listens where
# mailproc-lmtp.socket does (relative to the queue directory), hands the
# socket to the installed unit's ExecStart as its User= on the first
# connection (setpriv keeps the pid, so LISTEN_PID stays right).
unit=$R/lib/systemd/system/mailproc-lmtp.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
listen=$(sed -n 's|^ListenStream=/var/spool/postfix/||p' "$R/lib/systemd/system/mailproc-lmtp.socket")
[ "$exec_start" = "/usr/bin/mailproc lmtp" ] && [ "$user" = mailproc ] && [ "$listen" = private/mailproc-lmtp ] ||
	fail "lmtp units: ExecStart '$exec_start', User '$user', ListenStream under the queue '$listen'"
lsock=$P/queue/$listen
# shellcheck disable=SC2086
chroot "$R" systemd-socket-activate -l "$lsock" -- \
	setpriv --reuid="$user" --regid="$user" --init-groups -- $exec_start \
	>"$work/lmtp.log" 2>&1 &
lmtp_pid=$!
at_exit "kill $lmtp_pid 2>/dev/null"
for _ in $(seq 100); do [ -S "$R$lsock" ] && break; sleep 0.05; done
[ -S "$R$lsock" ] || fail "no LMTP socket at $lsock"
# SocketUser=postfix, SocketMode=0600, as the .socket unit sets them.
in_root chown postfix:postfix "$lsock"
chmod 600 "$R$lsock"
line=$(root_mail taro@customer.example.com form@example.jp "over lmtp" \
	"<deb-lmtp-$$@customer.example.com>" 'web02 の再起動をお願いします。')
case $line in
*private/mailproc-lmtp*status=sent*) ;;
*) printf '%s\n' "$line" >&2; cat "$work/lmtp.log" >&2; fail "Postfix did not deliver over LMTP" ;;
esac
for _ in $(seq 50); do
	[ -z "$(ls "$R/var/lib/mailproc/spool/incoming/new")" ] && break
	sleep 0.1
done
n=$(as_mailproc /usr/bin/mailproc ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "after the LMTP delivery $n tickets, want 2"
[ "$(awk '$1 == "Uid:" { print $2 }' /proc/$lmtp_pid/status)" = "$uid" ] ||
	fail "the LMTP server does not run as mailproc"
kill -TERM "$lmtp_pid"
wait "$lmtp_pid" || fail "the LMTP server did not exit 0 on SIGTERM: $(cat "$work/lmtp.log")"
echo "$MP_TEST: Postfix lmtp -> socket-activated /usr/bin/mailproc lmtp as mailproc: ticket filed"

# --- upgrade: a new version whose conffile changed -----------------------
cp "$R/etc/mailproc/mailproc.conf" "$work/edited"
dpkg-deb -R "$deb" "$work/next"
echo '# a line the next version adds' >>"$work/next/etc/mailproc/mailproc.conf"
sed -i "s/^Version: .*/&+next1/" "$work/next/DEBIAN/control"
( cd "$work/next" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	xargs -0 md5sum >DEBIAN/md5sums )
dpkg-deb -b "$work/next" "$R/root/mailproc-next.deb" >/dev/null
in_root env DEBIAN_FRONTEND=noninteractive dpkg -i --force-confdef --force-confold \
	/root/mailproc-next.deb </dev/null >"$work/dpkg2.log" 2>&1 ||
	{ cat "$work/dpkg2.log" >&2; fail "the upgrade failed"; }
cmp -s "$work/edited" "$R/etc/mailproc/mailproc.conf" ||
	fail "the upgrade overwrote the edited /etc/mailproc/mailproc.conf"
grep -q 'a line the next version adds' "$R/etc/mailproc/mailproc.conf.dpkg-dist" ||
	fail "the new conffile is not beside the edited one as .dpkg-dist"
n=$(as_mailproc /usr/bin/mailproc ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "after the upgrade $n tickets, want 2"
echo "$MP_TEST: upgrade kept the edited conffile (.dpkg-dist beside it) and the tickets"

# --- purge ---------------------------------------------------------------
in_root postfix -c "$P/etc" stop >/dev/null 2>&1 || true
in_root dpkg --purge mailproc >"$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
for f in /var/lib/mailproc /etc/mailproc /usr/bin/mailproc /usr/share/mailproc; do
	[ ! -e "$R$f" ] || fail "$f left after purge"
done
in_root getent passwd mailproc >/dev/null || fail "purge removed the mailproc user"
echo "$MP_TEST: purge removed the state dir and /etc/mailproc, kept the user"
pass
