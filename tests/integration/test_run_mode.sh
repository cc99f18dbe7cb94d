#!/usr/bin/env bash
# `tcptriage run`, the always-on probe, end to end:
#  - usage errors exit 2 (bad --metrics, --window below --interval), --help 0;
#  - with --output FILE --metrics --syslog, a reset storm in a namespace gives
#    valid JSON Lines with stats and a reset_storm firing line, then a cleared
#    one once it leaves the --window; both also reach syslog (a socket we own
#    at /dev/log in a private mount namespace, so the host's /dev is untouched);
#  - mv FILE FILE.1 + SIGHUP: new lines go to a new FILE;
#  - /metrics (curl) parses with python3-prometheus-client in both formats and
#    its counters equal the JSON stats lines, the end line and the kernel's
#    Tcp.OutRsts; other paths 404, POST 405, oversized requests 431; 100
#    sequential scrapes and a stalled client do not stall it;
#  - a second agent on the same port exits 1 before attaching anything;
#  - SIGTERM: exit 0 after an end line, none of its BPF programs or links left.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid curl bpftool unshare mount mknod ss timeout
tt_init runmode
ta_require
tt_ttload || tt_bail "build ttload"
A=$TT_AGENT
PY=/usr/bin/python3 # Debian's, where python3-prometheus-client lives
"$PY" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null ||
	tt_bail "python3-prometheus-client missing (scripts/install-deps.sh installs it)"

# ------------------------------------------------------------ usage errors
exit_code() { # DESCRIPTION WANT ARGS... : exit WANT, one stderr line "tcptriage: ..."
	local what=$1 want=$2 rc n first
	shift 2
	timeout 20 "$A" "$@" >"$TT_TMP/ue.out" 2>"$TT_TMP/ue.err"
	rc=$?
	n=$(wc -l <"$TT_TMP/ue.err")
	first=$(head -n 1 "$TT_TMP/ue.err")
	tt_assert_eq "$rc" "$want" "$what: exit $want"
	tt_assert_eq "$n" 1 "$what: one line on stderr"
	tt_assert_true "[[ \${first} == tcptriage:* ]]" "$what: stderr starts with 'tcptriage:' ($first)"
}
exit_code "--metrics without a port" 2 run --metrics 127.0.0.1
exit_code "--metrics with a host name" 2 run --metrics localhost:9100
exit_code "--metrics port 0" 2 run --metrics 127.0.0.1:0
exit_code "--metrics port 65536" 2 run --metrics 127.0.0.1:65536
exit_code "--metrics unbracketed IPv6" 2 run --metrics ::1:9100
exit_code "--window below --interval" 2 run --interval 10 --window 5
exit_code "--interval 0" 2 run --interval 0
exit_code "unknown option" 2 run --bogus
out=$(timeout 10 "$A" run --help 2>&1)
tt_assert_eq "$?" 0 "run --help exits 0"
tt_assert_true "grep -q -- '--metrics ADDR:PORT' <<<\"\$out\"" "run --help documents --metrics"

# ------------------------------------------------------------- the set-up
free_port() { # a TCP port below 32768 nothing listens on
	local p
	for ((p = 20000 + $$ % 10000; p < 32768; p++)); do
		[[ -z $(ss -Hltn "sport = :$p") ]] && { echo "$p"; return 0; }
	done
	return 1
}
PORT=$(free_port) || tt_bail "no free port"
URL=http://127.0.0.1:$PORT/metrics
tt_netns_single run || tt_bail "create namespace"
NS=$TT_NS
ino=$(tt_netns_inode "$NS")
SPORT=5402
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $SPORT --seconds 120 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

# A syslog daemon stand-in: one line per datagram received on /dev/log.
cat >"$TT_TMP/syslogd.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")
EOF
# Prometheus exposition -> one JSON object per sample; exits 1 if it does not parse.
cat >"$TT_TMP/parse.py" <<'EOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families as prometheus
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
parse = openmetrics if sys.argv[1] == "openmetrics" else prometheus
for fam in parse(open(sys.argv[2], encoding="utf-8").read()):
    for s in fam.samples:
        print(json.dumps({"family": fam.name, "type": fam.type, "name": s.name,
                          "labels": s.labels, "value": s.value}))
EOF

