#!/usr/bin/env bash
# Early warning (issue 11): TCP memory growing steadily toward tcp_mem[1] gives
# tcp_mem_forecast before any pressure, with eta_s close to the time the
# test's own sockstat readings say the growth would take, and the holder as
# first culprit.  No sysctl is touched: the agent looks further ahead instead
# (--horizon), so the host's own tcp_mem[1] is the limit.  A receiver that
# never reads gains ~1 MB of queued data every 0.5 s from a new client.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init forecast
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single grow || tt_bail "namespace"
NS=$TT_NS
read -r _ P1 _ </proc/sys/net/ipv4/tcp_mem

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server --bind 127.0.0.1 \
	--port 5901 --no-read --rcvbuf 4194304 --seconds 120 >/dev/null
holder=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "server"

AG=$TT_TMP/agent.json
ta_start "$AG" --duration 110 --horizon 86400 || tt_bail "agent start"
u0=$(tt_sockstat_tcp mem) t0=$(date +%s.%N)
fired=
for ((i = 0; i < 180 && !fired; i++)); do
	tt_bg ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port 5901 \
		--conns 1 --bytes 1000000 --hold 110 --seconds 110 >/dev/null
	tt_sleep 0.5
	grep -q '"cause":"tcp_mem_forecast"' "$AG" && fired=1
done
u1=$(tt_sockstat_tcp mem) t1=$(date +%s.%N)
rate=$(awk -v a="$u0" -v b="$u1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", (b - a) / (e - s) }')
eta_test=$(awk -v p="$P1" -v u="$u1" -v r="$rate" 'BEGIN { printf "%.0f", (r > 0 ? (p - u) / r : -1) }')
ta_stop || tt_bail "agent end line"
tt_diag "sockstat mem $u0 -> $u1 pages in $(awk -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f", e - s }') s: $rate pages/s; tcp_mem[1] $P1: $eta_test s away at that pace"

f=$(jq -c 'select(.type == "finding" and .cause == "tcp_mem_forecast" and .state == "firing")' "$AG" | head -n 1)
tt_assert_true '[[ -n $f ]]' "tcp_mem_forecast fired while memory grew"
tt_diag "forecast: $(jq -c '{summary, evidence}' <<<"${f:-null}")"
eta=$(jq -r '.evidence.eta_s // -1' <<<"${f:-null}")
tt_assert_eq "$(jq -r .severity <<<"${f:-null}")" warning "it is a warning"
tt_assert_true "awk -v a=$eta -v b=$eta_test 'BEGIN { exit !(a > 0 && b > 0 && a <= 2 * b && b <= 2 * a) }'" \
	"eta_s ($eta s) is within 2x of the test's own measure ($eta_test s)"
tt_assert_eq "$(ta_findings "$AG" tcp_mem_pressure | wc -l)" 0 "no pressure: the warning came first"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"${f:-null}")" "$holder" "the first culprit is the holder (pid $holder)"
tt_finish
