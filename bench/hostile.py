#!/usr/bin/env python3
"""hostile.py: issue 13's target, measured.  Each hostile mail is
delivered beside an ordinary mail of the same size (a text body of the
same bytes), RUNS times each, alternating, each into a fresh state
directory; prints the median wall times and their ratio, and writes
bench/hostile.json.  Target: ratio at most 5.

    bench/hostile.py MAILPROC [RUNS]

The mails: 1 MB with a Content-Type of 100,000 parameters, and a
10 MB Subject.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HEAD = ("From: customer@customer.example.co.jp\nTo: support@example.jp\n"
        "Message-ID: <%s@bench>\n")


def params_mail(size):
    head = HEAD % "params" + "Subject: params\nContent-Type: text/plain"
    p, n = [], 0
    while len(head) + n < size and len(p) < 100000:
        s = "; p%d=v" % len(p)
        p.append(s)
        n += len(s)
    return (head + "".join(p) + "\n\nbody\n").encode()


def subject_mail(size):
    head = HEAD % "subject" + "Subject: "
    return (head + "x" * (size - len(head) - 8) + "\n\nbody\n").encode()


def ordinary(size, tag):
    head = HEAD % tag + "Subject: ordinary\nContent-Type: text/plain\n\n"
    line = "an ordinary line of an ordinary mail, seventy-odd bytes long\n"
    body = line * ((size - len(head)) // len(line) + 1)
    return (head + body[:size - len(head)]).encode()


def deliver(mailproc, work, data, k):
    state = os.path.join(work, "s%d" % k)
    conf = state + ".conf"
    with open(conf, "w") as f:
        f.write("state_dir = %s\nstaff_addresses = staff@example.jp\n"
                "max_message_size = 64M\nstaff_digest = no\n" % state)
    t = time.monotonic()
    r = subprocess.run([mailproc, "-c", conf, "deliver", "--sender",
                        "customer@customer.example.co.jp", "--recipient",
                        "support@example.jp"], input=data,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.monotonic() - t
    if r.returncode != 0:
        sys.exit("hostile: deliver exited %d: %s" %
                 (r.returncode, r.stderr.decode(errors="replace")))
    return dt


def main():
    mailproc = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    out = {}
    k = 0
    with tempfile.TemporaryDirectory(prefix="mp-bench-hostile.") as work:
        for name, make, size in (("params-100k-1MB", params_mail, 1 << 20),
                                 ("subject-10MB", subject_mail, 10 << 20)):
            bad = make(size)
            good = ordinary(len(bad), "ordinary-" + name)
            tb, tg = [], []
            for _ in range(runs):
                tb.append(deliver(mailproc, work, bad, k))
                tg.append(deliver(mailproc, work, good, k + 1))
                k += 2
            mb, mg = statistics.median(tb), statistics.median(tg)
            out[name] = {"bytes": len(bad), "hostile_ms": round(mb * 1000),
                         "ordinary_ms": round(mg * 1000),
                         "ratio": round(mb / mg, 2), "target": 5}
            print("bench: %-16s %9d bytes: %6.0f ms, ordinary %6.0f ms, "
                  "ratio %.2f (target <= 5)%s" %
                  (name, len(bad), mb * 1000, mg * 1000, mb / mg,
                   "" if mb / mg <= 5 else "  MISSED"))
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(top, "bench", "hostile.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


main()
