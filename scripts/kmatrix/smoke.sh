#!/usr/bin/env bash
# scripts/kmatrix/smoke.sh: the kernel smoke run of `make test`. Boots the oldest supported
# kernel (5.10.0-46-amd64, from the kmatrix cache) under qemu and runs `build/tcptriage check`
# and the integration tests SMOKE_TESTS in the guest. Prints their ok / not ok / skip lines and
# a last line "N passed, N failed, N skipped". Without root, qemu or that kernel in the cache,
# the whole run is one counted skip with the reason; never a silent pass.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/kmatrix/common.sh
. "$HERE/common.sh"
cd "$HERE/../.." || exit 2
SMOKE_TESTS=${SMOKE_TESTS:-test_tcp_oom test_retransmits test_drops}
TEST_TIMEOUT=${KMATRIX_TEST_TIMEOUT:-600}
OUT=build/test-logs/smoke-$KMATRIX_OLDEST.out

# skip_all WHY: the smoke run cannot happen here
skip_all() {
	echo "skip - kernel smoke run ($KMATRIX_OLDEST): $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

# why_not: what is missing for the smoke run, if anything
why_not() {
	if [[ $(id -u) -ne 0 ]]; then echo "not root"
	elif ! command -v qemu-system-x86_64 >/dev/null; then
		echo "qemu-system-x86_64 missing (scripts/install-deps.sh installs it)"
	elif ! kmx_vmlinuz "$KMATRIX_OLDEST" >/dev/null || [[ ! -x $KMATRIX_BUSYBOX ]]; then
		echo "kernel not in $KMATRIX_DIR (scripts/kmatrix/fetch.sh $KMATRIX_OLDEST)"
	elif [[ ! -x build/tcptriage ]]; then echo "build/tcptriage missing (run make)"
	fi
}

# guest_cmd: check, then the tests (their summary line kept as a comment)
guest_cmd() {
	echo 'build/tcptriage check 2>&1; echo "KMX-CHECK-RC $?"'
	echo "TT_TEST_TIMEOUT=$TEST_TIMEOUT tests/run-integration.sh $SMOKE_TESTS"
}

main() {
	local why n rc check pass=0 fail=0 skip s
	why=$(why_not)
	[[ -z $why ]] || skip_all "$why"
	n=$(wc -w <<<"$SMOKE_TESTS")
	mkdir -p "${OUT%/*}"
	KMATRIX_LOG=${OUT%.out}.console KMATRIX_TIMEOUT=$((n * TEST_TIMEOUT + 300)) \
		"$HERE/boot.sh" "$KMATRIX_OLDEST" "$(guest_cmd)" |
		tee "$OUT" | sed -E 's/^([0-9]+ passed, [0-9]+ failed.*)$/# guest: \1/; /^KMX-CHECK-RC/d'
	rc=${PIPESTATUS[0]}
	check=$(sed -n 's/^KMX-CHECK-RC //p' "$OUT")
	if [[ $check == 0 ]]; then echo "ok - $KMATRIX_OLDEST: tcptriage check exits 0"; pass=1
	else echo "not ok - $KMATRIX_OLDEST: tcptriage check exits ${check:-nothing} (want 0)"; fail=1; fi
	s=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT" | tail -n 1)
	if [[ -n $s && $rc != 125 ]]; then
		pass=$((pass + $(awk '{ print $1 }' <<<"$s"))) fail=$((fail + $(awk '{ print $3 }' <<<"$s")))
	else
		echo "not ok - $KMATRIX_OLDEST: the tests never finished (boot status $rc, console ${OUT%.out}.console)"
		fail=$((fail + 1))
	fi
	skip=$(grep -c '^ *skip - ' "$OUT")
	echo "$pass passed, $fail failed, $skip skipped"
	((fail == 0))
}

main "$@"
