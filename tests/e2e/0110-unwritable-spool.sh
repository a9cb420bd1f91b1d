#!/bin/bash
# A spool that nobody can write to: deliver exits 75, Postfix defers the
# mail and keeps it queued, no ticket is made and nothing bounces.  Once
# the spool is writable again a queue flush delivers it: one ticket.
set -eu
. "$(dirname "$0")/lib.sh"

spool=$MP_STACK/state/spool/incoming
tmpdir=$spool/tmp

# The spool as deliver would make it, then tmp/ taken away from nobody:
# owned by root (so that nobody cannot chmod it back) and read-only.
as_nobody mkdir -p "$spool/tmp" "$spool/new" "$spool/cur" ||
	fail "cannot create $spool as nobody"
mode=$(stat -c %a "$tmpdir")
chown root:root "$tmpdir"
chmod 555 "$tmpdir"
at_exit "chown nobody:nogroup '$tmpdir'; chmod $mode '$tmpdir'"

as_nobody test ! -w "$tmpdir" ||
	fail "$tmpdir is still writable for nobody"

send_mail --from kato@customer.example.com --to support@example.jp \
	--header 'Subject: Please renew the certificate' \
	--header 'Message-ID: <spool-1.e2e@customer.example.com>' \
	--body 'The certificate of www expires next week.'
qid=$QID

# The pipe exits 75 (EX_TEMPFAIL): pipe(8) logs a 4.x.x "temporary
# failure" and keeps the mail.  Any other status would bounce it.
wait_for_log "$qid: to=<support@example.jp>, relay=mailproc, .*dsn=4\\.[0-9.]+, status=deferred \\(temporary failure"
line=$(log_since | grep -E "$qid: .*relay=mailproc, .*status=deferred" | head -1)
case $line in
*"Command died"*|*"Command time limit"*)
	fail "deliver did not exit 75: $line" ;;
esac
assert_no_bounce

queue=$(postqueue_json)
json_check "[${queue//$'\n'/,}]" "
want(len(d), 1, 'messages in the queue')
want(d[0]['queue_id'], '$qid', 'queue id')
want(d[0]['queue_name'] in ('deferred', 'active'), True,
     'queue %r is deferred or active' % d[0]['queue_name'])
want([r['address'] for r in d[0]['recipients']], ['support@example.jp'],
     'recipients')
"

list=$(mp ticket list --json) || fail "mp ticket list --json failed"
json_check "$list" 'want(len(d), 0, "tickets while the spool is unwritable")'
[ -z "$(ls -A "$spool/new")" ] || fail "a file reached $spool/new"

# Writable again: a flush delivers the mail.
chown nobody:nogroup "$tmpdir"
chmod "$mode" "$tmpdir"
postqueue -c "$MP_STACK/etc" -f || fail "postqueue -f failed"
wait_for_log "$qid: to=<support@example.jp>, relay=mailproc, .*status=sent"
wait_delivered 1

list=$(mp ticket list --json) || fail "mp ticket list --json failed"
json_check "$list" "
want(len(d), 1, 'tickets after the flush')
want(d[0]['subject'], 'Please renew the certificate', 'subject')
want('kato@customer.example.com' in d[0]['requester'], True,
     'requester %r has kato@customer.example.com' % d[0]['requester'])
"
assert_no_bounce
[ "$(queue_count)" = 0 ] || fail "mail left in the queue: $(postqueue_json)"
pass
