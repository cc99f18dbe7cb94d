#!/usr/bin/env bash
# Snapshot vs ss: in one namespace, ~3000 idle connections, a receiver that
# never reads (20 connections of 100 kB queued), a sender stuck on a zero
# window, TIME_WAIT sockets and SYN-RECV request socks (final ACKs dropped by
# nft).  `tcptriage snapshot --json --netns INODE` must agree with
# `ss -tanm` in that namespace: sockets per state, Recv-Q and Send-Q totals,
# skmem r/w/t/f totals; the non-reading receiver must be the top holder.
# A listener in a second namespace must show up in the default snapshot.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

tt_require ip awk jq ss nft setsid
tt_init snapshot
TT=$TT_ROOT/build/tcptriage
[[ -x $TT ]] || tt_bail "tcptriage not built (run make)"
tt_ttload || tt_bail "build ttload"
CONNS=${TT_SNAPSHOT_CONNS:-1450} # each is two sockets: ~2900 + the rest
LO=127.0.0.1 P_IDLE=5401 P_NOREAD=5402 P_ZWIN=5403 P_SYNRECV=5404 P_OTHER=5405

tt_netns_single main || tt_bail "namespace main"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
tt_netns_single other || tt_bail "namespace other"
NS_OTHER=$TT_NS
ino_other=$(tt_netns_inode "$NS_OTHER")

# Drop the handshake's final ACK to P_SYNRECV: its connections stay request socks.
ip netns exec "$NS" nft -f - <<EOF || tt_bail "nft rule"
table inet tt_snapshot {
	chain input {
		type filter hook input priority 0;
		tcp dport $P_SYNRECV tcp flags & (syn | ack) == ack drop
	}
}
EOF

server() { # OUTNAME PORT [ARGS...]
	local name=$1 port=$2
	shift 2
	tt_bg -o "$TT_TMP/$name.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server --bind $LO \
		--port "$port" --backlog 4096 --seconds 120 "$@" >/dev/null
	tt_wait_for_line "$TT_TMP/$name.out" '^ready$' 5 || tt_bail "$name server ready"
}

client() { # OUTNAME PORT [ARGS...] : wait until it holds its connections
	local name=$1 port=$2
	shift 2
	tt_bg -o "$TT_TMP/$name.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host $LO \
		--port "$port" --seconds 120 "$@" >/dev/null
	tt_wait_for_line "$TT_TMP/$name.out" '^(holding )?connected=' 60 || tt_bail "$name client"
}

server idle $P_IDLE
server noread $P_NOREAD --no-read
reader_pid=$TT_BG_PID
server zwin $P_ZWIN --no-read --rcvbuf 4096
server synrecv $P_SYNRECV
client idle $P_IDLE --conns "$CONNS" --hold 120
client noread $P_NOREAD --conns 20 --bytes 100000 --hold 120
client zwin $P_ZWIN --conns 1 --bytes 200000 --hold 120
zwin_pid=$TT_BG_PID
client synrecv $P_SYNRECV --conns 5 --hold 120
client tw $P_IDLE --conns 30 --hold 0 --close
tt_bg -o "$TT_TMP/other.out" ip netns exec "$NS_OTHER" "$TT_TTLOAD" tcp-server --bind $LO \
	--port $P_OTHER --seconds 120 >/dev/null
other_pid=$TT_BG_PID
tt_wait_for_line "$TT_TMP/other.out" '^ready$' 5 || tt_bail "other server ready"
for f in idle noread zwin synrecv tw; do tt_diag "$f client: $(tail -n 1 "$TT_TMP/$f.out")"; done
noread_rq() { # the non-reading receiver's Recv-Q, summed (ss drops the State column with a state filter)
	# shellcheck disable=SC2016 # awk's fields
	ip netns exec "$NS" ss -Htn state established "( sport = :$P_NOREAD )" | awk '{ s += $1 } END { print s + 0 }'
}
# Let the last segments land in the queues: under emulation (5.10 in qemu) 1 s
# once left 0.4 MB in flight.  They hold the 2 MB sent, or what the receive
# windows let in (6.1's buffers take ~1.6 MB: the rest waits in the senders).
rq=-1
for ((i = 0; i < 40; i++)); do
	sleep 0.25
	prev=$rq rq=$(noread_rq)
	((rq >= 2000000 || (rq > 0 && rq == prev))) && break
done
tt_diag "the non-reading receiver's queues hold $rq bytes (ss)"

