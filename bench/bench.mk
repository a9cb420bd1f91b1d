# bench/bench.mk: `make bench` (SPEC §13), included by the Makefile.
# Builds the yardsticks (bench/build/floor: start, GMime init, parse;
# bench/build/measure: runs a command N times, J at once, and reads wall
# time and ru_maxrss from wait4; bench/build/classify: rules and model
# loaded and one mail classified, as in one deliver) with the same flags and pkg-config
# packages as mailproc, then runs bench/run.sh, which prints the table and
# writes bench/results.json.  BENCH_RUNS, BENCH_PARALLEL and BENCH_SEND
# (see bench/run.sh) make it shorter or longer.  Then bench/hostile.py
# reports the ratio of the hostile mails to ordinary ones (bench-hostile;
# BENCH_HOSTILE_RUNS, default 3).

BENCH_B = bench/build

.PHONY: bench bench-tools bench-hostile

$(BENCH_B)/floor: bench/floor.c
	@mkdir -p $(BENCH_B)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS_ALL) -o $@ bench/floor.c $(LIBS_ALL)

$(BENCH_B)/measure: bench/measure.c
	@mkdir -p $(BENCH_B)
	@echo "  CC      $@"
	@$(CC) -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -o $@ bench/measure.c

# What classification costs one deliver: built from mailproc's own
# modules, so it loads rules and model exactly as deliver does.
$(BENCH_B)/classify: bench/classify.c $(LIBOBJS)
	@mkdir -p $(BENCH_B)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS_ALL) -Imailproc -o $@ bench/classify.c $(LIBOBJS) \
		$(LIBS_ALL)

# The LMTP floor decodes DATA with mailproc's own lmtp.c.
$(BENCH_B)/lmtp_floor: bench/lmtp_floor.c mailproc/lmtp.c mailproc/lmtp.h
	@mkdir -p $(BENCH_B)
	@echo "  CC      $@"
	@$(CC) -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -Imailproc -o $@ \
		bench/lmtp_floor.c mailproc/lmtp.c -lpthread

bench-tools: $(BENCH_B)/floor $(BENCH_B)/measure $(BENCH_B)/classify \
	     $(BENCH_B)/lmtp_floor

bench: deps
	$(MAKE) all
	$(MAKE) bench-tools
	MAILPROC=$(CURDIR)/bin/mailproc bench/run.sh
	$(MAKE) bench-hostile

# Issue 13's target alone: the 100,000-parameter and 10 MB-Subject mails
# against ordinary mails of the same size (bench/hostile.json).
bench-hostile:
	$(MAKE) all
	python3 bench/hostile.py $(CURDIR)/bin/mailproc $(BENCH_HOSTILE_RUNS)
