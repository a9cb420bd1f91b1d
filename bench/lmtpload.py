#!/usr/bin/env python3
"""lmtpload.py: the LMTP load of `make bench` (SPEC §13).

    lmtpload.py SPEC COUNT SESSIONS [PID]

Sends COUNT distinct ~20 KB messages (bench/genmsg.py's, Message-ID
<lmtpbench<n>...>) to the LMTP server at SPEC (unix:PATH or HOST:PORT)
over SESSIONS concurrent sessions, one process each, with MAIL, RCPT and
DATA pipelined.  A message's latency runs from sending MAIL to reading its
250.  With PID, the server's RSS is read from /proc after the first
thousand messages and after the last.  Prints one JSON object: ok,
failed, seconds, msgs_per_s, p50_ms, p99_ms, rss_first_kb, rss_last_kb.
Exits 1 if any message was not accepted.
"""
import json
import multiprocessing as mp
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "e2e"))
import genmsg  # noqa: E402
import lmtpc  # noqa: E402


def messages(indices):
    rng = random.Random(20261130)
    quote = "".join("> %s\n" % l for l in
                    genmsg.log_lines(rng, 3000).splitlines())
    text_part = "\n以前のやりとり:\n" + quote
    log_part = genmsg.log_lines(rng, 9000)
    probe = len(genmsg.std_message(0, text_part, log_part).encode())
    log_part += genmsg.log_lines(rng, max(0, (genmsg.TARGET - probe) * 3 // 4))
    for n in indices:
        m = genmsg.std_message(n, text_part, log_part)
        m = m.replace("Message-ID: <bench", "Message-ID: <lmtpbench", 1)
        yield n, lmtpc.stuff(m.encode())


def worker(spec, indices, counter, ready, go, out):
    msgs = list(messages(indices))
    c = lmtpc.Client(spec, timeout=60)
    c.lhlo()
    with ready.get_lock():
        ready.value += 1
    go.wait()
    lat, failed = [], 0
    for n, data in msgs:
        t0 = time.monotonic()
        c.raw(b"MAIL FROM:<yamada%d@customer%d.example.co.jp>\r\n"
              b"RCPT TO:<support@example.jp>\r\nDATA\r\n" % (n, n))
        r = [c.reply() for _ in range(3)]
        if [x[0] for x in r] != [250, 250, 354]:
            failed += 1
            c.cmd("RSET")
            continue
        c.raw(data)
        r = c.reply()
        lat.append((time.monotonic() - t0) * 1000)
        if r[0] != 250:
            failed += 1
        with counter.get_lock():
            counter.value += 1
    c.close()
    out.put((lat, failed))


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    spec, count, sessions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pid = int(sys.argv[4]) if len(sys.argv) == 5 else 0
    counter, ready = mp.Value("l", 0), mp.Value("l", 0)
    go = mp.Event()
    out = mp.Queue()
    procs = [mp.Process(target=worker,
                        args=(spec, range(i, count, sessions), counter,
                              ready, go, out))
             for i in range(sessions)]
    # The workers build their messages and connect first; the clock
    # starts when all are ready.
    for p in procs:
        p.start()
    while ready.value < sessions and all(p.is_alive() for p in procs):
        time.sleep(0.005)
    go.set()
    t0 = time.monotonic()
    rss_first = 0
    first_mark = min(1000, count)
    while any(p.is_alive() for p in procs) and out.qsize() < sessions:
        if not rss_first and counter.value >= first_mark and pid:
            rss_first = rss_kb(pid)
        time.sleep(0.005)
    results = [out.get() for _ in procs]
    secs = time.monotonic() - t0
    for p in procs:
        p.join()
    if not rss_first and pid:
        rss_first = rss_kb(pid)
    rss_last = rss_kb(pid) if pid else 0
    lat = sorted(x for r in results for x in r[0])
    failed = sum(r[1] for r in results)
    ok = len(lat) - failed

    def pct(p):
        return round(lat[min(len(lat) - 1, int(len(lat) * p))], 2) \
            if lat else 0

    print(json.dumps({
        "ok": ok, "failed": failed, "seconds": round(secs, 3),
        "msgs_per_s": round(ok / secs, 1) if secs > 0 else 0,
        "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        "rss_first_kb": rss_first, "rss_last_kb": rss_last,
    }))
    sys.exit(1 if failed or ok != count else 0)


if __name__ == "__main__":
    main()
