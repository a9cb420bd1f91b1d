#!/bin/bash
# The staff's queue (issue 16), through `deliver` with the clock set:
# a ticket shows its first response due time in the desk's zone (UTC
# with --utc), becomes overdue when the due time passes unanswered, and
# a staff reply records the first response, stops the clock and moves
# the ticket from new to open; `ticket list` filters, and refuses an
# unknown state or class (64); `ticket search` finds a Japanese word of
# an ISO-2022-JP mail and an English word of a base64 part, most recent
# first, with a snippet, narrowed by --limit and --since; a reply held
# to the next opening shows when it goes; the migration indexes the
# messages of an older database.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0730.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$dir/conf" <<CONF
state_dir = $dir/state
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:1
CONF
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
db=$dir/state/mailproc.db
MON_1000=1796000400	# Mon 2026-11-30 10:00 JST
TUE_1030=1796088600	# Tue 2026-12-01 10:30 JST
TUE_1100=1796090400
export MAILPROC_NOW=$MON_1000
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
q() { sqlite3 "$db" "$1"; }

# A: ISO-2022-JP, Japanese only.
python3 - "$dir/a.eml" <<'PY'
import sys
body = "お世話になっております。\nバックアップの容量について質問があります。\n".encode("iso-2022-jp")
subj = "=?ISO-2022-JP?B?" + __import__("base64").b64encode("容量の質問".encode("iso-2022-jp")).decode() + "?="
open(sys.argv[1], "wb").write(b"From: Taro <taro@example.com>\nTo: support@example.jp\nSubject: " + subj.encode() +
    b"\nMessage-ID: <a1@example.com>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\n\n" + body)
PY
mp deliver --sender taro@example.com --recipient support@example.jp < "$dir/a.eml" || fail "deliver a"
# B: English, its text in a base64 part of a multipart mail.
python3 - "$dir/b.eml" <<'PY'
import sys, base64
text = base64.encodebytes(b"Hello,\nplease resend the invoice for November.\nThanks\n")
open(sys.argv[1], "wb").write(b"From: Bob <bob@example.org>\nTo: support@example.jp\nSubject: paperwork\n"
    b"Message-ID: <b1@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
    b"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" + text + b"--B--\n")
PY
mp deliver --sender bob@example.org --recipient support@example.jp < "$dir/b.eml" || fail "deliver b"
a=$(mp ticket list --requester taro@example.com --json | jq_py 'print(d[0]["id"])')
b=$(mp ticket list --requester BOB@example.org --json | jq_py 'print(d[0]["id"])')
[ "$a" != "$b" ] || fail "one ticket for two requesters"

# Due at the same business time the next day, in the desk's zone.
mp ticket show "$a" --json | jq_py '
assert d["first_response_due"] == "2026-12-01T10:00:00+09:00", d["first_response_due"]
assert d["created"] == "2026-11-30T10:00:00+09:00", d["created"]
assert d["first_response_at"] is None and d["overdue"] is False, d
assert d["state"] == "new", d["state"]' || fail "due time of a new ticket"
mp ticket show "$a" --json --utc | jq_py '
assert d["first_response_due"] == "2026-12-01T01:00:00Z", d["first_response_due"]' || fail "--utc"
mp ticket list --json | jq_py '
assert all("first_response_at" in t and "first_response_due" in t and "overdue" in t for t in d), d' ||
	fail "list --json lacks the response fields"
mp ticket show "$a" | grep -q '^First response due: 2026-12-01T10:00:00+09:00$' || fail "show text"
[ -z "$(mp ticket list --overdue)" ] || fail "overdue before the due time"

# Past the due time, both are overdue.
export MAILPROC_NOW=$TUE_1030
[ "$(mp ticket list --overdue --json | jq_py 'print(sorted(t["id"] for t in d))')" = "[$a, $b]" ] ||
	fail "not both overdue"
mp ticket show "$a" | grep -q '(overdue)' || fail "show does not say overdue"

# A staff reply stops the clock and opens the ticket.
printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] q\nMessage-ID: <s1@example.jp>\n\n容量は 100GB です。\n' "$a" "$a" |
	mp deliver --sender staff@example.jp --recipient "support+$a@example.jp" --sasl-user staff@example.jp ||
	fail "staff deliver"
mp ticket show "$a" --json | jq_py '
assert d["first_response_at"] == "2026-12-01T10:30:00+09:00", d["first_response_at"]
assert d["overdue"] is False, d
assert d["state"] == "open", d["state"]
assert any(h["event"] == "first-response" for h in d["history"]), d["history"]' ||
	fail "first response not recorded"
# A second reply is not the first response.
export MAILPROC_NOW=$TUE_1100
printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] q\nMessage-ID: <s2@example.jp>\n\n補足です。\n' "$a" "$a" |
	mp deliver --sender staff@example.jp --recipient "support+$a@example.jp" --sasl-user staff@example.jp ||
	fail "staff deliver 2"
