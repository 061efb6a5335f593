# jobproxy -- portable Makefile (GNU make, BSD make).
#   make            build ./jobproxy
#   make check      build and run every test (unit + integration);
#                   REPEAT=N runs the suite N times, stops at a failure
#   make demo       show a sub-make's lost tokens, with and without jobproxy
#   make bench      speed and footprint beside plain make (not part of check)
#   make bench-readme  the last bench's table into README.md
#   make stress     seeded fault injection, 10,000 faults (not part of check)
#   make fuzz       libFuzzer over the pure parts, FUZZ_SECONDS each
#   make memcheck   the integration tests with jobproxy under valgrind
#   make install    PREFIX=/usr/local DESTDIR= (binary, man page, links)
#   SANITIZE=1      build with -fsanitize=address,undefined
#   WERROR=1        warnings are errors (CI)
#   STATIC=1        link statically (glibc: peak RSS under 1 MiB; user and
#                   group names of --allow/--group then need the same
#                   glibc's NSS modules at run time)
#   make static     build/musl/jobproxy: static with musl (MUSL_CC)
#   make check-static  the integration tests against build/musl/jobproxy

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
CC = cc
CFLAGS = -O2 -g
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wcast-qual -Wwrite-strings
STD = -std=c99 -D_XOPEN_SOURCE=700
SANITIZE = 0
WERROR = 0
STATIC = 0
STATIC_1 = -static
SAN_1 = -fsanitize=address,undefined -fno-omit-frame-pointer \
        -fno-sanitize-recover=all
WERR_1 = -Werror
XCFLAGS = $(STD) $(WARN) $(WERR_$(WERROR)) $(SAN_$(SANITIZE)) $(CFLAGS)
XLDFLAGS = $(SAN_$(SANITIZE)) $(LDFLAGS)
PLDFLAGS = $(XLDFLAGS) $(STATIC_$(STATIC))
CMOCKA_LIBS = -lcmocka

OBJS = main.o proxy.o relay.o lease.o nowait.o upstream.o daemon.o conn.o \
       access.o proto.o client.o sock.o fdpass.o jobserver.o makeflags.o \
       tokens.o offer.o pidwatch.o signals.o trace.o msg.o util.o gate.o \
       budget.o machine.o charge.o proctree.o masq.o masqsys.o waitset.o
HDRS = masq.h masqsys.h opts.h proxy.h lease.h nowait.h upstream.h daemon.h \
       access.h proto.h client.h sock.h fdpass.h jobserver.h makeflags.h \
       tokens.h offer.h pidwatch.h signals.h trace.h msg.h util.h gate.h \
       budget.h machine.h charge.h proctree.h waitset.h
# The tests, in folders by kind: tests/unit (cmocka), tests/integration
# (t_*.sh against the real binary), tests/fuzz (libFuzzer), tests/helpers
# (the programs the integration tests drive), tests/tools (scripts).
UNIT = tests/unit/test_makeflags tests/unit/test_tokens \
       tests/unit/test_offer tests/unit/test_util tests/unit/test_proto \
       tests/unit/test_lease tests/unit/test_masq tests/unit/test_budget \
       tests/unit/test_budget_load tests/unit/test_machine \
       tests/unit/test_charge tests/unit/test_proctree \
       tests/unit/test_waitset tests/unit/test_nowait
TOOLS = tests/helpers/pool tests/helpers/tjob tests/helpers/stress \
	tests/helpers/memhog
# What a lease links: the real code, as the program has it.
LEASE_SRC = lease.c nowait.c upstream.c jobserver.c tokens.c offer.c trace.c msg.c \
	    util.c makeflags.c
LEASE_HDR = lease.h nowait.h upstream.h jobserver.h tokens.h offer.h trace.h msg.h \
	    util.h makeflags.h
FUZZ_SECONDS = 60
REPEAT = 1

LIBEXECDIR = $(PREFIX)/libexec
# The link directory (see masq.c's list): jobproxy run by one of these
# names runs the real tool further on PATH behind a jobproxy of its own.
LINKS = make gmake gnumake ninja ninja-build samu cargo cmake

all: jobproxy libexec/jobproxy/make