# ss's view: state counts, queue totals (Send-Q of a listener is its backlog
# limit, not bytes), and the skmem totals.
ss_summary() {
	ip netns exec "$NS" ss -tanm | awk '
		BEGIN { id["ESTAB"] = "established"; id["SYN-SENT"] = "syn_sent"
			id["SYN-RECV"] = "syn_recv"; id["FIN-WAIT-1"] = "fin_wait1"
			id["FIN-WAIT-2"] = "fin_wait2"; id["TIME-WAIT"] = "time_wait"
			id["UNCONN"] = "close"; id["CLOSE-WAIT"] = "close_wait"
			id["LAST-ACK"] = "last_ack"; id["LISTEN"] = "listen"; id["CLOSING"] = "closing" }
		$1 in id { n[id[$1]]++; rq += $2; if ($1 != "LISTEN") sq += $3 }
		match($0, /skmem:\([^)]*\)/) {
			m = substr($0, RSTART + 7, RLENGTH - 8); k = split(m, f, ",")
			for (i = 1; i <= k; i++) {
				key = f[i]; sub(/[0-9]+$/, "", key); v = substr(f[i], length(key) + 1)
				mem[key] += v
			}
		}
		END { for (s in n) printf "state %s %d\n", s, n[s]
		      printf "recv_q %d\nsend_q %d\n", rq, sq
		      printf "r %d\nw %d\nt %d\nf %d\n", mem["r"], mem["w"], mem["t"], mem["f"] }'
}

snapshot() { # [ARGS...] : JSON lines into $TT_TMP/snap.json
	"$TT" snapshot --json "$@" >"$TT_TMP/snap.json" 2>"$TT_TMP/snap.err"
}

ss_summary >"$TT_TMP/ss.before"
snapshot --netns "$ino" --top 1000000
rc=$?
ss_summary >"$TT_TMP/ss.after"
tt_assert_eq "$rc" 0 "snapshot --netns exits 0"
tt_diag_file "$TT_TMP/snap.err" 5
if ! cmp -s "$TT_TMP/ss.before" "$TT_TMP/ss.after"; then
	tt_diag "the namespace changed while the snapshot ran; ss before/after:"
	tt_diag_file "$TT_TMP/ss.before"
	tt_diag_file "$TT_TMP/ss.after"
fi
SS=$TT_TMP/ss.after
total=$(jq -c 'select(.group == "total")' "$TT_TMP/snap.json")
[[ -n $total ]] || tt_bail "snapshot printed no totals line"
ss_get() { awk -v k="$1" '$1 == k { print $2 }' "$SS"; }
ss_state() { awk -v k="$1" '$1 == "state" && $2 == k { print $3 }' "$SS"; }

tt_assert_ge "$(jq '.sockets' <<<"$total")" $((2 * CONNS)) "snapshot sees the ~$((2 * CONNS + 80)) sockets"
tt_assert_eq "$(jq -r '.states | to_entries | map("\(.key)=\(.value)") | sort | join(" ")' <<<"$total")" \
	"$(awk '$1 == "state" { print $2 "=" $3 }' "$SS" | sort | paste -sd ' ')" \
	"sockets per state == ss -tan"
for s in listen established syn_recv time_wait; do
	tt_assert_ge "$(ss_state $s)" 1 "the namespace has $s sockets (ss)"
done
tt_assert_eq "$(jq '.recv_q' <<<"$total")" "$(ss_get recv_q)" "total Recv-Q == ss"
tt_assert_eq "$(jq '.send_q' <<<"$total")" "$(ss_get send_q)" "total Send-Q (not listeners) == ss"
tt_assert_eq "$(jq '.rmem_alloc' <<<"$total")" "$(ss_get r)" "total rmem_alloc == ss skmem r"
tt_assert_eq "$(jq '.wmem_queued' <<<"$total")" "$(ss_get w)" "total wmem_queued == ss skmem w"
tt_assert_eq "$(jq '.wmem_alloc' <<<"$total")" "$(ss_get t)" "total wmem_alloc == ss skmem t"
tt_assert_eq "$(jq '.forward_alloc' <<<"$total")" "$(ss_get f)" "total forward_alloc == ss skmem f"
tt_assert_eq "$(jq '.bytes' <<<"$total")" "$(($(ss_get r) + $(ss_get w) + $(ss_get f)))" \
	"bytes == r + w + f"
tt_assert_eq "$(jq '.netns_read' <<<"$total")" 1 "--netns reads one namespace"
tt_assert_eq "$(jq '.partial' <<<"$total")" true "--netns is marked partial"

