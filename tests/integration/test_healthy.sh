#!/usr/bin/env bash
# A healthy host: ordinary loopback traffic (connection churn at a modest
# rate and a bulk transfer, to a server that accepts and reads) must not
# produce any finding of severity warning or critical.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init healthy
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single ok || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5501

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
r0=$(tt_nstat "$NS" Tcp.RetransSegs)
o0=$(tt_nstat "$NS" Tcp.OutRsts)

# Churn at a modest rate (~50 connections/s for ~4 s), bulk transfer alongside.
# shellcheck disable=SC2016  # expanded by the inner bash
tt_bg -o "$TT_TMP/churn.out" ip netns exec "$NS" bash -c '
	for ((i = 0; i < 40; i++)); do
		"$1" churn --host 127.0.0.1 --port "$2" --conns-max 5 --seconds 2 || exit 1
		sleep 0.1
	done' _ "$TT_TTLOAD" $PORT >/dev/null
churn=$TT_BG_PID
tt_bg -o "$TT_TMP/bulk.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns 2 --bytes 50000000 --close --seconds 15 >/dev/null
tt_wait_for_line "$TT_TMP/bulk.out" '^connected=' 18 || tt_diag "bulk client did not finish"
for ((i = 0; i < 150; i++)); do kill -0 "$churn" 2>/dev/null || break; sleep 0.1; done
tt_sleep 0.5
r1=$(tt_nstat "$NS" Tcp.RetransSegs)
o1=$(tt_nstat "$NS" Tcp.OutRsts)
ta_stop || tt_bail "agent end line"
ta_show "$AG"

conns=$(awk -F'[= ]' '/^connections=/ { n += $2 } END { print n + 0 }' "$TT_TMP/churn.out")
tt_diag "churn: $conns connections; bulk: $(tail -n 1 "$TT_TMP/bulk.out")"
tt_diag "kernel RetransSegs delta=$((r1 - r0)) OutRsts delta=$((o1 - o0)); agent retransmit_segs=$(ta_ns_counter "$AG" "$ino" retransmit_segs) resets_sent=$(ta_ns_counter "$AG" "$ino" resets_sent) drops=$(ta_ns_counter "$AG" "$ino" drops)"
tt_assert_eq "$conns" 200 "churn made 200 connections"
tt_assert_eq "$(sed -n 's/^connected=.* bytes=\([0-9]*\)$/\1/p' "$TT_TMP/bulk.out")" 100000000 "bulk client sent 100 MB"
sev=$(ta_severe_findings "$AG")
[[ -n $sev ]] && tt_diag "severe: ${sev:0:1500}"
tt_assert_eq "$(grep -c . <<<"$sev")" 0 "no warning or critical finding"
tt_assert_eq "$(ta_ns_counter "$AG" "$ino" resets_sent)" $((o1 - o0)) "agent resets_sent == Tcp.OutRsts delta"
# The tracepoint sees each retransmitted skb and its segment count; the kernel
# counts the segments it sent, which differ when a TSO skb is retransmitted in
# part (cwnd) or re-segmented: at most by one segment an event here (4 vs 5 seen
# once in ~10 runs).  test_retransmits checks exact counts on MSS-sized segments.
segs=$(ta_ns_counter "$AG" "$ino" retransmit_segs)
events=$(ta_ns_counter "$AG" "$ino" retransmits)
diff=$((segs - (r1 - r0)))
tt_assert_le "${diff#-}" "$events" \
	"agent retransmit_segs ($segs) == Tcp.RetransSegs delta ($((r1 - r0))) within one segment per retransmit ($events)"

tt_finish
