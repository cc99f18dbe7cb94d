#!/usr/bin/env bash
# One incident (issue 11): orphan_sockets caused by tcp_mem_exhausted.  As in
# test_tcp_oom, a client leaves 40 orphans with unsent data behind a receiver
# that never reads.  tcp_max_orphans goes to the host's orphan count, so
# orphan_sockets fires from the counters (orphans >= tcp_max_orphans; the
# kernel kills only past it), then tcp_mem to "1 2 3" for ~3 s: the kernel
# aborts the orphans for lack of memory (TCPAbortOnMemory).  The agent must
# report orphan_sockets caused_by tcp_mem_exhausted, with the abort count in
# its because, and tcp_mem_exhausted must list it among its consequences.
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
CONNS=40
OLD_MEM=$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)
OLD_MAX=$(cat /proc/sys/net/ipv4/tcp_max_orphans)

AG=$TT_TMP/agent.json
ta_orphan_workload "$NS" $PORT $CONNS 1000000 "$AG"
tt_assert_eq "$(ta_ns_orphans "$NS" $PORT)" $CONNS "every connection is an orphan with unsent data"

# ------------------------------ tcp_max_orphans at the orphans there are, then tcp_mem "1 2 3"
host_orphans=$(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "orphan") print $(i + 1) }' /proc/net/sockstat)
tt_sysctl_global_set net.ipv4.tcp_max_orphans "$host_orphans" || tt_bail "set tcp_max_orphans"
ta_wait_ticks "$AG" 2 || tt_bail "agent ticks"
a0=$(tt_nstat "$NS" TcpExt.TCPAbortOnMemory)
tt_sysctl_global_set net.ipv4.tcp_mem "1 2 3" || tt_bail "set tcp_mem"
for ((i = 0; i < 30; i++)); do
	sleep 0.1
	(($(ta_ns_orphans "$NS" $PORT) == 0)) && break
done
_tt_sysctl_write net.ipv4.tcp_mem "$OLD_MEM"
_tt_sysctl_write net.ipv4.tcp_max_orphans "$OLD_MAX"
a1=$(tt_nstat "$NS" TcpExt.TCPAbortOnMemory)
tt_assert_eq "$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)" "$OLD_MEM" "tcp_mem restored right after the window"
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick after the window"
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "host orphans $host_orphans (tcp_max_orphans for the test); TCPAbortOnMemory delta $((a1 - a0))"

tt_assert_ge $((a1 - a0)) 1 "the kernel aborted orphans for lack of memory (TCPAbortOnMemory grew)"
root=$(ta_finding "$AG" tcp_mem_exhausted)
sym=$(ta_finding "$AG" orphan_sockets)
tt_assert_true "[[ -n '${root:0:1}' ]]" "a final tcp_mem_exhausted finding"
tt_assert_true "[[ -n '${sym:0:1}' ]]" "a final orphan_sockets finding (orphans >= tcp_max_orphans)"
root_id=$(jq -r '.id // empty' <<<"$root")
tt_assert_eq "$(jq -r '.caused_by // empty' <<<"$sym")" "$root_id" "orphan_sockets is caused_by tcp_mem_exhausted ($root_id)"
tt_assert_true "jq -e '.because | test(\"aborted [0-9]+ orphaned\")' <<<\"\$sym\" >/dev/null" \
	"orphan_sockets: its because sentence counts the orphans aborted for lack of memory"
tt_assert_true "jq -e --arg id \"\$(jq -r .id <<<\"\$sym\")\" '.consequences | index(\$id) != null' <<<\"\$root\" >/dev/null" \
	"tcp_mem_exhausted lists orphan_sockets among its consequences"

tt_finish
