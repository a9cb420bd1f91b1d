#!/usr/bin/env python3
"""Splits a labelled corpus into a training part and a held-out part.

    python3 tests/classify/split.py CORPUS_DIR OUT_DIR [FOLD] [FOLDS]

Copies CORPUS_DIR/CLASS/NAME.eml to OUT_DIR/train/CLASS/ or
OUT_DIR/held/CLASS/ by a hash of NAME: fold FOLD (default 0) of FOLDS
(default 5) is held out.  The split depends on the file names only, so
it is the same on every machine and every run, and a mail added later
falls in the same part forever.
"""

import hashlib
import os
import shutil
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    fold = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    folds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    n = {"train": 0, "held": 0}
    for cls in sorted(os.listdir(src)):
        cdir = os.path.join(src, cls)
        if not os.path.isdir(cdir):
            continue
        for f in sorted(os.listdir(cdir)):
            if not f.endswith(".eml"):
                continue
            h = int(hashlib.sha256(f.encode()).hexdigest(), 16) % folds
            part = "held" if h == fold else "train"
            os.makedirs(os.path.join(out, part, cls), exist_ok=True)
            shutil.copy(os.path.join(cdir, f), os.path.join(out, part, cls))
            n[part] += 1
    print("split: %d for training, %d held out" % (n["train"], n["held"]))


if __name__ == "__main__":
    main()
