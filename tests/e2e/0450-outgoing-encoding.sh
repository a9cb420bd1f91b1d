#!/bin/bash
# What customers and staff receive, read back as a mail client reads it
# (Python's email package, policy=default), in both outgoing charsets and
# both languages: the templates that a day at the desk sends (acks,
# identity mails, refusals, completion, staff notices) and a relayed
# staff reply with a long paragraph, ① in its text, and attachments named
# ①見積書_髙山商事様.xlsx and 見積書_山田商事様.xlsx.  Every mail: no line
# over 998 octets, text lines folded at 78 where the text allows, every
# ISO-2022-JP line ending in ASCII, no encoded word over 75 characters
# (and B encoding for ISO-2022-JP), every character intact once the
# format=flowed soft breaks are joined; mail to the customer threaded to
# the customer's own mail; the relayed subject the ticket's own with one
# tag; English mail in UTF-8 with the English company name; the hours in
# words; Auto-Submitted auto-replied on replies and auto-generated on
# notifications; no automatic reply to a forged staff From.  The outbox is then sent through `run --once` to an smtp-sink on
# a loopback port of our own and the delivered mail checked the same way.
set -eu
MAILPROC=${MAILPROC:-./bin/mailproc}
dir=$(mktemp -d /tmp/mp-0450.XXXXXX)
chmod 755 "$dir"	# smtp-sink runs as postfix
sink=
cleanup() {
	[ -z "$sink" ] || kill "$sink" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export MAILPROC_NOW=1796000400	# Mon 2026-11-30 10:00 JST

cat > "$dir/customers.csv" <<'CSV'
contract_id,holder_name,requester_addresses,monitoring_email,emergency_phone,options
C-1,株式会社テスト,req@a.example.jp,mon@a.example.jp,03-1111-2222,service-monitoring reboot
C-2,Other Ltd.,req@b.example.com,mon@b.example.com,03-3333-4444,service-monitoring
CSV

# The long paragraph of the staff reply, the files it attaches.
python3 - "$dir" <<'PY'
import sys, base64
d = sys.argv[1]
para = ("お世話になっております。ご依頼いただきましたサーバー（web01）の"
        "再起動につきまして、本日の作業予定をご案内いたします。" * 12)
body = ("山田様\n\n" + para + "\n①作業は 10:00 から開始いたします。\n"
        "詳細は https://example.jp/support/maintenance/2026/11/30/web01-reboot-schedule.html をご覧ください。\n\n"
        "> サーバーの再起動をお願いします。\n")
def mime(body, names):
    att = "".join(
        '--MIX\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\n'
        'Content-Disposition: attachment; filename*=UTF-8\'\'%s\n'
        'Content-Transfer-Encoding: base64\n\n%s' % (
            "".join("%%%02X" % b for b in name.encode()),
            base64.encodebytes(b"PK\x03\x04 " + name.encode()).decode())
        for name in names)
    return ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=MIX\n\n"
            "--MIX\nContent-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: base64\n\n" +
            base64.encodebytes(body.encode()).decode() + att + "--MIX--\n")
# With ① (no ISO-2022-JP form: that mail goes as UTF-8) ...
open(d + "/reply-text", "w").write(body)
open(d + "/reply-mime", "w").write(mime(body, ("①見積書_髙山商事様.xlsx", "見積書_山田商事様.xlsx")))
# ... and without: ISO-2022-JP, the attachment's name too.
body2 = body.replace("①", "")
open(d + "/reply2-text", "w").write(body2)
open(d + "/reply2-mime", "w").write(mime(body2, ("見積書_山田商事様.xlsx",)))
PY

