// SPDX-License-Identifier: GPL-2.0
/* Resets sent (by kernel reason) and received; aborts on memory get a record each. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline bool is_abort_on_memory(__u32 reason)
{
	if (!bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_MEMORY))
		return false;
	return reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_MEMORY);
}

/*
 * Which peers the resets go to or come from, by service, not by connection:
 * the ephemeral one of the two ports is left out (0), so that a storm of
 * short connections to one service (or from one client host) is one entry,
 * found again at each reset, and does not push the connections with
 * retransmits out of the LRU.  The local port is the service when its owner
 * listens there (an accepted socket's owner is its listener), else when it
 * is the lower of the two and known (a closed socket gave its port back: 0).
 * Userspace groups resets by service port too.
 */
static __always_inline void flow_by_service(struct tt_flow_key *key, const struct tt_owner *owner)
{
	bool serves = owner && owner->listen_port ? owner->listen_port == key->sport :
						    key->sport && key->sport < key->dport;

	if (serves)
		key->dport = 0;
	else
		key->sport = 0;
}

/*
 * Each CPU keeps, for resets sent and for resets received apart, the last
 * flow it counted resets of and the resets counted since (struct
 * tt_reset_cache, in its tt_cpu_state): a storm's resets mostly share one
 * flow a direction (by service, above), and the flows lookup cost ~150 ns a
 * reset received in a storm (`make bench`) where this costs a few.  One entry
 * for both directions took the flows lookup at every reset of a connection
 * churn closing with resets, where the client's reset sent and the server's
 * reset received alternate on one CPU (loopback).  Another flow sends the
 * counts on.  Each tick userspace runs flush_resets on every CPU holding
 * some (user/collect/resetflush.c), so flows is a tick behind at most, and
 * each reset reaches flows once, sent by a program on its own CPU.
 */
