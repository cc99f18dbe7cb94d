#!/usr/bin/env bash
# scripts/bench.sh - `make bench`: what tcptriage costs, every figure a ratio
# measured side by side in one run, repeated, with median and spread.
#
#   1. ns/event of each agent program vs an empty program on the same hook
#      (build/bench/floor, BPF_ENABLE_STATS) under loopback connection churn,
#      the same for the bpftrace peer (bench/tcptriage.bt), and what single
#      helpers and map operations cost (floor --ops)
#   2. churn rate and bulk throughput: no agent / agent (always-on `tcptriage
#      run`) / bpftrace, rounds of three in rotating order
#   3. agent memory (RSS, BPF map memory) and start-up time
#   4. ns/event at ~1k, 10k, 100k connects/s to a closed port (each: one RST
#      sent, one received, one drop), ring buffer losses at the highest rate
#   5. `tcptriage snapshot` vs `ss -tanmp` on the same 0, ~10k, then ~100k sockets
#   6. the agent's tick time (`run --interval 1`) on the host as it is, then with 1,000 more
#      network namespaces and ~100k sockets: tick ms, its share of the interval, the oldest
#      namespace reading, CPU
# Writes bench/results.md and bench/overhead.png; raw data stays in build/bench.
# Traffic stays in a network namespace of its own (snapshot: loopback).
# Knobs: BENCH_ROUNDS (7), BENCH_CHURN_S (4), BENCH_WINDOWS (5), BENCH_WINDOW_S (3),
# BENCH_BULK_BYTES (3e9), BENCH_NICE (-5: steadier numbers on a busy host), BENCH_SNAP_RUNS (5),
# BENCH_TICK_NS (1000), BENCH_TICK_SOCKS (100000), BENCH_TICK_S (20),
# BENCH_ONLY=costs|rates|snapshot|tick (that phase alone: prints its rows, leaves bench/results.md
# as it is; costs: phase 1 with the per-connection figures, rates: phase 4, to compare two
# builds quickly).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=../tests/lib.sh
source tests/lib.sh

ROUNDS=${BENCH_ROUNDS:-7}
CHURN_S=${BENCH_CHURN_S:-4}
WINDOWS=${BENCH_WINDOWS:-5}
WINDOW_S=${BENCH_WINDOW_S:-3}
BULK_BYTES=${BENCH_BULK_BYTES:-3000000000}
RATES=(1000 10000 100000)
MIN_RATE=10 # events/s below which a hook is not part of the churn load
PORT=5201
CLOSED_PORT=9
B=build/bench
AGENT=build/tcptriage
FLOOR=$B/floor
RATEGEN=$B/rategen
SYSCOST=$B/syscost
BT_SCRIPT=bench/tcptriage.bt
RESULTS=bench/results.md
PNG=bench/overhead.png
COSTS=$B/costs.tsv     # phase tag, who, hook, runs, ns/event (one line per window)
ROUNDS_TSV=$B/rounds.tsv # round, tool, churn conns/s, bulk GB/s

