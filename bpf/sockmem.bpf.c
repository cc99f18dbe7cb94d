// SPDX-License-Identifier: GPL-2.0
/* Socket memory limits: protocol (tcp_mem) limit hits and full receive queues. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* sk may be NULL (classic tracepoint has no socket): then the owner is unknown. */
static __always_inline void on_exceed(const struct sock *sk, long allocated, int kind)
{
	count_add(sk, sk ? netns_of(sk) : 0, TT_SIG_EXCEED_BUF, kind, allocated);
}

static __always_inline void on_rcvq_full(const struct sock *sk, const struct sk_buff *skb)
{
	count_add(sk, netns_of(sk), TT_SIG_RCVQ_FULL, 0, BPF_CORE_READ(skb, truesize));
}

TT_HOOK_BTF_RAW(exceed_buf, "sock_exceed_buf_limit",
		on_exceed(sk, allocated, kind),
		struct sock *sk, struct proto *prot, long allocated, int kind)

SEC("tracepoint/sock/sock_exceed_buf_limit")
int exceed_buf__tp(struct trace_event_raw_sock_exceed_buf_limit *ctx)
{
	on_exceed(NULL, ctx->allocated, ctx->kind);
	return 0;
}

TT_HOOK_BTF_RAW(rcvq_full, "sock_rcvqueue_full", on_rcvq_full(sk, skb),
		struct sock *sk, struct sk_buff *skb)

SEC("tracepoint/sock/sock_rcvqueue_full")
int rcvq_full__tp(struct trace_event_raw_sock_rcvqueue_full *ctx)
{
	count_add(NULL, 0, TT_SIG_RCVQ_FULL, 0, ctx->truesize);
	return 0;
}
