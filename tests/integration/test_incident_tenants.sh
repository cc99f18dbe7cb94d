#!/usr/bin/env bash
# One incident, not a list of symptoms (issue 11), the seed's outage with two
# tenants: tenant A (its own namespace) holds TCP memory with a receiver that
# never reads; tenant B does ordinary transfers in another namespace.  With
# tcp_mem below the usage for ~3 s the kernel refuses B's receiver memory and
# B's senders retransmit.  The agent must make that one incident: the memory
# finding is the root, holder A its first culprit in A's namespace, tenant B a
# victim; B's symptoms (socket_buffer_limit; retransmit_storm when the kernel
# dropped enough to make one) carry caused_by = the root's id with the
# evidence sentence, and nothing sends anyone to check the network.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid flock
tt_init tenants
ta_require
tt_ttload || tt_bail "build ttload"

tt_netns_single a || tt_bail "namespace a"
NS_A=$TT_NS
tt_netns_single b || tt_bail "namespace b"
NS_B=$TT_NS
ino_a=$(tt_netns_inode "$NS_A") ino_b=$(tt_netns_inode "$NS_B")
OLD_MEM=$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)

# tenant A: the holder
tt_bg -o "$TT_TMP/a-srv.out" ip netns exec "$NS_A" "$TT_TTLOAD" tcp-server --bind 127.0.0.1 \
	--port 5801 --no-read --rcvbuf 4194304 --seconds 60 >/dev/null
holder=$TT_BG_PID
tt_wait_for_line "$TT_TMP/a-srv.out" '^ready$' 5 || tt_bail "tenant A server"
# tenant B: an ordinary service that reads everything
tt_bg -o "$TT_TMP/b-srv.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server --bind 127.0.0.1 \
	--port 5802 --seconds 60 >/dev/null
victim_srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/b-srv.out" '^ready$' 5 || tt_bail "tenant B server"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
tt_bg -o "$TT_TMP/a-cli.out" ip netns exec "$NS_A" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port 5801 --conns 10 --bytes 8000000 --hold 60 --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/a-cli.out" '^holding ' 20 || tt_bail "tenant A did not fill its receiver"
ta_wait_ticks "$AG" 2 || tt_bail "agent ticks"
tt_diag "tenant A holds: $(grep '^TCP:' /proc/net/sockstat)"

# B starts its transfers while tcp_mem is below what A holds
r0=$(tt_nstat "$NS_B" Tcp.RetransSegs)
n0=$(ta_stats_lines "$AG")
U=$(tt_sockstat_tcp mem)
LIMIT="$((U / 2)) $U $((U + U / 10))" # at the usage: A already holds all but 10%
tt_sysctl_global_set net.ipv4.tcp_mem "$LIMIT" || tt_bail "set tcp_mem"
tt_bg -o "$TT_TMP/b-cli.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port 5802 --conns 20 --bytes 2000000 --seconds 40 >/dev/null
victim=$TT_BG_PID
for ((i = 0; i < 30; i++)); do
	tt_sleep 0.1
	(($(ta_stats_lines "$AG") >= n0 + 2)) && (($(tt_nstat "$NS_B" Tcp.RetransSegs) > r0 + 50)) && break
done
_tt_sysctl_write net.ipv4.tcp_mem "$OLD_MEM"
r1=$(tt_nstat "$NS_B" Tcp.RetransSegs)
tt_assert_eq "$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)" "$OLD_MEM" "tcp_mem restored"
tt_diag "tenant B retransmitted $((r1 - r0)) segments while tcp_mem was $LIMIT (victim pid $victim, holder pid $holder)"
tt_wait_for_line "$TT_TMP/b-cli.out" '^connected=' 40 || tt_diag "tenant B did not finish"
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick"
ta_stop || tt_bail "agent end line"
ta_show "$AG"

root=$(jq -c 'select(.type == "finding" and .final == true and (.cause | test("^tcp_mem_(exhausted|pressure)$")))' "$AG" | head -n 1)
tt_assert_true '[[ -n $root ]]' "a TCP memory finding (the root)"
rid=$(jq -r '.id // empty' <<<"$root")
tt_diag "root $rid: victims $(jq -c '[.victims[]? | {pid, netns, impact, count}]' <<<"$root"); consequences $(jq -c .consequences <<<"$root")"

# Every symptom of the window defers to the root, through its evidence.
for cause in socket_buffer_limit retransmit_storm; do
	sym=$(ta_finding "$AG" "$cause")
	if [[ -z $sym ]]; then
		[[ $cause == retransmit_storm ]] &&
			tt_skip "retransmit_storm: tenant B retransmitted only $((r1 - r0)) segments (the kernel trimmed rather than dropped)"
		[[ $cause == socket_buffer_limit ]] && tt_assert_true false "tenant B was refused memory (socket_buffer_limit)"
		continue
	fi
	ta_assert_linked "$sym" "$root" "refused TCP memory"
	tt_assert_true 'jq -e "[.advice[]?.action] | any(test(\"network|path|raise\")) | not" <<<"$sym" >/dev/null' \
		"$cause: no advice of its own (no network check, no limit raise)"
done
tt_assert_true 'jq -e --argjson p "$victim" --argjson s "$victim_srv" "any(.victims[]; .pid == \$p or .pid == \$s)" <<<"$root" >/dev/null' \
	"tenant B (pid $victim or $victim_srv) is a victim of the root"
tt_assert_eq "$(jq -r --argjson ns "$ino_a" '[.culprits[] | select(.netns == $ns)][0].pid // empty' <<<"$root")" "$holder" \
	"the root's first culprit in A's namespace is the holder (pid $holder)"
tt_assert_eq "$(jq -r --argjson ns "$ino_b" '[.culprits[] | select(.netns == $ns)] | length' <<<"$root")" 0 \
	"no culprit of the root is in tenant B's namespace (B suffered it, it did not cause it)"
tt_finish
