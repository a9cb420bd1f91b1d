#!/bin/bash
# bench/run.sh: the figures of SPEC §13, each beside its floor measured in
# the same run.  Called by `make bench` (bench/bench.mk) from the
# repository root after the tools in bench/build are built.
#
#   floor      bench/build/floor: start, GMime init, parse the same 20 KB
#              message from a file (stdin), exit
#   exec       a bare fork+exec of /bin/true
#   deliver    `mailproc deliver`, one process per message, each message
#              its own (distinct Message-ID and sender), into a scratch
#              state dir; floor and deliver are measured in alternating
#              rounds so that a busy machine slows both alike
#   parallel   BENCH_PARALLEL (1000) messages, 4 deliveries at once, then
#              a check that each is in the database exactly once
#   big        a message with a 25 MB attachment: peak RSS of deliver
#   classify   bench/build/classify: rules loaded, model mapped and one
#              20 KB message classified, as in one deliver (median ms),
#              beside deliver's own median
#   send       `run --once` sending BENCH_SEND (1000) queued mails to a
#              local smtp-sink; its floor is Python's smtplib sending the
#              same mails over one connection to the same sink
#   lmtp       BENCH_LMTP (10000) distinct 20 KB messages over
#              BENCH_LMTP_SESSIONS (8) LMTP sessions (bench/lmtpload.py)
#              to `mailproc lmtp` on a unix socket: accepted messages per
#              second (each durable before its 250), p99 latency, RSS
#              after the first and the last thousand, then the time until
#              every message is processed, and a check that each is in the
#              database exactly once; its floor is bench/build/lmtp_floor
#              (write, fsync, rename, fsync the directory, 250) under the
#              same load, with every file checked the same way
#
# Peak RSS is the kernel's (wait4 ru_maxrss).  Prints a table, writes
# bench/results.json, names every missed target, and exits 0 unless a
# measurement broke or a message was lost or duplicated.
#
# Environment: MAILPROC (default bin/mailproc), BENCH_RUNS (100 runs of
# each sequential figure), BENCH_PARALLEL (1000), BENCH_SEND (1000),
# BENCH_LMTP (10000), BENCH_LMTP_SESSIONS (8), BENCH_TMP (the scratch directory's parent, default /var/tmp: a real
# disk, because fsync is part of the cost).
set -eu
top=$(pwd)
MAILPROC=$(readlink -f "${MAILPROC:-bin/mailproc}")
tools=$top/bench/build
runs=${BENCH_RUNS:-100}
npar=${BENCH_PARALLEL:-1000}
nsend=${BENCH_SEND:-1000}
nlmtp=${BENCH_LMTP:-10000}
lmtp_sessions=${BENCH_LMTP_SESSIONS:-8}
rounds=5
[ "$runs" -ge "$rounds" ] || runs=$rounds
per_round=$((runs / rounds))
runs=$((per_round * rounds))
results=$top/bench/results.json

for t in "$MAILPROC" "$tools/floor" "$tools/measure" "$tools/lmtp_floor"; do
	[ -x "$t" ] || { echo "bench: $t is missing (make bench builds it)" >&2;
			 exit 1; }
done
command -v smtp-sink >/dev/null ||
	{ echo "bench: smtp-sink (postfix) is not installed" >&2; exit 1; }

