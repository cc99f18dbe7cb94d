# shellcheck shell=bash
# tests/agent.sh - run the tcptriage agent from integration tests and read
# its JSON Lines.  Source after tests/lib.sh and tt_init:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"
#   ta_require                              # build/tcptriage and jq present
#   ta_start "$TT_TMP/agent.json" --duration 60 || tt_bail "agent start"
#   ... traffic ...
#   ta_stop || tt_bail "agent end"          # SIGINT, wait for the end line
#   ta_ns_counter "$TT_TMP/agent.json" "$ino" retransmit_segs
#   ta_findings "$TT_TMP/agent.json" retransmit_storm   # final:true lines
#
# TT_ATTACH=raw_tp or tracepoint runs the agent in that attach form (the
# counts must not depend on it).
#
# The agent runs in its own process group via tt_bg, so the lib.sh cleanup
# registry always kills it (TERM, then KILL) on every exit path.  Its stdout
# (JSON) goes to FILE and stderr to FILE.err.

TT_AGENT=${TT_AGENT:-$TT_ROOT/build/tcptriage}
TA_PID=
TA_OUT=

ta_require() { # skip unless jq exists; bail unless the agent is built
	tt_require jq
	[[ -x $TT_AGENT ]] || tt_bail "agent not built: $TT_AGENT (run make)"
}

ta_kernel_lacks() { # FILE SIGNAL : the start line says this kernel cannot show SIGNAL
	# -n/inputs: jq 1.6's -e judges the last input, which is not the start line
	jq -e -n --arg s "$2" '[inputs | select(.type == "start") | .capabilities.not_visible[]?.signal] |
		index($s) != null' "$1" >/dev/null 2>&1
}

ta_assert_linked() { # SYMPTOM ROOT BECAUSE_REGEX : finding lines: one incident, through evidence
	local sym=$1 root=$2 re=$3 scause rcause rid
	scause=$(jq -r .cause <<<"$sym") rcause=$(jq -r .cause <<<"$root") rid=$(jq -r '.id // empty' <<<"$root")
	# tt_assert_true evals its check: these locals are in scope there
	tt_assert_eq "$(jq -r '.caused_by // empty' <<<"$sym")" "$rid" "$scause is caused_by $rcause ($rid)"
	tt_assert_true 'jq -e --arg re "$re" ".because | test(\$re)" <<<"$sym" >/dev/null' \
		"$scause: its because sentence says /$re/"
	tt_assert_true 'jq -e --arg id "$(jq -r .id <<<"$sym")" ".consequences | index(\$id) != null" <<<"$root" >/dev/null' \
		"$rcause lists $scause among its consequences"
}

ta_assert_victim() { # ROOT PID WHO : finding line ROOT lists process PID among its victims
	local root=$1 pid=$2
	tt_assert_true 'jq -e --argjson p "$pid" "any(.victims[]; .pid == \$p)" <<<"$root" >/dev/null' \
		"$3 (pid $pid) is a victim of $(jq -r .cause <<<"$root")"
}

ta_stats_lines() { # FILE : how many stats lines the agent printed so far
	grep -c '"type":"stats"' "$1"
}

ta_wait_ticks() { # FILE N : wait until the agent printed N more stats lines (tick = read + evaluate)
	local want i
	want=$(($(ta_stats_lines "$1") + $2))
	for ((i = 0; i < 200; i++)); do
		(($(ta_stats_lines "$1") >= want)) && return 0
		sleep 0.05
	done
	return 1
}

ta_start() { # FILE [DIAGNOSE-ARGS...] : start `diagnose --json`, wait for
	#   the start line (default --duration 60: the test stops it with ta_stop)
	local out=$1
	shift
	local -a args=("$@")
	[[ " ${args[*]} " == *" --duration "* || " ${args[*]} " == *" -d "* ]] ||
		args+=(--duration 60)
	# TT_ATTACH=raw_tp|tracepoint: the same test in another attach form
	[[ -n ${TT_ATTACH:-} && " ${args[*]} " != *" --attach "* ]] && args+=(--attach "$TT_ATTACH")
	: >"$out"
	TA_OUT=$out
	# sh execs the agent in place: TA_PID is the agent itself.
	# shellcheck disable=SC2016  # expanded by sh, not here
	tt_bg -o "$out.err" sh -c 'out=$1; shift; exec "$@" >"$out"' _ "$out" \
		"$TT_AGENT" diagnose --json "${args[@]}" >/dev/null
	TA_PID=$TT_BG_PID
	if ! tt_wait_for_line "$out" '"type":"start"' 20; then
		tt_diag "agent did not print its start line; stderr:"
		tt_diag_file "$out.err"
		return 1
	fi
	return 0
}

ta_stop() { # [TIMEOUT] : SIGINT the agent, wait for its end line and exit
	local t=${1:-10} i
	[[ -n $TA_PID ]] || return 1
	kill -INT "$TA_PID" 2>/dev/null
	if ! tt_wait_for_line "$TA_OUT" '"type":"end"' "$t"; then
		tt_diag "agent printed no end line ${t}s after SIGINT; stderr:"
		tt_diag_file "$TA_OUT.err"
		return 1
	fi
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TA_PID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$TA_PID" 2>/dev/null
	TA_PID=
	return 0
}

ta_end() { # FILE : the end line
	jq -c 'select(.type == "end")' "$1" 2>/dev/null | tail -n 1
}

ta_ns_counter() { # FILE NETNS_INODE COUNTER : end-line total in one netns (0 if absent)
	ta_end "$1" | jq -r --argjson ns "$2" --arg c "$3" \
		'[.by_netns[]? | select(.netns == $ns) | .counters[$c] // 0] | add // 0'
}

