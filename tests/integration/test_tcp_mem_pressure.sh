#!/usr/bin/env bash
# TCP memory pressure without orphans, in one namespace over loopback: a
# receiver that never reads (large SO_RCVBUF, so its unread queues hold most
# of the memory) and a first client (--hold, sockets stay open) that fills
# it.  With the memory in place the test reads sockstat `mem` (U) and sets
# net.ipv4.tcp_mem to "U/4 U/2 U*4" -- pressure below the usage, the hard
# limit far above it -- for at most ~3 s, while a second client opens more
# connections to the same receiver: the receiver's new sockets are refused
# memory (TcpExt.TCPMemoryPressures, TCPRcvQDrop, PROTO_MEM drops) in
# softirq run on the second client's CPU time (loopback), so the task on the
# CPU is the sender while the socket belongs to the receiver.
#
# The agent must say tcp_mem_pressure (warning, no tcp_mem_exhausted), with
# the used/peak pages against the thresholds the test set, and name the
# RECEIVER as the holder and as the owner of the sockets refused memory.
# shellcheck disable=SC2016,SC2119  # tt_assert_true evals its argument; ta_stop takes none
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid flock
tt_init tcpmempress
ta_require
tt_ttload || tt_bail "build ttload"

tt_netns_single press || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5701
CONNS=10
BYTES=16000000
OLD_MEM=$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)

ts_s() { # RFC 3339 ts -> epoch seconds with ms
	date -u -d "$1" +%s.%3N
}

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --no-read --rcvbuf 4194304 --seconds 60 >/dev/null
srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"

tt_bg -o "$TT_TMP/c1.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns $CONNS --bytes $BYTES --sndbuf 65536 --hold 60 --seconds 60 >/dev/null
c1=$TT_BG_PID
tt_wait_for_line "$TT_TMP/c1.out" '^holding ' 15 || tt_bail "first client did not fill the receiver"
# Under pressure the kernel still grants a socket memory while tcp_mem[2] exceeds
# (sockets allocated on the host) x (that socket's pages): idle sockets make the
# refusal certain instead of depending on how many sockets the host happens to have.
IDLE=150
tt_bg -o "$TT_TMP/idle.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns $IDLE --bytes 0 --hold 60 --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/idle.out" '^holding ' 15 || tt_bail "idle connections"
tt_assert_eq "$(sed -n 's/^holding connected=//p' "$TT_TMP/c1.out")" $CONNS "first client holds $CONNS connections"
ta_wait_ticks "$AG" 2 || tt_bail "agent ticks"
U=$(tt_sockstat_tcp mem)
orph0=$(tt_sockstat_tcp orphan)
recvq=$(ip netns exec "$NS" ss -tnH state established "sport = :$PORT" | awk '{ s += $1 } END { print s + 0 }')
tt_diag "filled: sockstat $(grep '^TCP:' /proc/net/sockstat); receiver (pid $srv) unread bytes $recvq; first client pid $c1"
tt_assert_ge "$((recvq / 4096))" $((U / 2)) "the receiver's unread queues are most of TCP memory (>= half of sockstat mem)"

# --------------------------- tcp_mem "U/4 U/2 U*4" for at most ~3 s
P0=$((U / 4)) P1=$((U / 2)) P2=$((U * 4))
p0=$(tt_nstat "$NS" TcpExt.TCPMemoryPressures)
q0=$(tt_nstat "$NS" TcpExt.TCPRcvQDrop)
peak=$U
n0=$(ta_stats_lines "$AG")
t_set=$(date -u +%s.%3N)
tt_sysctl_global_set net.ipv4.tcp_mem "$P0 $P1 $P2" || tt_bail "set tcp_mem"
tt_bg -o "$TT_TMP/c2.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns $CONNS --bytes $BYTES --sndbuf 65536 --hold 60 --seconds 60 >/dev/null
c2=$TT_BG_PID
# until the second client has written what it could, the kernel has refused
# the receiver memory and the agent has evaluated twice under the lowered limit
for ((i = 0; i < 40; i++)); do
	sleep 0.1
	m=$(tt_sockstat_tcp mem)
	((m > peak)) && peak=$m
	grep -q '^holding ' "$TT_TMP/c2.out" && (($(ta_stats_lines "$AG") >= n0 + 2)) &&
		(($(tt_nstat "$NS" TcpExt.TCPRcvQDrop) > q0)) && break
done
_tt_sysctl_write net.ipv4.tcp_mem "$OLD_MEM"
t_restore=$(date -u +%s.%3N)
p1=$(tt_nstat "$NS" TcpExt.TCPMemoryPressures)
q1=$(tt_nstat "$NS" TcpExt.TCPRcvQDrop)
tt_assert_eq "$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)" "$OLD_MEM" "tcp_mem restored right after the window"
tt_diag "tcp_mem \"$P0 $P1 $P2\" for $(awk -v a="$t_set" -v b="$t_restore" 'BEGIN { printf "%.2f", b - a }') s; sockstat mem $U before, peak $peak; second client pid $c2: $(tail -n 1 "$TT_TMP/c2.out")"
tt_diag "kernel, in the namespace: TCPMemoryPressures +$((p1 - p0)), TCPRcvQDrop +$((q1 - q0)); orphans host-wide $orph0 -> $(tt_sockstat_tcp orphan)"
# TCPMemoryPressures counts in the namespace of whichever socket on the host
# entered pressure first: only the refusals are certainly this namespace's.
tt_assert_ge "$((q1 - q0))" 1 "the kernel refused the receiver's sockets memory (TCPRcvQDrop grew in the namespace)"
tt_assert_le "$peak" $((P2 - 1)) "usage stayed below the hard limit the test set"
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick after the window"
ta_stop || tt_bail "agent end line"
ta_show "$AG"

