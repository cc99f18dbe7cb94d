#!/usr/bin/env bash
# Resets, in one namespace over loopback:
#  (a) connects to a closed port: the kernel answers each SYN with a RST that
#      has no socket; resets_sent == Tcp.OutRsts, resets_received ==
#      Tcp.AttemptFails (each refused connect fails in SYN_SENT), and the
#      peer (port 9) is charged every reset received.
#  (b) a client that closes 80 connections with SO_LINGER 0: resets from the
#      client's own sockets; reset_storm must name the client first.
#  (c) a server started after the agent that closes what it accepts before
#      reading the byte each client sent: resets from accepted sockets, which
#      no hook saw being accepted; reset_storm must name the server first (an
#      accepted socket's owner is its listener's).
#  (d) 60 SO_LINGER 0 closes in a burst 14 s into a quiet run: under the 5/s
#      floor on average (60 over ~15 s), far over it in their stretch;
#      reset_storm must fire and give the burst's rate.
#  (e) as (c), then that server exits and another process listens on the same
#      port in one agent run: the resets from each one's accepted sockets are
#      charged to it (each CPU notes a listening port's owner: a listen or a
#      listener's close must void the notes).
# Each phase has its own agent run, so each run's totals are that phase's.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init resets
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single rst || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")

serve() { # PHASE PORT SECONDS [ARGS...] : a tcp-server on 127.0.0.1 in $NS, ready; TT_BG_PID
	local phase=$1 port=$2 seconds=$3
	shift 3
	tt_bg -o "$TT_TMP/srv-$phase.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
		--bind 127.0.0.1 --port "$port" --seconds "$seconds" "$@" >/dev/null
	tt_wait_for_line "$TT_TMP/srv-$phase.out" '^ready$' 5 || tt_bail "tcp-server ready ($phase)"
}

# ------------------------------------------------------- (a) closed port
AG=$TT_TMP/agent-a.json
ta_start "$AG" || tt_bail "agent start (a)"
o0=$(tt_nstat "$NS" Tcp.OutRsts)
f0=$(tt_nstat "$NS" Tcp.AttemptFails)
out=$(ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port 9 --conns 60 \
	--seconds 15 2>&1)
tt_diag "client: $(tail -n 1 <<<"$out")"
tt_sleep 0.5
o1=$(tt_nstat "$NS" Tcp.OutRsts)
f1=$(tt_nstat "$NS" Tcp.AttemptFails)
ta_stop || tt_bail "agent end line (a)"
ta_show "$AG"
sent=$(ta_ns_counter "$AG" "$ino" resets_sent)
recv=$(ta_ns_counter "$AG" "$ino" resets_received)
tt_diag "(a) kernel OutRsts delta=$((o1 - o0)) AttemptFails delta=$((f1 - f0)); agent resets_sent=$sent resets_received=$recv no_socket=$(ta_reset_reason "$AG" no_socket)"
tt_assert_eq "$(sed -n 's/^connected=\([0-9]*\) failed=\([0-9]*\) .*/\1 \2/p' <<<"$out")" "0 60" "(a) all 60 connects were refused"
if ta_kernel_lacks "$AG" resets_without_socket; then
	tt_skip "(a) resets sent to refused connects: tcp_send_reset has no socket-less event before Linux 6.9"
else
	tt_assert_eq "$sent" $((o1 - o0)) "(a) agent resets_sent in netns == Tcp.OutRsts delta"
fi
if ta_kernel_lacks "$AG" reset_reasons; then
	tt_skip "(a) resets_sent_by_reason.no_socket: tcp_send_reset has no reason before Linux 6.10"
else
	tt_assert_ge "$(ta_reset_reason "$AG" no_socket)" 60 "(a) resets_sent_by_reason.no_socket >= 60"
