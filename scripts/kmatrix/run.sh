#!/usr/bin/env bash
# scripts/kmatrix/run.sh [VERSION...] (`make kmatrix`): the kernel matrix. For each kernel of the
# cache (after fetch.sh; KMATRIX_NEWEST=1 by default adds the newest 7.x), or each VERSION given:
# one boot runs `build/tcptriage check --attach MODE` for every attach mode, a second boot runs
# the integration tests (KMATRIX_TESTS: a subset, e.g. "test_drops test_resets"). Writes
# tests/kernels/results.md (KMATRIX_RESULTS): kernel x hook -> how it attached, check's exit
# status per mode, tests passed/failed/skipped with each failure's and skip's line, wall times.
# Raw guest output: build/kmatrix/VER/. Exit 1 when any kernel had a failure.
# Env: KMATRIX_FETCH=0 (no fetch), KMATRIX_TEST_TIMEOUT (600 s per test in the guest), and
#      boot.sh's KMATRIX_MEM (2G), KMATRIX_SMP (2).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/kmatrix/common.sh
. "$HERE/common.sh"
cd "$HERE/../.." || exit 2
MODES=(tp_btf raw_tp tracepoint)
OUT=build/kmatrix
FROZEN=$OUT/frozen
RESULTS=${KMATRIX_RESULTS:-tests/kernels/results.md}
TEST_TIMEOUT=${KMATRIX_TEST_TIMEOUT:-600}

# ---- in the guest ----

# freeze: the binaries and test scripts under test, copied once into $FROZEN (same layout);
# each guest copies them back over the tree in its memory overlay, so edits and rebuilds on the
# host during the run change nothing
freeze() {
	rm -rf "$FROZEN" && mkdir -p "$FROZEN/build" "$FROZEN/tests" || return 1
	cp build/tcptriage build/ttload "$FROZEN/build/" &&
		cp tests/*.sh "$FROZEN/tests/" && cp -r tests/integration "$FROZEN/tests/" || return 1
	echo "$(git describe --always --dirty 2>/dev/null), binary sha256 $(sha256sum build/tcptriage | cut -c1-12)" \
		>"$OUT/VERSION"
}

preamble() { echo "cp -r $FROZEN/. ./ || echo 'kmatrix: testing the live tree'"; }

# check_cmd: check in every attach mode, each framed by markers
check_cmd() {
	local m
	preamble
	for m in "${MODES[@]}"; do
		printf 'echo "KMX-CHECK %s"; build/tcptriage check --attach %s 2>&1; echo "KMX-CHECK-RC %s $?"\n' \
			"$m" "$m" "$m"
	done
}

# tests_cmd: the integration tests, then their logs as a base64 tarball
# shellcheck disable=SC2016 # $rc is the guest's
tests_cmd() {
	preamble
	echo "TT_TEST_TIMEOUT=$TEST_TIMEOUT tests/run-integration.sh ${KMATRIX_TESTS:-}; rc=\$?"
	echo 'echo KMX-LOGS-BEGIN; tar -C build -czf - test-logs | base64; echo KMX-LOGS-END; exit $rc'
}

# boot VER NAME TIMEOUT CMD: boot.sh, output and status in $OUT/VER/NAME.{out,rc,wall}; each
# test's summary line shown as it comes
boot() {
	local dir=$OUT/$1 start rc
	start=$(kmx_now)
	KMATRIX_LOG=$dir/$2.console KMATRIX_TIMEOUT=$3 "$HERE/boot.sh" "$1" "$4" | tee "$dir/$2.out" |
		sed -un "s/^# \(test_[a-z0-9_]*: .*\)/kmatrix: $1: \1/p" >&2
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$dir/$2.rc"
	kmx_elapsed "$start" >"$dir/$2.wall"
	return "$rc"
}

# run_kernel VER: both boots, raw results under $OUT/VER
run_kernel() {
	local ver=$1 dir=$OUT/$1 n
	rm -rf "$dir" && mkdir -p "$dir"
	kmx_log "$ver: check (${MODES[*]})"
	boot "$ver" check 900 "$(check_cmd)"
	grep -h '^KMX-CHECK-RC' "$dir/check.out" | sed "s/^KMX-CHECK-RC/kmatrix: $ver: check exit:/" >&2
	n=$(wc -w <<<"${KMATRIX_TESTS:-$(echo tests/integration/test_*.sh)}")
	kmx_log "$ver: $n integration tests"
	boot "$ver" tests $((n * TEST_TIMEOUT + 300)) "$(tests_cmd)"
	sed -n '/^KMX-LOGS-BEGIN$/,/^KMX-LOGS-END$/p' "$dir/tests.out" | sed '1d;$d' |
		base64 -d 2>/dev/null | tar -C "$dir" -xzf - 2>/dev/null
	sed -i '/^KMX-LOGS-BEGIN$/,/^KMX-LOGS-END$/d' "$dir/tests.out"
	kmx_log "$ver: $(summary "$dir/tests.out")"
}

# ---- reading the guest's output ----

# check_section FILE MODE: the output of check in MODE
check_section() {
	awk -v m="$2" '$0 == "KMX-CHECK " m { on = 1; next } /^KMX-CHECK/ { on = 0 } on' "$1"
}

# check_rc FILE MODE: check's exit status in MODE ("none": the guest never finished it)
check_rc() {
	awk -v m="$2" '$1 == "KMX-CHECK-RC" && $2 == m { print $3; found = 1 } END { if (!found) print "none" }' "$1"
}

# hooks FILE MODE: "hook<TAB>form" per row of check's table (user/cmd/cmd_check.c print_hooks):
# "E CATEGORY:TRACEPOINT  FORM  PURPOSE[ -- REASON]", E "*" for an essential hook; FORM none is
# unavailable. An essential hook is named "hook *".
hooks() {
	check_section "$1" "$2" | awk '
		/^hooks/ { on = 1; next }
		on && !/^[* ] / { on = 0 }
		on {
			ess = $1 == "*"; hook = $(1 + ess); form = $(2 + ess); why = ""
			if ((i = index($0, " -- ")) > 0) why = substr($0, i + 4)
			if (form == "none" || form == "unavailable") form = "unavailable: " why
			print hook (ess ? " *" : "") "\t" form
		}'
}

# check_error FILE MODE: when check failed in MODE, its last line (the error)
check_error() {
	[[ $(check_rc "$1" "$2") == 0 ]] || check_section "$1" "$2" | grep -v '^$' | tail -n 1
}

# unseen FILE: what check says this kernel cannot show (default mode)
unseen() { check_section "$1" tp_btf | sed -n '/^not visible/,/^[^ ]/s/^  //p'; }

# tests_lines FILE: the ok / not ok / skip lines of the integration tests
tests_lines() { sed -n 's/^ *\(ok - \|not ok - \|skip - \)/\1/p' "$1"; }

# summary FILE: "N passed, N failed, N skipped" of a test run ("no summary" when it never ended)
summary() {
	local s p f skips
	s=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	skips=$(tests_lines "$1" | grep -c '^skip - ')
	read -r p _ f _ <<<"$s"
	if [[ -z $s ]]; then echo "no summary (the guest never finished; $skips skipped)"
	else echo "$p passed, ${f%,} failed, $skips skipped"; fi
}

# per_test FILE: "test<TAB>cell" from the runner's "# NAME: P passed, F failed[, S skipped]
# (Ds, log: ...)" lines
per_test() {
	awk '/^# test_[A-Za-z0-9_]+: [0-9]+ passed, [0-9]+ failed/ {
		name = $2; sub(/:$/, "", name); p = $3; f = $5; s = ($8 == "skipped") ? $7 : 0
		d = $0; sub(/.*\(/, "", d); sub(/,.*/, "", d)
		if (f > 0) cell = "**FAIL " f "**/" p + f
		else if (p == 0 && s > 0) cell = "skip"
		else cell = "ok " p (s > 0 ? ", skip " s : "")
		print name "\t" cell " (" d ")"
	}' "$1"
}

