#!/usr/bin/env bash
# The live view, driven in tmux at 80x24 and asserted on what is on screen:
#  - the header (host TCP memory against tcp_mem) and the table header;
#  - a reset storm (80 SO_LINGER 0 closes) made in a namespace by a client in
#    a docker-style cgroup appears as a reset_storm finding, and the client's
#    pid, comm and container id are in the table;
#  - sort keys move the sort marker (*RETR -> *RSTO -> *RSTI) and the order;
#  - a pid filter hides the other rows (the server that received the resets);
#  - q exits 0 and the agent's BPF programs are gone;
#  - `tcptriage` alone on a terminal is the same view;
#  - with stdout not a terminal, `top` prints plain text blocks each interval
#    and exits 0 on SIGINT, leaving no BPF program.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip awk setsid tmux bpftool sha256sum
tt_init top
ta_require
tt_ttload || tt_bail "build ttload"
A=$TT_AGENT

# ------------------------------------------------------------ usage errors
for args in "top --window 0" "top --interval abc" "top --duration" "top --bogus" "top extra"; do
	# shellcheck disable=SC2086
	timeout 10 "$A" $args >"$TT_TMP/ue.out" 2>"$TT_TMP/ue.err" </dev/null
	tt_assert_eq "$?:$(wc -l <"$TT_TMP/ue.err"):$(head -c 10 "$TT_TMP/ue.err")" "2:1:tcptriage:" \
		"'tcptriage $args': exit 2, one 'tcptriage: ...' line"
done
timeout 10 "$A" top --help >"$TT_TMP/help.out" 2>&1
tt_assert_eq "$?:$(head -c 20 "$TT_TMP/help.out")" "0:Usage: tcptriage top" "'tcptriage top --help'"

# ----------------------------------------------------------------- tmux
TM_SOCK=$TT_PREFIX # a private tmux server: never touches the user's sessions
tm() { tmux -L "$TM_SOCK" -f /dev/null "$@"; }
tt_cleanup_add "tmux -L $TM_SOCK kill-server 2>/dev/null"

tm_start() { # NAME ARGS... : 80x24 session running the agent with ARGS; a shell
	#   around it writes its exit status to $TT_TMP/NAME.rc (tmux itself was seen
	#   to leave an exited pane unreaped for long on a busy host)
	local name=$1 cmd
	shift
	printf -v cmd '%q ' "$A" "$@"
	tm start-server \; new-session -d -x 80 -y 24 -s "$name" \
		"$cmd; echo \$? > $(printf %q "$TT_TMP/$name.rc")"
}
view_pid() { # NAME : pid of the agent in the session (the shell's child)
	pgrep -P "$(tm display-message -p -t "$1" '#{pane_pid}')" -x tcptriage
}
screen() { tm capture-pane -p -t "$1" 2>/dev/null; }
wait_screen() { # NAME ERE [TRIES of 0.1 s] : 0 once the screen matches
	local i
	for ((i = 0; i < ${3:-200}; i++)); do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	tt_diag "screen of $1 never matched '$2'; it shows:"
	screen "$1" | sed 's/^/#   | /'
	return 1
}
assert_screen() { # NAME ERE MSG [TRIES] : pass once the screen matches
	wait_screen "$1" "$2" "${4:-200}"
	tt_assert_eq "$?" 0 "$3"
}
wait_exit() { # NAME : the agent's exit status, once it exited
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -s $TT_TMP/$1.rc ]] && { cat "$TT_TMP/$1.rc"; return 0; }
		sleep 0.1
	done
	echo "still running"
	tt_diag "$1 did not exit; its screen:"
	screen "$1" | sed 's/^/#   | /' >&2
	return 1
}
prog_ids_of() { # PID : ids of the BPF programs that process holds (fds and links)
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un
}
progs_left() { # IDS... : how many of these programs `bpftool prog show` still lists
	local id n=0
	for id in "$@"; do bpftool prog show id "$id" >/dev/null 2>&1 && n=$((n + 1)); done
	echo "$n"
}
progs_left_after_exit() { # IDS... : as progs_left, once the kernel's deferred frees ran
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(progs_left "$@")
		((n == 0)) && break
		sleep 0.1
	done
	echo "$n"
}
# shellcheck disable=SC2317  # called through tt_assert_true's eval
sorted_by() { # NAME COLUMN(0 = RETR .. 5 = RQFL) : 0 if the rows shown never increase in it
	# Fixed layout: PID(7) COMM(12) NETNS(10), then " %5s" per counter.
	screen "$1" | awk -v col="$2" '
		/^ +PID COMM / { inrows = 1; next }
		inrows && /^ *([0-9]+|-) / {
			v = substr($0, 32 + col * 6 + 1, 5); gsub(/ /, "", v)
			m = v ~ /k$/ ? 1e3 : v ~ /M$/ ? 1e6 : v ~ /G$/ ? 1e9 : 1
			sub(/[kMG]$/, "", v); v = v * m
			if (n++ && v > last) bad = 1
			last = v
		}
		END { exit bad || n < 2 }'
}
row_of() { # NAME PID : the table row of PID
	screen "$1" | grep -E "^ *$2 "
}

