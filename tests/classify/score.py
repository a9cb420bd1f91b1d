#!/usr/bin/env python3
"""Scores `mailproc classify --json` results against the labelled corpus.

    python3 tests/classify/score.py CORPUS_DIR OUT_DIR

CORPUS_DIR is tests/classify (CLASS/NNN-name.eml); OUT_DIR holds, for each
message, CLASS__NNN-name.json (the command's stdout), .rc (its exit status)
and .err (its stderr).  Prints "case NAME: got X, want Y" for every miss,
the accuracy per class and overall, and exits 1 when overall accuracy is
below 95%, when any hard negative ("neg-" in the name) comes out as a
catalogue task, or when an output is missing a field or is inconsistent
(a catalogue task without identity confirmation, a class with a channel).
A name with "two-TASK" is right when {class, second_class} is {CLASS, TASK}.
"""

import json
import os
import sys

NON_TASKS = {"fault-report", "out-of-scope", "general"}
MIN_ACCURACY = 0.95


def check_fields(d):
    """Returns what is wrong with one classify --json object, or None."""
    for key in ("class", "rule", "channel", "identity_required",
                "confidence"):
        if key not in d:
            return "no %r field" % key
    if not isinstance(d["class"], str) or not d["class"]:
        return "class is not a non-empty string"
    if not isinstance(d["rule"], str) or not d["rule"]:
        return "rule is not a non-empty string"
    if not isinstance(d["identity_required"], bool):
        return "identity_required is not a boolean"
    conf = d["confidence"]
    if isinstance(conf, bool) or not isinstance(conf, (int, float)) or \
            not 0 <= conf <= 1:
        return "confidence %r is not a number in 0..1" % (conf,)
    if d["class"] in NON_TASKS:
        if d["channel"] is not None or d["identity_required"]:
            return "%s with channel %r, identity %r" % (
                d["class"], d["channel"], d["identity_required"])
    elif d["channel"] not in ("email", "phone") or \
            not d["identity_required"]:
        return "task %s with channel %r, identity %r" % (
            d["class"], d["channel"], d["identity_required"])
    second = d.get("second_class")
    if second is not None and (not isinstance(second, str) or
                               second in NON_TASKS or
                               second == d["class"]):
        return "bad second_class %r" % (second,)
    return None


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    per_class = {}
    problems = []
    neg_as_task = []
    for cls in sorted(os.listdir(corpus)):
        cdir = os.path.join(corpus, cls)
        if not os.path.isdir(cdir):
            continue
        for fname in sorted(os.listdir(cdir)):
            if not fname.endswith(".eml"):
                continue
            name = fname[:-4]
            base = os.path.join(out, "%s__%s" % (cls, name))
            total, right = per_class.get(cls, (0, 0))
            total += 1
            try:
                with open(base + ".rc") as f:
                    rc = int(f.read().strip() or "-1")
                with open(base + ".json", "rb") as f:
                    raw = f.read()
            except (OSError, ValueError) as e:
                problems.append("case %s/%s: no result (%s)" % (cls, name, e))
                per_class[cls] = (total, right)
                continue
            if rc != 0:
                with open(base + ".err", errors="replace") as f:
                    err = f.read().strip().splitlines()
                problems.append("case %s/%s: exit %d: %s" % (
                    cls, name, rc, err[0] if err else ""))
                per_class[cls] = (total, right)
                continue
            try:
                d = json.loads(raw)
            except ValueError as e:
                problems.append("case %s/%s: bad JSON: %s" % (cls, name, e))
                per_class[cls] = (total, right)
                continue
            bad = check_fields(d) if isinstance(d, dict) else "not an object"
            if bad:
                problems.append("case %s/%s: %s" % (cls, name, bad))
                per_class[cls] = (total, right)
                continue
            got, second = d["class"], d.get("second_class")
            if "two-" in name:
                other = name.split("two-", 1)[1]
                ok = {got, second} == {cls, other}
                want = "%s + %s" % (cls, other)
                gotdesc = "%s + %s" % (got, second)
            else:
                ok = got == cls
                want, gotdesc = cls, got
            if ok:
                right += 1
            else:
                print("case %s/%s: got %s (rule %s), want %s" % (
                    cls, name, gotdesc, d["rule"], want))
            if "neg-" in name and got not in NON_TASKS:
                neg_as_task.append("%s/%s -> %s" % (cls, name, got))
            per_class[cls] = (total, right)

    print("accuracy per class:")
    for cls, (total, right) in sorted(per_class.items()):
        print("  %-30s %3d/%-3d %6.1f%%" % (cls, right, total,
                                            100.0 * right / total))
    total = sum(t for t, _ in per_class.values())
    right = sum(r for _, r in per_class.values())
    accuracy = right / total if total else 0.0
    print("overall: %d/%d = %.1f%% (minimum %.0f%%)" % (
        right, total, 100 * accuracy, 100 * MIN_ACCURACY))
    negs = sum(1 for _, _, files in os.walk(corpus) for f in files
               if "neg-" in f and f.endswith(".eml"))
    print("hard negatives: %d, classified as a task: %d" % (
        negs, len(neg_as_task)))
    for p in problems:
        print(p)
    for n in neg_as_task:
        print("hard negative classified as a task: %s" % n)
    failed = accuracy < MIN_ACCURACY or neg_as_task or problems or \
        total < 80
    if total < 80:
        print("only %d messages in the corpus (want at least 80)" % total)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
