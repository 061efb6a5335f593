# bench/start.sh - scenario 9 of bench/run.sh (sourced by it): start-up
# and peak RSS of ./jobproxy (glibc) and of a musl static build of the
# same sources.
#
# The musl build is the Makefile's own: `make static` builds it into
# build/musl/ beside the tree's ./jobproxy, from the same objects' sources.

# musl_build: build/musl/jobproxy, or 1 with the reason on stdout
musl_build() {
	command -v musl-gcc >/dev/null 2>&1 || { echo "no musl-gcc (Debian: musl-tools)"; return 1; }
	[ -n "${BENCH_JOBPROXY:-}" ] && { echo "BENCH_JOBPROXY is set: no sources to build"; return 1; }
	make -C "$ROOT" -s static >"$B/musl.log" 2>&1 ||
		{ echo "make static failed (see $B/musl.log)"; return 1; }
}

# start_one KEY WRAPPER...: ms per start of WRAPPER true, and the
# wrapper's peak RSS
start_one() {
	_k=$1
	shift
	clr
	"$BH" run --timeout 300 --out "$T/run" -- "$POOL" -j2 -- "$BH" starts \
		-n "$STARTS" --out "$T/out" -- "$@" true >/dev/null 2>"$T/err" ||
		say "  $_k: $(head -c 200 "$T/err")"
	rec "s9.$_k.ms" "$(kv ms_mean "$T/out")"
	[ $# -gt 0 ] || return 0
	clr
	"$BH" run --timeout 60 --out "$T/run" -- "$POOL" -j2 -- "$@" "$BH" \
		tailstat "$T/tail" -- true >/dev/null 2>&1
	rec "s9.$_k.rss" "$(kv vmhwm_kb "$T/tail")"
}

s9() {
	say "== 9 start: $STARTS starts of \`W true\` per sample under a -j2 pool; musl static build"
	JPM=$ROOT/build/musl/jobproxy
	why=$(musl_build) || { JPM=; say "  musl: skipped: $why"; }
	# Below a jobproxy (every sub-make of a tree) the PATH is the one it
	# gave its child, link directories first: the start that keeps it.
	NPATH=$("$POOL" -j2 -- "$JP" sh -c 'printf %s "$PATH"' 2>/dev/null)
	for r in $(runs); do
		for m in $(modes "$r") musl nested; do
			case $m in
			plain) start_one plain ;;
			wrap) start_one wrap "$NULLWRAP" ;;
			jp) start_one jp "$JP" ;;
			musl) [ -z "$JPM" ] || start_one musl "$JPM" ;;
			nested)
				_p=$PATH
				PATH=${NPATH:-$PATH}
				start_one nested "$JP"
				PATH=$_p ;;
			esac
		done
		say "  run $r: ms per start $(tail_of s9.plain.ms) / $(tail_of s9.wrap.ms) / $(tail_of s9.jp.ms) / $(tail_of s9.musl.ms) / $(tail_of s9.nested.ms) (true / nullwrap / jobproxy / musl / jobproxy below one)"
	done
	row "9-start" "ms per start of \`W true\`, fork to reap (plain: true alone)" \
		"$(fig s9.plain.ms)" "$(fig s9.wrap.ms)" "$(fig s9.jp.ms)" - - - r
	row "9-start" "  the same below a jobproxy (W finds the PATH one made)" \
		"$(fig s9.plain.ms)" "$(fig s9.wrap.ms)" "$(fig s9.nested.ms)" - - - r
	row "9-start" "peak RSS KiB of the wrapper W, idle" - "$(fig s9.wrap.rss)" \
		"$(fig s9.jp.rss)" - - - r
	if [ -z "$JPM" ]; then
		row "9-start musl" "skipped: $why" - - - - - - r
		return
	fi
	pair s9.jp.ms s9.musl.ms s9.musl.vs
	row "9-start musl" "ms per start of \`W true\`, W = musl static jobproxy" \
		"$(fig s9.plain.ms)" "$(fig s9.wrap.ms)" "$(fig s9.musl.ms)" \
		"$(fig s9.musl.vs)x glibc" - - r
	row "9-start musl" "peak RSS KiB of the musl static jobproxy, idle" - \
		"$(fig s9.wrap.rss)" "$(fig s9.musl.rss)" - "< 1024" \
		"$(met "$(med s9.musl.rss)" "<" 1024)"
}
