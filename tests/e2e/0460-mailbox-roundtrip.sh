#!/bin/bash
# The proof of issue 14: mail as a customer's mailbox holds it.  A desk in
# each outgoing charset (ISO-2022-JP, UTF-8) answers requests in Japanese
# and English (acks in and out of hours, triage, refusals, every identity
# mail, completion, expiry, a notice, staff notices, digest, escalation)
# and relays a staff reply with a long paragraph without line breaks:
# once with ① (in the ticket's subject and the text) and an attachment
# named ①見積書_髙山商事様.xlsx, which ISO-2022-JP cannot carry, and once
# without, which must go in ISO-2022-JP.  Every customer and staff
# address is at inbox.e2e.test, so `run` hands the outbox to the stack's
# Postfix over SMTP and Postfix delivers it through dovecot-lda into a
# real Dovecot mailbox; the mail is read back over IMAP and parsed with
# Python's email package.  Each mail: no line over 998 octets, no encoded
# word over 75 characters, the tag once in the subject, its body the
# octets mailproc wrote, its subject, text and From name decoding
# strictly (no replacement character) to what mailproc wrote, the relayed text and file names to
# what staff wrote, Japanese mail in ISO-2022-JP whenever ISO-2022-JP can
# say it, and In-Reply-To/References of the recipient's own mail on every
# ticket mail to a customer who wrote on the ticket (a contact asked to
# confirm has not written yet: that mail stands alone).
set -eu
MP_NEEDS_DOVECOT=1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"

work=$MP_STACK/t0460
rm -rf "$work"
mkdir -p "$work"
MAILPROC_BIN=$MP_STACK/bin/mailproc
D=inbox.e2e.test

# Empties the Dovecot mailbox (a stack shared by a suite keeps it).
python3 - "$MP_IMAP_PORT" <<'PY' || fail "cannot empty the mailbox over IMAP"
import imaplib, sys
i = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
i.login("mailbox@inbox.e2e.test", "mailbox-secret")
i.select("INBOX")
i.store("1:*", "+FLAGS", "\\Deleted") if i.search(None, "ALL")[1][0] else None
i.expunge()
i.logout()
PY

cat >"$work/customers.csv" <<CSV
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,髙山商事株式会社,req@a.$D,mon@a.$D,03-1111-2222,service-monitoring reboot
C-2,Other Ltd.,req@b.$D,mon@b.$D,03-3333-4444,service-monitoring
CSV

# What staff write: a paragraph of some 1,300 characters without a line
# break, two attachments; once with ① and 髙, which ISO-2022-JP lacks (so
# that mail goes in UTF-8), and once without (so it goes in ISO-2022-JP).
python3 - "$work" <<'PY'
import base64, sys
d = sys.argv[1]
para = ("お世話になっております。ご依頼いただきましたサーバー（web01）の"
        "再起動につきまして、本日の作業予定をご案内いたします。" * 22)
def reply(name, greeting, mark, names):
    text = (greeting + "\n\n" + para + "\n" + mark + "作業は 10:00 から開始いたします。\n"
            "Please reply to this mail if the time does not suit you; we will "
            "find another slot within the maintenance window of the week.\n")
    att = "".join(
        "--B0460\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=UTF-8''%s\n"
        "Content-Transfer-Encoding: base64\n\n%s" % (
            "".join("%%%02X" % b for b in n.encode()),
            base64.encodebytes(b"DATA " + n.encode()).decode())
        for n in names)
    open("%s/%s-text" % (d, name), "w").write(text)
    open("%s/%s-names" % (d, name), "w").write("\n".join(names) + "\n")
    open("%s/%s-mime" % (d, name), "w").write(
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B0460\n\n"
        "--B0460\nContent-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: base64\n\n" +
        base64.encodebytes(text.encode()).decode() + att + "--B0460--\n")
reply("reply", "髙山様", "①", ["①見積書_髙山商事様.xlsx", "作業手順書.pdf"])
reply("jis", "山田様", "", ["見積書_山田商事様.xlsx"])
PY

