#!/usr/bin/env bash
# Each hook loads on its own (issue 10): a hook whose program the kernel
# refuses is reported unavailable, with the kernel's reason, while the others
# run; an essential hook refused stops the agent with its name.  The refusal
# is a real one (TCPTRIAGE_TEST_REFUSE loads that hook's program as a socket
# filter, which the kernel rejects in every form).  A refusal only in storage
# mode turns the storage off and keeps the hook's form.  Also: every attach
# mode checks out, by default every hook takes its best form and owners go in
# socket storage where the kernel allows, --btf names the BTF in use, and
# nothing stays attached.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require timeout bpftool
tt_init kvar
ta_require
A=$TT_AGENT
progs0=$(ta_bpf_progs)

hook_line() { # OUTPUT TRACEPOINT : check's line for that hook
	grep -E "^[* ] +$2 " <<<"$1"
}

# ------------------------------------------------ every attach mode
for mode in tp_btf raw_tp tracepoint; do
	out=$(timeout 60 "$A" check --attach "$mode" 2>&1)
	tt_assert_eq "$?" 0 "check --attach $mode exits 0"
	tt_assert_eq "$(grep -cE '^[* ] +(tcp|sock|skb|printk):[a-z_]+ +none ' <<<"$out")" 0 \
		"check --attach $mode: every tracepoint hook attached"
	[[ $mode == tp_btf ]] && kept_tp_btf=$(grep '^socket owners kept in: ' <<<"$out") && best=$out
	[[ $mode == raw_tp ]] && kept_raw_tp=$(grep '^socket owners kept in: ' <<<"$out")
done

# ------------------------------------------------ the best form, by default
# A program the verifier refuses as tp_btf falls back to raw_tp, and owners to
# the map, without failing anything: only its cost would show.  Every kernel
# of the matrix (5.10 on) takes all ten tracepoint hooks as tp_btf, and keeps
# owners in socket storage from 5.11 on (bpf_sock_from_file).
tt_assert_eq "$(grep -cE '^[* ] +(tcp|sock|skb|printk):[a-z_]+ +tp_btf ' <<<"$best")" 10 \
	"check: all 10 tracepoint hooks attached as tp_btf"
# Where owners are not kept in socket storage, check says why.
IN_MAP="socket owners kept in: the owners map"
MAP_KERNEL="$IN_MAP (this kernel keeps no socket storage for tracing programs (5.11+))"
read -r kmaj kmin _ < <(uname -r | tr '.-' '  ')
if ((kmaj > 5 || (kmaj == 5 && kmin >= 11))); then
	tt_assert_eq "$kept_tp_btf" "socket owners kept in: socket storage" \
		"check: owners kept in socket storage (Linux $kmaj.$kmin >= 5.11)"
	tt_assert_eq "$kept_raw_tp" "$IN_MAP (a hook attached without tp_btf, whose socket is untyped)" \
		"check --attach raw_tp: owners kept in the owners map, for the attach form"
else
	tt_assert_eq "$kept_tp_btf" "$MAP_KERNEL" \
		"check: owners kept in the owners map, for the kernel (Linux $kmaj.$kmin < 5.11)"
	tt_assert_eq "$kept_raw_tp" "$MAP_KERNEL" \
		"check --attach raw_tp: owners kept in the owners map, for the kernel"
fi

# ------------------------------------------------ one hook refused
out=$(TCPTRIAGE_TEST_REFUSE=send_reset timeout 60 "$A" check 2>&1)
tt_assert_eq "$?" 0 "check exits 0 with send_reset refused (not essential)"
line=$(hook_line "$out" tcp:tcp_send_reset)
tt_diag "send_reset: $line"
tt_assert_true "[[ '$line' == *' none '*'load: '* ]]" "send_reset is unavailable, with the kernel's reason"
tt_assert_eq "$(grep -cE '^[* ] +(tcp|sock|skb|printk):[a-z_]+ +tp_btf ' <<<"$out")" 9 \
	"the other 9 tracepoint hooks attached as tp_btf"
