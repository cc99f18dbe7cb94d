#!/usr/bin/env bash
# Kernel verdict lines that only look like the kernel's (written to /dev/kmsg,
# as a privileged container could) while every counter is calm: the agent
# shows them as kernel_log_unconfirmed (info) and raises no warning or
# critical finding (issue 11, corroboration).
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require timeout
tt_init forged
ta_require
[[ -w /dev/kmsg ]] || tt_bail "/dev/kmsg is not writable"

AG=$TT_TMP/agent.json
ta_start "$AG" --duration 30 || tt_bail "agent start"
written=$(date +%s.%N)
for line in "TCP: out of memory -- consider tuning tcp_mem" \
	"nf_conntrack: nf_conntrack: table full, dropping packet" \
	"TCP: too many orphaned sockets"; do
	printf '<6>%s\n' "$line" >/dev/kmsg
done
ta_wait_ticks "$AG" 3 || tt_diag "agent did not tick"
ta_stop || tt_bail "agent end line"
ta_show "$AG"

seen=$(jq -c 'select(.type == "event" and .event == "kernel_log")' "$AG" | wc -l)
level=$(cut -f1 /proc/sys/kernel/printk)
if ((seen == 0 && level <= 6)); then
	tt_skip "forged lines: console_loglevel $level hides KERN_INFO lines from printk:console here"
	tt_finish
fi
tt_assert_eq "$seen" 3 "the agent saw the three lines as kernel_log events"
# when the kernel saw each line, not when the agent wrote it: within a second of the write
tt_assert_true "jq -e -s --argjson w $written '[.[] | select(.type == \"event\") | .kernel_ts | sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdateiso8601 | . - \$w | fabs < 2] | length == 3 and all' \"\$AG\" >/dev/null" \
	"each event's kernel_ts is when the line was written (within 2 s)"
tt_assert_true "jq -e -s '[.[] | select(.type == \"event\") | .kernel_monotonic_ns | numbers | select(. > 0)] | length == 3' \"\$AG\" >/dev/null" \
	"each event carries the kernel's monotonic stamp"
tt_assert_eq "$(ta_severe_findings "$AG" | wc -l)" 0 "no warning or critical finding from forged lines"
f=$(ta_findings "$AG" kernel_log_unconfirmed | tail -n 1)
tt_assert_eq "$(jq -r '.severity // empty' <<<"$f")" info "kernel_log_unconfirmed is info"
tt_assert_true "jq -e '.evidence.claimed_cause | length > 0' <<<\"\$f\" >/dev/null" \
	"it names the cause the line claims"
for cause in tcp_mem_exhausted conntrack_full orphan_sockets; do
	tt_assert_eq "$(ta_findings "$AG" "$cause" | wc -l)" 0 "no $cause finding"
done
tt_finish
