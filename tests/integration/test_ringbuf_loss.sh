#!/usr/bin/env bash
# Loss accounting: overflow the ring buffer on purpose and check every record
# is either delivered or counted as lost.
#
# The agent runs with the smallest ring buffer (--ringbuf-kb 4: 15 console
# records of 272 bytes) and is stopped (SIGSTOP) while N kernel verdict lines
# are written to /dev/kmsg, so the ring must overflow; then it continues.
# printk:console fires when a line is stored (printk_sprint), whatever the
# console loglevel, so every line written reaches the BPF program; /dev/kmsg
# rate-limits each open file to 10 lines per 5 s, so each line is written
# through a fresh open. Then: events seen + ringbuf_full == N, exactly, and
# the per-interval stats lines add up to the end line's total.
# The lines say "TCP: time wait bucket table overflow", a verdict this kernel
# never prints itself, tagged with this test's pid.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=tests/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent.sh"

tt_require setsid
tt_init rbloss
ta_require
[[ -w /dev/kmsg ]] || tt_bail "/dev/kmsg not writable"
N=${TT_RBLOSS_LINES:-3000}
TAG="tt-rbloss-$$"
tt_diag "kernel.printk: $(cat /proc/sys/kernel/printk); printk_devkmsg: $(cat /proc/sys/kernel/printk_devkmsg)"

write_lines() { # COUNT : verdict lines through /dev/kmsg, one open each
	local i
	for ((i = 0; i < $1; i++)); do
		printf '<4>TCP: time wait bucket table overflow (%s #%d)\n' "$TAG" "$i" >/dev/kmsg ||
			return 1
	done
}

stats_sum() { # FILE FIELD : sum of .agent.FIELD over the stats lines
	jq -s --arg f "$2" '[.[] | select(.type == "stats") | .agent[$f] // 0] | add // 0' "$1"
}

# ------------------------------------------------------------- JSON Lines
AG=$TT_TMP/agent.json
ta_start "$AG" --ringbuf-kb 4 --duration 120 || tt_bail "agent start"
ringbufs=$(for f in /proc/"$TA_PID"/fdinfo/*; do # BPF_MAP_TYPE_RINGBUF is 27
	awk '$1 == "map_type:" { t = $2 } $1 == "max_entries:" { m = $2 } END { if (t == 27) print m }' "$f"
done 2>/dev/null | sort -u | tr '\n' ' ')
tt_assert_eq "$ringbufs" "4096 " "the agent's ring buffer has 4096 bytes (--ringbuf-kb 4)"
kill -STOP "$TA_PID"
write_lines "$N" || { kill -CONT "$TA_PID"; tt_bail "write to /dev/kmsg"; }
kill -CONT "$TA_PID"
ta_stop 20 || tt_bail "agent end line"
seen=$(jq -r --arg t "$TAG" 'select(.type == "event" and (.text | contains($t))) | .text' "$AG" | wc -l)
full=$(ta_end "$AG" | jq -r '.agent.ringbuf_full')
tt_diag "wrote $N lines; agent events with the tag: $seen; ringbuf_full: $full; stats lines sum: $(stats_sum "$AG" ringbuf_full)"
level=$(cut -f1 /proc/sys/kernel/printk)
if ((seen == 0 && full == 0 && level <= 4)); then
	# older kernels fire printk:console only for lines the console prints
	tt_skip "ring buffer loss: console_loglevel $level keeps these <4> lines from printk:console on this kernel"
	tt_finish
fi
tt_assert_ge "$seen" 1 "the records that fit were delivered"
tt_assert_ge "$full" $((N - 16)) "the rest overflowed the 4 KiB ring (ringbuf_full >= N - 16)"
tt_assert_eq "$((seen + full))" "$N" "events seen + ringbuf_full == lines written"
tt_assert_eq "$(stats_sum "$AG" ringbuf_full)" "$full" "stats lines' ringbuf_full add up to the end line's"
tt_assert_eq "$(ta_end "$AG" | jq -r '.agent.records_malformed')" 0 "no malformed records"

# ------------------------------------------------------------------- text
TX=$TT_TMP/agent.txt
tt_bg -o "$TX" "$TT_AGENT" diagnose --ringbuf-kb 4 --duration 60 >/dev/null
pid=$TT_BG_PID
tt_wait_for_line "$TX" 'watching' 20 || tt_bail "text agent start"
kill -STOP "$pid"
write_lines 100 || { kill -CONT "$pid"; tt_bail "write to /dev/kmsg"; }
kill -CONT "$pid"
kill -INT "$pid"
tt_wait_for_line "$TX" 'agent lost [0-9]+ records' 20 || tt_diag_file "$TX"
lost=$(sed -nE 's/.*agent lost ([0-9]+) records.*/\1/p' "$TX" | tail -n 1)
tt_assert_ge "${lost:-0}" 84 "the text report says the agent lost the records that did not fit"

tt_finish
