#!/usr/bin/env bash
# Self-check of the test harness against the kernel: namespace pair, ttload
# traffic across it, tt_nstat counters, and that cleanup (trap) removes
# namespaces, processes and restores global sysctls on failure and on SIGTERM.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

tt_require ip awk stat setsid timeout
tt_init selfcheck
tt_ttload || tt_bail "build ttload"
PARENT_TMP=$TT_TMP
BACKLOG=/proc/sys/net/core/netdev_max_backlog

# ------------------------------------------------------------------ pair
tt_netns_pair || tt_bail "create namespace pair"
tt_assert_true "[[ -e /run/netns/$NS_A && -e /run/netns/$NS_B ]]" "namespaces $NS_A and $NS_B exist"
tt_assert_eq "$(ip -n "$NS_A" -4 -o addr show dev "$IF_A" | awk '{ print $4 }')" "$IP_A/30" "address of a"
tt_assert_eq "$(ip -n "$NS_B" -4 -o addr show dev "$IF_B" | awk '{ print $4 }')" "$IP_B/30" "address of b"
ino_a=$(tt_netns_inode "$NS_A")
ino_init=$(tt_netns_inode "")
tt_assert_true "[[ -n '$ino_a' && '$ino_a' != '$ino_init' ]]" "namespace inode of a ($ino_a) differs from the initial one ($ino_init)"
tt_assert_eq "$(ip netns exec "$NS_A" stat -L -c %i /proc/self/ns/net)" "$ino_a" "tt_netns_inode matches /proc/self/ns/net inside a"

if command -v ping >/dev/null 2>&1; then
	tt_assert_true "ip netns exec '$NS_A' ping -c 1 -W 2 '$IP_B' >/dev/null" "ping a -> b"
else
	tt_skip "ping not installed (TCP check below covers connectivity)"
fi

# -------------------------------------------------------------- counters
a0=$(tt_nstat "$NS_A" Tcp.ActiveOpens)
b0=$(tt_nstat "$NS_B" Tcp.PassiveOpens)
tt_assert_eq "$a0" 0 "fresh namespace a: Tcp.ActiveOpens starts at 0"
tt_assert_eq "$(tt_nstat "$NS_A" TcpExt.ListenOverflows)" "$(tt_nstat "$NS_A" TcpExtListenOverflows)" "tt_nstat: dotted and nstat-style names agree"
tt_assert_true "! tt_nstat '$NS_A' TcpExt.NoSuchCounter >/dev/null" "tt_nstat fails for an unknown counter"
tt_assert_true "[[ -n \$(tt_nstat '' Tcp.ActiveOpens) ]]" "tt_nstat reads the initial namespace"

CONNS=3
BYTES=100000
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server \
	--bind "$IP_B" --port 5001 --seconds 60 >/dev/null
srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || { tt_diag_file "$TT_TMP/srv.out"; tt_bail "tcp-server ready"; }

out=$(ip netns exec "$NS_A" "$TT_TTLOAD" tcp-client --host "$IP_B" --port 5001 \
	--conns "$CONNS" --bytes "$BYTES" --close --seconds 15 2>&1)
tt_diag "client: $(tail -n 1 <<<"$out")"
tt_assert_eq "$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' <<<"$out")" "$CONNS" "client connected $CONNS times"
tt_assert_eq "$(sed -n 's/^connected=.* bytes=\([0-9]*\)$/\1/p' <<<"$out")" $((CONNS * BYTES)) "client sent $BYTES bytes per connection"

kill -TERM "$srv"
tt_wait_for_line "$TT_TMP/srv.out" '^accepted=' 5
tt_diag "server: $(tail -n 1 "$TT_TMP/srv.out")"
tt_assert_eq "$(sed -n 's/^accepted=.* bytes=\([0-9]*\)$/\1/p' "$TT_TMP/srv.out")" $((CONNS * BYTES)) "server received every byte"