# desk CHARSET: a working day of one desk; its database in $work/CHARSET.
desk()
{
	local cs=$1 st=$work/$1 n=0 t a	# desk CHARSET LANGUAGE
	mkdir -p "$st"
	cat >"$st/conf" <<CONF
state_dir = $st/state
support_address = support@example.jp
staff_addresses = staff@$D
staff_logins = alice=staff@$D
escalation_address = lead@$D
outgoing_charset = $cs
language = $2
company_name = 高山ホスティング株式会社
company_name_en = Takayama Hosting K.K.
business_hours = mon-fri 09:00-12:00,13:00-18:00
monitoring_centre_address = noc@centre.$D
order_page_url = https://order.example.jp/support
smtp_url = smtp://127.0.0.1:$MP_SMTP_PORT
CONF
	m() { "$MAILPROC_BIN" -c "$st/conf" "$@"; }
	db() { sqlite3 "$st/state/mailproc.db" "$1"; }
	req()	# req FROM SUBJECT BODY [HEADER]: ticket in $t
	{
		n=$((n + 1))
		printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <%s.%s@cust.test>\nContent-Type: text/plain; charset=UTF-8\n%s\n%s\n' \
			"$1" "$2" "$cs" "$n" "${4:-}" "$3" |
			m deliver --sender "${1##*<}" --recipient support@example.jp ||
			fail "$cs: deliver $n"
		t=$(db "SELECT max(id) FROM tickets")
	}
	token()	# token TICKET: the confirmation address mailed for it
	{
		db "SELECT raw FROM outbox WHERE ticket = $1 AND template = 'identity-confirm'" |
			python3 -c 'import email, email.policy, re, sys
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
print(re.search(r"support\+confirm-\S+@example\.jp", m.get_body(("plain",)).get_content()).group(0))'
	}
	confirm_done()	# the contact says yes to ticket $t, staff do the work
	{
		a=$(token "$t")
		printf 'From: mon@a.%s\nTo: %s\nSubject: Re: confirm\nMessage-ID: <c%s.%s@cust.test>\n\nOK\n' "$D" "$a" "$t" "$cs" |
			m deliver --sender "mon@a.$D" --recipient "$a" || fail "$cs: confirm $t"
		m complete "$t" --by alice >/dev/null || fail "$cs: complete $t"
	}
	run_at()	# run_at EPOCH: one pass of `run` at that time ("": now)
	{
		if [ -n "$1" ]; then export MAILPROC_NOW=$1; else unset MAILPROC_NOW; fi
		m run --once >/dev/null 2>>"$work/run.$cs.log" ||
			fail "$cs: run --once: $(tail -n 3 "$work/run.$cs.log")"
	}
	staff()	# staff TICKET SUBJECT BODY-FILE: a staff mail on a ticket
	{
		{ printf 'From: staff@%s\nTo: support+%s@example.jp\nSubject: %s\nMessage-ID: <s%s.%s.%s@example.jp>\n' \
			"$D" "$1" "$2" "$1" "$cs" "$RANDOM"
		  cat "$3"; } |
			m deliver --sender "staff@$D" --recipient "support+$1@example.jp" \
				--sasl-user "staff@$D" || fail "$cs: staff mail on $1"
	}

	m customers import "$work/customers.csv" >/dev/null || fail "$cs: import"
	export MAILPROC_NOW=1796000400	# Mon 2026-11-30 10:00 JST
	req '=?UTF-8?B?6auZ5bGxIOWkqumDjg==?= <taro@'$D'>' "①ディスクの使い方について" "ディスクの使い方について教えてください。"
	first=$t
	req "taro@$D" "[SUPPORT#$first] ①ディスクの使い方について" "追加の質問です。二台目のディスクはどこにありますか。"
	req "taro@$D" "サーバーに接続できません" "web01 に接続できません。ダウンしているようです。"
	fault=$t
	req "stranger@$D" "サーバーの再起動をお願いします" "web01 を再起動してください。"
	req "req@b.$D" "サーバーの再起動をお願いします" "web01 を再起動してください。"
	req "req@a.$D" "WordPressのプラグインについて" "WordPressのプラグインの設定方法とPHPのコードの書き方を教えてください。"
	req "req@a.$D" "ご相談" "よろしくお願いします。"
	req "req@a.$D" "サービス監視の設定変更のお願い" "HTTP監視のURLを変更してください。"
	confirm_done
	req "req@a.$D" "監視設定の変更" "サービス監視のURLを変更してください。"
	m deny "$t" --by alice >/dev/null || fail "$cs: deny"
	req "req@a.$D" "サーバーの再起動をお願いします" "web02 を再起動してください。"
	held=$t
	req "John Smith <john@$D>" "Question about disks ① and ②" "Hello, how do I use the second disk of my server? Regards, John"
	en=$t
	req "req@a.$D" "Monitoring change" "Please change the URL of our HTTP service monitoring to https://example.com/health. Thank you."
	confirm_done
	req "req@a.$D" "Monitoring URL" "Please change the URL of our HTTP service monitoring to https://example.com/status. Thank you."
	m deny "$t" --by alice >/dev/null || fail "$cs: deny en"
	req "stranger@$D" "Reboot request" "Please restart our server web01 tonight at 22:00. Thank you."
	req "req@b.$D" "Reboot request" "Please restart our server web01 tonight at 22:00. Thank you."
	req "req@b.$D" "WordPress plugin" "How do I configure the WordPress plugin and write the PHP code for my theme?"
	req "john@$D" "Cannot connect" "I cannot connect to web01. It seems to be down since this morning."
	# A confirmation nobody answers, in each language: reminded, then
	# expired.
	req "req@a.$D" "監視URLの変更" "サービス監視のURLを https://a.example.jp/health に変更してください。"
	req "req@a.$D" "Monitoring URL again" "Please change the URL of our HTTP service monitoring to https://example.com/ping. Thank you."
	# The staff reply: on the first ticket and on the English one.
	staff "$first" "Re: [SUPPORT#$first] ①本日の作業予定" "$work/reply-mime"
	staff "$en" "Re: [SUPPORT#$en] ①本日の作業予定" "$work/reply-mime"
	staff "$fault" "Re: [SUPPORT#$fault] 本日の作業予定" "$work/jis-mime"
	printf '\n#assign nobody-here\n' >"$work/cmd"
	staff "$held" "Re: [SUPPORT#$held]" "$work/cmd"
	# The notice goes in each contract's last language: C-1 en, C-2 ja.
	req "req@b.$D" "ディスク容量について" "ディスク容量について教えてください。"
	m notice create --template maintenance --contracts all \
		--var start=2026-12-03T01:00+09:00 --var end=2026-12-03T05:00+09:00 \
		--var "services=ネットワーク接続（①系統）" >"$work/notice.$cs" ||
		fail "$cs: notice create"
	m notice send "$(grep -o '[0-9][0-9]*' "$work/notice.$cs" | head -1)" >/dev/null ||
		fail "$cs: notice send"
	m digest >/dev/null || fail "$cs: digest"
	# Wednesday evening: the open confirmation is reminded.  Saturday: it
	# has expired; a request out of hours.  Monday and the next Thursday:
	# the unanswered tickets are overdue.
	run_at 1796198400	# Wed 2026-12-02 17:00 JST
	run_at 1796432400	# Sat 2026-12-05 10:00 JST
	export MAILPROC_NOW=1796446800	# Sat 2026-12-05 14:00 JST
	req "hanako@$D" "ディスク容量について" "ディスク容量について教えてください。"
	req "john@$D" "Disk quota" "Hello, how much disk space does my plan include? Regards, John"
	run_at 1796605200	# Mon 2026-12-07 10:00 JST
	run_at 1796864400	# Thu 2026-12-10 10:00 JST
	unset MAILPROC_NOW
	# Without a model nothing that no rule decides is filed without
	# staff: a ticket in triage.
	printf 'model_file = %s/no-model.bin\n' "$st" >>"$st/conf"
	req "req@a.$D" "サーバーの件" "web01 の件でご相談があります。"
	req "req@a.$D" "About the server" "I would like to talk about web01."
	run_at ""
	db "SELECT template, to_addr, state, last_error FROM outbox WHERE state != 'sent'" >"$work/unsent.$cs"
}

