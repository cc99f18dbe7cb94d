#!/usr/bin/env bash
# The seed's outage (shared/seeds/000_*) for real, in one namespace over
# loopback: a receiver that never reads, a client that fills it and close()s
# every connection with data still unsent (orphans in FIN_WAIT1 behind a
# zero window) and exits.  Only then net.ipv4.tcp_mem goes to "1 2 3" for
# ~3 s and back: the orphans' zero-window probe timers find TCP out of memory,
# the kernel prints "TCP: out of memory -- consider tuning tcp_mem" and aborts
# them (TcpExt.TCPAbortOnMemory, tcp_send_reset reason tcp_abort_on_memory) in
# timer context, where no process of theirs is current.  (The orphans must
# exist before the limit drops: close() under the limit would abort them in
# the closer's own context, which proves nothing about remembering owners.)
#
# The agent must say tcp_mem_exhausted (critical), count exactly the kernel's
# aborts, and name the client that left the orphans -- not the receiver, not
# pid 0 -- in the finding and in one reset event per abort.
# shellcheck disable=SC2016,SC2119  # tt_assert_true evals its argument; ta_stop takes none
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid flock ss
tt_init tcpoom
ta_require
tt_ttload || tt_bail "build ttload"

tt_netns_single oom || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
PORT=5601
CONNS=40
BYTES=1000000
OLD_MEM=$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)

ns_orphans() { ta_ns_orphans "$NS" $PORT; }
ts_s() { # RFC 3339 ts -> epoch seconds with ms
	date -u -d "$1" +%s.%3N
}

# Fill: every connection's data lands in the receiver's queue up to its
# window, the rest stays in the client's send queue; close() orphans it.
AG=$TT_TMP/agent.json
ta_orphan_workload "$NS" $PORT $CONNS $BYTES "$AG"
orph=$(ns_orphans)
tt_diag "before the limit: sockstat $(grep '^TCP:' /proc/net/sockstat); orphans with unsent data in the namespace: $orph"
tt_assert_eq "$orph" $CONNS "every connection is an orphan with unsent data before tcp_mem drops"

# Two agent ticks with the orphans in place: it has read sockstat since.
ta_wait_ticks "$AG" 2 || tt_bail "agent ticks"
mem_before=$(tt_sockstat_tcp mem)

# ------------------------------------- tcp_mem "1 2 3" for at most ~3 s
# The window ends as soon as the namespace has no orphan left: the limit is
# global, every socket on the host is starved while it lasts.
a0=$(tt_nstat "$NS" TcpExt.TCPAbortOnMemory)
peak=$mem_before
t_set=$(date -u +%s.%3N)
tt_sysctl_global_set net.ipv4.tcp_mem "1 2 3" || tt_bail "set tcp_mem"
for ((i = 0; i < 30; i++)); do
	sleep 0.1
	m=$(tt_sockstat_tcp mem)
	((m > peak)) && peak=$m
	(($(ns_orphans) == 0)) && break
done
_tt_sysctl_write net.ipv4.tcp_mem "$OLD_MEM"
t_restore=$(date -u +%s.%3N)
a1=$(tt_nstat "$NS" TcpExt.TCPAbortOnMemory)
tt_diag "receiver after the aborts: $(ip netns exec "$NS" ss -tnH state all "sport = :$PORT" | awk '{ n++; q += $2; st[$1]++ } END { printf "%d sockets, %d unread bytes,", n, q; for (s in st) printf " %s=%d", s, st[s] }')"
tt_assert_eq "$(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem)" "$OLD_MEM" "tcp_mem restored right after the window"
tt_diag "tcp_mem 1 2 3 for $(awk -v a="$t_set" -v b="$t_restore" 'BEGIN { printf "%.2f", b - a }') s; sockstat mem before $mem_before pages, peak $peak; orphans left $(ns_orphans)"
ta_wait_ticks "$AG" 2 || tt_diag "agent did not tick after the window" # its evaluation follows the last abort
ta_stop || tt_bail "agent end line"
ta_show "$AG"
aborts=$((a1 - a0))
left=$(ns_orphans)
tt_diag "kernel: TCPAbortOnMemory delta in the namespace = $aborts; ss: orphans $orph before, $left after"
tt_assert_ge "$aborts" 1 "the kernel aborted orphans on memory (TCPAbortOnMemory grew)"
tt_assert_eq "$aborts" $((orph - left)) "TCPAbortOnMemory delta == the orphans ss saw go (before - after)"

