#!/usr/bin/env bash
# scripts/soak.sh - `make soak`: the always-on agent (`tcptriage run --interval 5
# --output FILE`) for SOAK_SECONDS under churn and faults, sampled every 10 s.
#
# Load, each in network namespaces of its own (prefix ttsoak-PID), every loop
# bounded by the soak's end and every ttload run by its own --seconds:
#   churn      loopback connect/1 byte/close at <= SOAK_CHURN_RATE conns/s, in
#              10 s `ttload churn` slices, the whole run
#   resets     connects to a closed port and linger0 (RST) closes, every 10 s
#   loss       bulk transfers over a veth pair whose receiver drops ~5% of the
#              data segments (nftables numgen random)
#   tw         churn in a namespace with tcp_max_tw_buckets=16 (TIME_WAIT overflow)
#   close-wait a server that never closes what its peers closed: +5 CLOSE_WAIT
#              sockets every 20 s, the whole run (the leak only grows)
# resets, loss and tw are on for half of every SOAK_CYCLE_S (180 s), staggered
# by a third of it, so their findings fire and clear over and over.
#
# Every SOAK_SAMPLE_S (10) s: the agent's VmRSS, open fds, CPU time (utime +
# stime), the entries of each of its hash maps (found through the map_id lines
# of /proc/PID/fdinfo; `bpftool map dump | jq length`) and the `agent` counters
# of its last stats line, and for context the TCP sockets allocated host-wide and
# the CLOSE_WAIT leak's size -> build/soak/samples.csv.  Summary -> bench/soak.md,
# with the RSS steps over 1 MiB between samples and the findings that fired then.
#
# Exit 1 (after writing the summary) when: RSS grows faster than 1 MiB per 10 min
# after the warm-up (least-squares slope over the samples past SOAK_WARMUP, 60 s,
# at most half the run), a map reaches max_entries (an LRU map 99% of it: the
# kernel evicts in batches before the count gets there), a line of the agent's output
# is not valid JSON (v1 object with a type), the agent died or did not end
# cleanly on SIGINT (end line, exit 0).  Setup failures exit 1 as well.
# Knobs: SOAK_SECONDS (600), SOAK_WARMUP (60), SOAK_SAMPLE_S (10), SOAK_CYCLE_S
# (180; SOAK_SECONDS when that is shorter than two cycles), SOAK_CHURN_RATE (200), SOAK_REPORT (bench/soak.md).
# shellcheck disable=SC2016 # backquotes in single quotes are Markdown
set -u
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/${BASH_SOURCE[0]##*/}
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=../tests/lib.sh
source tests/lib.sh

SECS=${SOAK_SECONDS:-600}
WARMUP=${SOAK_WARMUP:-60}
SAMPLE_S=${SOAK_SAMPLE_S:-10}
CYCLE=${SOAK_CYCLE_S:-180}
[[ -z ${SOAK_CYCLE_S:-} && $SECS =~ ^[0-9]+$ ]] && ((SECS < 2 * CYCLE)) && CYCLE=$SECS # short runs: every fault once
CHURN_RATE=${SOAK_CHURN_RATE:-200}
REPORT=${SOAK_REPORT:-bench/soak.md}
INTERVAL=5
RSS_LIMIT_KIB_PER_MIN=102.4 # 1 MiB per 10 minutes
D=build/soak
CSV=$D/samples.csv
AGENT_SRC=build/tcptriage
AGENT=$D/tcptriage # a copy: others may rebuild build/tcptriage during the run
OUT=$D/agent.json
P_CHURN=5301 P_CW=5302 P_TW=5303 P_LOSS=5304 P_RST=5305 P_CLOSED=9

say() { printf 'soak: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------- workers
# Run as `soak.sh --worker KIND` (tt_bg: own process group, killed at cleanup).
# They read SOAK_T0, SOAK_END, the namespaces and addresses from the environment.

w_left() { echo $((SOAK_END - EPOCHSECONDS)); }
w_on() { # OFFSET : is this fault in the "on" half of its cycle?
	local t=$((EPOCHSECONDS - SOAK_T0 - $1))
	((t >= 0 && t % SOAK_CYCLE < SOAK_CYCLE / 2))
}
w_sleep_until() { # EPOCH
	local s=$(($1 - EPOCHSECONDS))
	((s > 0)) && sleep "$s"
	return 0
}
w_secs() { # WANT : WANT, or what is left of the soak if less (>= 1)
	local l
	l=$(w_left)
	((l < $1)) && echo $((l < 1 ? 1 : l)) || echo "$1"
}
w_load() { # NS TTLOAD-ARGS... : one bounded ttload run, its summary line appended to stdout
	local ns=$1
	shift
	ip netns exec "$ns" "$TT_TTLOAD" "$@" </dev/null 2>&1 | tail -n 1
}

worker() {
	local kind=$1 next
	while (($(w_left) > 0)); do
		next=$((EPOCHSECONDS + 10))
		case $kind in
		churn) # <= CHURN_RATE conns/s: a slice stops at its quota, then waits
			echo "churn $(w_load "$SOAK_NS_CHURN" churn --host 127.0.0.1 --port "$P_CHURN" \
				--conns-max $((SOAK_CHURN_RATE * 10)) --seconds "$(w_secs 10)")" ;;
		resets)
			if w_on 0; then
				echo "refused $(w_load "$SOAK_NS_RST" tcp-client --host 127.0.0.1 --port "$P_CLOSED" \
					--conns 300 --seconds "$(w_secs 5)")"
				echo "linger0 $(w_load "$SOAK_NS_RST" tcp-client --host 127.0.0.1 --port "$P_RST" \
					--conns 20 --bytes 2000 --close --linger0 --seconds "$(w_secs 5)")"
			fi ;;
		loss)
			if w_on $((SOAK_CYCLE / 3)); then
				echo "bulk $(w_load "$SOAK_NS_A" tcp-client --host "$SOAK_IP_B" --port "$P_LOSS" \
					--conns 2 --bytes 20000000 --close --seconds "$(w_secs 20)")"
				next=$((EPOCHSECONDS + 1)) # back to back (never a hot loop)
			fi ;;
		tw)
			if w_on $((2 * SOAK_CYCLE / 3)); then
				echo "tw $(w_load "$SOAK_NS_TW" churn --host 127.0.0.1 --port "$P_TW" \
					--conns-max 1000 --seconds "$(w_secs 10)")"
			fi ;;
		closewait) # the leak grows by 5 sockets every 20 s
			echo "closewait $(w_load "$SOAK_NS_CW" tcp-client --host 127.0.0.1 --port "$P_CW" \
				--conns 5 --bytes 10 --close --seconds "$(w_secs 5)")"
			next=$((next + 10)) ;;
		*) die "unknown worker $kind" ;;
		esac
		w_sleep_until "$((next < SOAK_END ? next : SOAK_END))"
	done
}

