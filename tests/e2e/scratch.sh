# shellcheck shell=bash
# tests/e2e/scratch.sh: sourced, after `set -eu`, by the end-to-end
# scripts that need no stack (no Postfix, no sink): they call `deliver`
# and the other commands directly on a scratch state.
#
#     scratch NAME [CONF-LINE...]
#
# makes $dir (/tmp/mp-NAME.XXXXXX, removed on exit) and $dir/conf with
# state_dir, staff_addresses = staff@example.jp and each CONF-LINE, and
# sets the clock to Monday 2026-11-30 10:00 JST (business hours; export
# MAILPROC_NOW again for another instant).  Then:
#   mp ARGS...   mailproc -c $dir/conf ARGS
#   q SQL        sqlite3 on the state's database ($db)
#   fail MSG     "FAIL: MSG" on stderr, exit 1

MAILPROC=${MAILPROC:-./bin/mailproc}

fail() { echo "FAIL: $*" >&2; exit 1; }
mp() { "$MAILPROC" -c "$dir/conf" "$@"; }
q() { sqlite3 "$db" "$1"; }

scratch()
{
	local line

	dir=$(mktemp -d "/tmp/mp-$1.XXXXXX")
	# shellcheck disable=SC2064	# $dir is fixed from here on
	trap "rm -rf '$dir'" EXIT
	shift
	{
		printf 'state_dir = %s/state\n' "$dir"
		printf 'staff_addresses = staff@example.jp\n'
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} > "$dir/conf"
	db=$dir/state/mailproc.db
	export MAILPROC_NOW=1796000400
}