# One desk, one charset: a working morning's mail in Japanese and English.
desk() {	# desk CHARSET
	local cs=$1 st=$dir/$1 n=0 t
	mkdir -p "$st"
	cat > "$st/conf" <<CONF
state_dir = $st/state
staff_addresses = staff@example.jp
staff_logins = alice=staff@example.jp
outgoing_charset = $cs
company_name = 高山ホスティング株式会社
company_name_en = Takayama Hosting K.K.
business_hours = mon-fri 09:00-12:00,13:00-18:00
smtp_url = smtp://127.0.0.1:1
CONF
	mp() { "$MAILPROC" -c "$st/conf" "$@"; }
	mp customers import "$dir/customers.csv" >/dev/null || fail "import"
	req() {	# req FROM SUBJECT BODY
		n=$((n + 1))
		printf 'From: %s\nTo: support@example.jp\nSubject: %s\nMessage-ID: <%s.%s@cust.example>\nContent-Type: text/plain; charset=UTF-8\n\n%s\n' \
			"$1" "$2" "$cs" "$n" "$3" |
			mp deliver --sender "$1" --recipient support@example.jp || fail "deliver"
	}
	last() { mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }
	confirm() {	# confirm TICKET FROM
		local a
		a=$(sqlite3 "$st/state/mailproc.db" "SELECT raw FROM outbox WHERE ticket = $1 AND template = 'identity-confirm'" |
			python3 -c '
import email, email.policy, sys, re
m = email.message_from_string(sys.stdin.read(), policy=email.policy.default)
print(re.search(r"support\+confirm-\S+@example\.jp", m.get_body(("plain",)).get_content()).group(0))')
		printf 'From: %s\nTo: %s\nSubject: Re: confirm\nMessage-ID: <c%s.%s@x>\n\nOK\n' "$2" "$a" "$1" "$cs" |
			mp deliver --sender "$2" --recipient "$a" || fail "confirm"
	}

	req taro@example.com "ディスクの使い方について" "ディスクの使い方について教えてください。"
	req taro@example.com "サーバーに接続できません" "web01 に接続できません。ダウンしているようです。"
	req stranger@example.org "サーバーの再起動をお願いします" "web01 を再起動してください。"
	req req@b.example.com "サーバーの再起動をお願いします" "web01 を再起動してください。"
	req req@a.example.jp "サービス監視の設定変更のお願い" "HTTP監視のURLを変更してください。"
	t=$(last)
	confirm "$t" mon@a.example.jp
	mp complete "$t" --by alice >/dev/null 2>&1 || true
	req req@a.example.jp "監視設定の変更" "サービス監視のURLを変更してください。"
	t=$(last)
	mp deny "$t" --by alice >/dev/null 2>&1 || true
	req req@a.example.jp "サーバーの再起動をお願いします" "web02 を再起動してください。"
	# English
	req john@example.com "Question about disks" "Hello, how do I use the second disk of my server? Regards, John"
	req req@a.example.jp "Monitoring change" "Please change the URL of our HTTP service monitoring to https://example.com/health. Thank you."
	# A forged staff From gets no automatic reply: it is our own address.
	req staff@example.jp "ディスクについて" "ディスクの使い方について教えてください。"
	[ "$(sqlite3 "$st/state/mailproc.db" "SELECT count(*) FROM outbox WHERE to_addr = 'staff@example.jp' AND template LIKE 'ack%' AND state != 'suppressed'")" = 0 ] ||
		fail "$cs: an automatic reply to a forged staff From"
	# A staff reply with a long paragraph and attachments, answering our
	# notice (so its subject is the notice's), on the first ticket.
	t=$(mp ticket list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	{ printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] =?UTF-8?B?5paw6KaP77ya?= ディスク\nMessage-ID: <s1.%s@example.jp>\n' "$t" "$t" "$cs"
	  cat "$dir/reply-mime"; } |
		mp deliver --sender staff@example.jp --recipient "support+$t@example.jp" --sasl-user staff@example.jp ||
		fail "staff reply"
	{ printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] ディスク\nMessage-ID: <s3.%s@example.jp>\n' "$t" "$t" "$cs"
	  cat "$dir/reply2-mime"; } |
		mp deliver --sender staff@example.jp --recipient "support+$t@example.jp" --sasl-user staff@example.jp ||
		fail "staff reply 2"
	# The same reply on the English ticket.
	t=$(mp ticket list --json | python3 -c 'import json,sys; print([t for t in json.load(sys.stdin) if t["requester"] == "john@example.com"][0]["id"])')
	{ printf 'From: staff@example.jp\nTo: support+%s@example.jp\nSubject: Re: [SUPPORT#%s] New: Question about disks\nMessage-ID: <s2.%s@example.jp>\n' "$t" "$t" "$cs"
	  cat "$dir/reply-mime"; } |
		mp deliver --sender staff@example.jp --recipient "support+$t@example.jp" --sasl-user staff@example.jp ||
		fail "staff reply (en)"
	# Every mail, one file each, named after its template and ticket.
	mkdir -p "$st/out"
	sqlite3 "$st/state/mailproc.db" "SELECT id FROM outbox WHERE raw IS NOT NULL AND raw != ''" |
		while read -r id; do
			sqlite3 "$st/state/mailproc.db" "SELECT writefile('$st/out/' || id || '.eml', raw) FROM outbox WHERE id = $id" >/dev/null
		done
}

