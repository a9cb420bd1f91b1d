#!/usr/bin/env python3
"""Compare `mailproc parse --json` output with the corpus expectations.

    check.py CORPUS_DIR OUT_DIR     compare; OUT_DIR holds, for each
                                    CORPUS_DIR/NAME.eml, NAME.json (stdout),
                                    NAME.rc (exit status) and NAME.err
    check.py --validate CORPUS_DIR  check only that every .eml has a
                                    well-formed .expect.json and back

Prints "case NAME: got X, want Y" for every mismatch and ends with
"N messages, M failed".  Exits 0 only when every message passes.  The keys
of an expectation file are described in make-corpus.py.
"""

import glob
import json
import os
import re
import sys

KEYS = {
    "subject": str, "text": str, "text_contains": list,
    "text_not_contains": list, "text_regex": list, "from": list,
    "from_names": list, "to": list, "cc": list, "attachments": list,
    "attachments_include": list, "defects": bool, "message_id": (str, None),
    "in_reply_to": (str, None), "references": list,
}
ATTACHMENT_KEYS = {"filename", "content_type", "size"}
LIMIT = 160


def show(value):
    """A short printable form of a value for a mismatch line."""
    s = json.dumps(value, ensure_ascii=False)
    if len(s) > LIMIT:
        s = s[:LIMIT // 2] + " ... " + s[-LIMIT // 2:] + " (%d chars)" % len(s)
    return Shown(s)


def norm_text(s):
    """Trailing white space of each line and of the whole is not compared."""
    return "\n".join(line.rstrip() for line in s.split("\n")).rstrip()


def first_difference(got, want):
    n = 0
    while n < len(got) and n < len(want) and got[n] == want[n]:
        n += 1
    lo = max(0, n - 20)
    return ("text differs at character %d: got %s, want %s"
            % (n, show(got[lo:n + 40]), show(want[lo:n + 40])))


def load_expect(path):
    with open(path, encoding="utf-8") as f:
        exp = json.load(f)
    problems = []
    if not isinstance(exp, dict):
        return None, ["not a JSON object"]
    for key, value in exp.items():
        if key not in KEYS:
            problems.append("unknown key %r" % key)
            continue
        kind = KEYS[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not any(value is None if k is None else isinstance(value, k)
                   for k in kinds):
            problems.append("key %r has the wrong type" % key)
    for key in ("attachments", "attachments_include"):
        for entry in exp.get(key, []):
            if not isinstance(entry, dict) or set(entry) - ATTACHMENT_KEYS:
                problems.append("bad %s entry %r" % (key, entry))
    for pattern in exp.get("text_regex", []):
        try:
            re.compile(pattern)
        except re.error as e:
            problems.append("bad regex %r: %s" % (pattern, e))
    return exp, problems


def addresses(out, field):
    value = out.get(field)
    if value is None:
        return None
    if not isinstance(value, list):
        return value
    return [a.get("address") if isinstance(a, dict) else a for a in value]


def attachment_matches(got, want):
    return isinstance(got, dict) and all(
        k in got and got[k] == v for k, v in want.items())


def compare(exp, out):
    """Yields (what, got, want) for every mismatch; got and want are
    printable strings, or both None when what says it all."""
    for what, got, want in _compare(exp, out):
        if got is None and want is None:
            yield what, None, None
        else:
            yield (what, got if isinstance(got, Shown) else show(got),
                   want if isinstance(want, Shown) else show(want))


class Shown(str):
    """A string already formatted for a mismatch line."""


def _compare(exp, out):
    if not isinstance(out, dict):
        yield "output", out, Shown("a JSON object")
        return
    text = out.get("text")
    if "subject" in exp and out.get("subject") != exp["subject"]:
        yield "subject", out.get("subject"), exp["subject"]
    if not isinstance(text, str):
        yield "text", text, Shown("a string")
        text = ""
    if "\r\n" in text:
        yield "text newlines", Shown("CRLF"), Shown("LF")
    if "text" in exp:
        got, want = norm_text(text), norm_text(exp["text"])
        if got != want:
            yield first_difference(got, want), None, None
    for phrase in exp.get("text_contains", []):
        if phrase not in text:
            yield "text_contains", show(text), phrase
    for phrase in exp.get("text_not_contains", []):
        if phrase in text:
            at = text.index(phrase)
            yield ("text_not_contains", show(text[max(0, at - 30):at + 30]),
                   Shown("no " + show(phrase)))
    for pattern in exp.get("text_regex", []):
        if not re.search(pattern, text):
            yield ("text_regex", show(text),
                   Shown("match of " + show(pattern)))
    for field in ("from", "to", "cc"):
        if field in exp and addresses(out, field) != exp[field]:
            yield field, addresses(out, field), exp[field]
    if "from_names" in exp:
        got = out.get("from")
        if isinstance(got, list):
            got = [a.get("name") if isinstance(a, dict) else a for a in got]
        if got != exp["from_names"]:
            yield "from_names", got, exp["from_names"]
    atts = out.get("attachments")
    if "attachments" in exp:
        want = exp["attachments"]
        if (not isinstance(atts, list) or len(atts) != len(want)
                or not all(attachment_matches(g, w)
                           for g, w in zip(atts, want))):
            yield "attachments", atts, want
    for want in exp.get("attachments_include", []):
        if not isinstance(atts, list) or not any(
                attachment_matches(g, want) for g in atts):
            yield "attachments_include", atts, want
    if "defects" in exp:
        defects = out.get("defects")
        if not isinstance(defects, list):
            yield "defects", defects, Shown("a list")
        elif exp["defects"] and not defects:
            yield "defects", defects, Shown("at least one defect")
        elif not exp["defects"] and defects:
            yield "defects", defects, Shown("no defects")
    for field in ("message_id", "in_reply_to", "references"):
        if field in exp and out.get(field) != exp[field]:
            yield field, out.get(field), exp[field]


def names(corpus):
    emls = {os.path.basename(p)[:-4]
            for p in glob.glob(os.path.join(corpus, "*.eml"))}
    exps = {os.path.basename(p)[:-len(".expect.json")]
            for p in glob.glob(os.path.join(corpus, "*.expect.json"))}
    return sorted(emls | exps), emls, exps


def read(path, binary=False):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    return data if binary else data.decode("utf-8", "replace")


def main(argv):
    validate = len(argv) == 3 and argv[1] == "--validate"
    if not validate and len(argv) != 3:
        sys.stderr.write(__doc__)
        return 64
    corpus = argv[2] if validate else argv[1]
    outdir = None if validate else argv[2]
    all_names, emls, exps = names(corpus)
    failed = 0
    for name in all_names:
        problems = []
        exp = None
        if name not in emls:
            problems.append(("message", "missing", name + ".eml"))
        if name not in exps:
            problems.append(("expectation", "missing",
                             name + ".expect.json"))
        else:
            try:
                exp, bad = load_expect(os.path.join(
                    corpus, name + ".expect.json"))
                problems += [("expectation file", b, "valid") for b in bad]
            except ValueError as e:
                problems.append(("expectation file", str(e), "valid JSON"))
        if not problems and outdir is not None:
            rc = read(os.path.join(outdir, name + ".rc"))
            err = read(os.path.join(outdir, name + ".err")) or ""
            raw = read(os.path.join(outdir, name + ".json"), binary=True)
            if rc is None or raw is None:
                problems.append(("run", "no output", "output"))
            elif rc.strip() != "0":
                problems.append(("exit status", "%s (stderr: %s)"
                                 % (rc.strip(), show(err.strip())), "0"))
            else:
                try:
                    out = json.loads(raw.decode("utf-8"))
                    problems += list(compare(exp, out))
                except (UnicodeDecodeError, ValueError) as e:
                    problems.append(("output", "not UTF-8 JSON: %s" % e,
                                     "JSON"))
        for what, got, want in problems:
            if got is None and want is None:
                print("case %s: %s" % (name, what))
            else:
                print("case %s: %s: got %s, want %s" % (name, what, got, want))
        if problems:
            failed += 1
    print("%d messages, %d failed" % (len(all_names), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
