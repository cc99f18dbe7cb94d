#!/usr/bin/env bash
# Hostile process names, for real: clients whose comm holds quotes,
# backslashes, a newline followed by a forged JSON object, terminal escape
# and control bytes, a forged '"},{"type":"fin', invalid UTF-8, and bidi /
# line separator characters each reset 30 connections (SO_LINGER 0) in a
# namespace, so reset_storm names them as culprits. Then:
#  - every line of `diagnose --json` is one valid JSON object (jq), of a
#    known type, with exactly one start and one end line;
#  - each comm comes back as data inside a culprit's "comm" string (invalid
#    bytes as U+FFFD, one per byte), never as structure;
#  - the text output (a second agent watching the same run) holds no raw
#    control byte, no invalid UTF-8 and no bidi/line separator character.
# Each name is a copy of build/ttload under that file name (comm = the first
# 15 bytes of the executable's name).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip setsid iconv
tt_init hostile
ta_require
tt_ttload || tt_bail "build ttload"
tt_netns_single hn || tt_bail "create namespace"
NS=$TT_NS

R=$'\xef\xbf\xbd' # U+FFFD
NAMES=(
	$'q"uo\\te\'s'                     # quote, backslash, apostrophe
	$'nl\n{"type":"x'                   # newline, then a forged object
	$'\e[31mred\a\b\x7f'                # terminal escape, BEL, BS, DEL
	'"},{"type":"fin'                   # closes the string and forges a line
	$'bad\xff\xfe\xc3(\xed\xa0\x80'     # invalid UTF-8 (bad lead, truncated, surrogate)
	$'rtl\xe2\x80\xaetxt\xe2\x80\xa8'   # U+202E right-to-left override, U+2028
)
WANT=( # what each comm decodes to from the JSON
	"${NAMES[0]}" "${NAMES[1]}" "${NAMES[2]}" "${NAMES[3]}"
	"bad$R$R$R($R$R$R"
	"${NAMES[5]}"
)
mkdir -p "$TT_TMP/bin" || tt_bail "mkdir"
for n in "${NAMES[@]}"; do cp "$TT_TTLOAD" "$TT_TMP/bin/$n" || tt_bail "copy ttload as a hostile name"; done

PORT=5501
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 60 >/dev/null
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

# run_phase TAG INDEX... : two agents (JSON, text) watch the clients named
# NAMES[INDEX...] reset 30 connections each; reset_storm lists the top 4
# owners, so each phase has at most 4 names.
run_phase() {
	local tag=$1 i txpid
	shift
	AG=$TT_TMP/agent-$tag.json TX=$TT_TMP/agent-$tag.txt
	ta_start "$AG" --duration 60 || tt_bail "agent start (json, $tag)"
	tt_bg -o "$TX" "$TT_AGENT" diagnose --duration 60 >/dev/null
	txpid=$TT_BG_PID
	tt_wait_for_line "$TX" 'watching' 20 || tt_bail "agent start (text, $tag)"
	for i in "$@"; do
		ip netns exec "$NS" "$TT_TMP/bin/${NAMES[i]}" tcp-client --host 127.0.0.1 --port $PORT \
			--conns 30 --bytes 1 --linger0 --close --seconds 15 >"$TT_TMP/cli.$i.out" 2>&1
		tt_diag "client $i: $(tail -n 1 "$TT_TMP/cli.$i.out")"
	done
	tt_wait_for_line "$AG" '"cause":"reset_storm"' 10 || tt_diag "no reset_storm line yet"
	kill -INT "$txpid"
	ta_stop 10 || tt_bail "agent end line (json, $tag)"
	tt_wait_for_line "$TX" 'agent lost' 20 || tt_diag "text agent printed no report"
	check_json "$tag" "$@"
	check_text "$tag"
}

check_json() { # TAG INDEX...
	local tag=$1 lines f i
	shift
	lines=$(wc -l <"$AG")
	tt_assert_eq "$(jq -c . "$AG" 2>/dev/null | wc -l)" "$lines" "$tag: all $lines JSON lines are valid, one value each"
	tt_assert_eq "$(jq -r 'select(type != "object" or ([.type] | inside(["start", "event", "stats", "finding", "end"]) | not)) | "x"' "$AG" 2>/dev/null | wc -l)" 0 \
		"$tag: every line is an object of a known type"
	tt_assert_eq "$(jq -c 'select(.type == "start")' "$AG" | wc -l)" 1 "$tag: exactly one start line"
	tt_assert_eq "$(jq -c 'select(.type == "end")' "$AG" | wc -l)" 1 "$tag: exactly one end line"
	f=$(ta_findings "$AG" reset_storm | tail -n 1)
	tt_assert_true "[[ -n '${f:0:1}' ]]" "$tag: reset_storm fired"
	for i in "$@"; do
		tt_assert_eq "$(jq --arg n "${WANT[i]}" '[.culprits[].comm] | index($n) != null' <<<"$f")" true \
			"$tag: hostile name $i comes back as a culprit's comm, as data ($(printf %q "${NAMES[i]}"))"
	done
	tt_assert_eq "$(grep -c '"},{"type":"fin' "$AG")" 0 "$tag: the forged '\"},{\"type\":\"fin' never appears unescaped"
	tt_assert_eq "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$AG")" 0 "$tag: no raw control byte in the JSON"
	tt_assert_true "iconv -f UTF-8 -t UTF-8 '$AG' >/dev/null 2>&1" "$tag: the JSON is valid UTF-8"
	tt_assert_eq "$(grep -c $'\xe2\x80\xa8' "$AG")" 0 "$tag: U+2028 is escaped in the JSON"
}

check_text() { # TAG
	tt_diag "$1 text output:"
	tt_diag_file "$TX" 12
	tt_assert_eq "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$TX")" 0 "$1: no raw control byte in the text"
	tt_assert_true "iconv -f UTF-8 -t UTF-8 '$TX' >/dev/null 2>&1" "$1: the text is valid UTF-8"
	tt_assert_eq "$(grep -c -e $'\xe2\x80\xae' -e $'\xe2\x80\xa8' "$TX")" 0 \
		"$1: no bidi override or line separator in the text"
}

run_phase a 0 1 2
tt_assert_true "grep -qF '\\x1b[31mred\\x07\\x08\\x7f' '$TX'" "a: the escape-sequence name is shown escaped in the text"
run_phase b 3 4 5
tt_assert_true "grep -qF 'rtl\\xe2\\x80\\xaetxt\\xe2\\x80\\xa8' '$TX'" "b: bidi and line separator shown as escaped bytes in the text"

tt_finish
