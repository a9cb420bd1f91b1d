#!/usr/bin/env python3
"""genmsg.py: the messages `make bench` feeds to mailproc.

    genmsg.py std DIR COUNT      DIR/m0.eml .. DIR/m<COUNT-1>.eml, about
                                 20 KB each: a Japanese customer request
                                 (UTF-8, base64) with a log attachment;
                                 each with its own sender, subject and
                                 Message-ID, so that each files a ticket
    genmsg.py big FILE MB        one message with an MB-megabyte binary
                                 attachment (base64), written in pieces

The content is fixed (seeded), so runs compare like with like.
"""
import base64
import random
import sys

TARGET = 20 * 1024

BODY_JA = (
    "いつもお世話になっております。株式会社サンプルの山田です。\n"
    "契約ID C-{n:05d} のサーバー web{n:02d}.example.co.jp について、"
    "本日10時頃から応答が遅くなっております。\n"
    "お手数ですが、サーバーの再起動をお願いできますでしょうか。\n"
    "ログの一部を添付いたします。よろしくお願いいたします。\n\n"
)


def log_lines(rng, size):
    out = []
    total = 0
    while total < size:
        line = "2026-11-30T10:%02d:%02d web kernel: [%8.3f] %s\n" % (
            rng.randrange(60), rng.randrange(60), rng.random() * 1e5,
            rng.choice(["eth0: link up", "oom-kill: constraint=none",
                        "EXT4-fs warning: delayed block allocation",
                        "nf_conntrack: table full, dropping packet",
                        "httpd[2112]: segfault at 0 ip 00007f"]))
        out.append(line)
        total += len(line)
    return "".join(out)


def b64_lines(data):
    enc = base64.b64encode(data).decode()
    return "\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + "\n"


def std_message(n, text_part, log_part):
    head = (
        "Return-Path: <yamada{n}@customer{n}.example.co.jp>\n"
        "Received: from mx.customer{n}.example.co.jp (mx [192.0.2.{h}])\n"
        "\tby mx.example.jp (Postfix) with ESMTPS id 4Q{n:06d}\n"
        "\tfor <support@example.jp>; Mon, 30 Nov 2026 09:59:00 +0900\n"
        "From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= "
        "<yamada{n}@customer{n}.example.co.jp>\n"
        "To: support@example.jp\n"
        "Subject: =?UTF-8?B?44K144O844OQ44O844Gu5YaN6LW35YuV44Gu44GK6aGY44GE?="
        " {n}\n"
        "Message-ID: <bench{n}.20261130095900@customer{n}.example.co.jp>\n"
        "Date: Mon, 30 Nov 2026 09:59:00 +0900\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"=-bench-boundary-{n}\"\n"
        "\n"
        "This is a multi-part message in MIME format.\n"
        "\n"
        "--=-bench-boundary-{n}\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
    ).format(n=n, h=n % 250 + 1)
    body = b64_lines((BODY_JA.format(n=n) + text_part).encode())
    att = (
        "--=-bench-boundary-{n}\n"
        "Content-Type: text/plain; charset=US-ASCII; name=\"messages.log\"\n"
        "Content-Disposition: attachment; filename=\"messages.log\"\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
    ).format(n=n)
    tail = "--=-bench-boundary-{n}--\n".format(n=n)
    return head + body + "\n" + att + b64_lines(log_part.encode()) + tail


def std(outdir, count):
    rng = random.Random(20261130)
    quote = "".join("> %s\n" % l for l in
                    log_lines(rng, 3000).splitlines())
    text_part = "\n以前のやりとり:\n" + quote
    log_part = log_lines(rng, 9000)
    probe = len(std_message(0, text_part, log_part).encode())
    # Pad the log so that the message is about 20 KB.
    log_part += log_lines(rng, max(0, (TARGET - probe) * 3 // 4))
    for n in range(count):
        with open("%s/m%d.eml" % (outdir, n), "w", encoding="utf-8") as f:
            f.write(std_message(n, text_part, log_part))


def big(path, mb):
    rng = random.Random(25)
    chunk = 57 * 1024          # a multiple of 57 bytes: whole b64 lines
    left = mb * 1024 * 1024
    with open(path, "w") as f:
        f.write(
            "From: Hanako <hanako@customer.example.co.jp>\n"
            "To: support@example.jp\n"
            "Subject: disk image for the investigation\n"
            "Message-ID: <bench-big@customer.example.co.jp>\n"
            "Date: Mon, 30 Nov 2026 09:59:00 +0900\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"=-big\"\n"
            "\n"
            "--=-big\n"
            "Content-Type: text/plain; charset=US-ASCII\n"
            "\n"
            "The image of the broken disk is attached.\n"
            "\n"
            "--=-big\n"
            "Content-Type: application/octet-stream; name=\"disk.img\"\n"
            "Content-Disposition: attachment; filename=\"disk.img\"\n"
            "Content-Transfer-Encoding: base64\n"
            "\n")
        while left > 0:
            n = min(chunk, left)
            f.write(b64_lines(rng.randbytes(n)))
            left -= n
        f.write("--=-big--\n")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("std", "big"):
        sys.exit(__doc__)
    if sys.argv[1] == "std":
        std(sys.argv[2], int(sys.argv[3]))
    else:
        big(sys.argv[2], int(sys.argv[3]))


if __name__ == "__main__":
    main()