# ----------------------------------------------- a client in its own cgroup
CG_ROOT=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)
[[ -n $CG_ROOT && -w $CG_ROOT/cgroup.procs ]] || tt_bail "no writable cgroup2 mount"
CID=$(printf '%s' "$TT_PREFIX" | sha256sum | cut -c1-64)
CG=$CG_ROOT/$TT_PREFIX/docker-$CID.scope
# Registered before any process enters it, so it runs after they are killed;
# self-contained (no function of this script): the runner replays it after a kill.
tt_cleanup_add "for _i in {1..50}; do find $(printf %q "$CG_ROOT/$TT_PREFIX") -depth -type d -exec rmdir {} + 2>/dev/null; \
	[[ -d $(printf %q "$CG_ROOT/$TT_PREFIX") ]] || break; sleep 0.1; done"
mkdir -p "$CG" || tt_bail "mkdir $CG"

tt_netns_single top || tt_bail "create namespace"
NS=$TT_NS
PORT=5403
tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS" "$TT_TTLOAD" tcp-server \
	--bind 127.0.0.1 --port $PORT --seconds 120 >/dev/null
srv=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"

# ------------------------------------------------------------- the view
tm_start top top --window 120 || tt_bail "tmux session"
wait_screen top '^TCP mem: [0-9]+ pages .* vs tcp_mem [0-9]+/[0-9]+/[0-9]+' ||
	tt_bail "header with TCP memory"
agent=$(view_pid top)
tt_assert_true "[[ -n '$agent' ]]" "the pane runs tcptriage (pid $agent)"
tt_assert_true "screen top | grep -q '^tcptriage top - '" "title line"
tt_assert_true "screen top | grep -q '^TCP sockets: [0-9]* in use'" "sockets line"
tt_assert_true "screen top | grep -Eq '^ +PID COMM +NETNS +\\*RETR'" "table header, sorted by retransmits"
mapfile -t ids < <(prog_ids_of "$agent")
tt_assert_ge "$(progs_left "${ids[@]}")" 10 "the view holds its BPF programs (${#ids[@]})"

# shellcheck disable=SC2016  # expanded by sh
tt_bg -o "$TT_TMP/cli.out" sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$CG" \
	ip netns exec "$NS" "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $PORT \
	--conns 80 --bytes 1 --linger0 --close --seconds 15 >/dev/null
cli=$TT_BG_PID
tt_wait_for_line "$TT_TMP/cli.out" '^connected=' 18 || tt_diag "client did not finish"
tt_diag "client (pid $cli): $(tail -n 1 "$TT_TMP/cli.out"); server pid $srv"

assert_screen top '^WARN reset_storm: [0-9]+ TCP resets sent' "reset_storm finding on screen"

tm send-keys -t top x
assert_screen top '\*RSTO' "x: the sort marker moves to RSTO" 50
tt_assert_true "! screen top | grep -q '\\*RETR'" "x: the sort marker left RETR"
wait_screen top "^ *$cli ttload " 100
row=$(row_of top "$cli")
tt_diag "client row: $row"
tt_assert_true "[[ -n \"\$row\" ]]" "the client (pid $cli) is in the table"
tt_assert_true "[[ \"\$row\" == *' ${CID:0:12}'* ]]" "its row shows the container id ${CID:0:12}"
tt_assert_true "[[ \"\$row\" == *' $NS'* || \"\$row\" == *' ${NS:0:10}'* ]]" "its row shows the netns name"
tt_assert_true "sorted_by top 2" "the rows shown are sorted by resets sent"