# Staff read Japanese at one desk and English at the other.
desk iso-2022-jp ja
desk utf-8 en

# Every sent mail to inbox.e2e.test must be in the mailbox.
want=0
for cs in iso-2022-jp utf-8; do
	n=$(sqlite3 "$work/$cs/state/mailproc.db" "SELECT count(*) FROM outbox WHERE state = 'sent' AND to_addr LIKE '%@%$D'")
	want=$((want + n))
done
[ ! -s "$work/unsent.iso-2022-jp" ] && [ ! -s "$work/unsent.utf-8" ] ||
	fail "mail not sent: $(cat "$work"/unsent.*)"
[ "$want" -gt 40 ] || fail "only $want mails sent"
python3 - "$MP_IMAP_PORT" "$want" "$work/box" <<'PY' || fail "the mailbox did not receive every mail"
import imaplib, os, sys, time
port, want, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
deadline = time.time() + 60
while True:
    i = imaplib.IMAP4("127.0.0.1", port)
    i.login("mailbox@inbox.e2e.test", "mailbox-secret")
    i.select("INBOX", readonly=True)
    ids = i.search(None, "ALL")[1][0].split()
    if len(ids) >= want or time.time() > deadline:
        break
    i.logout()
    time.sleep(0.5)
for n in ids:
    typ, data = i.fetch(n, "(BODY.PEEK[])")
    open(os.path.join(out, "%s.eml" % n.decode()), "wb").write(data[0][1])