check() {	# check DIR CHARSET: every .eml in DIR
	python3 - "$@" "$dir/reply-text" <<'PY'
import email, email.policy, glob, os, re, sqlite3, sys
d, cs, reply_text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
db = sqlite3.connect(os.path.join(os.path.dirname(d.rstrip("/")), "state", "mailproc.db"))
row = lambda q, *a: db.execute(q, a).fetchone()
ew = re.compile(rb"=\?([^?]+)\?([BbQq])\?([^?]*)\?=")
seen, problems = set(), []
def bad(f, what):
    problems.append("%s: %s" % (os.path.basename(f), what))
files = sorted(glob.glob(d + "/*.eml"))
if not files:
    sys.exit("no mail in " + d)
for f in files:
    raw = open(f, "rb").read()
    # smtp-sink prepends its own X- lines and writes LF: take the mail
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    jis = False
    for line in raw.split(b"\n"):
        if len(line) > 998:
            bad(f, "line of %d octets" % len(line))
        if any(b > 0x7f for b in line):
            bad(f, "8-bit octets: %r" % line[:60])
        for esc in re.findall(rb"\x1b[$(][@BJ]", line):
            jis = esc.startswith(b"\x1b$")
        if jis:
            bad(f, "line ends in JIS: %r" % line[-20:])
        for m in ew.finditer(line):
            if len(m.group(0)) > 75:
                bad(f, "encoded word of %d: %r" % (len(m.group(0)), m.group(0)))
            if m.group(1).lower() == b"iso-2022-jp" and m.group(2) in b"Qq":
                bad(f, "Q-encoded ISO-2022-JP")
            if len(line) > 76:
                bad(f, "header line with an encoded word of %d" % len(line))
    m = email.message_from_bytes(raw, policy=email.policy.default)
    to = m["To"].addresses[0].addr_spec
    subj = str(m["Subject"])
    oid = row("SELECT template, ticket FROM outbox WHERE message_id = ?", m["Message-ID"].strip("<>"))
    if oid is None:
        bad(f, "not in the outbox: " + m["Message-ID"])
        continue
    template, ticket = oid
    lang, requester, tsubject = row("SELECT lang, requester, subject FROM tickets WHERE id = ?", ticket) or (None, None, None)
    seen.add((lang, template))
    part = m.get_body(("plain",))
    text = part.get_content()
    ct = part["Content-Type"]
    flowed = ct.params.get("format") == "flowed"
    if flowed:
        assert ct.params.get("delsp") == "yes", ct
        joined = re.sub(r" \n", "", text)
    else:
        joined = text
    for line in (part.get_payload(decode=True) or b"").split(b"\n"):
        line = line.rstrip(b"\r")
        # ISO-2022-JP octets (or UTF-8 display width) over 78 only for a
        # word that cannot be broken: a long URL
        width = len(line) if part.get_content_charset() == "iso-2022-jp" else sum(
            2 if ord(c) > 0x2e7f else 1 for c in line.decode("utf-8", "replace"))
        if width > 78 and (b" " in line.strip() or b"\x1b" in line or
                           any(b > 0x7f for b in line)):
            bad(f, "text line of width %d: %r" % (width, line[:40]))
    charset = part.get_content_charset()
    name = m["From"].addresses[0].display_name
    if lang == "en" and not template.startswith("staff-") and template != "identity-callback":
        if charset != "utf-8":
            bad(f, "English mail in " + charset)
        if name != "Takayama Hosting K.K.":
            bad(f, "English mail from %r" % name)
    elif name not in ("高山ホスティング株式会社", "Takayama Hosting K.K."):
        bad(f, "From name %r" % name)
    with_circled = "①" in text
    if cs == "iso-2022-jp" and lang == "ja" and not with_circled:
        if charset != "iso-2022-jp":
            bad(f, "Japanese mail in " + charset)
        if ew.search(head) is None:
            bad(f, "no ISO-2022-JP encoded words")
        for w in ew.finditer(head):
            if w.group(1).lower() != b"iso-2022-jp":
                bad(f, "encoded word in %r" % w.group(1))
    if cs == "utf-8" and charset != "utf-8":
        bad(f, "UTF-8 desk sent " + charset)
    if "mon-fri" in text or "09:00-12:00,13:00" in text:
        bad(f, "hours in config syntax")
    if "Hours:" in text and "weekdays 9:00-12:00 and 13:00-18:00" not in text:
        bad(f, "English hours not in words")
    if "営業時間" in text and "平日9:00〜12:00と13:00〜18:00" not in text and template != "ack-closed":
        pass
    # Mail to the customer is threaded to the customer's own mail.
    if to == requester and not template.startswith("staff-") :
        ids = ["<%s>" % r[0] for r in db.execute(
            "SELECT message_id FROM messages WHERE ticket = ? AND direction = 'in' AND parsed LIKE ? ORDER BY id",
            (ticket, '%"' + requester + '"%'))]
        irt = m["In-Reply-To"]
        refs = (m["References"] or "").split()
        if irt not in ids or not refs or refs[-1] != irt:
            bad(f, "%s not threaded: %r %r (want one of %r)" % (template, irt, refs, ids))
    # RFC 3834 §5: replies auto-replied, notifications auto-generated
    notification = template.startswith("staff-") or template in (
        "identity-confirm", "identity-reminder", "completion", "identity-expired",
        "identity-callback")
    want_as = None if template == "staff-reply" else (
        "auto-generated" if notification else "auto-replied")
    if m["Auto-Submitted"] != want_as:
        bad(f, "%s: Auto-Submitted %r, want %r" % (template, m["Auto-Submitted"], want_as))
    if template == "staff-reply":
        if subj.count("[SUPPORT#") != 1 or "新規" in subj or "New:" in subj:
            bad(f, "relayed subject %r" % subj)
        want_text = reply_text if with_circled else reply_text.replace("①", "")
        a = joined.replace("\r\n", "\n")
        if a != want_text:
            i = next((i for i in range(min(len(a), len(want_text))) if a[i] != want_text[i]), -1)
            bad(f, "relayed text differs at %d: %r / %r" % (i, a[i:i+30], want_text[i:i+30]))
        if not flowed:
            bad(f, "long paragraph not folded as format=flowed")
        names = sorted(p.get_filename() for p in m.iter_attachments())
        if names != sorted(["①見積書_髙山商事様.xlsx", "見積書_山田商事様.xlsx"]
                           if with_circled else ["見積書_山田商事様.xlsx"]):
            bad(f, "attachment names %r" % names)
        for p in m.iter_attachments():
            if p.get_content() != b"PK\x03\x04 " + p.get_filename().encode():
                bad(f, "attachment content")
            # RFC 2231 and an RFC 2047 name both
            if "filename*" not in p.as_string() and "filename*0*" not in p.as_string():
                bad(f, "no RFC 2231 filename")
            if p.get_param("name") != p.get_filename():
                bad(f, "Content-Type name %r" % p.get_param("name"))
            # in the mail's charset
            if charset.upper().encode() + b"''" not in p.as_bytes():
                bad(f, "attachment name not in %s" % charset)
for p in problems:
    print(p, file=sys.stderr)
want = {("ja", t) for t in ("ack", "fault-ack", "unregistered", "not-subscribed",
        "identity-pending", "identity-confirm", "identity-confirmed", "staff-work",
        "completion", "denied", "staff-new-ticket", "identity-callback", "staff-reply")}
want |= {("en", "ack"), ("en", "staff-reply")}
missing = want - seen
if missing:
    print("templates not produced: %r" % sorted(missing), file=sys.stderr)
print("%s: %d mails, templates: %s" % (cs, len(files), " ".join(sorted("%s/%s" % s for s in seen))))
sys.exit(1 if problems or missing else 0)
PY
}

