#!/usr/bin/env bash
# Run each libFuzzer target (build/fuzz/fuzz_*) for SECONDS (default 60), or
# only the targets named after it. Each starts from its seed corpus
# tests/fuzz/corpus/<target>/ (which also holds the inputs of past crashes,
# so they are replayed first: regression tests); new interesting inputs go
# to build/fuzz/corpus/<target>/, crashes to build/fuzz/artifacts/. One
# "ok"/"not ok" line per target, then "N passed, N failed, 0 skipped".
# FUZZ_MERGE=1 afterwards merges inputs that add coverage into the seed
# corpus (minimised), ready to commit.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
secs=${1:-60}
shift
OUT=build/fuzz
[[ $secs =~ ^[0-9]+$ ]] || { echo "tests/fuzz/run.sh: SECONDS must be a number, got '$secs'" >&2; exit 2; }

targets=("$@")
if ((${#targets[@]} == 0)); then
	for b in "$OUT"/fuzz_*; do [[ -x $b ]] && targets+=("${b##*/fuzz_}"); done
fi

pass=0 fail=0
mkdir -p "$OUT/artifacts" "$OUT/logs"
for t in "${targets[@]}"; do
	bin=$OUT/fuzz_$t seeds=tests/fuzz/corpus/$t work=$OUT/corpus/$t log=$OUT/logs/$t.log
	dict=()
	[[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
	mkdir -p "$work" "$seeds"
	if [[ ! -x $bin ]]; then
		echo "not ok - fuzz $t: $bin missing (make fuzz-build)"
		fail=$((fail + 1))
		continue
	fi
	# -timeout: one input taking 10 s is a hang; leaks are reports too.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
		-print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" "${dict[@]}" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
	if ((rc == 0)); then
		echo "ok - fuzz $t: ${runs:-?} inputs in ${secs}s, no crash"
		pass=$((pass + 1))
	else
		echo "not ok - fuzz $t: exit $rc (log: $log)"
		grep -E 'ERROR|SUMMARY|broken promise|runtime error|Test unit written' "$log" |
			head -n 8 | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
	if [[ ${FUZZ_MERGE:-0} == 1 ]]; then
		"$bin" -merge=1 "$seeds" "$work" >>"$log" 2>&1 ||
			echo "# fuzz $t: merge into $seeds failed (see $log)"
	fi
done
echo "$pass passed, $fail failed, 0 skipped"
((fail == 0))