mp ticket show "$a" --json | jq_py '
assert d["first_response_at"] == "2026-12-01T10:30:00+09:00", d["first_response_at"]' ||
	fail "a later reply moved the first response"
[ "$(mp ticket list --overdue --json | jq_py 'print([t["id"] for t in d])')" = "[$b]" ] ||
	fail "answered ticket still overdue"

# Filters, and usage errors for what does not exist.
[ "$(mp ticket list --state open --json | jq_py 'print([t["id"] for t in d])')" = "[$a]" ] || fail "--state open"
[ "$(mp ticket list --state new --class general --json | jq_py 'print([t["id"] for t in d])')" = "[$b]" ] ||
	fail "--state new --class general"
[ "$(mp ticket list --since 2026-12-01 --json | jq_py 'print(len(d))')" = 0 ] || fail "--since"
[ "$(mp ticket list --since 2026-11-30T09:00:00+09:00 --json | jq_py 'print(len(d))')" = 2 ] || fail "--since all"
set +e
mp ticket list --state bogus 2>/dev/null; rc1=$?
mp ticket list --class no-such-class 2>/dev/null; rc2=$?
mp ticket list --since yesterdayish 2>/dev/null; rc3=$?
set -e
[ "$rc1" = 64 ] || fail "unknown state: exit $rc1"
[ "$rc2" = 64 ] || fail "unknown class: exit $rc2"
[ "$rc3" = 64 ] || fail "bad --since: exit $rc3"

# Search: a Japanese word (trigram), a two-character one, an English one
# from a base64 part; most recent first; a snippet that marks the match.
export MAILPROC_NOW=$TUE_1100
printf 'From: Taro <taro@example.com>\nTo: support@example.jp\nSubject: もう一件\nMessage-ID: <a2@example.com>\nContent-Type: text/plain; charset=UTF-8\n\n別のバックアップの件です。\n' |
	mp deliver --sender taro@example.com --recipient support@example.jp || fail "deliver c"
c=$(mp ticket list --json | jq_py 'print(max(t["id"] for t in d))')
mp ticket search バックアップ --json | jq_py "
ids = [h['ticket'] for h in d]
assert ids == [$c, $a], ids
assert '[バックアップ]' in d[1]['snippet'], d[1]['snippet']" || fail "search バックアップ"
mp ticket search 容量 --json | jq_py "
assert $a in [h['ticket'] for h in d], d" || fail "search of a two-character word"
mp ticket search invoice --json | jq_py "
assert [h['ticket'] for h in d] == [$b], d
assert '[invoice]' in d[0]['snippet'], d" || fail "search invoice in a base64 part"
mp ticket search 'invoice November' --json | jq_py "assert len(d) == 1, d" || fail "two words"
mp ticket search 'invoice バックアップ' --json | jq_py "assert d == [], d" || fail "words are ANDed"
mp ticket search '"quoted' --json >/dev/null || fail "a quote in the query"
mp ticket search invoice | grep -q "paperwork" || fail "search text output"

# --limit and --since narrow the hits; both are checked.
mp ticket search バックアップ --limit 1 --json | jq_py "
assert [h['ticket'] for h in d] == [$c], d" || fail "search --limit 1"
mp ticket search バックアップ --since 2026-12-01T10:45:00+09:00 --json | jq_py "
assert [h['ticket'] for h in d] == [$c], d" || fail "search --since"
mp ticket search 容量 --since 2026-12-01T10:45:00+09:00 --json | jq_py "
assert $a not in [h['ticket'] for h in d], d" || fail "search --since, short word"
set +e
mp ticket search バックアップ --limit 0 2>/dev/null; rc1=$?
mp ticket search バックアップ --limit many 2>/dev/null; rc2=$?
mp ticket list --limit 3 2>/dev/null; rc3=$?
set -e
[ "$rc1$rc2$rc3" = 646464 ] || fail "bad --limit: exits $rc1 $rc2 $rc3"

# A reply written after hours waits for the next opening; ticket show
# says when, in the desk's zone (UTC with --utc).
export MAILPROC_NOW=$((TUE_1030 + 30600))	# Tue 19:00 JST
printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] q\nMessage-ID: <s3@example.jp>\n\n夜分の補足です。\n' "$a" "$a" |
	mp deliver --sender staff@example.jp --recipient "support+$a@example.jp" --sasl-user staff@example.jp ||
	fail "staff deliver after hours"
mp ticket show "$a" --json | jq_py '
held = [o for o in d["outbox"] if o["release_at"] is not None]
assert [o["release_at"] for o in held] == ["2026-12-02T09:30:00+09:00"], d["outbox"]' ||
	fail "held reply: release time in the desk's zone"
