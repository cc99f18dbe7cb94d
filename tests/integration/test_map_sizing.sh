#!/usr/bin/env bash
# The owners map is sized from the host's sockets in every network namespace
# (issue 13), not only the agent's own: on a container host most sockets are
# elsewhere.  PROCS processes in a namespace of the test's own hold
# PROCS * COUNT bound UDP sockets (more than the map's minimum, 65536), each
# process on its own loopback address; the agent runs in the initial
# namespace.  Where owners are kept in the map, it must have room for twice
# the sockets of both namespaces.  Where the sockets keep their owners in
# their own storage (the start line's capabilities.owners), the start-up
# seed's included (issue 12), the map holds only listeners and orphans'
# closers: its size must not grow with the sockets.  Either way the start-up
# seeding must learn the owner of every one of them, none evicted.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid bpftool
tt_init mapsize
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single big || tt_bail "create namespace"
NS=$TT_NS
PROCS=4
COUNT=18000 # per process: under a descriptor limit of 20000 without CAP_SYS_RESOURCE
SOCKETS=$((PROCS * COUNT))

for ((i = 0; i < PROCS; i++)); do
	tt_bg -o "$TT_TMP/sockets$i.out" ip netns exec "$NS" "$TT_TTLOAD" sockets --count $COUNT \
		--bind "127.0.0.$((i + 2))" --seconds 120 >/dev/null
done
for ((i = 0; i < PROCS; i++)); do
	tt_wait_for_line "$TT_TMP/sockets$i.out" '^ready sockets=' 30 ||
		{ tt_diag_file "$TT_TMP/sockets$i.out"; tt_bail "process $i did not open its sockets"; }
done

sockets_used() { # NS : "sockets: used" of /proc/net/sockstat there
	# shellcheck disable=SC2016 # awk's fields
	tt_nsexec "$1" awk '$1 == "sockets:" { print $3 }' /proc/net/sockstat
}

ns_used=$(sockets_used "$NS")
own_used=$(sockets_used "")
tt_diag "sockets in use: $ns_used in $NS, $own_used in the agent's namespace"
tt_assert_ge "$ns_used" $SOCKETS "the namespace holds the $SOCKETS sockets"

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
owners=$(bpftool -j map show id "$(ta_map_id owners)" | jq -r '.max_entries // empty')
seeded=$(jq -r 'select(.type == "start") | .owners_seeded' "$AG")
kept=$(jq -r 'select(.type == "start") | .capabilities.owners' "$AG")
ta_stop 10 || tt_bail "agent end line"
full=$(ta_end "$AG" | jq -r '.agent.owners_map_full')
evicted=$(ta_end "$AG" | jq -r '.agent.owners_evicted')
tt_diag "owners kept in $kept; owners map: max_entries $owners; owners seeded at start: $seeded;" \
	"owners_map_full $full; owners_evicted $evicted"

if [[ $kept == socket_storage ]]; then
	tt_assert_eq "$owners" 16384 "owners map for listeners and closers only (16384), not the $((ns_used + own_used)) sockets"
else
	want=$((2 * (ns_used + own_used)))
	tt_assert_ge "$owners" $want "owners map sized for every namespace's sockets (>= 2 x $((ns_used + own_used)))"
fi
tt_assert_true "(( ($owners & ($owners - 1)) == 0 && $owners <= 1048576 ))" "owners map size is a power of two, at most 2^20"
tt_assert_ge "$seeded" $SOCKETS "the owner of each of the $SOCKETS sockets in $NS was learned at start"
tt_assert_eq "$full" 0 "owners_map_full 0"
tt_assert_eq "$evicted" 0 "owners_evicted 0"

tt_finish
