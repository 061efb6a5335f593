# bench/real.sh - scenario 6 of bench/run.sh (sourced by it).

# ---- 6: a real recursive-make project --------------------------------------------
# The source package from this machine's own Debian mirror (bookworm
# deb-src, private apt config as tests/tools/build-make44.sh does), cached
# in build/bench/real/; configured once.
real_setup() {
	R=$B/real
	SRC=$R/$PKG
	[ -f "$SRC/.configured" ] && return 0
	mkdir -p "$R/apt/lists/partial" "$R/apt/cache/archives/partial" "$R/dl" ||
		return 1
	MIRROR=$(
	    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i+1) == "bookworm") print $i }'
	      cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk 'BEGIN { RS = "" }
		     /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ {
			if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
			    u = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", u); print u } }'
	    } | head -n 1)
	[ -n "$MIRROR" ] || { say "  no bookworm mirror in /etc/apt"; return 1; }
	echo "deb-src $MIRROR bookworm main" >"$R/apt/sources.list"
	APT="apt-get -q -o Dir::Etc::SourceList=$R/apt/sources.list
	  -o Dir::Etc::SourceParts=/dev/null -o Dir::State=$R/apt
	  -o Dir::State::Lists=$R/apt/lists -o Dir::Cache=$R/apt/cache
	  -o Dir::State::extended_states=$R/apt/extended_states
	  -o APT::Sandbox::User=root"
	if ! ls "$R/dl/${PKG}_"*.dsc >/dev/null 2>&1; then
		command -v dpkg-source >/dev/null 2>&1 ||
			apt-get -q install -y --no-install-recommends dpkg-dev \
				>>"$R/log" 2>&1 || { say "  cannot install dpkg-dev"; return 1; }
		# shellcheck disable=SC2086
		$APT update >>"$R/log" 2>&1 || { say "  apt-get update failed (see $R/log)"; return 1; }
		# shellcheck disable=SC2086
		(cd "$R/dl" && $APT source --download-only "$PKG") >>"$R/log" 2>&1 ||
			{ say "  apt-get source $PKG failed (see $R/log)"; return 1; }
	fi
	rm -rf "$SRC"
	# Upstream tree as released: Debian's patches touch Makefile.am and
	# would make the build want automake.
	dpkg-source --skip-patches -x "$(ls "$R/dl/${PKG}_"*.dsc | head -n 1)" "$SRC" \
		>>"$R/log" 2>&1 || { say "  dpkg-source -x failed (see $R/log)"; return 1; }
	say "  configuring $PKG once (a few minutes on a busy machine)"
	(cd "$SRC" && ./configure --disable-nls --disable-perl-regexp) \
		>>"$R/log" 2>&1 || { say "  configure failed (see $R/log)"; return 1; }
	grep -q '^SUBDIRS' "$SRC/Makefile" ||
		say "  warning: $PKG's Makefile has no SUBDIRS (not recursive?)"
	touch "$SRC/.configured"
}
# real_one J MODE: one clean build of $SRC
real_one() {
	clr
	"$BH" run --timeout 300 --out "$T/run" -- make -C "$SRC" clean >/dev/null 2>&1
	clr
	case $2 in
	plain) set -- make -C "$SRC" -j"$1" ;;
	wrap) set -- make -C "$SRC" -j"$1" MAKE="$NULLWRAP make" ;;
	jp) set -- "$JP" make -C "$SRC" -j"$1" ;;
	esac
	"$BH" run --timeout 900 --out "$T/run" -- "$@" >"$T/out" 2>&1
	st=$(kv status "$T/run")
	[ "$st" = 0 ] || { say "  $*: failed: $(tail -n 3 "$T/out")"; rec "s6.bad" 1; }
}
s6() {
	say "== 6 real project: $PKG, clean builds, -j: $RJ, $RRUNS rounds"
	if ! real_setup; then
		row "6-$PKG" "setup failed (see $B/real/log)" - - - - "-j$RJ <= 1.01x plain" MISSED
		return
	fi
	r=1
	while [ "$r" -le "$RRUNS" ]; do
		for j in $RJ; do
			for m in $(modes "$r"); do
				real_one "$j" "$m"
				rec "s6.$j.$m.wall" "$(wall_s "$T/run")"
				say "  run $r -j$j $m: $(wall_s "$T/run") s (status $st)"
			done
		done
		r=$((r + 1))
	done
	for j in $RJ; do
		pair "s6.$j.plain.wall" "s6.$j.jp.wall" "s6.$j.vsplain"
		row "6-$PKG -j$j" "wall s, clean build ($RRUNS rounds)" "$(fig "s6.$j.plain.wall")" \
			"$(fig "s6.$j.wrap.wall")" "$(fig "s6.$j.jp.wall")" \
			"$(fig "s6.$j.vsplain")x plain" "<= 1.01x plain" \
			"$(met "$(med "s6.$j.vsplain")" "<=" 1.01)"
	done
	[ -n "$(max s6.bad)" ] && row "6-$PKG" "failed builds" - - "$(max s6.bad)" - 0 MISSED
}
