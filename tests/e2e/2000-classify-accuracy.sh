#!/bin/bash
# How well the classifier does on mail it never saw, in two ways:
#
# 1. held-out split: the training corpus rules/corpus/ is split by a
#    fixed hash of the file names (tests/classify/split.py); a model is
#    trained on four fifths and scored on the fifth it never saw.
# 2. the evaluation set tests/classify/eval/: mail written by other
#    people than the training corpus (who saw neither the rules nor that
#    corpus), scored with the shipped model (rules/model.bin, trained on
#    all of rules/corpus/).  It is never used for training.
#
# tests/classify/score.py fails a run below its minimum accuracy (of the
# mails the classifier decided), above its maximum triage rate, and on
# more requests for identity-requiring work classified general or
# out-of-scope without triage, or fault reports not classified urgent,
# than the bounds below allow.  The
# figures go to $MP_CLASSIFY_REPORT (default: the temporary directory,
# printed) as JSON.
#
# MAILPROC names the binary (default ./bin/mailproc).  No mail stack is
# needed: classify is a dry run.

set -eu

cd "$(dirname "$0")/../.."

MAILPROC=${MAILPROC:-./bin/mailproc}
# The bounds, measured on 2026-12-02 with 1817 training mails: held-out
# 94.0% of the decided mails right, 12.4% triage, 1 unsafe miss, no fault
# report missed; evaluation set 98.6%, 3.7%, none, none (of 25).  The
# held-out fifth is harder: its writers were asked for boundary cases,
# wrong form kinds and quoted threads.  The evaluation set is held to the
# issue's bar: 95%, no unsafe miss, every fault report urgent.
HELD_ARGS=${HELD_ARGS:---min-accuracy 90 --max-triage 15 --max-unsafe 2 --max-fault-missed 1}
EVAL_ARGS=${EVAL_ARGS:---min-accuracy 95 --max-triage 10 --max-unsafe 0 --max-fault-missed 0}

if [ ! -x "$MAILPROC" ]; then
	echo "2000-classify-accuracy: $MAILPROC: no such executable" >&2
	exit 1
fi
if [ ! -f rules/model.bin ]; then
	echo "2000-classify-accuracy: rules/model.bin missing (make)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-classify.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state"
printf 'state_dir = %s\nrules_dir = %s\nmodel_file = %s\n' "$tmp/state" \
	"$PWD/rules" "$tmp/held-model.bin" >"$tmp/held.conf"
printf 'state_dir = %s\nrules_dir = %s\nmodel_file = %s\n' "$tmp/state" \
	"$PWD/rules" "$PWD/rules/model.bin" >"$tmp/shipped.conf"

python3 tests/classify/split.py rules/corpus "$tmp/split"
"$MAILPROC" -c "$tmp/held.conf" train --corpus "$tmp/split/train" \
	--model "$tmp/held-model.bin"

rc=0
echo "2000-classify-accuracy: held-out fifth of rules/corpus"
python3 tests/classify/score.py $HELD_ARGS --json "$tmp/held.json" \
	"$MAILPROC" "$tmp/held.conf" "$tmp/split/held" || rc=1
echo "2000-classify-accuracy: evaluation set tests/classify/eval"
python3 tests/classify/score.py $EVAL_ARGS --json "$tmp/eval.json" \
	"$MAILPROC" "$tmp/shipped.conf" tests/classify/eval || rc=1
if [ -n "${MP_CLASSIFY_REPORT:-}" ]; then
	python3 -c 'import json,sys; json.dump({"held_out": json.load(open(sys.argv[1])), "eval": json.load(open(sys.argv[2]))}, open(sys.argv[3], "w"), indent=1)' \
		"$tmp/held.json" "$tmp/eval.json" "$MP_CLASSIFY_REPORT"
fi
exit $rc