static __always_inline bool flow_key_eq(const struct tt_flow_key *a, const struct tt_flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

#pragma unroll
	for (__u32 i = 0; i < sizeof(*a) / sizeof(*x); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* What out holds goes on to flows (from one call site: flow_entry() is inlined once). */
static __always_inline void flow_add_resets(const struct tt_reset_cache *out)
{
	struct tt_flow_val *val;

	if (!out->sent && !out->received)
		return;
	val = flow_entry(&out->key, out->tgid);
	if (!val)
		return;
	__sync_fetch_and_add(&val->resets_sent, out->sent);
	__sync_fetch_and_add(&val->resets_received, out->received);
	val->last_ns = bpf_ktime_get_ns();
}

/*
 * Count a reset of sk's flow in this CPU's cache.  A program nesting over
 * another on this CPU while that one changes the entry (busy) goes to flows
 * directly (as count_key_add() does).
 */
static __always_inline void flow_note_reset(const struct sock *sk, __u32 netns,
					    const struct tt_owner *owner, bool sent)
{
	struct tt_reset_cache out = { .sent = sent, .received = !sent }, *c;
	struct tt_cpu_state *st;

	flow_from_sk(sk, netns, &out.key);
	flow_by_service(&out.key, owner);
	out.tgid = owner ? owner->tgid : 0;
	st = cpu_state();
	c = st ? &st->reset[!sent] : NULL;
	if (c && !c->busy) {
		c->busy = 1;
		barrier();
		if (flow_key_eq(&c->key, &out.key)) {
			c->sent += out.sent;
			c->received += out.received;
			out.sent = out.received = 0;
		} else { /* the entry's counts go on, this reset takes it */
			struct tt_reset_cache old = *c;

			c->key = out.key;
			c->tgid = out.tgid;
			c->sent = out.sent;
			c->received = out.received;
			out = old;
		}
		barrier();
		c->busy = 0;
	}
	flow_add_resets(&out);
}

/* c's resets go on to flows; false when a program it interrupted is changing c. */
static __always_inline bool flush_reset_cache(struct tt_reset_cache *c)
{
	struct tt_reset_cache out;

	if (c->busy)
		return false;
	c->busy = 1;
	barrier();
	out = *c;
	c->sent = c->received = 0;
	barrier();
	c->busy = 0;
	flow_add_resets(&out);
	return true;
}

/*
 * This CPU's cached resets go on to flows.  Userspace runs it on a CPU
 * (bpf_prog_test_run_opts(), BPF_F_TEST_RUN_ON_CPU), never attached.  1: a
 * program it interrupted was changing an entry, try again (the one flushed
 * already holds nothing new).
 */
SEC("raw_tp")
int flush_resets(void *ctx)
{
	struct tt_cpu_state *st = cpu_state();
	int busy = 0;

	if (!st)
		return 0;
#pragma clang loop unroll(disable) /* flow_add_resets() inlined once */
	for (__u32 i = 0; i < 2; i++)
		busy |= !flush_reset_cache(&st->reset[i]);
	return busy;
}

/* Rare and decisive (the kernel killing a socket for memory): one record each. */
static __always_inline void emit_reset(const struct sock *sk, __u32 netns,
				       const struct tt_owner *owner, __u32 reason)
{
	struct tt_rec_reset *rec;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		health_inc(TT_H_RINGBUF_FULL);
		return;
	}
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->hdr.type = TT_REC_RESET;
	rec->hdr.size = sizeof(*rec);
	rec->hdr.ts_ns = bpf_ktime_get_ns();
	rec->reason = reason;
	rec->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	flow_from_sk(sk, netns, &rec->flow);
	if (owner)
		rec->owner = *owner;
	bpf_ringbuf_submit(rec, 0);
}

static __always_inline void on_send_reset(const struct sock *sk, const struct sk_buff *skb,
					  __u32 reason)
{
	struct tt_owner buf, *owner;
	__u32 netns;

	if (!sk) { /* no connection: the peer is only in the packet */
		/* tp_btf: a nullable pointer must be checked before use */
		netns = skb ? skb_netns(skb) : 0;
		count_add_by(NULL, netns, TT_SIG_RST_SENT, reason, 1);
		return;
	}
	netns = arg_netns(sk);
	owner = owner_of(sk, netns, &buf); /* once, for the count, the flow and the record */
	count_add_by(owner, netns, TT_SIG_RST_SENT, reason, 1);
	flow_note_reset(sk, netns, owner, true);
	if (is_abort_on_memory(reason))
		emit_reset(sk, netns, owner, reason);
}

static __always_inline void on_receive_reset(const struct sock *sk)
{
	__u32 netns = arg_netns(sk);
	struct tt_owner buf, *owner = owner_of(sk, netns, &buf);

	count_add_by(owner, netns, TT_SIG_RST_RECV, 0, 1);
	flow_note_reset(sk, netns, owner, false);
}

/* reason is the third argument since 6.10; before, every reset counts as reason 0 */
TT_HOOK_BTF_RAW(send_reset, "tcp_send_reset",
		on_send_reset(sk, skb, tt_opt_arg(ctx, 2, tt_send_reset_has_reason())),
		const struct sock *sk, const struct sk_buff *skb)

SEC("tracepoint/tcp/tcp_send_reset")
int send_reset__tp(void *ctx)
{
	struct trace_event_raw_tcp_event_sk_skb___old *old = ctx;
	struct trace_event_raw_tcp_send_reset *rec = ctx;

	if (bpf_core_type_exists(struct trace_event_raw_tcp_send_reset))
		on_send_reset(rec->skaddr, rec->skbaddr,
			      tt_send_reset_has_reason() ? rec->reason : 0);
	else
		on_send_reset(old->skaddr, old->skbaddr, 0);
	return 0;
}

TT_HOOK_BTF_RAW(receive_reset, "tcp_receive_reset", on_receive_reset(sk), struct sock *sk)

SEC("tracepoint/tcp/tcp_receive_reset")
int receive_reset__tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	on_receive_reset(ctx->skaddr);
	return 0;
}
