#!/usr/bin/env python3
"""Write the parsing test corpus of mailproc.

Every message of tests/corpus/NNN-name.eml is built here from UTF-8 source
strings, encoded the way a real mail client would encode them, and written
next to NNN-name.expect.json, whose expected values come from those same
source strings (never from running mailproc).  The sample mails of
tests/corpus/demo/ are written too.

Python 3 standard library only.  The output is deterministic: running the
script again rewrites identical files.  Usage (from anywhere):

    python3 tests/corpus/make-corpus.py

Expectation keys (tests/corpus/check.py compares them):
  subject            exact decoded subject, "" when absent
  text               exact whole text (trailing white space of each line and
                     of the whole is ignored)
  text_contains      substrings the text must contain
  text_not_contains  substrings the text must not contain
  text_regex         regular expressions (re.search) the text must match
  from, to, cc       bare addresses, in order
  from_names         decoded display names of From, in order
  attachments        the whole attachment list, in order; each entry lists
                     only the keys that are checked
  attachments_include  entries that must be among the attachments
  defects            true: at least one defect reported; false: none
  message_id, in_reply_to  without <>, null when absent
  references         list of ids without <>
"""

import base64
import hashlib
import json
import os
import quopri
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "demo")

# --------------------------------------------------------------------------
# Charset helpers

# Characters whose decoding differs between the usual converters of the
# legacy Japanese charsets (JIS X 0208 mapping vs Microsoft's): kept out of
# every ISO-2022-JP and EUC-JP text so that no expectation depends on the
# choice.  The Shift_JIS cases use ～ and － on purpose: mail labelled
# Shift_JIS is decoded as CP932.
AMBIGUOUS = "～〜－−∥‖￠￡￢¢£¬―—＼"


def sjis_to_jis(b1, b2):
    """A Shift_JIS double-byte code to its JIS X 0208 row/cell bytes."""
    if b1 >= 0xE0:
        b1 -= 0x40
    row = (b1 - 0x81) * 2 + 0x21
    if b2 >= 0x9F:
        return row + 1, b2 - 0x9F + 0x21
    if b2 >= 0x80:
        b2 -= 1
    return row, b2 - 0x40 + 0x21


def jis_to_sjis(j1, j2):
    """The inverse of sjis_to_jis()."""
    b1 = (j1 - 0x21) // 2 + 0x81
    if b1 >= 0xA0:
        b1 += 0x40
    if j1 % 2:
        b2 = j2 - 0x21 + 0x40
        if b2 >= 0x7F:
            b2 += 1
    else:
        b2 = j2 - 0x21 + 0x9F
    return b1, b2


def jis_pair(ch):
    """The two JIS bytes a Windows mailer (CP50220) writes for ch."""
    try:
        enc = ch.encode("iso2022_jp")
        if enc.startswith(b"\x1b$B") and len(enc) == 8:
            return enc[3:5]
    except UnicodeEncodeError:
        pass
    sj = ch.encode("cp932")
    if len(sj) != 2:
        raise ValueError("no JIS form for %r" % ch)
    code = (sj[0] << 8) | sj[1]
    if 0xFA40 <= code <= 0xFC4B:
        # IBM extension: CP50220 uses the NEC-selected copy (rows 89-92)
        for lead in (0xED, 0xEE):
            for trail in range(0x40, 0xFD):
                try:
                    if bytes([lead, trail]).decode("cp932") == ch:
                        sj = bytes([lead, trail])
                        break
                except UnicodeDecodeError:
                    pass
    j1, j2 = sjis_to_jis(sj[0], sj[1])
    return bytes([j1, j2])


def jis(text, close=True):
    """ISO-2022-JP bytes of text as a Windows mailer writes them (CP50220:
    NEC row 13 and IBM extension characters kept as JIS byte pairs).  Each
    line returns to ASCII before its newline."""
    out = bytearray()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        kanji = False
        for ch in line:
            if ord(ch) < 0x80:
                if kanji:
                    out += b"\x1b(B"
                    kanji = False
                out += ch.encode("ascii")
            else:
                if not kanji:
                    out += b"\x1b$B"
                    kanji = True
                out += jis_pair(ch)
        if kanji and (close or i < len(lines) - 1):
            out += b"\x1b(B"
        if i < len(lines) - 1:
            out += b"\n"
    return bytes(out)


def cp50220_decode(data):
    """Reference decoder used only to check this script's own output:
    JIS pairs to Shift_JIS bytes, then CP932."""
    out = []
    i = 0
    kanji = False
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i:i + 3]
            kanji = seq in (b"\x1b$B", b"\x1b$@")
            i += 3
            continue
        if kanji and data[i] != 0x0A:
            s = bytes(jis_to_sjis(data[i], data[i + 1]))
            out.append(s.decode("cp932"))
            i += 2
        else:
            out.append(chr(data[i]))
            i += 1
    return "".join(out)


def sjis(text, ibm=False):
    out = _sjis(text, ibm)
    assert out.decode("cp932") == text, text
    return out


def _sjis(text, ibm):
    """CP932 bytes (what Windows writes for "Shift_JIS").  ibm=True writes
    IBM extension characters at their IBM codes (0xFA40..), as Windows
    does, instead of Python's NEC-selected choice."""
    out = bytearray()
    for ch in text:
        b = ch.encode("cp932")
        if ibm and len(b) == 2 and b[0] in (0xED, 0xEE):
            for code in range(0xFA40, 0xFC4C):
                cand = bytes([code >> 8, code & 0xFF])
                try:
                    if cand.decode("cp932") == ch:
                        b = cand
                        break
                except UnicodeDecodeError:
                    pass
        out += b
    return bytes(out)


def encode_text(text, charset):
    cs = charset.lower()
    if cs == "iso-2022-jp":
        assert not any(c in AMBIGUOUS for c in text), text
        data = jis(text)
        assert cp50220_decode(data) == text, text
        return data
    if cs in ("shift_jis", "cp932", "windows-31j"):
        return sjis(text)
    if cs == "euc-jp":
        assert not any(c in AMBIGUOUS for c in text), text
        data = text.encode("euc_jp")
        assert data.decode("euc_jp") == text, text
        return data
    if cs in ("utf-8", "us-ascii"):
        return text.encode("utf-8" if cs == "utf-8" else "ascii")
    raise ValueError(charset)


QSAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            b"0123456789!*+-/")


def qword_bytes(data):
    out = []
    for b in data:
        if b == 0x20:
            out.append("_")
        elif b in QSAFE:
            out.append(chr(b))
        else:
            out.append("=%02X" % b)
    return "".join(out)


def ew_bytes(data, charset, enc="B"):
    """One RFC 2047 encoded word holding exactly these bytes."""
    if enc.upper() == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        payload = qword_bytes(data)
    return "=?%s?%s?%s?=" % (charset, enc, payload)


def ew(text, charset="UTF-8", enc="B"):
    """Encoded words for text, each complete in itself and at most 75
    characters long (RFC 2047 section 2), folded onto continuation lines."""
    words = []
    start = 0
    while start < len(text):
        end = start + 1
        while (end < len(text) and len(ew_bytes(encode_text(
                text[start:end + 1], charset), charset, enc)) <= 75):
            end += 1
        words.append(ew_bytes(encode_text(text[start:end], charset),
                              charset, enc))
        start = end
    return fold(words)


def ew_chunks(text, charset, size, enc="B"):
    """Encoded words of at most size characters each, every word complete
    in itself (the way careful mailers fold long subjects)."""
    return [ew(text[i:i + size], charset, enc)
            for i in range(0, len(text), size)]


def fold(words, sep="\n "):
    return sep.join(words)


def b64(data):
    return base64.encodebytes(data)


def qp(data):
    return quopri.encodestring(data)


def addr(name, address, charset="ISO-2022-JP"):
    if name is None:
        return address
    if all(ord(c) < 0x80 for c in name):
        return '"%s" <%s>' % (name, address)
    return "%s <%s>" % (ew(name, charset), address)


# --------------------------------------------------------------------------
# Binary payloads (deterministic)

def pseudo_random(n, seed):
    out = bytearray()
    block = seed.encode("ascii")
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def pdf_bytes(n, seed="pdf"):
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n"
    tail = b"\nendobj\n%%EOF\n"
    return head + pseudo_random(n - len(head) - len(tail), seed) + tail


def png_bytes(w, h, seed="png"):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = bytearray()
    noise = pseudo_random(w * h * 3, seed)
    for y in range(h):
        raw.append(0)
        raw += noise[y * w * 3:(y + 1) * w * 3]
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


# --------------------------------------------------------------------------
# Message assembly

def message(headers, body, crlf=False):
    """headers: list of (name, value); a str value must be ASCII, a bytes
    value is written raw.  body: bytes or ASCII str."""
    out = bytearray()
    for name, value in headers:
        if isinstance(value, str):
            value = value.encode("ascii")
        # a raw Shift_JIS 0x5C trail byte would read as a backslash
        assert b"\\" not in value, value
        out += name.encode("ascii") + b": " + value + b"\n"
    if body is not None:
        out += b"\n"
        out += body.encode("ascii") if isinstance(body, str) else body
    data = bytes(out)
    if crlf:
        assert b"\r" not in data
        data = data.replace(b"\n", b"\r\n")
    return data


def part(headers, body):
    """A MIME entity (headers, blank line, body) as bytes."""
    return message(headers, body)


def multipart(boundary, parts, preamble=b"", epilogue=b"", close=True):
    """The body of a multipart.  The newline before each delimiter belongs
    to the delimiter (RFC 2046 section 5.1.1), so it is added after every
    part: a part's own final newline stays part of its content."""
    out = bytearray(preamble)
    for p in parts:
        out += b"--" + boundary.encode("ascii") + b"\n" + p + b"\n"
    if close:
        out += b"--" + boundary.encode("ascii") + b"--\n"
    out += epilogue
    return bytes(out)


SUPPORT = "support@example.jp"
MIME = ("MIME-Version", "1.0")


def ctype(charset, extra=""):
    return ("Content-Type", "text/plain; charset=%s%s" % (charset, extra))


CASES = []
DEMOS = []


def case(name, data, expect):
    CASES.append((name, data, expect))


def demo(name, data):
    DEMOS.append((name, data))


# --------------------------------------------------------------------------
# The cases

