#!/usr/bin/env bash
# A busy but healthy host: from the agent's first second, ~8 s of short
# connections as fast as two churn clients go (connect, 1 byte, close), a bulk
# transfer at full speed and paced UDP to a reader, all on loopback in a
# namespace of the test's own.  The kernel retransmits, resets and overflows a
# little under such load; judged against the traffic that carried them, none
# of it is a finding of severity warning or critical about this namespace.
# The ratios the kernel counted are printed ("ratios: ...") for the record.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init busy
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single busy || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5601 UPORT=5602 LOAD_S=8
# A host this busy sizes its TIME_WAIT table for it: a small machine's default
# (8192 in a 2 GiB guest) fills in seconds at this churn, and then
# timewait_forecast is right to warn.
tt_sysctl_ns_set "$NS" net.ipv4.tcp_max_tw_buckets 262144 || tt_bail "set tcp_max_tw_buckets"
COUNTERS="Tcp.OutSegs Tcp.RetransSegs TcpExt.TCPFastRetrans TcpExt.TCPSlowStartRetrans
	TcpExt.TCPSynRetrans Tcp.OutRsts Tcp.ActiveOpens Tcp.PassiveOpens TcpExt.ListenOverflows
	TcpExt.ListenDrops Ip.InReceives Tcp.InSegs Udp.InDatagrams Udp.RcvbufErrors TcpExt.TCPRcvQDrop
	TcpExt.TCPLossProbes TcpExt.TCPLossProbeRecovery TcpExt.TCPTimeouts TcpExt.TCPDSACKRecv"

declare -A before after
read_counters() { # : "COUNTER VALUE" for every counter of $COUNTERS in the namespace
	local c
	for c in $COUNTERS; do echo "$c $(tt_nstat "$NS" "$c")"; done
}
delta() { echo $((${after[$1]:-0} - ${before[$1]:-0})); }
ratio() { awk -v n="$1" -v d="$2" 'BEGIN { printf "%.6f", (d > 0 ? n / d : 0) }'; }

# A busy server asks listen() for a real backlog (somaxconn's default), as
# nginx or haproxy tuned for load do; the default 128 of ttload is a toy's.
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --backlog 4096 --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
# A UDP service sizes its receive buffer for the bursts it must ride out: here
# the reader shares two cores with everything above and may wait its turn.
tt_bg -o "$TT_TMP/usink.out" ip netns exec "$NS" "$TT_TTLOAD" udp-sink \
	--bind 127.0.0.1 --port $UPORT --read --rcvbuf 4194304 --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/usink.out" '^ready$' 5 || tt_bail "udp-sink ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
while read -r k v; do before[$k]=$v; done < <(read_counters)

for i in 1 2; do
	tt_bg -o "$TT_TMP/churn$i.out" ip netns exec "$NS" "$TT_TTLOAD" churn --host 127.0.0.1 \
		--port $PORT --seconds $LOAD_S >/dev/null
done
tt_bg -o "$TT_TMP/bulk.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns 1 --bytes 100000000000 --close --seconds $LOAD_S >/dev/null
tt_bg -o "$TT_TMP/udp.out" ip netns exec "$NS" "$TT_TTLOAD" udp-flood --host 127.0.0.1 \
	--port $UPORT --count 1000000 --size 200 --pps 1000 --seconds $LOAD_S >/dev/null
for f in churn1 churn2 bulk udp; do
	tt_wait_for_line "$TT_TMP/$f.out" '^(connections|connected|sent)=' $((LOAD_S + 8)) ||
		tt_diag "$f did not finish"
done
tt_sleep 1
while read -r k v; do after[$k]=$v; done < <(read_counters)
ta_stop || tt_bail "agent end line"
ta_show "$AG"

conns=$(awk -F'[= ]' '/^connections=/ { n += $2 } END { print n + 0 }' "$TT_TMP"/churn?.out)
tt_diag "churn: $conns connections ($((conns / LOAD_S))/s); bulk: $(tail -n 1 "$TT_TMP/bulk.out"); udp: $(tail -n 1 "$TT_TMP/udp.out")"
d=""
for c in $COUNTERS; do d+=" ${c#*.}=$(delta "$c")"; done
tt_diag "kernel deltas:$d"
retrans=$(ratio "$(delta Tcp.RetransSegs)" "$(delta Tcp.OutSegs)")
resets=$(ratio "$(delta Tcp.OutRsts)" $(($(delta Tcp.ActiveOpens) + $(delta Tcp.PassiveOpens))))
overflows=$(ratio "$(delta TcpExt.ListenOverflows)" $(($(delta Tcp.PassiveOpens) + $(delta TcpExt.ListenDrops))))
drops=$(ratio $(($(delta Udp.RcvbufErrors) + $(delta TcpExt.TCPRcvQDrop))) "$(delta Ip.InReceives)")
tt_diag "ratios: retransmit=$retrans reset=$resets listen_overflow=$overflows rcvbuf_drop=$drops"

tt_assert_ge "$conns" 1000 "the churn made >= 1000 short connections"
# (~96k in a 2-CPU guest under emulation, ~10x that here)
tt_assert_ge "$(delta Tcp.OutSegs)" 50000 "the namespace sent >= 50k segments"
tt_assert_ge "$(delta Udp.InDatagrams)" 1000 "the UDP reader got >= 1000 datagrams"
# Other tests on this host may cause findings of their own: only this
# namespace's are judged here (the others are shown).
sev=$(ta_severe_findings "$AG")
ours=$(jq -c --argjson ns "$ino" 'select(.evidence.netns == $ns or any(.culprits[]?; .netns == $ns))' <<<"$sev")
[[ -n $sev ]] && tt_diag "severe findings (any namespace): ${sev:0:1500}"
tt_assert_eq "$(grep -c . <<<"$ours")" 0 "no warning or critical finding about the busy namespace"
tt_assert_eq "$(ta_ns_counter "$AG" "$ino" resets_sent)" "$(delta Tcp.OutRsts)" "agent resets_sent == Tcp.OutRsts delta"

tt_finish
