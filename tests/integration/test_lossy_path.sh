#!/usr/bin/env bash
# A lossy path: nftables in b drops a random share of a's data segments
# (numgen random, the recipe of test_retransmits.sh) while a sends 20 MB to b.
# At 1% and at 5% loss retransmit_storm must fire for namespace a, naming the
# client, with the retransmit ratio and its kind in the evidence.  veth hands
# whole GSO super-packets to the firewall; gso_max_segs 1 on a's side makes
# every packet one MSS segment, so the loss rate is per segment as on a wire.
# TT_LOSS_PERMILLE="2 5 10 20 50" runs more levels (those under 1% are only
# reported: where the line lies is the rules' business, see rules.h).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk nft setsid
tt_init lossy
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_pair || tt_bail "create namespace pair"
ino_a=$(tt_netns_inode "$NS_A")
PORT=5701 CONNS=4 BYTES=5000000
ip -n "$NS_A" link set "$IF_A" gso_max_segs 1 || tt_bail "gso_max_segs 1 on $IF_A"

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server \
	--bind "$IP_B" --port $PORT --seconds 120 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

lose() { # PERMILLE : replace the loss rule in b (0: no loss)
	ip netns exec "$NS_B" nft delete table inet tt_loss 2>/dev/null
	(($1 == 0)) && return 0
	ip netns exec "$NS_B" nft -f - <<EOF
table inet tt_loss {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $IP_A tcp flags & (syn | fin | rst) == 0 ip length > 100 numgen random mod 1000 < $1 counter drop
	}
}
EOF
}

run_level() { # PERMILLE : one agent run over one transfer at that loss
	local pm=$1 ag=$TT_TMP/agent-$1.json r0 r1 o0 o1 f cli
	lose "$pm" || { tt_diag "nft rules for $pm permille"; return 1; }
	ta_start "$ag" || return 1
	r0=$(tt_nstat "$NS_A" Tcp.RetransSegs) o0=$(tt_nstat "$NS_A" Tcp.OutSegs)
	tt_bg -o "$TT_TMP/cli-$pm.out" ip netns exec "$NS_A" "$TT_TTLOAD" tcp-client --host "$IP_B" \
		--port $PORT --conns $CONNS --bytes $BYTES --close --seconds 25 >/dev/null
	cli=$TT_BG_PID
	tt_wait_for_line "$TT_TMP/cli-$pm.out" '^connected=' 28 || tt_diag "client did not finish"
	lose 0
	tt_sleep 1.5 # two ticks: the last retransmits reach the rules
	r1=$(tt_nstat "$NS_A" Tcp.RetransSegs) o1=$(tt_nstat "$NS_A" Tcp.OutSegs)
	ta_stop || return 1
	f=$(ta_findings "$ag" retransmit_storm | jq -c --argjson ns "$ino_a" 'select(.evidence.netns == $ns)' | tail -n 1)
	LEVEL_FIRED=$([[ -n $f ]] && echo yes || echo no)
	# One finding per cause: a worse namespace of another test on this host takes it.
	LEVEL_OTHER=$(ta_findings "$ag" retransmit_storm | jq -r --argjson ns "$ino_a" 'select(.evidence.netns != $ns) | "\(.evidence.netns) at \(.evidence.retransmit_ratio)"' | tail -n 1)
	[[ -n $f ]] || tt_diag "loss $pm permille: agent retransmit_segs in a=$(ta_ns_counter "$ag" "$ino_a" retransmit_segs); retransmit_storm lines: $(jq -c 'select(.type == "finding" and .cause == "retransmit_storm") | {state, netns: .evidence.netns, summary}' "$ag" | head -c 800)"
	LEVEL_FINDING=$f LEVEL_CLIENT=$cli
	tt_diag "loss $pm permille: kernel RetransSegs=$((r1 - r0)) OutSegs=$((o1 - o0)) ratio=$(awk -v r=$((r1 - r0)) -v o=$((o1 - o0)) 'BEGIN { printf "%.4f", (o > 0 ? r / o : 0) }'); retransmit_storm fired: $LEVEL_FIRED${f:+ ($(jq -c '.evidence | {retransmit_ratio, judged_ratio, kind, fast_retransmits, timeout_retransmits}' <<<"$f"))}"
}

for pm in ${TT_LOSS_PERMILLE:-10 50}; do
	run_level "$pm" || tt_bail "run at $pm permille"
	((pm < 10)) && continue
	if [[ $LEVEL_FIRED == no && -n $LEVEL_OTHER ]]; then
		tt_skip "loss $pm permille: the finding went to a worse namespace of another test ($LEVEL_OTHER)"
		continue
	fi
	tt_assert_eq "$LEVEL_FIRED" yes "loss $pm permille: retransmit_storm fires for namespace a"
	[[ $LEVEL_FIRED == yes ]] || continue
	f=$LEVEL_FINDING
	tt_assert_true "jq -e '(.evidence.retransmit_ratio | type) == \"number\" and .evidence.retransmit_ratio >= 0.005' <<<'$f' >/dev/null" \
		"loss $pm permille: evidence.retransmit_ratio is a number >= 0.005"
	tt_assert_true "jq -e '.evidence.kind == \"fast\" or .evidence.kind == \"timeout\"' <<<'$f' >/dev/null" \
		"loss $pm permille: evidence.kind says fast or timeout"
	tt_assert_true "jq -e '.summary | test(\"of the [0-9]+ segments sent\")' <<<'$f' >/dev/null" \
		"loss $pm permille: the summary says what the rate is measured against"
	tt_assert_true "jq -e --argjson p $LEVEL_CLIENT --arg ip '$IP_B' 'any(.culprits[]?; .pid == \$p and (.raddr // \"\" | startswith(\$ip + \":\")))' <<<'$f' >/dev/null" \
		"loss $pm permille: a culprit is the client (pid $LEVEL_CLIENT) towards $IP_B"
done

tt_finish