def build_cases():
    # ---- 001 plain ASCII baseline
    text = ("Hello,\n\nCould you tell me when the nightly backup runs on "
            "web01.example.com?\n\nBest regards,\nJohn Smith\n")
    case("001-plain-ascii", message([
        ("From", "John Smith <john.smith@example.com>"),
        ("To", SUPPORT),
        ("Subject", "Question about backup schedule"),
        ("Date", "Fri, 01 Mar 2024 09:00:00 +0900"),
        ("Message-ID", "<20240301090000.1234@example.com>"),
        MIME, ctype("us-ascii"),
        ("Content-Transfer-Encoding", "7bit"),
    ], text), {
        "subject": "Question about backup schedule",
        "text": text,
        "from": ["john.smith@example.com"],
        "from_names": ["John Smith"],
        "to": [SUPPORT],
        "message_id": "20240301090000.1234@example.com",
        "attachments": [],
        "defects": False,
    })

    # ---- 002 ISO-2022-JP subject and body
    subject = "サーバーの再起動について"
    text = ("サポートご担当者様\n\n"
            "いつも大変お世話になっております。\n"
            "株式会社サンプル商事の山田でございます。\n\n"
            "web01.example.jp の動作が重くなっております。\n"
            "本日中に再起動していただくことは可能でしょうか。\n\n"
            "何卒よろしくお願い申し上げます。\n")
    case("002-iso2022jp-basic", message([
        ("From", addr("山田 太郎", "taro.yamada@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "ISO-2022-JP")),
        ("Date", "Mon, 04 Mar 2024 10:12:00 +0900"),
        ("Message-ID", "<20240304101200.A1B2@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["taro.yamada@example.co.jp"], "from_names": ["山田 太郎"],
        "text_not_contains": ["\x1b", "$B"],
        "attachments": [], "defects": False,
    })

    # ---- 003 ISO-2022-JP with NEC row 13 and IBM extension characters
    subject = "【至急】①web01 再起動のお願い（㈱髙山商事）"
    text = ("サポートご担当者様\n\n"
            "㈱髙山商事 情報システム部の髙橋でございます。\n"
            "下記サーバーの再起動をお願いいたします。\n\n"
            "①web01.example.jp\n"
            "②web02.example.jp\n\n"
            "Ⅰ期工事（㍻31年導入）のサーバーです。\n"
            "当日は山﨑も立ち会います。\n")
    case("003-iso2022jp-nec-ibm-ext", message([
        ("From", addr("髙橋 誠", "makoto.takahashi@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "ISO-2022-JP")),
        ("Date", "Mon, 04 Mar 2024 11:00:00 +0900"),
        ("Message-ID", "<20240304110000.C3D4@example.co.jp>"),
        MIME, ctype('"iso-2022-jp"'),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Microsoft Outlook 16.0"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "text_contains": ["①", "㈱", "Ⅰ", "㍻", "髙", "﨑"],
        "from": ["makoto.takahashi@example.co.jp"],
        "from_names": ["髙橋 誠"],
        "text_not_contains": ["\ufffd", "\x1b"],
    })

    # ---- 004 Outlook style: ISO-2022-JP text without charset=
    subject = "パスワードを忘れてしまいました"
    text = ("お世話になっております。\n"
            "管理ユーザーのパスワードを忘れてしまいました。\n"
            "初期化していただけますでしょうか。\n")
    case("004-iso2022jp-no-charset", message([
        ("From", addr("佐藤 花子", "hanako.sato@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "iso-2022-jp")),
        ("Date", "Tue, 05 Mar 2024 09:31:00 +0900"),
        ("Message-ID", "<000001da6e0f$8a1b2c30$9e518490$@example.co.jp>"),
        MIME,
        ("Content-Type", "text/plain"),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Microsoft Outlook 16.0"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["hanako.sato@example.co.jp"],
        "text_not_contains": ["\x1b"],
    })

    # ---- 005 ISO-2022-JP body with no MIME headers at all
    subject = "監視設定について"
    text = ("お世話になります。\n"
            "HTTP監視の対象URLを変更したいのですが、\n"
            "手続きを教えていただけますか。\n")
    case("005-iso2022jp-no-content-type", message([
        ("From", "ito@example.ne.jp"),
        ("To", SUPPORT),
        ("Subject", ew(subject, "ISO-2022-JP")),
        ("Date", "Tue, 05 Mar 2024 13:45:10 +0900"),
        ("Message-ID", "<200403051345.AA01234@mail.example.ne.jp>"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["ito@example.ne.jp"],
        "text_not_contains": ["\x1b"],
    })

    # ---- 006 Shift_JIS (CP932) with ～ － ①
    subject = "作業日程：3月10日～3月12日"
    text = ("お世話になっております。\n"
            "作業希望日：3月10日～3月12日\n"
            "連絡先電話番号：03－1234－5678\n"
            "対象：①web01 ②web02\n")
    case("006-shift-jis-cp932", message([
        ("From", addr("木村 健", "ken.kimura@example.co.jp", "Shift_JIS")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "Shift_JIS")),
        ("Date", "Wed, 06 Mar 2024 10:00:00 +0900"),
        ("Message-ID", "<sjis-006@example.co.jp>"),
        MIME, ctype("Shift_JIS"),
        ("Content-Transfer-Encoding", "8bit"),
    ], sjis(text)), {
        "subject": subject, "text": text,
        "text_contains": ["\uff5e", "\uff0d", "①"],
        "from": ["ken.kimura@example.co.jp"], "from_names": ["木村 健"],
    })

    # ---- 007 EUC-JP
    subject = "ディスク容量の増設について"
    text = ("サポート御中\n\n"
            "データベースサーバーのディスク使用率が九割を超えました。\n"
            "増設の費用と手順をご教示ください。\n")
    case("007-euc-jp", message([
        ("From", addr("中村 悟", "satoru@example.ne.jp", "EUC-JP")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "EUC-JP")),
        ("Date", "Wed, 06 Mar 2024 16:20:00 +0900"),
        ("Message-ID", "<eucjp-007@example.ne.jp>"),
        MIME, ctype("EUC-JP"),
        ("Content-Transfer-Encoding", "8bit"),
    ], encode_text(text, "EUC-JP")), {
        "subject": subject, "text": text,
        "from": ["satoru@example.ne.jp"], "from_names": ["中村 悟"],
        "defects": False,
    })

    # ---- 008 UTF-8 base64
    subject = "バックアップの復元について"
    text = ("お世話になっております。\n"
            "昨日のバックアップからファイルを一つ復元したいと考えております。\n"
            "対象: /var/www/html/index.php\n"
            "よろしくお願いいたします。\n")
    case("008-utf8-base64", message([
        ("From", addr("小林 由美", "yumi@example.com", "UTF-8")),
        ("To", SUPPORT),
        ("Subject", ew(subject)),
        ("Date", "Thu, 07 Mar 2024 09:05:00 +0900"),
        ("Message-ID", "<utf8-b64-008@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "base64"),
    ], b64(text.encode("utf-8"))), {
        "subject": subject, "text": text,
        "from": ["yumi@example.com"], "from_names": ["小林 由美"],
        "attachments": [], "defects": False,
    })

    # ---- 009 UTF-8 quoted-printable (long lines make soft breaks)
    subject = "メール送信エラーの件"
    text = ("サポートご担当者様\n\n"
            "昨日の夕方から、サーバーから送信したメールの一部が相手先に届かず、"
            "エラーメールが返ってくるようになりました。設定は変更しておりません。\n"
            "Error: 550 5.7.1 Message rejected = policy\n"
            "原因の調査をお願いできますでしょうか。\n")
    case("009-utf8-quoted-printable", message([
        ("From", addr("Kato Ryo", "ryo.kato@example.com")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "UTF-8", "Q")),
        ("Date", "Thu, 07 Mar 2024 10:40:00 +0900"),
        ("Message-ID", "<utf8-qp-009@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ], qp(text.encode("utf-8"))), {
        "subject": subject, "text": text,
        "text_not_contains": ["=E3", "=\n"],
        "from": ["ryo.kato@example.com"],
        "attachments": [], "defects": False,
    })

    # ---- 010 UTF-8 8bit
    subject = "SSL証明書の更新"
    text = ("お世話になっております。\n"
            "来月期限切れとなるSSL証明書の更新手順を確認させてください。\n"
            "対象ドメイン：www.example.com\n")
    case("010-utf8-8bit", message([
        ("From", addr("渡辺 直樹", "naoki@example.com", "UTF-8")),
        ("To", SUPPORT),
        ("Subject", ew(subject)),
        ("Date", "Thu, 07 Mar 2024 11:11:11 +0900"),
        ("Message-ID", "<utf8-8bit-010@example.com>"),
        MIME, ctype("utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": subject, "text": text,
        "from": ["naoki@example.com"],
        "attachments": [], "defects": False,
    })

    # ---- 011 encoded words split mid-character (UTF-8, B)
    subject = "パスワード初期化のお願い（web01）"
    raw = subject.encode("utf-8")
    words = [ew_bytes(raw[i:i + 7], "UTF-8") for i in range(0, len(raw), 7)]
    text = "パスワードの初期化をお願いいたします。\n"
    case("011-rfc2047-split-utf8-b", message([
        ("From", "suzuki@example.com"),
        ("To", SUPPORT),
        ("Subject", fold(words)),
        ("Date", "Fri, 08 Mar 2024 09:00:00 +0900"),
        ("Message-ID", "<split-b-011@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "base64"),
    ], b64(text.encode("utf-8"))), {
        "subject": subject, "text": text,
        "text_not_contains": ["\ufffd"],
        "from": ["suzuki@example.com"],
    })

    # ---- 012 encoded words split mid-character (UTF-8, Q), one line
    subject = "リブート代行の依頼"
    raw = subject.encode("utf-8")
    words = [ew_bytes(raw[i:i + 5], "utf-8", "Q")
             for i in range(0, len(raw), 5)]
    text = "リブートをお願いします。\n"
    case("012-rfc2047-split-utf8-q", message([
        ("From", "suzuki@example.com"),
        ("To", SUPPORT),
        ("Subject", " ".join(words)),
        ("Date", "Fri, 08 Mar 2024 09:10:00 +0900"),
        ("Message-ID", "<split-q-012@example.com>"),
        MIME, ctype("utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": subject, "text": text,
        "from": ["suzuki@example.com"],
    })

    # ---- 013 ISO-2022-JP encoded words split inside a double-byte pair
    subject = "監視除外設定のお願い"
    raw = jis(subject)
    cut = 3 + 2 * 3 + 1          # ESC $ B, three characters, one byte
    words = [ew_bytes(raw[:cut], "ISO-2022-JP"),
             ew_bytes(raw[cut:], "ISO-2022-JP")]
    text = "メンテナンス中の監視除外をお願いいたします。\n"
    case("013-rfc2047-split-iso2022jp", message([
        ("From", "monitor@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", fold(words)),
        ("Date", "Fri, 08 Mar 2024 10:00:00 +0900"),
        ("Message-ID", "<split-jis-013@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["monitor@example.co.jp"],
    })

    # ---- 014 long folded ISO-2022-JP subject, many complete words
    subject = ("【ご依頼】サーバー再起動のお願い（契約ID：C-10023）"
               "対象サーバー：web01.example.jp およびdb01.example.jp "
               "本日の十八時以降に再起動作業を実施していただけますでしょうか")
    text = "件名のとおりお願いいたします。\n"
    case("014-long-folded-subject-iso2022jp", message([
        ("From", "tanaka@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", fold(ew_chunks(subject, "ISO-2022-JP", 12))),
        ("Date", "Mon, 11 Mar 2024 09:45:00 +0900"),
        ("Message-ID", "<long-jis-014@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["tanaka@example.co.jp"],
        "defects": False,
    })

    # ---- 015 long folded UTF-8 subject, many complete words
    subject = ("Re: Fw: 【重要】サービス監視設定の変更依頼について"
               "（HTTP監視のURLとポート番号の変更、およびSMTP監視の追加）")
    words = ["Re: Fw:"] + ew_chunks(subject[len("Re: Fw: "):], "UTF-8", 9)
    text = "よろしくお願いします。\n"
    case("015-long-folded-subject-utf8", message([
        ("From", "tanaka@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", fold(words)),
        ("Date", "Mon, 11 Mar 2024 09:46:00 +0900"),
        ("Message-ID", "<long-utf8-015@example.co.jp>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": subject, "text": text,
        "from": ["tanaka@example.co.jp"],
        "defects": False,
    })

    # ---- 016 mixed B and Q words, charsets, and plain text between
    parts = [ew("再起動", "UTF-8", "B"), ew(" request", "UTF-8", "Q"),
             "(ticket #123)", ew("至急", "ISO-2022-JP", "B"),
             ew("対応", "utf-8", "q")]
    subject = "再起動 request (ticket #123) 至急対応"
    text = "Please reboot web01.\n"
    case("016-mixed-b-q-words", message([
        ("From", "ops@example.com"),
        ("To", SUPPORT),
        ("Subject", " ".join(parts[:2]) + " " + parts[2] + " "
         + "\n ".join(parts[3:])),
        ("Date", "Mon, 11 Mar 2024 14:00:00 +0900"),
        ("Message-ID", "<mixed-016@example.com>"),
        MIME, ctype("us-ascii"),
    ], text), {
        "subject": subject, "text": text, "from": ["ops@example.com"],
        "defects": False,
    })

    # ---- 017 raw 8-bit Shift_JIS headers
    subject = "サーバーが応答しません"
    text = ("お世話になっております。\n"
            "今朝からサーバーが応答しません。至急確認をお願いします。\n")
    case("017-raw-8bit-header-sjis", message([
        ("From", b"\x22" + sjis("森 大輔") + b"\x22 <mori@example.co.jp>"),
        ("To", SUPPORT),
        ("Subject", sjis(subject)),
        ("Date", "Tue, 12 Mar 2024 08:15:00 +0900"),
        ("Message-ID", "<raw-sjis-017@example.co.jp>"),
        MIME, ctype("Shift_JIS"),
        ("Content-Transfer-Encoding", "8bit"),
    ], sjis(text)), {
        "subject": subject, "text": text,
        "from": ["mori@example.co.jp"], "from_names": ["森 大輔"],
        "defects": True,
    })

    # ---- 018 raw 8-bit UTF-8 headers
    subject = "ログの保存期間を教えてください"
    text = "アクセスログは何日分保存されていますか。\n"
    case("018-raw-8bit-header-utf8", message([
        ("From", "清水 優子 <yuko@example.com>".encode("utf-8")),
        ("To", SUPPORT),
        ("Subject", subject.encode("utf-8")),
        ("Date", "Tue, 12 Mar 2024 10:30:00 +0900"),
        ("Message-ID", "<raw-utf8-018@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": subject, "text": text,
        "from": ["yuko@example.com"], "from_names": ["清水 優子"],
    })

    # ---- 019 raw 8-bit EUC-JP headers (the body charset tells)
    subject = "ファイアウォール設定の確認"
    text = ("いつもお世話になっております。\n"
            "ポート番号八〇八〇番を外部から開放したいと考えております。\n")
    case("019-raw-8bit-header-eucjp", message([
        ("From", "\"".encode() + "岡田 修".encode("euc_jp")
         + b"\" <okada@example.ne.jp>"),
        ("To", SUPPORT),
        ("Subject", subject.encode("euc_jp")),
        ("Date", "Tue, 12 Mar 2024 11:00:00 +0900"),
        ("Message-ID", "<raw-euc-019@example.ne.jp>"),
        MIME, ctype("EUC-JP"),
        ("Content-Transfer-Encoding", "8bit"),
    ], encode_text(text, "EUC-JP")), {
        "subject": subject, "text": text,
        "from": ["okada@example.ne.jp"], "from_names": ["岡田 修"],
        "defects": True,
    })

    # ---- 020 RFC 2231 file names: charset, continuations, mid-char split
    name1 = "サーバー構成図_2024年3月版.pdf"
    raw1 = name1.encode("utf-8")
    enc1 = "".join("%%%02X" % b if b >= 0x80 or b in b"%'*;\"() "
                   else chr(b) for b in raw1)
    # split the percent-encoded name into continuations at 20 characters,
    # never inside a %XX triplet but freely inside a UTF-8 sequence
    segs = []
    i = 0
    while i < len(enc1):
        j = min(i + 20, len(enc1))
        while j < len(enc1) and "%" in enc1[j - 2:j]:
            j -= 1
        segs.append(enc1[i:j])
        i = j
    cont = ";\n ".join("filename*%d*=%s%s" % (k, "UTF-8''" if k == 0 else "",
                                                s)
                       for k, s in enumerate(segs))
    name2 = "見積書.xlsx"
    enc2 = "".join("%%%02X" % b for b in name2.encode("utf-8")[:-5]) + ".xlsx"
    # *0* percent-encoded, *1* a literal quoted segment: RFC 2231 allows
    # mixing them; the literal segment is ASCII
    name3 = "議事録_part 1.txt"
    n3 = name3.encode("utf-8")
    cont3 = ("filename*0*=utf-8''" + "".join("%%%02X" % b for b in n3[:-10])
             + ';\n filename*1="part 1.txt"')
    pdf = pdf_bytes(2345, "020")
    xlsx = pseudo_random(1500, "020-xlsx")
    txt3 = "第1回の議事録です。\n".encode("utf-8")
    text = "資料を添付いたします。\nご確認ください。\n"
    body = multipart("=_rfc2231_020", [
        part([ctype("UTF-8"), ("Content-Transfer-Encoding", "8bit")],
             text.encode("utf-8")),
        part([("Content-Type", "application/pdf"),
              ("Content-Disposition", "attachment;\n " + cont),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)),
        part([("Content-Type", "application/vnd.openxmlformats-"
               "officedocument.spreadsheetml.sheet"),
              ("Content-Disposition", "attachment; filename*=UTF-8''" + enc2),
              ("Content-Transfer-Encoding", "base64")], b64(xlsx)),
        part([("Content-Type", "text/plain; charset=UTF-8"),
              ("Content-Disposition", "attachment;\n " + cont3),
              ("Content-Transfer-Encoding", "base64")], b64(txt3)),
    ])
    case("020-rfc2231-filenames", message([
        ("From", "tanaka@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("資料送付")),
        ("Date", "Wed, 13 Mar 2024 09:00:00 +0900"),
        ("Message-ID", "<rfc2231-020@example.co.jp>"),
        MIME,
        ("Content-Type", 'multipart/mixed; boundary="=_rfc2231_020"'),
    ], body), {
        "subject": "資料送付", "text": text,
        "from": ["tanaka@example.co.jp"],
        "attachments": [
            {"filename": name1, "size": len(pdf)},
            {"filename": name2, "size": len(xlsx)},
            {"filename": name3, "size": len(txt3)},
        ],
        "defects": False,
    })

    # ---- 021 RFC 2047 words inside quoted file names (Outlook, Gmail)
    name1 = "障害報告書.pdf"
    name2 = "ログ（抜粋）.txt"
    pdf = pdf_bytes(1800, "021")
    log = ("Mar 13 03:12:44 web01 kernel: Out of memory: Killed process 1234\n"
           * 20).encode("ascii")
    text = "障害報告書とログを添付します。\n"
    body = multipart("----=_NextPart_000_0021_01DA7512.3C4D5E60", [
        part([ctype('"iso-2022-jp"'), ("Content-Transfer-Encoding", "7bit")],
             encode_text(text, "ISO-2022-JP")),
        part([("Content-Type", 'application/pdf;\n\tname="%s"'
               % ew(name1, "iso-2022-jp")),
              ("Content-Transfer-Encoding", "base64"),
              ("Content-Disposition", 'attachment;\n\tfilename="%s"'
               % ew(name1, "iso-2022-jp"))], b64(pdf)),
        part([("Content-Type", 'text/plain; charset="US-ASCII"; name="%s"'
               % ew(name2)),
              ("Content-Disposition", 'attachment; filename="%s"'
               % ew(name2)),
              ("Content-Transfer-Encoding", "base64")], b64(log)),
    ])
    case("021-rfc2047-quoted-filenames", message([
        ("From", "hiroshi@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("障害報告書の送付", "ISO-2022-JP")),
        ("Date", "Wed, 13 Mar 2024 10:00:00 +0900"),
        ("Message-ID", "<rfc2047-fn-021@example.co.jp>"),
        MIME,
        ("Content-Type", 'multipart/mixed;\n\tboundary='
         '"----=_NextPart_000_0021_01DA7512.3C4D5E60"'),
    ], body), {
        "subject": "障害報告書の送付", "text": text,
        "text_not_contains": ["Out of memory"],
        "from": ["hiroshi@example.co.jp"],
        "attachments": [
            {"filename": name1, "size": len(pdf)},
            {"filename": name2, "size": len(log)},
        ],
    })

    # ---- 022 format=flowed (DelSp=no): soft breaks, quotes, stuffing, sig
    wire = ("Hello support team,\n\n"
            "This is a long paragraph that the mail client has \n"
            "wrapped with soft line breaks so that each line \n"
            "stays short.\n\n"
            "> quoted text that was \n"
            "> also flowed.\n\n"
            " From the start of a line.\n\n"
            "-- \n"
            "Kenji\n")
    text = ("Hello support team,\n\n"
            "This is a long paragraph that the mail client has wrapped with "
            "soft line breaks so that each line stays short.\n\n"
            "> quoted text that was also flowed.\n\n"
            "From the start of a line.\n\n"
            "-- \n"
            "Kenji\n")
    case("022-format-flowed", message([
        ("From", "Kenji Suzuki <suzuki@example.com>"),
        ("To", SUPPORT),
        ("Subject", "Flowed text"),
        ("Date", "Thu, 14 Mar 2024 09:00:00 +0900"),
        ("Message-ID", "<flowed-022@example.com>"),
        MIME, ctype("UTF-8", "; format=flowed"),
        ("Content-Transfer-Encoding", "7bit"),
    ], wire), {
        "subject": "Flowed text", "text": text,
        "text_not_contains": ["-- Kenji", " From the start"],
        "defects": False,
    })

    # ---- 023 format=flowed; delsp=yes, Japanese
    wire = ("お世話になっております。\n\n"
            "これは長い日本語の段落で、メールソフトが \n"
            "途中で折り返したものです。web01.example.jp の再起 \n"
            "動をお願いします。\n\n"
            "よろしくお願いします。\n")
    text = ("お世話になっております。\n\n"
            "これは長い日本語の段落で、メールソフトが途中で折り返したものです。"
            "web01.example.jp の再起動をお願いします。\n\n"
            "よろしくお願いします。\n")
    case("023-format-flowed-delsp", message([
        ("From", "suzuki@example.com"),
        ("To", SUPPORT),
        ("Subject", ew("再起動のお願い")),
        ("Date", "Thu, 14 Mar 2024 09:30:00 +0900"),
        ("Message-ID", "<flowed-delsp-023@example.com>"),
        MIME, ctype("UTF-8", "; format=flowed; delsp=yes"),
        ("Content-Transfer-Encoding", "8bit"),
    ], wire.encode("utf-8")), {
        "subject": "再起動のお願い", "text": text,
        "text_not_contains": ["再起 動", "メールソフトが 途中"],
        "defects": False,
    })

    # ---- 024 HTML only
    html = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<style type=\"text/css\">body { color: red; } "
            "p.note { STYLE-CONTENT: 1; }</style>\n"
            "<script type=\"text/javascript\">var secret = "
            "\"SCRIPT-CONTENT\"; if (a < b && c > d) {}</script>\n"
            "</head><body>\n"
            "<p>Hello &amp; welcome to &lt;support&gt;.</p>"
            "<p>Line one<br>Line two<br/>Line three</p>"
            "<div>Price&nbsp;list &quot;2024&quot; &#169; &#x263A;</div>"
            "<p><b>Bold</b> and <i>italic</i> words.</p>"
            "<p>See <a href=\"https://example.com/x\">our page</a></p>"
            "<p class=\"note\">Last paragraph.</p>"
            "</body></html>\n")
    case("024-html-only", message([
        ("From", "Newsletter Team <news@example.com>"),
        ("To", SUPPORT),
        ("Subject", "HTML only message"),
        ("Date", "Fri, 15 Mar 2024 12:00:00 +0900"),
        ("Message-ID", "<html-024@example.com>"),
        MIME, ("Content-Type", "text/html; charset=UTF-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ], qp(html.encode("utf-8"))), {
        "subject": "HTML only message",
        "text_contains": ["Hello & welcome to <support>.", "Line one",
                          "Line three", "\"2024\"", "\u00a9", "\u263a",
                          "Bold and italic words.", "our page",
                          "Last paragraph."],
        "text_regex": ["Line one[ \t]*\n[ \t\n]*Line two[ \t]*\n[ \t\n]*"
                       "Line three",
                       "welcome to <support>\\.[ \t]*\n[ \t\n]*Line one",
                       "Price[\u00a0 ]list"],
        "text_not_contains": ["<p", "<br", "</p>", "<html", "<div", "<b>",
                              "SCRIPT-CONTENT", "STYLE-CONTENT", "color: red",
                              "&amp;", "&lt;", "&gt;", "&nbsp;", "&quot;",
                              "&#"],
        "attachments": [],
        "defects": False,
    })

    # ---- 025 HTML only, Japanese, numeric entities, base64
    html = ("<html><head><title>お問い合わせ</title></head><body>"
            "<div>サポートご担当者様</div><br>"
            "<div>いつもお世話になっております。</div>"
            "<p>&#12469;&#12540;&#12496;&#12540;&#x306E;&#x518D;&#x8D77;"
            "&#x52D5;をお願いいたします。</p>"
            "<p>対象：web01.example.jp &amp; web02.example.jp</p>"
            "<p>以上、よろしくお願いいたします。</p></body></html>")
    case("025-html-only-japanese", message([
        ("From", "kojima@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("再起動のお願い")),
        ("Date", "Fri, 15 Mar 2024 13:00:00 +0900"),
        ("Message-ID", "<html-ja-025@example.co.jp>"),
        MIME, ("Content-Type", "text/html; charset=\"UTF-8\""),
        ("Content-Transfer-Encoding", "base64"),
    ], b64(html.encode("utf-8"))), {
        "subject": "再起動のお願い",
        "text_contains": ["サポートご担当者様", "サーバーの再起動をお願いいたします。",
                          "対象：web01.example.jp & web02.example.jp",
                          "以上、よろしくお願いいたします。"],
        "text_regex": ["再起動をお願いいたします。[ \t]*\n[ \t\n]*対象",
                       "対象：web01.example.jp & web02.example.jp"
                       "[ \t]*\n[ \t\n]*以上"],
        "text_not_contains": ["<p", "</", "&#", "&amp;"],
        "defects": False,
    })

    # ---- 026 multipart/alternative: text/plain chosen
    plain = ("サポートご担当者様\n\n"
             "PLAIN-PART: プロセス監視の閾値を変更したいです。\n"
             "CPU使用率 80% → 90%\n")
    html = ("<html><body><p>HTML-PART: プロセス監視の閾値を変更したいです。</p>"
            "<p>CPU使用率 80% &rarr; 90%</p></body></html>")
    body = multipart("alt-026", [
        part([ctype("UTF-8"), ("Content-Transfer-Encoding", "base64")],
             b64(plain.encode("utf-8"))),
        part([("Content-Type", "text/html; charset=UTF-8"),
              ("Content-Transfer-Encoding", "base64")],
             b64(html.encode("utf-8"))),
    ], preamble=b"This is a multi-part message in MIME format.\n")
    case("026-multipart-alternative", message([
        ("From", "abe@example.com"),
        ("To", SUPPORT),
        ("Subject", ew("監視閾値の変更")),
        ("Date", "Mon, 18 Mar 2024 10:00:00 +0900"),
        ("Message-ID", "<alt-026@example.com>"),
        MIME, ("Content-Type", 'multipart/alternative; boundary="alt-026"'),
    ], body), {
        "subject": "監視閾値の変更", "text": plain,
        "text_not_contains": ["HTML-PART", "<p>", "multi-part message"],
        "attachments": [], "defects": False,
    })

    # ---- 027 multipart/alternative with the HTML part first
    plain = "PLAIN-PART: Please add port 8443 to the HTTPS monitor.\n"
    html = ("<html><body><p>HTML-PART: Please add port 8443 to the HTTPS "
            "monitor.</p></body></html>\n")
    body = multipart("alt-027", [
        part([("Content-Type", "text/html; charset=us-ascii")], html),
        part([ctype("us-ascii")], plain),
    ])
    case("027-multipart-alternative-html-first", message([
        ("From", "ops@example.com"),
        ("To", SUPPORT),
        ("Subject", "HTTPS monitor port"),
        ("Date", "Mon, 18 Mar 2024 10:05:00 +0900"),
        ("Message-ID", "<alt-027@example.com>"),
        MIME, ("Content-Type", 'multipart/alternative; boundary="alt-027"'),
    ], body), {
        "subject": "HTTPS monitor port", "text": plain,
        "text_not_contains": ["HTML-PART", "<p>"],
        "attachments": [],
    })

    # ---- 028 nested multiparts: mixed > alternative > related, attachment
    plain = ("ネストされたメールの本文です。\n"
             "月次レポートを添付します。\n")
    html = ("<html><body><p>ネストされたメールの本文です。</p>"
            "<img src=\"cid:logo-028@example.com\"></body></html>")
    logo = png_bytes(8, 8, "028")
    pdf = pdf_bytes(4096, "028")
    related = multipart("rel-028", [
        part([("Content-Type", "text/html; charset=UTF-8"),
              ("Content-Transfer-Encoding", "quoted-printable")],
             qp(html.encode("utf-8"))),
        part([("Content-Type", 'image/png; name="logo.png"'),
              ("Content-ID", "<logo-028@example.com>"),
              ("Content-Disposition", 'inline; filename="logo.png"'),
              ("Content-Transfer-Encoding", "base64")], b64(logo)),
    ])
    alt = multipart("alt-028", [
        part([ctype("UTF-8"), ("Content-Transfer-Encoding",
                               "quoted-printable")],
             qp(plain.encode("utf-8"))),
        part([("Content-Type", 'multipart/related; boundary="rel-028"; '
               'type="text/html"')], related),
    ])
    body = multipart("mix-028", [
        part([("Content-Type", 'multipart/alternative; boundary="alt-028"')],
             alt),
        part([("Content-Type", 'application/pdf; name="report-2024-03.pdf"'),
              ("Content-Disposition",
               'attachment; filename="report-2024-03.pdf"'),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)),
    ])
    case("028-nested-multiparts", message([
        ("From", "report@example.com"),
        ("To", SUPPORT),
        ("Subject", ew("月次レポート")),
        ("Date", "Tue, 19 Mar 2024 09:00:00 +0900"),
        ("Message-ID", "<nested-028@example.com>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="mix-028"'),
    ], body), {
        "subject": "月次レポート", "text": plain,
        "text_not_contains": ["<p>", "<img"],
        "attachments_include": [
            {"filename": "report-2024-03.pdf", "size": len(pdf),
             "content_type": "application/pdf"}],
        "defects": False,
    })

    # ---- 029 forwarded message/rfc822 (no file name)
    inner = message([
        ("From", "alert@monitor.example.com"),
        ("To", "admin@example.co.jp"),
        ("Subject", "[ALERT] disk usage 95% on db01"),
        ("Date", "Tue, 19 Mar 2024 03:00:00 +0900"),
        ("Message-ID", "<alert-029-inner@monitor.example.com>"),
        MIME, ctype("us-ascii"),
    ], "INNER-ONLY text: disk usage on db01.example.co.jp is 95%.\n")
    outer = ("以下の監視メールを転送いたします。\n"
             "原因の調査をお願いできますでしょうか。\n")
    body = multipart("fwd-029", [
        part([ctype("ISO-2022-JP"), ("Content-Transfer-Encoding", "7bit")],
             encode_text(outer, "ISO-2022-JP")),
        part([("Content-Type", "message/rfc822"),
              ("Content-Transfer-Encoding", "7bit")], inner),
    ])
    case("029-forwarded-rfc822", message([
        ("From", "admin@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", "Fw: [ALERT] disk usage 95% on db01"),
        ("Date", "Tue, 19 Mar 2024 09:10:00 +0900"),
        ("Message-ID", "<fwd-029@example.co.jp>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="fwd-029"'),
    ], body), {
        "subject": "Fw: [ALERT] disk usage 95% on db01", "text": outer,
        "text_not_contains": ["INNER-ONLY"],
        "from": ["admin@example.co.jp"],
        "message_id": "fwd-029@example.co.jp",
        "attachments": [{"content_type": "message/rfc822"}],
        "defects": False,
    })

    # ---- 030 attachments: PDF-ish binary and a PNG image
    pdf = pdf_bytes(3000, "030")
    png = png_bytes(16, 16, "030")
    text = ("請求書と画面のスクリーンショットを添付いたします。\n")
    body = multipart("att-030", [
        part([ctype("UTF-8"), ("Content-Transfer-Encoding", "base64")],
             b64(text.encode("utf-8"))),
        part([("Content-Type", 'application/pdf; name="invoice-0314.pdf"'),
              ("Content-Disposition",
               'attachment; filename="invoice-0314.pdf"'),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)),
        part([("Content-Type", 'image/png; name="screenshot.png"'),
              ("Content-Disposition",
               'attachment; filename="screenshot.png"'),
              ("Content-Transfer-Encoding", "base64")], b64(png)),
    ])
    case("030-attachments-pdf-image", message([
        ("From", "keiri@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("請求書について")),
        ("Date", "Wed, 20 Mar 2024 15:00:00 +0900"),
        ("Message-ID", "<att-030@example.co.jp>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="att-030"'),
    ], body), {
        "subject": "請求書について", "text": text,
        "attachments": [
            {"filename": "invoice-0314.pdf", "size": len(pdf),
             "content_type": "application/pdf"},
            {"filename": "screenshot.png", "size": len(png),
             "content_type": "image/png"},
        ],
        "defects": False,
    })

    # ---- 031 CRLF line endings throughout
    text = ("サポートご担当者様\n\n"
            "CRLFの改行で送られたメールです。\n"
            "Line three.\n")
    pdf = pdf_bytes(700, "031")
    body = multipart("crlf-031", [
        part([ctype("ISO-2022-JP"), ("Content-Transfer-Encoding", "7bit")],
             encode_text(text, "ISO-2022-JP")),
        part([("Content-Type", 'application/octet-stream; name="a.bin"'),
              ("Content-Disposition", 'attachment; filename="a.bin"'),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)),
    ])
    case("031-crlf-line-endings", message([
        ("From", "win@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("改行コードの確認", "ISO-2022-JP")),
        ("Date", "Wed, 20 Mar 2024 16:00:00 +0900"),
        ("Message-ID", "<crlf-031@example.co.jp>"),
        MIME, ("Content-Type", 'multipart/mixed;\n boundary="crlf-031"'),
    ], body, crlf=True), {
        "subject": "改行コードの確認", "text": text,
        "text_not_contains": ["\r"],
        "from": ["win@example.co.jp"],
        "attachments": [{"filename": "a.bin", "size": len(pdf)}],
        "defects": False,
    })

    # ---- 032 bad base64: characters outside the alphabet, cut-off end
    first = "この部分は正しくデコードされるはずです。\nThe first part decodes.\n"
    second = "後半も読めるはずです。\nSecond part.\n"
    fb = first.encode("utf-8")
    sb = second.encode("utf-8")
    fb += b" " * (-len(fb) % 3)
    sb += b" " * (-len(sb) % 3)
    body = (b64(fb) + b"!!!! %%%% ####\n" + b64(sb).replace(b"\n", b"*\n")
            + b"SGk\n")
    case("032-bad-base64", message([
        ("From", "broken@example.com"),
        ("To", SUPPORT),
        ("Subject", "Bad base64 body"),
        ("Date", "Thu, 21 Mar 2024 09:00:00 +0900"),
        ("Message-ID", "<badb64-032@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "base64"),
    ], body), {
        "subject": "Bad base64 body",
        "text_contains": ["この部分は正しくデコードされるはずです。",
                          "The first part decodes.", "後半も読めるはずです。",
                          "Second part."],
        "defects": True,
    })

    # ---- 033 missing closing boundary (cut inside an attachment)
    text = "添付ファイルの途中で切れたメールです。\n本文は読めるはずです。\n"
    pdf = pdf_bytes(3000, "033")
    body = multipart("cut-033", [
        part([ctype("UTF-8"), ("Content-Transfer-Encoding", "8bit")],
             text.encode("utf-8")),
        part([("Content-Type", 'application/pdf; name="cut.pdf"'),
              ("Content-Disposition", 'attachment; filename="cut.pdf"'),
              ("Content-Transfer-Encoding", "base64")], b64(pdf)[:1200]),
    ], close=False)
    case("033-missing-closing-boundary", message([
        ("From", "cut@example.com"),
        ("To", SUPPORT),
        ("Subject", ew("途中で切れたメール")),
        ("Date", "Thu, 21 Mar 2024 09:30:00 +0900"),
        ("Message-ID", "<cut-033@example.com>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="cut-033"'),
    ], body), {
        "subject": "途中で切れたメール", "text": text,
        "attachments_include": [{"filename": "cut.pdf"}],
        "defects": True,
    })

    # ---- 034 boundary declared but never present
    text = ("Please reboot web01.example.jp tonight.\n"
            "今夜web01の再起動をお願いします。\n")
    case("034-boundary-never-present", message([
        ("From", "noboundary@example.com"),
        ("To", SUPPORT),
        ("Subject", "Reboot tonight"),
        ("Date", "Thu, 21 Mar 2024 10:00:00 +0900"),
        ("Message-ID", "<nobound-034@example.com>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="=_never_here_034"'),
    ], text.encode("utf-8")), {
        "subject": "Reboot tonight",
        "text_contains": ["Please reboot web01.example.jp tonight.",
                          "今夜web01の再起動をお願いします。"],
        "defects": True,
    })

    # ---- 035 NUL bytes in the body
    body = ("Line before the NUL byte.\nbefore".encode("ascii") + b"\x00"
            + b"after\n" + b"\x00\x00" + "Line after the NUL byte.\n"
            "最後の行です。\n".encode("utf-8"))
    case("035-nul-bytes", message([
        ("From", "nul@example.com"),
        ("To", SUPPORT),
        ("Subject", "NUL bytes inside"),
        ("Date", "Thu, 21 Mar 2024 11:00:00 +0900"),
        ("Message-ID", "<nul-035@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], body), {
        "subject": "NUL bytes inside",
        "text_contains": ["Line before the NUL byte.", "before", "after",
                          "Line after the NUL byte.", "最後の行です。"],
        "text_not_contains": ["\x00"],
        "defects": True,
    })

    # ---- 036 unknown charset (UTF-8 bytes under an unknown label)
    text = ("Unknown charset label, ASCII part.\n"
            "未知の文字コード名ですが中身はUTF-8です。\n")
    case("036-unknown-charset", message([
        ("From", "odd@example.com"),
        ("To", SUPPORT),
        ("Subject", "Unknown charset"),
        ("Date", "Thu, 21 Mar 2024 12:00:00 +0900"),
        ("Message-ID", "<unknown-cs-036@example.com>"),
        MIME, ctype('"x-unknown-foo"'),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": "Unknown charset",
        "text_contains": ["Unknown charset label, ASCII part.",
                          "未知の文字コード名ですが中身はUTF-8です。"],
        "defects": True,
    })

    # ---- 037 invalid bytes for the declared charset (UTF-8)
    body = ("前半の文章です。".encode("utf-8") + b"\xff\xfe"
            + "後半の文章です。".encode("utf-8") + b"\xe3\x81\n"
            + "End of message.\n".encode("ascii"))
    case("037-invalid-utf8-bytes", message([
        ("From", "bad@example.com"),
        ("To", SUPPORT),
        ("Subject", "Invalid UTF-8"),
        ("Date", "Thu, 21 Mar 2024 13:00:00 +0900"),
        ("Message-ID", "<bad-utf8-037@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], body), {
        "subject": "Invalid UTF-8",
        "text_contains": ["前半の文章です。", "後半の文章です。",
                          "End of message."],
        "defects": True,
    })

    # ---- 038 invalid ISO-2022-JP (odd byte in a JIS run, 8-bit byte)
    good1 = "一行目は正常です。"
    good3 = "三行目も正常です。"
    body = (jis(good1) + b"\n" + b"\x1b$B" + jis_pair("壊") + b"\x30"
            + b"\x1b(B" + b" broken \xa4\xa2 line\n" + jis(good3) + b"\n")
    case("038-invalid-iso2022jp", message([
        ("From", "bad@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("文字化け", "ISO-2022-JP")),
        ("Date", "Thu, 21 Mar 2024 14:00:00 +0900"),
        ("Message-ID", "<bad-jis-038@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], body), {
        "subject": "文字化け",
        "text_contains": [good1, good3, "line"],
        "text_not_contains": ["\x1b"],
        "defects": True,
    })

    # ---- 039 2000 nested multiparts after a normal text part
    depth = 2000
    inner = part([ctype("us-ascii")], "DEEP-TEXT at the bottom.\n")
    for level in range(depth, 0, -1):
        b = "n%04d" % level
        inner = part([("Content-Type", 'multipart/mixed; boundary="%s"' % b)],
                     multipart(b, [inner]))
    outer_text = "Outer text before a very deep structure.\n"
    body = multipart("top-039", [
        part([ctype("us-ascii")], outer_text),
        inner,
    ])
    case("039-nested-2000", message([
        ("From", "deep@example.com"),
        ("To", SUPPORT),
        ("Subject", "Deeply nested"),
        ("Date", "Thu, 21 Mar 2024 15:00:00 +0900"),
        ("Message-ID", "<deep-039@example.com>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="top-039"'),
    ], body), {
        "subject": "Deeply nested",
        "text_contains": ["Outer text before a very deep structure."],
        "from": ["deep@example.com"],
        "defects": True,
    })

    # ---- 040 no Message-ID
    text = "Message without a Message-ID header.\n"
    case("040-no-message-id", message([
        ("From", "nomid@example.com"),
        ("To", SUPPORT),
        ("Subject", "No Message-ID"),
        ("Date", "Fri, 22 Mar 2024 09:00:00 +0900"),
        MIME, ctype("us-ascii"),
    ], text), {
        "subject": "No Message-ID", "text": text,
        "from": ["nomid@example.com"], "message_id": None,
    })

    # ---- 041 no Date
    text = "Message without a Date header.\n"
    case("041-no-date", message([
        ("From", "nodate@example.com"),
        ("To", SUPPORT),
        ("Subject", "No Date"),
        ("Message-ID", "<nodate-041@example.com>"),
        MIME, ctype("us-ascii"),
    ], text), {
        "subject": "No Date", "text": text,
        "from": ["nodate@example.com"],
        "message_id": "nodate-041@example.com",
    })

    # ---- 042 no From
    text = "差出人のないメールです。\n"
    case("042-no-from", message([
        ("To", SUPPORT),
        ("Subject", ew("差出人なし")),
        ("Date", "Fri, 22 Mar 2024 09:10:00 +0900"),
        ("Message-ID", "<nofrom-042@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": "差出人なし", "text": text, "from": [],
    })

    # ---- 043 empty body
    case("043-empty-body", message([
        ("From", "empty@example.com"),
        ("To", SUPPORT),
        ("Subject", "Empty body"),
        ("Date", "Fri, 22 Mar 2024 09:20:00 +0900"),
        ("Message-ID", "<empty-043@example.com>"),
        MIME, ctype("us-ascii"),
    ], ""), {
        "subject": "Empty body", "text": "",
        "from": ["empty@example.com"], "attachments": [],
        "defects": False,
    })

    # ---- 044 headers only: no blank line, no body, no Subject
    case("044-headers-only-no-subject", message([
        ("From", "headers@example.com"),
        ("To", SUPPORT),
        ("Date", "Fri, 22 Mar 2024 09:30:00 +0900"),
        ("Message-ID", "<headers-044@example.com>"),
    ], None), {
        "subject": "", "text": "", "from": ["headers@example.com"],
        "attachments": [],
    })

    # ---- 045 a very long line (60 000 bytes, no break)
    line = "START " + "長い行のテストです。" * 2000 + " END-OF-LONG-LINE"
    text = "First line.\n" + line + "\nLast line.\n"
    case("045-very-long-line", message([
        ("From", "long@example.com"),
        ("To", SUPPORT),
        ("Subject", "Very long line"),
        ("Date", "Fri, 22 Mar 2024 10:00:00 +0900"),
        ("Message-ID", "<longline-045@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": "Very long line", "text": text,
    })

    # ---- 046 a very long unfolded subject line
    subject = "Server list: " + " ".join("web%03d.example.jp" % i
                                         for i in range(1, 101))
    text = "See the subject.\n"
    case("046-long-subject-line", message([
        ("From", "long@example.com"),
        ("To", SUPPORT),
        ("Subject", subject),
        ("Date", "Fri, 22 Mar 2024 10:10:00 +0900"),
        ("Message-ID", "<longsubj-046@example.com>"),
        MIME, ctype("us-ascii"),
    ], text), {
        "subject": subject, "text": text,
    })

    # ---- 047 Outlook: alternative, ISO-2022-JP plain, QP HTML, CRLF
    subject = "RE: リブート代行のお願い"
    plain = ("サポートセンター　ご担当者様\n\n"
             "お世話になっております。\n"
             "株式会社サンプル商事の髙橋でございます。\n\n"
             "先ほどお電話いたしました件、web01.example.jp の\n"
             "リブートを本日十五時に実施していただけますでしょうか。\n\n"
             "以上、よろしくお願いいたします。\n\n"
             "髙橋 誠\n")
    html_src = ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
                "<head><meta http-equiv=Content-Type content=\"text/html; "
                "charset=iso-2022-jp\"><style><!-- p.MsoNormal {margin:0mm;} "
                "--></style></head><body lang=JA><div class=WordSection1>"
                "<p class=MsoNormal>OUTLOOK-HTML リブートのお願い</p>"
                "</div></body></html>\n")
    html = jis(html_src)
    body = multipart("----=_NextPart_000_0047_01DA7B2C.5E6F7080", [
        part([("Content-Type", 'text/plain;\n\tcharset="iso-2022-jp"'),
              ("Content-Transfer-Encoding", "7bit")],
             encode_text(plain, "ISO-2022-JP")),
        part([("Content-Type", 'text/html;\n\tcharset="iso-2022-jp"'),
              ("Content-Transfer-Encoding", "quoted-printable")], qp(html)),
    ], preamble=b"This is a multipart message in MIME format.\n\n")
    case("047-outlook", message([
        ("Received", "from mail.example.co.jp (mail.example.co.jp "
         "[192.0.2.10])\n\tby mx.example.jp (Postfix) with ESMTPS id "
         "4TzK1x0QbSz1xyz\n\tfor <support@example.jp>; "
         "Mon, 25 Mar 2024 10:15:24 +0900 (JST)"),
        ("From", addr("髙橋 誠", "makoto.takahashi@example.co.jp",
                      "iso-2022-jp")),
        ("To", "<support@example.jp>"),
        ("Subject", ew(subject, "iso-2022-jp")),
        ("Date", "Mon, 25 Mar 2024 10:15:22 +0900"),
        ("Message-ID", "<000001da7b2c$5e6f7080$1b4e5190$@example.co.jp>"),
        MIME,
        ("Content-Type", 'multipart/alternative;\n\tboundary='
         '"----=_NextPart_000_0047_01DA7B2C.5E6F7080"'),
        ("X-Mailer", "Microsoft Outlook 16.0"),
        ("Thread-Index", "AdpuD4m8mJ1p7GZkT2ad1Wl6Xn0vFQ=="),
        ("Content-Language", "ja"),
    ], body, crlf=True), {
        "subject": subject, "text": plain,
        "text_not_contains": ["OUTLOOK-HTML", "\r"],
        "from": ["makoto.takahashi@example.co.jp"],
        "from_names": ["髙橋 誠"], "to": [SUPPORT],
        "message_id": "000001da7b2c$5e6f7080$1b4e5190$@example.co.jp",
        "attachments": [], "defects": False,
    })

    # ---- 048 Becky!: ISO-2022-JP single part
    subject = "OSクリーンインストールについて"
    text = ("サポート担当者様\n\n"
            "いつもお世話になっております。\n"
            "有限会社テスト工房の佐藤です。\n\n"
            "web03.example.jp のOSクリーンインストールを検討しております。\n"
            "作業に必要な期間と、事前に準備すべきことをご教示ください。\n\n"
            "よろしくお願いいたします。\n\n"
            "--\n"
            "有限会社テスト工房\n"
            "佐藤 花子 <hanako@example.ne.jp>\n")
    case("048-becky", message([
        ("Date", "Tue, 26 Mar 2024 09:41:07 +0900"),
        ("From", addr("佐藤 花子", "hanako@example.ne.jp")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "ISO-2022-JP")),
        ("Message-Id", "<20240326094107.6F2A.A1B2C3D4@example.ne.jp>"),
        MIME, ("Content-Type", 'text/plain; charset="ISO-2022-JP"'),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.04 [ja]"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["hanako@example.ne.jp"], "from_names": ["佐藤 花子"],
        "message_id": "20240326094107.6F2A.A1B2C3D4@example.ne.jp",
        "attachments": [], "defects": False,
    })

    # ---- 049 Thunderbird: UTF-8, format=flowed, 8bit
    subject = "サービス監視の設定変更"
    wire = ("サポートご担当者様\n\n"
            "お世話になっております。鈴木です。\n\n"
            "We would like to change the HTTP check of www.example.com \n"
            "from port 80 to port 443 starting next Monday.\n\n"
            "よろしくお願いいたします。\n")
    text = ("サポートご担当者様\n\n"
            "お世話になっております。鈴木です。\n\n"
            "We would like to change the HTTP check of www.example.com "
            "from port 80 to port 443 starting next Monday.\n\n"
            "よろしくお願いいたします。\n")
    case("049-thunderbird", message([
        ("Message-ID", "<5f0c1e2a-7b3d-4c1e-9a8f-2d6b1c0e9f11@example.com>"),
        ("Date", "Wed, 27 Mar 2024 14:02:33 +0900"),
        MIME,
        ("User-Agent", "Mozilla Thunderbird"),
        ("Content-Language", "ja"),
        ("To", SUPPORT),
        ("From", addr("鈴木 健二", "kenji.suzuki@example.com", "UTF-8")),
        ("Subject", ew(subject)),
        ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
        ("Content-Transfer-Encoding", "8bit"),
    ], wire.encode("utf-8")), {
        "subject": subject, "text": text,
        "from": ["kenji.suzuki@example.com"], "from_names": ["鈴木 健二"],
        "attachments": [], "defects": False,
    })

    # ---- 050 iPhone: UTF-8 base64, Mime-Version with comment
    subject = "緊急：サイトが表示されません"
    text = ("お世話になります。\n"
            "先ほどから当社サイトが表示されなくなりました。\n"
            "至急ご確認いただけますでしょうか。\n\n"
            "iPhoneから送信\n")
    case("050-iphone", message([
        ("Content-Type", "text/plain;\n\tcharset=utf-8"),
        ("Content-Transfer-Encoding", "base64"),
        ("From", addr("田中 美咲", "misaki.tanaka@example.com", "utf-8")),
        ("Mime-Version", "1.0 (1.0)"),
        ("Date", "Thu, 28 Mar 2024 21:13:45 +0900"),
        ("Subject", ew(subject, "utf-8")),
        ("Message-Id", "<3E9C5B7A-1D2F-4A6B-8C0E-5F7A9B1C2D3E@example.com>"),
        ("To", SUPPORT),
        ("X-Mailer", "iPhone Mail (21D61)"),
    ], b64(text.encode("utf-8"))), {
        "subject": subject, "text": text,
        "from": ["misaki.tanaka@example.com"], "from_names": ["田中 美咲"],
        "message_id": "3E9C5B7A-1D2F-4A6B-8C0E-5F7A9B1C2D3E@example.com",
        "attachments": [], "defects": False,
    })

    # ---- 051 Gmail-like: alternative, both parts base64
    subject = "WordPressのプラグインについて"
    plain = ("サポートご担当者様\n\n"
             "WordPressのプラグインを更新したところ、管理画面に入れなくなりました。\n"
             "対処方法を教えていただけますか。\n")
    html = ("<div dir=\"ltr\"><div>サポートご担当者様</div><div><br></div>"
            "<div>GMAIL-HTML WordPressのプラグインを更新したところ、"
            "管理画面に入れなくなりました。</div></div>\n")
    body = multipart("0000000000007a3b4c0613a1b2c3", [
        part([("Content-Type", 'text/plain; charset="UTF-8"'),
              ("Content-Transfer-Encoding", "base64")],
             b64(plain.encode("utf-8"))),
        part([("Content-Type", 'text/html; charset="UTF-8"'),
              ("Content-Transfer-Encoding", "base64")],
             b64(html.encode("utf-8"))),
    ])
    mid = "CAKx3p+9R2vN0d1e8JqQ1mZr6sV7wY4uT5hF2gL3kP0aB9cD8eE@mail.example.com"
    case("051-gmail", message([
        MIME,
        ("From", addr("Aoki Shun", "shun.aoki@example.com")),
        ("Date", "Fri, 29 Mar 2024 11:20:05 +0900"),
        ("Message-ID", "<%s>" % mid),
        ("Subject", ew(subject)),
        ("To", SUPPORT),
        ("Content-Type",
         'multipart/alternative; boundary="0000000000007a3b4c0613a1b2c3"'),
    ], body), {
        "subject": subject, "text": plain,
        "text_not_contains": ["GMAIL-HTML", "<div"],
        "from": ["shun.aoki@example.com"], "from_names": ["Aoki Shun"],
        "message_id": mid, "attachments": [], "defects": False,
    })

    # ---- 052-054 realistic Japanese requests in keigo
    subject = "【リブート代行依頼】web01.example.jp"
    text = ("株式会社エグザンプル・ホスティング\n"
            "テクニカルサポート御中\n\n"
            "いつも大変お世話になっております。\n"
            "株式会社サンプル商事 情報システム部の田中でございます。\n\n"
            "弊社で契約しております専用サーバー（契約ID：C-10001）につきまして、\n"
            "リブート代行をお願いしたくご連絡いたしました。\n\n"
            "対象サーバー：web01.example.jp\n"
            "希望日時：本日十九時以降\n"
            "理由：Webサーバーのプロセスが応答しなくなっているため\n\n"
            "お手数をおかけいたしますが、ご対応のほど何卒よろしくお願い申し上げます。\n\n"
            "株式会社サンプル商事 情報システム部\n"
            "田中 一郎\n")
    case("052-keigo-reboot-request", message([
        ("From", addr("田中 一郎", "tanaka@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "ISO-2022-JP")),
        ("Date", "Mon, 01 Apr 2024 10:02:11 +0900"),
        ("Message-ID", "<20240401100211.5A3C.TANAKA@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.04 [ja]"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "from": ["tanaka@example.co.jp"], "from_names": ["田中 一郎"],
        "defects": False,
    })

    subject = "rootパスワード初期化のお願い"
    text = ("テクニカルサポート ご担当者様\n\n"
            "平素より大変お世話になっております。\n"
            "合同会社ミライ・ウェブの小川と申します。\n\n"
            "誠に恐れ入りますが、担当者の退職に伴い、\n"
            "下記サーバーのrootパスワードが分からなくなってしまいました。\n"
            "パスワード初期化代行をお願いできますでしょうか。\n\n"
            "契約ID：C-10002\n"
            "対象サーバー：app02.example.com\n\n"
            "本人確認のためのお電話は、登録済みの緊急連絡先にいただけますと幸いです。\n"
            "ご多忙のところ恐縮ですが、よろしくお願いいたします。\n\n"
            "小川 真由美\n")
    case("053-keigo-password-reset", message([
        ("From", addr("小川 真由美", "ogawa@example.com", "UTF-8")),
        ("To", SUPPORT),
        ("Subject", ew(subject)),
        ("Date", "Tue, 02 Apr 2024 14:30:00 +0900"),
        ("Message-ID", "<pwreset-053@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "base64"),
    ], b64(text.encode("utf-8"))), {
        "subject": subject, "text": text,
        "from": ["ogawa@example.com"], "from_names": ["小川 真由美"],
        "defects": False,
    })

    subject = "サービス監視の設定変更のお願い（HTTP監視URL変更）"
    text = ("テクニカルサポート御中\n\n"
            "いつもお世話になっております。\n"
            "株式会社サンプル商事の田中でございます。\n\n"
            "サイトのリニューアルに伴い、サービス監視の設定変更をお願いいたします。\n\n"
            "契約ID：C-10001\n"
            "対象サーバー：web01.example.jp\n"
            "変更内容：HTTP監視のURLを下記のとおり変更\n"
            "　変更前：http://www.example.co.jp/\n"
            "　変更後：https://www.example.co.jp/health\n"
            "変更希望日：四月八日（月）\n\n"
            "ご確認のほど、よろしくお願い申し上げます。\n")
    case("054-keigo-monitoring-change", message([
        ("From", addr("田中 一郎", "tanaka@example.co.jp", "Shift_JIS")),
        ("To", SUPPORT),
        ("Subject", ew(subject, "Shift_JIS")),
        ("Date", "Wed, 03 Apr 2024 09:50:00 +0900"),
        ("Message-ID", "<monchg-054@example.co.jp>"),
        MIME, ctype("Shift_JIS"),
        ("Content-Transfer-Encoding", "8bit"),
    ], sjis(text), crlf=True), {
        "subject": subject, "text": text,
        "from": ["tanaka@example.co.jp"], "from_names": ["田中 一郎"],
        "text_not_contains": ["\r"],
        "defects": False,
    })

    # ---- 055 a text/plain attachment after the body
    text = "エラーログを添付しますので、ご確認ください。\n"
    log = ("[error] 2024/04/03 10:00:00 upstream timed out LOG-ONLY\n"
           * 30).encode("ascii")
    body = multipart("log-055", [
        part([ctype("UTF-8"), ("Content-Transfer-Encoding", "8bit")],
             text.encode("utf-8")),
        part([("Content-Type", 'text/plain; charset=us-ascii; '
               'name="error.log"'),
              ("Content-Disposition", 'attachment; filename="error.log"')],
             log),
    ])
    case("055-text-attachment", message([
        ("From", "ops@example.com"),
        ("To", SUPPORT),
        ("Subject", "error log"),
        ("Date", "Wed, 03 Apr 2024 10:05:00 +0900"),
        ("Message-ID", "<log-055@example.com>"),
        MIME, ("Content-Type", 'multipart/mixed; boundary="log-055"'),
    ], body), {
        "subject": "error log", "text": text,
        "text_not_contains": ["LOG-ONLY"],
        "attachments": [{"filename": "error.log", "size": len(log)}],
        "defects": False,
    })

    # ---- 056 address lists: encoded names, several To, Cc with a comma
    text = "宛先の確認用メールです。\n"
    case("056-address-lists", message([
        ("From", addr("佐藤 花子", "hanako.sato@example.co.jp")),
        ("To", 'support@example.jp, "Tech Team" <tech@example.jp>'),
        ("Cc", addr("鈴木 一郎", "ichiro.suzuki@example.co.jp", "UTF-8")
         + ',\n "Yamada, Taro" <taro@example.com>'),
        ("Reply-To", "hanako.sato@example.co.jp"),
        ("Subject", ew("宛先の確認", "ISO-2022-JP")),
        ("Date", "Thu, 04 Apr 2024 09:00:00 +0900"),
        ("Message-ID", "<addr-056@example.co.jp>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], text.encode("utf-8")), {
        "subject": "宛先の確認", "text": text,
        "from": ["hanako.sato@example.co.jp"], "from_names": ["佐藤 花子"],
        "to": ["support@example.jp", "tech@example.jp"],
        "cc": ["ichiro.suzuki@example.co.jp", "taro@example.com"],
        "defects": False,
    })

    # ---- 057 a reply: In-Reply-To, References, quoted text, tagged subject
    subject = "Re: [SUP#1042] 再起動のお願い"
    text = ("ご対応ありがとうございました。\n"
            "無事に再起動が完了したことを確認いたしました。\n\n"
            "> 本日十九時にweb01の再起動を実施いたしました。\n"
            "> ご確認をお願いいたします。\n")
    case("057-reply-threading", message([
        ("From", addr("田中 一郎", "tanaka@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", "Re: [SUP#1042] " + ew("再起動のお願い", "ISO-2022-JP")),
        ("Date", "Mon, 01 Apr 2024 19:30:00 +0900"),
        ("Message-ID", "<reply-057@example.co.jp>"),
        ("In-Reply-To", "<ticket-1042.2@support.example.jp>"),
        ("References", "<20240401100211.5A3C.TANAKA@example.co.jp>\n "
         "<ticket-1042.2@support.example.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], encode_text(text, "ISO-2022-JP")), {
        "subject": subject, "text": text,
        "message_id": "reply-057@example.co.jp",
        "in_reply_to": "ticket-1042.2@support.example.jp",
        "references": ["20240401100211.5A3C.TANAKA@example.co.jp",
                       "ticket-1042.2@support.example.jp"],
        "defects": False,
    })

    # ---- 058 Shift_JIS base64 with IBM codes (0xFA..) and half-width kana
    subject = "㈱髙島屋ｼｽﾃﾑ 作業依頼"
    text = ("㈱髙島屋ｼｽﾃﾑの﨑田です。\n"
            "ｻｰﾊﾞｰ①と②の再起動をお願いします。\n"
            "ⅰ）web01 ⅱ）web02\n")
    body = sjis(text, ibm=True)
    assert b"\xfb\xfc" in body          # 髙 at its IBM code, as Windows
    case("058-shift-jis-ibm-halfwidth", message([
        ("From", "sakita@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew_bytes(sjis(subject, ibm=True), "Shift_JIS")),
        ("Date", "Thu, 04 Apr 2024 10:00:00 +0900"),
        ("Message-ID", "<sjis-ibm-058@example.co.jp>"),
        MIME, ctype("shift_jis"),
        ("Content-Transfer-Encoding", "base64"),
    ], b64(body)), {
        "subject": subject, "text": text,
        "text_contains": ["ｻｰﾊﾞｰ", "髙", "﨑", "ⅰ"],
        "text_not_contains": ["\ufffd"],
    })

    # ---- 059 lower-case encoded words, a word inside a comment-free phrase
    subject = "テスト subject 日本語"
    case("059-lowercase-encoded-words", message([
        ("From", "=?utf-8?b?%s?= <lower@example.com>"
         % base64.b64encode("小文字".encode("utf-8")).decode()),
        ("To", SUPPORT),
        ("Subject", "=?utf-8?b?%s?= subject =?iso-2022-jp?b?%s?="
         % (base64.b64encode("テスト".encode("utf-8")).decode(),
            base64.b64encode(jis("日本語")).decode())),
        ("Date", "Thu, 04 Apr 2024 11:00:00 +0900"),
        ("Message-ID", "<lower-059@example.com>"),
        MIME, ctype("utf-8"),
    ], "lower case\n"), {
        "subject": subject, "text": "lower case",
        "from": ["lower@example.com"], "from_names": ["小文字"],
    })

    # ---- 060 HTML only, ISO-2022-JP, quoted-printable (Outlook HTML mail)
    html_src = ("<html><head><meta http-equiv=\"Content-Type\" content=\""
                "text/html; charset=iso-2022-jp\"></head><body>"
                "<p>監視除外設定のお願い</p>"
                "<p>メンテナンスのため、明日の二時から四時まで<br>"
                "db01.example.co.jp を監視対象から除外してください。</p>"
                "</body></html>\n")
    case("060-html-only-iso2022jp", message([
        ("From", "dba@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("監視除外", "ISO-2022-JP")),
        ("Date", "Fri, 05 Apr 2024 17:00:00 +0900"),
        ("Message-ID", "<html-jis-060@example.co.jp>"),
        MIME, ("Content-Type", 'text/html; charset="iso-2022-jp"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ], qp(jis(html_src))), {
        "subject": "監視除外",
        "text_contains": ["監視除外設定のお願い",
                          "メンテナンスのため、明日の二時から四時まで",
                          "db01.example.co.jp を監視対象から除外してください。"],
        "text_regex": ["四時まで[ \t]*\n[ \t\n]*db01"],
        "text_not_contains": ["<p", "<br", "\x1b", "=1B"],
    })

    # ---- 061 format=flowed; delsp=yes in ISO-2022-JP
    lines = ["サポートご担当者様",
             "",
             "ISO-2022-JPで送られたフローテキストです。プロセス",
             "再起動の設定を変更したく、ご連絡いたしました。",
             "",
             "よろしくお願いします。"]
    wire = b""
    for i, ln in enumerate(lines):
        wire += jis(ln)
        if i == 2:
            wire += b" "
        wire += b"\n"
    text = ("サポートご担当者様\n\n"
            "ISO-2022-JPで送られたフローテキストです。プロセス"
            "再起動の設定を変更したく、ご連絡いたしました。\n\n"
            "よろしくお願いします。\n")
    case("061-format-flowed-delsp-iso2022jp", message([
        ("From", "flow@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", ew("再起動設定の変更", "ISO-2022-JP")),
        ("Date", "Fri, 05 Apr 2024 18:00:00 +0900"),
        ("Message-ID", "<flow-jis-061@example.co.jp>"),
        MIME, ctype("ISO-2022-JP", "; format=flowed; delsp=yes"),
        ("Content-Transfer-Encoding", "7bit"),
    ], wire), {
        "subject": "再起動設定の変更", "text": text,
        "text_not_contains": ["プロセス 再起動"],
    })

    # ---- 062 forwarded as attachment with a file name (Thunderbird)
    inner = message([
        ("From", "customer@example.net"),
        ("To", "sales@example.co.jp"),
        ("Subject", ew("見積もり依頼")),
        ("Date", "Fri, 05 Apr 2024 08:00:00 +0900"),
        ("Message-ID", "<inner-062@example.net>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], "INNER-ONLY 見積もりをお願いします。\n".encode("utf-8"))
    outer = "Forwarding the original message as an attachment.\n"
    body = multipart("------------fwd062", [
        part([ctype("UTF-8", "; format=flowed"),
              ("Content-Transfer-Encoding", "7bit")], outer),
        part([("Content-Type", 'message/rfc822; name="original.eml"'),
              ("Content-Disposition", 'attachment; filename="original.eml"')],
             inner),
    ])
    case("062-forwarded-rfc822-named", message([
        ("From", "sales@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", "Fwd: " + ew("見積もり依頼")),
        ("Date", "Fri, 05 Apr 2024 09:00:00 +0900"),
        ("Message-ID", "<fwd-062@example.co.jp>"),
        MIME, ("User-Agent", "Mozilla Thunderbird"),
        ("Content-Type", 'multipart/mixed; boundary="------------fwd062"'),
    ], body), {
        "subject": "Fwd: 見積もり依頼", "text": outer,
        "text_not_contains": ["INNER-ONLY"],
        "attachments": [{"filename": "original.eml",
                         "content_type": "message/rfc822"}],
        "defects": False,
    })

    # ---- 063 a message that is only a forwarded message
    inner = message([
        ("From", "alert@monitor.example.com"),
        ("To", "admin@example.co.jp"),
        ("Subject", "[ALERT] load average high on web05"),
        ("Date", "Sat, 06 Apr 2024 02:00:00 +0900"),
        ("Message-ID", "<alert-063@monitor.example.com>"),
    ], "INNER-ONLY load average 32.5 on web05.\n")
    case("063-rfc822-only", message([
        ("From", "admin@example.co.jp"),
        ("To", SUPPORT),
        ("Subject", "Fw: [ALERT] load average high on web05"),
        ("Date", "Sat, 06 Apr 2024 08:00:00 +0900"),
        ("Message-ID", "<fwd-063@example.co.jp>"),
        MIME, ("Content-Type", "message/rfc822"),
    ], inner), {
        "subject": "Fw: [ALERT] load average high on web05",
        "text_not_contains": ["INNER-ONLY"],
        "attachments": [{"content_type": "message/rfc822"}],
    })


# --------------------------------------------------------------------------
# Demo mails (tests/corpus/demo/): what `make demo` feeds to deliver

def build_demos():
    demo("01-reboot-request-ja", message([
        ("Received", "from mail.example.co.jp (mail.example.co.jp "
         "[192.0.2.10])\n\tby mx.example.jp (Postfix) with ESMTPS\n\tfor "
         "<support@example.jp>; Mon, 15 Apr 2024 10:02:13 +0900 (JST)"),
        ("From", addr("田中 一郎", "tanaka@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", ew("【リブート代行依頼】web01.example.jp", "ISO-2022-JP")),
        ("Date", "Mon, 15 Apr 2024 10:02:11 +0900"),
        ("Message-ID", "<20240415100211.5A3C.TANAKA@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.04 [ja]"),
    ], encode_text(
        "テクニカルサポート御中\n\n"
        "いつも大変お世話になっております。\n"
        "株式会社サンプル商事 情報システム部の田中でございます。\n\n"
        "弊社の専用サーバー（契約ID：C-10001）につきまして、\n"
        "リブート代行をお願いしたくご連絡いたしました。\n\n"
        "対象サーバー：web01.example.jp\n"
        "希望日時：本日十九時以降\n"
        "理由：Webサーバーのプロセスが応答しなくなっているため\n\n"
        "お手数をおかけいたしますが、ご対応のほど何卒よろしくお願い申し上げます。\n\n"
        "株式会社サンプル商事 情報システム部\n"
        "田中 一郎\n", "ISO-2022-JP")))

    demo("02-password-reset-ja", message([
        ("From", addr("小川 真由美", "ogawa@example.com", "UTF-8")),
        ("To", SUPPORT),
        ("Subject", ew("rootパスワード初期化のお願い")),
        ("Date", "Mon, 15 Apr 2024 11:30:00 +0900"),
        ("Message-ID", "<demo-pwreset-02@example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ], ("テクニカルサポート ご担当者様\n\n"
        "平素より大変お世話になっております。\n"
        "合同会社ミライ・ウェブの小川と申します。\n\n"
        "担当者の退職に伴い、下記サーバーのrootパスワードが分からなくなってしまいました。\n"
        "パスワード初期化代行をお願いできますでしょうか。\n\n"
        "契約ID：C-10002\n"
        "対象サーバー：app02.example.com\n\n"
        "ご多忙のところ恐縮ですが、よろしくお願いいたします。\n\n"
        "小川 真由美\n").encode("utf-8")))

    demo("03-monitoring-change-ja", message([
        ("From", addr("田中 一郎", "tanaka@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", ew("サービス監視の設定変更のお願い（HTTP監視URL変更）",
                       "ISO-2022-JP")),
        ("Date", "Mon, 15 Apr 2024 13:05:00 +0900"),
        ("Message-ID", "<20240415130500.7B1D.TANAKA@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
    ], encode_text(
        "テクニカルサポート御中\n\n"
        "いつもお世話になっております。\n"
        "株式会社サンプル商事の田中でございます。\n\n"
        "サイトのリニューアルに伴い、サービス監視の設定変更をお願いいたします。\n\n"
        "契約ID：C-10001\n"
        "対象サーバー：web01.example.jp\n"
        "変更内容：HTTP監視のURLを下記のとおり変更\n"
        "　変更前：http://www.example.co.jp/\n"
        "　変更後：https://www.example.co.jp/health\n\n"
        "ご確認のほど、よろしくお願い申し上げます。\n", "ISO-2022-JP")))

    demo("04-wordpress-question-ja", message([
        ("From", addr("青木 駿", "shun.aoki@example.com", "UTF-8")),
        ("To", SUPPORT),
        ("Subject", ew("WordPressのプラグインについて")),
        ("Date", "Mon, 15 Apr 2024 14:20:05 +0900"),
        ("Message-ID", "<CAKx3p+demo04aB9cD8eE@mail.example.com>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "base64"),
    ], b64(("サポートご担当者様\n\n"
            "お世話になっております。青木です。\n"
            "当社サイトはWordPressで運用しておりますが、"
            "お問い合わせフォームのプラグインで\n"
            "送信ボタンを押しても確認画面が表示されません。\n"
            "プラグインの使い方と、テーマのカスタマイズ方法を"
            "教えていただけますでしょうか。\n\n"
            "契約ID：C-10003\n"
            "よろしくお願いいたします。\n").encode("utf-8"))))

    demo("05-fault-report-ja", message([
        ("From", addr("佐藤 花子", "hanako@example.ne.jp")),
        ("To", SUPPORT),
        ("Subject", ew("【至急】サーバーに接続できません", "ISO-2022-JP")),
        ("Date", "Sat, 20 Apr 2024 02:14:09 +0900"),
        ("Message-ID", "<20240420021409.6F2A.A1B2C3D4@example.ne.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.04 [ja]"),
    ], encode_text(
        "サポートご担当者様\n\n"
        "夜分に失礼いたします。有限会社テスト工房の佐藤です。\n\n"
        "二時ごろから、サーバーに接続できません。\n"
        "SSHもWebサイトも応答がなく、pingも通りません。\n\n"
        "契約ID：C-10004\n"
        "対象サーバー：web03.example.jp\n\n"
        "至急ご確認いただけますでしょうか。\n"
        "よろしくお願いいたします。\n", "ISO-2022-JP")))

    demo("06-followup-reply-ja", message([
        ("From", addr("田中 一郎", "tanaka@example.co.jp")),
        ("To", SUPPORT),
        ("Subject", "Re: " + ew("【リブート代行依頼】web01.example.jp",
                                "ISO-2022-JP")),
        ("Date", "Mon, 15 Apr 2024 16:45:00 +0900"),
        ("Message-ID", "<20240415164500.8C2E.TANAKA@example.co.jp>"),
        ("In-Reply-To", "<20240415100211.5A3C.TANAKA@example.co.jp>"),
        ("References", "<20240415100211.5A3C.TANAKA@example.co.jp>"),
        MIME, ctype("ISO-2022-JP"),
        ("Content-Transfer-Encoding", "7bit"),
        ("X-Mailer", "Becky! ver. 2.81.04 [ja]"),
    ], encode_text(
        "テクニカルサポート御中\n\n"
        "株式会社サンプル商事の田中です。\n"
        "先ほどお願いいたしましたリブートの件、追加でご連絡いたします。\n"
        "作業は十九時以降であれば何時でも差し支えございません。\n\n"
        "よろしくお願いいたします。\n\n"
        "> 弊社の専用サーバー（契約ID：C-10001）につきまして、\n"
        "> リブート代行をお願いしたくご連絡いたしました。\n",
        "ISO-2022-JP")))

    demo("07-form-gateway-ja", message([
        ("From", addr("お問い合わせフォーム", "noreply@form.example.jp",
                      "UTF-8")),
        ("To", "form@example.jp"),
        ("Reply-To", "kimura@example.co.jp"),
        ("Subject", ew("【お問い合わせフォーム】作業依頼")),
        ("Date", "Tue, 16 Apr 2024 10:00:00 +0900"),
        ("Message-ID", "<form-20240416100000.0007@form.example.jp>"),
        MIME, ctype("UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
        ("X-Form-Gateway", "example-form/2.1"),
    ], ("契約ID: C-10005\n"
        "お名前: 木村 健\n"
        "メールアドレス: kimura@example.co.jp\n"
        "電話番号: 03-5555-0123\n"
        "依頼種別: パスワード初期化\n"
        "対象サーバー: db02.example.co.jp\n"
        "内容: いつもお世話になっております。\n"
        "MySQLサーバーのrootパスワードを失念してしまいました。\n"
        "パスワードの初期化をお願いいたします。\n"
        "本人確認のお電話は平日の日中であればいつでも対応可能です。\n"
        ).encode("utf-8")))

    demo("08-reboot-request-en", message([
        ("From", "John Smith <john.smith@example.com>"),
        ("To", SUPPORT),
        ("Subject", "Reboot request for app01.example.com"),
        ("Date", "Tue, 16 Apr 2024 11:15:00 +0900"),
        ("Message-ID", "<demo-08-reboot@example.com>"),
        MIME, ctype("us-ascii"),
        ("Content-Transfer-Encoding", "7bit"),
    ], "Hello,\n\n"
        "This is John Smith from Example Trading (contract C-10006).\n"
        "Our server app01.example.com stopped responding to HTTP requests\n"
        "although it still answers ping. Could you please reboot it\n"
        "at your earliest convenience?\n\n"
        "Thank you,\nJohn Smith\n"))


DEMO_CUSTOMERS = (
    "contract_id,holder_name,requester_addresses,monitoring_email,"
    "emergency_phone,options\n"
    "C-10001,株式会社サンプル商事,tanaka@example.co.jp "
    "makoto.takahashi@example.co.jp,monitor@example.co.jp,03-1234-5678,"
    "reboot password-reset service-monitoring resource-monitoring\n"
    "C-10002,合同会社ミライ・ウェブ,ogawa@example.com,"
    "alerts@example.com,06-2345-6789,password-reset reboot\n"
    "C-10003,青木 駿,shun.aoki@example.com,shun.aoki@example.com,"
    "090-1111-2222,reboot\n"
    "C-10004,有限会社テスト工房,hanako@example.ne.jp,"
    "monitor@example.ne.jp,045-333-4444,monitoring-work-package\n"
    "C-10005,株式会社キムラ製作所,kimura@example.co.jp,"
    "noc@example.co.jp,03-5555-0123,password-reset spot-work\n"
    "C-10006,Example Trading Ltd.,john.smith@example.com,"
    "noc@example.com,+81-3-6666-7777,reboot spot-work\n"
)


# --------------------------------------------------------------------------

def write(path, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    with open(path, "wb") as f:
        f.write(data)
    return True


def main():
    build_cases()
    build_demos()
    seen = set()
    changed = 0
    for name, data, expect in CASES:
        assert name[:3] not in seen, name
        seen.add(name[:3])
        changed += write(os.path.join(HERE, name + ".eml"), data)
        js = json.dumps(expect, ensure_ascii=False, indent=1,
                        sort_keys=True) + "\n"
        changed += write(os.path.join(HERE, name + ".expect.json"), js)
    os.makedirs(DEMO, exist_ok=True)
    for name, data in DEMOS:
        changed += write(os.path.join(DEMO, name + ".eml"), data)
    changed += write(os.path.join(DEMO, "customers.csv"), DEMO_CUSTOMERS)
    print("%d corpus messages, %d demo mails, %d files changed"
          % (len(CASES), len(DEMOS), changed))


if __name__ == "__main__":
    main()
