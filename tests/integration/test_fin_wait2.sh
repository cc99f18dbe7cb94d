#!/usr/bin/env bash
# FIN_WAIT2 accumulation: 20 client connections are half-closed by the
# client (shutdown(SHUT_WR), descriptors kept, so tcp_fin_timeout does not
# apply) while the server reads to EOF and never closes (--hold-open).  The
# client's sockets sit in FIN_WAIT2.  The agent must report
# fin_wait2_accumulation naming the client (the closer), with as many
# sockets as `ss state fin-wait-2` shows in the namespace and the
# namespace's tcp_fin_timeout, and must not advise tcp_tw_recycle.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss
tt_init finwait2
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single fw || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5616 CONNS=20

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --hold-open --seconds 40 >/dev/null
srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns $CONNS --bytes 10 --shutdown --hold 30 --close --seconds 35 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^holding ' 12 || tt_bail "client did not connect"
tt_diag "client (pid $cli): $(tr '\n' ' ' <"$TT_TMP/cli.out"); server pid $srv"

tt_wait_for_line "$AG" '"cause":"fin_wait2_accumulation"' 20 || tt_diag "no fin_wait2_accumulation line within 20 s"
tt_sleep 1
fw=$(ip netns exec "$NS" ss -Htn state fin-wait-2 | wc -l)
fw_cli=$(ip netns exec "$NS" ss -Htnp state fin-wait-2 | grep -c "pid=$cli,")
ta_stop || tt_bail "agent end line"
ta_show "$AG"
fin_timeout=$(tt_sysctl_get "$NS" net.ipv4.tcp_fin_timeout)
tt_diag "ss in netns $ino: fin-wait-2=$fw (of pid $cli: $fw_cli); tcp_fin_timeout=$fin_timeout"

tt_assert_eq "$(sed -n 's/^shutdown=//p' "$TT_TMP/cli.out")" $CONNS "client half-closed $CONNS connections"
tt_assert_eq "$fw" $CONNS "ss shows $CONNS FIN_WAIT2 sockets in the namespace"
f=$(ta_finding "$AG" fin_wait2_accumulation)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final fin_wait2_accumulation finding"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$cli" "first culprit is the client (pid $cli), the closer"
tt_assert_eq "$(jq -r '.evidence.fin_wait2_sockets // empty' <<<"$f")" "$fw" \
	"evidence.fin_wait2_sockets == ss count of fin-wait-2 in the namespace"
tt_assert_eq "$(jq -r '.culprits[0].count // empty' <<<"$f")" "$fw_cli" \
	"first culprit's count == the client's fin-wait-2 sockets (ss -p)"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino" "evidence.netns is the test's namespace"
tt_assert_eq "$(jq -r '.evidence.tcp_fin_timeout // empty' <<<"$f")" "$fin_timeout" \
	"evidence.tcp_fin_timeout == the namespace's sysctl"
tt_assert_true "! jq -e --argjson p $srv 'any(.culprits[]?; .pid == \$p)' <<<\"\$f\" >/dev/null" \
	"the server (pid $srv) is not a fin_wait2 culprit"
tt_assert_eq "$(ta_advice_mentions "$AG" tw_recycle)" 0 "no advice mentions tcp_tw_recycle (why included)"
tt_assert_eq "$(ta_advice_count "$AG" 'tcp_fin_timeout')" 0 "no advice suggests changing tcp_fin_timeout"

tt_finish