work=$(mktemp -d "${BENCH_TMP:-/var/tmp}/mp-bench.XXXXXX")
chmod 755 "$work"
sink_pid=
run_pid=
lmtp_pid=
lfloor_pid=
cleanup() {
	[ -z "$lmtp_pid" ] || kill "$lmtp_pid" 2>/dev/null || true
	[ -z "$lfloor_pid" ] || kill "$lfloor_pid" 2>/dev/null || true
	[ -z "$run_pid" ] || kill "$run_pid" 2>/dev/null || true
	[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
	[ -z "$sink_pid" ] || wait "$sink_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }
# A Monday at 10:00 in Tokyo: business hours, nothing is held.
export MAILPROC_NOW=1796000400
port=$((20000 + RANDOM % 20000))

write_conf() {	# write_conf NAME: $work/NAME.conf for state $work/NAME
	cat > "$work/$1.conf" <<CONF
state_dir = $work/$1
staff_addresses = staff@example.jp
smtp_url = smtp://127.0.0.1:$port
smtp_timeout = 10s
max_message_size = 64M
staff_digest = no
CONF
}
mp() {	# mp NAME ARGS...
	local name=$1
	shift
	"$MAILPROC" -c "$work/$name.conf" "$@"
}
deliver_cmd() {	# the deliver command line for state NAME
	printf '%s\n' "$MAILPROC" -c "$work/$1.conf" deliver \
		--sender customer@customer.example.co.jp \
		--recipient support@example.jp
}
# measure ARGS...: runs bench/build/measure, prints its key=value line
measure() { "$tools/measure" "$@"; }
kv() {	# kv KEY LINE: the value of KEY in a measure line
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
median_of() {	# median_of TIMESFILE COLUMN(1=ms,2=rss) [max]
	python3 - "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
vals = [float(r[int(sys.argv[2]) - 1]) for r in rows]
if len(sys.argv) > 3:
    print("%.3f" % max(vals))
else:
    print("%.3f" % statistics.median(vals))
PY
}
bad_status() {	# bad_status TIMESFILE: runs that did not exit 0
	awk '$3 != 0' "$1" | wc -l
}

# --- messages ----------------------------------------------------------
say "writing test messages in $work"
mkdir -p "$work/seq" "$work/par" "$work/send"
python3 "$top/bench/genmsg.py" std "$work/seq" $((runs + per_round * 2 + 4))
python3 "$top/bench/genmsg.py" std "$work/par" $((npar + 1))
python3 "$top/bench/genmsg.py" std "$work/send" 20
python3 "$top/bench/genmsg.py" big "$work/big.eml" 25
msg_bytes=$(stat -c %s "$work/seq/m0.eml")

# --- 1. floor, exec and deliver, alternating ---------------------------
write_conf seq
# Warm-up: page cache, the database and its schema, the spool dirs.
for i in 0 1 2; do
	"$tools/floor" < "$work/seq/m$i.eml"
	# shellcheck disable=SC2091,SC2046
	$(deliver_cmd seq) < "$work/seq/m$i.eml" || die "warm-up deliver: $?"
done
say "deliver vs floor: $rounds rounds of $per_round runs each"
for r in $(seq 0 $((rounds - 1))); do
	measure -n "$per_round" -t "$work/t.exec" -- /bin/true >/dev/null
	measure -n "$per_round" -i "$work/seq/m3.eml" -t "$work/t.floor" \
		-- "$tools/floor" >/dev/null
	# shellcheck disable=SC2046
	measure -n "$per_round" -i "$work/seq/m%d.eml" \
		-s $((4 + r * per_round)) -e "$work/seq.err" \
		-t "$work/t.deliver" -- $(deliver_cmd seq) >/dev/null
done
[ "$(bad_status "$work/t.deliver")" = 0 ] ||
	die "deliver failed $(bad_status "$work/t.deliver") time(s): $(head -3 "$work/seq.err")"
[ "$(bad_status "$work/t.floor")" = 0 ] || die "the floor program failed"
exec_ms=$(median_of "$work/t.exec" 1)
floor_ms=$(median_of "$work/t.floor" 1)
deliver_ms=$(median_of "$work/t.deliver" 1)
floor_rss=$(median_of "$work/t.floor" 2 max)
deliver_rss=$(median_of "$work/t.deliver" 2 max)
seq_left=$(find "$work/seq/spool/incoming/new" -type f | wc -l)

# The same with a `run` loop alive, as in production: while another
# connection holds the database, a new process need not rebuild the WAL
# index from the whole WAL file.
"$MAILPROC" -c "$work/seq.conf" run >/dev/null 2>&1 &
run_pid=$!
sleep 1
# shellcheck disable=SC2046
measure -n "$((per_round * 2))" -i "$work/seq/m%d.eml" -s $((4 + runs)) \
	-e "$work/seq.err" -t "$work/t.deliver_run" -- $(deliver_cmd seq) \
	>/dev/null
kill "$run_pid"
wait "$run_pid" || true
run_pid=
deliver_run_ms=$(median_of "$work/t.deliver_run" 1)

# --- 2. parallel ---------------------------------------------------------
write_conf par
# shellcheck disable=SC2091,SC2046
$(deliver_cmd par) < "$work/par/m$npar.eml" || die "warm-up deliver (par)"
say "$npar messages, 4 deliveries at once"
# shellcheck disable=SC2046
line=$(measure -n "$npar" -j 4 -i "$work/par/m%d.eml" -e "$work/par.err" \
	-- $(deliver_cmd par))
par_s=$(kv total_s "$line")
par_ok=$(kv ok "$line")
par_rate=$(python3 -c "print('%.1f' % ($npar / $par_s))")
par_left=$(find "$work/par/spool/incoming/new" -type f | wc -l)
par_tmp=$(find "$work/par/spool/incoming/tmp" -type f | wc -l)
par_locked=$(grep -c 'locked' "$work/par.err" || true)
mp par run --once || die "run --once after the parallel deliveries: $?"
par_after=$(find "$work/par/spool/incoming/new" -type f | wc -l)
par_tickets=$(mp par ticket list --json | python3 -c \
	'import json,sys; print(len(json.load(sys.stdin)))')
read -r par_msgs par_mids <<<"$(sqlite3 -separator ' ' \
	"$work/par/mailproc.db" "SELECT count(*), count(DISTINCT message_id)
	 FROM messages WHERE direction = 'in' AND message_id LIKE 'bench%'")"
want=$((npar + 1))
par_lost=$((want - par_mids))
par_dup=$((par_msgs - par_mids))
[ "$par_ok" = "$npar" ] || die "parallel: only $par_ok of $npar deliveries exited 0: $(head -3 "$work/par.err")"
[ "$par_lost" = 0 ] || die "parallel: $par_lost message(s) lost"
[ "$par_dup" = 0 ] || die "parallel: $par_dup message(s) stored twice"
[ "$par_tickets" = "$want" ] ||
	die "parallel: $par_tickets tickets for $want distinct messages"

# --- 3. the 25 MB attachment -----------------------------------------------
write_conf big
say "a message with a 25 MB attachment ($(stat -c %s "$work/big.eml") bytes)"
# shellcheck disable=SC2046
line=$(measure -n 3 -i "$work/big.eml" -e "$work/big.err" -- \
	$(deliver_cmd big))
[ "$(kv ok "$line")" = 3 ] || die "big deliver failed: $(head -3 "$work/big.err")"
big_rss=$(kv max_rss_kb "$line")
big_ms=$(kv median_ms "$line")
line=$(measure -n 3 -i "$work/big.eml" -- "$tools/floor")
big_floor_rss=$(kv max_rss_kb "$line")
big_tickets=$(mp big ticket list --json | python3 -c \
	'import json,sys; print(len(json.load(sys.stdin)))')
[ "$big_tickets" = 1 ] || die "big: $big_tickets tickets, want 1"

# --- 4. sending ------------------------------------------------------------
# A few real deliveries queue real mails (acknowledgements and staff
# notices); copies of those rows, made with sqlite3, fill the outbox up to
# BENCH_SEND mails.
write_conf send
say "queueing $nsend mails"
# shellcheck disable=SC2046
line=$(measure -n 20 -i "$work/send/m%d.eml" -e "$work/send.err" -- \
	$(deliver_cmd send))
[ "$(kv ok "$line")" = 20 ] || die "deliver (send): $(head -3 "$work/send.err")"
queued=$(sqlite3 "$work/send/mailproc.db" "
	CREATE TEMP TABLE q AS SELECT * FROM outbox WHERE state = 'queued';
	UPDATE q SET id = NULL;
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
				WHERE i < $nsend)
	INSERT INTO outbox SELECT q.* FROM q, n
		WHERE (SELECT count(*) FROM q) * n.i <= $nsend + 100;
	DELETE FROM outbox WHERE state = 'queued' AND id NOT IN
		(SELECT id FROM outbox WHERE state = 'queued' ORDER BY id
		 LIMIT $nsend);
	SELECT count(*) FROM outbox WHERE state = 'queued';")
[ "$queued" = "$nsend" ] || die "only $queued mails queued, want $nsend"
mkdir -p "$work/sink"
chown postfix "$work/sink" 2>/dev/null || true
smtp-sink -u postfix -d "$work/sink/%Y%m%d%H%M%S." "127.0.0.1:$port" 100 &
sink_pid=$!
for i in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
say "run --once: sending $queued mails"
line=$(measure -n 1 -e "$work/run.err" -- "$MAILPROC" \
	-c "$work/send.conf" run --once)
send_s=$(kv total_s "$line")
run_rss=$(kv max_rss_kb "$line")
sent=$(sqlite3 "$work/send/mailproc.db" \
	"SELECT count(*) FROM outbox WHERE state = 'sent'")
[ "$sent" = "$queued" ] || die "run sent $sent of $queued: $(tail -3 "$work/run.err")"
send_rate=$(python3 -c "print('%.1f' % ($sent / $send_s))")
say "floor: Python smtplib sending the same $sent mails on one connection"
send_floor_rate=$(python3 - "$work/send/mailproc.db" "$port" <<'PY'
import smtplib, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT env_from, to_addr, raw FROM outbox "
                  "WHERE state = 'sent' ORDER BY id").fetchall()
t0 = time.monotonic()
s = smtplib.SMTP("127.0.0.1", int(sys.argv[2]), timeout=10)
for env_from, to, raw in rows:
    s.sendmail(env_from, [to], raw)
s.quit()
print("%.1f" % (len(rows) / (time.monotonic() - t0)))
PY
)
sleep 0.5
sink_files=$(find "$work/sink" -type f | wc -l)
kill "$sink_pid" 2>/dev/null || true
wait "$sink_pid" 2>/dev/null || true
sink_pid=

# --- classification: rules loaded, model mapped, one mail classified ---------
say "classification: load and classify, 10 times over 20 messages"
read -r _ classify_ms _ model_load_ms < <("$tools/classify" "$top/rules" \
	"$top/rules/model.bin" 10 $(printf "$work/seq/m%d.eml " $(seq 0 19))) ||
	die "classify bench"

# --- 5. lmtp: the resident server beside the durable-write floor ------------
wait_sock() {	# wait_sock PATH
	for _ in $(seq 200); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	die "no LMTP socket at $1"
}
say "lmtp floor: $nlmtp messages over $lmtp_sessions sessions"
"$tools/lmtp_floor" "unix:$work/lfloor.sock" "$work/lfloor" &
lfloor_pid=$!
wait_sock "$work/lfloor.sock"
line=$(python3 "$top/bench/lmtpload.py" "unix:$work/lfloor.sock" "$nlmtp" \
	"$lmtp_sessions" "$lfloor_pid") || die "lmtp floor load: $line"
kill "$lfloor_pid"
wait "$lfloor_pid" 2>/dev/null || true
lfloor_pid=
lfloor_json=$line
lfloor_files=$(find "$work/lfloor/new" -type f | wc -l)
lfloor_mids=$(cat "$work"/lfloor/new/* | grep -a '^Message-ID: <lmtpbench' |
	sort -u | wc -l)
[ "$lfloor_files" = "$nlmtp" ] && [ "$lfloor_mids" = "$nlmtp" ] ||
	die "lmtp floor: $lfloor_files files, $lfloor_mids distinct, want $nlmtp"
# The floor's files stay until the end: with no journal, ext4 skips inodes
# freed in the last 30 seconds when it allocates, so a mass deletion here
# would slow the next run down (measured: mailproc at 0.46 of the floor
# right after one, 0.75 without).

write_conf lmtp
say "mailproc lmtp: $nlmtp messages over $lmtp_sessions sessions"
"$MAILPROC" -c "$work/lmtp.conf" lmtp --listen "unix:$work/lmtp.sock" \
	2> "$work/lmtp.err" &
lmtp_pid=$!
wait_sock "$work/lmtp.sock"
line=$(python3 "$top/bench/lmtpload.py" "unix:$work/lmtp.sock" "$nlmtp" \
	"$lmtp_sessions" "$lmtp_pid") ||
	die "lmtp load: $line $(tail -3 "$work/lmtp.err")"
lmtp_json=$line
# Processing runs behind the 250s: wait for new/ to empty.
t0=$(date +%s.%N)
for _ in $(seq 6000); do
	[ -z "$(find "$work/lmtp/spool/incoming/new" -type f | head -1)" ] &&
		break
	sleep 0.1
done
t1=$(date +%s.%N)
lmtp_left=$(find "$work/lmtp/spool/incoming/new" -type f | wc -l)
kill -TERM "$lmtp_pid"
wait "$lmtp_pid" || die "mailproc lmtp exited $? after SIGTERM"
lmtp_pid=
read -r lmtp_msgs lmtp_mids <<<"$(sqlite3 -separator ' ' \
	"$work/lmtp/mailproc.db" "SELECT count(*), count(DISTINCT message_id)
	 FROM messages WHERE direction = 'in' AND message_id LIKE 'lmtpbench%'")"
lmtp_lost=$((nlmtp - lmtp_mids))
lmtp_dup=$((lmtp_msgs - lmtp_mids))
[ "$lmtp_left" = 0 ] || die "lmtp: $lmtp_left message(s) still in new/"
[ "$lmtp_lost" = 0 ] || die "lmtp: $lmtp_lost message(s) lost"
[ "$lmtp_dup" = 0 ] || die "lmtp: $lmtp_dup message(s) stored twice"
lmtp_drain_s=$(python3 -c "print('%.3f' % ($t1 - $t0))")

# --- report ------------------------------------------------------------------
python3 - "$results" <<PY
import json, sys
r = {
    "deliver_ms": $deliver_ms,
    "floor_ms": $floor_ms,
    "deliver_ratio": round($deliver_ms / $floor_ms, 2),
    "exec_ms": $exec_ms,
    "deliver_with_run_ms": $deliver_run_ms,
    "deliver_rss_kb": int($deliver_rss),
    "floor_rss_kb": int($floor_rss),
    "parallel_msgs_per_s": $par_rate,
    "parallel_floor_msgs_per_s": round(2 * 1000 / $floor_ms, 1),
    "parallel_messages": $npar,
    "parallel_left_in_new": $par_left,
    "parallel_lost": $par_lost,
    "parallel_duplicated": $par_dup,
    "big_rss_kb": int($big_rss),
    "big_floor_rss_kb": int($big_floor_rss),
    "big_ms": $big_ms,
    "send_mails_per_s": $send_rate,
    "send_floor_mails_per_s": $send_floor_rate,
    "send_mails": $sent,
    "run_rss_kb": int($run_rss),
    "message_bytes": $msg_bytes,
    "classify_ms": $classify_ms,
    "model_load_ms": $model_load_ms,
    "classify_share": round($classify_ms / $deliver_ms, 3),
    "runs": $runs,
}
lm = json.loads('''$lmtp_json''')
lf = json.loads('''$lfloor_json''')
r.update({
    "lmtp_msgs_per_s": lm["msgs_per_s"],
    "lmtp_floor_msgs_per_s": lf["msgs_per_s"],
    "lmtp_ratio": round(lm["msgs_per_s"] / lf["msgs_per_s"], 2),
    "lmtp_p50_ms": lm["p50_ms"],
    "lmtp_p99_ms": lm["p99_ms"],
    "lmtp_floor_p99_ms": lf["p99_ms"],
    "lmtp_rss_first_kb": lm["rss_first_kb"],
    "lmtp_rss_last_kb": lm["rss_last_kb"],
    "lmtp_messages": $nlmtp,
    "lmtp_sessions": $lmtp_sessions,
    "lmtp_processed_msgs_per_s": round($nlmtp / (lm["seconds"] +
                                                 $lmtp_drain_s), 1),
    "lmtp_lost": $lmtp_lost,
    "lmtp_duplicated": $lmtp_dup,
})
targets = [
    ("deliver_ratio", r["deliver_ratio"] <= 1.5,
     "deliver within 1.5x of the floor"),
    ("deliver_rss_kb", r["deliver_rss_kb"] < 10240, "deliver RSS < 10 MB"),
    ("parallel_msgs_per_s",
     r["parallel_msgs_per_s"] >= 0.6 * r["parallel_floor_msgs_per_s"],
     "parallel >= 60% of two cores at floor pace"),
    ("big_rss_kb", r["big_rss_kb"] < 12288, "25 MB attachment RSS < 12 MB"),
    ("send_mails_per_s", r["send_mails_per_s"] > 300, "send > 300 mails/s"),
    ("classify_share", r["classify_share"] < 0.10,
     "classification < 10% of a deliver"),
    ("lmtp_msgs_per_s", r["lmtp_msgs_per_s"] >= 1000,
     "lmtp >= 1000 msgs/s"),
    ("lmtp_ratio", r["lmtp_ratio"] >= 0.5, "lmtp >= 50% of lmtp_floor"),
    ("lmtp_rss_last_kb",
     r["lmtp_rss_last_kb"] <= 1.2 * r["lmtp_rss_first_kb"],
     "lmtp RSS flat (last thousand within 20% of the first)"),
]
r["targets_missed"] = [k for k, ok, _ in targets if not ok]
with open(sys.argv[1], "w") as f:
    json.dump(r, f, indent=2)
    f.write("\n")

def row(fig, got, floor, ratio, target, key):
    ok = dict((k, v) for k, v, _ in targets).get(key)
    verdict = "" if ok is None else ("met" if ok else "MISSED")
    print("%-36s %12s %12s %8s  %-22s %s" % (fig, got, floor, ratio,
                                             target, verdict))

print()
print("%-36s %12s %12s %8s  %-22s %s" % ("figure", "mailproc", "floor",
                                          "ratio", "target", ""))
print("-" * 100)
row("bare fork+exec (/bin/true)", "", "%.2f ms" % r["exec_ms"], "", "", "")
row("deliver %d B, median of %d" % (r["message_bytes"], r["runs"]),
    "%.2f ms" % r["deliver_ms"], "%.2f ms" % r["floor_ms"],
    "%.2fx" % r["deliver_ratio"], "<= 1.5x", "deliver_ratio")
row("  the same with a run loop alive", "%.2f ms" % r["deliver_with_run_ms"],
    "", "%.2fx" % (r["deliver_with_run_ms"] / r["floor_ms"]), "", "")
row("classify: load rules+model, one mail", "%.3f ms" % r["classify_ms"],
    "%.2f ms" % r["deliver_ms"], "%.3f" % r["classify_share"],
    "< 0.10 of deliver", "classify_share")
row("  of it, mapping the model", "%.3f ms" % r["model_load_ms"], "", "",
    "", "")
row("deliver peak RSS", "%d KB" % r["deliver_rss_kb"],
    "%d KB" % r["floor_rss_kb"],
    "%.2fx" % (r["deliver_rss_kb"] / r["floor_rss_kb"]), "< 10240 KB",
    "deliver_rss_kb")
row("%d msgs, 4 parallel" % r["parallel_messages"],
    "%.1f msg/s" % r["parallel_msgs_per_s"],
    "%.1f msg/s" % r["parallel_floor_msgs_per_s"],
    "%.2f" % (r["parallel_msgs_per_s"] / r["parallel_floor_msgs_per_s"]),
    ">= 0.60 (2 cores)", "parallel_msgs_per_s")
row("  lost / duplicated / left in new/", "%d / %d / %d" % (
    r["parallel_lost"], r["parallel_duplicated"],
    r["parallel_left_in_new"]), "", "", "0 / 0", "")
row("25 MB attachment peak RSS", "%d KB" % r["big_rss_kb"],
    "%d KB" % r["big_floor_rss_kb"],
    "%.2fx" % (r["big_rss_kb"] / r["big_floor_rss_kb"]), "< 12288 KB",
    "big_rss_kb")
row("  its deliver wall time (median of 3)", "%.0f ms" % r["big_ms"], "",
    "", "", "")
row("run: %d mails, one connection" % r["send_mails"],
    "%.1f mail/s" % r["send_mails_per_s"],
    "%.1f mail/s" % r["send_floor_mails_per_s"],
    "%.2f" % (r["send_mails_per_s"] / r["send_floor_mails_per_s"]),
    "> 300 mail/s", "send_mails_per_s")
row("lmtp: %d msgs, %d sessions" % (
    r["lmtp_messages"], r["lmtp_sessions"]),
    "%.1f msg/s" % r["lmtp_msgs_per_s"],
    "%.1f msg/s" % r["lmtp_floor_msgs_per_s"], "%.2f" % r["lmtp_ratio"],
    ">= 1000, >= 0.50", "lmtp_ratio")
row("  p99 latency MAIL..250", "%.2f ms" % r["lmtp_p99_ms"],
    "%.2f ms" % r["lmtp_floor_p99_ms"], "", "", "")
row("  RSS first / last thousand", "%d / %d KB" % (
    r["lmtp_rss_first_kb"], r["lmtp_rss_last_kb"]), "", "", "within 20%",
    "lmtp_rss_last_kb")
row("  all processed (parse..commit)",
    "%.1f msg/s" % r["lmtp_processed_msgs_per_s"], "", "", "", "")
row("  lost / duplicated", "%d / %d" % (r["lmtp_lost"],
    r["lmtp_duplicated"]), "", "", "0 / 0", "")
print("-" * 100)
print("floors: deliver = bench/floor (start, GMime init, parse, exit); "
      "parallel = 2 cores x 1000/floor_ms;")
print("        send = Python smtplib, same mails, same sink, one "
      "connection.  RSS = wait4 ru_maxrss.")
print("        lmtp = bench/build/lmtp_floor (write, fsync, rename, fsync "
      "dir, 250), same load; RSS = VmRSS.")
for k, ok, what in targets:
    if not ok:
        print("MISSED: %s (%s)" % (what, k))
print("wrote %s" % sys.argv[1])
PY
[ "$sink_files" -ge "$sent" ] ||
	say "note: the sink stored $sink_files files for $sent + $sent mails"
[ "$seq_left" = 0 ] ||
	say "note: $seq_left sequential deliveries left their message in new/"
[ "$par_locked" = 0 ] ||
	say "note: $par_locked 'locked' lines on deliver's stderr in parallel"
[ "$par_tmp" = 0 ] || say "note: $par_tmp file(s) left in spool tmp/"
[ "$par_after" = 0 ] || say "note: $par_after file(s) still in new/ after run"
exit 0