# -------------------------------------------------------------- events
klog=$(jq -c 'select(.type == "event" and .event == "kernel_log" and .verdict == "tcp_out_of_memory")' "$AG" | head -n 1)
tt_diag "kernel_log event: ${klog:0:300}"
console_level=$(cut -f1 /proc/sys/kernel/printk)
if [[ -z $klog && $console_level -le 6 ]]; then
	tt_skip "kernel_log event: console_loglevel $console_level hides the kernel's KERN_INFO verdict from printk:console here"
else
	tt_assert_true '[[ -n $klog ]]' "an event line event=kernel_log verdict=tcp_out_of_memory"
	tt_assert_true 'jq -e ".text | test(\"TCP: out of memory -- consider tuning tcp_mem\")" <<<"$klog" >/dev/null' \
		"the kernel_log event carries the kernel's text"
fi
ev_ns=$(jq -c --argjson ns "$ino" 'select(.type == "event" and .event == "reset" and .reason == "tcp_abort_on_memory" and .netns == $ns)' "$AG" | wc -l)
ev_other=$(jq -c --argjson ns "$ino" 'select(.type == "event" and .event == "reset" and .reason == "tcp_abort_on_memory" and .netns != $ns)' "$AG" | wc -l)
ev_cli=$(jq -c --argjson ns "$ino" --argjson p "$cli" 'select(.type == "event" and .event == "reset" and .reason == "tcp_abort_on_memory" and .netns == $ns and .pid == $p and .comm == "ttload")' "$AG" | wc -l)
tt_diag "reset events tcp_abort_on_memory: $ev_ns in the namespace ($ev_cli naming pid $cli), $ev_other elsewhere (other sockets on the host)"
no_reasons=
ta_kernel_lacks "$AG" reset_reasons && no_reasons="tcp_send_reset has no reason before Linux 6.10, so aborts on memory cannot be told from other resets"
if [[ -n $no_reasons ]]; then
	tt_skip "one reset event per abort, naming its owner: $no_reasons"
else
	tt_assert_eq "$ev_ns" "$aborts" "one reset event per abort in the namespace (== TCPAbortOnMemory delta)"
	tt_assert_eq "$ev_cli" "$ev_ns" "every abort event names the client (pid $cli, comm ttload) as last owner"
fi