a1=$(tt_nstat "$NS_A" Tcp.ActiveOpens)
b1=$(tt_nstat "$NS_B" Tcp.PassiveOpens)
tt_assert_eq $((a1 - a0)) "$CONNS" "Tcp.ActiveOpens in a increased by $CONNS"
tt_assert_eq $((b1 - b0)) "$CONNS" "Tcp.PassiveOpens in b increased by $CONNS"
tt_assert_eq "$(tt_nstat "$NS_B" Tcp.ActiveOpens)" 0 "Tcp.ActiveOpens in b stays 0 (counters are per namespace)"

# ------------------------------------------- cleanup on failure (subshell)
orig=$(cat "$BACKLOG")
(
	tt_init selfsub
	tt_netns_pair || exit 3
	tt_netns_single extra || exit 3
	echo "$NS_A $NS_B $TT_NS" >"$PARENT_TMP/sub.ns"
	echo "$TT_TMP" >"$PARENT_TMP/sub.tmp"
	tt_bg -o /dev/null bash -c 'sleep 60 & sleep 60 & wait' >"$PARENT_TMP/sub.pid"
	tt_bg -o /dev/null ip netns exec "$NS_B" sleep 60 >>"$PARENT_TMP/sub.pid"
	tt_sysctl_global_set net.core.netdev_max_backlog $((orig + 1)) || exit 3
	cat "$BACKLOG" >"$PARENT_TMP/sub.during"
	exit 1 # fail midway: the EXIT trap must undo everything
)
rc=$?
tt_assert_eq "$rc" 1 "failing subshell exits with its own status"
tt_assert_eq "$(cat "$PARENT_TMP/sub.during" 2>/dev/null)" $((orig + 1)) "sysctl was changed inside the subshell"
tt_assert_eq "$(cat "$BACKLOG")" "$orig" "netdev_max_backlog restored after failure"
for ns in $(cat "$PARENT_TMP/sub.ns" 2>/dev/null); do
	tt_assert_true "[[ ! -e /run/netns/$ns ]]" "namespace $ns removed after failure"
done
for p in $(cat "$PARENT_TMP/sub.pid" 2>/dev/null); do
	tt_assert_true "! kill -0 -- -$p 2>/dev/null" "process group $p killed after failure"
done
tt_assert_true "[[ ! -d '$(cat "$PARENT_TMP/sub.tmp" 2>/dev/null)' ]]" "scratch dir of the subshell removed"

# ------------------------------------------- cleanup on SIGTERM (child bash)
rm -f "$PARENT_TMP"/sub.*
tt_bg -o "$TT_TMP/child.out" bash -c '
	source "$1/tests/lib.sh"
	tt_init selfterm
	tt_netns_single only || exit 3
	echo "$TT_NS" >"$2/sub.ns"
	tt_sysctl_global_set net.core.netdev_max_backlog $(($3 + 2)) || exit 3
	echo ready
	tt_sleep 30
	echo "not reached"' _ "$TT_ROOT" "$PARENT_TMP" "$orig" >/dev/null
child=$TT_BG_PID
if tt_wait_for_line "$TT_TMP/child.out" '^ready$' 10; then
	tt_assert_eq "$(cat "$BACKLOG")" $((orig + 2)) "child changed netdev_max_backlog"
	kill -TERM "$child"
	for ((i = 0; i < 50; i++)); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
	tt_assert_true "! kill -0 $child 2>/dev/null" "child exited on SIGTERM"
	tt_assert_eq "$(cat "$BACKLOG")" "$orig" "netdev_max_backlog restored after SIGTERM"
	ns=$(cat "$PARENT_TMP/sub.ns" 2>/dev/null)
	tt_assert_true "[[ -n '$ns' && ! -e /run/netns/$ns ]]" "namespace ${ns:-?} removed after SIGTERM"
	tt_assert_true "! grep -q 'not reached' '$TT_TMP/child.out'" "child stopped at the signal"
else
	tt_diag_file "$TT_TMP/child.out"
	tt_assert_true false "signal child became ready"
fi

tt_finish
