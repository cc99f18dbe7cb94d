#!/usr/bin/env bash
# Accept queue overflow: a server calls listen(fd, 1) and never accepts; 20
# clients connect at once.  Two connections fill the queue, every other SYN
# (and its retransmits) is refused: TcpExt.ListenOverflows and ListenDrops
# grow.  The agent runs from before the server starts until the counters
# settle, so its listen_overflows must equal the kernel's delta; it must
# name the server (pid, port), the backlog it asked for (1) and never
# suggest tcp_tw_recycle.  Besides those procfs counters (which the agent
# reads too), the truths: the client's own count (2 connected, 18 refused at
# least once each) and ss (the listener's accept queue, over netlink) against
# the agent's accept_queue evidence from its own socket walk.  First, a
# listen() that fails (EINVAL on a connected socket) must not make a
# listener in the agent's owners map (bpftool dump, while it lives).
# shellcheck disable=SC2119  # ta_stop takes no argument here
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss python3 bpftool jq
tt_init lstnovf
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single lo || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5613

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
# A listen() that fails (on a connected socket: EINVAL) must leave no
# listener in the agent's owners map while that socket lives: only sockets
# that turned LISTEN are listeners.
listening_owners() { # the agent's owners entries marked listening
	bpftool -j map dump id "$(ta_map_id owners)" | jq '[.[] | select(.formatted.value.listening == 1)] | length'
}
before=$(listening_owners)
# (its own listener, gone before the workload starts)
tt_bg -o "$TT_TMP/badlisten.out" ip netns exec "$NS" python3 -c '
import errno, socket, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(5)
c = socket.create_connection(l.getsockname())
try:
    c.listen(5)
    print("listened", flush=True)
except OSError as e:
    print("listen failed", errno.errorcode[e.errno], flush=True)
time.sleep(30)' >/dev/null
bad=$TT_BG_PID
tt_wait_for_line "$TT_TMP/badlisten.out" '^listen' 5 || tt_diag "the failing listen() did not report"
tt_sleep 1
after=$(listening_owners)
tt_diag "failing listen(): $(cat "$TT_TMP/badlisten.out"); owners marked listening: $before before, $after after"
tt_assert_true "grep -q '^listen failed EINVAL' '$TT_TMP/badlisten.out'" "listen() on a connected socket failed (EINVAL)"
tt_assert_eq "$after" $((before + 1)) "a failed listen() adds no listener to the owners map (the one that listened does)"
kill "$bad" 2>/dev/null
wait "$bad" 2>/dev/null

o0=$(tt_nstat "$NS" TcpExt.ListenOverflows)
d0=$(tt_nstat "$NS" TcpExt.ListenDrops)

ta_listen_workload "$NS" $PORT 20 10 14
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out"); server pid $srv"
# Settle: the client is gone; wait until the counter holds still for 1 s.
o1=$(tt_nstat "$NS" TcpExt.ListenOverflows)
for ((i = 0; i < 10; i++)); do
	tt_sleep 1
	o=$(tt_nstat "$NS" TcpExt.ListenOverflows)
	[[ $o == "$o1" ]] && break
	o1=$o
done
d1=$(tt_nstat "$NS" TcpExt.ListenDrops)
listener=$(ip netns exec "$NS" ss -Hltn "sport = :$PORT")
read -r _ ss_recvq ss_sendq _ <<<"$listener"
tt_diag "listener: $listener"

ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "kernel: ListenOverflows delta=$((o1 - o0)) ListenDrops delta=$((d1 - d0)) (netns $ino)"

connected=$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' "$TT_TMP/cli.out")
failed=$(sed -n 's/^connected=[0-9]* failed=\([0-9]*\) .*/\1/p' "$TT_TMP/cli.out")
tt_assert_eq "$connected $failed" "2 18" "client: 2 connections fit (backlog 1 holds 2), 18 refused"
tt_assert_eq "$ss_recvq" "$connected" "ss: the listener's accept queue holds the client's $connected connections"
tt_assert_ge $((o1 - o0)) 18 "the kernel counted >= 18 listen overflows"
f=$(ta_finding "$AG" listen_overflow)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final listen_overflow finding"
tt_assert_eq "$(jq -r '.evidence.listen_overflows // empty' <<<"$f")" $((o1 - o0)) \
	"evidence.listen_overflows == TcpExt.ListenOverflows delta"
tt_assert_eq "$(jq -r '.evidence.listen_drops // empty' <<<"$f")" $((d1 - d0)) \
	"evidence.listen_drops == TcpExt.ListenDrops delta"
tt_assert_ge "$(jq -r '.evidence.listen_overflows // empty' <<<"$f")" "$failed" \
	"evidence.listen_overflows >= the client's refused connects (each SYN of them was one)"
