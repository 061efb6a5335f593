#!/bin/sh
# Issue 12, "visible": what a Makefile can see of MAKE, at the top and in a
# sub-make: $(MAKE), $(origin MAKE), `ifeq ($(MAKE),make)`,
# $(notdir $(MAKE)), $(MAKEFLAGS) while makefiles are read and in a recipe,
# and the MAKE line of `make -p`.  jobproxy's MAKE= on make's command line
# changes each of them (make 4.4.1 shows it in $(MAKEFLAGS) too).
#   sh tests/integration/masq/make_vars.sh [4.3|4.4.1]
. "$(dirname "$0")/common.sh"
usemake "${1:-4.3}"

mkdir sub
cat >vars.mk <<'MK'
$(info $(WHERE): MAKE=$(MAKE))
$(info $(WHERE): origin MAKE=$(origin MAKE))
ifeq ($(MAKE),make)
$(info $(WHERE): ifeq ($$(MAKE),make) is true)
else
$(info $(WHERE): ifeq ($$(MAKE),make) is false)
endif
$(info $(WHERE): notdir MAKE=$(notdir $(MAKE)))
$(info $(WHERE): MAKEFLAGS while reading=$(MAKEFLAGS))
MK
printf 'WHERE = sub\ninclude ../vars.mk\nall:\n\t@echo "sub: MAKEFLAGS in a recipe=$$MAKEFLAGS"\n' >sub/Makefile
printf 'WHERE = top\ninclude vars.mk\nall:\n\t@echo "top: MAKEFLAGS in a recipe=$$MAKEFLAGS"\n\t@$(MAKE) -C sub\n' >Makefile

# The -j2 pool's fds differ from run to run: blank out the auth.
norm() { sed 's/--jobserver-auth=[^ ]*/--jobserver-auth=X/g' "$1" >"$1.n" && mv "$1.n" "$1"; }
run() {
	"$@" -j2 --no-print-directory >"$OUT" 2>&1
	echo "exit $?" >>"$OUT"
	"$@" -p -f /dev/null 2>/dev/null | grep '^MAKE ' | sed 's/^/make -p: /' >>"$OUT"
	norm "$OUT"
}
echo "make $MAKEVER; a Makefile and its sub-make print what they see of MAKE (make -j2)"
OUT=plain run make
OUT=jp run "$JP" make
show "plain    " plain
show "jobproxy " jp
cmp -s plain jp