# The musl static build (issue 15): no dynamic loader, no glibc start-up,
# so a fraction of the start time and of the peak RSS.  One compiler run
# over every source, so that its objects never mix with ./jobproxy's.
MUSL_CC = musl-gcc
MUSL = build/musl
static: $(MUSL)/jobproxy $(MUSL)/libexec/jobproxy/make

$(MUSL)/jobproxy: $(OBJS:.o=.c) $(HDRS) Makefile
	mkdir -p $(MUSL)
	$(MUSL_CC) $(STD) $(WARN) $(WERR_$(WERROR)) $(CFLAGS) $(CPPFLAGS) \
	    -static -o $@ $(OBJS:.o=.c) $(LDFLAGS) $(LDLIBS)

$(MUSL)/libexec/jobproxy/make: Makefile
	d=$(MUSL)/libexec/jobproxy; $(MKLINKS)

jobproxy: $(OBJS)
	$(CC) $(PLDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# A link directory beside a jobproxy (the build tree's for the tests,
# build/musl's for check-static): relative links;
# and tool/NAME/NAME, one directory per tool, of which the child's PATH
# gets those of the tools the system has (masq.h).
MKLINKS = mkdir -p $$d; for l in $(LINKS); do \
	    ln -sf ../../jobproxy $$d/$$l; mkdir -p $$d/tool/$$l; \
	    ln -sf ../../../../jobproxy $$d/tool/$$l/$$l; done
libexec/jobproxy/make: Makefile
	d=libexec/jobproxy; $(MKLINKS)

$(OBJS): $(HDRS) Makefile

.SUFFIXES: .c .o
.c.o:
	$(CC) $(XCFLAGS) $(CPPFLAGS) -c -o $@ $<

tests/unit/test_makeflags: tests/unit/test_makeflags.c makeflags.c makeflags.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_makeflags.c \
	    makeflags.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_tokens: tests/unit/test_tokens.c tokens.c tokens.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_tokens.c \
	    tokens.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_offer: tests/unit/test_offer.c offer.c offer.h util.c util.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_offer.c \
	    offer.c util.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_nowait: tests/unit/test_nowait.c nowait.c nowait.h util.c
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_nowait.c \
	    nowait.c util.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_util: tests/unit/test_util.c util.c util.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_util.c \
	    util.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_proto: tests/unit/test_proto.c proto.c proto.h util.c util.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_proto.c \
	    proto.c util.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_lease: tests/unit/test_lease.c $(LEASE_SRC) $(LEASE_HDR)
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_lease.c \
	    $(LEASE_SRC) $(XLDFLAGS) $(CMOCKA_LIBS)

# The masquerade directory's pure logic and its stat() probe (issue 12):
# unit tested.
tests/unit/test_masq: tests/unit/test_masq.c masq.c masq.h masqsys.c masqsys.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_masq.c masq.c \
	    masqsys.c $(XLDFLAGS) $(CMOCKA_LIBS)

# The machine-aware pool's groundwork (issue 13): the policy, the readings
# and the --charge decision, unit tested; not yet part of ./jobproxy.
tests/unit/test_budget: tests/unit/test_budget.c tests/unit/budget_fixture.h budget.c budget.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_budget.c \
	    budget.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_budget_load: tests/unit/test_budget_load.c tests/unit/budget_fixture.h budget.c budget.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_budget_load.c \
	    budget.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_machine: tests/unit/test_machine.c tests/unit/fakeroot.h machine.c machine.h util.c util.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_machine.c \
	    machine.c util.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_charge: tests/unit/test_charge.c charge.c charge.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_charge.c \
	    charge.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_proctree: tests/unit/test_proctree.c tests/unit/fakeroot.h proctree.c proctree.h util.c util.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_proctree.c \
	    proctree.c util.c $(XLDFLAGS) $(CMOCKA_LIBS)

# The wait set's diffing (pure) and its epoll set against real pipes.
tests/unit/test_waitset: tests/unit/test_waitset.c waitset.c waitset.h msg.c msg.h util.c util.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_waitset.c \
	    waitset.c msg.c util.c $(XLDFLAGS) $(CMOCKA_LIBS)

# Never sanitized, like tests/stress: ASan's shadow memory would add an
# eighth to every MiB it is asked to hold.
tests/helpers/memhog: tests/helpers/memhog.c
	$(CC) $(STD) $(WARN) $(WERR_$(WERROR)) $(CFLAGS) $(CPPFLAGS) -o $@ \
	    tests/helpers/memhog.c $(LDFLAGS)

tests/helpers/pool: tests/helpers/pool.c
	$(CC) $(XCFLAGS) $(CPPFLAGS) -o $@ tests/helpers/pool.c $(XLDFLAGS)

tests/helpers/tjob: tests/helpers/tjob.c
	$(CC) $(XCFLAGS) $(CPPFLAGS) -o $@ tests/helpers/tjob.c $(XLDFLAGS)

# The stress driver is never sanitized: its burst children are
# clone(CLONE_VM) processes, which ASan's allocator does not survive (they
# spin on its locks). What it tests, ./jobproxy, is built with SANITIZE.
tests/helpers/stress: tests/helpers/stress.c
	$(CC) $(STD) $(WARN) $(WERR_$(WERROR)) $(CFLAGS) $(CPPFLAGS) -o $@ \
	    tests/helpers/stress.c $(LDFLAGS)

check: jobproxy libexec/jobproxy/make $(TOOLS)
	sh tests/tools/deps.sh
	$(MAKE) $(UNIT)
	REPEAT=$(REPEAT) sh tests/run.sh

# The unit tests need cmocka, a glibc library: they stay in `make check`.
check-static: $(TOOLS)
	@sh tests/tools/deps.sh static; rc=$$?; [ $$rc = 77 ] && exit 0; \
	[ $$rc = 0 ] || exit $$rc; \
	$(MAKE) static MUSL_CC=$(MUSL_CC) && \
	    JOBPROXY=$(MUSL)/jobproxy REPEAT=$(REPEAT) sh tests/run.sh

demo: jobproxy $(TOOLS)
	sh examples/demo.sh

memcheck: jobproxy libexec/jobproxy/make $(TOOLS)
	sh tests/tools/deps.sh memcheck
	JOBPROXY_MEMCHECK=1 sh tests/run.sh tests/integration/t_core.sh \
	    tests/integration/t_insert.sh tests/integration/t_compat.sh \
	    tests/integration/t_serve.sh

bench: jobproxy $(TOOLS)
	sh bench/run.sh

bench-readme:
	sh bench/run.sh --readme

stress: jobproxy $(TOOLS)
	tests/helpers/stress

fuzz:
	sh tests/fuzz/fuzz.sh $(FUZZ_SECONDS)

install: jobproxy
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	cp jobproxy $(DESTDIR)$(BINDIR)/jobproxy
	chmod 755 $(DESTDIR)$(BINDIR)/jobproxy
	cp man/jobproxy.1 $(DESTDIR)$(MANDIR)/man1/jobproxy.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/jobproxy.1
	mkdir -p $(DESTDIR)$(LIBEXECDIR)/jobproxy
	for l in $(LINKS); do \
	    ln -sf $(BINDIR)/jobproxy $(DESTDIR)$(LIBEXECDIR)/jobproxy/$$l; \
	    mkdir -p $(DESTDIR)$(LIBEXECDIR)/jobproxy/tool/$$l; \
	    ln -sf $(BINDIR)/jobproxy \
		$(DESTDIR)$(LIBEXECDIR)/jobproxy/tool/$$l/$$l; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/jobproxy $(DESTDIR)$(MANDIR)/man1/jobproxy.1
	for l in $(LINKS); do rm -f $(DESTDIR)$(LIBEXECDIR)/jobproxy/$$l \
	    $(DESTDIR)$(LIBEXECDIR)/jobproxy/tool/$$l/$$l; \
	    rmdir $(DESTDIR)$(LIBEXECDIR)/jobproxy/tool/$$l 2>/dev/null; \
	done; :
	-rmdir $(DESTDIR)$(LIBEXECDIR)/jobproxy/tool
	-rmdir $(DESTDIR)$(LIBEXECDIR)/jobproxy

clean:
	rm -f jobproxy $(OBJS) $(UNIT) $(TOOLS)
	rm -rf libexec $(MUSL)

.PHONY: all static check check-static memcheck demo bench bench-readme stress fuzz install \
	uninstall clean
