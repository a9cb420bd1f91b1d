#!/bin/bash
# Resource faults, each with its promised outcome:
#
# 1. The state directory on a full filesystem (a 1 MB tmpfs, filled):
#    deliver exits 75 with one `mailproc: deliver: ...` line and leaves
#    nothing in tmp/ or new/.  Then with a little room freed, in steps:
#    whatever deliver answers must hold (0: the message is in new/ or
#    filed, and filed once room is back; 75: nothing left behind).  Needs
#    mount(8) permission; skipped with a note otherwise.
# 1b. attachments/ full while the spool and the database have room: the
#    message waits in new/ (exit 0), no short attachment file is kept
#    under the whole content's hash, and `run` files it once there is room.
# 2. The database file read-only, deliver as nobody: the mail is safe in
#    new/ (exit 0, SPEC §5.2), never in failed/, with a line naming the
#    database and what to fix and a LOG_CRIT alarm (staff are mailed
#    once: 0955-db-alarm.sh); once the permission is back, `run` files
#    it.
# 3. An SMTP relay that refuses for now (smtp-sink -r RCPT: 4xx): the mail
#    stays queued with an attempt, a backoff and last_error, never
#    `failed`; once the relay accepts, it is sent.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
MAILPROC=$(readlink -f "$MAILPROC")
dir=$(mktemp -d /tmp/mp-0820.XXXXXX)
chmod 755 "$dir"
mounted=
sink_pid=
cleanup() {
	[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -z "$mounted" ] || umount "$mounted" 2>/dev/null ||
		umount -l "$mounted" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL 0820-resource-faults: $*" >&2; exit 1; }
note() { echo "0820-resource-faults: $*" >&2; }
export MAILPROC_NOW=1796000400	# Monday 10:00 JST
port=$((20000 + RANDOM % 20000))

mail() {	# mail ID [BODY-BYTES]
	printf 'From: Customer <%s@customer.example.co.jp>\nTo: support@example.jp\nSubject: fault test %s\nMessage-ID: <%s@customer.example.co.jp>\nDate: Mon, 30 Nov 2026 09:59:00 +0900\n\n' \
		"$1" "$1" "$1"
	head -c "${2:-100}" /dev/zero | tr '\0' 'x' | fold -w 70
	echo
}
stored() {	# stored STATE_DIR ID: how many times message ID is in the db
	sqlite3 -cmd '.timeout 5000' "$1/mailproc.db" \
		"SELECT count(*) FROM messages WHERE message_id =
		 '$2@customer.example.co.jp'"
}
count() { find "$1" -type f 2>/dev/null | wc -l; }

# --- 1. a full filesystem -------------------------------------------------
fs=$dir/fs
mkdir -p "$fs"
if mount -t tmpfs -o size=1m,mode=755 tmpfs "$fs" 2>"$dir/mount.err"; then
	mounted=$fs
	conf=$dir/full.conf
	printf 'state_dir = %s/state\nstaff_addresses = staff@example.jp\n' \
		"$fs" > "$conf"
	st=$fs/state
	mp() { "$MAILPROC" -c "$conf" "$@"; }
	mail full0 | mp deliver --sender a@customer.example.co.jp ||
		fail "full fs: the first delivery (with room) exited $?"
	[ "$(stored "$st" full0)" = 1 ] || fail "full fs: first message not filed"
	# Fill it up.
	i=0
	while dd if=/dev/zero of="$fs/filler.$i" bs=16k count=1 \
		status=none 2>/dev/null; do
		i=$((i + 1))
	done
	rc=0
	mail full1 200000 | mp deliver --sender a@customer.example.co.jp \
		2>"$dir/err" || rc=$?
	[ "$rc" = 75 ] || fail "full fs: deliver exited $rc, want 75"
	[ "$(wc -l < "$dir/err")" = 1 ] &&
		grep -q '^mailproc: deliver: .*No space left on device' "$dir/err" ||
		fail "full fs: stderr is not one clear line: $(cat "$dir/err")"
	[ "$(count "$st/spool/incoming/tmp")" = 0 ] ||
		fail "full fs: a partial file was left in tmp/"
	[ "$(count "$st/spool/incoming/new")" = 0 ] ||
		fail "full fs: a file reached new/"
	note "full fs: $(cat "$dir/err")"
	# A little room at a time: spool and database fail at different
	# points; deliver's answer must match what it left behind.
	ok=() deferred=0
	for step in 1 2 3 4 5 6 7 8; do
		rm -f "$fs/filler.$((step - 1))"
		rc=0
		mail "step$step" 3000 | mp deliver \
			--sender a@customer.example.co.jp 2>"$dir/err" || rc=$?
		case $rc in
		0)	ok+=("step$step") ;;
		75)	deferred=$((deferred + 1))
			[ "$(count "$st/spool/incoming/tmp")" = 0 ] ||
				fail "full fs, step $step: 75 but a file in tmp/"
			grep -q '^mailproc: deliver: ' "$dir/err" ||
				fail "full fs, step $step: 75 without a reason" ;;
		*)	fail "full fs, step $step: deliver exited $rc: $(cat "$dir/err")" ;;
		esac
	done
	note "full fs: with room freed 16 KB at a time: ${#ok[@]} accepted," \
		"$deferred deferred (75); $(count "$st/spool/incoming/new") waiting in new/"
	rm -f "$fs"/filler.*
	mp run --once 2>"$dir/err" || fail "full fs: run --once exit $?: $(cat "$dir/err")"
	for id in "${ok[@]}"; do
		[ "$(stored "$st" "$id")" = 1 ] ||
			fail "full fs: $id was accepted (0) but is not filed"
	done
	[ "$(count "$st/spool/incoming/new")" = 0 ] ||
		fail "full fs: files left in new/ after run --once"
	[ "$(count "$st/spool/failed")" = 0 ] ||
		fail "full fs: files in failed/: $(ls "$st/spool/failed")"
	[ "$(sqlite3 "$st/mailproc.db" 'PRAGMA integrity_check')" = ok ] ||
		fail "full fs: database integrity check failed"
	umount "$fs"
	mounted=
