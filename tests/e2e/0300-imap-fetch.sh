#!/bin/bash
# `fetch --imap` against the stack's Dovecot: new messages in the mailbox
# become tickets, each exactly once however often fetch runs, with the
# mailbox's \Seen flags left alone; with --idle a message appended while
# fetch waits is taken at once; a wrong password is a clear temporary
# error.
set -eu
MP_NEEDS_DOVECOT=1
. "$(dirname "$0")/lib.sh"

url="imap://support%40example.jp:support-secret@127.0.0.1:$MP_IMAP_PORT/INBOX"
append() {	# append MESSAGE-ID SUBJECT
	python3 - "$1" "$2" <<'PY'
import imaplib, os, sys, time
mid, subject = sys.argv[1:]
msg = ("From: mika@customer.example.com\r\nTo: support@example.jp\r\n"
       "Subject: %s\r\nMessage-ID: <%s>\r\n"
       "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
       "ディスクの空き容量について教えてください。\r\n" % (subject, mid))
m = imaplib.IMAP4("127.0.0.1", int(os.environ["MP_IMAP_PORT"]))
m.login("support@example.jp", "support-secret")
m.append("INBOX", None, imaplib.Time2Internaldate(time.time()), msg.encode())
m.logout()
PY
}
tickets() { mp ticket list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

append f1@customer.example.com "first"
append f2@customer.example.com "second"
mp fetch --imap "$url" --once || fail "fetch --once: exit $?"
[ "$(tickets)" = 2 ] || fail "want 2 tickets, got $(tickets)"
mp fetch --imap "$url" --once || fail "second fetch"
[ "$(tickets)" = 2 ] || fail "a second fetch took messages again: $(tickets)"
append f3@customer.example.com "third"
mp fetch --imap "$url" --once || fail "third fetch"
[ "$(tickets)" = 3 ] || fail "want 3 tickets, got $(tickets)"
mp ticket list --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert [x["subject"] for x in t] == ["first", "second", "third"], t
assert t[0]["requester"] == "mika@customer.example.com", t
' || fail "tickets from IMAP"
# The flags are the mail client's business: nothing was marked \Seen.
python3 - <<'PY' || fail "fetch changed \\Seen flags"
import imaplib, os
m = imaplib.IMAP4("127.0.0.1", int(os.environ["MP_IMAP_PORT"]))
m.login("support@example.jp", "support-secret")
m.select("INBOX", readonly=True)
typ, data = m.search(None, "UNSEEN")
assert len(data[0].split()) == 3, data
m.logout()
PY

# --idle: a message appended while fetch waits is taken promptly.
# (setpriv execs mailproc, so $! is mailproc itself, not a subshell.)
setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	"$MP_STACK/bin/mailproc" -c "$MP_STACK/mailproc.conf" \
	fetch --imap "$url" --idle >/dev/null 2>"$MP_STACK/fetch.err" &
pid=$!
at_exit "kill $pid 2>/dev/null || true"
sleep 1
append f4@customer.example.com "fourth"
for i in $(seq 50); do [ "$(tickets)" = 4 ] && break; sleep 0.2; done
[ "$(tickets)" = 4 ] || fail "--idle did not take the new message"
kill -TERM $pid
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
kill -0 $pid 2>/dev/null && fail "fetch --idle did not stop on SIGTERM"

# Issue 13: fetch spooled with a null sender and the support address, so
# every answer was suppressed.  The envelope now comes from the headers
# as Postfix would pass it: the customer gets an acknowledgement, and a
# bounce (Return-Path: <>) still gets none.
mp outbox list --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
acks = [r for r in rows if r["to"] == "mika@customer.example.com"
        and r["template"].startswith("ack") and r["state"] != "suppressed"]
assert len(acks) == 4, rows
' || fail "fetch: the customers got no acknowledgement"
python3 - <<'PY'
import imaplib, os, time
msg = ("Return-Path: <>\r\nDelivered-To: support@example.jp\r\n"
       "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
       "To: support@example.jp\r\nSubject: Undelivered Mail\r\n"
       "Message-ID: <bounce1@mx.example.net>\r\n\r\nbounced\r\n")
m = imaplib.IMAP4("127.0.0.1", int(os.environ["MP_IMAP_PORT"]))
m.login("support@example.jp", "support-secret")
m.append("INBOX", None, imaplib.Time2Internaldate(time.time()), msg.encode())
m.logout()
PY
mp fetch --imap "$url" --once || fail "fetch of a bounce"
mp outbox list --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
bad = [r for r in rows if "mx.example.net" in (r["to"] or "")
       and r["state"] != "suppressed"]
assert not bad, bad
' || fail "fetch: a bounce got an answer"

# A wrong password: exit 75 with one clear line.
set +e
err=$(mp fetch --imap "imap://support%40example.jp:wrong@127.0.0.1:$MP_IMAP_PORT/INBOX" --once 2>&1)
rc=$?
set -e
[ $rc = 75 ] || fail "wrong password: exit $rc, want 75"
printf '%s' "$err" | grep -q '^mailproc: fetch: .*login refused' || fail "unclear error: $err"
pass
