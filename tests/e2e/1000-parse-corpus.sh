#!/bin/bash
# Parse every message of tests/corpus/*.eml with `mailproc parse --json`
# and compare the result with its NAME.expect.json (tests/corpus/check.py).
# Prints "case NAME: got X, want Y" per mismatch and "N messages, M failed";
# exits 0 only if every message passes, 1 if the binary is missing.
#
# MAILPROC names the binary (default ./bin/mailproc, relative to the
# repository root, where this script runs).  PARSE_TIMEOUT (seconds, default
# 60) bounds each parse.

set -eu

cd "$(dirname "$0")/../.."

MAILPROC=${MAILPROC:-./bin/mailproc}
PARSE_TIMEOUT=${PARSE_TIMEOUT:-60}

if [ ! -x "$MAILPROC" ]; then
	echo "1000-parse-corpus: $MAILPROC: no such executable" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state" "$tmp/out"
printf 'state_dir = %s\n' "$tmp/state" >"$tmp/mailproc.conf"

for eml in tests/corpus/*.eml; do
	name=$(basename "$eml" .eml)
	rc=0
	timeout "$PARSE_TIMEOUT" "$MAILPROC" -c "$tmp/mailproc.conf" \
		parse --json <"$eml" >"$tmp/out/$name.json" \
		2>"$tmp/out/$name.err" || rc=$?
	echo "$rc" >"$tmp/out/$name.rc"
done

python3 tests/corpus/check.py tests/corpus "$tmp/out"
