#!/usr/bin/env bash
# TIME_WAIT overflow: in a namespace with net.ipv4.tcp_max_tw_buckets=10, a
# `ttload churn` client connects to a local server, sends a byte and closes
# first, so every connection's TIME_WAIT lands on the client's side.  Past
# 10 entries the kernel skips TIME_WAIT and counts TcpExt.TCPTimeWaitOverflow
# (no console line on this kernel).  The agent must report timewait_overflow
# in that namespace with the kernel's delta, the limit, and the churn client
# (the active closer) as its first culprit; no advice may suggest
# tcp_tw_recycle.  Besides the procfs counters the agent reads itself, the
# truths: ss in the namespace (TIME_WAIT sockets, over netlink) and the
# workload: of the churn's N connections, 10 took the 10 TIME_WAIT slots and
# every later one overflowed (none expires within the 60 s of TIME_WAIT).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss
tt_init twover
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single tw || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5611
tt_sysctl_ns_set "$NS" net.ipv4.tcp_max_tw_buckets 10 || tt_bail "set tcp_max_tw_buckets"
tt_assert_eq "$(tt_sysctl_get "$NS" net.ipv4.tcp_max_tw_buckets)" 10 "namespace tcp_max_tw_buckets is 10"

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 40 >/dev/null
srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
o0=$(tt_nstat "$NS" TcpExt.TCPTimeWaitOverflow)

tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS" "$TT_TTLOAD" churn --host 127.0.0.1 \
	--port $PORT --conns-max 3000 --seconds 8 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connections=' 14 || tt_diag "churn did not finish"
tt_diag "churn (pid $cli): $(tail -n 1 "$TT_TMP/cli.out"); server pid $srv"
tt_sleep 1.5 # the server closes its side; nothing changes afterwards
o1=$(tt_nstat "$NS" TcpExt.TCPTimeWaitOverflow)
tw=$(ip netns exec "$NS" awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)
tw_ss=$(ip netns exec "$NS" ss -Htan state time-wait | wc -l)
ta_stop || tt_bail "agent end line"
ta_show "$AG"
delta=$((o1 - o0))
tt_diag "kernel: TCPTimeWaitOverflow delta=$delta, sockstat tw=$tw, ss time-wait=$tw_ss (netns $ino)"

conns=$(sed -n 's/^connections=\([0-9]*\) .*/\1/p' "$TT_TMP/cli.out")
tt_assert_ge "${conns:-0}" 100 "churn made >= 100 connections"
tt_assert_eq "$tw_ss" 10 "ss: 10 TIME_WAIT sockets in the namespace (the table's size)"
tt_assert_ge "$delta" 1 "the kernel counted TIME_WAIT overflows (TCPTimeWaitOverflow grew)"
f=$(ta_finding "$AG" timewait_overflow)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final timewait_overflow finding"
tt_assert_eq "$(jq -r '.evidence.timewait_overflows // empty' <<<"$f")" "$delta" \
	"evidence.timewait_overflows == TcpExt.TCPTimeWaitOverflow delta"
tt_assert_eq "$(jq -r '.evidence.tcp_max_tw_buckets // empty' <<<"$f")" 10 "evidence.tcp_max_tw_buckets == 10"
# every close past the table's 10 skipped TIME_WAIT, except those whose slot a new connect
# freed by reusing its port (tcp_tw_reuse is on for loopback): a few at most
ovf=$(jq -r '.evidence.timewait_overflows // 0' <<<"$f")
tt_assert_le "$ovf" $((${conns:-0} - tw_ss)) \
	"evidence.timewait_overflows <= the churn's connections - the TIME_WAIT sockets ss shows"
tt_assert_ge "$ovf" $(((${conns:-0} - tw_ss) * 95 / 100)) \
	"evidence.timewait_overflows >= 95% of the churn's connections - the TIME_WAIT sockets ss shows"
tt_assert_eq "$(jq -r '.evidence.timewait_sockets // empty' <<<"$f")" "$tw" \
	"evidence.timewait_sockets == the namespace's sockstat tw"
tt_assert_eq "$(jq -r '.evidence.timewait_sockets // empty' <<<"$f")" "$tw_ss" \
	"evidence.timewait_sockets == ss count of time-wait in the namespace"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino" "evidence.netns is the test's namespace"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$cli" "first culprit is the churn client (pid $cli), the active closer"
tt_assert_eq "$(jq -r '.culprits[0].netns // empty' <<<"$f")" "$ino" "first culprit's netns is the test's namespace"
tt_assert_true "! jq -e --argjson p $srv 'any(.culprits[]?; .pid == \$p)' <<<\"\$f\" >/dev/null" \
	"the server (pid $srv, passive closer) is not a culprit"
tt_assert_eq "$(ta_advice_mentions "$AG" tw_recycle)" 0 "no advice mentions tcp_tw_recycle (why included)"

tt_finish
