# fuzz/fuzz.mk: libFuzzer harnesses (clang, ASan + UBSan), included by the
# Makefile.
#
#   make fuzz          each harness for FUZZ_RUNS (10,000,000) executions,
#                      reporting the count
#   make fuzz-check    each for FUZZ_CHECK_SECONDS (15): the short pass
#                      for `make check`; fails on any crash, sanitizer
#                      report or leak
#
# Harnesses: fuzz_parse (msg_parse_fd + msgjson_dump + rules_classify),
# fuzz_conf (conf_load), fuzz_rules (rules_check_dir + rules_load),
# fuzz_lmtp (lmtp_parse, lmtp_dot_feed, lmtp_hdr_feed: the LMTP bytes),
# fuzz_prescan (msg_prescan: the header caps before GMime).
# They link every mailproc/*.c but main.c, compiled with clang into
# fuzz/build/obj.  Seeds: tests/corpus/*.eml, etc/mailproc.conf.example
# and fuzz/seeds/conf, fuzz/seeds/lmtp, the checkout's rules/; fuzz/regressions/NAME/ holds
# inputs that once crashed (run first, every time).  The growing corpus
# is fuzz/build/corpus/NAME, a crash lands in fuzz/build/crashes/.

FUZZ_B        = fuzz/build
FUZZ_CC       = clang
FUZZ_RUNS ?= 10000000
FUZZ_CHECK_SECONDS ?= 15
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wno-unused-parameter \
		$(FUZZ_SAN) $(shell pkg-config --cflags $(PKGS))
FUZZ_NAMES    = parse conf rules lmtp prescan
FUZZ_BINS     = $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz_%)
FUZZ_OBJS     = $(patsubst mailproc/%.c,$(FUZZ_B)/obj/%.o, \
		  $(filter-out mailproc/main.c,$(wildcard mailproc/*.c)))
# libFuzzer flags per harness (conf_load reports problems on stderr).
FUZZ_OPTS_parse =
FUZZ_OPTS_conf  = -close_fd_mask=2
FUZZ_OPTS_rules =
FUZZ_OPTS_lmtp  =
FUZZ_OPTS_prescan =

.PHONY: fuzz fuzz-check fuzz-deps fuzz-build fuzz-seeds
.SECONDARY: $(FUZZ_OBJS)

# clang and its fuzzer runtime, installed only when a trivial fuzzer does
# not link.
fuzz-deps:
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return 0; }\n' \
		> /tmp/mp-fuzz-probe.c; \
	if ! $(FUZZ_CC) -fsanitize=fuzzer,address,undefined \
	    -o /tmp/mp-fuzz-probe /tmp/mp-fuzz-probe.c >/dev/null 2>&1; then \
		tests/install-deps.sh clang libclang-rt-14-dev; \
	fi; \
	rm -f /tmp/mp-fuzz-probe /tmp/mp-fuzz-probe.c

$(FUZZ_B)/obj/%.o: mailproc/%.c mailproc/*.h
	@mkdir -p $(FUZZ_B)/obj
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJS)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Imailproc -o $@ $< \
		$(FUZZ_OBJS) $(LIBS_ALL)

fuzz-build: fuzz-deps
	$(MAKE) $(FUZZ_BINS)

fuzz-seeds:
	@mkdir -p $(FUZZ_B)/crashes $(FUZZ_NAMES:%=$(FUZZ_B)/seeds/%) \
		$(FUZZ_NAMES:%=$(FUZZ_B)/corpus/%) \
		$(FUZZ_NAMES:%=fuzz/regressions/%)
	@cp tests/corpus/*.eml $(FUZZ_B)/seeds/parse/
	@cp etc/mailproc.conf.example fuzz/seeds/conf/* $(FUZZ_B)/seeds/conf/
	@cp fuzz/seeds/lmtp/* $(FUZZ_B)/seeds/lmtp/
	@cp tests/corpus/*.eml $(FUZZ_B)/seeds/prescan/
	@{ cat rules/catalogue.conf; printf '\n--8<--\n'; \
	   cat rules/classify.rules; printf '\n--8<--\n'; \
	   cat rules/form.conf; } > $(FUZZ_B)/seeds/rules/checkout

# fuzz_run LIMIT: every harness in turn, each for LIMIT (a libFuzzer
# flag: -runs=N or -max_total_time=S); fails at the end if any of them
# found a problem.
define fuzz_run
	@bad=; for n in $(FUZZ_NAMES); do \
		echo "fuzz: $$n with $(1)"; \
		case $$n in conf) o='$(FUZZ_OPTS_conf)';; *) o=;; esac; \
		if $(FUZZ_B)/fuzz_$$n $(1) -timeout=20 \
			-rss_limit_mb=2048 -print_final_stats=1 $$o \
			-artifact_prefix=$(FUZZ_B)/crashes/$$n- \
			$(FUZZ_B)/corpus/$$n $(FUZZ_B)/seeds/$$n \
			fuzz/regressions/$$n 2>$(FUZZ_B)/$$n.log; then \
			echo "fuzz: $$n: $$(sed -n 's/^stat::number_of_executed_units: *//p' \
				$(FUZZ_B)/$$n.log) executions"; \
		else \
			grep -E -A12 'runtime error|ERROR: (Address|Leak|libFuzzer)' \
				$(FUZZ_B)/$$n.log | head -30 >&2; \
			echo "fuzz: $$n FOUND A PROBLEM: see $(FUZZ_B)/$$n.log" \
			     "and $(FUZZ_B)/crashes/" >&2; \
			bad="$$bad $$n"; \
		fi; \
	done; \
	if [ -n "$$bad" ]; then echo "fuzz: problems in:$$bad" >&2; exit 1; fi
endef

fuzz: fuzz-build fuzz-seeds
	$(call fuzz_run,-runs=$(FUZZ_RUNS))

fuzz-check: fuzz-build fuzz-seeds
	$(call fuzz_run,-max_total_time=$(FUZZ_CHECK_SECONDS))