tt_assert_eq "$(grep '^socket owners kept in: ' <<<"$out")" "$kept_tp_btf" \
	"owners kept where they are without the refusal (it was not the storage's)"

AG=$TT_TMP/agent.json
TCPTRIAGE_TEST_REFUSE=send_reset ta_start "$AG" --duration 2 || tt_bail "agent start with send_reset refused"
ta_stop 10 || tt_bail "agent end line"
start=$(jq -c 'select(.type == "start")' "$AG")
tt_assert_eq "$(jq -r '.capabilities.hooks[] | select(.tracepoint.name == "tcp_send_reset") | .attached' <<<"$start")" \
	null "start line: tcp_send_reset attached null"
tt_assert_true "jq -e '.capabilities.hooks[] | select(.tracepoint.name == \"tcp_send_reset\") | .error | test(\"load\")' <<<\"\$start\" >/dev/null" \
	"start line: tcp_send_reset carries the reason"
tt_assert_eq "$(jq -r '[.capabilities.hooks[] | select(.essential)] | length' <<<"$start")" 4 \
	"start line: four essential hooks"
tt_assert_eq "$(jq -c 'select(.type == "end")' "$AG" | wc -l)" 1 "the agent ran to its end line"

# ------------------------------------------------ refused only with owners in socket storage
# A kernel that refuses a hook for the socket storage (TCPTRIAGE_TEST_REFUSE
# HOOK:storage) must cost the storage, not the hook's best form.
if grep -qx 'socket owners kept in: socket storage' <<<"$out"; then
	out=$(TCPTRIAGE_TEST_REFUSE=send_reset:storage timeout 60 "$A" check 2>&1)
	tt_assert_eq "$?" 0 "check exits 0 with send_reset refused in storage mode only"
	tt_diag "send_reset: $(hook_line "$out" tcp:tcp_send_reset)"
	tt_assert_true "[[ '$(hook_line "$out" tcp:tcp_send_reset)' == *' tp_btf '* ]]" \
		"send_reset still attached as tp_btf (not demoted for the storage's refusal)"
	tt_assert_eq "$(grep '^socket owners kept in: ' <<<"$out")" \
		"$IN_MAP (the kernel refused the programs with socket storage: -v for why)" \
		"owners kept in the map instead, for the refusal"
else
	tt_skip "refusal in storage mode only: this kernel keeps owners in the map"
fi

# ------------------------------------------------ an essential hook refused
TCPTRIAGE_TEST_REFUSE=drop timeout 60 "$A" check >"$TT_TMP/ess.out" 2>"$TT_TMP/ess.err"
tt_assert_eq "$?" 1 "check exits 1 with kfree_skb refused (essential)"
tt_assert_true "grep -q 'essential hook skb:kfree_skb' '$TT_TMP/ess.err'" "the error names the essential hook"

# ------------------------------------------------ --btf
cp /sys/kernel/btf/vmlinux "$TT_TMP/vmlinux.btf"
out=$(timeout 60 "$A" check --btf "$TT_TMP/vmlinux.btf" 2>&1)
tt_assert_eq "$?" 0 "check --btf FILE exits 0"
tt_assert_true "grep -qx 'BTF: $TT_TMP/vmlinux.btf' <<<\"\$out\"" "check says which BTF is in use"
head -c 64 /dev/urandom >"$TT_TMP/junk.btf"
timeout 10 "$A" check --btf "$TT_TMP/junk.btf" >/dev/null 2>"$TT_TMP/junk.err"
tt_assert_eq "$?" 2 "check --btf junk exits 2"
tt_assert_eq "$(wc -l <"$TT_TMP/junk.err")" 1 "check --btf junk: one line on stderr"

# ------------------------------------------------ nothing left attached
sleep 2 # the kernel frees programs after their last reference, deferred
tt_assert_eq "$(ta_bpf_progs)" "$progs0" "no BPF program left behind"

tt_finish
