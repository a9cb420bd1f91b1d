# bench/bench.mk: `make bench` (SPEC §13), included by the Makefile.
# Builds the yardsticks (bench/build/floor: start, GMime init, parse;
# bench/build/measure: runs a command N times, J at once, and reads wall
# time and ru_maxrss from wait4) with the same flags and pkg-config
# packages as mailproc, then runs bench/run.sh, which prints the table and
# writes bench/results.json.  BENCH_RUNS, BENCH_PARALLEL and BENCH_SEND
# (see bench/run.sh) make it shorter or longer.

BENCH_B = bench/build

.PHONY: bench bench-tools

$(BENCH_B)/floor: bench/floor.c
	@mkdir -p $(BENCH_B)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS_ALL) -o $@ bench/floor.c $(LIBS_ALL)

$(BENCH_B)/measure: bench/measure.c
	@mkdir -p $(BENCH_B)
	@echo "  CC      $@"
	@$(CC) -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -o $@ bench/measure.c

bench-tools: $(BENCH_B)/floor $(BENCH_B)/measure

bench: deps
	$(MAKE) all
	$(MAKE) bench-tools
	MAILPROC=$(CURDIR)/bin/mailproc bench/run.sh
