#!/usr/bin/env bash
# A UDP sink opened after the agent started: no hook sees a UDP socket made
# (it has no state changes) and the start-up seed came before it, so its
# first drops have no owner.  The agent walks the open files again when such
# events come (user/agent/rescan.h): the sink, flooded for 6 s, must be
# socket_buffer_limit's first culprit, charged most of the drops (those after
# the walk), and the end line must count the walk and what it learned.
# Before 6.11 a drop has no socket: udp:udp_fail_queue_rcv_skb gives it.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init late_owner
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_pair || tt_bail "create namespace pair"
ino_b=$(tt_netns_inode "$NS_B")
PORT=5311 PPS=1000 COUNT=6000

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
tt_bg -o "$TT_TMP/sink.out" ip netns exec "$NS_B" "$TT_TTLOAD" udp-sink \
	--bind "$IP_B" --port $PORT --rcvbuf 4096 --seconds 60 >/dev/null
sink=$TT_BG_PID
tt_wait_for_line "$TT_TMP/sink.out" '^ready$' 5 || tt_bail "udp-sink ready"
e0=$(tt_nstat "$NS_B" Udp.RcvbufErrors)
tt_bg -o "$TT_TMP/flood.out" ip netns exec "$NS_A" "$TT_TTLOAD" udp-flood --host "$IP_B" \
	--port $PORT --count $COUNT --size 1000 --pps $PPS >/dev/null
tt_wait_for_line "$TT_TMP/flood.out" '^sent=' 20 || tt_diag "flood did not finish"
tt_sleep 1
e1=$(tt_nstat "$NS_B" Udp.RcvbufErrors)
ta_stop || tt_bail "agent end line"
ta_show "$AG"
end=$(ta_end "$AG")
f=$(ta_findings "$AG" socket_buffer_limit | tail -n 1)
c=$(jq -c '.culprits[0] // {}' <<<"${f:-null}" 2>/dev/null)
tt_diag "sink pid $sink; flood: $(tail -n 1 "$TT_TMP/flood.out"); RcvbufErrors in b: $((e1 - e0)); first culprit $c; rescans $(jq -c '.agent | {owner_rescans, owners_rescan_learned}' <<<"$end")"
tt_assert_ge $((e1 - e0)) 1000 "the flood overflowed the sink's buffer (RcvbufErrors in b)"
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final socket_buffer_limit finding"
# before 6.11 the socket comes from udp:udp_fail_queue_rcv_skb (udp_refused), not the drop
if ta_kernel_lacks "$AG" drop_receiving_socket && [[ ${TT_ATTACH:-} == tracepoint ]]; then
	tt_skip "the walk for the sink's owner and the sink as first culprit: no receiving socket before 6.11, none in the classic record"
else
	tt_assert_ge "$(jq -r '.agent.owner_rescans // 0' <<<"$end")" 1 "end line: the agent looked for owners again"
	tt_assert_ge "$(jq -r '.agent.owners_rescan_learned // 0' <<<"$end")" 1 "end line: ... and learned the sink's"
	tt_assert_eq "$(jq -r '.pid // empty' <<<"$c")" "$sink" "first culprit is the sink (pid $sink), opened after the agent"
	tt_assert_eq "$(jq -r '.netns // empty' <<<"$c")" "$ino_b" "first culprit's netns is b"
	tt_assert_ge "$(( $(jq -r '.drops // .count // 0' <<<"$c") * 2 ))" $((e1 - e0)) \
		"the sink is charged at least half the drops (those after the walk)"
fi
tt_finish
