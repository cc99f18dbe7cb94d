// SPDX-License-Identifier: GPL-2.0
/* Packet drops by kernel drop reason, attributed to the receiving socket's owner. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Queues purged when a socket closes are not lost packets: not worth a map update. */
static __always_inline bool is_queue_purge(__u32 reason)
{
	return bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE);
}

static __always_inline void on_drop(const struct sk_buff *skb, __u32 reason,
				    const struct sock *rx_sk)
{
	const struct sock *sk = rx_sk;
	__u32 netns;

	if (is_queue_purge(reason))
		return;
	/* typed in storage mode (ARG_READ): owner_of() looks in the socket's storage */
	if (!sk)
		sk = ARG_READ(skb->sk, skb, sk);
	if (sk)
		netns = arg_netns(sk);
	else
		netns = skb_netns(skb);
	count_add(sk, netns, TT_SIG_DROP, reason, ARG_READ(skb->len, skb, len));
}

/*
 * Before 6.11 kfree_skb names no receiving socket, so a UDP datagram that a
 * full receive buffer (or udp_mem) refused is a drop of nobody's.  The UDP
 * layer's own tracepoint for it has the socket: its owner is counted here
 * (udp_refused, for the finding's culprit; kfree_skb counts the drop itself).
 * From 6.11 the drop has its socket: both forms return at once.  No classic
 * form: its record has no socket, so it would count nothing kfree_skb does not.
 */
static __always_inline void on_udp_refused(const struct sock *sk)
{
	if (tt_kfree_skb_has_rx_sk())
		return;
	if (sk)
		count_add(sk, arg_netns(sk), TT_SIG_UDP_REFUSED, 0, 1);
}

TT_HOOK_BTF_RAW(udp_refused, "udp_fail_queue_rcv_skb", on_udp_refused(sk), int rc, struct sock *sk)

/* reason is the third argument since 5.17, rx_sk the fourth since 6.11 */
TT_HOOK_BTF_RAW(drop, "kfree_skb",
		on_drop(skb, tt_opt_arg(ctx, 2, tt_kfree_skb_has_reason()),
			(const struct sock *)tt_opt_arg(ctx, 3, tt_kfree_skb_has_rx_sk())),
		struct sk_buff *skb, void *location)

SEC("tracepoint/skb/kfree_skb")
int drop__tp(struct trace_event_raw_kfree_skb___any *ctx)
{
	const struct sock *rx_sk = tt_kfree_skb_has_rx_sk() ? ctx->rx_sk : NULL;

	on_drop(ctx->skbaddr, tt_kfree_skb_has_reason() ? ctx->reason : 0, rx_sk);
	return 0;
}
