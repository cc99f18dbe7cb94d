#!/usr/bin/env bash
# Every attach form counts the same thing (issue 13), run in each form in turn
# (tp_btf, raw_tp, classic tracepoint; the hooks must attach in that form):
#
# inet_sock_set_state fires for every inet protocol with a state machine
# (MPTCP, SCTP, ...), not only TCP.  In one namespace: 5 TCP and 20 MPTCP
# connections whose clients close while the server keeps its side open.  The
# MPTCP sockets sit in CLOSE_WAIT / FIN_WAIT2 (ss -M) while their TCP subflows
# stay ESTABLISHED, so the TCP truth is what `ss -t` shows: 5 CLOSE_WAIT, and
# 5 FIN_WAIT2 that are orphans (timewait socks: no file, no agent state).  The
# agent's per-socket view (its periodic iter/tcp sweep, run in the namespace
# while the agent runs) must hold exactly the CLOSE_WAIT sockets and the FIN_WAIT2
# ones a process holds (none), and its active_closes in the namespace must be 5: an MPTCP socket
# closing is not a TCP active close.
#
# sock_exceed_buf_limit fires for any protocol's memory accounting.  In
# another namespace a UDP sink that never reads is flooded while
# net.ipv4.udp_mem is "1 2 3" (< 1 s), then a TCP receiver that never reads
# is filled while net.ipv4.tcp_mem is "1 2 3" (~1 s).  A tracefs instance
# of our own counts the kernel's events by protocol name.  The agent's
# mem_limit_hits (what the TCP memory rules read) must not exceed the
# kernel's TCP/MPTCP events (UDP not counted) and must be > 0 when the kernel
# refused TCP memory.  The classic tracepoint's record has no socket: there
# every hit (and every sock_rcvqueue_full) shows in events_without_socket;
# in tp_btf/raw_tp none does.
# shellcheck disable=SC2016,SC2119  # tt_assert_true evals its argument; ta_stop takes none
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid ss bpftool python3 flock mount umount
tt_init attachforms
ta_require
tt_ttload || tt_bail "build ttload"
PY=$(command -v python3)
TCP_CONNS=5 MPTCP_CONNS=20
ST_TCP_PORT=5721 ST_MPTCP_PORT=5722 UDP_PORT=5723 MEM_PORT=5724

MPTCP=1
[[ $(cat /proc/sys/net/mptcp/enabled 2>/dev/null) == 1 ]] || MPTCP=0
((MPTCP)) || tt_skip "MPTCP not enabled here (net.mptcp.enabled): the non-TCP state check runs on TCP alone"

# tracefs at a mount point of our own (the host's mount table is left as it was)
TRACEFS=$TT_TMP/tracefs
mkdir -p "$TRACEFS" || tt_bail "tracefs mount point"
mount -t tracefs nodev "$TRACEFS" || tt_bail "mount tracefs"
tt_cleanup_add "umount $(printf %q "$TRACEFS")"

cat >"$TT_TMP/close_first.py" <<'EOF'
# PROTO PORT N HOLD: N connections to ourselves; every client closes, every
# server side stays open (CLOSE_WAIT) for HOLD seconds
import socket, sys, time
proto = {"tcp": socket.IPPROTO_TCP, "mptcp": 262}[sys.argv[1]]
port, n, hold = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(128)
clients, servers = [], []
for _ in range(n):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    c.connect(("127.0.0.1", port))
    s, _ = l.accept()
    c.sendall(b"x")
    s.recv(1)
    clients.append(c)
    servers.append(s)
for c in clients:
    c.close()
print("closed=%d" % n, flush=True)
time.sleep(hold)
EOF

hook_form() { # FILE TRACEPOINT : the form the agent attached it in ("none" if not)
	jq -r -n --arg t "$2" 'first(inputs | select(.type == "start")) |
		.capabilities.hooks[] | select(.tracepoint.name == $t) | .attached // "none"' "$1"
}

sweep_prog_id() { # PID : id of the sweep_aged iterator program process PID holds
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '$1 == "prog_id:" { print $2 }' "$f" 2>/dev/null)
		[[ -n $id ]] || continue
		[[ $(bpftool -j prog show id "$id" 2>/dev/null | jq -r .name) == sweep_aged ]] && { echo "$id"; return 0; }
	done
	return 1
}