i.logout()
print("%d of %d mails in the mailbox" % (len(ids), want))
sys.exit(0 if len(ids) == want else 1)
PY

python3 - "$work" <<'PY' || fail "mail in the mailbox is not as written"
import email, email.policy, glob, os, re, sqlite3, sys
from email.header import decode_header
work = sys.argv[1]
dbs = {cs: sqlite3.connect("%s/%s/state/mailproc.db" % (work, cs))
       for cs in ("iso-2022-jp", "utf-8")}
# The reply that each ticket got: its text and attachment names.
replies = {}
for cs, db in dbs.items():
    for name, tid in db.execute(
            "SELECT CASE WHEN subject LIKE '%サーバーに接続%' THEN 'jis' ELSE 'reply' END, id "
            "FROM tickets"):
        replies[cs, tid] = (open("%s/%s-text" % (work, name)).read(),
                            sorted(open("%s/%s-names" % (work, name)).read().split("\n")[:-1]))
jis_mails = {}
ew = re.compile(rb"=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=")
problems, seen = [], set()
P = email.policy.default

def text_of(msg):
    part = msg.get_body(("plain",))
    t = part.get_content() if part is not None else ""
    if part is not None and part.get_param("format") == "flowed":
        # RFC 3676 with DelSp=yes: a space before the break is soft
        t = re.sub(r" \r?\n", "" if part.get_param("delsp") == "yes" else " ", t)
    return t

def strict_header(raw_value):
    # Every encoded word must decode in its charset without a loss.
    out = []
    for chunk, cs in decode_header(raw_value):
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(chunk.decode(cs or "ascii", "strict"))
    return "".join(out)

