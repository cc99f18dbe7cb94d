#!/usr/bin/env bash
# The CLI and JSON contract (DESIGN.md section 3): help and usage errors, the
# shape of every JSON line, attach modes as reported in the start line, and
# that SIGKILL leaves no BPF program behind.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require timeout bpftool setsid
tt_init cli
ta_require
A=$TT_AGENT

# --------------------------------------------------------------- help
for args in "--help" "diagnose --help" "check --help"; do
	# shellcheck disable=SC2086
	out=$(timeout 10 "$A" $args 2>&1)
	rc=$?
	tt_assert_eq "$rc" 0 "'tcptriage $args' exits 0"
	tt_assert_true "grep -q '^Usage' <<<\"\$out\"" "'tcptriage $args' prints Usage"
done

# --------------------------------------------------------- usage errors
usage_error() { # DESCRIPTION ARGS... : exit 2, one stderr line "tcptriage: ..."
	local what=$1 rc n first
	shift
	timeout 10 "$A" "$@" >"$TT_TMP/ue.out" 2>"$TT_TMP/ue.err"
	rc=$?
	n=$(wc -l <"$TT_TMP/ue.err")
	first=$(head -n 1 "$TT_TMP/ue.err")
	tt_assert_eq "$rc" 2 "$what: exit 2"
	tt_assert_eq "$n" 1 "$what: exactly one line on stderr"
	tt_assert_true "[[ \${first} == tcptriage:* ]]" "$what: stderr starts with 'tcptriage:' ($first)"
}
usage_error "no arguments"
usage_error "unknown command" frobnicate
usage_error "unknown option" diagnose --bogus
usage_error "--duration 0" diagnose --duration 0
usage_error "--duration abc" diagnose --duration abc
usage_error "--duration 99999999999999999999" diagnose --duration 99999999999999999999
usage_error "--attach bogus" diagnose --attach bogus
usage_error "extra argument" diagnose --duration 1 extra

# ---------------------------------------------------------------- check
out=$(timeout 30 "$A" check 2>&1)
tt_assert_eq "$?" 0 "'tcptriage check' exits 0"

# --------------------------------------------------- JSON line contract
J=$TT_TMP/run.json
timeout 30 "$A" diagnose --json --duration 2 >"$J" 2>"$TT_TMP/run.err"
tt_assert_eq "$?" 0 "diagnose --json --duration 2 exits 0"
n=$(wc -l <"$J")
tt_assert_ge "$n" 2 "diagnose printed at least two lines"
bad=0 badwhy=
while IFS= read -r line; do
	if ! jq -e 'type == "object"' <<<"$line" >/dev/null 2>&1; then
		bad=$((bad + 1)) badwhy="not JSON: ${line:0:120}"; continue
	fi
	why=$(jq -r '
		if .v != 1 then "v != 1"
		elif (.ts | type) != "string" or (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$") | not) then "bad ts"
		elif ([.type] | inside(["start", "event", "stats", "finding", "end"]) | not) then "bad type"
		else "" end' <<<"$line")
	[[ -n $why ]] && { bad=$((bad + 1)); badwhy="$why: ${line:0:120}"; }
done <"$J"
tt_assert_eq "$bad" 0 "every line is JSON with v=1, RFC 3339 ms UTC ts, known type${badwhy:+ ($badwhy)}"
tt_assert_eq "$(head -n 1 "$J" | jq -r .type)" start "first line is start"
tt_assert_eq "$(tail -n 1 "$J" | jq -r .type)" end "last line is end"
tt_assert_eq "$(jq -c 'select(.type == "start")' "$J" | wc -l)" 1 "exactly one start line"
tt_assert_eq "$(jq -c 'select(.type == "end")' "$J" | wc -l)" 1 "exactly one end line"
tt_assert_ge "$(jq -c 'select(.type == "stats")' "$J" | wc -l)" 1 "at least one stats line"

# ----------------------------------------------------------- attach modes
hooks_not() { # FILE FORM : hooks whose attachment differs from the expected form
	# (udp_fail_queue_rcv_skb never as a classic tracepoint: its record has no socket)
	jq -r --arg f "$2" 'select(.type == "start") | .capabilities.hooks[] |
		(if .tracepoint.name == "udp_fail_queue_rcv_skb" and $f == "tracepoint" then null
		 else $f end) as $want |
		select(.attached != $want) |
		"\(.tracepoint.category):\(.tracepoint.name)=\(.attached)"' "$1" | tr '\n' ' '
}
for form in tp_btf raw_tp tracepoint; do
	J=$TT_TMP/attach-$form.json
	timeout 30 "$A" diagnose --json --duration 1 --attach "$form" >"$J" 2>"$TT_TMP/attach.err"
	tt_assert_eq "$?" 0 "--attach $form exits 0"
	tt_assert_ge "$(jq -r 'select(.type == "start") | .capabilities.hooks | length' "$J")" 1 "--attach $form: start line lists hooks"
	tt_assert_eq "$(hooks_not "$J" "$form")" "" "--attach $form: every hook attached as $form (udp_fail_queue_rcv_skb has no classic form)"
done

# ------------------------------------------------- nothing left attached
p0=$(ta_bpf_progs)
l0=$(bpftool -j link show 2>/dev/null | jq length)
AG=$TT_TMP/kill.json
ta_start "$AG" --duration 60 || tt_bail "agent start"
p1=$(ta_bpf_progs)
l1=$(bpftool -j link show 2>/dev/null | jq length)
kill -KILL "$TA_PID"
wait "$TA_PID" 2>/dev/null
for ((i = 0; i < 60; i++)); do
	p2=$(ta_bpf_progs)
	l2=$(bpftool -j link show 2>/dev/null | jq length)
	((p2 == p0 && l2 == l0)) && break
	sleep 0.1
done
tt_diag "BPF programs before/during/after SIGKILL: $p0/$p1/$p2; links: $l0/$l1/$l2"
tt_assert_true "((p1 > p0))" "more BPF programs while the agent runs ($p1 > $p0)"
tt_assert_true "((l1 > l0))" "more BPF links while the agent runs ($l1 > $l0)"
tt_assert_eq "$p2" "$p0" "after SIGKILL the program count is back to before"
tt_assert_eq "$l2" "$l0" "after SIGKILL the link count is back to before"
tt_assert_eq "$(find /sys/fs/bpf -mindepth 1 2>/dev/null | grep -ci tcptriage)" 0 "nothing pinned under /sys/fs/bpf"

# --------------------------------------------- a reader that goes away
# `run | head`: the agent sees its reader gone at the next write and ends cleanly.
timeout 30 "$A" run --interval 1 2>"$TT_TMP/head.err" | head -n 2 >"$TT_TMP/head.out"
rc=${PIPESTATUS[0]}
tt_assert_eq "$rc" 0 "'run | head -n 2': the agent exits 0 when its reader goes away (not 141, not killed)"
tt_assert_eq "$(wc -l <"$TT_TMP/head.out")" 2 "... head got its two lines"
tt_assert_eq "$(wc -c <"$TT_TMP/head.err")" 0 "... and nothing on stderr"

tt_finish
