#!/bin/bash
# Classify every message of the labelled corpus, tests/classify/CLASS/*.eml,
# with `mailproc classify --json` and score the results
# (tests/classify/score.py): prints "case NAME: got X, want Y" per miss and
# the accuracy per class; fails below 95% overall, on any hard negative
# ("neg-" in the name) classified as a catalogue task, and on any output
# that lacks a field of SPEC §12a.  Also checks that the committed corpus
# is what tests/classify/make-corpus.py writes.
#
# MAILPROC names the binary (default ./bin/mailproc, relative to the
# repository root, where this script runs).  No mail stack is needed:
# classify is a dry run.

set -eu

cd "$(dirname "$0")/../.."

MAILPROC=${MAILPROC:-./bin/mailproc}
CLASSIFY_TIMEOUT=${CLASSIFY_TIMEOUT:-60}

if [ ! -x "$MAILPROC" ]; then
	echo "2000-classify-accuracy: $MAILPROC: no such executable" >&2
	exit 1
fi

python3 tests/classify/make-corpus.py --check || {
	echo "2000-classify-accuracy: tests/classify differs from" \
	     "make-corpus.py (run it and commit the result)" >&2
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-classify.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state" "$tmp/out"
printf 'state_dir = %s\nrules_dir = %s\n' "$tmp/state" "$PWD/rules" \
	>"$tmp/mailproc.conf"

n=0
for eml in tests/classify/*/*.eml; do
	class=$(basename "$(dirname "$eml")")
	base=$tmp/out/${class}__$(basename "$eml" .eml)
	rc=0
	timeout "$CLASSIFY_TIMEOUT" "$MAILPROC" -c "$tmp/mailproc.conf" \
		classify --json <"$eml" >"$base.json" 2>"$base.err" || rc=$?
	echo "$rc" >"$base.rc"
	n=$((n + 1))
done
echo "2000-classify-accuracy: $n messages classified"

python3 tests/classify/score.py tests/classify "$tmp/out"
