#!/usr/bin/env bash
# Counting under churn (issue 13): the agent's totals equal the kernel's, or
# the difference is reported as loss; never silently less, never more.
# PROCS short-lived processes in a namespace of the test's own each connect
# CONNS times to a closed port: every connect is refused by a RST, so each
# process leaves its own counter keys (connects and resets received, by
# owner) and the namespace's Tcp.ActiveOpens and Tcp.AttemptFails grow by
# PROCS * CONNS.
#  (a) tiny counts maps (TCPTRIAGE_TEST_MAP_ENTRIES=counts:16, test-only):
#      far more keys than they hold.  Every PAR processes (2 * PAR + 1 keys)
#      end within one or two 1 s ticks, so some tick has more than 16 for sure.  agent <= kernel, and what the agent
#      missed of both signals together <= loss, the end line's
#      agent.counts_map_full (events of the rest of the host may add to it)
#      plus the runs the kernel skipped (as in (b)); counts_map_full > 0 (the
#      map was full, and said so).
#  (b) the map as built: agent == kernel, no loss (but for program runs the kernel
#      skipped, reported as agent.runs_skipped).
#  (c) tiny LRU maps (procs:16, owners:8): the kernel evicts from them without
#      a word; the agent counts it.  Each of the PROCS processes adds its own
#      procs entry, so at least PROCS - 16 were evicted: agent.procs_evicted
#      says at least that many.  The counts stay exact (an evicted owner only
#      makes a count's owner unknown).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init counting
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single cnt || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PROCS=${TT_COUNT_PROCS:-200}
CONNS=5
PAR=20 # processes at a time

churn() { # PROCS processes, PAR at a time, each CONNS refused connects; prints how many failed
	# shellcheck disable=SC2016  # expanded by the inner bash
	ip netns exec "$NS" bash -c '
		t=$1 procs=$2 conns=$3 par=$4
		for ((i = 0; i < procs; i++)); do
			"$t" tcp-client --host 127.0.0.1 --port 9 --conns "$conns" --seconds 10 &
			((i % par == par - 1)) && wait
		done
		wait' _ "$TT_TTLOAD" "$PROCS" "$CONNS" "$PAR" 2>&1 |
		sed -n 's/^connected=\([0-9]*\) failed=\([0-9]*\) .*/\2/p' | awk '{ s += $1 } END { print s + 0 }'
}

# phase TAG [MAP_ENTRIES]: one agent run around one churn (with TCPTRIAGE_TEST_MAP_ENTRIES
# when given); sets AG, OPENS, FAILS, CONN, RECV, LOSS
phase() {
	local tag=$1 o0 o1 f0 f1 failed
	AG=$TT_TMP/agent-$tag.json
	if [[ -n ${2:-} ]]; then
		TCPTRIAGE_TEST_MAP_ENTRIES=$2 ta_start "$AG" || tt_bail "agent start ($tag)"
	else
		ta_start "$AG" || tt_bail "agent start ($tag)"
	fi
	o0=$(tt_nstat "$NS" Tcp.ActiveOpens)
	f0=$(tt_nstat "$NS" Tcp.AttemptFails)
	failed=$(churn)
	tt_sleep 0.5
	o1=$(tt_nstat "$NS" Tcp.ActiveOpens)
	f1=$(tt_nstat "$NS" Tcp.AttemptFails)
	ta_stop 10 || tt_bail "agent end line ($tag)"
	OPENS=$((o1 - o0)) FAILS=$((f1 - f0))
	CONN=$(ta_ns_counter "$AG" "$ino" connects)
	RECV=$(ta_ns_counter "$AG" "$ino" resets_received)
	LOSS=$(ta_end "$AG" | jq -r '.agent.counts_map_full // "missing"')
	SKIPPED=$(ta_end "$AG" | jq -r '.agent.runs_skipped // "missing"')
	EVICTED_PROCS=$(ta_end "$AG" | jq -r '.agent.procs_evicted // "missing"')
	EVICTED_OWNERS=$(ta_end "$AG" | jq -r '.agent.owners_evicted // "missing"')
	tt_diag "($tag) clients: $failed refused connects; kernel ActiveOpens=$OPENS AttemptFails=$FAILS;" \
		"agent connects=$CONN resets_received=$RECV counts_map_full=$LOSS runs_skipped=$SKIPPED" \
		"procs_evicted=$EVICTED_PROCS owners_evicted=$EVICTED_OWNERS" \
		"(stats lines: $(ta_stats_lines "$AG"), sum of their counts_map_full:" \
		"$(jq -s '[.[] | select(.type == "stats") | .agent.counts_map_full] | add' "$AG"))"
	tt_assert_eq "$failed" $((PROCS * CONNS)) "($tag) $PROCS processes made $((PROCS * CONNS)) refused connects"
}