# The agent's per-socket view of leaking states is its periodic sweep
# (iter/task_file sweep_aged, every process's open files): run that very
# program with bpf(2) from python and keep the records of one namespace.
cat >"$TT_TMP/run_iter.py" <<'PYEOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    fd = libc.syscall(321, cmd, buf, 128)  # x86_64 __NR_bpf
    if fd < 0:
        sys.exit("bpf(%d): %s" % (cmd, os.strerror(ctypes.get_errno())))
    return fd
prog = bpf(13, struct.pack("I", int(sys.argv[1])))            # BPF_PROG_GET_FD_BY_ID
link = bpf(28, struct.pack("IIII", prog, 0, 28, 0))            # BPF_LINK_CREATE, BPF_TRACE_ITER
it = bpf(33, struct.pack("II", link, 0))                       # BPF_ITER_CREATE
out = b""
while True:
    b = os.read(it, 65536)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
PYEOF
aged_entries() { # PROG-ID NETNS-INODE STATE : sockets held open the sweep reports in STATE
	# struct tt_aged_sock: skaddr (u64), ino (u64), netns (u32), state (u32), tgid (u32),
	# drops, syn_queued, backlog (u32 each)
	"$PY" "$TT_TMP/run_iter.py" "$1" | od -An -v -tu4 -w40 |
		awk -v ns="$2" -v st="$3" '$5 == ns && $6 == st && ($3 || $4) && $7 { n++ } END { print n + 0 }'
	((PIPESTATUS[0] == 0))
}

trace_instance() { # NAME : a tracefs instance recording sock_exceed_buf_limit (off, empty)
	local d=$TRACEFS/instances/$1
	mkdir "$d" || return 1
	tt_cleanup_add "echo 0 > $(printf %q "$d/events/sock/sock_exceed_buf_limit/enable"); rmdir $(printf %q "$d")"
	echo 8192 >"$d/buffer_size_kb" || return 1
	TI=$d
}

ti_overruns() { # DIR : events the instance's buffer lost
	cat "$1"/per_cpu/cpu*/stats 2>/dev/null | awk '$1 == "overrun:" { s += $2 } END { print s + 0 }'
}

TCP_STATE_CLOSE_WAIT=8 TCP_STATE_FIN_WAIT2=5

# Owners go in socket storage when every hook loads as tp_btf and the kernel lets
# tracing programs keep it (5.11: bpf_sock_from_file() came with it).  A program
# the verifier refuses in storage mode makes the loader retry with the owners
# map, silently: this catches that (once it hid a refusal here and doubled the
# hot path's cost).
STORAGE_KERNEL=0
bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "'BPF_FUNC_sock_from_file'" &&
	STORAGE_KERNEL=1
owners_kept() { jq -r 'select(.type == "start") | .capabilities | "\(.owners) \(.owners_map_why)"' "$1"; }

