// SPDX-License-Identifier: GPL-2.0
/* Socket memory limits: protocol (tcp_mem) limit hits and full receive queues. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void memstate_note(long allocated, const long sysctl_mem[3])
{
	__u32 zero = 0;
	struct tt_memstate *ms = bpf_map_lookup_elem(&memstate, &zero);

	if (!ms)
		return;
	__sync_fetch_and_add(&ms->hits, 1);
	ms->last_ns = bpf_ktime_get_ns();
	ms->allocated = allocated;
	ms->sysctl_mem[0] = sysctl_mem[0];
	ms->sysctl_mem[1] = sysctl_mem[1];
	ms->sysctl_mem[2] = sysctl_mem[2];
}

/* sk may be NULL (classic tracepoint has no socket): then the owner is unknown. */
static __always_inline void on_exceed(const struct sock *sk, long allocated, int kind,
				      const long sysctl_mem[3])
{
	__u32 netns = sk ? netns_of(sk) : 0;

	memstate_note(allocated, sysctl_mem);
	count_add(sk, netns, TT_SIG_EXCEED_BUF, kind, allocated);
}

static __always_inline void on_exceed_prot(const struct sock *sk, const struct proto *prot,
					   long allocated, int kind)
{
	long mem[3] = {};

	bpf_probe_read_kernel(mem, sizeof(mem), BPF_CORE_READ(prot, sysctl_mem));
	on_exceed(sk, allocated, kind, mem);
}

static __always_inline void on_rcvq_full(const struct sock *sk, const struct sk_buff *skb)
{
	count_add(sk, netns_of(sk), TT_SIG_RCVQ_FULL, 0, BPF_CORE_READ(skb, truesize));
}

TT_HOOK_BTF_RAW(exceed_buf, "sock_exceed_buf_limit",
		on_exceed_prot(sk, prot, allocated, kind),
		struct sock *sk, struct proto *prot, long allocated, int kind)

SEC("tracepoint/sock/sock_exceed_buf_limit")
int exceed_buf__tp(struct trace_event_raw_sock_exceed_buf_limit *ctx)
{
	long mem[3] = { ctx->sysctl_mem[0], ctx->sysctl_mem[1], ctx->sysctl_mem[2] };

	on_exceed(NULL, ctx->allocated, ctx->kind, mem);
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
