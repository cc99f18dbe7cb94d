# shellcheck shell=bash disable=SC2034  # TT_* variables are for the tests
# tests/lib.sh - helpers for tcptriage integration tests.  Source it, then:
#
#   tt_require ip awk          # unless root and commands exist: one counted skip, exit 0
#   tt_init mytest             # prefix "tt-mytest-$$", cleanup trap
#   tt_netns_pair || tt_bail "netns pair"
#   tt_bg -o "$TT_TMP/srv.out" ip netns exec "$NS_B" "$TT_TTLOAD" tcp-server ...
#   tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "server not ready"
#   tt_assert_eq "$got" 3 "three connections"
#   tt_finish                  # cleans up, prints "N passed, N failed, N skipped", exits
#
# `set -e` is not used (and should not be): tests check results explicitly.
# Cleanup entries live in a file (not a shell array), so helpers also register
# correctly when called inside $(...) or other subshells.  A subshell that
# calls tt_init gets its own prefix, registry and EXIT trap.
#
# Environment knobs: TT_KEEP_TMP=1 keeps $TT_TMP; TT_RESCUE_DIR (set by
# tests/run-integration.sh) holds the registry so the runner can still clean
# up after a test that was SIGKILLed.

TT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TT_TTLOAD=${TT_TTLOAD:-$TT_ROOT/build/ttload}
TT_PASS=0
TT_FAIL=0
TT_SKIP=0
TT_PREFIX=
TT_TMP=
_TT_REG=
_TT_OWNER=
_TT_CLEANED=0

# ---------------------------------------------------------------- output

tt_diag() { # tt_diag MSG... : print "# MSG" (not counted)
	printf '# %s\n' "$*"
}

tt_diag_file() { # tt_diag_file FILE [MAXLINES]: show a file as diagnostics
	[[ -r $1 ]] || return 0
	tail -n "${2:-40}" -- "$1" | sed 's/^/#   /'
}

# ------------------------------------------------------------ assertions

_tt_ok() { TT_PASS=$((TT_PASS + 1)); printf 'ok - %s\n' "$1"; }
_tt_notok() { TT_FAIL=$((TT_FAIL + 1)); printf 'not ok - %s (got %s, want %s)\n' "$1" "$2" "$3"; }
_tt_isint() { [[ $1 =~ ^-?[0-9]+$ ]]; }

tt_assert_eq() { # GOT WANT MSG (numeric compare if both integers)
	local got=$1 want=$2 msg=$3
	if _tt_isint "$got" && _tt_isint "$want"; then
		((got == want)) && { _tt_ok "$msg"; return 0; }
	elif [[ $got == "$want" ]]; then
		_tt_ok "$msg"; return 0
	fi
	_tt_notok "$msg" "${got:-<empty>}" "$want"; return 1
}

tt_assert_ge() { # GOT MIN MSG
	if _tt_isint "$1" && _tt_isint "$2" && (($1 >= $2)); then
		_tt_ok "$3"; return 0
	fi
	_tt_notok "$3" "${1:-<empty>}" ">= $2"; return 1
}

tt_assert_le() { # GOT MAX MSG
	if _tt_isint "$1" && _tt_isint "$2" && (($1 <= $2)); then
		_tt_ok "$3"; return 0
	fi
	_tt_notok "$3" "${1:-<empty>}" "<= $2"; return 1
}

tt_assert_true() { # "CMD" MSG : CMD is eval'ed; passes if it exits 0
	local rc
	eval "$1"
	rc=$?
	if ((rc == 0)); then _tt_ok "$2"; return 0; fi
	_tt_notok "$2" "exit $rc" "exit 0"; return 1
}

tt_skip() { # MSG : report a skipped check: counted as skipped, never as passed
	TT_SKIP=$((TT_SKIP + 1))
	printf 'skip - %s\n' "$*"
}

tt_bail() { # MSG : record a failure and finish now (cleanup runs)
	TT_FAIL=$((TT_FAIL + 1))
	printf 'not ok - %s (bail out)\n' "$*"
	tt_finish
}

tt_finish() { # run cleanups, print "N passed, N failed, N skipped", exit 1 if any failed
	local left
	_tt_cleanup
	if [[ -n $TT_PREFIX && $BASHPID == "$_TT_OWNER" ]]; then
		left=$(ip netns list 2>/dev/null | awk -v p="$TT_PREFIX-" 'index($1, p) == 1 { printf "%s ", $1 }')
		if [[ -n $left ]]; then
			TT_FAIL=$((TT_FAIL + 1))
			printf 'not ok - cleanup removed all namespaces (got %s, want none)\n' "$left"
		fi
	fi
	echo "$TT_PASS passed, $TT_FAIL failed, $TT_SKIP skipped"
	((TT_FAIL == 0)) && exit 0
	exit 1
}