fi
tt_assert_eq "$recv" $((f1 - f0)) "(a) agent resets_received in netns == Tcp.AttemptFails delta"
tt_assert_ge "$recv" 60 "(a) agent saw >= 60 resets received"
# Resets by peer come from the flows map, behind a per-CPU cache of the last
# flow that each tick flushes (bpf/resets.bpf.c): the peer is charged each one.
f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_assert_eq "$(jq -r '[.culprits[]? | select(.raddr == "127.0.0.1:9") | .resets] | add // 0' <<<"$f")" \
	"$recv" "(a) reset_storm's peer 127.0.0.1:9 is charged every reset received"

# ------------------------------------------------- (b) SO_LINGER 0 closes
PORT=5401
serve b $PORT 60
AG=$TT_TMP/agent-b.json
ta_start "$AG" || tt_bail "agent start (b)"
o0=$(tt_nstat "$NS" Tcp.OutRsts)
a0=$(tt_nstat "$NS" TcpExt.TCPAbortOnData)
tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns 80 --bytes 1 --linger0 --close --seconds 15 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 18 || tt_diag "client did not finish"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out")"
tt_sleep 0.5
o1=$(tt_nstat "$NS" Tcp.OutRsts)
a1=$(tt_nstat "$NS" TcpExt.TCPAbortOnData)
ta_stop || tt_bail "agent end line (b)"
ta_show "$AG"
sent=$(ta_ns_counter "$AG" "$ino" resets_sent)
tt_diag "(b) kernel OutRsts delta=$((o1 - o0)) TCPAbortOnData delta=$((a1 - a0)); agent resets_sent=$sent by reason $(ta_end "$AG" | jq -c .resets_sent_by_reason)"
tt_assert_eq "$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' "$TT_TMP/cli.out")" 80 "(b) client connected 80 times"
tt_assert_eq "$sent" $((o1 - o0)) "(b) agent resets_sent in netns == Tcp.OutRsts delta (whole run)"
# close() with SO_LINGER 0 goes through tcp_disconnect(), which sends its RST
# with SK_RST_REASON_TCP_STATE (and counts TcpExt.TCPAbortOnData) on 6.18;
# TCP_ABORT_ON_LINGER is the tcp_linger2 < 0 path, not this one.
if ta_kernel_lacks "$AG" reset_reasons; then
	tt_skip "(b) resets_sent_by_reason.tcp_state: tcp_send_reset has no reason before Linux 6.10"
else
	tt_assert_eq "$(ta_reset_reason "$AG" tcp_state)" $((a1 - a0)) "(b) resets_sent_by_reason.tcp_state == TcpExt.TCPAbortOnData delta"
fi
tt_assert_ge "$((a1 - a0))" 80 "(b) TCPAbortOnData grew by >= 80"
f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "(b) a final reset_storm finding"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$cli" "(b) reset_storm's first culprit is the client (pid $cli)"
tt_assert_true "jq -e '(.evidence.reset_ratio | type) == \"number\" and .evidence.reset_ratio >= .evidence.threshold_ratio' <<<\"\$f\" >/dev/null" \
	"(b) evidence.reset_ratio (resets / connections opened and accepted) is a number at or over the threshold"

# ------------------------------------------- (c) the server resets what it accepted
AG=$TT_TMP/agent-c.json
ta_start "$AG" || tt_bail "agent start (c)"
PORT=5402
serve c $PORT 30 --close-after-accept
srv=$TT_BG_PID
o0=$(tt_nstat "$NS" Tcp.OutRsts)
out=$(ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $PORT --conns 80 \
	--bytes 1 --hold 1 --seconds 15 2>&1)
tt_sleep 0.5
o1=$(tt_nstat "$NS" Tcp.OutRsts)
ta_stop || tt_bail "agent end line (c)"
ta_show "$AG"
tt_diag "(c) server pid $srv; client: $(tail -n 1 <<<"$out"); kernel OutRsts delta=$((o1 - o0))"
tt_assert_ge $((o1 - o0)) 40 "(c) the server's closes sent >= 40 resets (Tcp.OutRsts)"
f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "(c) a final reset_storm finding"
if ta_kernel_lacks "$AG" resets_without_socket; then
	tt_skip "(c) the server's resets: tcp_send_reset fires for resets answering a segment only since Linux 6.9"