top=$(jq -c 'select(.group == "process" and .rank == 1)' "$TT_TMP/snap.json")
tt_diag "top holder: $top"
tt_diag "non-reading receiver: $(jq -c --argjson p "$reader_pid" 'select(.group == "process" and .pid == $p)' "$TT_TMP/snap.json")"
tt_assert_eq "$(jq '.pid' <<<"$top")" "$reader_pid" "top holder is the non-reading receiver (pid $reader_pid)"
tt_assert_eq "$(jq -r '.reason' <<<"$top")" unread_receive_queue "its reason: unread receive queue"
tt_assert_eq "$(jq '.states.established' <<<"$top")" 20 "it holds its 20 connections"
tt_assert_ge "$rq" 1000000 "ss: the receiver's queues hold most of the 2 MB sent"
tt_assert_eq "$(jq '.recv_q' <<<"$top")" "$(noread_rq)" "its receive queues == ss Recv-Q of its connections"
zw=$(jq -c --argjson p "$zwin_pid" 'select(.group == "process" and .pid == $p)' "$TT_TMP/snap.json")
tt_assert_eq "$(jq -r '.reason' <<<"$zw")" zero_window_send_queue \
	"the sender to the non-reader with a 4 kB buffer: send queue to a zero window"
tt_assert_eq "$(jq -c 'select(.group == "netns") | .netns' "$TT_TMP/snap.json" | sort -u | paste -sd ' ')" \
	"$ino" "--netns shows only that namespace"

# Default: every namespace, the other one included.
snapshot --top 1000000
tt_assert_eq "$?" 0 "snapshot (all namespaces) exits 0"
tt_assert_eq "$(jq -c --argjson n "$ino_other" 'select(.group == "netns" and .netns == $n) | .states.listen' \
	"$TT_TMP/snap.json")" 1 "the listener in the other namespace is seen"
tt_assert_eq "$(jq -c --argjson p "$other_pid" 'select(.group == "process" and .pid == $p) | .netns' \
	"$TT_TMP/snap.json")" "$ino_other" "and is held by its server (pid $other_pid) in that namespace"
total=$(jq -c 'select(.group == "total")' "$TT_TMP/snap.json")
tt_assert_ge "$(jq '.netns_read' <<<"$total")" 3 "at least three namespaces read (initial, main, other)"
tt_diag "sockstat reconciliation (global): $(jq -c '.sockstat + {bytes}' <<<"$total")"
diff=$(jq '.sockstat.difference_bytes | if . < 0 then -. else . end' <<<"$total")
tol=$(jq '.sockstat.tolerance_bytes' <<<"$total")
# Other tests may allocate TCP memory between the two readings: a diagnostic, not an assertion.
((diff <= tol)) || tt_diag "sockstat differs by $diff bytes, more than per-CPU batching ($tol)"

# Text output: a table a person reads, the receiver first.
"$TT" snapshot --netns "$ino" --top 3 >"$TT_TMP/snap.txt" 2>&1
tt_diag_file "$TT_TMP/snap.txt" 30
tt_assert_true "grep -Eq '^$reader_pid +ttload .*unread receive queue' '$TT_TMP/snap.txt'" \
	"text: the receiver's row names its reason"
tt_assert_true "grep -q '^  /proc/net/sockstat TCP mem' '$TT_TMP/snap.txt'" "text: sockstat reconciliation line"

# Time: snapshot vs ss on the same sockets (reported, not asserted).
t0=$EPOCHREALTIME
ip netns exec "$NS" ss -tanmp >/dev/null
t1=$EPOCHREALTIME
"$TT" snapshot --json --netns "$ino" >/dev/null
t2=$EPOCHREALTIME
tt_diag "$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$(jq '.sockets' <<<"$total")" 'BEGIN {
	printf "timing: ss -tanmp %.3f s, tcptriage snapshot --netns %.3f s (ratio %.2f)", b - a, c - b, (c - b) / (b - a) }')"

# Bad input: one line, exit 2.
"$TT" snapshot --netns 1 >/dev/null 2>"$TT_TMP/bad.err"
tt_assert_eq "$?" 2 "--netns of no namespace exits 2"
tt_assert_eq "$(wc -l <"$TT_TMP/bad.err")" 1 "with one line on stderr"
"$TT" snapshot --top 0 >/dev/null 2>&1
tt_assert_eq "$?" 2 "--top 0 exits 2"
"$TT" snapshot --help | grep -q -- '--netns INODE'
tt_assert_eq "$?" 0 "--help documents --netns"

tt_finish