if [[ ${1:-} == --worker ]]; then
	worker "$2"
	exit 0
fi

# ------------------------------------------------------------------ setup

need_tools() {
	local c
	for c in bpftool jq ip ss nft awk setsid getconf; do
		command -v "$c" >/dev/null || die "missing command: $c"
	done
	[[ $(id -u) -eq 0 ]] || die "needs root (BPF, network namespaces)"
	{ [[ $SECS =~ ^[0-9]+$ ]] && ((SECS >= 30 && SECS <= 86400)); } || die "SOAK_SECONDS: 30..86400 (got '$SECS')"
	[[ $WARMUP =~ ^[0-9]+$ && $SAMPLE_S =~ ^[0-9]+$ && $CYCLE =~ ^[0-9]+$ && $CHURN_RATE =~ ^[0-9]+$ ]] ||
		die "SOAK_WARMUP, SOAK_SAMPLE_S, SOAK_CYCLE_S, SOAK_CHURN_RATE: whole numbers"
	((SAMPLE_S >= 1 && CYCLE >= 6 && CHURN_RATE >= 1)) || die "SOAK_SAMPLE_S >= 1, SOAK_CYCLE_S >= 6, SOAK_CHURN_RATE >= 1"
	((WARMUP > SECS / 2)) && WARMUP=$((SECS / 2))
	[[ -x $AGENT_SRC && -x $TT_TTLOAD ]] || die "run 'make soak' (builds $AGENT_SRC and $TT_TTLOAD first)"
}

server() { # NS NAME TTLOAD-SERVER-ARGS... : a load server for the whole soak
	local ns=$1 name=$2
	shift 2
	tt_bg -o "$D/srv-$name.out" ip netns exec "$ns" "$TT_TTLOAD" tcp-server "$@" \
		--seconds $((SECS + 120)) >/dev/null
	tt_wait_for_line "$D/srv-$name.out" '^ready$' 5 || die "server $name did not start: $(tail -n 2 "$D/srv-$name.out")"
}