# -------------------------------------------------------------- findings
f=$(ta_findings "$AG" tcp_mem_pressure | tail -n 1)
ff=$(jq -c 'select(.type == "finding" and .cause == "tcp_mem_pressure" and .final == false)' "$AG" | head -n 1)
tt_assert_true '[[ -n $f && -n $ff ]]' "a tcp_mem_pressure finding"
tt_assert_eq "$(jq -r .severity <<<"$f")" warning "tcp_mem_pressure is a warning"
tt_assert_eq "$(ta_findings "$AG" tcp_mem_exhausted | wc -l)" 0 "no tcp_mem_exhausted (usage never reached the hard limit)"
tt_diag "fired with evidence $(jq -c .evidence <<<"$ff")"
tt_assert_eq "$(jq -r '.evidence.tcp_mem_pages // [] | map(tostring) | join(" ")' <<<"$ff")" "$P0 $P1 $P2" "evidence when it fired: tcp_mem_pages are the thresholds the test set"
used=$(jq -r .evidence.tcp_mem_used_pages <<<"$ff")
tt_assert_ge "$used" "$P1" "evidence when it fired: used pages >= the pressure threshold"
tt_assert_le "$used" $((P2 - 1)) "evidence when it fired: used pages < the hard limit"
# The report is written after tcp_mem was restored: it must still say which
# limits the usage crossed, not compare it with today's.
tt_diag "report: $(jq -r .summary <<<"$f"); evidence $(jq -c .evidence <<<"$f")"
tt_assert_eq "$(jq -r '.evidence.tcp_mem_pages_when_crossed // [] | map(tostring) | join(" ")' <<<"$f")" "$P0 $P1 $P2" "report evidence: tcp_mem_pages_when_crossed are the thresholds the test set"
tt_assert_true 'jq -e --arg t "threshold of $P1:" ".summary | contains(\$t)" <<<"$f" >/dev/null' "report summary names the pressure threshold that was crossed ($P1)"
pk=$(jq -r .evidence.tcp_mem_peak_pages <<<"$f")
tt_assert_ge "$pk" $((U * 9 / 10)) "evidence: peak pages >= 90% of sockstat mem after filling ($U; host-wide pages move)"

# The holder of TCP memory is the receiver: its unread queues.
# (culprits of this namespace: the snapshot lists the host's holders, other
# namespaces' included)
tt_diag "tcp_mem_pressure culprits: $(jq -c '[.culprits[] | {pid, comm, netns, why, count, bytes}]' <<<"$f")"
tt_assert_eq "$(jq -r --argjson ns "$ino" '[.culprits[] | select(.netns == $ns)][0].pid // empty' <<<"$f")" "$srv" \
	"tcp_mem_pressure: first culprit in the namespace is the receiver (pid $srv)"
tt_assert_eq "$(jq -r --argjson ns "$ino" --argjson a "$c1" --argjson b "$c2" '[.culprits[] | select(.netns == $ns and (.why | test("refused")) and (.pid == $a or .pid == $b or .pid == 0))] | length' <<<"$f")" 0 \
	"no refused-memory culprit names a sender (pids $c1, $c2) or pid 0"
# Sockets refused memory, in any memory finding, are charged to their owner:
# the receiver's sockets to the receiver, never to the sender on the CPU.
sbl=$(ta_findings "$AG" socket_buffer_limit | tail -n 1)
tt_diag "socket_buffer_limit: $(jq -c '{evidence, culprits: [.culprits[]? | {pid, comm, why, count, bytes}]}' <<<"${sbl:-null}")"
refused=$(jq -sc --argjson ns "$ino" '[.[] | select(.type == "finding" and .final == true) | .culprits[]?
	| select(.netns == $ns and (.why | test("refused")))] | group_by(.pid) | map({pid: .[0].pid, events: (map(.count) | add)})' "$AG")
tt_diag "refused-memory culprits in the namespace (pid: events): $refused"
tt_assert_true 'jq -e --argjson p "$srv" "map(select(.pid == \$p)) | length == 1" <<<"$refused" >/dev/null' \
	"the receiver (pid $srv) is named for sockets refused memory"
rcv_first=$(jq -r --argjson ns "$ino" '.culprits | map(select(.netns == $ns and (.why | test("refused")))) | .[0].pid // empty' <<<"${sbl:-{\}}")
tt_assert_eq "$rcv_first" "$srv" "socket_buffer_limit: first refused-memory culprit in the namespace is the receiver"

# One incident: the refused memory is the pressure's doing, said through its evidence.
if [[ -n $sbl ]]; then
	ta_assert_linked "$sbl" "$f" "refused TCP memory"
	ta_assert_victim "$f" "$srv" "the receiver whose sockets were refused memory"
else
	tt_skip "no socket_buffer_limit finding this run: nothing to link"
fi

fired=$(jq -r '.ts' <<<"$ff")
tt_diag "tcp_mem_pressure fired $(awk -v a="$t_set" -v b="$(ts_s "$fired")" 'BEGIN { printf "%.2f", b - a }') s after tcp_mem changed"
tt_assert_eq "$(grep -c tcp_tw_recycle "$AG")" 0 "nothing mentions tcp_tw_recycle"

tt_finish