for f in sorted(glob.glob(work + "/box/*.eml"), key=lambda p: int(os.path.basename(p)[:-4])):
    raw = open(f, "rb").read()
    def bad(what):
        problems.append("%s: %s" % (os.path.basename(f), what))
    for line in raw.split(b"\r\n" if b"\r\n" in raw else b"\n"):
        if len(line) > 998:
            bad("a line of %d octets" % len(line))
        for w in ew.finditer(line):
            if len(w.group(0)) > 75:
                bad("an encoded word of %d: %r" % (len(w.group(0)), w.group(0)[:40]))
    got = email.message_from_bytes(raw, policy=P)
    mid = (got["Message-ID"] or "").strip().strip("<>")
    for cs, db in dbs.items():
        row = db.execute("SELECT o.template, o.to_addr, o.ticket, o.raw, t.requester, t.subject "
                         "FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket "
                         "WHERE o.message_id = ?", (mid,)).fetchone()
        if row:
            break
    else:
        bad("not in any outbox: %r" % mid)
        continue
    template, to, ticket, written, requester, tsubject = row
    written = bytes(written)
    what = "%s %s to %s" % (cs, template, to)
    orig = email.message_from_bytes(written, policy=P)
    # The body as mailproc wrote it, octet for octet (Postfix and LDA
    # only add trace headers).
    norm = lambda b: b.replace(b"\r\n", b"\n")
    if norm(raw).partition(b"\n\n")[2] != norm(written).partition(b"\n\n")[2]:
        bad(what + ": the body changed on the way")
    # Decoded, nothing lost: the same text, subject, names as written,
    # and no replacement character anywhere.
    try:
        folded = email.message_from_bytes(raw, policy=email.policy.compat32)["Subject"]
        subj = strict_header(re.sub(r"\r?\n[ \t]", " ", str(folded)))
    except (UnicodeDecodeError, LookupError) as e:
        bad(what + ": subject does not decode: %s" % e)
        subj = str(got["Subject"])
    text = text_of(got)
    if len(re.findall(r"\[SUPPORT#\d+\]", subj)) > 1:
        bad("%s: the tag twice in %r" % (what, subj))
    for label, value in (("subject", subj), ("text", text),
                         ("From name", got["From"].addresses[0].display_name)):
        if "\ufffd" in value:
            bad("%s: a replacement character in the %s" % (what, label))
    if subj != str(orig["Subject"]) or text != text_of(orig):
        bad(what + ": decoded text differs from the outbox's")
    # A ticket's mail is in its language (staff's in the desk's); a
    # notice in each contract's.
    staff_lang = {"iso-2022-jp": "ja", "utf-8": "en"}[cs]
    lang = (dbs[cs].execute("SELECT lang FROM tickets WHERE id = ?", (ticket,)).fetchone()
            or (staff_lang,))[0]
    if to.startswith(("staff@", "lead@", "noc@")):
        lang = staff_lang
    if template.startswith("notice-"):
        lang = "en" if "Scheduled maintenance" in subj else "ja"
    seen.add((cs, lang, template))
    names = sorted(p.get_filename() or "" for p in got.iter_attachments()
                   if p.get_content_maintype() != "message")
    # ISO-2022-JP for Japanese mail whenever it can say everything.
    def jis_ok(v):
        try:
            v.encode("iso-2022-jp")
            return True
        except UnicodeEncodeError:
            return False
    charset = got.get_body(("plain",)).get_content_charset()
    if cs == "iso-2022-jp" and lang == "ja" and all(jis_ok(v) for v in
            [subj, text, got["From"].addresses[0].display_name] + names):
        if charset != "iso-2022-jp":
            bad("%s: in %s although ISO-2022-JP can say it" % (what, charset))
        jis_mails[template] = jis_mails.get(template, 0) + 1
    if cs == "utf-8" and charset != "utf-8":
        bad("%s: in %s" % (what, charset))
    if template == "staff-reply":
        reply_text, reply_names = replies[cs, ticket]
        if text.replace("\r\n", "\n") != reply_text:
            a, b = text.replace("\r\n", "\n"), reply_text
            i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            bad("%s: the reply's text differs at %d: %r / %r" % (what, i, a[i:i+20], b[i:i+20]))
        if subj != "Re: [SUPPORT#%d] %s" % (ticket, tsubject) or (
                "①" not in subj and "①" in reply_text):
            bad("%s: relayed subject %r" % (what, subj))
        if names != reply_names:
            bad("%s: attachment names %r" % (what, names))
        for p in got.iter_attachments():
            if p.get_content() != b"DATA " + (p.get_filename() or "").encode():
                bad(what + ": attachment content")
    # Threading: every ticket mail to a customer answers that customer's
    # own mail on the ticket (the requester always wrote; a contact
    # asked to confirm has not written yet, until they answer).
    customer = not to.startswith(("staff@", "lead@", "noc@"))
    ins = ["<%s>" % r[0] for r in dbs[cs].execute(
        "SELECT message_id FROM messages WHERE ticket = ? AND direction = 'in' "
        "AND message_id != '' AND EXISTS (SELECT 1 FROM json_each(parsed, '$.from') "
        "WHERE lower(json_extract(value, '$.address')) = lower(?))", (ticket, to))]
    if customer and to == requester and not ins:
        bad(what + ": no mail of the requester on the ticket")
    # the requester, and a contact once they answered
    if customer and (to == requester or template in ("identity-confirmed", "completion")
                     or got["In-Reply-To"] is not None):
        irt = (got["In-Reply-To"] or "").strip()
        refs = (got["References"] or "").split()
        if not irt or irt not in ins or not refs or irt not in refs:
            bad("%s: not threaded (In-Reply-To %r, References %r, customer mail %r)"
                % (what, irt, refs, ins))
for p in problems:
    print(p, file=sys.stderr)
templates = sorted({t for _, _, t in seen})
print("%d mails, %d templates: %s" % (len(glob.glob(work + "/box/*.eml")), len(templates), " ".join(templates)))
# What customers get, in both languages; staff notices in the desk's.
both = {"ack", "ack-closed", "ack-triage", "fault-ack", "unregistered", "not-subscribed",
        "out-of-scope", "identity-confirm", "identity-reminder", "identity-pending",
        "identity-confirmed", "identity-expired", "denied", "completion",
        "notice-maintenance", "staff-reply"}
print("in ISO-2022-JP: %s" % " ".join("%s×%d" % x for x in sorted(jis_mails.items())))
if jis_mails.get("staff-reply", 0) < 1 or len(jis_mails) < 15:
    print("too few mails in ISO-2022-JP", file=sys.stderr)
    problems.append("iso-2022-jp")
for cs, staff_lang in (("iso-2022-jp", "ja"), ("utf-8", "en")):
    need = {(l, t) for l in ("ja", "en") for t in both} | {(staff_lang, t) for t in (
        "staff-new-ticket", "staff-followup", "staff-work", "staff-triage",
        "identity-callback", "staff-identity-expired", "staff-command-error",
        "staff-escalation", "staff-digest")}
    missing = {"%s/%s" % x for x in need - {(l, t) for c, l, t in seen if c == cs}}
    if missing:
        print("%s: not in the mailbox: %s" % (cs, " ".join(sorted(missing))), file=sys.stderr)
        problems.append("missing")
sys.exit(1 if problems else 0)
PY
pass
