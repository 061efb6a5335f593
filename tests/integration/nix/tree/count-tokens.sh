# count-tokens.sh: print how many tokens the jobserver named in MAKEFLAGS
# holds right now, without blocking, and put them all back.
# Run from a `+` recipe (make 4.3 closes the jobserver fds of other lines).
# Pipe style (R,W): the read end is reopened through /proc with O_NONBLOCK,
# a private file description, so make's own O_NONBLOCK on the shared one
# neither matters nor changes.  fifo:PATH (make 4.4) is opened the same way.
set -eu
auth=$(printf '%s\n' "${MAKEFLAGS-}" | tr ' ' '\n' | sed -n 's/^--jobserver-auth=//p' | tail -n 1)
case $auth in
fifo:?*) r=${auth#fifo:}; w=$r ;;
[0-9]*,[0-9]*) r=/proc/self/fd/${auth%,*}; w=/proc/self/fd/${auth#*,} ;;
*) echo "count-tokens: no usable jobserver in MAKEFLAGS '${MAKEFLAGS-}'" >&2; exit 1 ;;
esac
[ -e "$r" ] || { echo "count-tokens: jobserver read end $r is not open" >&2; exit 1; }
got=$(mktemp)
# Reads one byte at a time until the pipe is empty (EAGAIN ends dd, status 1).
err=$(mktemp)
if ! dd if="$r" of="$got" iflag=nonblock bs=1 count=1024 2>"$err" &&
	! grep -q 'Resource temporarily unavailable' "$err"; then
	echo "count-tokens: reading $r: $(tail -n 1 "$err")" >&2
	rm -f "$got" "$err"
	exit 1
fi
n=$(wc -c <"$got" | tr -d ' ')
[ "$n" -eq 0 ] || cat "$got" >"$w"
rm -f "$got" "$err"
echo "$n"