tm send-keys -t top X
assert_screen top '\*RSTI' "X: the sort marker moves to RSTI" 50
tt_assert_true "sorted_by top 3" "the rows shown are sorted by resets received"
tm send-keys -t top '<'
assert_screen top '\*RSTO' "'<' moves the sort marker back to RSTO" 50

owners() { # NAME : "SHOWN TOTAL" from the title line
	screen "$1" | sed -nE '1s/.* ([0-9]+) of ([0-9]+) owners.*/\1 \2/p'
}
rows() { # NAME : table rows on screen
	screen "$1" | awk '/^ +PID COMM / { on = 1; next } on && /^ *([0-9]+|-) / { n++ } END { print n + 0 }'
}
read -r shown total <<<"$(owners top)"
tt_assert_ge "$shown" 2 "before filtering, other owners are shown too ($shown of $total)"
tm send-keys -t top p
assert_screen top '^filter by pid' "p: a pid prompt" 50
tm send-keys -t top "$cli" Enter
assert_screen top "filter pid=$cli" "the status line shows the filter" 50
tt_assert_true "screen top | grep -Eq '^ *$cli ttload '" "filtered by pid: the client's row stays"
tt_assert_eq "$(rows top)" 1 "filtered by pid: every other row is hidden"
tt_assert_true "screen top | grep -q ' 1 of [0-9]* owners'" "title counts one shown owner"
tm send-keys -t top Escape
assert_screen top "^q quit " "Esc clears the filter (status line)" 50
read -r shown total <<<"$(owners top)"
tt_assert_true "[[ $shown -ge 2 && $shown == \"$total\" ]]" "Esc: every owner is shown again ($shown of $total)"

# SIGWINCH: wider, the container column has room for the runtime too.
tm resize-window -t top -x 132 -y 30
assert_screen top "^ *$cli ttload .* ${CID:0:12} docker" "resized to 132x30: the row shows '${CID:0:12} docker'" 50
tt_assert_true "screen top | awk 'length > 80 { n++ } END { exit !n }'" "resized: lines wider than 80"

tm send-keys -t top q
tt_assert_eq "$(wait_exit top)" 0 "q: the view exits 0"
tt_assert_eq "$(progs_left_after_exit "${ids[@]}")" 0 "after q, bpftool lists none of the view's ${#ids[@]} programs"

# -------------------------------------------- no command on a terminal
tm_start bare || tt_bail "tmux session (no command)"
assert_screen bare '^TCP mem: ' "'tcptriage' alone on a terminal opens the live view"
tm send-keys -t bare q
tt_assert_eq "$(wait_exit bare)" 0 "'tcptriage' alone: q exits 0"

# ------------------------------------------------- plain text, no terminal
P=$TT_TMP/plain.out
: >"$P"
tt_bg -o "$P" "$A" top --interval 1 >/dev/null
plain=$TT_BG_PID
pids=()
for ((i = 0; i < 300; i++)); do
	((${#pids[@]})) || mapfile -t pids < <(grep -q '^tcptriage top - ' "$P" && prog_ids_of "$plain")
	(($(grep -c '^tcptriage top - ' "$P") >= 3)) && break
	sleep 0.1
done
tt_assert_ge "$(grep -c '^tcptriage top - ' "$P")" 3 "plain mode: a block per interval"
tt_assert_ge "$(grep -c '^TCP mem: ' "$P")" 3 "plain mode: each block has the memory line"
tt_assert_ge "$(grep -c '^ *PID COMM ' "$P")" 3 "plain mode: each block has the table header"
tt_assert_true "! grep -q $'\\e' '$P'" "plain mode: no terminal escapes"
kill -INT "$plain"
wait "$plain"
tt_assert_eq "$?" 0 "plain mode: SIGINT exits 0"
tt_assert_ge "${#pids[@]}" 10 "plain mode held its BPF programs"
tt_assert_eq "$(progs_left_after_exit "${pids[@]}")" 0 "plain mode: after SIGINT, bpftool lists none of them"

tt_finish
