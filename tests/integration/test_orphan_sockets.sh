#!/usr/bin/env bash
# Orphaned sockets against the kernel's limit, in one namespace over
# loopback: a receiver that never reads, a client that fills it, close()s
# every connection with data still unsent and exits: CONNS orphans in
# FIN_WAIT1 behind a zero window, owned by no process.  Then
# net.ipv4.tcp_max_orphans (global: no namespace has its own) is set to the
# host's orphan count for two agent ticks and restored: the agent judges
# "orphans >= tcp_max_orphans", the kernel kills orphans only above it
# (tcp_too_many_orphans()), so nothing is aborted and every number holds
# still while the limit is low.
#
# The agent must report orphan_sockets (critical) with the orphan count of
# /proc/net/sockstat read inside the namespace (the count is the host's),
# the limit, no aborts (TcpExt.TCPAbortOnMemory, nstat in the namespace), and
# the client that left the orphans as the first culprit in the namespace.
# The test's own truths: ss in the namespace (FIN_WAIT1 sockets with unsent
# data and no owning process) and the client's connection count.
# shellcheck disable=SC2016  # tt_assert_true evals its argument
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid flock ss nstat
tt_init orphans
ta_require
tt_ttload || tt_bail "build ttload"

tt_netns_single orph || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5631
CONNS=40
BYTES=1000000
KEY=net.ipv4.tcp_max_orphans
OLD_MAX=$(cat /proc/sys/net/ipv4/tcp_max_orphans)

ns_orphans() { # orphans of this test: FIN_WAIT1 towards PORT, unsent data, no process
	ip netns exec "$NS" ss -tnpH state fin-wait-1 "dport = :$PORT" |
		awk '$2 > 0 && !/users:/ { n++ } END { print n + 0 }'
}
ns_sockstat_orphans() { # /proc/net/sockstat "orphan", read inside the namespace
	ip netns exec "$NS" awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "orphan") print $(i + 1) }' /proc/net/sockstat
}
ns_aborts() { # TcpExt.TCPAbortOnMemory, nstat inside the namespace
	ip netns exec "$NS" nstat -asz TcpExtTCPAbortOnMemory | awk '$1 == "TcpExtTCPAbortOnMemory" { print $2 }'
}

AG=$TT_TMP/agent.json
ta_orphan_workload "$NS" $PORT $CONNS $BYTES "$AG"
orph=$(ns_orphans)
tt_assert_eq "$orph" $CONNS "ss: every connection is an orphan with unsent data (FIN_WAIT1, no process)"
ta_wait_ticks "$AG" 2 || tt_bail "agent ticks"
tt_assert_eq "$(ta_findings "$AG" orphan_sockets; jq -c 'select(.type == "finding" and .cause == "orphan_sockets")' "$AG")" "" \
	"no orphan_sockets finding under the host's limit ($OLD_MAX)"

# ---------------------- tcp_max_orphans = the orphan count, two agent ticks
a0=$(ns_aborts)
O=$(ns_sockstat_orphans)
t_set=$(date -u +%s.%3N)
tt_sysctl_global_set $KEY "$O" || tt_bail "set $KEY=$O"
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick with the limit low"
O2=$(ns_sockstat_orphans)
_tt_sysctl_write $KEY "$OLD_MAX"
t_restore=$(date -u +%s.%3N)
# ---------------------- restored
tt_assert_eq "$(cat /proc/sys/net/ipv4/tcp_max_orphans)" "$OLD_MAX" "$KEY restored to $OLD_MAX right after"
a1=$(ns_aborts)
orph2=$(ns_orphans)
ta_wait_ticks "$AG" 1 || tt_diag "agent did not tick after the window"
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "$KEY $O for $(awk -v a="$t_set" -v b="$t_restore" 'BEGIN { printf "%.2f", b - a }') s; sockstat orphan (in the namespace) $O -> $O2; ss orphans $orph -> $orph2; TCPAbortOnMemory +$((a1 - a0))"

tt_assert_ge "$O" $CONNS "sockstat orphan (read in the namespace) counts the $CONNS orphans"
tt_assert_eq "$O2" "$O" "the orphan count held still at the limit (the kernel kills only above it)"
tt_assert_eq "$orph2" $CONNS "ss: the $CONNS orphans are still there"
tt_assert_eq $((a1 - a0)) 0 "nstat in the namespace: no TCPAbortOnMemory (nothing aborted)"

f=$(ta_finding "$AG" orphan_sockets)
tt_assert_true '[[ -n $f ]]' "a final orphan_sockets finding"
tt_assert_eq "$(jq -r '.severity // empty' <<<"$f")" critical "orphan_sockets is critical"
tt_assert_eq "$(jq -r '.evidence.orphans // empty' <<<"$f")" "$O" \
	"evidence.orphans == /proc/net/sockstat orphan read inside the namespace"
tt_assert_eq "$(jq -r '.evidence.tcp_max_orphans // empty' <<<"$f")" "$O" "evidence.tcp_max_orphans == the limit set ($O)"
tt_assert_eq "$(jq -r '.evidence.aborts_on_memory // empty' <<<"$f")" $((a1 - a0)) \
	"evidence.aborts_on_memory == TCPAbortOnMemory delta (0)"
tt_assert_ge "$(jq -r '.evidence.snapshot_orphans // empty' <<<"$f")" $CONNS \
	"evidence.snapshot_orphans (the agent's own socket walk) >= the $CONNS orphans ss shows"
tt_diag "culprits: $(jq -c '[.culprits[] | {pid, comm, netns, why, count, bytes}]' <<<"$f")"
c0=$(jq -r --argjson ns "$ino" '[.culprits[] | select(.netns == $ns)][0].pid // empty' <<<"$f")
tt_assert_eq "$c0" "$cli" "first culprit in the namespace is the client that left the orphans (pid $cli; receiver is $srv)"
tt_assert_eq "$(jq -r --argjson ns "$ino" '[.culprits[] | select(.netns == $ns)][0].count // empty' <<<"$f")" $CONNS \
	"... holding the $CONNS orphaned sockets"
tt_assert_eq "$(ta_advice_mentions "$AG" tw_recycle)" 0 "no advice mentions tcp_tw_recycle (why included)"

tt_finish