LOG=$TT_TMP/run.json
SYSLOG=$TT_TMP/syslog.txt
: >"$SYSLOG"
# The agent execs in place of sh (and unshare): TT_BG_PID is the agent.
# shellcheck disable=SC2016  # expanded by sh
tt_bg -o "$TT_TMP/agent.out" unshare -m --propagation private sh -c '
	mount -t tmpfs -o mode=755 tt-dev /dev && mknod -m 666 /dev/null c 1 3 || exit 1
	"$1" "$2" /dev/log "$3" &
	i=0
	while [ ! -S /dev/log ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	shift 3
	exec "$@"' _ "$PY" "$TT_TMP/syslogd.py" "$SYSLOG" \
	"$A" run --interval 1 --window 3 --output "$LOG" --metrics "127.0.0.1:$PORT" --syslog >/dev/null
AG=$TT_BG_PID
if ! tt_wait_for_line "$LOG" '"type":"start"' 20; then
	tt_diag_file "$TT_TMP/agent.out"
	tt_bail "agent start line"
fi
# Its BPF programs and links, from its own descriptors (robust to other agents running).
progs=$(awk '/^prog_id:/ { print $2 }' /proc/"$AG"/fdinfo/* 2>/dev/null | sort -u)
links=$(awk '/^link_id:/ { print $2 }' /proc/"$AG"/fdinfo/* 2>/dev/null | sort -u)
tt_assert_ge "$(wc -w <<<"$progs")" 5 "the agent holds its BPF programs"
tt_assert_ge "$(wc -w <<<"$links")" 5 "the agent holds its BPF links"

exit_code "a second agent on the same metrics port" 1 run --metrics "127.0.0.1:$PORT" \
	--output "$TT_TMP/second.json"
tt_assert_true "grep -q 'cannot serve metrics on 127.0.0.1:$PORT' '$TT_TMP/ue.err'" \
	"the bind error names the address"
tt_assert_true "[[ ! -s '$TT_TMP/second.json' ]]" "the second agent wrote nothing (never attached)"

# ------------------------------------------------------------ reset storm
o0=$(tt_nstat "$NS" Tcp.OutRsts)
tt_bg -o "$TT_TMP/cli.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 \
	--port $SPORT --conns 80 --bytes 1 --linger0 --close --seconds 15 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 18 || tt_diag "client did not finish"
o1=$(tt_nstat "$NS" Tcp.OutRsts)
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out"); Tcp.OutRsts delta $((o1 - o0))"
tt_assert_ge "$((o1 - o0))" 80 "the kernel sent >= 80 resets in the namespace"

tt_wait_for_line "$LOG" '"type":"finding","cause":"reset_storm"[^}]*"state":"firing"' 15
firing=$(jq -c 'select(.type == "finding" and .cause == "reset_storm" and .state == "firing")' "$LOG" | head -n 1)
tt_assert_true "[[ -n '${firing:0:1}' ]]" "a reset_storm firing line"
tt_assert_eq "$(jq -r '.culprits[0].pid // empty' <<<"$firing")" "$cli" "it names the client first"
tt_assert_true "tt_wait_for_line '$SYSLOG' '^<28>.*tcptriage\[$AG\]: finding firing: reset_storm \(warning\): ' 10" \
	"syslog got the firing line (daemon.warning)"

# ----------------------------------------------------- SIGHUP after a move
mv "$LOG" "$LOG.1"
kill -HUP "$AG"
tt_assert_true "tt_wait_for_line '$LOG' '\"type\":\"stats\"' 10" "after mv + SIGHUP, stats lines go to a new file"
tt_assert_true "kill -0 $AG" "the agent lives on after SIGHUP"
# Two more ticks: the counters as of a tick after the storm.
for ((i = 0; i < 200; i++)); do
	(($(grep -c '"type":"stats"' "$LOG") >= 2)) && break
	sleep 0.05
done

# ------------------------------------------------------------- scraping
tcp_mem_before=$(cat /proc/sys/net/ipv4/tcp_mem)
read -r code ctype < <(curl -sS -o "$TT_TMP/m.prom" -w '%{http_code} %{content_type}\n' "$URL")
tcp_mem_after=$(cat /proc/sys/net/ipv4/tcp_mem)
tt_assert_eq "$code" 200 "GET /metrics answers 200"
tt_assert_true "[[ '$ctype' == 'text/plain; version=0.0.4'* ]]" "Prometheus text by default ($ctype)"
"$PY" "$TT_TMP/parse.py" prometheus "$TT_TMP/m.prom" >"$TT_TMP/m.jsonl" 2>"$TT_TMP/parse.err"
tt_assert_eq "$?" 0 "the Prometheus parser accepts the exposition"
tt_diag_file "$TT_TMP/parse.err" 5

read -r code ctype < <(curl -sS -o "$TT_TMP/m.om" -w '%{http_code} %{content_type}\n' \
	-H 'Accept: application/openmetrics-text; version=1.0.0; charset=utf-8' "$URL")
tt_assert_eq "$code" 200 "GET /metrics (OpenMetrics) answers 200"
tt_assert_true "[[ '$ctype' == 'application/openmetrics-text; version=1.0.0'* ]]" "OpenMetrics when asked ($ctype)"
tt_assert_eq "$(tail -n 1 "$TT_TMP/m.om")" "# EOF" "OpenMetrics ends with # EOF"
"$PY" "$TT_TMP/parse.py" openmetrics "$TT_TMP/m.om" >"$TT_TMP/om.jsonl" 2>"$TT_TMP/parse.err"
tt_assert_eq "$?" 0 "the strict OpenMetrics parser accepts the exposition"
tt_diag_file "$TT_TMP/parse.err" 5

msum() { # JSONL SAMPLE JQ-FILTER : sum of the matching samples' values (integer)
	jq -s --arg n "$2" "[.[] | select(.name == \$n) | select($3) | .value] | add // 0 | floor" "$1"
}
ssum() { # JQ-PATH-IN-NETNS : sum over every stats line (both files) in our netns
	jq -s --argjson ns "$ino" "[.[] | select(.type == \"stats\") | .by_netns[]? |
		select(.netns == \$ns) | $1 // 0] | add // 0" "$LOG.1" "$LOG"
}
inns=".labels.netns == \"$ino\""
m_sent=$(msum "$TT_TMP/m.jsonl" tcptriage_resets_sent_total "$inns")
tt_diag "metrics resets_sent in netns $ino: $m_sent; by reason: $(jq -c "select(.name == \"tcptriage_resets_sent_total\" and $inns) | [.labels.reason, .value]" "$TT_TMP/m.jsonl" | tr '\n' ' ')"
tt_assert_eq "$m_sent" $((o1 - o0)) "metrics resets_sent in the netns == Tcp.OutRsts delta"
tt_assert_eq "$m_sent" "$(ssum .counters.resets_sent)" "metrics resets_sent == sum of the stats lines"
tt_assert_eq "$(msum "$TT_TMP/om.jsonl" tcptriage_resets_sent_total "$inns")" "$m_sent" \
	"OpenMetrics gives the same resets_sent"
tt_assert_eq "$(msum "$TT_TMP/m.jsonl" tcptriage_resets_sent_total "$inns and .labels.reason == \"tcp_state\"")" \
	"$(ssum '.resets_sent_by_reason.tcp_state')" "metrics resets_sent{reason=tcp_state} == stats lines"
for pair in resets_received:resets_received connects:connects active_closes:active_closes; do
	tt_assert_eq "$(msum "$TT_TMP/m.jsonl" "tcptriage_${pair%%:*}_total" "$inns")" \
		"$(ssum ".counters.${pair#*:}")" "metrics ${pair%%:*} in the netns == sum of the stats lines"
done
tt_assert_eq "$(jq -s '[.[] | select(.family == "tcptriage_resets_sent")][0].type' "$TT_TMP/m.jsonl")" \
	'"counter"' "tcptriage_resets_sent is typed counter"
# shellcheck disable=SC2317  # called through tt_assert_true's eval
has_sample() { # JSONL SAMPLE [JQ-FILTER] : 0 if such a sample was exported
	jq -s -e --arg n "$2" "any(.[]; .name == \$n and (${3:-true}))" "$1" >/dev/null
}
tt_assert_true "has_sample '$TT_TMP/m.jsonl' tcptriage_findings_active '.labels.cause == \"reset_storm\"'" \
	"tcptriage_findings_active{cause=reset_storm} is exported"
if [[ $tcp_mem_before == "$tcp_mem_after" ]]; then
	read -r mem_min mem_pressure mem_max <<<"$tcp_mem_before"
	for l in min:$mem_min pressure:$mem_pressure max:$mem_max; do
		tt_assert_eq "$(msum "$TT_TMP/m.jsonl" tcptriage_tcp_mem_threshold_pages ".labels.level == \"${l%%:*}\"")" \
			"${l#*:}" "tcp_mem_threshold_pages{level=${l%%:*}} == net.ipv4.tcp_mem"
	done
else
	tt_skip "net.ipv4.tcp_mem changed during the scrape (another test on this host)"
fi
for s in tcptriage_tcp_memory_pages tcptriage_agent_ringbuf_full_total tcptriage_agent_cpu_seconds_total \
	tcptriage_agent_events_total; do
	tt_assert_true "has_sample '$TT_TMP/m.jsonl' $s" "$s is exported"
done
tt_assert_eq "$(jq -s '[.[] | select(.name == "tcptriage_agent_map_full_total")] | length' "$TT_TMP/m.jsonl")" 5 \
	"tcptriage_agent_map_full_total for each of the 5 maps (counts, owners, flows, procs, connfails)"

tt_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" 404 "GET / is 404"
tt_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metricsx")" 404 "GET /metricsx is 404"
tt_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL")" 405 "POST /metrics is 405"
tt_assert_eq "$(curl -s "http://127.0.0.1:$PORT/nope" | wc -l)" 1 "the 404 body is one line"
big=$(head -c 10000 /dev/zero | tr '\0' a)
tt_assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$URL")" 431 "an oversized request is 431"
# A client that sends half a request and stalls must not block anyone.
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /met' >&7
ok=0
for ((i = 0; i < 100; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' "$URL") == 200 ]] && ok=$((ok + 1))
done
exec 7>&-
tt_assert_eq "$ok" 100 "100 sequential scrapes answered while a client stalls"

# ---------------------------------------------------------------- cleared
# (In the rotated file when it cleared early, e.g. another test on this host reset a lot too.)
cleared='"cause":"reset_storm"[^}]*"state":"cleared"'
tt_assert_true "grep -Eq '$cleared' '$LOG.1' || tt_wait_for_line '$LOG' '$cleared' 20" \
	"reset_storm clears once the storm leaves the 3 s window"
tt_assert_true "tt_wait_for_line '$SYSLOG' '^<29>.*tcptriage\[$AG\]: finding cleared: reset_storm ' 10" \
	"syslog got the cleared line (daemon.notice)"

# ------------------------------------------------------------------ stop
kill -TERM "$AG"
tt_assert_true "tt_wait_for_line '$LOG' '\"type\":\"end\"' 15" "SIGTERM: an end line"
for ((i = 0; i < 200; i++)); do kill -0 "$AG" 2>/dev/null || break; sleep 0.05; done
wait "$AG"
tt_assert_eq "$?" 0 "SIGTERM: exit 0"
# The kernel frees programs after the last reference, deferred (RCU, workqueue): poll briefly.
for ((i = 0; i < 40; i++)); do
	left=0
	for id in $progs; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
	for id in $links; do bpftool link show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
	((left == 0)) && break
	sleep 0.05
done
tt_assert_eq "$left" 0 "none of its $(wc -w <<<"$progs") programs and $(wc -w <<<"$links") links is left"
end_sent=$(jq -c 'select(.type == "end")' "$LOG" | jq --argjson ns "$ino" \
	'[.by_netns[]? | select(.netns == $ns) | .counters.resets_sent] | add // 0')
tt_assert_eq "$end_sent" "$m_sent" "end line resets_sent in the netns == metrics"

# ------------------------------------------------------------ JSON Lines
valid_lines() { # FILE : lines that are v1 objects of a known type
	jq -R -c 'fromjson? | select(type == "object" and .v == 1 and (.ts | test("^[0-9-]{10}T[0-9:.]{12}Z$")) and
		(.type | IN("start", "event", "stats", "finding", "end")))' "$1" | wc -l
}
for f in "$LOG.1" "$LOG"; do
	tt_assert_eq "$(valid_lines "$f")" "$(wc -l <"$f")" "every line of ${f##*/} is a v1 JSON object"
done
count() { # "FILES" JQ-FILTER : matching lines
	# shellcheck disable=SC2086  # FILES is a list
	jq -c "select($2)" $1 | wc -l
}
tt_assert_eq "$(count "$LOG.1" '.type == "start"')" 1 "one start line, in the rotated file"
tt_assert_eq "$(count "$LOG" '.type == "start"')" 0 "no start line in the new file"
tt_assert_eq "$(count "$LOG" '.type == "end"')" 1 "one end line, in the new file"
changes=$(jq -c 'select(.type == "finding" and (.state == "firing" or .state == "cleared"))' "$LOG.1" "$LOG" | wc -l)
tt_assert_eq "$(grep -c ': finding \(firing\|cleared\): ' "$SYSLOG")" "$changes" \
	"one syslog line per finding that fired or cleared ($changes)"
tt_assert_ge "$(count "$LOG.1 $LOG" '.type == "stats" and (.agent.cpu_s | type) == "number" and .agent.ringbuf_full >= 0')" 3 \
	"stats lines carry the agent's health"

tt_finish
