# mailproc: see README.md.  `make` builds bin/mailproc; `make check` installs
# what it needs, builds, and runs every unit and end-to-end test.

PKGS     = gmime-3.0 glib-2.0 sqlite3 libpcre2-8 libcurl jansson
CC      ?= cc
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wformat=2 -Wno-format-nonliteral
VERSION ?= 0.9.0
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE \
	     -DMAILPROC_VERSION='"$(VERSION)"' \
	     $(shell pkg-config --cflags $(PKGS)) $(CPPFLAGS) $(CFLAGS)
# libcurl is only compiled against: outbox.c loads it with dlopen() so
# that `deliver` does not pay for GnuTLS at start-up.  GMime, GLib,
# SQLite, PCRE2 and jansson are linked dynamically, so that Debian's
# security updates of those libraries reach an installed mailproc (the
# resident `lmtp` mode is the fast path where start-up cost matters).
# STATIC=1 links them statically (their .a files come with the -dev
# packages), for measurements of a `deliver` per message.
STATIC    ?= 0
ifeq ($(STATIC),1)
LIBS_ALL   = -Wl,-Bstatic -lgmime-3.0 -lgio-2.0 -lgobject-2.0 \
	     -lgmodule-2.0 -lglib-2.0 -lsqlite3 -lpcre2-8 -ljansson -lffi \
	     -Wl,-Bdynamic -l:libgpgme.so.11 -lidn2 -lz -lmount -lselinux \
	     -lresolv -lm -ldl -lpthread
else
LIBS_ALL   = $(shell pkg-config --libs $(filter-out libcurl,$(PKGS))) -lm -ldl
endif