tt_require() { # CMD... : unless root and all CMDs exist, the whole test is one
	#   counted skip saying why ("skip - NAME: why", "0 passed, 0 failed, 1 skipped"),
	#   never a silent pass; tests/run.sh fails on it unless ALLOW_SKIP=1
	local c why=
	if [[ $(id -u) -ne 0 ]]; then
		why="not root"
	else
		for c in "$@"; do
			command -v "$c" >/dev/null 2>&1 || { why="missing command: $c"; break; }
		done
	fi
	[[ -z $why ]] && return 0
	tt_skip "${TT_NAME:-${0##*/}}: $why"
	[[ -n $_TT_REG ]] && _tt_cleanup
	echo "$TT_PASS passed, $TT_FAIL failed, $TT_SKIP skipped"
	((TT_FAIL == 0)) && exit 0
	exit 1
}

# --------------------------------------------------------------- cleanup

# Registry: NUL-separated shell snippets, appended (O_APPEND) in order.
tt_cleanup_add() { # "CMD..." : eval'ed at cleanup, in reverse order
	if [[ -z $_TT_REG ]]; then
		echo "tt_cleanup_add: call tt_init first" >&2
		return 1
	fi
	printf '%s\0' "$*" >>"$_TT_REG"
}

_tt_run_registry() { # FILE : run entries in reverse order, then delete FILE
	local f=$1 i
	local -a ents=()
	[[ -f $f ]] || return 0
	mapfile -d '' ents <"$f"
	for ((i = ${#ents[@]} - 1; i >= 0; i--)); do
		eval "${ents[i]}" </dev/null
	done
	rm -f -- "$f"
}

_tt_cleanup() {
	# Only the shell that ran tt_init cleans up (not subshells that inherited it).
	[[ $_TT_CLEANED == 1 || -z $_TT_REG || $BASHPID != "$_TT_OWNER" ]] && return 0
	_TT_CLEANED=1
	trap '' INT TERM HUP
	_tt_run_registry "$_TT_REG"
	trap - INT TERM HUP
}

_tt_on_exit() {
	local rc=$?
	_tt_cleanup
	exit "$rc"
}

tt_init() { # NAME : unique prefix, scratch dir $TT_TMP, cleanup trap
	local name=${1:?tt_init NAME}
	TT_NAME=$name
	TT_PREFIX="tt-$name-$BASHPID"       # == $$ in a test script's main shell
	_TT_OWNER=$BASHPID
	_TT_CLEANED=0
	TT_PASS=0
	TT_FAIL=0
	TT_SKIP=0
	TT_TMP=$(mktemp -d "/tmp/$TT_PREFIX.XXXXXX") || { echo "tt_init: mktemp failed" >&2; exit 1; }
	if [[ -n ${TT_RESCUE_DIR:-} ]] && mkdir -p "$TT_RESCUE_DIR" 2>/dev/null; then
		_TT_REG="$TT_RESCUE_DIR/$TT_PREFIX.cleanup"
		echo "$TT_PREFIX" >>"$TT_RESCUE_DIR/prefixes" # whose namespaces are whose
	else
		_TT_REG="$TT_TMP/.cleanup"
	fi
	: >"$_TT_REG"
	# First entry = last to run: remove the scratch dir.
	if [[ ${TT_KEEP_TMP:-0} == 1 ]]; then
		tt_cleanup_add "echo '# kept $TT_TMP' >&2"
	else
		tt_cleanup_add "rm -rf -- $(printf %q "$TT_TMP")"
	fi
	trap _tt_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# -------------------------------------------------------------- processes

_tt_starttime() { # PID : field 22 of /proc/PID/stat (empty if gone)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }           # drop "pid (comm) " (comm may contain spaces)
	local -a f
	read -ra f <<<"$s"
	echo "${f[19]}"
}

_tt_kill_pid() { # PID STARTTIME : TERM then KILL the process and its group
	local pid=$1 st=$2 cur i
	cur=$(_tt_starttime "$pid")
	# Leader alive but with another start time: pid reused, not ours.
	[[ -n $cur && $cur != "$st" ]] && return 0
	kill -TERM -- "-$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

tt_bg() { # [-o OUTFILE] CMD... : start CMD in its own process group,
	#   register it for kill, echo its pid and set TT_BG_PID.  stdin is
	#   /dev/null; stdout+stderr go to OUTFILE (default /dev/null), so
	#   `pid=$(tt_bg -o f cmd)` does not hang.
	local out=/dev/null had_m=0 pid st
	if [[ $1 == -o ]]; then out=$2; shift 2; fi
	[[ $# -gt 0 ]] || { echo "tt_bg: no command" >&2; return 1; }
	[[ $- == *m* ]] && { had_m=1; set +m; }
	# Not a group leader here (no job control), so setsid(1) execs in place:
	# $! is the command itself and leads its own process group.
	setsid "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	((had_m)) && set -m
	st=$(_tt_starttime "$pid")
	tt_cleanup_add "_tt_kill_pid $pid ${st:-0}"
	TT_BG_PID=$pid
	echo "$pid"
}

_tt_usec() { # SECONDS (e.g. 3, 0.5) -> microseconds, pure bash (no awk:
	#   mawk's printf %d saturates at 2^31-1)
	local t=$1 i f
	[[ $t =~ ^([0-9]*)(\.([0-9]*))?$ ]] || { echo 0; return 1; }
	i=${BASH_REMATCH[1]:-0} f=${BASH_REMATCH[3]}000000
	echo $(( 10#$i * 1000000 + 10#${f:0:6} ))
}

tt_wait_for_line() { # FILE REGEX TIMEOUT_SECONDS (decimals ok) : 0 if found
	local f=$1 re=$2 now end
	end=$(( ${EPOCHREALTIME/[.,]/} + $(_tt_usec "${3:-10}") ))
	while :; do
		[[ -f $f ]] && grep -Eq -- "$re" "$f" && return 0
		now=${EPOCHREALTIME/[.,]/}
		((now >= end)) && return 1
		sleep 0.05
	done
}

tt_sleep() { # SECONDS : sleep in 0.1 s steps so INT/TERM traps run promptly
	local end now
	end=$(( ${EPOCHREALTIME/[.,]/} + $(_tt_usec "$1") ))
	while now=${EPOCHREALTIME/[.,]/}; ((now < end)); do
		sleep 0.1
	done
}

tt_ttload() { # ensure $TT_TTLOAD is built and current (atomic build)
	local src=$TT_ROOT/tests/tools/ttload.c tmp
	if [[ -x $TT_TTLOAD && ! $src -nt $TT_TTLOAD ]]; then return 0; fi
	mkdir -p "$(dirname "$TT_TTLOAD")" || return 1
	tmp="$TT_TTLOAD.tmp.$BASHPID"
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror "$src" -o "$tmp" &&
		mv -f -- "$tmp" "$TT_TTLOAD" && return 0
	rm -f -- "$tmp"
	echo "tt_ttload: build of $src failed" >&2
	return 1
}

# ------------------------------------------------------------ namespaces

_tt_netns_del() { # NAME : kill what runs inside, then delete
	local ns=$1 p i pids
	[[ -e /run/netns/$ns ]] || return 0
	for ((i = 0; i < 40; i++)); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[[ -z $pids ]] && break
		for p in $pids; do
			if ((i < 20)); then kill -TERM "$p"; else kill -KILL "$p"; fi
		done 2>/dev/null
		sleep 0.05
	done
	ip netns del "$ns" 2>/dev/null || echo "# cleanup: ip netns del $ns failed" >&2
}

_tt_netns_add() { # NAME
	ip netns add "$1" || { echo "tt: ip netns add $1 failed" >&2; return 1; }
	tt_cleanup_add "_tt_netns_del $(printf %q "$1")"
}

tt_netns_single() { # NAME : namespace "$TT_PREFIX-NAME", lo up; sets TT_NS
	local ns="$TT_PREFIX-${1:?tt_netns_single NAME}"
	_tt_netns_add "$ns" || return 1
	ip -n "$ns" link set lo up || return 1
	TT_NS=$ns
}

tt_netns_pair() { # [TAG] : "$TT_PREFIX[-TAG]-a" <-veth-> "...-b";
	#   sets NS_A NS_B IP_A IP_B IF_A IF_B (198.18.X.1/30 and .2/30)
	local base=$TT_PREFIX${1:+-$1} x i
	[[ -n $TT_PREFIX ]] || { echo "tt_netns_pair: call tt_init first" >&2; return 1; }
	x=${TT_NET_X:-$(($$ % 250))}
	NS_A="$base-a" NS_B="$base-b"
	IP_A="198.18.$x.1" IP_B="198.18.$x.2"
	IF_A=veth-a IF_B=veth-b
	_tt_netns_add "$NS_A" || return 1
	_tt_netns_add "$NS_B" || return 1
	# Created inside the namespaces: no name clashes in the initial one.
	ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B" || return 1
	ip -n "$NS_A" addr add "$IP_A/30" dev "$IF_A" || return 1
	ip -n "$NS_B" addr add "$IP_B/30" dev "$IF_B" || return 1
	ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up || return 1
	ip -n "$NS_A" link set "$IF_A" up && ip -n "$NS_B" link set "$IF_B" up || return 1
	for ((i = 0; i < 100; i++)); do
		ip -n "$NS_A" link show "$IF_A" | grep -q LOWER_UP &&
			ip -n "$NS_B" link show "$IF_B" | grep -q LOWER_UP && return 0
		sleep 0.02
	done
	echo "tt_netns_pair: veth did not come up" >&2
	return 1
}

tt_netns_inode() { # NS : network namespace inode ("" = initial namespace)
	if [[ -z $1 ]]; then
		stat -L -c %i /proc/self/ns/net
	else
		stat -L -c %i "/run/netns/$1"
	fi
}

tt_nsexec() { # NS CMD... : run CMD in NS ("" = current namespace)
	local ns=$1
	shift
	if [[ -z $ns ]]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

tt_nstat() { # NS COUNTER : absolute value, e.g. TcpExt.ListenOverflows,
	#   TcpExtListenOverflows, Tcp.RetransSegs, Udp.RcvbufErrors, Ip6InReceives
	local want=${2//./}
	tt_nsexec "$1" cat /proc/net/netstat /proc/net/snmp /proc/net/snmp6 2>/dev/null |
		awk -v want="$want" '
			NF == 2 && $1 !~ /:$/ { if ($1 == want) { print $2; found = 1; exit } next }
			{
				p = $1; sub(/:$/, "", p)
				if (!(p in seen)) { seen[p] = 1; for (i = 2; i <= NF; i++) name[p, i] = $i; next }
				delete seen[p]
				for (i = 2; i <= NF; i++) if (p name[p, i] == want) { print $i; found = 1; exit }
			}
			END { exit !found }'
}

# -------------------------------------------------------------- sysctls

_tt_sysctl_path() { # KEY (dots) -> /proc/sys path
	echo "/proc/sys/${1//./\/}"
}

_tt_sysctl_write() { # KEY VALUE
	local p
	p=$(_tt_sysctl_path "$1")
	printf '%s\n' "$2" >"$p" 2>/dev/null || { echo "# cleanup: restoring $1 failed" >&2; return 1; }
}

tt_sysctl_global_set() { # KEY VALUE : save, register restore, then set.  The first call
	#   takes a host-wide lock held until the test exits: one global-sysctl test at a time,
	#   even outside the runner.
	local key=$1 val=$2 p old
	if [[ -z ${_TT_GLOBAL_LOCK:-} ]]; then
		exec {_TT_GLOBAL_LOCK}>/tmp/tcptriage-global-sysctl.lock
		flock -w 120 "$_TT_GLOBAL_LOCK" || { echo "tt_sysctl_global_set: another test holds the lock" >&2; return 1; }
	fi
	p=$(_tt_sysctl_path "$key")
	old=$(cat "$p" 2>/dev/null) || { echo "tt_sysctl_global_set: cannot read $key" >&2; return 1; }
	tt_cleanup_add "_tt_sysctl_write $(printf %q "$key") $(printf %q "$old")" || return 1
	printf '%s\n' "$val" >"$p" 2>/dev/null || { echo "tt_sysctl_global_set: cannot write $key=$val" >&2; return 1; }
}

tt_sockstat_tcp() { # FIELD : value after FIELD on the TCP line of /proc/net/sockstat (mem, orphan, tw...)
	awk -v f="$1" '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' /proc/net/sockstat
}

tt_sysctl_get() { # [NS] KEY : print current value (in NS if given)
	if (($# == 1)); then cat "$(_tt_sysctl_path "$1")"; else
		tt_nsexec "$1" cat "$(_tt_sysctl_path "$2")"; fi
}

tt_sysctl_ns_set() { # NS KEY VALUE : per-namespace sysctl (no restore needed:
	#   the namespace is deleted at cleanup)
	ip netns exec "$1" sh -c 'printf "%s\n" "$2" > "$1"' _ "$(_tt_sysctl_path "$2")" "$3"
}