else
	note "SKIP full filesystem: cannot mount a tmpfs: $(cat "$dir/mount.err")"
fi

# --- 1b. attachments on a full filesystem ----------------------------------
# The spool and the database have room; attachments/ (a 64 KB tmpfs) does
# not.  The attachment cannot be kept whole, so the message is not filed
# yet (it waits in new/: deliver still exits 0, it is spooled), and no
# short file is kept under the whole content's hash.  With room, `run`
# files it and the stored file's SHA-256 is its name.
att=$dir/att
mkdir -p "$att/state/attachments"
if mount -t tmpfs -o size=64k,mode=755 tmpfs "$att/state/attachments" \
	2>"$dir/mount.err"; then
	mounted=$att/state/attachments
	conf=$dir/att.conf
	printf 'state_dir = %s/state\nstaff_addresses = staff@example.jp\n' \
		"$att" > "$conf"
	mp() { "$MAILPROC" -c "$conf" "$@"; }
	{
		printf 'From: Customer <att1@customer.example.co.jp>\nTo: support@example.jp\n'
		printf 'Subject: log attached\nMessage-ID: <att1@customer.example.co.jp>\n'
		printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
		printf -- '--b\nContent-Type: text/plain; charset=utf-8\n\nログを添付します。\n'
		printf -- '--b\nContent-Type: application/octet-stream; name=big.log\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		head -c 300000 /dev/urandom | base64 -w 76
		printf -- '--b--\n'
	} > "$dir/att.eml"
	rc=0
	mp -d deliver --sender att1@customer.example.co.jp < "$dir/att.eml" \
		2>"$dir/err" || rc=$?
	[ "$rc" = 0 ] || fail "attachments full: deliver exited $rc: $(cat "$dir/err")"
	n=$(stored "$att/state" att1 2>/dev/null || true)
	[ "${n:-0}" = 0 ] ||
		fail "attachments full: filed with an attachment that could not be kept"
	[ "$(find "$att/state/spool/incoming/new" -type f ! -name '.*' | wc -l)" = 1 ] ||
		fail "attachments full: the message is not waiting in new/"
	for f in $(find "$att/state/attachments" -type f ! -path "$att/state/attachments/tmp/*"); do
		fail "attachments full: a file was kept: $f"
	done
	note "attachments full: $(grep -o 'cannot write [^"]*' "$dir/err" | head -1)"
	umount "$mounted"
	mounted=
	mp run --once 2>"$dir/err" || fail "attachments: run --once exit $?: $(cat "$dir/err")"
	[ "$(stored "$att/state" att1)" = 1 ] ||
		fail "attachments: not filed once there was room"
	n=0
	for f in $(find "$att/state/attachments" -type f ! -path "$att/state/attachments/tmp/*"); do
		[ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] ||
			fail "attachments: $f does not hold what its name says"
		n=$((n + 1))
	done
	[ "$n" = 1 ] || fail "attachments: want 1 stored attachment, got $n"
else
	note "SKIP attachments full: cannot mount a tmpfs: $(cat "$dir/mount.err")"
fi