tt_assert_eq "$(jq -r '.evidence.backlog_asked // empty' <<<"$f")" 1 "evidence.backlog_asked == 1"
tt_assert_eq "$(jq -r '.evidence.accept_queue // empty' <<<"$f")" "$ss_recvq" "evidence.accept_queue == the listener's Recv-Q in ss"
tt_assert_eq "$(jq -r '.evidence.accept_queue_max // empty' <<<"$f")" "$ss_sendq" "evidence.accept_queue_max == the listener's Send-Q in ss (its backlog)"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino" "evidence.netns is the test's namespace"
tt_assert_eq "$(ta_finding "$AG" ephemeral_ports_exhausted)" "" \
	"no ephemeral_ports_exhausted: the $failed connects that gave up had their local ports"
tt_assert_true "jq -e '(.evidence.overflow_ratio | type) == \"number\" and .evidence.overflow_ratio >= .evidence.threshold_ratio' <<<\"\$f\" >/dev/null" \
	"evidence.overflow_ratio (overflows / connection attempts) is a number at or over the threshold"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$srv" "first culprit is the server (pid $srv)"
tt_assert_true "jq -e --arg p ':$PORT' '.culprits[0].laddr // \"\" | endswith(\$p)' <<<\"\$f\" >/dev/null" \
	"first culprit's laddr ends with :$PORT"
tt_assert_true "! jq -e --argjson p $cli 'any(.culprits[]?; .pid == \$p)' <<<\"\$f\" >/dev/null" \
	"the client (pid $cli) is not a culprit"
tt_assert_eq "$(ta_advice_mentions "$AG" tw_recycle)" 0 "no advice mentions tcp_tw_recycle (why included)"

# ------------------------------------------- (b) a listener older than the agent
# Launched during an incident, the agent finds the server listening already
# and sees no listen(): the start-up seed names it, with its backlog.
tt_netns_single lob || tt_bail "(b) create namespace"
NS_B=$TT_NS
tt_bg -o "$TT_TMP/srv-b.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --backlog 1 --no-accept --seconds 40 >/dev/null
srv_b=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv-b.out" '^ready$' 5 || tt_bail "(b) tcp-server ready"
AG_B=$TT_TMP/agent-b.json
ta_start "$AG_B" || tt_bail "(b) agent start"
tt_bg -o "$TT_TMP/cli-b.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns 20 --parallel --hold 1 --seconds 10 >/dev/null
tt_wait_for_line "$TT_TMP/cli-b.out" '^connected=' 14 || tt_diag "(b) client did not finish"
tt_sleep 1
ta_stop || tt_bail "(b) agent end line"
f=$(ta_finding "$AG_B" listen_overflow)
tt_diag "(b) client: $(tail -n 1 "$TT_TMP/cli-b.out"); finding: ${f:0:300}"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"${f:-null}")" "$srv_b" \
	"(b) a listener older than the agent: first culprit is its server (pid $srv_b)"
tt_assert_eq "$(jq -r '.evidence.backlog_asked // empty' <<<"${f:-null}")" 1 \
	"(b) evidence.backlog_asked == 1, read from the listening socket at start-up"
tt_assert_true "jq -e 'any(.advice[]?; (.sysctl // null) == null and .current == \"1\")' <<<\"\${f:-null}\" >/dev/null" \
	"(b) the advice asks the application for a larger listen() backlog than its 1, not somaxconn"

# ------------------------------------------- (c) two listeners, one overflowing
# A namespace with more than one listener (a host runs sshd beside its
# service): the one to name is the one that dropped, not the one that asked
# listen() for least.  A quiet server (backlog 1, accepting) and a busy one
# (backlog 4, never accepting) share a namespace; clients hit the busy one.
# Truth: the kernel's ListenDrops delta, and ss's per-listener drop count
# (skmem d: each listener counts its own).
tt_netns_single loc || tt_bail "(c) create namespace"
NS_C=$TT_NS
BUSY=$((PORT + 1)) QUIET=$((PORT + 2))
tt_bg -o "$TT_TMP/quiet-c.out" ip netns exec "$NS_C" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $QUIET --backlog 1 --seconds 40 >/dev/null
quiet_c=$TT_BG_PID
tt_wait_for_line "$TT_TMP/quiet-c.out" '^ready$' 5 || tt_bail "(c) quiet tcp-server ready"
AG_C=$TT_TMP/agent-c.json
ta_start "$AG_C" || tt_bail "(c) agent start"
tt_bg -o "$TT_TMP/busy-c.out" ip netns exec "$NS_C" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $BUSY --backlog 4 --no-accept --seconds 40 >/dev/null
busy_c=$TT_BG_PID
tt_wait_for_line "$TT_TMP/busy-c.out" '^ready$' 5 || tt_bail "(c) busy tcp-server ready"
d0=$(tt_nstat "$NS_C" TcpExt.ListenDrops)
tt_bg -o "$TT_TMP/cli-c.out" ip netns exec "$NS_C" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $BUSY --conns 30 --parallel --hold 1 --seconds 10 >/dev/null
tt_wait_for_line "$TT_TMP/cli-c.out" '^connected=' 14 || tt_diag "(c) client did not finish"
ta_wait_ticks "$AG_C" 2 || tt_diag "(c) agent did not tick"
d1=$(tt_nstat "$NS_C" TcpExt.ListenDrops)
ss_drops() { ip netns exec "$NS_C" ss -Hltnm "sport = :$1" | sed -n 's/.*,d\([0-9]*\)).*/\1/p'; }
busy_d=$(ss_drops $BUSY) quiet_d=$(ss_drops $QUIET)
ta_stop || tt_bail "(c) agent end line"
f=$(ta_finding "$AG_C" listen_overflow)
tt_diag "(c) client: $(tail -n 1 "$TT_TMP/cli-c.out"); ListenDrops +$((d1 - d0)); ss drops: busy $busy_d, quiet $quiet_d"
tt_diag "(c) finding: $(jq -c '{culprits: [.culprits[] | {pid, laddr, why}], evidence: (.evidence | {port, backlog_asked, listener_drops, listen_drops})}' <<<"${f:-null}")"
tt_assert_ge $((d1 - d0)) 10 "(c) the busy listener's namespace counted >= 10 listen drops"
tt_assert_eq "$busy_d" $((d1 - d0)) "(c) ss: the busy listener's own drops are the namespace's ListenDrops delta"
tt_assert_eq "${quiet_d:-x}" 0 "(c) ss: the quiet listener dropped nothing"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"${f:-null}")" "$busy_c" \
	"(c) first culprit is the busy server (pid $busy_c), not the quiet one with the smaller backlog"
