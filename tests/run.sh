#!/usr/bin/env bash
# Run all tests: build/unit-tests (its last line is "N passed, N failed"),
# then tests/run-integration.sh when root.  Prints one final line
# "N passed, N failed" with the totals; exits 1 if anything failed.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

total_pass=0 total_fail=0

# add_summary OUTPUT RC LABEL: add the last "N passed, N failed" line of
# OUTPUT to the totals; no summary, or rc != 0 with 0 failed, counts 1 failure.
add_summary() {
	local out=$1 rc=$2 label=$3 s p=0 f=0
	s=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)
	if [[ -n $s ]]; then
		p=$(awk '{ print $1 }' <<<"$s")
		f=$(awk '{ print $3 }' <<<"$s")
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
}

echo "# unit tests"
if [[ -x build/unit-tests ]]; then
	out=$(timeout -k 5 "${TT_UNIT_TIMEOUT:-300}" build/unit-tests 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
	add_summary "$out" "$rc" "unit tests"
	echo "# unit: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)"
else
	echo "not ok - build/unit-tests missing (run make first)"
	total_fail=$((total_fail + 1))
fi

if [[ $(id -u) -eq 0 ]]; then
	echo "# integration tests"
	mkdir -p build/test-logs
	tmp=build/test-logs/integration.out
	# Stream it; its own summary line is shown as a "# integration:" comment.
	tests/run-integration.sh 2>&1 | tee "$tmp" |
		sed -E 's/^([0-9]+ passed, [0-9]+ failed)$/# integration: \1/'
	rc=${PIPESTATUS[0]}
	add_summary "$(cat "$tmp")" "$rc" "integration tests"
else
	echo "# integration skipped (not root)"
fi

echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
