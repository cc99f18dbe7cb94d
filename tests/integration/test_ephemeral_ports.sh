#!/usr/bin/env bash
# Ephemeral port exhaustion: a namespace with a 10-port ip_local_port_range
# and a client that holds 20 connections open to one server: the first 10
# take every local port, the next 10 connect() calls fail with EADDRNOTAVAIL
# (the client counts them itself).  The agent must report
# ephemeral_ports_exhausted with exactly that count, the namespace's range,
# and the client with the server's address:port as culprit.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init ephports
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single ep || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5612 LO=40000 HI=40009 # 10 ports, different parity (the kernel warns otherwise)
tt_sysctl_ns_set "$NS" net.ipv4.ip_local_port_range "$LO $HI" || tt_bail "set ip_local_port_range"
range=$(tt_sysctl_get "$NS" net.ipv4.ip_local_port_range | awk '{ print $1, $2 }')
tt_assert_eq "$range" "$LO $HI" "namespace ip_local_port_range is $LO $HI"

tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 40 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns 20 --hold 2 --close --seconds 15 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 18 || tt_diag "client did not finish"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out")"
tt_sleep 0.5
ta_stop || tt_bail "agent end line"
ta_show "$AG"

line=$(grep '^connected=' "$TT_TMP/cli.out")
connected=$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' <<<"$line")
eaddr=$(sed -n 's/.* eaddrnotavail=\([0-9]*\) .*/\1/p' <<<"$line")
tt_assert_eq "$connected" 10 "client connected 10 times (one per local port)"
tt_assert_eq "$eaddr" 10 "client saw 10 EADDRNOTAVAIL failures"
f=$(ta_finding "$AG" ephemeral_ports_exhausted)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final ephemeral_ports_exhausted finding"
tt_assert_eq "$(jq -r '.evidence.connect_eaddrnotavail // empty' <<<"$f")" "$eaddr" \
	"evidence.connect_eaddrnotavail == the client's EADDRNOTAVAIL count"
tt_assert_eq "$(jq -r '.evidence.ip_local_port_range // [] | map(tostring) | join(" ")' <<<"$f")" "$range" \
	"evidence.ip_local_port_range == the namespace's sysctl"
tt_assert_eq "$(jq -r '.evidence.ports_available // empty' <<<"$f")" 10 "evidence.ports_available == 10"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino" "evidence.netns is the test's namespace"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$cli" "first culprit is the client (pid $cli)"
tt_assert_eq "$(jq -r '.culprits[0].raddr // empty' <<<"$f")" "127.0.0.1:$PORT" "first culprit's raddr is the server 127.0.0.1:$PORT"
tt_assert_eq "$(jq -r '.culprits[0].count // empty' <<<"$f")" "$eaddr" "first culprit's count == the client's EADDRNOTAVAIL count"
tt_assert_eq "$(ta_advice_mentions "$AG" tw_recycle)" 0 "no advice mentions tcp_tw_recycle (why included)"

tt_finish