tt_assert_eq "$(jq -r '.evidence.port // empty' <<<"${f:-null}")" $BUSY "(c) evidence.port is the busy listener's"
tt_assert_eq "$(jq -r '.evidence.backlog_asked // empty' <<<"${f:-null}")" 4 "(c) evidence.backlog_asked is the busy listener's 4"
tt_assert_eq "$(jq -r '.evidence.listener_drops // empty' <<<"${f:-null}")" "$busy_d" \
	"(c) evidence.listener_drops == the busy listener's drops in ss"
tt_assert_true "! jq -e --argjson p $quiet_c 'any(.culprits[]?; .pid == \$p)' <<<\"\${f:-null}\" >/dev/null" \
	"(c) the quiet server (pid $quiet_c) is not a culprit"
# (a)'s and (b)'s servers still hold full queues, in their own namespaces
tt_assert_true "jq -e --argjson ns $(tt_netns_inode "$NS_C") '.culprits | length > 0 and all(.netns == \$ns)' <<<\"\${f:-null}\" >/dev/null" \
	"(c) every culprit is in the finding's namespace (full listeners elsewhere are not this overflow's)"

# ------------------------------------------- (d) listen() called again
# A server that listens with 64, then calls listen(fd, 2): no state changes,
# the queue's bound is now 2; the finding must say 2, as ss does.
tt_netns_single lod || tt_bail "(d) create namespace"
NS_D=$TT_NS
AG_D=$TT_TMP/agent-d.json
ta_start "$AG_D" || tt_bail "(d) agent start"
tt_bg -o "$TT_TMP/relisten.out" ip netns exec "$NS_D" python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", '"$PORT"'))
s.listen(64)
s.listen(2)
print("ready", flush=True)
time.sleep(30)' >/dev/null
relisten=$TT_BG_PID
tt_wait_for_line "$TT_TMP/relisten.out" '^ready$' 5 || tt_bail "(d) relistening server ready"
tt_bg -o "$TT_TMP/cli-d.out" ip netns exec "$NS_D" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns 20 --parallel --hold 1 --seconds 10 >/dev/null
tt_wait_for_line "$TT_TMP/cli-d.out" '^connected=' 14 || tt_diag "(d) client did not finish"
ta_wait_ticks "$AG_D" 2 || tt_diag "(d) agent did not tick"
ss_backlog=$(ip netns exec "$NS_D" ss -Hltn "sport = :$PORT" | awk '{ print $3 }')
ta_stop || tt_bail "(d) agent end line"
f=$(ta_finding "$AG_D" listen_overflow)
tt_diag "(d) client: $(tail -n 1 "$TT_TMP/cli-d.out"); ss Send-Q $ss_backlog; finding: $(jq -c '{culprits: [.culprits[] | {pid, laddr}], evidence: (.evidence | {backlog_asked, listener_drops})}' <<<"${f:-null}")"
tt_assert_eq "$ss_backlog" 2 "(d) ss: the listener's backlog is the second listen()'s 2"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"${f:-null}")" "$relisten" "(d) first culprit is the server (pid $relisten)"
tt_assert_eq "$(jq -r '.evidence.backlog_asked // empty' <<<"${f:-null}")" 2 \
	"(d) evidence.backlog_asked is the backlog now (2), not the first listen()'s 64"

tt_finish