for cs in iso-2022-jp utf-8; do
	desk "$cs"
	check "$dir/$cs/out" "$cs" || fail "$cs: outgoing mail"
done

# Over SMTP, as a relay gets it: an smtp-sink on a loopback port of ours.
if command -v smtp-sink >/dev/null; then
	port=$((20000 + RANDOM % 20000))
	mkdir -p "$dir/sink"
	chown postfix "$dir/sink" 2>/dev/null || chmod 777 "$dir/sink"
	smtp-sink -u postfix -d "$dir/sink/%Y%m%d%H%M%S." "127.0.0.1:$port" 100 &
	sink=$!
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	st=$dir/iso-2022-jp
	sed -i "s|^smtp_url = .*|smtp_url = smtp://127.0.0.1:$port|" "$st/conf"
	"$MAILPROC" -c "$st/conf" run --once 2>/dev/null || true
	mkdir -p "$st/sunk"
	n=0
	for f in "$dir"/sink/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		# drop smtp-sink's own X-Mail-Args / X-Rcpt-Args lines
		sed '1,/^X-Rcpt-Args/{/^X-Mail-Args\|^X-Rcpt-Args\|^X-Client/d}' "$f" > "$st/sunk/$n.eml"
	done
	[ "$n" -gt 10 ] || fail "only $n mails reached the sink"
	check "$st/sunk" iso-2022-jp || fail "mail as delivered over SMTP"
fi
echo "ok: outgoing encoding"
