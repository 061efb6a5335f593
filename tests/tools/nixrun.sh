#!/bin/sh
# Run one nix-build with the private configuration of tests/tools/nix-setup.sh.
#
#   sh tests/tools/nixrun.sh CONFDIR DRVFILE [nix-build args...]
#
# Runs `NIX_CONF_DIR=CONFDIR nix-build --no-out-link DRVFILE args...` and
# exits with its status.  On success stdout holds the output path(s), as
# nix-build prints them, and nix-build's progress chatter is dropped.  On
# failure stderr gets one line saying so, the stored log of every
# derivation that failed (nix-store --read-log), then nix-build's own
# messages (evaluation errors have no build log).
#
# Only CONFDIR/nix.conf counts: the user's nix.conf files
# (~/.config/nix/nix.conf, NIX_USER_CONF_FILES) and NIX_CONFIG are ignored,
# so a personal `sandbox = false` cannot change what a test measures.

[ $# -ge 2 ] || { echo "nixrun: usage: $0 CONFDIR DRVFILE [nix-build args...]" >&2; exit 2; }
DRV=$2
# nix aborts on a relative NIX_CONF_DIR ("not an absolute path").
if ! CONF=$(cd "$1" 2>/dev/null && pwd) || [ ! -f "$CONF/nix.conf" ]; then
	echo "nixrun: no $1/nix.conf (run tests/tools/nix-setup.sh $1 first)" >&2
	exit 2
fi
shift 2
command -v nix-build >/dev/null 2>&1 ||
	{ echo "nixrun: nix-build is not installed (run tests/tools/nix-setup.sh $CONF first)" >&2; exit 2; }

NIX_CONF_DIR=$CONF
NIX_USER_CONF_FILES=
export NIX_CONF_DIR NIX_USER_CONF_FILES
unset NIX_CONFIG

err=$(mktemp "${TMPDIR:-/tmp}/nixrun.XXXXXX") || exit 2
trap 'rm -f "$err" "$err.log"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
nix-build --no-out-link "$DRV" "$@" 2>"$err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "nixrun: nix-build $DRV${*:+ $*} failed with status $rc" >&2
	esc=$(printf '\033')
	# shellcheck disable=SC2013  # store paths have no spaces
	for d in $(sed -e "s/$esc\[[0-9;]*m//g" \
		-n -e "s/.*builder for '\(\/nix\/store\/[^']*\.drv\)' failed.*/\1/p" "$err" | sort -u); do
		echo "---- build log of $d ----" >&2
		if nix-store --read-log "$d" >"$err.log" 2>&1; then
			cat "$err.log" >&2
			# A log whose last line has no newline: end it here.
			[ ! -s "$err.log" ] || [ "$(tail -c 1 "$err.log" | tr '\n' N)" = N ] || echo >&2
		else
			echo "(no stored log: $(tail -n 1 "$err.log"))" >&2
		fi
	done
	echo "---- nix-build's messages ----" >&2
	cat "$err" >&2
	echo "----" >&2
fi
exit $rc
