// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel log lines as printed: only networking verdicts ("TCP: ...",
 * "nf_conntrack: ...") go to userspace, which classifies them precisely.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PREFIX_SCAN 48 /* a "[ 1234.567890] " timestamp may come first */

static __always_inline bool has_prefix(const char *s, const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] != p[i])
			return false;
	return true;
}

/* Offset of the message after an optional "[...] " prefix, or -1. */
static __always_inline int message_start(const char *buf)
{
	if (buf[0] != '[')
		return 0;
	for (int i = 1; i < PREFIX_SCAN - 1; i++)
		if (buf[i] == ']')
			return buf[i + 1] == ' ' ? i + 2 : i + 1;
	return -1;
}

static __always_inline bool is_net_verdict(const char *buf)
{
	int off = message_start(buf);

	if (off < 0 || off > PREFIX_SCAN)
		return false;
	buf += off;
	return has_prefix(buf, "TCP: ", 5) || has_prefix(buf, "TCP6: ", 6) ||
	       has_prefix(buf, "nf_conntrack: ", 14);
}

static __always_inline void on_console(const char *text, __u64 len)
{
	char head[PREFIX_SCAN + 16] = {};
	struct tt_rec_console *rec;

	/* filter on a stack copy first, so other log lines cost no ring space */
	if (len > sizeof(rec->text))
		len = sizeof(rec->text);
	if (bpf_probe_read_kernel(head, len < sizeof(head) ? len : sizeof(head), text)) {
		health_inc(TT_H_READ_FAILED);
		return;
	}
	if (!is_net_verdict(head))
		return;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		health_inc(TT_H_RINGBUF_FULL);
		return;
	}
	if (bpf_probe_read_kernel(rec->text, len, text)) {
		bpf_ringbuf_discard(rec, 0);
		health_inc(TT_H_READ_FAILED);
		return;
	}
	rec->hdr.type = TT_REC_CONSOLE;
	rec->hdr.size = sizeof(*rec);
	rec->hdr.ts_ns = bpf_ktime_get_ns();
	rec->len = len;
	rec->pad = 0;
	bpf_ringbuf_submit(rec, 0);
}

TT_HOOK_BTF_RAW(console, "console", on_console(text, len), const char *text, size_t len)

SEC("tracepoint/printk/console")
int console__tp(struct trace_event_raw_console *ctx)
{
	__u32 loc = ctx->__data_loc_msg;

	on_console((const char *)ctx + (loc & 0xffff), loc >> 16);
	return 0;
}
