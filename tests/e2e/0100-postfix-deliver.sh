#!/bin/bash
# Mail from the customer port goes through Postfix and the pipe transport
# into tickets: a Japanese ISO-2022-JP mail and an English one open a
# ticket each, a reply (In-Reply-To) joins the first, a mail to
# support+<id>@ joins the second.  Postfix never bounces.
set -eu
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
at_exit "rm -rf '$work'"

# An encoded word of UTF-8 text $1 in ISO-2022-JP.
iso2022jp_word()
{
	printf '=?ISO-2022-JP?B?%s?=' \
		"$(printf '%s' "$1" | iconv -f UTF-8 -t ISO-2022-JP | base64 -w0)"
}

ja_subject='サーバーの再起動をお願いします'
en_subject='Disk usage alert on web01'
ja_from=yamada@customer.example.com
en_from=john@example.org

{
	printf 'From: %s <%s>\n' "$(iso2022jp_word '山田 太郎')" "$ja_from"
	printf 'To: support@example.jp\n'
	printf 'Subject: %s\n' "$(iso2022jp_word "$ja_subject")"
	printf 'Date: Mon, 02 Jun 2025 10:15:00 +0900\n'
	printf 'Message-ID: <ja-1.e2e@customer.example.com>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=ISO-2022-JP\n'
	printf 'Content-Transfer-Encoding: 7bit\n'
	printf '\n'
	printf 'お世話になっております。\nweb01 の再起動をお願いします。\n契約番号 C-1001\n' |
		iconv -f UTF-8 -t ISO-2022-JP
} >"$work/ja.eml"

{
	printf 'From: John Smith <%s>\n' "$en_from"
	printf 'To: support@example.jp\n'
	printf 'Subject: %s\n' "$en_subject"
	printf 'Date: Mon, 02 Jun 2025 10:20:00 +0900\n'
	printf 'Message-ID: <en-1.e2e@example.org>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf '\n'
	printf 'The disk of web01 is 95%% full.  Please have a look.\n'
} >"$work/en.eml"

{
	printf 'From: %s <%s>\n' "$(iso2022jp_word '山田 太郎')" "$ja_from"
	printf 'To: support@example.jp\n'
	printf 'Subject: %s\n' "$(iso2022jp_word "Re: $ja_subject")"
	printf 'Date: Mon, 02 Jun 2025 10:30:00 +0900\n'
	printf 'Message-ID: <ja-2.e2e@customer.example.com>\n'
	printf 'In-Reply-To: <ja-1.e2e@customer.example.com>\n'
	printf 'References: <ja-1.e2e@customer.example.com>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=ISO-2022-JP\n'
	printf 'Content-Transfer-Encoding: 7bit\n'
	printf '\n'
	printf '追記です。本日 18 時以降でお願いします。\n' |
		iconv -f UTF-8 -t ISO-2022-JP
} >"$work/ja-reply.eml"

# The first two open a ticket each.
send_mail --from "$ja_from" --to support@example.jp --data "@$work/ja.eml"
send_mail --from "$en_from" --to support@example.jp --data "@$work/en.eml"
wait_delivered 2

list=$(mp ticket list --json) || fail "mp ticket list --json failed"
json_check "$list" '
want(len(d), 2, "tickets after two new mails")
'
# The ids of the two tickets, by requester.
id_of()
{
	printf '%s' "$list" | python3 -c '
import json, sys
ids = [t["id"] for t in json.load(sys.stdin) if sys.argv[1] in t["requester"]]
print(ids[0] if len(ids) == 1 else "")' "$1"
}
ja_id=$(id_of "$ja_from")
en_id=$(id_of "$en_from")
[ -n "$ja_id" ] || fail "no single ticket with requester $ja_from in $list"
[ -n "$en_id" ] || fail "no single ticket with requester $en_from in $list"

# A reply joins by In-Reply-To; a plus-address joins by ticket id.
send_mail --from "$ja_from" --to support@example.jp \
	--data "@$work/ja-reply.eml"
send_mail --from "$en_from" --to "support+$en_id@example.jp" \
	--header 'Subject: More details' \
	--header 'Message-ID: <en-2.e2e@example.org>' \
	--header "From: John Smith <$en_from>" \
	--body 'It reached 99% overnight.'
wait_delivered 4

list=$(mp ticket list --json) || fail "mp ticket list --json failed"
json_check "$list" "
want(len(d), 2, 'tickets after the reply and the plus-address mail')
by_id = {str(t['id']): t for t in d}
ja = by_id['$ja_id']
en = by_id['$en_id']
want(ja['subject'], '$ja_subject', 'subject of ticket $ja_id')
want(en['subject'], '$en_subject', 'subject of ticket $en_id')
want('$ja_from' in ja['requester'], True,
     'requester %r of ticket $ja_id has $ja_from' % ja['requester'])
want('$en_from' in en['requester'], True,
     'requester %r of ticket $en_id has $en_from' % en['requester'])
"

show=$(mp ticket show "$ja_id" --json) || fail "mp ticket show $ja_id failed"
json_check "$show" "
want(str(d['id']), '$ja_id', 'id')
want(d['subject'], '$ja_subject', 'subject')
ids = [m.get('message_id') for m in d['messages']]
want(len(ids), 2, 'messages of ticket $ja_id (%r)' % ids)
want(any('ja-2.e2e@customer.example.com' in (i or '') for i in ids), True,
     'the reply <ja-2.e2e@customer.example.com> among %r' % ids)
"
show=$(mp ticket show "$en_id" --json) || fail "mp ticket show $en_id failed"
json_check "$show" "
ids = [m.get('message_id') for m in d['messages']]
want(len(ids), 2, 'messages of ticket $en_id (%r)' % ids)
"

assert_no_bounce
[ "$(queue_count)" = 0 ] || fail "mail left in the Postfix queue: $(postqueue_json)"
pass