setup_load() {
	tt_netns_single churn || die "netns churn"
	SOAK_NS_CHURN=$TT_NS
	tt_netns_single rst || die "netns rst"
	SOAK_NS_RST=$TT_NS
	tt_netns_single cw || die "netns cw"
	SOAK_NS_CW=$TT_NS
	tt_netns_single tw || die "netns tw"
	SOAK_NS_TW=$TT_NS
	tt_sysctl_ns_set "$SOAK_NS_TW" net.ipv4.tcp_max_tw_buckets 16 || die "tcp_max_tw_buckets"
	tt_netns_pair loss || die "veth pair"
	SOAK_NS_A=$NS_A SOAK_NS_B=$NS_B SOAK_IP_B=$IP_B
	# ~5% of a's data segments dropped in b (handshakes and teardown stay clean);
	# the table dies with the namespace.
	ip netns exec "$NS_B" nft -f - <<EOF || die "nft rules"
table inet ttsoak_loss {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $IP_A tcp flags & (syn | fin | rst) == 0 ip length > 100 numgen random mod 100 < 5 counter drop comment "ttsoak"
	}
}
EOF
	server "$SOAK_NS_CHURN" churn --bind 127.0.0.1 --port $P_CHURN
	server "$SOAK_NS_RST" rst --bind 127.0.0.1 --port $P_RST
	server "$SOAK_NS_CW" cw --bind 127.0.0.1 --port $P_CW --hold-open
	server "$SOAK_NS_TW" tw --bind 127.0.0.1 --port $P_TW
	server "$SOAK_NS_B" loss --bind "$IP_B" --port $P_LOSS
}

AGENT_PID='' T0=''

start_agent() {
	{ cp -f "$AGENT_SRC" "$AGENT.tmp" && mv -f "$AGENT.tmp" "$AGENT"; } || die "copy $AGENT_SRC"
	: >"$OUT"
	tt_bg -o "$OUT.err" "$AGENT" run --interval "$INTERVAL" --output "$OUT" >/dev/null
	AGENT_PID=$TT_BG_PID
	tt_wait_for_line "$OUT" '"type":"start"' 30 || die "agent did not start: $(tail -n 3 "$OUT.err")"
	T0=$EPOCHSECONDS
	tt_wait_for_line "$OUT" '"type":"stats"' $((INTERVAL + 10)) || die "agent printed no stats line"
}

start_workers() {
	local k
	export SOAK_T0=$T0 SOAK_END=$((T0 + SECS)) SOAK_CYCLE=$CYCLE SOAK_CHURN_RATE=$CHURN_RATE
	export SOAK_NS_CHURN SOAK_NS_RST SOAK_NS_CW SOAK_NS_TW SOAK_NS_A SOAK_IP_B TT_TTLOAD
	for k in churn resets loss tw closewait; do
		tt_bg -o "$D/load-$k.log" "$SELF" --worker "$k" >/dev/null
	done
}

# --------------------------------------------------------------- sampling

CLK_TCK=$(getconf CLK_TCK)
MAP_COL0=7 # CSV column of the first map
MAP_IDS=() MAP_NAMES=() AGENT_KEYS=() FIXED_MAPS=()
declare -A MAP_MAX=() MAP_TYPE=() MAP_PEAK=() MAP_LAST=()

