#!/usr/bin/env bash
# A connect() the agent cannot follow is counted, not lost in silence (issue
# 13): the agent remembers each thread's connect() arguments between
# sys_enter_connect and sys_exit_connect in the pending_connects map.  In a
# namespace whose SYNs to one port are dropped (nft), one process starts 400
# more threads than the map holds, each blocked in connect() (ss: all of them
# in SYN-SENT at once).  Every connect() past the map's capacity must show in
# the end line's agent.pending_connects_map_full, so: at least N - capacity,
# at most N.
# shellcheck disable=SC2119  # ta_stop takes no argument
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss nft bpftool python3
tt_init pendconn
ta_require
PY=$(command -v python3)
PORT=9 EXTRA=400

tt_netns_single pc || tt_bail "create namespace"
NS=$TT_NS
# blocked for 1+2+4+8+16 s: longer than the test needs them
tt_sysctl_ns_set "$NS" net.ipv4.tcp_syn_retries 4 || tt_bail "tcp_syn_retries"
ip netns exec "$NS" nft "add table inet tt; add chain inet tt out { type filter hook output priority 0; };
	add rule inet tt out tcp dport $PORT tcp flags syn drop" || tt_bail "nft drop rule"

cat >"$TT_TMP/storm.py" <<'EOF'
# N PORT: N threads, each blocked in connect() to 127.0.0.1:PORT
import socket, sys, threading, time
n, port = int(sys.argv[1]), int(sys.argv[2])
threading.stack_size(65536)
def hang():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
for _ in range(n):
    threading.Thread(target=hang, daemon=True).start()
print("started=%d" % n, flush=True)
time.sleep(120)
EOF

map_max_entries() { # PID NAME : max_entries of the map NAME (as the kernel truncates it) PID holds
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '$1 == "map_id:" { print $2 }' "$f" 2>/dev/null)
		[[ -n $id ]] || continue
		bpftool -j map show id "$id" 2>/dev/null | jq -e --arg n "$2" '.name == $n' >/dev/null &&
			{ bpftool -j map show id "$id" | jq -r .max_entries; return 0; }
	done
	return 1
}

AG=$TT_TMP/agent.json
ta_start "$AG" || tt_bail "agent start"
cap=$(map_max_entries "$TA_PID" pending_connect) || tt_bail "the agent's pending_connects map"
N=$((cap + EXTRA))
tt_diag "pending_connects holds $cap; starting $N blocked connects"
tt_bg -o "$TT_TMP/storm.out" ip netns exec "$NS" "$PY" "$TT_TMP/storm.py" $N $PORT >/dev/null
storm=$TT_BG_PID
tt_wait_for_line "$TT_TMP/storm.out" '^started=' 60 || tt_bail "threads started"
tt_sleep 0.5
syn=$(ip netns exec "$NS" ss -Htn state syn-sent | wc -l)
ta_wait_ticks "$AG" 1 || tt_bail "agent ticks"
ta_stop || tt_bail "agent end line"
kill -TERM -- "-$storm" 2>/dev/null
full=$(ta_end "$AG" | jq -r '.agent.pending_connects_map_full // "absent"')
tt_diag "SYN-SENT in the namespace: $syn; agent pending_connects_map_full: $full"

tt_assert_eq "$syn" $N "all $N connects blocked at once (ss: SYN-SENT)"
tt_assert_ge "$full" $EXTRA "pending_connects_map_full counts each connect past the map's $cap"
tt_assert_le "$full" $N "pending_connects_map_full counts no more connects than were made"

tt_finish