# -------------------------------------------------------------- finding
f=$(ta_findings "$AG" tcp_mem_exhausted | tail -n 1)
ff=$(jq -c 'select(.type == "finding" and .cause == "tcp_mem_exhausted" and .final == false)' "$AG" | head -n 1)
tt_assert_true '[[ -n $f ]]' "a final tcp_mem_exhausted finding"
tt_assert_eq "$(jq -r .severity <<<"$f")" critical "tcp_mem_exhausted is critical"
# The evidence counts aborts host-wide: aborts elsewhere on the host in the
# same window (other tests' orphans) are in it too, each with its own event.
ev_aborts=$(jq -r '.evidence.aborts_on_memory // empty' <<<"$f")
tt_diag "evidence.aborts_on_memory=$ev_aborts (minus $ev_other outside the namespace) vs kernel delta $aborts"
tt_assert_eq "$((ev_aborts - ev_other))" "$aborts" "evidence.aborts_on_memory == TCPAbortOnMemory delta in the namespace"
tt_assert_eq "$((ev_aborts - ev_other))" $((orph - left)) "evidence.aborts_on_memory in the namespace == the orphans ss saw go"
tt_assert_eq "$(jq -r '.evidence.tcp_mem_pages_when_crossed // [] | map(tostring) | join(" ")' <<<"$f")" "1 2 3" "report evidence: tcp_mem_pages_when_crossed is the limit that was crossed"
peak_ev=$(jq -r '.evidence.tcp_mem_peak_pages // empty' <<<"$f")
tt_diag "evidence.tcp_mem_peak_pages=$peak_ev; sockstat mem with the orphans in place: $mem_before"
# host-wide pages move with other sockets on the host: allow 10 %
tt_assert_ge "$peak_ev" $((mem_before * 9 / 10)) "evidence.tcp_mem_peak_pages saw the orphans' memory (>= 90% of sockstat mem then)"
# Culprits of this namespace only: the socket snapshot taken when the finding
# fires lists the host's largest holders first, other namespaces' included.
# Before the aborts the client's orphans are the largest holder here; after
# them its aborted sockets are what is left (the receiver's reset sockets are
# CLOSE, out of the hash tables the snapshot walks).
tt_diag "culprits: $(jq -c '[.culprits[] | {pid, comm, netns, why, count, bytes}]' <<<"$f")"
c0=$(jq -r --argjson ns "$ino" '[.culprits[] | select(.netns == $ns)][0].pid // empty' <<<"$f")
tt_assert_eq "$c0" "$cli" "first culprit in the namespace is the client that owned the orphans (pid $cli; receiver is $srv)"
tt_assert_true "[[ '$c0' != '$srv' && '$c0' != 0 ]]" "first culprit in the namespace is neither the receiver nor pid 0"
if [[ -n $no_reasons ]]; then
	tt_skip "the culprit for the aborted sockets: $no_reasons"
else
	tt_assert_eq "$(jq -r --argjson ns "$ino" '[.culprits[] | select(.netns == $ns and (.why | test("aborted")))] | map("\(.pid) \(.count)") | join(",")' <<<"$f")" \
		"$cli $aborts" "the culprit for the aborted sockets is the client, with the kernel's abort count"
fi
c0all=$(jq -r '.culprits[0].pid // empty' <<<"$f")
[[ $c0all != "$cli" ]] && tt_diag "first culprit host-wide is pid $c0all (another namespace's holder), not the client"

# --------------------------------------------------------------- advice
tt_diag "advice (final): $(jq -c .advice <<<"$f")"
tt_assert_true 'jq -e ".advice | length > 0 and (.[0].sysctl == null)" <<<"$f" >/dev/null' \
	"first advice is an application fix (no sysctl)"
cur_final=$(jq -r '[.advice[] | select(.sysctl == "net.ipv4.tcp_mem")][0].current // empty' <<<"$f")
cur_fire=$(jq -r '[.advice[] | select(.sysctl == "net.ipv4.tcp_mem")][0].current // empty' <<<"$ff")
tt_assert_eq "$cur_fire" "1 2 3" "tcp_mem advice when it fired shows the value then in force"
tt_assert_eq "$cur_final" "$OLD_MEM" "tcp_mem advice in the report shows the value now in force"
tt_assert_eq "$(grep -c tcp_tw_recycle "$AG")" 0 "nothing mentions tcp_tw_recycle"

# --------------------------------------------------------------- timing
fired=$(jq -r 'select(.type == "finding" and .cause == "tcp_mem_exhausted" and .final == false) | .ts' "$AG" | head -n 1)
kts=$(jq -r 'select(.type == "event" and .event == "kernel_log" and .verdict == "tcp_out_of_memory") | .ts' "$AG" | head -n 1)
[[ -n $fired ]] && tt_diag "tcp_mem_exhausted fired $(awk -v a="$t_set" -v b="$(ts_s "$fired")" 'BEGIN { printf "%.2f", b - a }') s after tcp_mem changed; kernel_log event after $(awk -v a="$t_set" -v b="$(ts_s "$kts")" 'BEGIN { printf "%.2f", b - a }') s"

tt_finish
