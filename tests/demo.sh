#!/bin/sh
# `make demo`: feeds tests/corpus/demo/*.eml through `mailproc deliver`
# into a scratch state directory, runs the runner once, and prints the
# tickets that result.
set -eu
bin=$1
dir=$(mktemp -d /tmp/mailproc-demo.XXXXXX)
conf=$dir/mailproc.conf
printf 'state_dir = %s/state\n' "$dir" > "$conf"
echo "== delivering tests/corpus/demo/*.eml into $dir/state"
for f in tests/corpus/demo/*.eml; do
	rcpt=support@example.jp
	grep -q '^To:.*form@example.jp' "$f" && rcpt=form@example.jp
	"$bin" -c "$conf" deliver --sender demo@example.com \
		--recipient "$rcpt" < "$f"
	echo "  $(basename "$f"): exit $?"
done
"$bin" -c "$conf" run --once
echo
echo "== tickets"
"$bin" -c "$conf" ticket list
for id in $("$bin" -c "$conf" ticket list --json |
	    python3 -c 'import json,sys; print(" ".join(str(t["id"]) for t in json.load(sys.stdin)))'); do
	echo
	"$bin" -c "$conf" ticket show "$id"
done
echo
echo "== the state is kept in $dir (remove it when done)"