# Hook of a classic tracepoint program (bpftrace), as the agent names it.
HOOK_OF_TP='{"inet_sock_set_state":"set_state","tcp_destroy_sock":"destroy_sock",
 "sys_enter_listen":"listen_enter","sys_enter_connect":"connect_enter",
 "sys_exit_connect":"connect_exit","tcp_retransmit_skb":"retransmit",
 "tcp_retransmit_synack":"synack_retransmit","kfree_skb":"drop",
 "sock_exceed_buf_limit":"exceed_buf","sock_rcvqueue_full":"rcvq_full",
 "tcp_send_reset":"send_reset","tcp_receive_reset":"receive_reset","console":"console"}'

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need_tools() { # bpftrace and gnuplot are only needed here: install them on demand
	local -a missing=()
	command -v bpftrace >/dev/null || missing+=(bpftrace)
	command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
	if ((${#missing[@]})); then
		say "installing ${missing[*]}"
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed"
	fi
	for c in bpftool jq ip ss bpftrace gnuplot unshare; do
		command -v "$c" >/dev/null || die "missing command: $c"
	done
	[[ $(id -u) -eq 0 ]] || die "needs root (BPF, network namespaces)"
}

# ------------------------------------------------------------ statistics

summary() { # numbers on stdin -> "median min max n" ("- - - 0" when none)
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (!NR) { print "- - - 0"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.4g %.4g %.4g %d\n", m, v[1], v[NR], NR
		}'
}

# Formatters of a summary: fmt_ratio $(... | summary) -> "1.23x [1.10-1.40]"
fmt_ratio() { [[ ${4:-0} == 0 ]] && echo "n/a" || printf '%.2fx [%.2f-%.2f]' "$1" "$2" "$3"; }
fmt_num() { [[ ${4:-0} == 0 ]] && echo "n/a" || printf '%.4g [%.4g-%.4g]' "$1" "$2" "$3"; }
median() { summary | awk '{ print $1 }'; }

# ------------------------------------------------------------- processes

AGENT_PID= FLOOR_PID= BT_PID= STARTUP_MS=

agent_start() { # OUT [ARGS] : the agent in the background (default `diagnose --json`);
	#   STARTUP_MS to its start line
	local out=$1 t0
	shift
	local -a args=("$@")
	((${#args[@]})) || args=(diagnose --json --duration 600)
	: >"$out"
	t0=$EPOCHREALTIME
	tt_bg -o "$out.err" sh -c 'out=$1; shift; exec "$@" >"$out"' _ "$out" "$AGENT" "${args[@]}" >/dev/null
	AGENT_PID=$TT_BG_PID
	tt_wait_for_line "$out" '"type":"start"' 30 || die "agent did not start: $(tail -n 3 "$out.err")"
	STARTUP_MS=$(start_ms "$out" "$t0")
}

start_ms() { # OUT T0 : ms from T0 (EPOCHREALTIME) to the start line's ts
	local ts
	ts=$(jq -r 'select(.type == "start") | .ts' "$1" | head -n 1)
	echo $(($(date -d "$ts" +%s%3N) - ${2/[.,]/} / 1000))
}

agent_stop() { # OUT [SECONDS] : SIGINT, wait for the end line (15 s)
	kill -INT "$AGENT_PID" 2>/dev/null
	tt_wait_for_line "$1" '"type":"end"' "${2:-15}" || say "agent printed no end line"
	wait_gone "$AGENT_PID"
	AGENT_PID=
}

wait_gone() { # PID : up to 10 s
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
}

floor_start() { # [--ops]
	tt_bg -o "$B/floor.out" "$FLOOR" --seconds 600 "$@" >/dev/null
	FLOOR_PID=$TT_BG_PID
	tt_wait_for_line "$B/floor.out" '^ready' 30 || die "floor did not start: $(tail -n 3 "$B/floor.out")"
}

floor_stop() {
	kill -TERM "$FLOOR_PID" 2>/dev/null
	wait_gone "$FLOOR_PID"
	FLOOR_PID=
}

bt_start() { # STARTUP_MS until every probe is attached (50 ms polling); private tracefs
	local t0=$EPOCHREALTIME i
	tt_bg -o "$B/bt.out" unshare -m sh -c \
		'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace "$0"' "$BT_SCRIPT" >/dev/null
	BT_PID=$TT_BG_PID
	tt_wait_for_line "$B/bt.out" '^Attaching' 60 || die "bpftrace did not start: $(tail -n 3 "$B/bt.out")"
	for ((i = 0; i < 100; i++)); do # attached once every tracepoint has its program
		(($(bpftool -j perf | jq --argjson p "$BT_PID" '[.[] | select(.pid == $p)] | length') >= 15)) && break
		sleep 0.05
	done
	STARTUP_MS=$(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000))
}

bt_stop() {
	kill -INT "$BT_PID" 2>/dev/null
	wait_gone "$BT_PID"
	BT_PID=
}

# ------------------------------------------------------------------ load

in_ns() { ip netns exec "$TT_NS" "$@"; }

churn() { # SECONDS [--linger0: close with a reset] -> connections/s
	in_ns "$TT_TTLOAD" churn --host 127.0.0.1 --port "$PORT" --seconds "$@" |
		sed -n 's/.*rate=\([0-9.]*\).*/\1/p'
}

# On a shared host the wall-clock rate of a ping-pong load mostly measures
# how long the scheduler makes it wait, so every load run also reports the CPU
# it cost: the client (getrusage via `time`), the server, the softirq threads
# and the tool under test (its userspace), from /proc/PID/schedstat.
SERVER_PID= TOOL_PID= LOAD_CPU_NS= LOAD_WALL_S=
mapfile -t KSOFTIRQD < <(pgrep '^ksoftirqd/')

cpu_ns() { # PID... : CPU time used so far, summed (ns)
	local p v s=0
	for p in "$@"; do
		read -r v _ <"/proc/$p/schedstat" 2>/dev/null && s=$((s + v))
	done
	echo "$s"
}

load_run() { # OUT CMD... : run CMD in the namespace; sets LOAD_CPU_NS and LOAD_WALL_S
	local out=$1 c0 t
	shift
	c0=$(cpu_ns "$SERVER_PID" "${KSOFTIRQD[@]}" $TOOL_PID)
	t=$( { TIMEFORMAT='%3R %3U %3S'; time in_ns "$@" >"$out" 2>/dev/null; } 2>&1)
	LOAD_CPU_NS=$(($(cpu_ns "$SERVER_PID" "${KSOFTIRQD[@]}" $TOOL_PID) - c0 +
		$(awk '{ printf "%d", ($2 + $3) * 1e9 }' <<<"$t")))
	LOAD_WALL_S=${t%% *}
}

churn_measured() { # -> "conns/s conns-per-CPU-second"
	local n
	load_run "$B/churn.out" "$TT_TTLOAD" churn --host 127.0.0.1 --port "$PORT" --seconds "$CHURN_S"
	n=$(sed -n 's/^connections=\([0-9]*\) .*/\1/p' "$B/churn.out")
	awk -v n="${n:-0}" -v w="$LOAD_WALL_S" -v c="$LOAD_CPU_NS" \
		'BEGIN { printf "%.1f %.1f\n", n / w, (c > 0 ? n / (c / 1e9) : 0) }'
}

syscall_measured() { # -> ns one getppid() takes: a tracer may tax every syscall, not its own
	"$SYSCOST" | sed -n 's/^ns_per_syscall=//p'
}

bulk_measured() { # -> "GB/s GB-per-CPU-second" of one connection writing BULK_BYTES
	local b
	load_run "$B/bulk.out" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port "$PORT" \
		--bytes "$BULK_BYTES" --close --seconds 60
	b=$(sed -n 's/^connected=.* bytes=\([0-9]*\)$/\1/p' "$B/bulk.out")
	awk -v b="${b:-0}" -v w="$LOAD_WALL_S" -v c="$LOAD_CPU_NS" \
		'BEGIN { printf "%.3f %.3f\n", b / w / 1e9, (c > 0 ? b / c : 0) }'
}

# ---------------------------------------------------- per-program costs

owned() { # PID KIND : ids of BPF objects (prog|map) whose fds PID holds
	grep -hs "^$2_id:" /proc/"$1"/fdinfo/* | awk '{ print $2 }' | sort -un | jq -sc .
}

idmap() { # -> JSON [{id, who, hook}] for the agent's hook programs (the loader names
	#   them <hook>__btf|__raw|__tp; iterators are not hooks), floor and bpftrace
	local agent='[]' floor='[]' bt='[]'
	[[ -n $AGENT_PID ]] && agent=$(owned "$AGENT_PID" prog)
	[[ -n $FLOOR_PID ]] && floor=$(owned "$FLOOR_PID" prog)
	{ bpftool -j prog show; bpftool -j perf; } | jq -sc \
		--argjson a "$agent" --argjson f "$floor" --argjson bp "${BT_PID:-0}" \
		--argjson tp "$HOOK_OF_TP" '
		(.[0][] | select(.id as $i | $a | index($i)) | select(.name | test("__(btf|raw|tp)$")) |
			{id, who: "agent", hook: (.name | sub("__(btf|raw|tp)$"; ""))}),
		(.[0][] | select(.id as $i | $f | index($i)) |
			(.name | capture("^(?<hook>.*)__(?<who>floor|op_.*)$")) + {id}),
		(.[1][] | select(.pid == $bp and .fd_type == "tracepoint") |
			{id: .prog_id, who: "bpftrace", hook: ($tp[.tracepoint] // .tracepoint)})' | jq -sc .
}

window() { # TAG SECONDS CMD... : run CMD, append each program's ns/event to COSTS
	local tag=$1 secs=$2 map
	shift 2
	map=$(idmap)
	bpftool -j prog show >"$B/before.json"
	"$@" >"$B/window.out"
	bpftool -j prog show >"$B/after.json"
	cp "$B/window.out" "$B/window-$tag.out"
	jq -rn --slurpfile a "$B/before.json" --slurpfile b "$B/after.json" \
		--argjson m "$map" --arg tag "$tag" '
		($a[0] | map({key: (.id | tostring), value: .}) | from_entries) as $A |
		($b[0] | map({key: (.id | tostring), value: .}) | from_entries) as $B |
		$m[] | . as $e | ($B[$e.id | tostring] // {}) as $p | ($A[$e.id | tostring] // {}) as $q |
		(($p.run_cnt // 0) - ($q.run_cnt // 0)) as $n |
		(($p.run_time_ns // 0) - ($q.run_time_ns // 0)) as $t |
		select($n > 0) | [$tag, $e.who, $e.hook, $n, ($t / $n)] | @tsv' >>"$COSTS"
}

costs_of() { # TAG-REGEX WHO HOOK -> ns/event per window, one a line
	awk -F'\t' -v t="$1" -v w="$2" -v h="$3" '$1 ~ t && $2 == w && $3 == h { print $5 }' "$COSTS"
}

cross_ratios() { # TAG1 WHO1 TAG2 WHO2 HOOK -> WHO1 (in TAG1<i>) / WHO2 (in TAG2<i>), per i
	awk -F'\t' -v t1="$1" -v w1="$2" -v t2="$3" -v w2="$4" -v h="$5" '
		$3 != h { next }
		{ i = $1; sub(/^[a-zA-Z]*/, "", i); t = $1; sub(/[0-9]+$/, "", t) }
		t == t1 && $2 == w1 { a[i] = $5 }
		t == t2 && $2 == w2 { b[i] = $5 }
		END { for (i in a) if ((i in b) && b[i] > 0) print a[i] / b[i] }' "$COSTS"
}

runs_of() { # TAG-REGEX HOOK SECONDS -> events per second on HOOK (the agent's counts)
	awk -F'\t' -v t="$1" -v h="$2" -v s="$3" '$1 ~ t && $3 == h && $2 == "agent" { print $4 / s }' "$COSTS"
}

busy_hooks() { # TAG-REGEX SECONDS MIN-PER-S -> hooks the agent saw at least MIN events/s on
	local h
	for h in $(hooks_seen "$1" agent); do
		awk -v r="$(runs_of "$1" "$h" "$2" | median)" -v m="$3" 'BEGIN { exit !(r >= m) }' && echo "$h"
	done
}

hooks_seen() { # TAG-REGEX WHO -> hooks with events
	awk -F'\t' -v t="$1" -v w="$2" '$1 ~ t && $2 == w { print $3 }' "$COSTS" | sort -u
}

# ---------------------------------------------------------------- phases

# Programs on one tracepoint run in attach order, and the first pays more,
# whatever it does (its clock reads, its code and data cold: ~20-60 ns an event
# here; an A/B of one agent against itself moved ns/event by 1.5x with the order
# alone).  So each tool is measured attached first, as it runs alone: windows
# <load>A have the agent first, <load>F the floor, churnB bpftrace; ratios pair
# window i of one with window i of the other.  Loads: churn (normal close) and
# rst (the same churn closing with a reset: SO_LINGER 0).
load_windows() { # ORDER [LOADS]: WINDOWS windows of each load (default: churn and rst)
	local i load
	for ((i = 1; i <= WINDOWS; i++)); do
		for load in ${2:-churn rst}; do
			if [[ $load == rst ]]; then
				window "rst$1$i" "$WINDOW_S" churn "$WINDOW_S" --linger0
			else
				window "churn$1$i" "$WINDOW_S" churn "$WINDOW_S"
			fi
		done
	done
}

phase_costs() { # agent, floor, bpftrace under churn, each attached first; memory while they run
	local i
	say "1/6 per-event cost: agent, floor, bpftrace each attached first, normal and RST close, $WINDOWS x ${WINDOW_S}s"
	agent_start "$B/costs-agent.json"
	floor_start
	bt_start
	load_windows A
	memory_snapshot
	agent_stop "$B/costs-agent.json"
	bt_stop
	agent_start "$B/costs-agent2.json" # the floor is first now
	load_windows F
	floor_stop
	agent_stop "$B/costs-agent2.json"
	bt_start
	agent_start "$B/costs-agent3.json" # bpftrace first
	floor_start                        # last: it holds the BPF stats on
	load_windows B churn
	agent_stop "$B/costs-agent3.json"
	bt_stop
	floor_stop
	say "    operation breakdown (floor --ops), 3 x ${WINDOW_S}s"
	floor_start --ops
	for ((i = 1; i <= 3; i++)); do
		window "ops$i" "$WINDOW_S" churn "$WINDOW_S"
	done
	floor_stop
}

MEM_AGENT_RSS= MEM_AGENT_HWM= MEM_AGENT_MAPS= MEM_AGENT_PROGS= MEM_BT_RSS= MEM_BT_MAPS=

memlock_kib() { # KIND IDS-JSON -> KiB of bytes_memlock over those ids
	bpftool -j "$1" show | jq --argjson ids "$2" \
		'[.[] | select(.id as $i | $ids | index($i)) | .bytes_memlock | tonumber] | add // 0 | . / 1024 | floor'
}

rss_kib() { awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status; }

memory_snapshot() {
	MEM_AGENT_RSS=$(rss_kib "$AGENT_PID" VmRSS)
	MEM_AGENT_HWM=$(rss_kib "$AGENT_PID" VmHWM)
	MEM_AGENT_MAPS=$(memlock_kib map "$(owned "$AGENT_PID" map)")
	MEM_AGENT_PROGS=$(memlock_kib prog "$(owned "$AGENT_PID" prog)")
	MEM_BT_RSS=$(rss_kib "$BT_PID" VmRSS)
	MEM_BT_MAPS=$(memlock_kib map "$(owned "$BT_PID" map)")
}

STARTUP_AGENT=() STARTUP_BT=()

tool_start() { # none|agent|bpftrace ROUND : TOOL_PID is what runs (none: nothing)
	case $1 in
	agent) agent_start "$B/round$2-agent.json" run && STARTUP_AGENT+=("$STARTUP_MS") ;;
	bpftrace) bt_start && STARTUP_BT+=("$STARTUP_MS") ;;
	esac
	TOOL_PID=
	[[ $1 == agent ]] && TOOL_PID=$AGENT_PID
	[[ $1 == bpftrace ]] && TOOL_PID=$BT_PID
}

tool_stop() { # none|agent|bpftrace ROUND
	case $1 in
	agent) agent_stop "$B/round$2-agent.json" ;;
	bpftrace) bt_stop ;;
	esac
	TOOL_PID=
}