# SANITIZE=1 builds everything under ASan/UBSan into build-asan/.
ifeq ($(SANITIZE),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer
B        = build-asan
BIN      = build-asan/mailproc
else
B        = build
BIN      = bin/mailproc
endif

SRCS     = $(wildcard mailproc/*.c)
OBJS     = $(SRCS:mailproc/%.c=$(B)/%.o)
LIBOBJS  = $(filter-out $(B)/main.o,$(OBJS))
UNITSRCS = $(wildcard tests/unit/test_*.c)
UNITOBJS = $(UNITSRCS:tests/unit/%.c=$(B)/unit/%.o)

DEBPKGS  = build-essential pkg-config libgmime-3.0-dev libetpan-dev \
	   libsqlite3-dev libpcre2-dev libcurl4-gnutls-dev libjansson-dev \
	   check postfix swaks dovecot-core dovecot-imapd python3 sqlite3 \
	   ca-certificates clang libclang-rt-14-dev libidn2-dev zlib1g-dev \
	   libmount-dev libselinux1-dev libffi-dev libgpgme11 liblinear-dev \
	   debhelper lintian systemd

# The classifier's model is built from the labelled corpus by the binary
# itself (`mailproc train`, LIBLINEAR loaded at run time); the sanitizer
# build uses the same file.
MODEL    = rules/model.bin
CORPUS   = $(wildcard rules/corpus/*/*.eml)

.PHONY: all deps check unit e2e demo bench asan clean install uninstall deb
ifeq ($(SANITIZE),1)
all: $(BIN)
else
all: $(BIN) $(MODEL)
endif

$(MODEL): bin/mailproc $(CORPUS) rules/catalogue.conf rules/classify.rules \
	  rules/form.conf
	@echo "  TRAIN   $@"
	@bin/mailproc -c /dev/null train --model $@
	@chmod 644 $@	# mailproc's umask (007) is for the state dir

$(BIN): $(OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $(OBJS) $(LIBS_ALL)

$(B)/%.o: mailproc/%.c mailproc/*.h
	@mkdir -p $(B)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/unit/%.o: tests/unit/%.c mailproc/*.h tests/unit/*.h
	@mkdir -p $(B)/unit
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -Imailproc $$(pkg-config --cflags check) -c -o $@ $<

# The runner finds each test file's suite_<name>() by its definition line.
$(B)/unit/suites.inc: $(UNITSRCS)
	@mkdir -p $(B)/unit
	sed -n 's/^suite_\([a-z0-9_]*\)(void)$$/SUITE(\1)/p' $(UNITSRCS) /dev/null > $@

$(B)/unit/runner.o: tests/runner.c $(B)/unit/suites.inc
	@$(CC) $(CFLAGS_ALL) -I$(B)/unit $$(pkg-config --cflags check) -c -o $@ $<

$(B)/runtests: $(B)/unit/runner.o $(UNITOBJS) $(LIBOBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL) $$(pkg-config --libs check)

asan:
	$(MAKE) SANITIZE=1

# Installs build and test dependencies; does nothing when all are present.
deps:
	@if dpkg-query -W -f='$${Status}\n' $(DEBPKGS) 2>/dev/null | \
	    grep -vq 'install ok installed' || \
	    [ "$$(dpkg-query -W -f='$${Status}\n' $(DEBPKGS) 2>/dev/null | wc -l)" -ne $(words $(DEBPKGS)) ]; then \
		tests/install-deps.sh $(DEBPKGS); \
	fi

unit: $(BIN) $(B)/runtests
	MP_TOP=$(CURDIR) MAILPROC=$(CURDIR)/$(BIN) $(B)/runtests unit

e2e: $(BIN) $(B)/runtests
	tests/run-e2e.sh $(CURDIR)/$(BIN) $(B)/runtests

# A short bounded fuzz pass (fuzz/fuzz.mk), then the unit tests and the
# end-to-end tests under ASan/UBSan (Postfix's pipe runs the ASan build
# too; the crash and concurrency scripts use the normal one), all under
# one Check runner whose summary line ends the output.
check: deps
	$(MAKE) all
	$(MAKE) SANITIZE=1 all build-asan/runtests
	$(MAKE) fuzz-check FUZZ_CHECK_SECONDS=10
	tests/run-e2e.sh $(CURDIR)/build-asan/mailproc build-asan/runtests "" \
		$(CURDIR)/bin/mailproc

demo: deps
	$(MAKE) all
	tests/demo.sh $(CURDIR)/bin/mailproc

# bench/bench.mk defines `bench`; fuzz/fuzz.mk defines `fuzz` and the
# short fuzz pass `fuzz-check` that `make check` runs.
-include bench/bench.mk
-include fuzz/fuzz.mk

# `make install` (README "Installing and upgrading"): PREFIX and DESTDIR
# are honoured; rules, templates, man pages and the systemd units go under
# PREFIX (replaced on upgrade: site changes belong in /etc/mailproc);
# nothing in SYSCONFDIR is ever overwritten: the configuration is
# installed only when absent, else beside it as mailproc.conf.dist.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/mailproc
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/mailproc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
STATEDIR   ?= /var/lib/mailproc
MANPAGES   = man/mailproc.8 man/mailproc.conf.5 man/mailproc-rules.5
UNITS      = mailproc-run.service mailproc-fetch@.service \
	     mailproc-lmtp.socket mailproc-lmtp.service
SUBST      = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g' \
	     -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/mailproc
	install -m 755 bin/mailproc $(DESTDIR)$(BINDIR)/mailproc
	rm -rf $(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(DATADIR)/templates
	cp -R rules templates $(DESTDIR)$(DATADIR)/
	chmod -R u+rwX,go+rX,go-w $(DESTDIR)$(DATADIR)
	install -m 644 man/mailproc.8 $(DESTDIR)$(MANDIR)/man8/mailproc.8
	install -m 644 man/mailproc.conf.5 man/mailproc-rules.5 \
		$(DESTDIR)$(MANDIR)/man5/
	for u in $(UNITS); do \
		$(SUBST) etc/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 644 etc/mailproc.conf.example $(DESTDIR)$(DOCDIR)/
	$(SUBST) -e "s|/usr/local/bin/mailproc|$(BINDIR)/mailproc|" \
		etc/master.cf.snippet > $(DESTDIR)$(DOCDIR)/master.cf.snippet
	@conf=$(DESTDIR)$(SYSCONFDIR)/mailproc/mailproc.conf; \
	if [ ! -e $$conf ]; then \
		install -m 644 etc/mailproc.conf.example $$conf; \
		echo "installed $$conf"; \
	elif ! cmp -s etc/mailproc.conf.example $$conf; then \
		install -m 644 etc/mailproc.conf.example $$conf.dist; \
		echo "kept $$conf; the new example is $$conf.dist"; \
	fi

# Removes what install put under PREFIX; the configuration in SYSCONFDIR
# and the state (database, spool) in STATEDIR stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailproc
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(MANDIR)/man8/mailproc.8 \
		$(DESTDIR)$(MANDIR)/man5/mailproc.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/mailproc-rules.5
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(SYSCONFDIR)/mailproc/mailproc.conf.dist
	@echo "kept $(SYSCONFDIR)/mailproc and $(STATEDIR)"

clean:
	rm -rf build build-asan bin

# `make deb` (README "The Debian package"): dpkg-buildpackage in a copy of
# the tree under build/deb/, so that its `make clean` never touches this
# checkout's build; then lintian, which must pass.  The package is rebuilt
# only when a file it is made from changed (build/deb/stamp).
DEBTREE    = Makefile README.md LICENSE mailproc etc man debian templates \
	     rules
DEBSRCS   := $(shell find $(DEBTREE) -type f ! -name model.bin \
	       ! -name '*.o' 2>/dev/null)

deb: build/deb/stamp

build/deb/stamp: $(DEBSRCS)
	rm -rf build/deb
	mkdir -p build/deb/src
	tar cf - --exclude=rules/model.bin $(DEBTREE) | tar xf - -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -b -us -uc --no-sign \
		-j$${DEB_JOBS:-2} >../build.log 2>&1 || \
		{ tail -40 ../build.log; exit 1; }
	lintian --fail-on error,warning --display-info --pedantic \
		build/deb/*.changes
	@touch $@
	@echo "built $$(ls build/deb/mailproc_*.deb | grep -v dbgsym)"
