#!/usr/bin/env bash
# Connectors' slots (bpf/common.bpf.h connectors) when sockets collide.  The
# table shrunk to 2 slots (TCPTRIAGE_TEST_MAP_ENTRIES=connectors:2, test-only),
# two clients each hold 40 connections open at once, so most connects find
# their slot held by a live connection and keep their owner the other way
# (socket storage, or `owners`); then each closes its connections with
# SO_LINGER 0, a reset from each socket.  reset_storm must charge each client
# exactly its own 40 resets and none to an unknown owner, and the agent's
# resets must be the kernel's (Tcp.OutRsts).  If a connect took a slot a live
# connection held, that connection's reset would go to no one.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip jq
tt_init connslots
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single slots || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5501
CONNS=40

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
AG=$TT_TMP/agent.json
TCPTRIAGE_TEST_MAP_ENTRIES=connectors:2 ta_start "$AG" || tt_bail "agent start"
o0=$(tt_nstat "$NS" Tcp.OutRsts)
pids=()
for c in a b; do
	tt_bg -o "$TT_TMP/cli-$c.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
		--port $PORT --conns $CONNS --bytes 1 --hold 1 --linger0 --close --seconds 15 >/dev/null
	pids+=("$TT_BG_PID")
done
for c in a b; do
	tt_wait_for_line "$TT_TMP/cli-$c.out" '^connected=' 20 || tt_diag "client $c did not finish"
	tt_diag "client $c: $(grep '^holding' "$TT_TMP/cli-$c.out") $(tail -n 1 "$TT_TMP/cli-$c.out")"
done
tt_sleep 0.5
o1=$(tt_nstat "$NS" Tcp.OutRsts)
ta_stop || tt_bail "agent end line"
ta_show "$AG"

tt_assert_eq "$(cat "$TT_TMP"/cli-?.out | grep -c "^holding connected=$CONNS\$")" 2 \
	"both clients held $CONNS connections at once"
tt_assert_eq "$(ta_ns_counter "$AG" "$ino" resets_sent)" $((o1 - o0)) \
	"agent resets_sent in netns == Tcp.OutRsts delta"
f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final reset_storm finding"
sent_by() { # PID -> resets_sent charged to PID in the finding (0 when not named)
	jq -r --argjson p "$1" '[.culprits[] | select(.pid == $p and .count_of == "resets_sent")
		| .count] | add // 0' <<<"$f"
}
for i in 0 1; do
	tt_assert_eq "$(sent_by "${pids[i]}")" $CONNS "client $i (pid ${pids[i]}) is charged its $CONNS resets"
done
tt_assert_eq "$(sent_by 0)" 0 "no reset is charged to an unknown owner"

tt_finish
