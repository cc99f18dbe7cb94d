// SPDX-License-Identifier: GPL-2.0
/* Retransmits: per owner (counts) and per flow (flows LRU). */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Segments in the skb, as the kernel adds them to Tcp RetransSegs. */
static __always_inline __u64 skb_segs(const struct sk_buff *skb)
{
	const struct tcp_skb_cb *cb = (const void *)skb->cb;
	__u16 segs = BPF_CORE_READ(cb, tcp_gso_segs);

	return segs ? segs : 1;
}

/* The connection's own totals come along, so its retransmits can be judged against its traffic. */
static __always_inline void flow_add(const struct sock *sk, __u32 netns, const struct tt_owner *owner,
				     __u64 segs)
{
	const struct tcp_sock *tp = (const void *)sk;
	struct tt_flow_key key = {};
	struct tt_flow_val *val;

	flow_from_sk(sk, netns, &key);
	val = flow_entry(&key, owner ? owner->tgid : 0);
	if (!val)
		return;
	__sync_fetch_and_add(&val->retrans_segs, segs);
	__sync_fetch_and_add(&val->retrans_events, 1);
	val->segs_out = BPF_CORE_READ(tp, segs_out);
	val->total_retrans = BPF_CORE_READ(tp, total_retrans);
	val->dsack_dups = BPF_CORE_READ(tp, dsack_dups); /* a slow ack's loss probes were not lost */
	val->last_ns = bpf_ktime_get_ns();
}

static __always_inline void on_retransmit(const struct sock *sk, const struct sk_buff *skb,
					  int err)
{
	__u32 netns = arg_netns(sk);
	struct tt_owner buf, *owner = owner_of(sk, netns, &buf); /* once, for the count and the flow */
	__u64 segs;

	if (err) {
		count_add_by(owner, netns, TT_SIG_RETRANS_FAIL, -err, 1);
		return;
	}
	segs = skb_segs(skb);
	count_add_by(owner, netns, TT_SIG_RETRANS, 0, segs);
	flow_add(sk, netns, owner, segs);
}

static __always_inline void on_synack_retransmit(const struct sock *sk)
{
	count_add(sk, arg_netns(sk), TT_SIG_SYNACK_RETRANS, 0, 1);
}

/* err (a failed local send) is the third argument since 6.17 */
TT_HOOK_BTF_RAW(retransmit, "tcp_retransmit_skb",
		on_retransmit(sk, skb, (int)tt_opt_arg(ctx, 2, tt_retransmit_has_err())),
		const struct sock *sk, const struct sk_buff *skb)

SEC("tracepoint/tcp/tcp_retransmit_skb")
int retransmit__tp(void *ctx)
{
	struct trace_event_raw_tcp_event_sk_skb___old *old = ctx;
	struct trace_event_raw_tcp_retransmit_skb *rec = ctx;

	if (tt_retransmit_has_err())
		on_retransmit(rec->skaddr, rec->skbaddr, rec->err);
	else
		on_retransmit(old->skaddr, old->skbaddr, 0);
	return 0;
}

TT_HOOK_BTF_RAW(synack_retransmit, "tcp_retransmit_synack", on_synack_retransmit(sk),
		const struct sock *sk, const struct request_sock *req)

SEC("tracepoint/tcp/tcp_retransmit_synack")
int synack_retransmit__tp(struct trace_event_raw_tcp_retransmit_synack *ctx)
{
	on_synack_retransmit(ctx->skaddr);
	return 0;
}
