#!/usr/bin/env bash
# One incident (issue 11): a server calls listen(fd, 1) and never accepts;
# 300 clients connect at once.  The kernel drops their SYNs (ListenDrops)
# and the clients retransmit them (TCPSynRetrans): a retransmit_storm that
# is not the network's fault.  The agent must link it to listen_overflow
# (caused_by, because naming the full queue) and list the clients as the
# root cause's victims, the server as its culprit.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid
tt_init inclstn
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single lo || tt_bail "create namespace"
NS=$TT_NS
PORT=5614

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
r0=$(tt_nstat "$NS" TcpExt.TCPSynRetrans)
ta_listen_workload "$NS" $PORT 300 12 20
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick"
r1=$(tt_nstat "$NS" TcpExt.TCPSynRetrans)
ta_stop || tt_bail "agent end line"
ta_show "$AG"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out"); server pid $srv; TCPSynRetrans +$((r1 - r0))"

tt_assert_ge "$((r1 - r0))" 50 "the clients retransmitted >= 50 SYNs (TCPSynRetrans in the namespace)"
root=$(ta_finding "$AG" listen_overflow)
sym=$(ta_finding "$AG" retransmit_storm)
tt_assert_true "[[ -n '${root:0:1}' ]]" "a final listen_overflow finding"
tt_assert_true "[[ -n '${sym:0:1}' ]]" "a final retransmit_storm finding (the clients' SYN retransmits)"
if [[ -n $root && -n $sym ]]; then
	ta_assert_linked "$sym" "$root" 'SYNs dropped'
	ta_assert_victim "$root" "$cli" "the client whose SYNs went unanswered"
	tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$root")" "$srv" "listen_overflow's first culprit is the server (pid $srv)"
	tt_assert_true "! jq -e '.advice[] | select(.action | test(\"network|path\"))' <<<\"\$sym\" >/dev/null" \
		"the retransmit_storm sends no one to check the network"
fi

tt_finish