# ROUNDS_TSV: round tool conns/s conns/CPU-s GB/s GB/CPU-s ns/syscall
phase_rounds() { # no agent / agent / bpftrace, rotating order, no stats
	local r k tool churn bulk sys
	local -a tools=(none agent bpftrace)
	say "2/6 churn ${CHURN_S}s + bulk $((BULK_BYTES / 1000000)) MB: none/agent/bpftrace x $ROUNDS rounds"
	: >"$ROUNDS_TSV"
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((k = 0; k < 3; k++)); do
			tool=${tools[(r + k) % 3]}
			tool_start "$tool" "$r"
			churn=$(churn_measured)
			bulk=$(bulk_measured)
			sys=$(syscall_measured)
			tool_stop "$tool" "$r"
			printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$tool" "${churn// /$'\t'}" "${bulk// /$'\t'}" \
				"$sys" >>"$ROUNDS_TSV"
		done
		say "    round $r: $(awk -F'\t' -v r="$r" '$1 == r { printf "%s %.0f/s (%.0f/CPU-s) %.2f GB/s %.0f ns/syscall  ", $2, $3, $4, $5, $7 }' "$ROUNDS_TSV")"
	done
}

round_ratios() { # TOOL COLUMN -> TOOL/none per round, one a line
	awk -F'\t' -v t="$1" -v c="$2" '{ v[$1, $2] = $c; r[$1] = 1 }
		END { for (k in r) if (v[k, "none"] > 0 && (k, t) in v) print v[k, t] / v[k, "none"] }' "$ROUNDS_TSV"
}

RINGBUF_FULL= RATE_ACHIEVED=()

# The rate windows, attached in ORDER (F: floor first, A: agent first), tagged rate<ORDER><rate>w<i>;
# the connects/s each achieved appended to $B/achieved-<rate>.
rate_windows() { # ORDER
	local rate i
	for rate in "${RATES[@]}"; do
		for ((i = 1; i <= 3; i++)); do
			window "rate$1${rate}w$i" 2 in_ns "$RATEGEN" --host 127.0.0.1 --port "$CLOSED_PORT" \
				--rate "$rate" --seconds 2 --workers 2
			sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$B/window.out" >>"$B/achieved-$rate"
		done
	done
}

# ns/event at fixed connect rates to a closed port.  As in phase 1, each is measured
# attached first, as it runs alone: the first program on a tracepoint pays ~60 ns more on
# tcp_destroy_sock, whatever it does (the agent 104 ns/event first, 40 second, once here).
phase_rates() {
	local rate lost=0 order
	say "3/6 event-rate scaling: ${RATES[*]} connects/s to a closed port, 3 x 2s each, both attach orders"
	rm -f "$B"/achieved-*
	for order in F A; do
		if [[ $order == F ]]; then floor_start; fi
		agent_start "$B/rates-agent-$order.json"
		if [[ $order == A ]]; then floor_start; fi
		rate_windows "$order"
		agent_stop "$B/rates-agent-$order.json"
		floor_stop
		lost=$((lost + $(jq -r 'select(.type == "end") | .agent.ringbuf_full // 0' "$B/rates-agent-$order.json")))
	done
	for rate in "${RATES[@]}"; do
		RATE_ACHIEVED+=("$(summary <"$B/achieved-$rate")")
	done
	RINGBUF_FULL=$lost
}

SNAPSHOT_ROWS=() SNAPSHOT_NOTE=
SNAP_RUNS=${BENCH_SNAP_RUNS:-5}
SNAP_NS= SNAP_PIDS=()

MEM_10K= MEM_100K= MEMLOCK_KIB=

agent_memlock() { # MEMLOCK_KIB: BPF map memory of an agent started now (maps sized at start-up)
	agent_start "$B/memlock-agent.json" run
	MEMLOCK_KIB=$(memlock_kib map "$(owned "$AGENT_PID" map)")
	agent_stop "$B/memlock-agent.json"
}

snap_in() { nsenter --net="/run/netns/$SNAP_NS" "$@"; } # both tools enter the same way

snap_hold() { # PORT PAIRS CONNS : PAIRS loopback server/client pairs from PORT on, each holding
	#   CONNS connections (2 sockets each), in the snapshot namespace
	local port=$1 last=$(($1 + $2)) p got
	for ((p = port; p < last; p++)); do
		tt_bg -o "$B/snap-srv$p.out" nsenter --net="/run/netns/$SNAP_NS" prlimit --nofile=$(($3 + 64)) "$TT_TTLOAD" \
			tcp-server --bind 127.0.0.1 --port "$p" --backlog 4096 --max-conns "$3" --seconds 900 >/dev/null
		SNAP_PIDS+=("$TT_BG_PID")
		tt_wait_for_line "$B/snap-srv$p.out" '^ready$' 5 || die "snapshot server :$p did not start"
		tt_bg -o "$B/snap-cli$p.out" nsenter --net="/run/netns/$SNAP_NS" prlimit --nofile=$(($3 + 64)) "$TT_TTLOAD" \
			tcp-client --host 127.0.0.1 --port "$p" --conns "$3" --hold 900 --seconds 890 >/dev/null
		SNAP_PIDS+=("$TT_BG_PID")
	done
	for ((p = port; p < last; p++)); do
		tt_wait_for_line "$B/snap-cli$p.out" '^holding' 120 || die "snapshot client :$p did not connect"
		got=$(sed -n 's/^holding connected=//p' "$B/snap-cli$p.out")
		((got == $3)) || die "snapshot client :$p connected $got of $3"
	done
}

snap_ms() { # OUT CMD... -> wall-clock ms of CMD (output to OUT)
	local out=$1 t0
	shift
	t0=$EPOCHREALTIME
	"$@" >"$out" 2>&1
	echo $(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000))
}

