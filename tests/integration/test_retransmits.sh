#!/usr/bin/env bash
# Retransmits, deterministic: nftables in b drops exactly LOSSES data
# segments of each of a's CONNS connections (conntrack counts each
# connection's packets: the ones numbered in LOST_AT are dropped, their
# retransmissions are later numbers and pass).  Every lost segment is sent
# again exactly once, so the kernel's Tcp.RetransSegs in a (read with nstat
# inside the namespace) must equal the firewall's own drop counter, and the
# agent's retransmit_segs + synack_retransmits per namespace must equal both;
# retransmit_storm must name the client.  What makes it exact: one segment per
# packet (gso_max_segs 1 on a's veth), no tail loss probes in a
# (tcp_early_retrans 0: a probe resends a segment that was not lost), and
# client and server on one CPU (two CPUs' backlogs reorder segments, which
# fast recovery takes for loss).  The 10% random loss this test had before
# once made the client give up before sending every byte on a fresh machine.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk nft setsid nstat taskset
tt_init retrans
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_pair || tt_bail "create namespace pair"
ino_a=$(tt_netns_inode "$NS_A")
ino_b=$(tt_netns_inode "$NS_B")
PORT=5201 CONNS=4 BYTES=2000000 # ~1380 segments of 1448 bytes per connection
LOST_AT=$(seq -s ', ' 100 80 1220) # 15 packets of each connection, far apart
LOSSES=$(wc -w <<<"${LOST_AT//,/}")
EXPECT=$((CONNS * LOSSES))

ip -n "$NS_A" link set dev "$IF_A" gso_max_segs 1 || tt_bail "gso_max_segs 1 on $IF_A"
tt_sysctl_ns_set "$NS_A" net.ipv4.tcp_early_retrans 0 || tt_bail "tcp_early_retrans 0 in a"
# The table lives in b and dies with it.
ip netns exec "$NS_B" nft -f - <<EOF || tt_bail "nft rules"
table inet tt_loss {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $IP_A tcp dport $PORT ct original packets { $LOST_AT } counter drop comment "ttloss"
	}
}
EOF
# (after the rule: its ct expression is what loads conntrack where it is a module)
tt_sysctl_ns_set "$NS_B" net.netfilter.nf_conntrack_acct 1 || tt_bail "nf_conntrack_acct 1 in b"
nft_dropped() {
	ip netns exec "$NS_B" nft list chain inet tt_loss input |
		sed -n 's/.* counter packets \([0-9]*\) bytes .*/\1/p'
}
nstat_a() { # COUNTER : absolute value in a, from nstat run inside the namespace
	ip netns exec "$NS_A" nstat -asz "$1" | awk -v c="$1" '$1 == c { print $2 }'
}

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS_B" taskset -c 0 "$TT_TTLOAD" tcp-server \
	--bind "$IP_B" --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"

ra0=$(nstat_a TcpRetransSegs)
rb0=$(tt_nstat "$NS_B" Tcp.RetransSegs)
fast0=$(nstat_a TcpExtTCPFastRetrans)

tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS_A" taskset -c 0 "$TT_TTLOAD" tcp-client --host "$IP_B" \
	--port $PORT --conns $CONNS --bytes $BYTES --close --seconds 30 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 33 || tt_diag "client did not finish"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out")"
tt_assert_eq "$(sed -n 's/^connected=.* bytes=\([0-9]*\)$/\1/p' "$TT_TMP/cli.out")" \
	$((CONNS * BYTES)) "client sent every byte"
tt_sleep 1 # the last acknowledgements; nothing is lost any more
dropped=$(nft_dropped)
ra1=$(nstat_a TcpRetransSegs)
rb1=$(tt_nstat "$NS_B" Tcp.RetransSegs)
fast1=$(nstat_a TcpExtTCPFastRetrans)
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "nft dropped $dropped packets (want $CONNS x $LOSSES); nstat in a: TcpRetransSegs +$((ra1 - ra0)), TcpExtTCPFastRetrans +$((fast1 - fast0)); now $(ip netns exec "$NS_A" nstat -asz | awk '$1 ~ /LossProbes$|DSACKRecv$|SACKReorder$|TCPTimeouts$/ { printf "%s %s ", $1, $2 }')"

tt_assert_eq "$dropped" $EXPECT "nftables dropped exactly $LOSSES data segments of each of the $CONNS connections"
tt_assert_eq $((ra1 - ra0)) "$dropped" "nstat in a: TcpRetransSegs delta == the segments nftables dropped (each sent again once)"
tt_assert_eq $((rb1 - rb0)) 0 "b retransmitted nothing (it only acknowledges)"
for side in a b; do
	if [[ $side == a ]]; then ino=$ino_a d=$((ra1 - ra0)); else ino=$ino_b d=$((rb1 - rb0)); fi
	segs=$(ta_ns_counter "$AG" "$ino" retransmit_segs)
	syn=$(ta_ns_counter "$AG" "$ino" synack_retransmits)
	tt_diag "netns $side ($ino): agent retransmit_segs=$segs synack_retransmits=$syn retransmits=$(ta_ns_counter "$AG" "$ino" retransmits); kernel RetransSegs delta=$d"
	tt_assert_eq $((segs + syn)) "$d" "netns $side: agent retransmit_segs + synack_retransmits == Tcp.RetransSegs delta"
done
tt_assert_eq "$(ta_ns_counter "$AG" "$ino_a" retransmit_segs)" "$dropped" \
	"agent retransmit_segs in a == the segments nftables dropped"

f=$(ta_findings "$AG" retransmit_storm | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final retransmit_storm finding"
tt_assert_true "jq -e --argjson p $cli 'any(.culprits[]?; .pid == \$p)' <<<\"\$f\" >/dev/null" \
	"retransmit_storm culprits include the client pid $cli"
tt_assert_true "jq -e --argjson p $cli --arg ip '$IP_B' '[.culprits[]? | select(.pid == \$p and (.raddr // \"\" | startswith(\$ip + \":\")))] | length > 0' <<<\"\$f\" >/dev/null" \
	"a culprit with the client pid has raddr $IP_B"
tt_assert_true "jq -e '(.evidence.retransmit_ratio | type) == \"number\" and .evidence.retransmit_ratio >= .evidence.threshold_ratio' <<<\"\$f\" >/dev/null" \
	"evidence.retransmit_ratio (retransmitted / segments sent) is a number at or over the threshold"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino_a" "retransmit_storm names namespace a"
tt_assert_eq "$(jq -r '.evidence.retransmit_segs // empty' <<<"$f")" "$dropped" \
	"evidence.retransmit_segs == the segments nftables dropped"
tt_assert_eq "$(jq -r '.evidence.kind // empty' <<<"$f")" fast "evidence.kind is fast (each loss repaired by fast retransmit, no timeout)"

tt_finish
