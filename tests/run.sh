#!/usr/bin/env bash
# Run all tests: build/unit-tests (its last line is "N passed, N failed, N skipped"),
# the same under ASan+UBSan (build/asan/unit-tests), each fuzz target for
# TT_FUZZ_SECONDS (default 3; one pass/fail each), then, when root,
# tests/run-integration.sh and the kernel smoke run (scripts/kmatrix/smoke.sh:
# check and three integration tests in a qemu guest on the oldest supported
# kernel).  Prints one final line "N passed, N failed, N skipped" with the
# totals; exits 1 if anything failed.  A skip is counted, never a pass, and
# fails the run too (one "not ok" line before the totals names every skip)
# unless ALLOW_SKIP=1: a test that cannot run here is not a green run.
# ALLOW_SKIP="PREFIX[,PREFIX...]" allows only the skips whose line in that
# verdict ("suite: test: why", e.g. "kernel smoke run: test_drops: ...")
# starts with one of the prefixes: a CI can name its unavoidable skips and
# still fail on any new one.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

total_pass=0 total_fail=0 total_skip=0
skipped=() # "label: skip line" of every skip, for the verdict
SUMMARY_RE='^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'

# add_summary OUTPUT RC LABEL: add the last "N passed, N failed[, N skipped]"
# line of OUTPUT to the totals (without a skipped field: OUTPUT's "skip - "
# lines); no summary, or rc != 0 with 0 failed, counts 1 failure.
add_summary() {
	local out=$1 rc=$2 label=$3 s p=0 f=0 k l t=
	s=$(grep -E "$SUMMARY_RE" <<<"$out" | tail -n 1)
	k=$(grep -cE '^ *skip - ' <<<"$out")
	while IFS= read -r l; do # each skip with its test ("# test_x" starts a test's lines)
		[[ $l =~ ^#\ (test_[A-Za-z0-9_]+)$ ]] && t="${BASH_REMATCH[1]}: "
		[[ $l =~ ^\ *skip\ -\ (.*)$ ]] && skipped+=("$label: $t${BASH_REMATCH[1]}")
	done <<<"$out"
	if [[ -n $s ]]; then
		p=$(awk '{ print $1 }' <<<"$s")
		f=$(awk '{ print $3 }' <<<"$s")
		[[ $s == *skipped ]] && k=$(awk '{ print $5 }' <<<"$s")
	fi
	if [[ -z $s ]]; then
		echo "not ok - $label: no summary line (rc $rc)"
		f=$((f + 1))
	elif ((rc != 0 && f == 0)); then
		echo "not ok - $label: exit status $rc"
		f=$((f + 1))
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + k))
}

# skip LABEL WHY: a suite that cannot run here, counted
skip() {
	echo "skip - $1: $2"
	total_skip=$((total_skip + 1))
	skipped+=("$1: $2")
}

# run_streamed LABEL CMD...: run a root suite, streaming its output; its own
# summary line is shown as a "# LABEL:" comment and added to the totals.
run_streamed() {
	local label=$1 tmp rc
	shift
	echo "# $label"
	tmp=build/test-logs/${label// /-}.out
	"$@" 2>&1 | tee "$tmp" | sed -E "s/^([0-9]+ passed, [0-9]+ failed.*)\$/# $label: \1/"
	rc=${PIPESTATUS[0]}
	add_summary "$(cat "$tmp")" "$rc" "$label"
}

# run_suite LABEL CMD...: run a suite (no root needed) whose last line is
# "N passed, N failed, N skipped"; show its other lines and add the summary to the totals.
run_suite() {
	local label=$1 out rc
	shift
	echo "# $label"
	if [[ ! -x $1 ]]; then
		echo "not ok - $1 missing (run make first)"
		total_fail=$((total_fail + 1))
		return
	fi
	out=$(timeout -k 5 "${TT_UNIT_TIMEOUT:-300}" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -Ev "$SUMMARY_RE"
	add_summary "$out" "$rc" "$label"
	echo "# $label: $(grep -E "$SUMMARY_RE" <<<"$out" | tail -n 1)"
}

# Every sanitizer report ends the run with a non-zero exit (a failure),
# leaks included; -fno-sanitize-recover=all makes UBSan's reports fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
run_suite unit build/unit-tests
run_suite unit-asan build/asan/unit-tests
run_suite fuzz tests/fuzz/run.sh "${TT_FUZZ_SECONDS:-3}"

if [[ $(id -u) -eq 0 ]]; then
	mkdir -p build/test-logs
	run_streamed integration tests/run-integration.sh
	run_streamed "kernel smoke run" scripts/kmatrix/smoke.sh
else
	skip "integration tests" "not root"
	skip "kernel smoke run" "not root"
fi

# allowed LINE: does ALLOW_SKIP allow this skip ("suite: test: why")?
allowed() {
	local a s
	[[ ${ALLOW_SKIP:-0} == 1 ]] && return 0
	IFS=',' read -ra a <<<"${ALLOW_SKIP:-}"
	for s in "${a[@]}"; do [[ -n $s && $1 == "$s"* ]] && return 0; done
	return 1
}
verdict=0
((total_fail == 0)) || verdict=1
refused=()
for l in "${skipped[@]}"; do allowed "$l" || refused+=("$l"); done
# skips a summary counted without a "skip - " line cannot be told apart
((total_skip > ${#skipped[@]})) && [[ ${ALLOW_SKIP:-0} != 1 ]] &&
	refused+=("$((total_skip - ${#skipped[@]})) skipped without a line")
if ((${#refused[@]} > 0)); then
	verdict=1
	msg=$(printf '%s; ' "${refused[@]}")
	echo "not ok - ${#refused[@]} skipped, and a skip fails make test unless ALLOW_SKIP=1: ${msg%; }"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit "$verdict"
