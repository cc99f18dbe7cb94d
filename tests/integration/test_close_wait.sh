#!/usr/bin/env bash
# CLOSE_WAIT leak: a server that reads until EOF but never closes
# (tcp-server --hold-open) and 20 clients that send a few bytes and close.
# Every server-side socket sits in CLOSE_WAIT.  After the sockets are older
# than the rule's minimum age the agent must report close_wait_leak naming
# the server, with as many sockets as `ss state close-wait` shows in the
# namespace.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss
tt_init closewait
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single cw || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5615 CONNS=20

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --hold-open --seconds 40 >/dev/null
srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $PORT --conns $CONNS --bytes 10 --close --seconds 10 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 12 || tt_diag "client did not finish"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out"); server pid $srv"

# The rule wants sockets at least LEAK_MIN_AGE_S (10 s) old: wait for it to
# fire (bounded).
tt_wait_for_line "$AG" '"cause":"close_wait_leak"' 20 || tt_diag "no close_wait_leak line within 20 s"
tt_sleep 1
cw=$(ip netns exec "$NS" ss -Htn state close-wait | wc -l)
cw_srv=$(ip netns exec "$NS" ss -Htnp state close-wait | grep -c "pid=$srv,")
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "ss in netns $ino: close-wait=$cw (of pid $srv: $cw_srv)"

tt_assert_eq "$cw" $CONNS "ss shows $CONNS CLOSE_WAIT sockets in the namespace"
f=$(ta_finding "$AG" close_wait_leak)
tt_assert_true "[[ -n '${f:0:1}' ]]" "a final close_wait_leak finding"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$f")" "$srv" "first culprit is the server (pid $srv)"
tt_assert_eq "$(jq -r '.evidence.close_wait_sockets // empty' <<<"$f")" "$cw" \
	"evidence.close_wait_sockets == ss count of close-wait in the namespace"
tt_assert_eq "$(jq -r '.culprits[0].count // empty' <<<"$f")" "$cw_srv" \
	"first culprit's count == the server's close-wait sockets (ss -p)"
tt_assert_eq "$(jq -r '.culprits[0].count_of // empty' <<<"$f")" sockets "first culprit's count counts sockets (count_of)"
tt_assert_eq "$(jq -r '.culprits[0].sockets // empty' <<<"$f")" "$cw_srv" "first culprit's sockets == the server's close-wait sockets"
tt_assert_eq "$(jq -r '.evidence.netns // empty' <<<"$f")" "$ino" "evidence.netns is the test's namespace"
tt_assert_true "jq -e '(.evidence.oldest_s | tonumber) >= 3 and (.evidence.oldest_s | tonumber) < 60' <<<\"\$f\" >/dev/null" \
	"evidence.oldest_s is between 3 and 60 s"
tt_assert_true "! jq -e --argjson p $cli 'any(.culprits[]?; .pid == \$p)' <<<\"\$f\" >/dev/null" \
	"the client (pid $cli, which closed) is not a culprit"
tt_assert_eq "$(ta_advice_mentions "$AG" tw_recycle)" 0 "no advice mentions tcp_tw_recycle (why included)"

tt_finish
