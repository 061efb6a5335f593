# jobproxy -- portable Makefile (GNU make, BSD make).
#   make            build ./jobproxy
#   make check      build and run every test (unit + integration);
#                   REPEAT=N runs the suite N times, stops at a failure
#   make demo       show a sub-make's lost tokens, with and without jobproxy
#   make bench      speed and footprint beside plain make (not part of check)
#   make stress     seeded fault injection, 10,000 faults (not part of check)
#   make fuzz       libFuzzer over the pure parts, FUZZ_SECONDS each
#   make memcheck   the integration tests with jobproxy under valgrind
#   make install    PREFIX=/usr/local DESTDIR= (binary and man page)
#   SANITIZE=1      build with -fsanitize=address,undefined
#   WERROR=1        warnings are errors (CI)
#   STATIC=1        link statically (glibc: peak RSS under 1 MiB; user and
#                   group names of --allow/--group then need the same
#                   glibc's NSS modules at run time)

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

OBJS = proxy.o makeflags.o tokens.o jobserver.o pidwatch.o signals.o msg.o \
       trace.o offer.o fdpass.o serve.o
HDRS = makeflags.h tokens.h jobserver.h pidwatch.h signals.h msg.h trace.h offer.h \
       fdpass.h serve.h
UNIT = tests/test_makeflags tests/test_tokens tests/test_offer
TOOLS = tests/pool tests/tjob tests/stress
FUZZ_SECONDS = 60
REPEAT = 1

all: jobproxy

jobproxy: $(OBJS)
	$(CC) $(PLDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(OBJS): $(HDRS) Makefile

.SUFFIXES: .c .o
.c.o:
	$(CC) $(XCFLAGS) $(CPPFLAGS) -c -o $@ $<

tests/test_makeflags: tests/test_makeflags.c makeflags.c makeflags.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/test_makeflags.c \
	    makeflags.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/test_tokens: tests/test_tokens.c tokens.c tokens.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/test_tokens.c tokens.c \
	    $(XLDFLAGS) $(CMOCKA_LIBS)

tests/test_offer: tests/test_offer.c offer.c offer.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/test_offer.c offer.c \
	    $(XLDFLAGS) $(CMOCKA_LIBS)

tests/pool: tests/pool.c
	$(CC) $(XCFLAGS) $(CPPFLAGS) -o $@ tests/pool.c $(XLDFLAGS)

tests/tjob: tests/tjob.c
	$(CC) $(XCFLAGS) $(CPPFLAGS) -o $@ tests/tjob.c $(XLDFLAGS)

# The stress driver is never sanitized: its burst children are
# clone(CLONE_VM) processes, which ASan's allocator does not survive (they
# spin on its locks). What it tests, ./jobproxy, is built with SANITIZE.
tests/stress: tests/stress.c
	$(CC) $(STD) $(WARN) $(WERR_$(WERROR)) $(CFLAGS) $(CPPFLAGS) -o $@ \
	    tests/stress.c $(LDFLAGS)

check: jobproxy $(TOOLS)
	sh tests/tools/deps.sh
	$(MAKE) $(UNIT)
	REPEAT=$(REPEAT) sh tests/run.sh

demo: jobproxy $(TOOLS)
	sh examples/demo.sh

memcheck: jobproxy $(TOOLS)
	sh tests/tools/deps.sh
	JOBPROXY_MEMCHECK=1 sh tests/run.sh tests/t_core.sh tests/t_insert.sh \
	    tests/t_compat.sh tests/t_serve.sh

bench: jobproxy $(TOOLS)
	sh bench/run.sh

stress: jobproxy $(TOOLS)
	tests/stress

fuzz:
	sh tests/fuzz.sh $(FUZZ_SECONDS)

install: jobproxy
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	cp jobproxy $(DESTDIR)$(BINDIR)/jobproxy
	chmod 755 $(DESTDIR)$(BINDIR)/jobproxy
	cp man/jobproxy.1 $(DESTDIR)$(MANDIR)/man1/jobproxy.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/jobproxy.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/jobproxy $(DESTDIR)$(MANDIR)/man1/jobproxy.1

clean:
	rm -f jobproxy $(OBJS) $(UNIT) $(TOOLS)

.PHONY: all check memcheck demo bench stress fuzz install uninstall clean

# The pool's view of the machine (issue 13), built and tested on its own
# until the pool and the daemon use it: budget.c (policy, pure),
# machine.c (memory and load readings), charge.c (--charge, pure) and
# proctree.c (runnable processes of a tree); tests/helpers/memhog, a job
# that needs memory, and tests/tools/memcg.sh, a memory cgroup to run a
# build in.  `make check` runs these unit tests too.
BUDGET_OBJS = budget.o machine.o charge.o proctree.o
BUDGET_HDRS = budget.h machine.h charge.h proctree.h
BUDGET_UNIT = tests/unit/test_budget tests/unit/test_budget_load \
	      tests/unit/test_machine \
	      tests/unit/test_charge tests/unit/test_proctree
BUDGET_TOOLS = tests/helpers/memhog

$(BUDGET_OBJS): $(BUDGET_HDRS) Makefile

tests/unit/test_budget: tests/unit/test_budget.c budget.c budget.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_budget.c \
	    budget.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_budget_load: tests/unit/test_budget_load.c budget.c budget.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_budget_load.c \
	    budget.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_machine: tests/unit/test_machine.c machine.c machine.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_machine.c \
	    machine.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_charge: tests/unit/test_charge.c charge.c charge.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_charge.c \
	    charge.c $(XLDFLAGS) $(CMOCKA_LIBS)

tests/unit/test_proctree: tests/unit/test_proctree.c proctree.c proctree.h
	$(CC) $(XCFLAGS) $(CPPFLAGS) -I. -o $@ tests/unit/test_proctree.c \
	    proctree.c $(XLDFLAGS) $(CMOCKA_LIBS)

# Never sanitized, like tests/stress: ASan's shadow memory would add an
# eighth to every MiB it is asked to hold.
tests/helpers/memhog: tests/helpers/memhog.c
	$(CC) $(STD) $(WARN) $(WERR_$(WERROR)) $(CFLAGS) $(CPPFLAGS) -o $@ \
	    tests/helpers/memhog.c $(LDFLAGS)

check-budget: $(BUDGET_OBJS) $(BUDGET_UNIT) $(BUDGET_TOOLS)
	rc=0; for t in $(BUDGET_UNIT); do ./$$t || rc=1; done; exit $$rc

check: check-budget

clean: clean-budget

clean-budget:
	rm -f $(BUDGET_OBJS) $(BUDGET_UNIT) $(BUDGET_TOOLS)

.PHONY: check-budget clean-budget
