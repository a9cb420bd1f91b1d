#!/usr/bin/env python3
"""Scores the classifier on a labelled corpus.

    python3 tests/classify/score.py [--min-accuracy PCT] [--max-triage PCT]
        [--json FILE] MAILPROC CONFIG CORPUS_DIR [CORPUS_DIR...]

Each CORPUS_DIR holds CLASS/NAME.eml: the directory names the class, an
X-Tasks: header lists every identity task the mail asks for.  Runs
`MAILPROC -c CONFIG classify --json FILE...` once over all of them and
prints "case NAME: got X, want Y" for every miss, accuracy per class and
per language, the triage rate, and the misses that matter most:

- unsafe: a mail asking for an identity task that came out as general or
  out-of-scope without triage (the identity hold would be skipped);
- fault not urgent: a fault report not classified fault-report;
- task missed: a task the mail asks for missing from `tasks` (its
  confirmation would not be asked for) without triage.

A mail is right when its class is the labelled one, or, for a mail asking
for several tasks, any of them (the others must then be in `tasks`).
Accuracy is over the mails the classifier decided (not triaged); a
triaged mail waits for staff, which is safe but costs them time, so the
triage rate is bounded separately.  Exits 1 when accuracy is below the
minimum, triage above the maximum, or on more unsafe misses or fault
reports not urgent than allowed (none by default).
"""

import argparse
import json
import os
import re
import subprocess
import sys

NON_TASKS = {"fault-report", "out-of-scope", "general"}
JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


def read_label(path, cls):
    raw = open(path, "rb").read()
    head = raw.split(b"\n\n", 1)[0].decode("ascii", "replace")
    tasks = []
    for line in head.splitlines():
        if line.lower().startswith("x-tasks:"):
            tasks = line.split(":", 1)[1].split()
    if cls not in NON_TASKS and cls not in tasks:
        tasks.insert(0, cls)
    text = raw.decode("utf-8", "replace")
    lang = "ja" if len(JA.findall(text.split("\n\n", 1)[-1] +
                                  head)) > 5 else "en"
    return tasks, lang


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-accuracy", type=float, default=95.0)
    ap.add_argument("--max-triage", type=float, default=10.0)
    ap.add_argument("--max-unsafe", type=int, default=0)
    ap.add_argument("--max-fault-missed", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("mailproc")
    ap.add_argument("config")
    ap.add_argument("corpus", nargs="+")
    a = ap.parse_args()

    cases = []
    for corpus in a.corpus:
        for cls in sorted(os.listdir(corpus)):
            cdir = os.path.join(corpus, cls)
            if not os.path.isdir(cdir):
                continue
            for f in sorted(os.listdir(cdir)):
                if f.endswith(".eml"):
                    p = os.path.join(cdir, f)
                    tasks, lang = read_label(p, cls)
                    cases.append((p, cls, tasks, lang))
    if not cases:
        print("no mail in %s" % " ".join(a.corpus))
        return 1
    out = subprocess.run([a.mailproc, "-c", a.config, "classify", "--json"]
                         + [c[0] for c in cases], capture_output=True,
                         text=True)
    got = {}
    for line in out.stdout.splitlines():
        d = json.loads(line)
        got[d["file"]] = d
    problems = []
    if out.returncode != 0:
        problems.append("classify exited %d: %s" % (
            out.returncode, out.stderr.strip()[:300]))

    stats = {}

    def bump(key, field, n=1):
        s = stats.setdefault(key, {"n": 0, "decided": 0, "right": 0,
                                   "triage": 0})
        s[field] += n

    unsafe, fault_missed, task_missed = [], [], []
    for path, cls, tasks, lang in cases:
        d = got.get(path)
        name = os.path.relpath(path)
        if d is None:
            problems.append("case %s: no result" % name)
            continue
        for k in ("class", "by", "rule", "channel", "identity_required",
                  "confidence", "second_class", "triage", "tasks", "why"):
            if k not in d:
                problems.append("case %s: no %r field" % (name, k))
        c, tri = d["class"], d["triage"]
        if cls in NON_TASKS:
            right = c == cls
        else:
            right = c in tasks
        for key in ("all", "class:" + cls, "lang:" + lang):
            bump(key, "n")
            if tri:
                bump(key, "triage")
            else:
                bump(key, "decided")
                if right:
                    bump(key, "right")
        if cls == "fault-report" and c != "fault-report":
            fault_missed.append("%s -> %s%s" % (name, c,
                                                " (triage)" if tri else ""))
        if tasks and c in NON_TASKS - {"fault-report"} and not tri:
            unsafe.append("%s -> %s, want %s" % (name, c, " ".join(tasks)))
        missing = [t for t in tasks if t not in d["tasks"]]
        if missing and not tri and c not in NON_TASKS - {"fault-report"}:
            task_missed.append("%s: tasks %s, want also %s" % (
                name, " ".join(d["tasks"]) or "-", " ".join(missing)))
        if not right and not a.quiet:
            print("case %s: got %s%s (%s, %.2f), want %s" % (
                name, c, " [triage]" if tri else "", d["by"],
                d["confidence"], cls if cls in NON_TASKS
                else " ".join(tasks)))

    def pct(x, n):
        return 100.0 * x / n if n else 0.0

    print("%-32s %5s %8s %8s" % ("", "mails", "accuracy", "triage"))
    for key in sorted(stats, key=lambda k: (k != "all", k)):
        s = stats[key]
        print("%-32s %5d %7.1f%% %7.1f%%" % (
            key, s["n"], pct(s["right"], s["decided"]),
            pct(s["triage"], s["n"])))
    for title, v in (("unsafe (identity task as general/out-of-scope, "
                      "no triage)", unsafe),
                     ("fault report not urgent", fault_missed),
                     ("task missed (no triage)", task_missed)):
        print("%s: %d" % (title, len(v)))
        for x in v:
            print("  " + x)
    for p in problems:
        print(p)
    s = stats["all"]
    acc, tri = pct(s["right"], s["decided"]), pct(s["triage"], s["n"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"mails": s["n"], "accuracy": round(acc, 2),
                       "triage": round(tri, 2), "unsafe": len(unsafe),
                       "fault_not_urgent": len(fault_missed),
                       "task_missed": len(task_missed),
                       "per": {k: v for k, v in stats.items()}}, f,
                      indent=1)
    failed = []
    if acc < a.min_accuracy:
        failed.append("accuracy %.1f%% below %.1f%%" % (acc, a.min_accuracy))
    if tri > a.max_triage:
        failed.append("triage %.1f%% above %.1f%%" % (tri, a.max_triage))
    if len(unsafe) > a.max_unsafe:
        failed.append("%d unsafe misses (at most %d)" % (len(unsafe),
                                                        a.max_unsafe))
    if len(fault_missed) > a.max_fault_missed:
        failed.append("%d fault reports not urgent (at most %d)" % (
            len(fault_missed), a.max_fault_missed))
    if problems:
        failed.append("%d problems" % len(problems))
    print("FAIL: " + "; ".join(failed) if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
