// SPDX-License-Identifier: GPL-2.0
/*
 * TCP state changes: who opens connections and who closes first (TIME_WAIT
 * and orphans land on the active closer), and since when a socket has sat
 * in a state that leaks (CLOSE_WAIT, FIN_WAIT2).  connect() and listen()
 * change state in the caller's context, so this is also where owners of
 * outgoing and listening sockets are learned.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Bytes the application wrote that the peer has not acknowledged yet. */
static __always_inline __u64 unsent_bytes(const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	return BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
}

static __always_inline void age_enter(const struct sock *sk, int state)
{
	struct tt_owner *owner = owner_entry(sk);

	if (!owner)
		return;
	owner->aged_since_ns = bpf_ktime_get_ns();
	owner->aged_state = state;
}

static __always_inline void age_leave(const struct sock *sk)
{
	__u64 skaddr = (__u64)sk;
	struct tt_owner *owner = bpf_map_lookup_elem(&owners, &skaddr);

	if (owner)
		owner->aged_state = 0;
}

/* listen() ran in this task: now the socket is bound, so its port is known. */
static __always_inline void on_listen(const struct sock *sk)
{
	struct tt_owner *owner = owner_set_current(sk);

	if (owner)
		owner->listen_port = BPF_CORE_READ(sk, __sk_common.skc_num);
}

/*
 * inet_sock_set_state fires for every inet protocol with a state machine
 * (MPTCP, SCTP, ...): whatever the form, only TCP's changes count, filtered on
 * the same field (sk_protocol, which the classic record copies as protocol).
 */
static __always_inline void on_set_state(const struct sock *sk, __u16 protocol, int oldstate,
					 int newstate)
{
	if (protocol != IPPROTO_TCP)
		return;
	if (oldstate == TCP_CLOSE && (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN)) {
		if (newstate == TCP_LISTEN) {
			on_listen(sk);
			return;
		}
		owner_set_current(sk);
		count_add(sk, netns_of(sk), TT_SIG_CONNECT, 0, 1);
		return;
	}
	if (oldstate == TCP_ESTABLISHED && newstate == TCP_FIN_WAIT1)
		count_add(sk, netns_of(sk), TT_SIG_ACTIVE_CLOSE, 0, unsent_bytes(sk));
	if (newstate == TCP_CLOSE_WAIT || newstate == TCP_FIN_WAIT2)
		age_enter(sk, newstate);
	else if (oldstate == TCP_CLOSE_WAIT || oldstate == TCP_FIN_WAIT2)
		age_leave(sk);
}

TT_HOOK_BTF_RAW(set_state, "inet_sock_set_state",
		on_set_state(sk, sk_protocol_of(sk), oldstate, newstate),
		const struct sock *sk, const int oldstate, const int newstate)

SEC("tracepoint/sock/inet_sock_set_state")
int set_state__tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	on_set_state(ctx->skaddr, ctx->protocol, ctx->oldstate, ctx->newstate);
	return 0;
}
