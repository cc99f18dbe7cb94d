#!/usr/bin/env bash
# One incident (issue 11): orphan_sockets and reset_storm caused by
# tcp_mem_exhausted.  As in test_tcp_oom, a client leaves 80 orphans with unsent data behind a receiver
# that never reads; 5 s later their zero-window probes are seconds apart, so
# the kernel kills them over seconds, not at once.  Then tcp_max_orphans goes
# to 1 and tcp_mem to "1 2 3" until they are gone (4 s at most): the kernel
# aborts them (TCPAbortOnMemory) while orphan_sockets (orphans >=
# tcp_max_orphans) and tcp_mem_exhausted both fire.  The agent must report
# orphan_sockets caused_by tcp_mem_exhausted, with the abort count in its
# because, and tcp_mem_exhausted must list it among its consequences; each
# abort sends a reset, and the reset_storm they make is the memory's too.
# Both limits are global: restored on every exit path, held seconds only.
# shellcheck disable=SC2119  # ta_stop takes no argument here
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid flock ss
tt_init incorph
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single orph || tt_bail "create namespace"
NS=$TT_NS
PORT=5611
CONNS=80 # the aborts' resets must pass reset_storm's floor (50)
OLD_MEM=$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)
OLD_MAX=$(cat /proc/sys/net/ipv4/tcp_max_orphans)

AG=$TT_TMP/agent.json
ta_orphan_workload "$NS" $PORT $CONNS 1000000 "$AG"
tt_assert_eq "$(ta_ns_orphans "$NS" $PORT)" $CONNS "every connection is an orphan with unsent data"

# ------------------------------ tcp_max_orphans 1 and tcp_mem "1 2 3" until the orphans are gone
tt_sleep 5
a0=$(tt_nstat "$NS" TcpExt.TCPAbortOnMemory)
t0=$(ta_stats_lines "$AG")
tt_sysctl_global_set net.ipv4.tcp_max_orphans 1 || tt_bail "set tcp_max_orphans"
tt_sysctl_global_set net.ipv4.tcp_mem "1 2 3" || tt_bail "set tcp_mem"
for ((i = 0; i < 40; i++)); do
	sleep 0.1
	(($(ta_ns_orphans "$NS" $PORT) == 0)) && break
done
_tt_sysctl_write net.ipv4.tcp_mem "$OLD_MEM"
_tt_sysctl_write net.ipv4.tcp_max_orphans "$OLD_MAX"
a1=$(tt_nstat "$NS" TcpExt.TCPAbortOnMemory)
ticks=$(($(ta_stats_lines "$AG") - t0))
tt_assert_eq "$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)" "$OLD_MEM" "tcp_mem restored right after the window"
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick after the window"
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "limits low for $((i / 10)).$((i % 10)) s, $ticks agent ticks then; TCPAbortOnMemory delta $((a1 - a0)); orphans left $(ta_ns_orphans "$NS" $PORT)"

tt_assert_ge $((a1 - a0)) 1 "the kernel aborted orphans for lack of memory (TCPAbortOnMemory grew)"
root=$(ta_finding "$AG" tcp_mem_exhausted)
sym=$(ta_finding "$AG" orphan_sockets)
# each abort sends a reset: a reset_storm, caused by the memory, not by the network
rs=$(ta_finding "$AG" reset_storm)
tt_assert_true "[[ -n '${rs:0:1}' ]]" "a final reset_storm finding (a reset per abort)"
tt_assert_ge "$(jq -r '.evidence.resets_sent // 0' <<<"$rs")" $((a1 - a0)) \
	"reset_storm: resets_sent >= the orphans aborted for memory (TCPAbortOnMemory delta)"
# Memory over tcp_mem and orphans over tcp_max_orphans are seen by sampling,
# or from the kernel's KERN_INFO lines where the console shows them
# (TCPAbortOnMemory counts memory and orphan aborts alike): when the kernel
# killed every orphan before the first check (their probes fired together;
# seen on 5.10 under qemu, whose console hides KERN_INFO), neither could.
if ((i == 0)) && [[ -z ${root:0:1} ]]; then
	tt_skip "tcp_mem_exhausted, orphan_sockets and their links: the kernel killed all $CONNS orphans within 0.1 s of the limits, before any agent tick, and no kernel line of it reached the agent"
	tt_finish
fi
tt_assert_true "[[ -n '${root:0:1}' ]]" "a final tcp_mem_exhausted finding"
ta_assert_linked "$rs" "$root" "lack of TCP memory"
if ((i == 0)) && [[ -z ${sym:0:1} ]]; then
	tt_skip "orphan_sockets and its link: the kernel killed all $CONNS orphans within 0.1 s of the limits, before any agent tick"
	tt_finish
fi
tt_assert_true "[[ -n '${sym:0:1}' ]]" "a final orphan_sockets finding (orphans >= tcp_max_orphans)"
root_id=$(jq -r '.id // empty' <<<"$root")
tt_assert_eq "$(jq -r '.caused_by // empty' <<<"$sym")" "$root_id" "orphan_sockets is caused_by tcp_mem_exhausted ($root_id)"
tt_assert_true "jq -e '.because | test(\"aborted [0-9]+ orphaned\")' <<<\"\$sym\" >/dev/null" \
	"orphan_sockets: its because sentence counts the orphans aborted for lack of memory"
tt_assert_true "jq -e --arg id \"\$(jq -r .id <<<\"\$sym\")\" '.consequences | index(\$id) != null' <<<\"\$root\" >/dev/null" \
	"tcp_mem_exhausted lists orphan_sockets among its consequences"

tt_finish
