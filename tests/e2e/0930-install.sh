#!/bin/bash
# `make install` into DESTDIR with a PREFIX: the binary, rules, templates,
# man pages and systemd units land under PREFIX, the units name the
# installed binary; the configuration is installed once and never
# overwritten (a second install leaves a local edit alone and puts the new
# example beside it as .dist); the installed binary finds its shipped
# rules and passes check-config; `make uninstall` removes what install put
# under PREFIX and keeps the configuration.  The man pages render without
# warnings (man -l, else groff) and the units pass `systemd-analyze
# verify` where it works.  No mail stack; needs a built tree (make).
set -eu
cd "$(dirname "$0")/../.."
T=0930-install
fail() { printf 'FAIL %s: %s\n' "$T" "$*" >&2; exit 1; }
[ -x bin/mailproc ] || fail "bin/mailproc: run make first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mp-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
d=$tmp/root
P=/opt/mp

make -s install DESTDIR="$d" PREFIX=$P >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "make install failed"; }
for f in $P/bin/mailproc $P/share/mailproc/rules/catalogue.conf \
	$P/share/mailproc/rules/model.bin $P/share/mailproc/templates \
	$P/share/man/man8/mailproc.8 $P/share/man/man5/mailproc.conf.5 \
	$P/share/man/man5/mailproc-rules.5 \
	$P/lib/systemd/system/mailproc-run.service \
	$P/lib/systemd/system/mailproc-fetch@.service \
	$P/lib/systemd/system/mailproc-lmtp.socket \
	$P/lib/systemd/system/mailproc-lmtp.service \
	$P/share/doc/mailproc/mailproc.conf.example \
	/etc/mailproc/mailproc.conf; do
	[ -e "$d$f" ] || fail "not installed: $f"
done
[ -e "$d/usr/local" ] && fail "PREFIX ignored: files in /usr/local"
grep -q "^ExecStart=$P/bin/mailproc run$" "$d$P/lib/systemd/system/mailproc-run.service" ||
	fail "the unit does not run $P/bin/mailproc"
grep -q '@[A-Z]*@' "$d$P"/lib/systemd/system/* && fail "unsubstituted @VAR@ in a unit"
echo "$T: installed under DESTDIR$P"

# The installed binary finds its own rules and templates.
printf 'state_dir = %s/state\n' "$tmp" >"$tmp/c"
"$d$P/bin/mailproc" -c "$tmp/c" check-config >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out" >&2; fail "installed check-config failed"; }
echo "$T: the installed binary passes check-config"

# A second install keeps the local edit.
echo '# local edit' >>"$d/etc/mailproc/mailproc.conf"
cp "$d/etc/mailproc/mailproc.conf" "$tmp/edited"
make -s install DESTDIR="$d" PREFIX=$P >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "second install failed"; }
cmp -s "$tmp/edited" "$d/etc/mailproc/mailproc.conf" || fail "install overwrote /etc/mailproc/mailproc.conf"
cmp -s etc/mailproc.conf.example "$d/etc/mailproc/mailproc.conf.dist" || fail "no mailproc.conf.dist beside the edited file"
echo "$T: /etc/mailproc/mailproc.conf kept, .dist beside it"

# The man pages render without warnings.
for m in "$d$P"/share/man/man*/*; do
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$m" >/dev/null 2>"$tmp/warn" || fail "man -l $m failed"
	elif command -v groff >/dev/null; then
		groff -man -Tutf8 -ww -z "$m" 2>"$tmp/warn" || fail "groff $m failed"
	else
		echo "SKIP $T man pages: neither man nor groff"; break
	fi
	[ -s "$tmp/warn" ] && { cat "$tmp/warn" >&2; fail "warnings rendering $m"; }
done
echo "$T: man pages render without warnings"

# The units, where systemd-analyze can check them here.
if command -v systemd-analyze >/dev/null &&
	systemd-analyze verify --man=no "$d$P/lib/systemd/system/mailproc-run.service" >"$tmp/v" 2>&1; then
	echo "$T: systemd-analyze verify: ok"
else
	echo "$T: note: systemd-analyze verify unavailable here: $(head -1 "$tmp/v" 2>/dev/null)"
fi

# Hardening: systemd-analyze security --offline, exposure under 3.0 (it
# reads the unit files alone; a template is checked as one instance).
if command -v systemd-analyze >/dev/null &&
	systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
	cp "$d$P/lib/systemd/system/mailproc-fetch@.service" "$tmp/mailproc-fetch@support.service"
	for u in "$d$P/lib/systemd/system/mailproc-run.service" "$tmp/mailproc-fetch@support.service" \
		"$d$P/lib/systemd/system/mailproc-lmtp.service"; do
		systemd-analyze security --offline=yes "$u" >"$tmp/sec" 2>&1 || true
		level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$tmp/sec")
		[ -n "$level" ] || { cat "$tmp/sec" >&2; fail "no exposure level for $u"; }
		awk -v l="$level" 'BEGIN { exit !(l < 3.0) }' || fail "$u: exposure $level, want under 3.0"
		echo "$T: $(basename "$u"): exposure $level"
	done
else
	echo "$T: note: systemd-analyze security --offline unavailable"
fi

make -s uninstall DESTDIR="$d" PREFIX=$P >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "make uninstall failed"; }
left=$(cd "$d" && find . -type f | sort)
[ "$left" = "./etc/mailproc/mailproc.conf" ] || fail "after uninstall, left: $left"
echo "PASS $T"