# ------------------------------------------------------- (a) a tiny counts map
phase a counts:16
tt_assert_le "$CONN" "$OPENS" "(a) agent connects <= Tcp.ActiveOpens (no double counts)"
tt_assert_le "$RECV" "$FAILS" "(a) agent resets_received <= Tcp.AttemptFails (no double counts)"
missed=$((OPENS - CONN + FAILS - RECV))
# runs the kernel skipped (see (b)) are reported too, as runs_skipped: seen on 7.3 under
# emulation, 16 of 1575 missed
tt_assert_le "$missed" $((LOSS + ${SKIPPED//missing/0})) \
	"(a) the connects and resets received the agent missed ($missed) are reported as loss (counts_map_full $LOSS + runs_skipped $SKIPPED)"
tt_assert_ge "$LOSS" 1 "(a) the 16-entry maps overflowed and the agent said so (counts_map_full > 0)"
tt_assert_eq "$(jq -s '[.[] | select(.type == "stats") | .agent.counts_map_full] | add' "$AG")" "$LOSS" \
	"(a) the stats lines' counts_map_full add up to the end line's"

# ------------------------------------------------------- (b) the map as built
phase b
# exact, unless the kernel skipped a program run (one nested in itself on a CPU: seen on
# 7.3 under emulation), which the agent reports as runs_skipped
missed=$((OPENS - CONN + FAILS - RECV))
tt_assert_le "$CONN" "$OPENS" "(b) agent connects <= Tcp.ActiveOpens (no double counts)"
tt_assert_le "$RECV" "$FAILS" "(b) agent resets_received <= Tcp.AttemptFails (no double counts)"
tt_assert_le "$missed" "${SKIPPED//missing/0}" \
	"(b) agent connects and resets received == the kernel's, but for runs the kernel skipped ($missed missed, runs_skipped $SKIPPED)"
tt_assert_eq "$LOSS" 0 "(b) the map as built does not overflow (counts_map_full 0)"
tt_assert_eq "$EVICTED_PROCS" 0 "(b) the procs map as built evicts nothing (procs_evicted 0)"
tt_assert_eq "$(ta_ns_counter "$AG" "$ino" connect_failures)" 0 \
	"(b) refused connects had a local port: none counts as a connect that found none (connect_failures 0)"

# ------------------------------------------------------- (c) tiny LRU maps
phase c procs:16,owners:8
missed=$((OPENS - CONN + FAILS - RECV))
tt_assert_le "$missed" "${SKIPPED//missing/0}" \
	"(c) counts stay exact with owners and procs evicted ($missed missed, runs_skipped $SKIPPED)"
tt_assert_ge "$EVICTED_PROCS" $((PROCS - 16)) \
	"(c) $PROCS processes through a 16-entry procs map: at least $((PROCS - 16)) evictions reported (procs_evicted)"
# a tick's walks find evictions after its stats line: the last ones are in the end line only
tt_assert_le "$(jq -s '[.[] | select(.type == "stats") | .agent.procs_evicted] | add' "$AG")" "$EVICTED_PROCS" \
	"(c) the stats lines' procs_evicted add up to at most the end line's"
tt_assert_ge "$EVICTED_OWNERS" 0 "(c) owners_evicted is reported (a number)"

tt_finish