# --- 2. a read-only database ------------------------------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	conf=$dir/ro.conf
	st=$dir/ro
	printf 'state_dir = %s\nstaff_addresses = staff@example.jp\nsmtp_url = smtp://127.0.0.1:1\n' "$st" > "$conf"
	mkdir -p "$st"
	chown nobody "$st"
	nb() { runuser -u nobody -- "$MAILPROC" "$@"; }
	mail ro0 | nb -c "$conf" deliver --sender a@customer.example.co.jp ||
		fail "read-only db: the first delivery exited $?"
	[ "$(stored "$st" ro0)" = 1 ] || fail "read-only db: first message not filed"
	chmod 444 "$st/mailproc.db"
	rc=0
	mail ro1 | nb -d -c "$conf" deliver --sender a@customer.example.co.jp \
		2>"$dir/err" || rc=$?
	[ "$rc" = 0 ] || fail "read-only db: deliver exited $rc, want 0" \
		"(the mail is spooled): $(cat "$dir/err")"
	[ "$(count "$st/spool/incoming/new")" = 1 ] ||
		fail "read-only db: the message is not waiting in new/"
	grep -q "crit: alarm=database status=critical" "$dir/err" ||
		fail "read-only db: no LOG_CRIT alarm: $(cat "$dir/err")"
	[ "$(count "$st/spool/failed")" = 0 ] ||
		fail "read-only db: the message went to failed/ (a transient fault)"
	grep -q "mailproc.db: not readable and writable by its owner nobody (mode 0444): chmod u+rw" "$dir/err" ||
		fail "read-only db: no line names the cause: $(cat "$dir/err")"
	note "read-only db: $(grep 'mailproc.db' "$dir/err" | head -1)"
	[ "$(stored "$st" ro1)" = 0 ] || fail "read-only db: filed anyway?"
	chmod 644 "$st/mailproc.db"
	nb -c "$conf" run --once 2>"$dir/err" ||
		fail "read-only db: run after the fix exit $?: $(cat "$dir/err")"
	[ "$(stored "$st" ro1)" = 1 ] ||
		fail "read-only db: the waiting mail was not filed by run"
	[ "$(count "$st/spool/incoming/new")" = 0 ] ||
		fail "read-only db: new/ not empty after the fix"
else
	note "SKIP read-only database: needs root and a nobody user"
fi

# --- 3. a relay that refuses for now (4xx) -----------------------------------
conf=$dir/smtp.conf
st=$dir/smtp
# Every mail is counted: no staff digest (0740 has it).
printf 'state_dir = %s\nstaff_addresses = staff@example.jp\nsmtp_url = smtp://127.0.0.1:%s\nsmtp_timeout = 5s\nstaff_digest = no\n' \
	"$st" "$port" > "$conf"
mp() { "$MAILPROC" -c "$conf" "$@"; }
start_sink() {	# start_sink [smtp-sink options]
	mkdir -p "$dir/sink"
	chown postfix "$dir/sink"
	smtp-sink -u postfix "$@" -d "$dir/sink/%Y%m%d%H%M%S." \
		"127.0.0.1:$port" 100 &
	sink_pid=$!
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "smtp-sink did not start"
}
stop_sink() {
	kill "$sink_pid" 2>/dev/null || true
	wait "$sink_pid" 2>/dev/null || true
	sink_pid=
}
mail tf1 | mp deliver --sender a@customer.example.co.jp || fail "deliver tf1"
mail tf2 | mp deliver --sender b@customer.example.co.jp || fail "deliver tf2"
total=$(mp outbox list --json | python3 -c \
	'import json, sys; print(len(json.load(sys.stdin)))')
[ "$total" -ge 2 ] || fail "4xx: only $total mails queued"
start_sink -r RCPT
mp -d run --once 2>"$dir/err" || fail "4xx: run --once exited $?"
mp outbox list --json > "$dir/outbox.json"
python3 - "$dir/outbox.json" "$MAILPROC_NOW" <<'PY' ||
import json, sys
rows = json.load(open(sys.argv[1]))
now = int(sys.argv[2])
states = sorted(set(r["state"] for r in rows))
assert states == ["queued"], "states %r, want only queued" % states
tried = [r for r in rows if r["attempts"] > 0]
assert tried, "no attempt recorded"
for r in tried:
    assert r["last_error"] and "4" in r["last_error"], r
    na = r["next_attempt"]
    if isinstance(na, str):
        from datetime import datetime
        na = datetime.fromisoformat(na).timestamp()
    assert na > now, "next_attempt %r is not after now" % r["next_attempt"]
print("%d of %d tried; last_error: %s" % (len(tried), len(rows),
                                          tried[0]["last_error"]))
PY
	fail "4xx: $(cat "$dir/outbox.json" | head -c 1500)"
note "4xx: $(python3 -c '
import json, sys
r = [x for x in json.load(open(sys.argv[1])) if x["attempts"]][0]
print("state=%s attempts=%s last_error=%s" % (r["state"], r["attempts"],
      r["last_error"]))' "$dir/outbox.json")"
grep -q 'status=deferred' "$dir/err" ||
	fail "4xx: no 'status=deferred' log line: $(head -5 "$dir/err")"
stop_sink
start_sink
# After the backoff (an hour later everything is due).
MAILPROC_NOW=$((MAILPROC_NOW + 3600)) mp run --once 2>"$dir/err" ||
	fail "4xx: run --once after the relay came back: exit $?"
sent=$(mp outbox list --json | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["state"] == "sent"))')
[ "$sent" = "$total" ] || fail "4xx: $sent of $total sent once the relay accepts"
stop_sink
echo "ok: resource faults"