snap_measure() { # LABEL [GOAL] : SNAP_RUNS pairs (after one warm-up pair), order alternating; each
	#   pair must see one socket count, the same for both tools
	local label=$1 goal=${2:-} inode i t tool n_a n_s count= a=() s=() ratio
	inode=$(tt_netns_inode "$SNAP_NS")
	for ((i = 0; i <= SNAP_RUNS; i++)); do
		for tool in $( ((i % 2)) && echo "tt ss" || echo "ss tt"); do
			if [[ $tool == tt ]]; then
				t=$(snap_ms "$B/snapshot.out" snap_in "$AGENT" snapshot --netns "$inode")
				((i)) && a+=("$t")
			else
				t=$(snap_ms "$B/ss.out" snap_in ss -tanmp)
				((i)) && s+=("$t")
			fi
		done
		n_a=$(sed -n 's/^TCP sockets: \([0-9]*\) in 1 network namespace.*/\1/p' "$B/snapshot.out")
		n_s=$(awk 'NR > 1 && /^[A-Z]/ { n++ } END { print n + 0 }' "$B/ss.out")
		[[ -n $n_a && $n_a == "$n_s" && ${count:-$n_a} == "$n_a" ]] ||
			die "snapshot ($label): tcptriage saw ${n_a:-?} sockets, ss $n_s (earlier ${count:-none})"
		count=$n_a
	done
	ratio=$(paste <(printf '%s\n' "${s[@]}") <(printf '%s\n' "${a[@]}") | awk '$2 > 0 { print $1 / $2 }' | summary)
	SNAPSHOT_ROWS+=("| $label: $count sockets, both tools (ms) | $(fmt_num $(printf '%s\n' "${a[@]}" | summary)) | $(fmt_num $(printf '%s\n' "${s[@]}" | summary)) | ss/snapshot $(fmt_ratio $ratio)${goal:+ (goal $goal)} |")
	say "    $label: $count sockets: ss/snapshot $(fmt_ratio $ratio)"
}

snap_ns_up() { # the snapshot namespace (SNAP_NS): lo up, room for ~55k connections a port
	SNAP_NS=$TT_PREFIX-snap
	_tt_netns_add "$SNAP_NS" && ip -n "$SNAP_NS" link set lo up || die "cannot create $SNAP_NS"
	tt_sysctl_ns_set "$SNAP_NS" net.ipv4.ip_local_port_range "10000 65535" || die "port range"
}

snap_release() { # stop what snap_hold started, delete the snapshot namespace
	local p
	for p in "${SNAP_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${SNAP_PIDS[@]}"; do
		wait_gone "$p"
	done
	SNAP_PIDS=()
	_tt_netns_del "$SNAP_NS"
}

phase_snapshot() { # tcptriage snapshot vs ss -tanmp on the same 0, ~10k, then ~100k sockets
	say "5/6 snapshot vs ss -tanmp on 0, ~10k, then ~100k loopback sockets, $SNAP_RUNS runs each"
	snap_ns_up
	snap_measure "empty namespace (what each tool pays anyway)"
	snap_hold 5301 1 5000
	snap_measure "10k"
	agent_memlock && MEM_10K=$MEMLOCK_KIB
	snap_hold 5302 4 11250
	snap_measure "100k" ">= 10x"
	agent_memlock && MEM_100K=$MEMLOCK_KIB
	snap_release
	SNAPSHOT_NOTE="Both tools run in the bench's namespace (\`nsenter --net\`), tcptriage as \`snapshot --netns INODE\` (text output), ss as \`ss -tanmp\`, output to a file; one warm-up pair, then $SNAP_RUNS pairs in alternating order; each pair counted the same sockets. Sockets: loopback connections held by \`ttload\` (10k: 1 pair of 5000 connections; 100k: 4 more pairs of 11250, ip_local_port_range 10000-65535). The empty namespace is what each tool pays whatever it reads: for tcptriage mostly libbpf loading its two iterators (reading the kernel's BTF and matching CO-RE relocations: ~35 of ~45 ms under perf when this was written), for both the walk of every process's open files."
}

