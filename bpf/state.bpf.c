// SPDX-License-Identifier: GPL-2.0
/*
 * TCP state changes: who opens connections and who closes first (TIME_WAIT
 * and orphans land on the active closer).  connect() and listen() change
 * state in the caller's context, so this is also where owners of outgoing
 * and listening sockets are learned.  Sockets sitting in a state that leaks
 * (CLOSE_WAIT, FIN_WAIT2) are found by a periodic iter/tcp sweep, not here.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Bytes the application wrote that the peer has not acknowledged yet. */
static __always_inline __u64 unsent_bytes(const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	return BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
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
	/*
	 * A churned connection makes ~10 transitions; only two of them (SYN_SENT,
	 * FIN_WAIT1) and the rare LISTEN need anything: the rest return here,
	 * before any read of the socket.  How long a socket sits in CLOSE_WAIT or
	 * FIN_WAIT2 is the periodic sweep's business (sweep_aged below).
	 */
	if (newstate != TCP_SYN_SENT && newstate != TCP_FIN_WAIT1 && newstate != TCP_LISTEN)
		return;
	if (protocol != IPPROTO_TCP || (oldstate != TCP_CLOSE && oldstate != TCP_ESTABLISHED))
		return;
	if (newstate == TCP_LISTEN) {
		if (oldstate == TCP_CLOSE)
			on_listen(sk);
		return;
	}
	if (newstate == TCP_SYN_SENT) {
		struct tt_owner *owner;

		if (oldstate != TCP_CLOSE)
			return;
		/* connect(): the caller is the owner, no lookup needed to count it */
		owner = owner_set_current(sk);
		if (owner)
			count_add_owner(owner->tgid, owner->cgroup, owner->netns, TT_SIG_CONNECT, 0, 1);
		else
			count_add_owner(bpf_get_current_pid_tgid() >> 32, bpf_get_current_cgroup_id(),
					netns_of(sk), TT_SIG_CONNECT, 0, 1);
		return;
	}
	/*
	 * ESTABLISHED -> FIN_WAIT1 happens in close() or shutdown(), in the
	 * caller's context: the closer is current, no owners lookup.
	 */
	if (oldstate == TCP_ESTABLISHED)
		count_add_owner(bpf_get_current_pid_tgid() >> 32, bpf_get_current_cgroup_id(),
				netns_of(sk), TT_SIG_ACTIVE_CLOSE, 0, unsent_bytes(sk));
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

/*
 * The periodic sweep (user/collect/collect.c read_aged): one record per full
 * socket in CLOSE_WAIT or FIN_WAIT2 in the iterator's namespace, nothing for
 * the others.  The kernel does not keep when a socket entered its state:
 * userspace keeps the first sweep that saw it there.
 */
SEC("iter/tcp")
int sweep_aged(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tt_aged_sock r = {};
	struct tcp_sock *tp;
	struct socket *sock;
	int state;

	if (!skc)
		return 0;
	state = skc->skc_state;
	if (state != TCP_CLOSE_WAIT && state != TCP_FIN_WAIT2)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0; /* a FIN_WAIT2 timewait sock: orphaned, nobody's leak */
	sock = tp->inet_conn.icsk_inet.sk.sk_socket;
	r.skaddr = (__u64)tp;
	r.netns = skc->skc_net.net->ns.inum;
	r.state = state;
	if (sock)
		r.ino = BPF_CORE_READ((struct socket_alloc *)sock, vfs_inode.i_ino);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