for F in tp_btf raw_tp tracepoint; do
	tt_diag "---------------- attach form $F"
	tt_netns_single "st-$F" || tt_bail "create namespace st-$F"
	ST=$TT_NS
	st_ino=$(tt_netns_inode "$ST")
	tt_netns_single "mem-$F" || tt_bail "create namespace mem-$F"
	MEM=$TT_NS
	mem_ino=$(tt_netns_inode "$MEM")
	trace_instance "$TT_PREFIX-$F" || tt_bail "tracefs instance"

	AG=$TT_TMP/agent-$F.json
	echo 1 >"$TI/events/sock/sock_exceed_buf_limit/enable"
	ta_start "$AG" --attach "$F" || tt_bail "agent start ($F)"
	tt_assert_eq "$(hook_form "$AG" inet_sock_set_state)" "$F" "$F: inet_sock_set_state attached as $F"
	if [[ $F == tp_btf ]] && ((STORAGE_KERNEL)); then
		tt_assert_eq "$(owners_kept "$AG")" "socket_storage null" "$F: owners kept in socket storage (5.11+)"
	elif ((STORAGE_KERNEL)); then
		tt_assert_eq "$(owners_kept "$AG")" "map attach_form" "$F: owners kept in the owners map, for the form"
	else
		tt_assert_eq "$(owners_kept "$AG")" "map kernel" "$F: owners kept in the owners map, for the kernel"
	fi
	tt_assert_eq "$(hook_form "$AG" sock_exceed_buf_limit)" "$F" "$F: sock_exceed_buf_limit attached as $F"
	# its classic record has no socket: the hook has no classic form
	tt_assert_eq "$(hook_form "$AG" udp_fail_queue_rcv_skb)" "${F/tracepoint/none}" \
		"$F: udp_fail_queue_rcv_skb attached as ${F/tracepoint/none}"

	# ------------------------------------------------ non-TCP state changes
	tt_bg -o "$TT_TMP/tcp-$F.out" ip netns exec "$ST" "$PY" "$TT_TMP/close_first.py" \
		tcp $ST_TCP_PORT $TCP_CONNS 120 >/dev/null
	tcp_pid=$TT_BG_PID
	mptcp_pid=
	if ((MPTCP)); then
		tt_bg -o "$TT_TMP/mptcp-$F.out" ip netns exec "$ST" "$PY" "$TT_TMP/close_first.py" \
			mptcp $ST_MPTCP_PORT $MPTCP_CONNS 120 >/dev/null
		mptcp_pid=$TT_BG_PID
		tt_wait_for_line "$TT_TMP/mptcp-$F.out" '^closed=' 10 || tt_bail "MPTCP connections ($F)"
	fi
	tt_wait_for_line "$TT_TMP/tcp-$F.out" '^closed=' 10 || tt_bail "TCP connections ($F)"
	tt_sleep 0.5 # the peers' FIN processing (a kworker for MPTCP)
	ta_wait_ticks "$AG" 1 || tt_bail "agent ticks ($F)"
	cw=$(ip netns exec "$ST" ss -Htn state close-wait | wc -l)
	fw2=$(ip netns exec "$ST" ss -Htn state fin-wait-2 | wc -l)
	fw2_held=$(ip netns exec "$ST" ss -Htnp state fin-wait-2 | grep -c 'users:')
	mcw=$(ip netns exec "$ST" ss -HMn state close-wait 2>/dev/null | wc -l)
	sid=$(sweep_prog_id "$TA_PID") || tt_bail "the agent's sweep_aged program ($F)"
	a_cw=$(aged_entries "$sid" "$st_ino" $TCP_STATE_CLOSE_WAIT) || tt_bail "run the sweep ($F)"
	a_fw2=$(aged_entries "$sid" "$st_ino" $TCP_STATE_FIN_WAIT2) || tt_bail "run the sweep ($F)"
	tt_diag "$F: ss -t close-wait=$cw fin-wait-2=$fw2 (held by a process: $fw2_held), ss -M close-wait=$mcw; agent aged CLOSE_WAIT=$a_cw FIN_WAIT2=$a_fw2"

	tt_assert_eq "$cw" $TCP_CONNS "$F: ss shows $TCP_CONNS TCP sockets in CLOSE_WAIT"
	((MPTCP)) && tt_assert_eq "$mcw" $MPTCP_CONNS "$F: ss -M shows $MPTCP_CONNS MPTCP sockets in CLOSE_WAIT"
	tt_assert_eq "$a_cw" "$cw" "$F: the agent holds as many CLOSE_WAIT sockets as ss -t shows (no MPTCP)"
	tt_assert_eq "$a_fw2" "$fw2_held" "$F: the agent holds as many FIN_WAIT2 sockets as ss -tp shows held (no MPTCP)"

	# ------------------------------------------------ UDP, then TCP, memory limit hits
	tt_bg -o "$TT_TMP/udp-sink-$F.out" ip netns exec "$MEM" "$TT_TTLOAD" udp-sink \
		--bind 127.0.0.1 --port $UDP_PORT --rcvbuf 33554432 --seconds 60 >/dev/null
	udp_sink=$TT_BG_PID
	tt_bg -o "$TT_TMP/srv-$F.out" ip netns exec "$MEM" "$TT_TTLOAD" tcp-server \
		--bind 127.0.0.1 --port $MEM_PORT --no-read --rcvbuf 4194304 --seconds 60 >/dev/null
	srv=$TT_BG_PID
	tt_wait_for_line "$TT_TMP/srv-$F.out" '^ready$' 5 || tt_bail "tcp-server ready ($F)"
	tt_sleep 0.2 # the sink is bound

	OLD_UDP=$(tr '\t' ' ' </proc/sys/net/ipv4/udp_mem)
	tt_sysctl_global_set net.ipv4.udp_mem "1 2 3" || tt_bail "set udp_mem"
	ip netns exec "$MEM" "$TT_TTLOAD" udp-flood --host 127.0.0.1 --port $UDP_PORT \
		--count 3000 --size 1000 --seconds 5 >"$TT_TMP/udp-flood-$F.out" 2>&1
	_tt_sysctl_write net.ipv4.udp_mem "$OLD_UDP"

	OLD_TCP=$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)
	tt_sysctl_global_set net.ipv4.tcp_mem "1 2 3" || tt_bail "set tcp_mem"
	ip netns exec "$MEM" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $MEM_PORT \
		--conns 2 --bytes 4000000 --seconds 5 >"$TT_TMP/cli-$F.out" 2>&1
	_tt_sysctl_write net.ipv4.tcp_mem "$OLD_TCP"

	ta_wait_ticks "$AG" 1 || tt_bail "agent ticks ($F)"
	ta_stop || tt_bail "agent end line ($F)"
	echo 0 >"$TI/events/sock/sock_exceed_buf_limit/enable"
	for p in $tcp_pid $mptcp_pid $udp_sink $srv; do kill -TERM -- "-$p" 2>/dev/null; done

	k_udp=$(grep -c ' proto:UDP' "$TI/trace")
	k_tcp=$(grep -cE ' proto:(TCP|TCPv6|MPTCP|MPTCPv6) ' "$TI/trace")
	lost=$(ti_overruns "$TI")
	hits=$(ta_total "$AG" mem_limit_hits)
	ns_hits=$(ta_ns_counter "$AG" "$mem_ino" mem_limit_hits)
	rcvq=$(ta_total "$AG" rcvq_full)
	nosk=$(ta_end "$AG" | jq -r '.agent.events_without_socket // "absent"')
	ac=$(ta_ns_counter "$AG" "$st_ino" active_closes)
	tt_diag "$F: udp-flood $(tail -n 1 "$TT_TMP/udp-flood-$F.out"); tcp-client $(tail -n 1 "$TT_TMP/cli-$F.out")"
	tt_diag "$F: kernel exceed_buf events UDP=$k_udp TCP/MPTCP=$k_tcp (instance overruns $lost); agent mem_limit_hits=$hits (in namespace $mem_ino: $ns_hits) rcvq_full=$rcvq events_without_socket=$nosk; active_closes in $st_ino: $ac"

	tt_assert_eq "$ac" "$fw2" "$F: active_closes in the namespace == TCP sockets that closed first (ss fin-wait-2), no MPTCP"
	tt_assert_eq "$lost" 0 "$F: the tracefs instance lost no event"
	tt_assert_ge "$k_udp" 100 "$F: the kernel refused UDP memory (sock_exceed_buf_limit proto:UDP)"
	tt_assert_le "$hits" "$k_tcp" "$F: mem_limit_hits <= the kernel's TCP/MPTCP events: UDP is not counted as TCP memory"
	if ((k_tcp > 0)); then
		tt_assert_ge "$hits" 1 "$F: TCP memory limit hits are counted"
	else
		tt_skip "$F: the kernel refused no TCP memory this time: TCP counting not checked"
	fi
	if [[ $F == tracepoint ]]; then
		tt_assert_eq "$nosk" "$((hits + rcvq))" \
			"$F: every hit and full receive queue is counted without its socket (events_without_socket)"
	else
		tt_assert_eq "$nosk" 0 "$F: no event counted without its socket"
		((k_tcp > 0)) && tt_diag "$F: hits charged to the test's namespace: $ns_hits"
	fi
done

tt_finish
