#!/bin/sh
# Runs the unit suites and the end-to-end scripts under one Check runner,
# with one private Postfix/sink stack started for the whole run.
#   tests/run-e2e.sh BINARY RUNNER [SCRIPT-PREFIX] [PLAIN-BINARY]
# BINARY is what the scripts (and Postfix's pipe) run; scripts that start
# hundreds of processes use PLAIN-BINARY when given (MAILPROC_PLAIN).
set -u
bin=$1 runner=$2 only=${3:-} plain=${4:-$1}
top=$(pwd)
stack=$(mktemp -d /tmp/mailproc-stack.XXXXXX)
chmod 755 "$stack"
trap 'tests/e2e/stack.sh stop "$stack" >/dev/null 2>&1; rm -rf "$stack"' EXIT INT TERM
if [ -x tests/e2e/stack.sh ]; then
	MAILPROC=$bin tests/e2e/stack.sh start "$stack" || {
		echo "mailproc: tests: could not start the test stack" >&2
		exit 1
	}
fi
MP_TOP=$top MAILPROC=$bin MAILPROC_PLAIN=$plain MP_STACK=$stack \
	"$runner" all $only