agent_alive() { # running (a dead child stays a zombie until waited for)
	local st
	st=$(awk '$1 == "State:" { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)
	[[ -n $st && $st != Z ]]
}

find_maps() { # the agent's maps, from its fds; hash maps are counted, the rest listed
	local ids info id
	ids=$(grep -hs '^map_id:' /proc/"$AGENT_PID"/fdinfo/* | awk '{ print $2 }' | sort -un | jq -sc .)
	info=$(bpftool -j map show | jq -c --argjson ids "$ids" '.[] | select(.id as $i | $ids | index($i))')
	while read -r id; do
		local name type max
		name=$(jq -r --argjson i "$id" 'select(.id == $i) | .name' <<<"$info")
		type=$(jq -r --argjson i "$id" 'select(.id == $i) | .type' <<<"$info")
		max=$(jq -r --argjson i "$id" 'select(.id == $i) | .max_entries' <<<"$info")
		[[ -n ${MAP_TYPE[$name]:-} ]] && name=${name}_$id
		MAP_TYPE[$name]=$type MAP_MAX[$name]=$max
		if [[ $type == *hash* ]]; then
			MAP_IDS+=("$id") MAP_NAMES+=("$name") MAP_PEAK[$name]=0
		else
			FIXED_MAPS+=("$name")
		fi
	done < <(jq -r '.id' <<<"$info")
	((${#MAP_IDS[@]})) || die "no BPF hash maps found in the agent's fds"
}

last_stats() { tac "$OUT" | grep -m 1 '"type":"stats"'; }

csv_header() {
	local n
	mapfile -t AGENT_KEYS < <(last_stats | jq -r '.agent | paths(numbers) | map(tostring) | join(".")')
	{
		printf 't_s,rss_kib,fds,cpu_s,host_tcp_alloc,close_wait'
		for n in "${MAP_NAMES[@]}"; do printf ',map_%s' "$n"; done
		for n in "${AGENT_KEYS[@]}"; do printf ',agent_%s' "$n"; done
		printf '\n'
	} >"$CSV"
}

sample() { # one CSV row; updates MAP_PEAK / MAP_LAST
	local t=$1 rss fds cpu stat i n row keys
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)
	fds=$(find "/proc/$AGENT_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	stat=$(cat "/proc/$AGENT_PID/stat" 2>/dev/null)
	stat=${stat##*) }
	local -a f
	read -ra f <<<"$stat"
	cpu=$(awk -v u="${f[11]:-0}" -v s="${f[12]:-0}" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (u + s) / hz }')
	# context: TCP sockets allocated host-wide (every namespace; the agent tracks
	# each one in owners) and the leak's size in its namespace
	row="$t,${rss:-},$fds,$cpu,$(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "alloc") print $(i + 1) }' /proc/net/sockstat)"
	row+=",$(ip netns exec "$SOAK_NS_CW" ss -Htn state close-wait 2>/dev/null | wc -l)"
	for i in "${!MAP_IDS[@]}"; do
		n=$(bpftool -j map dump id "${MAP_IDS[i]}" 2>/dev/null | jq 'length' 2>/dev/null)
		n=${n:-}
		row+=",$n"
		[[ -n $n ]] || continue
		MAP_LAST[${MAP_NAMES[i]}]=$n
		((n > MAP_PEAK[${MAP_NAMES[i]}])) && MAP_PEAK[${MAP_NAMES[i]}]=$n
	done
	keys=$(printf '%s\n' "${AGENT_KEYS[@]}" | jq -R . | jq -sc .)
	row+=$(last_stats | jq -r --argjson k "$keys" \
		'. as $l | $k | map(. as $p | $l.agent | getpath($p | split(".")) // "") | map(",\(.)") | join("")')
	echo "$row" >>"$CSV"
}

# ------------------------------------------------------------ the run

AGENT_DIED='' AGENT_RC='' END_LINE=0 MAP_FULL=() HWM=''

run() {
	local k=0 t next
	say "agent $AGENT_PID: ${SECS}s under load, a sample every ${SAMPLE_S}s -> $CSV"
	while :; do
		t=$((EPOCHSECONDS - T0))
		if ! agent_alive; then
			AGENT_DIED="after ${t}s"
			say "the agent died after ${t}s: $(tail -n 3 "$OUT.err")"
			break
		fi
		sample "$t"
		if ((k % 6 == 0)); then
			say "t=${t}s rss=$(tail -n 1 "$CSV" | cut -d, -f2) KiB fds=$(tail -n 1 "$CSV" | cut -d, -f3) cpu=$(tail -n 1 "$CSV" | cut -d, -f4)s maps: $(for n in "${MAP_NAMES[@]}"; do printf '%s=%s ' "$n" "${MAP_LAST[$n]:-?}"; done)"
		fi
		((t >= SECS)) && break
		k=$((k + 1))
		next=$((T0 + k * SAMPLE_S))
		((next > T0 + SECS)) && next=$((T0 + SECS))
		while ((EPOCHSECONDS < next)); do sleep 0.2; done
	done
	HWM=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)
	if [[ -z $AGENT_DIED ]]; then
		kill -INT "$AGENT_PID" 2>/dev/null
		tt_wait_for_line "$OUT" '"type":"end"' 20 && END_LINE=1
	fi
	for ((k = 0; k < 100; k++)); do agent_alive || break; sleep 0.1; done
	if agent_alive; then
		kill -KILL "$AGENT_PID" 2>/dev/null
		AGENT_RC="killed (did not exit 10 s after SIGINT)"
	fi
	wait "$AGENT_PID" 2>/dev/null
	AGENT_RC=${AGENT_RC:-$?}
	for n in "${MAP_NAMES[@]}"; do
		# An LRU map evicts in batches before its count reaches max_entries: 99% is full.
		if ((MAP_PEAK[$n] >= MAP_MAX[$n])) ||
			{ [[ ${MAP_TYPE[$n]} == lru* ]] && ((MAP_PEAK[$n] * 100 >= MAP_MAX[$n] * 99)); }; then
			MAP_FULL+=("$n (${MAP_PEAK[$n]}/${MAP_MAX[$n]})")
		fi
	done
}

# ---------------------------------------------------------------- summary

machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	printf '%s CPUs (%s), %s; Linux %s' "$(nproc)" "$cpu" "$mem" "$(uname -r)"
}

rss_fit() { # -> "slope-KiB/min n first-t first-rss last-rss" over rows with t >= WARMUP
	awk -F, -v w="$WARMUP" 'NR > 1 && $1 >= w && $2 != "" {
			n++; st += $1; sr += $2; stt += $1 * $1; str += $1 * $2
			if (n == 1) { t1 = $1; r1 = $2 } r2 = $2 }
		END {
			d = n * stt - st * st
			printf "%s %d %s %s %s\n", (n >= 2 && d > 0 ? sprintf("%.2f", (n * str - st * sr) / d * 60) : "n/a"),
				n, t1, r1, r2 }' "$CSV"
}

map_growth() { # CSV-COLUMN LAST MAX -> "entries/min time-to-full" (least squares, t >= WARMUP)
	awk -F, -v c="$1" -v w="$WARMUP" -v last="$2" -v max="$3" 'NR > 1 && $1 >= w && $c != "" {
			n++; st += $1; sv += $c; stt += $1 * $1; stv += $1 * $c }
		END {
			d = n * stt - st * st
			if (n < 2 || d <= 0) { print "n/a -"; exit }
			g = (n * stv - st * sv) / d * 60
			if (g <= 0.5) { printf "%.1f -\n", g; exit }
			m = (max - last) / g
			printf "%.1f %s\n", g, (m < 120 ? sprintf("%.0f_min", m) : m < 2880 ? sprintf("%.1f_h", m / 60) : sprintf("%.0f_days", m / 1440)) }' "$CSV" |
		sed 's/_/ /g'
}

rss_fit_between_steps() { # -> "slope-KiB/min stretches": a slope fitted within every stretch
	#   between RSS steps of >= 1 MiB (t >= WARMUP), pooled: sum Sxy / sum Sxx
	awk -F, -v w="$WARMUP" 'function close_seg() {
			if (n >= 2) { sxy += str - st * sr / n; sxx += stt - st * st / n }
			segs++; n = st = sr = stt = str = 0 }
		NR > 1 && $1 >= w && $2 != "" {
			if (n && ($2 - p >= 1024 || p - $2 >= 1024)) close_seg()
			n++; st += $1; sr += $2; stt += $1 * $1; str += $1 * $2; p = $2 }
		END { if (n) close_seg(); if (sxx > 0) printf "%.2f %d\n", sxy / sxx * 60, segs; else print "n/a", segs + 0 }' "$CSV"
}

JSON_BAD=0 JSON_LINES=0 JSON_TYPES=

check_json() {
	local counts
	counts=$(jq -rR 'try (fromjson | if type == "object" and .v == 1 and (.type | type) == "string"
		then .type else "INVALID" end) catch "INVALID"' "$OUT" | sort | uniq -c)
	JSON_LINES=$(wc -l <"$OUT")
	JSON_BAD=$(awk '$2 == "INVALID" { print $1 }' <<<"$counts")
	JSON_BAD=${JSON_BAD:-0}
	[[ -s $OUT && $(tail -c 1 "$OUT" | od -An -c | tr -d ' ') != '\n' ]] && JSON_BAD=$((JSON_BAD + 1))
	JSON_TYPES=$(awk '$2 != "INVALID" { printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }' <<<"$counts")
}

load_totals() { # what the load generators did, from their logs and the kernel
	local lf=$D/load-
	CHURN_CONNS=$(sed -n 's/^churn connections=\([0-9]*\) .*/\1/p' "${lf}churn.log" | awk '{ s += $1 } END { print s + 0 }')
	REFUSED=$(sed -n 's/^refused connected=.* failed=\([0-9]*\) .*/\1/p' "${lf}resets.log" | awk '{ s += $1 } END { print s + 0 }')
	LINGER0=$(sed -n 's/^linger0 connected=\([0-9]*\) .*/\1/p' "${lf}resets.log" | awk '{ s += $1 } END { print s + 0 }')
	BULK_B=$(sed -n 's/^bulk connected=.* bytes=\([0-9]*\)$/\1/p' "${lf}loss.log" | awk '{ s += $1 } END { printf "%.0f", s / 1e6 }')
	BULK_RUNS=$(grep -c '^bulk connected=' "${lf}loss.log")
	TW_CONNS=$(sed -n 's/^tw connections=\([0-9]*\) .*/\1/p' "${lf}tw.log" | awk '{ s += $1 } END { print s + 0 }')
	CW_CONNS=$(sed -n 's/^closewait connected=\([0-9]*\) .*/\1/p' "${lf}closewait.log" | awk '{ s += $1 } END { print s + 0 }')
	NFT_DROPS=$(ip netns exec "$SOAK_NS_B" nft list chain inet ttsoak_loss input 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p')
	RETRANS=$(tt_nstat "$SOAK_NS_A" Tcp.RetransSegs)
	TW_OVER=$(tt_nstat "$SOAK_NS_TW" TcpExt.TCPTimeWaitOverflow)
	CW_NOW=$(ip netns exec "$SOAK_NS_CW" ss -Htn state close-wait | wc -l)
}

findings_table() {
	echo "| cause | severity | fired | cleared | first fired (s) | last cleared (s) | in the final report |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
	jq -r --argjson t0 "$T0" 'select(.type == "finding") |
		[.cause, .severity, .state, ((.ts | sub("\\.[0-9]+Z$"; "Z") | fromdate) - $t0)] | @tsv' "$OUT" 2>/dev/null |
		awk -F'\t' '{ c[$1] = 1; sev[$1] = $2 }
			$3 == "firing" { f[$1]++; if (!($1 in ff)) ff[$1] = $4 }
			$3 == "cleared" { cl[$1]++; lc[$1] = $4 }
			$3 == "final" { fin[$1] = "yes" }
			END { for (k in c) printf "| `%s` | %s | %d | %d | %s | %s | %s |\n", k, sev[k], f[k], cl[k],
				(k in ff ? ff[k] : "-"), (k in lc ? lc[k] : "-"), (k in fin ? "yes" : "no") }' | sort
}

losses_table() { # every agent counter but events, CPU and the tick times (not counters):
	#   total (end line) and worst interval
	echo "| counter | total (end line) | sum of stats lines | worst interval |"
	echo "| --- | ---: | ---: | ---: |"
	jq -rs '(map(select(.type == "end")) | last | .agent // {}) as $e |
		[.[] | select(.type == "stats") | .agent] as $s |
		($e | paths(numbers) | map(tostring)) as $p | ($p | join(".")) as $k |
		select($k | IN("events", "cpu_s", "tick_ms_max", "tick_ms_mean", "ns_age_s_max") | not) |
		"| `\($k)` | \($e | getpath($p)) | \([$s[] | getpath($p) // 0] | add // 0) | \([$s[] | getpath($p) // 0] | max // 0) |"' \
		"$OUT" 2>/dev/null
}

timeline() { # the first sample of every minute, and the last
	local m=$((MAP_COL0 - 1 + ${#MAP_NAMES[@]})) hdr
	hdr=$(head -n 1 "$CSV" | cut -d, -f1-$m)
	echo "| ${hdr//,/ | } |"
	echo "|$(sed 's/[^,]*/ ---: /g; s/,/|/g' <<<"$hdr")|"
	awk -F, -v m="$m" 'function row(l,   f, i, r) { split(l, f, ","); r = "|"; for (i = 1; i <= m; i++) r = r " " f[i] " |"; return r }
		NR > 1 { k = int($1 / 60); if (NR == 2 || k != lastk) { print row($0); lastk = k; printed = NR } last = $0; lastnr = NR }
		END { if (lastnr && lastnr != printed) print row(last) }' "$CSV"
}

rss_steps() { # RSS rises >= 1 MiB between two samples, with what fired just before
	local a b r1 r2 alloc fired
	awk -F, 'NR > 2 && $2 != "" && p != "" && $2 - p >= 1024 { print pt, $1, p, $2, $5 }
		NR > 1 && $2 != "" { p = $2; pt = $1 }' "$CSV" |
		while read -r a b r1 r2 alloc; do
			fired=$(jq -r --argjson t0 "$T0" --argjson a "$a" --argjson b "$b" 'select(.type == "finding" and .state == "firing") |
				((.ts | sub("\\.[0-9]+Z$"; "Z") | fromdate) - $t0) as $t | select($t > $a - 10 and $t <= $b) |
				"`\(.cause)` (netns \(.evidence.netns // "host-wide"), t=\($t) s)"' "$OUT" 2>/dev/null | sort -u | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 }')
			echo "- t=$a-$b s: $r1 -> $r2 KiB (+$((r2 - r1))); $alloc TCP sockets allocated host-wide; firing then: ${fired:-nothing}"
		done
}

closewait_clears() { # close_wait_leak cleared while the leak (which only grows) held >= 10 sockets
	local t n
	jq -r --argjson t0 "$T0" 'select(.type == "finding" and .cause == "close_wait_leak" and .state == "cleared" and
		.evidence.netns == '"$(tt_netns_inode "$SOAK_NS_CW" 2>/dev/null || echo 0)"') |
		(.ts | sub("\\.[0-9]+Z$"; "Z") | fromdate) - $t0' "$OUT" 2>/dev/null |
		while read -r t; do
			n=$(awk -F, -v t="$t" 'NR > 1 && $1 <= t { n = $6 } END { print n }' "$CSV")
			((${n:-0} >= 10)) && printf 't=%s s (%s sockets in CLOSE_WAIT) ' "$t" "$n"
		done
}

VERDICT=() FAILED=0

verdicts() {
	local slope=$1
	if [[ $slope == n/a ]]; then
		VERDICT+=("RSS slope after warm-up: n/a (fewer than 2 samples) -> **FAIL**")
		FAILED=1
	elif awk -v s="$slope" -v l="$RSS_LIMIT_KIB_PER_MIN" 'BEGIN { exit !(s > l) }'; then
		VERDICT+=("RSS slope after warm-up $slope KiB/min > $RSS_LIMIT_KIB_PER_MIN (1 MiB per 10 min) -> **FAIL**")
		FAILED=1
	else
		VERDICT+=("RSS slope after warm-up $slope KiB/min <= $RSS_LIMIT_KIB_PER_MIN (1 MiB per 10 min): pass")
	fi
	if ((${#MAP_FULL[@]})); then
		VERDICT+=("maps that reached max_entries: ${MAP_FULL[*]} -> **FAIL**")
		FAILED=1
	else
		VERDICT+=("no map reached max_entries: pass")
	fi
	if ((JSON_BAD)); then
		VERDICT+=("$JSON_BAD of $JSON_LINES output lines are not valid v1 JSON -> **FAIL**")
		FAILED=1
	else
		VERDICT+=("all $JSON_LINES output lines are valid v1 JSON objects (jq, line by line): pass")
	fi
	if [[ -n $AGENT_DIED ]]; then
		VERDICT+=("the agent died $AGENT_DIED (exit status $AGENT_RC) -> **FAIL**")
		FAILED=1
	elif ((!END_LINE)) || [[ $AGENT_RC != 0 ]]; then
		VERDICT+=("the agent did not end cleanly on SIGINT (end line: $END_LINE, exit status $AGENT_RC) -> **FAIL**")
		FAILED=1
	else
		VERDICT+=("the agent ran the whole time, then SIGINT: end line, exit 0: pass")
	fi
}

write_summary() {
	local fit slope n t1 r1 r2 rss0 fds_min fds_max cpu_end cpu_w dur i m g full steps cwc bslope bsegs
	fit=$(rss_fit)
	read -r slope n t1 r1 r2 <<<"$fit"
	rss0=$(awk -F, 'NR == 2 { print $2 }' "$CSV")
	read -r fds_min fds_max <<<"$(awk -F, 'NR > 1 { if (min == "" || $3 < min) min = $3; if ($3 > max) max = $3 } END { print min, max }' "$CSV")"
	cpu_end=$(awk -F, 'NR > 1 { c = $4 } END { print c }' "$CSV")
	dur=$(awk -F, 'NR > 1 { t = $1 } END { print t }' "$CSV")
	# CPU per hour after the warm-up (start-up, i.e. loading and attaching, excluded)
	cpu_w=$(awk -F, -v w="$WARMUP" 'NR > 1 && $1 >= w { if (t1 == "") { t1 = $1; c1 = $4 } t2 = $1; c2 = $4 }
		END { if (t2 > t1) printf "%.1f s/h (%.3f%% of one CPU)", (c2 - c1) / (t2 - t1) * 3600, (c2 - c1) / (t2 - t1) * 100; else print "n/a" }' "$CSV")
	check_json
	load_totals
	verdicts "$slope"
	{
		echo "# tcptriage soak (\`make soak\`)"
		echo
		echo "$(machine); $(date -u -d "@$T0" '+%Y-%m-%d %H:%M UTC'); agent at $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- bpf user include 2>/dev/null || echo ' + uncommitted changes')."
		echo "\`tcptriage run --interval $INTERVAL --output FILE\` for ${dur} s (SOAK_SECONDS=$SECS) under churn and faults,"
		echo "sampled every $SAMPLE_S s; warm-up: the first $WARMUP s. Raw data: \`$CSV\`, the agent's output \`$OUT\`."
		echo
		echo "## Verdict: $( ((FAILED)) && echo '**FAIL**' || echo 'pass')"
		echo
		printf -- '- %s\n' "${VERDICT[@]}"
		echo
		echo "## Agent process"
		echo
		echo "| measure | value |"
		echo "| --- | ---: |"
		echo "| RSS at the first sample (KiB) | $rss0 |"
		echo "| RSS after warm-up, t=${t1:-?} s (KiB) | ${r1:-?} |"
		echo "| RSS at the end (KiB) | ${r2:-?} |"
		echo "| RSS peak, VmHWM (KiB) | ${HWM:-?} |"
		echo "| RSS slope after warm-up, least squares over $n samples (KiB/min) | $slope (limit $RSS_LIMIT_KIB_PER_MIN) |"
		read -r bslope bsegs <<<"$(rss_fit_between_steps)"
		echo "| RSS slope within the $bsegs stretches between steps of 1 MiB or more (pooled least squares, KiB/min; not a criterion) | $bslope |"
		echo "| open fds (min-max) | $fds_min-$fds_max |"
		echo "| CPU, user + system, whole run incl. start-up (s) | $cpu_end |"
		echo "| CPU per hour after warm-up | $cpu_w |"
		echo "| events handled (sum of stats lines) | $(jq -s '[.[] | select(.type == "stats") | .agent.events // 0] | add // 0' "$OUT") |"
		echo
		echo "## BPF maps (entries by \`bpftool map dump id N | jq length\`, every sample)"
		echo
		echo "| map | type | max_entries | peak entries | at the end | peak / max | growth after warm-up (entries/min) | full in, at that rate |"
		echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
		for i in "${!MAP_NAMES[@]}"; do
			m=${MAP_NAMES[i]}
			read -r g full <<<"$(map_growth $((MAP_COL0 + i)) "${MAP_LAST[$m]:-0}" "${MAP_MAX[$m]}")"
			printf '| `%s` | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "${MAP_TYPE[$m]}" "${MAP_MAX[$m]}" "${MAP_PEAK[$m]}" \
				"${MAP_LAST[$m]:-?}" "$(awk -v p="${MAP_PEAK[$m]}" -v m="${MAP_MAX[$m]}" 'BEGIN { printf "%.1f%%", 100 * p / m }')" \
				"$g" "$full"
		done
		echo
		echo "Fixed-size, not counted (arrays are always full; a ring buffer's max_entries is bytes):"
		echo "$(for m in "${FIXED_MAPS[@]}"; do printf '`%s` (%s, %s) ' "$m" "${MAP_TYPE[$m]}" "${MAP_MAX[$m]}"; done)."
		echo
		echo "RSS steps of 1 MiB or more between two samples:"
		echo
		steps=$(rss_steps)
		echo "${steps:-- none}"
		echo
		echo "## The agent's own loss counters"
		echo
		losses_table
		echo
		echo "## Findings (JSON \`finding\` lines; times from the agent's start)"
		echo
		findings_table
		echo
		cwc=$(closewait_clears)
		if [[ -n $cwc ]]; then
			echo "**close_wait_leak cleared while the leak still held its sockets** (it only grows): $cwc."
		else
			echo "close_wait_leak never cleared while the leak held 10 or more sockets (it only grows)."
		fi
		echo
		echo "## Load"
		echo
		echo "| load | namespace(s) | schedule | done |"
		echo "| --- | --- | --- | --- |"
		echo "| churn (connect, 1 byte, close) | churn, loopback | <= $CHURN_RATE conns/s in 10 s slices, the whole run | $CHURN_CONNS connections ($(awk -v c="$CHURN_CONNS" -v d="$dur" 'BEGIN { printf "%.0f", (d > 0 ? c / d : 0) }')/s) |"
		echo "| resets: connects to a closed port, linger0 closes | rst, loopback | 300 + 20 every 10 s, on half of each ${CYCLE} s cycle | $REFUSED refused, $LINGER0 reset by linger0 |"
		echo "| bulk over a lossy veth (nftables numgen, ~5% of data segments) | loss-a -> loss-b | 2 x 20 MB runs back to back, on half of each cycle (+$((CYCLE / 3)) s) | $BULK_RUNS runs, $BULK_B MB; ${NFT_DROPS:-?} segments dropped, ${RETRANS:-?} retransmitted |"
		echo "| TIME_WAIT pressure (tcp_max_tw_buckets=16) | tw, loopback | <= 100 conns/s, on half of each cycle (+$((2 * CYCLE / 3)) s) | $TW_CONNS connections, ${TW_OVER:-?} TIME_WAIT overflows |"
		echo "| CLOSE_WAIT leak (server never closes) | cw, loopback | +5 sockets every 20 s, the whole run | $CW_CONNS connections, $CW_NOW in CLOSE_WAIT at the end |"
		echo
		echo "Other engineers' tests and builds shared the host while this ran, and the agent sees the whole host:"
		echo "TCP sockets allocated host-wide (every namespace) ranged $(awk -F, 'NR > 1 && $5 != "" { if (min == "" || $5 < min) min = $5; if ($5 > max) max = $5 } END { print min "-" max }' "$CSV")"
		echo "over the samples (\`owners\` holds one entry per socket, max_entries ${MAP_MAX[owners]:-?})."
		echo
		echo "## JSON output"
		echo
		echo "$JSON_LINES lines: $JSON_TYPES; invalid: $JSON_BAD. End line: $( ((END_LINE)) && echo yes || echo no); exit status $AGENT_RC."
		echo
		echo "## Timeline (a sample a minute; entries per map)"
		echo
		timeline
	} >"$REPORT"
}

main() {
	need_tools
	tt_init soak
	# Not "tt-": the integration runner deletes tt- namespaces that appear while
	# a test runs, and engineers run tests while this runs.
	TT_PREFIX=ttsoak-$BASHPID
	mkdir -p "$D" || die "mkdir $D"
	rm -f "$D"/load-*.log "$D"/srv-*.out "$CSV"
	setup_load
	start_agent
	find_maps
	csv_header
	start_workers
	run
	write_summary
	cat "$REPORT"
	((FAILED)) && { say "FAIL: $REPORT"; exit 1; }
	say "pass: $REPORT"
	exit 0
}

main "$@"