# ---- results.md ----

md() { sed 's/|/\\|/g'; } # escape table cells

# hook_table MODE KERNEL...: hook rows, one column per kernel
hook_table() {
	local mode=$1 v h
	shift
	local -A cell=()
	local -a order=()
	for v in "$@"; do
		while IFS=$'\t' read -r h f; do
			[[ -v "cell[$h]" ]] || order+=("$h")
			cell[$h]=1 cell[$h/$v]=$f
		done < <(hooks "$OUT/$v/check.out" "$mode")
	done
	printf '| hook |'; printf ' %s |' "${@%-amd64}"; echo
	printf '| --- |'; printf ' --- |%.0s' "$@"; echo
	for h in "${order[@]}"; do
		printf '| %s |' "$h"
		for v in "$@"; do printf ' %s |' "$(md <<<"${cell[$h/$v]:-—}")"; done
		echo
	done
	((${#order[@]})) || echo "| (no kernel printed a hook table in this mode) |$(printf ' — |%.0s' "$@")"
}

# test_table KERNEL...: integration test rows, one column per kernel
test_table() {
	local v t c
	local -A cell=()
	local -a order=()
	for v in "$@"; do
		while IFS=$'\t' read -r t c; do
			[[ -v "cell[$t]" ]] || order+=("$t")
			cell[$t]=1 cell[$t/$v]=$c
		done < <(per_test "$OUT/$v/tests.out")
	done
	printf '| test |'; printf ' %s |' "${@%-amd64}"; echo
	printf '| --- |'; printf ' --- |%.0s' "$@"; echo
	for t in "${order[@]}"; do
		printf '| %s |' "$t"
		for v in "$@"; do printf ' %s |' "${cell[$t/$v]:-—}"; done
		echo
	done
}

# summary_row VER: kernel, check status per mode, tests, wall
summary_row() {
	local v=$1 d=$OUT/$1 m row
	row="| $v |"
	for m in "${MODES[@]}"; do row+=" $(check_rc "$d/check.out" "$m") |"; done
	row+=" $(summary "$d/tests.out") | $(cat "$d/check.wall") + $(cat "$d/tests.wall") s |"
	echo "$row"
}

# kernel_details VER: check errors, test failures and skips with their lines
kernel_details() {
	local v=$1 d=$OUT/$1 m e lines l
	echo "### $v"
	echo
	for m in "${MODES[@]}"; do
		e=$(check_error "$d/check.out" "$m")
		echo "- \`check --attach $m\`: exit $(check_rc "$d/check.out" "$m")${e:+: \`$e\`}"
	done
	unseen "$d/check.out" | sed 's/^/- not visible: /'
	echo "- tests: $(summary "$d/tests.out") (boot status $(cat "$d/tests.rc"))"
	lines=$(tests_lines "$d/tests.out" | grep -v '^ok - ')
	[[ -n $lines ]] && while IFS= read -r l; do echo "  - $l"; done <<<"$lines"
	echo
}

# write_results WALL KERNEL...: the whole results.md
write_results() {
	local wall=$1 m
	shift
	echo "# Kernel matrix results"
	echo
	echo "Written by \`make kmatrix\` (scripts/kmatrix/run.sh) on $(date -u +%Y-%m-%d): Debian's kernel"
	echo "packages booted under qemu $(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }') with software emulation (TCG,"
	echo "${KMATRIX_SMP:-2} vCPUs, ${KMATRIX_MEM:-2G}, console loglevel ${KMATRIX_LOGLEVEL:-4}), this host's root read-only with a tmpfs"
	echo "overlay; tcptriage at"
	echo "\`$(cat "$OUT/VERSION")\`. Total wall time: $wall s."
	echo
	echo "## Summary"
	echo
	echo "| kernel | check tp_btf | check raw_tp | check tracepoint | integration tests | wall (check + tests) |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for v in "$@"; do summary_row "$v"; done
	for m in "${MODES[@]}"; do
		echo
		echo "## Hooks: \`check --attach $m\`"
		echo
		hook_table "$m" "$@"
	done
	echo
	echo "\* essential hook (check exits 1 without it). — : check printed no hook table (it failed"
	echo "before attaching: see its error below)."
	echo
	echo "## Integration tests"
	echo
	test_table "$@"
	echo
	echo "ok N: N checks passed; FAIL F/N: F of N failed; skip: skipped (reason below); (Ns) the"
	echo "test's wall time in the guest."
	echo
	echo "## Per kernel: errors, failures and skips"
	echo
	for v in "$@"; do kernel_details "$v"; done
}

# failed VER: did anything fail on VER?
failed() {
	local d=$OUT/$1 m
	for m in "${MODES[@]}"; do [[ $(check_rc "$d/check.out" "$m") == 0 ]] || return 0; done
	[[ $(cat "$d/tests.rc") == 0 ]] || return 0
	return 1
}

main() {
	local start kernels=() i bad=0
	start=$(kmx_now)
	[[ -x build/tcptriage && -x build/ttload ]] || kmx_die "build/tcptriage or build/ttload missing (run make)"
	mkdir -p "$OUT" || exit 2
	exec {lock}>"$OUT/.lock" || kmx_die "cannot open $OUT/.lock"
	flock -n "$lock" || kmx_die "another kmatrix run is using $OUT"
	if [[ ${KMATRIX_FETCH:-1} == 1 ]]; then
		KMATRIX_NEWEST=${KMATRIX_NEWEST:-1} "$HERE/fetch.sh" "$@" || kmx_log "warning: fetch.sh failed"
	fi
	if (($#)); then kernels=("$@"); else mapfile -t kernels < <(kmx_kernels); fi
	((${#kernels[@]})) || kmx_die "no kernel in $KMATRIX_DIR/kernels (scripts/kmatrix/fetch.sh)"
	freeze || kmx_die "cannot copy what is under test to $FROZEN"
	kmx_log "testing $(cat "$OUT/VERSION") on ${kernels[*]}"
	mkdir -p "$(dirname "$RESULTS")"
	for ((i = 0; i < ${#kernels[@]}; i++)); do
		run_kernel "${kernels[i]}"
		failed "${kernels[i]}" && bad=1
		# after each kernel, so an interrupted run leaves what it saw
		write_results "$(kmx_elapsed "$start")" "${kernels[@]:0:i+1}" >"$RESULTS.tmp" &&
			mv "$RESULTS.tmp" "$RESULTS"
	done
	kmx_log "wrote $RESULTS (total $(kmx_elapsed "$start") s)"
	return "$bad"
}

main "$@"
