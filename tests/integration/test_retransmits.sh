#!/usr/bin/env bash
# Retransmits: ~10% of a's data segments are dropped by nftables in b; the
# agent's retransmit_segs + synack_retransmits per namespace must equal the
# kernel's Tcp.RetransSegs delta, and retransmit_storm must name the client.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk nft setsid
tt_init retrans
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_pair || tt_bail "create namespace pair"
ino_a=$(tt_netns_inode "$NS_A")
ino_b=$(tt_netns_inode "$NS_B")
PORT=5201 CONNS=4 BYTES=2000000

# Drop ~10% of a's payload-carrying segments (no SYN/FIN/RST: handshakes and
# teardown stay clean).  The table lives in b and dies with it.
ip netns exec "$NS_B" nft -f - <<EOF || tt_bail "nft rules"
table inet tt_loss {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $IP_A tcp flags & (syn | fin | rst) == 0 ip length > 100 numgen random mod 100 < 10 counter drop comment "ttloss"
	}
}
EOF

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server \
	--bind "$IP_B" --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"

ra0=$(tt_nstat "$NS_A" Tcp.RetransSegs)
rb0=$(tt_nstat "$NS_B" Tcp.RetransSegs)

tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS_A" "$TT_TTLOAD" tcp-client --host "$IP_B" \
	--port $PORT --conns $CONNS --bytes $BYTES --close --seconds 50 >/dev/null
cli=$TT_BG_PID
# 10% loss means RTO backoffs: most runs finish in ~5 s, an unlucky one took over 25 s
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 53 || tt_diag "client did not finish"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out")"
tt_assert_eq "$(sed -n 's/^connected=.* bytes=\([0-9]*\)$/\1/p' "$TT_TMP/cli.out")" \
	$((CONNS * BYTES)) "client sent every byte"
tt_diag "nft: $(ip netns exec "$NS_B" nft list chain inet tt_loss input | grep -o 'counter packets [0-9]* bytes [0-9]*')"

# Stop the loss, let everything settle, then read the kernel's counters.
handle=$(ip netns exec "$NS_B" nft -a list chain inet tt_loss input | sed -n 's/.*"ttloss" # handle \([0-9]*\)$/\1/p')
ip netns exec "$NS_B" nft delete rule inet tt_loss input handle "$handle" || tt_diag "nft delete rule failed"
tt_sleep 2
ra1=$(tt_nstat "$NS_A" Tcp.RetransSegs)
rb1=$(tt_nstat "$NS_B" Tcp.RetransSegs)
ta_stop || tt_bail "agent end line"
ta_show "$AG"

for side in a b; do
	if [[ $side == a ]]; then ino=$ino_a d=$((ra1 - ra0)); else ino=$ino_b d=$((rb1 - rb0)); fi
	segs=$(ta_ns_counter "$AG" "$ino" retransmit_segs)
	syn=$(ta_ns_counter "$AG" "$ino" synack_retransmits)
	tt_diag "netns $side ($ino): agent retransmit_segs=$segs synack_retransmits=$syn retransmits=$(ta_ns_counter "$AG" "$ino" retransmits); kernel RetransSegs delta=$d"
	tt_assert_eq $((segs + syn)) "$d" "netns $side: agent retransmit_segs + synack_retransmits == Tcp.RetransSegs delta"
done
tt_assert_ge $((ra1 - ra0)) 1 "the loss made a retransmit (RetransSegs in a grew)"
tt_assert_ge "$(ta_ns_counter "$AG" "$ino_a" retransmit_segs)" 1 "agent saw retransmits in a"

f=$(ta_findings "$AG" retransmit_storm | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final retransmit_storm finding"
tt_assert_true "jq -e --argjson p $cli 'any(.culprits[]?; .pid == \$p)' <<<\"\$f\" >/dev/null" \
	"retransmit_storm culprits include the client pid $cli"
tt_assert_true "jq -e --argjson p $cli --arg ip '$IP_B' '[.culprits[]? | select(.pid == \$p and (.raddr // \"\" | startswith(\$ip + \":\")))] | length > 0' <<<\"\$f\" >/dev/null" \
	"a culprit with the client pid has raddr $IP_B"
tt_assert_true "jq -e '(.evidence.retransmit_ratio | type) == \"number\" and .evidence.retransmit_ratio >= .evidence.threshold_ratio' <<<\"\$f\" >/dev/null" \
	"evidence.retransmit_ratio (retransmitted / segments sent) is a number at or over the threshold"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino_a" "retransmit_storm names namespace a"

tt_finish
