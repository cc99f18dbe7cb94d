#!/usr/bin/env bash
# Drops: a UDP sink in b with a tiny receive buffer that never reads, flooded
# from a.  The agent's socket_rcvbuff drops must equal Udp.RcvbufErrors, the
# sink socket's own drop count (ss: skmem d, over netlink) and what the
# workload says the buffer refused (datagrams the flood sent minus those still
# queued at the sink), and socket_buffer_limit must name the sink (the
# socket's owner), not the flood (the task on the CPU when the veth delivers).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss
tt_init drops
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_pair || tt_bail "create namespace pair"
ino_a=$(tt_netns_inode "$NS_A")
ino_b=$(tt_netns_inode "$NS_B")
PORT=5301 COUNT=3000 SIZE=1000

# The sink exists before the agent: its owner comes from the start-up iterator.
tt_bg -o "$TT_TMP/sink.out" ip netns exec "$NS_B" "$TT_TTLOAD" udp-sink \
	--bind "$IP_B" --port $PORT --rcvbuf 4096 --seconds 60 >/dev/null
sink=$TT_BG_PID
tt_wait_for_line "$TT_TMP/sink.out" '^ready$' 5 || tt_bail "udp-sink ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"

e_a0=$(tt_nstat "$NS_A" Udp.RcvbufErrors)
e_b0=$(tt_nstat "$NS_B" Udp.RcvbufErrors)
e_i0=$(tt_nstat "" Udp.RcvbufErrors)

tt_bg -o "$TT_TMP/flood.out" ip netns exec "$NS_A" "$TT_TTLOAD" udp-flood --host "$IP_B" \
	--port $PORT --count $COUNT --size $SIZE --seconds 15 >/dev/null
flood=$TT_BG_PID
tt_wait_for_line "$TT_TMP/flood.out" '^sent=' 18 || tt_diag "flood did not finish"
tt_diag "flood (pid $flood): $(tail -n 1 "$TT_TMP/flood.out"); sink pid $sink"
tt_sleep 1

e_a1=$(tt_nstat "$NS_A" Udp.RcvbufErrors)
e_b1=$(tt_nstat "$NS_B" Udp.RcvbufErrors)
e_i1=$(tt_nstat "" Udp.RcvbufErrors)
# the sink socket's own count of refused datagrams (sk_drops)
skmem=$(ip netns exec "$NS_B" ss -uamnH "sport = :$PORT" | grep -o 'skmem:([^)]*)')
sock_drops=$(sed -n 's/.*,d\([0-9]*\)).*/\1/p' <<<"$skmem")
ta_stop || tt_bail "agent end line"
ta_show "$AG"
# the workload's own numbers: what the flood sent, what the sink still holds
kill -TERM "$sink"
tt_wait_for_line "$TT_TMP/sink.out" '^queued=' 5 || tt_diag "udp-sink printed no queued= line"
sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$TT_TMP/flood.out")
queued=$(sed -n 's/^queued=\([0-9]*\)$/\1/p' "$TT_TMP/sink.out")
refused=$((${sent:-0} - ${queued:-0}))
tt_diag "workload: flood sent $sent, sink still queued $queued: $refused refused; sink socket $skmem"
tt_assert_eq "$sent" $COUNT "the flood sent all $COUNT datagrams"
tt_assert_true "[[ -n '$queued' ]]" "the sink counted what it still queued"

d_a=$((e_a1 - e_a0)) d_b=$((e_b1 - e_b0)) d_i=$((e_i1 - e_i0))
rcvbuff=$(ta_drop_reason "$AG" socket_rcvbuff)
drops_b=$(ta_ns_counter "$AG" "$ino_b" drops)
tt_diag "kernel Udp.RcvbufErrors deltas: a=$d_a b=$d_b init=$d_i; agent drops_by_reason.socket_rcvbuff=$rcvbuff (host-wide), drops in netns b=$drops_b, in a=$(ta_ns_counter "$AG" "$ino_a" drops)"
tt_assert_ge "$d_b" 100 "the flood overflowed the sink's buffer (RcvbufErrors in b)"
tt_assert_eq "$sock_drops" "$refused" "the sink socket's drops (ss skmem d) == datagrams sent - still queued"