# ------------------------------------------------------------- tick time

TICK_NS=${BENCH_TICK_NS:-1000}
TICK_SOCKS=${BENCH_TICK_SOCKS:-100000}
TICK_S=${BENCH_TICK_S:-20}
TICK_SKIP=2          # first intervals left out: start-up
TICK_PAIR_MAX=12500  # connections one ttload server/client pair holds
TICK_NS_LIST='' TICK_HELD=0 TICK_ROWS=() TICK_NOTE=''
declare -A TICK_NSC=() TICK_START=() TICK_HWM=()

netns_count() { # network namespaces on the host: of every process, and every /run/netns name
	stat -L -c %i /proc/[0-9]*/ns/net /run/netns/* 2>/dev/null | sort -u | wc -l
}

mem_avail_mib() { awk '$1 == "MemAvailable:" { printf "%d", $2 / 1024 }' /proc/meminfo; }

since_s() { # T0 (EPOCHREALTIME) -> seconds since, one decimal
	local us=$((${EPOCHREALTIME/[.,]/} - ${1/[.,]/}))
	printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# Formatters of numbers on stdin (blank lines ignored): "median [min-max]", "1.23x [...]"
num_of() { local s; read -ra s < <(awk NF | summary); fmt_num "${s[@]}"; }
ratio_of() { local s; read -ra s < <(awk NF | summary); fmt_ratio "${s[@]}"; }

tick_ns_existing() { # LIST -> the names in LIST that are network namespaces now
	local ns
	while read -r ns; do
		[[ -e /run/netns/$ns ]] && echo "$ns"
	done <"$1"
}

tick_ns_del() { # LIST : delete the namespaces named in LIST (empty: nothing runs in them)
	tick_ns_existing "$1" | sed 's/^/netns del /' | ip -force -batch - >/dev/null
}

tick_ns_add() { # N : N empty namespaces $TT_PREFIX-tick-<i>, lo up. Their names and the
	#   cleanup entry come first, so every exit path (Ctrl-C too) deletes exactly those.
	local i
	TICK_NS_LIST=$B/tick-ns.list
	for ((i = 1; i <= $1; i++)); do
		echo "$TT_PREFIX-tick-$i"
	done >"$TICK_NS_LIST"
	[[ -z $(tick_ns_existing "$TICK_NS_LIST") ]] || die "namespaces $TT_PREFIX-tick-* exist already"
	tt_cleanup_add "tick_ns_del $(printf %q "$TICK_NS_LIST")"
	sed 's/^/netns add /' "$TICK_NS_LIST" | ip -batch - >/dev/null || die "ip netns add failed"
	# one process per namespace whatever the tool (~7 ms each here): both CPUs
	xargs -P "$(nproc)" -I{} ip -n {} link set lo up <"$TICK_NS_LIST" || die "lo up failed"
	(($(tick_ns_existing "$TICK_NS_LIST" | wc -l) == $1)) || die "made fewer than $1 namespaces"
}

tick_hold() { # ~N sockets in the snapshot namespace: pairs of <= TICK_PAIR_MAX connections
	local conns=$(($1 / 2)) pairs
	pairs=$(((conns + TICK_PAIR_MAX - 1) / TICK_PAIR_MAX))
	((pairs)) && snap_hold 5401 "$pairs" $((conns / pairs))
	TICK_HELD=$((pairs ? 2 * pairs * (conns / pairs) : 0))
}

tick_run() { # TAG : `run --interval 1` for TICK_S seconds -> $B/tick-TAG.json
	TICK_NSC[$1]=$(netns_count)
	agent_start "$B/tick-$1.json" run --interval 1
	TICK_START[$1]=$STARTUP_MS
	tick_wait "$B/tick-$1.json"
	TICK_HWM[$1]=$(rss_kib "$AGENT_PID" VmHWM)
	agent_stop "$B/tick-$1.json" 60 # a tick under way finishes first
	say "    $1: ${TICK_NSC[$1]} namespaces, longest tick per interval (ms) $(tick_vals "$1" .agent.tick_ms_max | num_of)"
}

tick_wait() { # OUT : TICK_S seconds; longer (up to 3x) while ticks overrun the interval so
	#   much that fewer than TICK_SKIP + 3 stats lines are out
	local end=$((SECONDS + 3 * TICK_S))
	tt_sleep "$TICK_S"
	while (($(grep -c '"type":"stats"' "$1") < TICK_SKIP + 3 && SECONDS < end)); do
		tt_sleep 0.5
	done
}

tick_vals() { # TAG JQ : JQ over each full interval's stats line, one a line (not the first
	#   TICK_SKIP: start-up; not the last: the part interval before the end line)
	jq -rs "[.[] | select(.type == \"stats\")] | .[$TICK_SKIP:-1][] | ($2)? // empty" "$B/tick-$1.json"
}

tick_end() { # TAG JQ : JQ over the end line, 4 significant digits
	jq -r "select(.type == \"end\") | ($2)? // empty" "$B/tick-$1.json" | awk '{ printf "%.4g", $1 }'
}

tick_ratios() { # JQ -> scale/base of JQ, interval i of one run over interval i of the other
	paste <(tick_vals base "$1") <(tick_vals scale "$1") | awk 'NF == 2 && $1 > 0 { print $2 / $1 }'
}

tick_row() { # LABEL JQ : per interval in both runs, and their ratio
	TICK_ROWS+=("| $1 | $(tick_vals base "$2" | num_of) | $(tick_vals scale "$2" | num_of) | $(tick_ratios "$2" | ratio_of) |")
}

tick_row_run() { # LABEL BASE SCALE : one figure per run, side by side
	TICK_ROWS+=("| $1 | ${2:-n/a} | ${3:-n/a} | $(awk -v a="$2" -v b="$3" \
		'BEGIN { if (a > 0 && b != "") printf "%.2fx", b / a; else printf "n/a" }') |")
}

tick_rows() {
	TICK_ROWS=("| network namespaces on the host (at the agent's start) | ${TICK_NSC[base]} | ${TICK_NSC[scale]} | |")
	tick_row "interval between stats lines (s; 1 asked: longer when a tick overruns)" .interval_s
	tick_row "tick, mean per interval (ms)" .agent.tick_ms_mean
	tick_row "tick, longest per interval (ms)" .agent.tick_ms_max
	tick_row "longest tick / interval (%)" '.agent.tick_ms_max / .interval_s / 10'
	tick_row "oldest namespace reading at the last tick (s)" .agent.ns_age_s_max
	tick_row "agent CPU / interval (%)" '.agent.cpu_s / .interval_s * 100'
	tick_row_run "agent CPU / run, start-up included (%, end line)" \
		"$(tick_end base '.agent.cpu_s / .duration_s * 100')" "$(tick_end scale '.agent.cpu_s / .duration_s * 100')"
	tick_row_run "start-up: launch to the start line's ts (ms)" "${TICK_START[base]}" "${TICK_START[scale]}"
	tick_row_run "agent peak RSS (KiB)" "${TICK_HWM[base]}" "${TICK_HWM[scale]}"
}

tick_scale_up() { # TICK_NS namespaces, ~TICK_SOCKS sockets; what that took -> TICK_NOTE
	local t0=$EPOCHREALTIME m0 ns_s
	m0=$(mem_avail_mib)
	tick_ns_add "$TICK_NS"
	ns_s=$(since_s "$t0") t0=$EPOCHREALTIME
	snap_ns_up
	tick_hold "$TICK_SOCKS"
	TICK_NOTE="Set-up: $TICK_NS empty namespaces (\`ip -batch\` netns add, lo up) in $ns_s s, $TICK_HELD loopback sockets (\`ttload\` pairs in one more namespace) in $(since_s "$t0") s; host MemAvailable changed by $(printf %+d $(($(mem_avail_mib) - m0))) MiB (the rest of the host moves it too)."
	say "    ${TICK_NOTE#Set-up: }"
}

tick_scale_down() {
	local t0=$EPOCHREALTIME
	snap_release
	tick_ns_del "$TICK_NS_LIST"
	[[ -z $(tick_ns_existing "$TICK_NS_LIST") ]] || say "some $TT_PREFIX-tick-* namespaces are left"
	say "    removed the namespaces and sockets in $(since_s "$t0") s"
}

phase_tick() { # the agent's tick on the host as it is, then with TICK_NS more namespaces
	say "6/6 tick time: \`run --interval 1\` ${TICK_S}s, host as it is, then + $TICK_NS namespaces and ~$TICK_SOCKS sockets"
	tick_run base
	tick_scale_up
	tick_run scale
	tick_scale_down
	tick_rows
	TICK_NOTE="Both runs: \`tcptriage run --interval 1\` for ${TICK_S} s, first the host as it is, then with $TICK_NS empty namespaces (lo up) and $TICK_HELD loopback sockets held in one more namespace. Per-interval figures come from the stats lines (the first $TICK_SKIP intervals, start-up, and the part interval before the end line left out); ratios pair interval i of one run with interval i of the other. The agent reads namespaces within a time budget per tick, round-robin: the oldest reading's age is how stale a namespace's counters can be. $TICK_NOTE"
}

tick_section() {
	echo "| measure | host as it is | + $TICK_NS namespaces, $TICK_HELD sockets | ratio |"
	echo "| --- | ---: | ---: | ---: |"
	printf '%s\n' "${TICK_ROWS[@]}"
	echo
	echo "$TICK_NOTE"
}

# --------------------------------------------------------------- results

machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	printf '%s CPUs (%s), %s; Linux %s; %s' "$(nproc)" "$cpu" "$mem" "$(uname -r)" \
		"$(date -u '+%Y-%m-%d %H:%M UTC')"
}

cost_table() { # LOAD (churn|rst): per hook, floor and agent each attached first; bpftrace
	#   (attached first, normal close only)
	local h r f a b ok fl ag bt load=$1 bt_cols=
	[[ $load == churn ]] && bt_cols=" bpftrace ns/event | bpftrace/agent |"
	echo "| hook | events/s | floor ns/event | agent ns/event | agent/floor | <= 1.5x |$bt_cols"
	echo "| --- | ---: | ---: | ---: | ---: | :---: |${bt_cols:+ ---: | ---: |}"
	for h in $(busy_hooks "^${load}A" "$WINDOW_S" "$MIN_RATE"); do
		f=$(costs_of "^${load}F" floor "$h" | summary)
		a=$(costs_of "^${load}A" agent "$h" | summary)
		read -r fl _ <<<"$f"
		read -r ag _ <<<"$a"
		r=$(cross_ratios "${load}A" agent "${load}F" floor "$h" | summary)
		ok=$(awk -v m="${r%% *}" 'BEGIN { print (m == "-" ? "no floor" : m <= 1.5 ? "yes" : "**no**") }')
		[[ $ok == yes ]] && MET+=("$h ($load, $(fmt_ratio $r))")
		[[ $ok == "**no**" ]] && MISSED+=("$h ($load, $(fmt_ratio $r))")
		printf '| %s | %.0f | %s | %s | %s | %s |' "$h" \
			"$(runs_of "^${load}A" "$h" "$WINDOW_S" | median)" \
			"$(fmt_num $f)" "$(fmt_num $a)" "$(fmt_ratio $r)" "$ok"
		[[ $load == churn ]] || { echo; continue; }
		b=$(costs_of '^churnB' bpftrace "$h" | summary)
		read -r bt _ <<<"$b"
		printf ' %s | %s |\n' "$(fmt_num $b)" \
			"$(fmt_ratio $(cross_ratios churnB bpftrace churnA agent "$h" | summary))"
		printf '%s %s %s %s\n' "$h" "$fl" "$ag" "$bt" >>"$B/plot-cost.dat"
	done
}

ops_table() { # each single operation minus the floor on its hook; medians to ops.dat
	local w h over
	: >"$B/ops.dat"
	echo "| operation (hook) | ns/event | over the floor |"
	echo "| --- | ---: | ---: |"
	awk -F'\t' '$1 ~ /^ops/ && $2 ~ /^op_/ { print $2, $3 }' "$COSTS" | sort -u |
		while read -r w h; do
			over=$(awk -F'\t' -v w="$w" -v h="$h" '$1 ~ /^ops/ && $3 == h {
				v[$1, $2] = $5; t[$1] = 1 }
				END { for (k in t) if ((k, w) in v && (k, "floor") in v)
					print v[k, w] - v[k, "floor"] }' "$COSTS" | summary)
			echo "${w#op_} $h ${over%% *}" >>"$B/ops.dat"
			printf '| %s (%s) | %s | %s |\n' "${w#op_}" "$h" \
				"$(fmt_num $(costs_of '^ops' "$w" "$h" | summary))" "$(fmt_num $over)"
		done
}

rounds_table() {
	local col goal
	local -A name=([3]="churn, wall clock (conns/s)" [4]="churn per CPU-second (conns)"
		[5]="bulk, wall clock (GB/s)" [6]="bulk per CPU-second (GB)"
		[7]="one syscall, getppid() (ns; any task's, not one the tools watch)")
	echo "| measure | no agent | agent | agent/none | bpftrace | bpftrace/none | goal |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
	for col in 3 4 5 6 7; do
		goal=$([[ $col == 3 || $col == 4 ]] && echo "agent >= 0.98x")
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${name[$col]}" \
			"$(fmt_num $(awk -F'\t' -v c=$col '$2 == "none" { print $c }' "$ROUNDS_TSV" | summary))" \
			"$(fmt_num $(awk -F'\t' -v c=$col '$2 == "agent" { print $c }' "$ROUNDS_TSV" | summary))" \
			"$(fmt_ratio $(round_ratios agent $col | summary))" \
			"$(fmt_num $(awk -F'\t' -v c=$col '$2 == "bpftrace" { print $c }' "$ROUNDS_TSV" | summary))" \
			"$(fmt_ratio $(round_ratios bpftrace $col | summary))" "$goal"
	done
}

memory_table() {
	echo "| | agent (\`diagnose --json\`) | bpftrace peer |"
	echo "| --- | ---: | ---: |"
	echo "| RSS under churn (KiB) | $MEM_AGENT_RSS (peak $MEM_AGENT_HWM) | $MEM_BT_RSS |"
	echo "| BPF map memory (memlock KiB) | $MEM_AGENT_MAPS | $MEM_BT_MAPS |"
	echo "| BPF map memory, \`run\` started with ~10k / ~100k sockets open (memlock KiB; goal <= 16384 at 100k) | ${MEM_10K:-?} / ${MEM_100K:-?} | |"
	echo "| BPF program memory (memlock KiB) | $MEM_AGENT_PROGS | |"
	echo "| agent process CPU per run, start-up included (s) | $(fmt_num $(cat "$B"/round*-agent.json | jq -r 'select(.type == "end") | .agent.cpu_s' | summary)) over ~$((CHURN_S + 2)) s | |"
	echo "| start-up to attached (ms) | $(fmt_num $(printf '%s\n' "${STARTUP_AGENT[@]}" | summary)) (\`run\`: launch to the \`start\` line's ts) | $(fmt_num $(printf '%s\n' "${STARTUP_BT[@]}" | summary)) (launch to all probes attached, 50 ms polling) |"
}

rates_table() {
	local i rate h
	echo "| target connects/s | achieved/s | hook | floor ns/event | agent ns/event | agent/floor |"
	echo "| ---: | ---: | --- | ---: | ---: | ---: |"
	for i in "${!RATES[@]}"; do
		rate=${RATES[i]}
		for h in $(busy_hooks "^rateA${rate}w" 2 $((rate / 2))); do
			printf '| %s | %s | %s | %s | %s | %s |\n' "$rate" "$(fmt_num ${RATE_ACHIEVED[i]})" "$h" \
				"$(fmt_num $(costs_of "^rateF${rate}w" floor "$h" | summary))" \
				"$(fmt_num $(costs_of "^rateA${rate}w" agent "$h" | summary))" \
				"$(fmt_ratio $(cross_ratios "rateA${rate}w" agent "rateF${rate}w" floor "$h" | summary))"
		done
	done
}

MET=() MISSED=()

op_costs_sorted() { # "op (hook) ns-over-floor" per line, most expensive first (from ops_table)
	sort -k3 -gr "$B/ops.dat" | awk '{ printf "%s%s (%s) %.0f", (NR > 1 ? ", " : ""), $1, $2, $3 }'
}

per_conn_us() { # WHO TAG-PREFIX -> µs of BPF run time per churned connection, one a window;
	#   the floor counts only the hooks the agent ran in that window ("on the same hooks")
	local f
	for f in "$B"/window-"$2"[0-9]*.out; do
		window_conn_us "$1" "$(basename "$f" .out | sed 's/^window-//')" \
			"$(awk -v s="$WINDOW_S" '{ print $1 * s }' "$f")"
	done
}

window_conn_us() { # WHO TAG CONNS -> µs of WHO's BPF run time in window TAG per connection
	awk -F'\t' -v t="$2" -v w="$1" -v conns="$3" '
		$1 == t && $2 == "agent" { seen[$3] = 1 }
		$1 == t && $2 == w { v[$3] = $4 * $5 }
		END { for (h in v) if (w != "floor" || (h in seen)) ns += v[h]
			if (conns > 0) print ns / conns / 1000 }' "$COSTS"
}

rst_conn_us() { # WHO RATE -> µs per refused connect (RST close) in the rate windows where WHO
	#   was attached first, one a window
	local f order=F
	[[ $1 == agent ]] && order=A
	for f in "$B"/window-rate"$order$2"w*.out; do
		window_conn_us "$1" "$(basename "$f" .out | sed 's/^window-//')" \
			"$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$f" | awk '{ print $1 * 2 }')"
	done
}

ratio_lines() { # FILE-A FILE-B : a/b line by line
	paste "$1" "$2" | awk '$2 > 0 { print $1 / $2 }'
}

conn_ratio() { # LOAD -> agent/floor per connection, each attached first, window i with window i
	fmt_ratio $(ratio_lines <(per_conn_us agent "${1}A") <(per_conn_us floor "${1}F") | summary)
}

per_conn_lines() { # the per-connection figures of phase 1
	echo "- Per churned connection the agent's programs cost, of empty programs on the same hooks"
	echo "  (each attached first; goal <= 1.5x): normal close $(conn_ratio churn), RST close $(conn_ratio rst)."
	echo "  Agent $(num_of < <(per_conn_us agent churnA)) µs per connection, floor $(num_of < <(per_conn_us floor churnF)) µs (normal);"
	echo "  agent $(num_of < <(per_conn_us agent rstA)) µs, floor $(num_of < <(per_conn_us floor rstF)) µs (RST)."
	echo "- bpftrace's programs (attached first, same load, normal close) cost"
	echo "  $(fmt_ratio $(ratio_lines <(per_conn_us bpftrace churnB) <(per_conn_us agent churnA) | summary)) of the agent's (goal >= 2x)."
}

cost_budget() { # what the agent's BPF time per connection predicts for the churn ratio
	local a f c
	a=$(per_conn_us agent churnA | median)
	f=$(per_conn_us floor churnF | median)
	c=$(awk -F'\t' '$2 == "none" && $4 > 0 { print 1e6 / $4 }' "$ROUNDS_TSV" | median)
	per_conn_lines
	echo "- Per refused connect (a storm of connects to a closed port: 1 RST sent, 1 received, 1 drop"
	echo "  each) at 10k/s the agent's programs cost $(fmt_ratio $(ratio_lines <(rst_conn_us agent 10000) <(rst_conn_us floor 10000) | summary)) of the floor on the same hooks."
	echo "- Per churned connection the agent's programs run $a µs (the floor on the same hooks:"
	echo "  $f µs); a connection costs $c µs of CPU without the agent, so its programs alone"
	awk -v a="$a" -v f="$f" -v c="$c" 'BEGIN {
		if (c > 0) printf "  predict %.3fx per CPU-second (c / (c + agent - floor)); 0.98x allows %.2f µs.\n",
			c / (c + a - f), c * 0.02 / 0.98 }'
}

goals_section() {
	local churn_cpu churn_wall
	churn_cpu=$(fmt_ratio $(round_ratios agent 4 | summary))
	churn_wall=$(fmt_ratio $(round_ratios agent 3 | summary))
	echo "- Per-event cost <= 1.5x the floor: met by ${MET[*]:-none}; **missed by ${MISSED[*]:-none}**."
	echo "- Churn with the agent >= 0.98x: $churn_cpu per CPU-second, $churn_wall wall clock."
	cost_budget
	echo "- Ring buffer losses at the highest rate: ${RINGBUF_FULL:-?}."
	echo "- The floor itself is $(fmt_num $(costs_of '^churnF' floor set_state | summary)) ns/event on set_state"
	echo "  (mostly the two clock reads BPF_ENABLE_STATS adds around every run), so 1.5x leaves"
	echo "  ~30 ns for the program's own work. Single operations over the floor, most expensive first"
	echo "  (medians, ns): $(op_costs_sorted)."
}

write_results() {
	: >"$B/plot-cost.dat"
	{
		echo "# tcptriage overhead (\`make bench\`)"
		echo
		echo "$(machine); agent at $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- bpf user include 2>/dev/null || echo ' + uncommitted changes')."
		echo "Every figure is measured side by side in one run and repeated: **median [min-max]**."
		echo "Agent: \`tcptriage diagnose --json\`, and the always-on \`tcptriage run\` for churn and bulk"
		echo "(the same programs, attached as in production). Floor: an"
		echo "empty program on the same hook, attached in the same run (\`bench/empty.bpf.c\`). Peer:"
		echo "\`bench/tcptriage.bt\`, the same hooks and per-owner counts in bpftrace (classic tracepoints)."
		echo "Load: \`ttload churn\` (connect, 1 byte, close) on loopback in a namespace of its own."
		echo "Raw data: \`build/bench/\`. Plot: [overhead.png](overhead.png)."
		echo
		cost_table churn >"$B/cost-table.md"
		cost_table rst >"$B/cost-table-rst.md"
		ops_table >"$B/ops-table.md"
		echo "## Goals"
		echo
		goals_section
		echo
		echo "## Per-event cost under connection churn ($WINDOWS windows x ${WINDOW_S} s per attach order, BPF_ENABLE_STATS)"
		echo
		echo "Normal close:"
		echo
		cat "$B/cost-table.md"
		echo
		echo "RST close (\`ttload churn --linger0\`):"
		echo
		cat "$B/cost-table-rst.md"
		echo
		echo "Hooks with fewer than $MIN_RATE events/s (not driven by this load; other traffic on the host):"
		echo "$(comm -23 <(hooks_seen '^churnA' agent) <(busy_hooks '^churnA' "$WINDOW_S" "$MIN_RATE") | paste -sd' ')."
		echo
		echo "Programs on a tracepoint run in attach order and the first pays more whatever it does"
		echo "(~20-60 ns here), so each tool is measured attached first, as it runs alone: the agent"
		echo "from windows with it first, the floor from windows with the floor first, bpftrace from"
		echo "windows with bpftrace first (ratios pair window i of each). run_time_ns covers the program"
		echo "body only (not the tracepoint's dispatch; for classic tracepoints not the perf buffer"
		echo "either): the churn rows below are the end-to-end cost."
		echo
		echo "## What single operations cost (one program per operation, 3 windows)"
		echo
		cat "$B/ops-table.md"
		echo
		echo "## Churn rate and bulk throughput ($ROUNDS rounds of none / \`tcptriage run\` / bpftrace, rotating order)"
		echo
		rounds_table
		echo
		echo "Churn: ${CHURN_S} s per run; bulk: $((BULK_BYTES / 1000000)) MB over one loopback connection."
		echo "Ratios are taken within a round, then summarised. BPF stats are off here. \"Per"
		echo "CPU-second\" divides by the CPU the run cost (client, server, softirq threads and the"
		echo "tool's own userspace): on a shared host it is the steadier of the two, because the"
		echo "wall-clock rate of a ping-pong load is mostly scheduler wait."
		echo
		echo "## Memory and start-up"
		echo
		memory_table
		echo
		echo "## Event-rate scaling (connects to a closed port: 1 RST sent + 1 received + 1 drop each)"
		echo
		rates_table
		echo
		echo "Each measured attached first, as it runs alone: the floor from windows with the floor attached first, the agent from windows with the agent first (3 each a rate), ratios paired window by window. The first program on a tracepoint pays more (tcp_destroy_sock, tcp_send_reset: ~20-60 ns) whatever it does."
		echo
		echo "Ring buffer losses over the whole scaling phase (\`ringbuf_full\` in the agent's end line): **${RINGBUF_FULL:-?}** (goal 0)."
		echo
		echo "## Snapshot"
		echo
		echo "| measure | tcptriage | ss | ratio |"
		echo "| --- | ---: | ---: | --- |"
		printf '%s\n' "${SNAPSHOT_ROWS[@]}"
		echo
		echo "$SNAPSHOT_NOTE"
		echo
		echo "## Tick time at $TICK_NS namespaces (\`run --interval 1\`, ${TICK_S} s each, median [min-max] over intervals)"
		echo
		tick_section
	} >"$RESULTS"
}

plot() {
	awk -F'\t' 'function q(a, b) { return b > 0 && a != "" ? a / b : "-" }
		{ w[$1, $2] = $3; c[$1, $2] = $4; r[$1] = 1 }
		END { for (k in r) print k, q(w[k, "agent"], w[k, "none"]), q(w[k, "bpftrace"], w[k, "none"]),
			q(c[k, "agent"], c[k, "none"]), q(c[k, "bpftrace"], c[k, "none"]) }' \
		"$ROUNDS_TSV" | sort -n >"$B/plot-rounds.dat"
	gnuplot -e "cost='$B/plot-cost.dat'; rounds='$B/plot-rounds.dat'; out='$PNG'" bench/overhead.gp ||
		say "gnuplot failed"
}

bench_only() { # PHASE : that phase alone, its rows on stdout
	mkdir -p "$B"
	case $1 in
	costs) churn_setup && phase_costs && cost_table churn && cost_table rst && per_conn_lines ;;
	snapshot) phase_snapshot && printf '%s\n' "${SNAPSHOT_ROWS[@]}" "" "$SNAPSHOT_NOTE" ;;
	tick) phase_tick && tick_section ;;
	rates) churn_setup && phase_rates && rates_table ;;
	*) die "BENCH_ONLY: costs, rates, snapshot or tick, not '$1'" ;;
	esac
}

churn_setup() { # the churn namespace and its load server (SERVER_PID)
	tt_netns_single churn || die "cannot create a network namespace"
	: >"$COSTS"
	tt_bg -o "$B/server.out" ip netns exec "$TT_NS" "$TT_TTLOAD" tcp-server --bind 127.0.0.1 \
		--port "$PORT" --max-conns 65536 --seconds 900 >/dev/null
	SERVER_PID=$TT_BG_PID
	tt_wait_for_line "$B/server.out" '^ready$' 5 || die "load server did not start"
}

main() {
	local t0=$SECONDS
	need_tools
	[[ -x $AGENT && -x $FLOOR && -x $RATEGEN && -x $TT_TTLOAD ]] || die "run 'make bench' (builds first)"
	[[ ${BENCH_NICE:--5} != 0 ]] && renice -n "${BENCH_NICE:--5}" -p $$ >/dev/null
	tt_init bench
	# Not "tt-": the integration runner deletes tt- namespaces that appear while a
	# test runs, and engineers run tests while this runs.
	TT_PREFIX=ttbench-$BASHPID
	if [[ -n ${BENCH_ONLY:-} ]]; then
		bench_only "$BENCH_ONLY"
		say "done in $((SECONDS - t0)) s ($BENCH_ONLY only: $RESULTS left as it was)"
		return
	fi
	mkdir -p "$B"
	churn_setup
	phase_costs
	phase_rounds
	phase_rates
	say "4/6 memory and start-up: measured in phases 1 and 2"
	phase_snapshot
	phase_tick
	write_results
	plot
	cat "$RESULTS"
	say "done in $((SECONDS - t0)) s: $RESULTS, $PNG"
}

# Sourced (for experiments with the functions above) it only defines them.
[[ ${BASH_SOURCE[0]} == "$0" ]] && main "$@"
