#!/usr/bin/env bash
# Two faults at once, unrelated (mixed faults): a lossy path in one namespace
# pair (nftables in b drops 15 data segments of each of a's 4 connections, as
# in test_retransmits) and a full accept queue in a namespace of its own (a
# server with listen(fd, 1) that never accepts; 60 clients, 58 refused, each
# retransmitting its SYN once at least (at 1 s; a 5.10 guest's gave up before
# the second, at 3 s): a storm there too, a far bigger share of what it sent).
# The agent must report both faults, each about its own namespace: the one
# retransmit_storm finding goes to the lossy path (the SYNs' is explained by
# listen_overflow already), and must not be made a consequence of the accept
# queue: a's retransmits are data, not SYNs, so it keeps no caused_by and its
# advice to look at the path, and listen_overflow lists no such consequence.
# Truths: the firewall's drop counter and a's Tcp.RetransSegs and
# TCPSynRetrans deltas, the listen namespace's ListenOverflows and
# TCPSynRetrans deltas.
# shellcheck disable=SC2119  # ta_stop takes no argument here
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk nft setsid
tt_init mixed
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_pair loss || tt_bail "create namespace pair"
tt_netns_single lq || tt_bail "create listen namespace"
NS_L=$TT_NS
ino_a=$(tt_netns_inode "$NS_A") ino_l=$(tt_netns_inode "$NS_L")
PORT=5231 LPORT=5232 CONNS=4 BYTES=2000000
LOST_AT=$(seq -s ', ' 100 80 1220) # 15 packets of each connection, far apart

ip -n "$NS_A" link set dev "$IF_A" gso_max_segs 1 || tt_bail "gso_max_segs 1 on $IF_A"
ip netns exec "$NS_B" nft -f - <<EOF || tt_bail "nft rules"
table inet tt_mixed {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $IP_A tcp dport $PORT ct original packets { $LOST_AT } counter drop
	}
}
EOF
# (after the rule: its ct expression is what loads conntrack where it is a module)
tt_sysctl_ns_set "$NS_B" net.netfilter.nf_conntrack_acct 1 || tt_bail "nf_conntrack_acct 1 in b"
nft_dropped() {
	ip netns exec "$NS_B" nft list chain inet tt_mixed input |
		sed -n 's/.* counter packets \([0-9]*\) bytes .*/\1/p'
}

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server \
	--bind "$IP_B" --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
r0=$(tt_nstat "$NS_A" Tcp.RetransSegs)
s0=$(tt_nstat "$NS_A" TcpExt.TCPSynRetrans)
o0=$(tt_nstat "$NS_L" TcpExt.ListenOverflows)
ls0=$(tt_nstat "$NS_L" TcpExt.TCPSynRetrans)

# the accept queue: in the background, while the lossy transfer runs
tt_bg -o "$TT_TMP/lsrv.out" ip netns exec "$NS_L" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $LPORT --backlog 1 --no-accept --seconds 40 >/dev/null
lsrv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/lsrv.out" '^ready$' 5 || tt_bail "listen tcp-server ready"
tt_bg -o "$TT_TMP/lcli.out" ip netns exec "$NS_L" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $LPORT --conns 60 --parallel --hold 1 --seconds 6 >/dev/null

tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS_A" "$TT_TTLOAD" tcp-client --host "$IP_B" \
	--port $PORT --conns $CONNS --bytes $BYTES --close --seconds 30 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 33 || tt_diag "client did not finish"
tt_wait_for_line "$TT_TMP/lcli.out" '^connected=' 10 || tt_diag "listen client did not finish"
tt_sleep 1
r1=$(tt_nstat "$NS_A" Tcp.RetransSegs)
s1=$(tt_nstat "$NS_A" TcpExt.TCPSynRetrans)
o1=$(tt_nstat "$NS_L" TcpExt.ListenOverflows)
ls1=$(tt_nstat "$NS_L" TcpExt.TCPSynRetrans)
ta_wait_ticks "$AG" 1 || tt_diag "agent did not tick"
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "path (netns $ino_a): nft dropped $(nft_dropped), Tcp.RetransSegs +$((r1 - r0)), TCPSynRetrans +$((s1 - s0)); client $(tail -n 1 "$TT_TMP/cli.out")"
tt_diag "accept queue (netns $ino_l): ListenOverflows +$((o1 - o0)), TCPSynRetrans +$((ls1 - ls0)); client $(tail -n 1 "$TT_TMP/lcli.out")"

tt_assert_ge "$(nft_dropped)" 30 "the path lost >= 30 data segments (nftables)"
tt_assert_ge $((r1 - r0)) 50 "a retransmitted >= 50 segments (over the rule's floor)"
tt_assert_le $(((s1 - s0) * 2)) $((r1 - r0)) "a's retransmits are data, not SYNs (TCPSynRetrans)"
tt_assert_ge $((o1 - o0)) 5 "the listen namespace counted >= 5 listen overflows"
tt_assert_ge $((ls1 - ls0)) 50 "the listen namespace retransmitted >= 50 SYNs (a storm of its own)"

rs=$(ta_finding "$AG" retransmit_storm)
lo=$(ta_finding "$AG" listen_overflow)
tt_assert_true "[[ -n '${rs:0:1}' ]]" "a final retransmit_storm finding"
tt_assert_true "[[ -n '${lo:0:1}' ]]" "a final listen_overflow finding"
tt_diag "retransmit_storm: $(jq -c '{id, caused_by, because, evidence: (.evidence | {netns, retransmit_segs}), advice: [.advice[].action]}' <<<"${rs:-null}")"
tt_diag "listen_overflow: $(jq -c '{id, consequences, evidence: (.evidence | {netns, listen_overflows})}' <<<"${lo:-null}")"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"${rs:-null}")" "$ino_a" "retransmit_storm is about a's namespace"
tt_assert_eq "$(jq -r '.evidence.retransmit_segs // empty' <<<"${rs:-null}")" $((r1 - r0)) \
	"retransmit_storm: evidence.retransmit_segs == a's Tcp.RetransSegs delta"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"${lo:-null}")" "$ino_l" "listen_overflow is about the listen namespace"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"${lo:-null}")" "$lsrv" "listen_overflow's first culprit is its server (pid $lsrv)"
tt_assert_eq "$(jq -r '.caused_by // ""' <<<"${rs:-null}")" "" \
	"retransmit_storm is caused by nothing found here (the accept queue elsewhere did not drop a's data)"
tt_assert_true "jq -e 'any(.advice[]?; .action | test(\"lost\"))' <<<\"\${rs:-null}\" >/dev/null" \
	"retransmit_storm keeps its advice to find where packets are lost"
tt_assert_true "jq -e '[.consequences[]? | select(startswith(\"retransmit_storm\"))] | length == 0' <<<\"\${lo:-null}\" >/dev/null" \
	"listen_overflow lists no retransmit_storm among its consequences"
tt_assert_true "jq -e --argjson p $cli 'any(.culprits[]?; .pid == \$p)' <<<\"\${rs:-null}\" >/dev/null" \
	"retransmit_storm names the lossy path's client (pid $cli)"

tt_finish
