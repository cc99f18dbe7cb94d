#!/usr/bin/env bash
# Run integration tests: tests/integration/test_*.sh, or the ones named as
# arguments (test_foo.sh, test_foo, or a path).  Each runs with a timeout
# (TT_TEST_TIMEOUT, default 180 s), output goes to build/test-logs/NAME.log,
# its ok/not ok/skip lines are shown, and the per-test "N passed, N failed,
# N skipped" lines are summed into one final line "N passed, N failed,
# N skipped" (a test's skips: its summary's count or its "skip - " lines,
# whichever is more).  A test that exits non-zero without
# reporting a failure counts as 1 failed.  Tests run one at a time (several
# change global sysctls).  After each test the runner checks for leftovers:
# "tt-" namespaces, unrun cleanup registries (test killed), and changes to
# guarded global sysctls; each leftover is removed/restored and counts as a
# failure.  Runs hold a machine-wide lock (flock on
# /run/lock/tcptriage-integration.lock), so concurrent runs wait.
# Needs bash, awk, grep, coreutils, iproute2, util-linux (flock).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
LOGDIR=$ROOT/build/test-logs
TIMEOUT=${TT_TEST_TIMEOUT:-180}
GUARDED_SYSCTLS=(net.ipv4.tcp_mem net.ipv4.tcp_max_orphans net.ipv4.udp_mem
	net.core.netdev_max_backlog net.netfilter.nf_conntrack_max
	net.nf_conntrack_max kernel.bpf_stats_enabled)
mkdir -p "$LOGDIR" || exit 1
# One integration run per machine: two runs (e.g. from two worktrees) would
# restore each other's guarded sysctls mid-test.
# (/run/lock may not exist yet, e.g. in the kernel smoke run's guest)
mkdir -p /run/lock && exec 9>/run/lock/tcptriage-integration.lock && flock 9 || exit 1

tests=()
if (($# == 0)); then
	for t in tests/integration/test_*.sh; do [[ -e $t ]] && tests+=("$t"); done
else
	for a in "$@"; do
		if [[ -f $a ]]; then tests+=("$a")
		elif [[ -f tests/integration/$a ]]; then tests+=("tests/integration/$a")
		elif [[ -f tests/integration/$a.sh ]]; then tests+=("tests/integration/$a.sh")
		else echo "run-integration: no such test: $a" >&2; tests+=("MISSING:$a"); fi
	done
fi

sysctl_snapshot() {
	local k p
	for k in "${GUARDED_SYSCTLS[@]}"; do
		p=/proc/sys/${k//./\/}
		[[ -r $p ]] && printf '%s=%s\n' "$k" "$(tr '\t' ' ' <"$p")"
	done
}

owned_by_test() { # NS PREFIX... : is NS one of the namespaces a test with these prefixes made?
	local ns=$1 p
	shift
	for p in "$@"; do [[ $ns == "$p" || $ns == "$p"-* ]] && return 0; done
	return 1
}

list_tt_netns() { ip netns list 2>/dev/null | awk '$1 ~ /^tt-/ { print $1 }' | sort; }

total_pass=0 total_fail=0 total_skip=0
for t in "${tests[@]}"; do
	if [[ $t == MISSING:* ]]; then
		echo "not ok - ${t#MISSING:}: test not found"
		total_fail=$((total_fail + 1))
		continue
	fi
	name=$(basename "$t" .sh)
	log=$LOGDIR/$name.log
	rescue=$LOGDIR/rescue.$name.$$
	rm -rf "$rescue"
	ns_before=$(list_tt_netns)
	sys_before=$(sysctl_snapshot)
	start=$SECONDS
	echo "# $name"
	# (subshell: keeps bash's "Killed" job notice out of the output)
	(TT_RESCUE_DIR=$rescue timeout -k 10 "$TIMEOUT" bash "$t" >"$log" 2>&1 </dev/null 9>&-; exit $?) 2>/dev/null
	rc=$?
	dur=$((SECONDS - start))
	grep -E '^(ok|not ok|skip) ' "$log" | sed 's/^/  /'

	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
	p=0 f=0 s=0
	if [[ -n $summary ]]; then
		p=$(awk '{ print $1 }' <<<"$summary")
		f=$(awk '{ print $3 }' <<<"$summary")
		[[ $summary == *skipped ]] && s=$(awk '{ print $5 }' <<<"$summary")
	fi
	# a skip printed in a subshell is in the log but not in the summary's count
	lines=$(grep -c '^skip - ' "$log")
	((lines > s)) && s=$lines
	if ((rc == 124 || (rc == 137 && dur >= TIMEOUT))); then
		echo "  not ok - $name timed out after ${TIMEOUT}s (rc $rc)"
		f=$((f + 1))
	elif ((rc > 128 && f == 0)); then
		echo "  not ok - $name killed by signal $((rc - 128))${summary:+ ($summary)}"
		f=$((f + 1))
	elif ((rc != 0 && f == 0)); then
		echo "  not ok - $name exited $rc without reporting a failure${summary:+ ($summary)}"
		f=$((f + 1))
	elif [[ -z $summary ]]; then
		echo "  not ok - $name printed no summary line"
		f=$((f + 1))
	fi

	# Leftovers: registries of killed tests, namespaces, global sysctls.
	# only this test's namespaces: others may be running beside it on a dev machine
	prefixes=$(cat "$rescue/prefixes" 2>/dev/null)
	if [[ -d $rescue ]]; then
		for reg in "$rescue"/*.cleanup; do
			[[ -e $reg ]] || continue
			echo "  not ok - $name left cleanup undone: running $(basename "$reg")"
			f=$((f + 1))
			( source "$ROOT/tests/lib.sh"; _tt_run_registry "$reg" ) >>"$log" 2>&1
		done
		rm -rf "$rescue"
	fi
	for ns in $(comm -13 <(echo "$ns_before") <(list_tt_netns)); do
		# shellcheck disable=SC2086 # one prefix per word
		owned_by_test "$ns" $prefixes || continue
		echo "  not ok - $name leaked namespace $ns (deleted)"
		f=$((f + 1))
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns"
	done
	sys_after=$(sysctl_snapshot)
	if [[ "$sys_after" != "$sys_before" ]]; then
		while IFS='=' read -r k v; do
			[[ -z $k ]] && continue
			if ! grep -Fxq -- "$k=$v" <<<"$sys_after"; then
				echo "  not ok - $name left $k changed (restored to '$v')"
				f=$((f + 1))
				printf '%s\n' "$v" >"/proc/sys/${k//./\/}"
			fi
		done <<<"$sys_before"
	fi

	echo "# $name: $p passed, $f failed, $s skipped (${dur}s, log: ${log#"$ROOT"/})"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
done

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
((total_fail == 0))