else
	tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$srv" \
		"(c) reset_storm's first culprit is the server (pid $srv), owner of the sockets it accepted"
fi

# ---------------------------------------------- (d) a burst late in a quiet run
PORT=5403
serve d $PORT 40
AG=$TT_TMP/agent-d.json
ta_start "$AG" || tt_bail "agent start (d)"
o0=$(tt_nstat "$NS" Tcp.OutRsts)
tt_sleep 14
out=$(ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $PORT --conns 60 \
	--bytes 1 --linger0 --close --seconds 15 2>&1)
tt_sleep 1.5
o1=$(tt_nstat "$NS" Tcp.OutRsts)
ta_stop || tt_bail "agent end line (d)"
ta_show "$AG"
f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_diag "(d) client: $(tail -n 1 <<<"$out"); kernel OutRsts delta=$((o1 - o0)); evidence: $(jq -c '.evidence | {resets_sent, resets_sent_per_s, resets_sent_peak_per_s}' <<<"${f:-null}" 2>/dev/null)"
tt_assert_true "[[ -n '${f:0:1}' ]]" "(d) a burst of resets late in a quiet run is a reset_storm"
tt_assert_eq "$(jq -r '.evidence.resets_sent // empty' <<<"${f:-null}")" $((o1 - o0)) \
	"(d) its resets_sent == Tcp.OutRsts delta"
# the floor is 5/s (RESET_MIN_RATE); a slow guest spreads the burst over two stretches (30/s each)
tt_assert_true "jq -e '.evidence.resets_sent_per_s < 5 and .evidence.resets_sent_peak_per_s >= 10' <<<'${f:-null}' >/dev/null" \
	"(d) the average over the run is under the 5/s floor, the burst's stretch at 10/s or more"

# ------------------------------------ (e) another process takes the port over
resets_of() { # FINDING PID -> resets the finding charges to PID as a process (not a peer)
	jq -r --argjson p "$2" '[.culprits[]? | select(.pid == $p and (.raddr // "") == "") |
		.count] | add // 0' <<<"${1:-null}"
}
PORT=5404
AG=$TT_TMP/agent-e.json
ta_start "$AG" || tt_bail "agent start (e)"
declare -a srv_e=() rst_e=()
for i in 1 2; do
	serve "e$i" $PORT 30 --close-after-accept
	srv_e+=("$TT_BG_PID")
	o0=$(tt_nstat "$NS" Tcp.OutRsts)
	ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $PORT --conns 60 \
		--bytes 1 --hold 1 --seconds 15 >/dev/null 2>&1
	tt_sleep 0.5
	rst_e+=($(($(tt_nstat "$NS" Tcp.OutRsts) - o0)))
	kill "$TT_BG_PID" 2>/dev/null
	wait "$TT_BG_PID" 2>/dev/null
done
ta_stop || tt_bail "agent end line (e)"
ta_show "$AG"
f=$(ta_findings "$AG" reset_storm | tail -n 1)
tt_diag "(e) servers ${srv_e[*]}: OutRsts ${rst_e[*]}; charged $(resets_of "$f" "${srv_e[0]}") and $(resets_of "$f" "${srv_e[1]}")"
if ta_kernel_lacks "$AG" resets_without_socket; then
	tt_skip "(e) the servers' resets: tcp_send_reset fires for resets answering a segment only since Linux 6.9"
else
	for i in 0 1; do
		tt_assert_ge "$(resets_of "$f" "${srv_e[i]}")" $((rst_e[i] * 9 / 10)) \
			"(e) server $((i + 1)) (pid ${srv_e[i]}) is charged >= 90% of the ${rst_e[i]} resets its phase sent"
	done
	tt_assert_true "(( $(resets_of "$f" "${srv_e[0]}") <= ${rst_e[0]} ))" \
		"(e) the first server is charged no more than its own phase's ${rst_e[0]} resets"
fi

tt_finish
