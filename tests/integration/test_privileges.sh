#!/usr/bin/env bash
# Privileges.
#  (a) Without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN (as nobody, and as uid 0
#      with those capabilities dropped) check and diagnose exit 1 with one
#      line on stderr naming what is missing and how to grant it.
#  (b) Once loaded and attached, the running agent keeps only CAP_SYS_ADMIN
#      (setns into each network namespace: per-namespace counters, socket
#      iterators) and CAP_SYS_PTRACE (open /proc/<pid>/ns/net of processes
#      with other credentials), in every set including the bounding set,
#      with no_new_privs: read from /proc/<agent>/status while it runs.
#  (c) It still works after the drop: a listen queue overflow in an
#      anonymous network namespace (no /run/netns name: found only through
#      /proc/<pid>/ns/net of a root process, which needs CAP_SYS_PTRACE) is
#      diagnosed with the socket snapshot's evidence, which needs setns()
#      (CAP_SYS_ADMIN) and new BPF iterators after the drop.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require ip setpriv capsh setsid unshare nsenter
tt_init privs
ta_require
tt_ttload || tt_bail "build ttload"
A=$TT_AGENT

# ------------------------------------------------- (a) not enough privilege
no_privs() { # DESCRIPTION CMD... : exit 1, one stderr line with what and how
	local what=$1 rc
	shift
	timeout 20 "$@" >"$TT_TMP/np.out" 2>"$TT_TMP/np.err"
	rc=$?
	tt_assert_eq "$rc" 1 "$what: exit 1"
	tt_assert_eq "$(wc -l <"$TT_TMP/np.err")" 1 "$what: one line on stderr"
	tt_assert_true "grep -q '^tcptriage: missing .*CAP_BPF.* run as root.*setcap cap_bpf' '$TT_TMP/np.err'" \
		"$what: names the missing capabilities and how to grant them ($(head -c 160 "$TT_TMP/np.err"))"
}
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
# uid 0 alone is not enough: capsh drops them from the bounding set before exec
# shellcheck disable=SC2054,SC2016  # a capsh list; "$@" is expanded by capsh's shell
ROOT_NOCAPS=(capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- -c 'exec "$@"' _)
no_privs "check as nobody" "${NOBODY[@]}" "$A" check
no_privs "diagnose as nobody" "${NOBODY[@]}" "$A" diagnose --duration 1
no_privs "check as root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN" "${ROOT_NOCAPS[@]}" "$A" check
no_privs "diagnose as root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN" "${ROOT_NOCAPS[@]}" "$A" diagnose --duration 1

# ------------------------------------------- (b) what the running agent keeps
PORT=5601
# The server owns the namespace: it goes away when the server is killed.
# shellcheck disable=SC2016  # expanded by sh
tt_bg -o "$TT_TMP/srv.out" unshare --net sh -c 'ip link set lo up && exec "$@"' _ \
	"$TT_TTLOAD" tcp-server --bind 127.0.0.1 --port $PORT --backlog 1 --no-accept \
	--seconds 60 >/dev/null
SRV=$TT_BG_PID
tt_wait_for_line "$TT_TMP/srv.out" '^ready$' 5 || tt_bail "tcp-server ready"
AG=$TT_TMP/agent.json
ta_start "$AG" --duration 60 || tt_bail "agent start"

capfield() { awk -v f="$1:" '$1 == f { print "x" $2 }' "/proc/$TA_PID/status"; } # "x": a string, not a number
KEEP=x0000000000280000 # CAP_SYS_ADMIN (21) | CAP_SYS_PTRACE (19)
tt_diag "agent pid $TA_PID: $(grep -E '^(Cap|NoNewPrivs)' "/proc/$TA_PID/status" | tr '\t\n' '  ')"
tt_assert_eq "$(capfield CapEff)" $KEEP "effective set is CAP_SYS_ADMIN + CAP_SYS_PTRACE only"
tt_assert_eq "$(capfield CapPrm)" $KEEP "permitted set is the same (nothing can be raised again)"
tt_assert_eq "$(capfield CapBnd)" $KEEP "bounding set is the same (exec as uid 0 cannot regain any)"
tt_assert_eq "$(capfield CapInh)" x0000000000000000 "inheritable set is empty"
tt_assert_eq "$(capfield CapAmb)" x0000000000000000 "ambient set is empty"
tt_assert_eq "$(capfield NoNewPrivs)" x1 "no_new_privs is set"

# ----------------------------------------------- (c) it still works after that
overflows() { # ListenOverflows of the server's namespace
	awk '$1 == "TcpExt:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == "ListenOverflows") c = i }
		else print $c }' "/proc/$SRV/net/netstat"
}
o0=$(overflows)
nsenter -t "$SRV" -n "$TT_TTLOAD" tcp-client --host 127.0.0.1 --port $PORT --conns 6 \
	--hold 1 --seconds 8 >"$TT_TMP/cli.out" 2>&1
o1=$(overflows)
tt_wait_for_line "$AG" '"cause":"listen_overflow"' 10 || tt_diag "no listen_overflow line yet"
ta_stop 10 || tt_bail "agent end line"
ta_show "$AG"
tt_diag "client: $(tail -n 1 "$TT_TMP/cli.out"); ListenOverflows delta $((o1 - o0))"
tt_assert_ge "$((o1 - o0))" 1 "the kernel counted listen overflows in the namespace"
f=$(ta_findings "$AG" listen_overflow | tail -n 1)
tt_assert_true "[[ -n '${f:0:1}' ]]" "listen_overflow diagnosed after the drop"
tt_assert_ge "$(jq -r '.evidence.accept_queue // 0' <<<"$f")" 1 \
	"its snapshot evidence has the full accept queue (setns and iterators after the drop)"
tt_assert_eq "$(grep -c 'cannot drop capabilities' "$AG.err")" 0 "no warning about dropping capabilities"

tt_finish