mp ticket show "$a" --json --utc | jq_py '
assert "2026-12-02T00:30:00Z" in [o["release_at"] for o in d["outbox"]], d["outbox"]' ||
	fail "held reply: --utc"
mp ticket show "$a" | grep -q "^  outbox .*2026-12-02T09:30:00+09:00$" || fail "held reply: text"
export MAILPROC_NOW=$TUE_1100

# Attachments: listed, extracted to stdout or a new file, never over one.
python3 - "$dir/att.eml" <<'PY'
import sys, base64
pdf = base64.encodebytes(b"%PDF-1.4 the log\n")
open(sys.argv[1], "wb").write(b"From: Bob <bob@example.org>\nTo: support@example.jp\nSubject: log\n"
    b"Message-ID: <b9@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
    b"Content-Type: text/plain; charset=UTF-8\n\nthe log is attached\n--B\n"
    b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"log.pdf\"\n"
    b"Content-Transfer-Encoding: base64\n\n" + pdf + b"--B--\n")
PY
mp deliver --sender bob@example.org --recipient support@example.jp < "$dir/att.eml" || fail "deliver att"
g=$(q "SELECT ticket FROM messages WHERE message_id = 'b9@example.org'")
mp ticket attachment "$g" | grep -q 'application/pdf *log.pdf' || fail "attachment list: $(mp ticket attachment "$g")"
mp ticket attachment "$g" --json | jq_py 'assert [a["filename"] for a in d] == ["log.pdf"], d' || fail "attachment --json"
[ "$(mp ticket attachment "$g" 1)" = "%PDF-1.4 the log" ] || fail "attachment to stdout"
mp ticket attachment "$g" 1 -o "$dir/log.pdf" || fail "attachment -o"
printf '%%PDF-1.4 the log\n' | cmp -s - "$dir/log.pdf" || fail "extracted bytes differ"
set +e
mp ticket attachment "$g" 1 -o "$dir/log.pdf" 2>/dev/null; rc1=$?
mp ticket attachment "$g" 2 2>/dev/null; rc2=$?
set -e
[ "$rc1" = 73 ] || fail "attachment -o over a file: exit $rc1"
[ "$rc2" = 66 ] || fail "attachment out of range: exit $rc2"
# The staff notice carries the attachment; over notify_attachment_limit
# it says how to get it instead.
notice_of() {	# notice_of TICKET -> "filenames|note line"
	q "SELECT raw FROM outbox WHERE ticket = $1 AND template IN ('staff-new-ticket', 'staff-triage')" | python3 -c '
import email, email.policy, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
names = [a.get_filename() for a in m.iter_attachments()]
body = m.get_body(("plain",)).get_content()
note = [l.strip() for l in body.splitlines() if "Attachments" in l or "添付ファイル" in l or "ticket attachment" in l]
print(",".join(names) + "|" + " ".join(note))'
}
case "$(notice_of "$g")" in
"log.pdf|添付ファイル（1件、"*"）：この通知に添付しています。") ;;
*) fail "staff notice attachments: $(notice_of "$g")" ;;
esac
echo "notify_attachment_limit = 10" >> "$dir/conf"
sed 's/b9@example.org/b10@example.org/; s/^Subject: log/Subject: log 2/' "$dir/att.eml" |
	mp deliver --sender bob@example.org --recipient support@example.jp || fail "deliver att 2"
g2=$(q "SELECT ticket FROM messages WHERE message_id = 'b10@example.org'")
case "$(notice_of "$g2")" in
"|添付ファイル（1件、"*"）：大きいため添付していません。取り出すには mailproc ticket attachment $g2") ;;
*) fail "over the limit: $(notice_of "$g2")" ;;
esac

# An older database: the migration indexes what it already holds.  (The
# queue's migration is taken to be the last but one, before the one that
# dropped its insert trigger: undo both, step back two.)
v=$(sqlite3 "$db" "PRAGMA user_version")
sqlite3 "$db" "DROP TRIGGER message_fts_delete; DROP TABLE message_fts;
	DROP VIEW message_text;
	DROP TABLE digests; DROP INDEX tickets_created;
	ALTER TABLE tickets DROP COLUMN first_response_at; ALTER TABLE tickets DROP COLUMN owner;
	ALTER TABLE tickets DROP COLUMN escalated_at; ALTER TABLE tickets DROP COLUMN merged_into;
	PRAGMA user_version = $((v - 2));" || fail "making an old database"
mp ticket search invoice --json | jq_py "assert [h['ticket'] for h in d] == [$b], d" ||
	fail "migration did not index existing messages"
[ -z "$(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE name = 'message_fts_insert'")" ] ||
	fail "the per-insert index trigger survived the migrations"
echo "ok: queue"