ta_total() { # FILE COUNTER : end-line host-wide total
	ta_end "$1" | jq -r --arg c "$2" '.counters[$c] // 0'
}

ta_drop_reason() { # FILE REASON : end-line drops_by_reason[REASON] (0 if absent)
	ta_end "$1" | jq -r --arg r "$2" '.drops_by_reason[$r] // 0'
}

ta_reset_reason() { # FILE REASON : end-line resets_sent_by_reason[REASON]
	ta_end "$1" | jq -r --arg r "$2" '.resets_sent_by_reason[$r] // 0'
}

ta_findings() { # FILE CAUSE : finding lines with final:true of CAUSE
	jq -c --arg c "$2" 'select(.type == "finding" and .final == true and .cause == $c)' "$1" 2>/dev/null
}

ta_severe_findings() { # FILE : findings (any final) with severity warning/critical
	jq -c 'select(.type == "finding" and (.severity == "warning" or .severity == "critical"))' "$1" 2>/dev/null
}

ta_show() { # FILE : print end line and findings as diagnostics
	tt_diag "agent end: $(ta_end "$1" | cut -c1-1500)"
	jq -c 'select(.type == "finding" and .final == true) | {cause, severity, summary, evidence, culprits}' "$1" 2>/dev/null |
		while IFS= read -r l; do tt_diag "finding: ${l:0:1500}"; done
}

ta_map_id() { # NAME : id of the running agent's map NAME (through its descriptors' map ids)
	local ids
	ids=$(grep -hs '^map_id:' /proc/"$TA_PID"/fdinfo/* | awk '{ print $2 }' | sort -un | jq -sc .)
	bpftool -j map show | jq -r --argjson ids "$ids" --arg name "$1" \
		'[.[] | select((.id as $i | $ids | index($i)) and .name == $name) | .id][0] // empty'
}

ta_bpf_progs() { # number of loaded BPF programs (bpftool prog show)
	bpftool -j prog show 2>/dev/null | jq 'length'
}

ta_finding() { # FILE CAUSE : the last final finding line of CAUSE ("" if none)
	ta_findings "$1" "$2" | tail -n 1
}

ta_advice_mentions() { # FILE REGEX : advice entries (of every finding line) with
	#   REGEX in any field, the "why" included: for what no advice may even name
	#   (tcp_tw_recycle, removed in Linux 4.12)
	jq -s --arg re "$2" '[.[] | select(.type == "finding") | .advice[]? |
		select([.action, .sysctl, .current, .suggested, .why] | map(. // "" | tostring) | join(" ") | test($re))] |
		length' "$1" 2>/dev/null
}

ta_advice_count() { # FILE REGEX : advice entries (of every finding line) whose
	#   action, sysctl, current or suggested value matches REGEX (the "why"
	#   is left out: it may name what not to do and why; see ta_advice_mentions)
	jq -s --arg re "$2" '[.[] | select(.type == "finding") | .advice[]? |
		select([.action, .sysctl, .current, .suggested] | map(. // "") | join(" ") | test($re))] |
		length' "$1" 2>/dev/null
}

# ta_orphan_workload NS PORT CONNS BYTES AGENT_FILE: a receiver that never
# reads (pid in $srv), the agent (ta_start on AGENT_FILE), then a client (pid
# in $cli) that writes BYTES on each of CONNS connections and closes them:
# what the receiver's window did not take stays, orphaned, in FIN_WAIT1.
ta_orphan_workload() {
	local ns=$1 port=$2 conns=$3 bytes=$4 ag=$5
	tt_bg -o "$TT_TMP/srv.out" ip netns exec "$ns" "$TT_TTLOAD" tcp-server \
		--bind 127.0.0.1 --port "$port" --no-read --seconds 60 >/dev/null
	srv=$TT_BG_PID
	tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
	ta_start "$ag" || tt_bail "agent start"
	tt_bg -o "$TT_TMP/cli.out" ip netns exec "$ns" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
		--port "$port" --conns "$conns" --bytes "$bytes" --close --seconds 15 >/dev/null
	cli=$TT_BG_PID
	tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 18 || tt_bail "client did not finish"
	tt_diag "client (pid $cli, exited after close): $(tail -n 1 "$TT_TMP/cli.out"); receiver pid $srv"
	tt_assert_eq "$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' "$TT_TMP/cli.out")" "$conns" \
		"client connected $conns times"
}

# ta_ns_orphans NS PORT: orphans of NS's clients towards PORT, FIN_WAIT1 sockets with unsent
# data (what ta_orphan_workload leaves)
ta_ns_orphans() {
	ip netns exec "$1" ss -tnH state fin-wait-1 "dport = :$2" | awk '$2 > 0 { n++ } END { print n + 0 }'
}

# ta_listen_workload NS PORT CONNS SECONDS WAIT: a server that calls listen(fd, 1)
# and never accepts (pid in $srv), then a client (pid in $cli) opening CONNS
# connections to it at once, held SECONDS at most; waits up to WAIT s for it.
ta_listen_workload() {
	local ns=$1 port=$2 conns=$3 seconds=$4 wait=$5
	tt_bg -o "$TT_TMP/srv.out" ip netns exec "$ns" "$TT_TTLOAD" tcp-server \
		--bind 127.0.0.1 --port "$port" --backlog 1 --no-accept --seconds 40 >/dev/null
	srv=$TT_BG_PID
	tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
	tt_bg -o "$TT_TMP/cli.out" ip netns exec "$ns" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
		--port "$port" --conns "$conns" --parallel --hold 1 --seconds "$seconds" >/dev/null
	cli=$TT_BG_PID
	tt_wait_for_line "$TT_TMP/cli.out" '^connected=' "$wait" || tt_diag "client did not finish"
}