f=$(ta_findings "$AG" socket_buffer_limit | tail -n 1)
# The sink first: the drop's receiving socket's owner (6.11+), else its udp_refused count
# (udp:udp_fail_queue_rcv_skb has the socket, where the classic record has not).
sink_first() {
	if ta_kernel_lacks "$AG" drop_receiving_socket && [[ ${TT_ATTACH:-} == tracepoint ]]; then
		tt_skip "first culprit is the udp-sink: no receiving socket before 6.11, none in the classic record"
		return
	fi
	tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$sink" "first culprit is the udp-sink (pid $sink)"
	# before 6.11 the same datagrams' drops are charged to nobody: not a second culprit
	tt_assert_eq "$(jq '[.culprits[]? | select(.pid == 0)] | length' <<<"$f")" 0 \
		"no culprit without a process (the sink's datagrams are named once)"
}
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final socket_buffer_limit finding"
if ta_kernel_lacks "$AG" drop_reasons; then
	# Before 5.17 a drop has no reason and no receiving socket: the finding
	# takes the drops from the namespace's own counter, and says so.
	why="this kernel's kfree_skb has no drop reason (Linux < 5.17)"
	tt_skip "socket_rcvbuff drops by reason: $why"
	tt_assert_ge "$(jq -r '.evidence.ns_receive_buffer_drops // 0' <<<"$f")" "$d_b" \
		"finding evidence ns_receive_buffer_drops >= Udp.RcvbufErrors delta in b"
	tt_assert_ge "$(jq -r '.evidence.ns_receive_buffer_drops // 0' <<<"$f")" "$refused" \
		"finding evidence ns_receive_buffer_drops >= datagrams sent - still queued at the sink"
	tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino_b" "finding names netns b"
	tt_assert_true "jq -e '.evidence.not_visible | test(\"drop_reasons\")' <<<\"\$f\" >/dev/null" \
		"finding says drop reasons are not visible"
	sink_first
	tt_finish
fi

# (every by_netns entry has drops_by_reason: JSON contract v1)
got=$(ta_end "$AG" | jq -r --argjson ns "$ino_b" '[.by_netns[] | select(.netns == $ns) | .drops_by_reason.socket_rcvbuff] | add // empty')
tt_assert_eq "$got" "$d_b" "agent socket_rcvbuff drops in netns b == Udp.RcvbufErrors delta in b"
tt_assert_eq "$got" "$sock_drops" "agent socket_rcvbuff drops in netns b == the sink socket's drops (ss skmem d)"
tt_assert_eq "$got" "$refused" "agent socket_rcvbuff drops in netns b == datagrams the flood sent - still queued at the sink"
tt_assert_eq "$rcvbuff" $((d_a + d_b + d_i)) "agent drops_by_reason.socket_rcvbuff (host-wide) == sum of Udp.RcvbufErrors deltas (a, b, initial)"
tt_assert_ge "$drops_b" "$d_b" "agent drops in netns b >= Udp.RcvbufErrors delta in b"
ev=$(jq -r '.evidence.drops_socket_rcvbuff // empty' <<<"$f")
tt_assert_ge "$ev" "$d_b" "finding evidence drops_socket_rcvbuff (its namespace, b) >= Udp.RcvbufErrors delta in b"
tt_assert_le "$ev" "$rcvbuff" "finding evidence drops_socket_rcvbuff <= end-line socket_rcvbuff (host-wide)"
tt_assert_true "jq -e '(.evidence.drop_ratio | type) == \"number\" and .evidence.drop_ratio >= .evidence.threshold_ratio' <<<\"\$f\" >/dev/null" \
	"evidence.drop_ratio (drops / packets received) is a number at or over the threshold"
tt_assert_ge "$(jq -r '.evidence.packets_received // empty' <<<"$f")" "$sent" \
	"evidence.packets_received (b's Ip.InReceives) >= the datagrams the flood sent"
sink_first
tt_assert_eq "$(jq -r '.culprits[0].netns // empty' <<<"$f")" "$ino_b" "first culprit's netns is b"
tt_assert_true "jq -e --argjson p $flood 'any(.culprits[]?; .pid == \$p) | not' <<<\"\$f\" >/dev/null" \
	"the flood (pid $flood) is not a culprit"

tt_finish
