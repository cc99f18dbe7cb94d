// SPDX-License-Identifier: GPL-2.0
/*
 * TCP state changes: who opens connections and who closes first (TIME_WAIT
 * and orphans land on the active closer).  connect() and listen() change
 * state in the caller's context, so this is also where owners of outgoing
 * and listening sockets are learned.  Sockets sitting in a state that leaks
 * (CLOSE_WAIT, FIN_WAIT2) are found by a periodic sweep of open files, not here.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Bytes the application wrote that the peer has not acknowledged yet. */
static __always_inline __u64 unsent_bytes(const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	if (storage_on()) { /* typed (ARG_READ): tcp_sock's fields lie past struct sock */
		tp = bpf_skc_to_tcp_sock((void *)sk);
		return tp ? tp->write_seq - tp->snd_una : 0;
	}
	return BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
}

#define PROTOCOL_UNREAD 0xffff

/*
 * Only TCP's changes count (inet_sock_set_state fires for MPTCP, SCTP, ...).
 * The classic record carries the protocol; tp_btf and raw_tp read it, and
 * only once the states showed the change matters.
 */
static __always_inline bool is_tcp_change(const struct sock *sk, __u16 protocol)
{
	if (protocol == PROTOCOL_UNREAD)
		protocol = storage_on() ? sk->sk_protocol : sk_protocol_of(sk);
	return protocol == IPPROTO_TCP;
}

#define EADDRNOTAVAIL 99

/*
 * A connect() that found no local port: tcp_v4_connect()/tcp_v6_connect()
 * set SYN_SENT, then inet_hash_connect() fails (-EADDRNOTAVAIL; -ENOMEM
 * only when a bind bucket cannot be allocated) and they set CLOSE again, in
 * the caller's context, with the destination still on the socket and no
 * local port (inet_sport 0).  A connect that failed later (refused, timed
 * out) had a port.  Missed: a socket bound to a port beforehand whose 4-tuple is
 * taken (EADDRNOTAVAIL with inet_num set).  Rare: the destination is read only here.
 */
static __always_inline void count_no_port(const struct sock *sk)
{
	struct tt_connfail_val *val, init = {};
	struct tt_flow_key key = {}, fk = {};
	struct tt_owner o = {};

	flow_from_sk(sk, arg_netns(sk), &fk);
	count_current(&o, fk.netns, TT_SIG_CONNECT_FAIL, EADDRNOTAVAIL, 1);
	/* destination only: saddr/sport zero */
	key.family = fk.family;
	key.dport = fk.dport;
	key.netns = fk.netns;
	__builtin_memcpy(key.daddr, fk.daddr, sizeof(key.daddr));
	val = bpf_map_lookup_elem(&connfails, &key);
	if (!val) {
		init.tgid = o.tgid;
		init.err = EADDRNOTAVAIL;
		/* refused because another CPU just made it is not full */
		if (!bpf_map_update_elem(&connfails, &key, &init, BPF_NOEXIST))
			health_inc(TT_H_CONNFAILS_ADDED);
		val = bpf_map_lookup_elem(&connfails, &key);
		if (!val) {
			health_inc(TT_H_CONNFAILS_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&val->failures, 1);
	val->last_ns = bpf_ktime_get_ns();
}

/* SYN_SENT -> CLOSE: a connect that failed, counted only when it found no local port. */
static __always_inline void on_connect_failed(const struct sock *sk)
{
	/*
	 * inet_sport, not inet_num: the tracepoint fires after a closing socket
	 * gave its port back (inet_put_port zeroes inet_num), so a refused or
	 * abandoned connect has inet_num 0 too, but kept its source port.
	 */
	if (!BPF_CORE_READ((const struct inet_sock *)sk, inet_sport))
		count_no_port(sk);
}

/*
 * listen() ran in this task: now the socket is bound, so its port is known,
 * and sockets accepted from it are attributed to it (owner_of).  Its
 * backlog is set already (inet_listen() sets it before the state):
 * min(asked, somaxconn), the accept queue's real bound.  No listen() hook:
 * a syscall tracepoint puts every syscall of every task on the tracing
 * path (+57 ns a getppid() here), for a number the socket holds.
 */
static __always_inline void on_listen(const struct sock *sk)
{
	struct tt_listen_key lk = { .netns = netns_of(sk) };
	struct tt_owner o = {};

	owner_current(&o, lk.netns);
	lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	listener_note(sk, &o, lk.port);
	owner_set(sk, &o); /* userspace finds listeners by address */
	storage_keep(sk, &o);
	bpf_map_update_elem(&listen_owners, &lk, &o, BPF_ANY);
	listeners_changed();
}

/*
 * A listener closed: forget it (in storage mode no destroy hook does), and
 * its port, unless another process listens there too (SO_REUSEPORT) and
 * wrote it last.  Its port is inet_sport here: inet_num is zeroed before the
 * tracepoint (see on_connect_failed).
 */
static __always_inline void on_listen_stop(const struct sock *sk)
{
	struct tt_listen_key lk = { .netns = netns_of(sk) };
	__u64 skaddr = (__u64)sk;
	struct tt_owner *o;

	if (!bpf_map_delete_elem(&owners, &skaddr))
		health_inc(TT_H_OWNERS_REMOVED);

	lk.port = __builtin_bswap16(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	o = bpf_map_lookup_elem(&listen_owners, &lk);
	if (o && o->tgid == bpf_get_current_pid_tgid() >> 32 &&
	    !bpf_map_delete_elem(&listen_owners, &lk))
		listeners_changed();
}

/*
 * connect(): the caller owns the socket, and is counted without a lookup.
 * Remembered in the socket's slot, else (held by another) as before.
 */
static __always_inline void on_connect(const struct sock *sk)
{
	struct tt_conn_slot *slot = conn_take(sk);
	struct tt_owner o = {}, *owner = slot ? &slot->owner : &o;

	count_current(owner, arg_netns(sk), TT_SIG_CONNECT, 0, 1);
	if (!slot)
		owner_remember(sk, owner);
}

/*
 * close() of a socket with data the peer has not acknowledged: the socket
 * may live on as an orphan holding that memory, and the closer is who left
 * it there.  Rare (most closes leave nothing unsent): only then an update,
 * of the socket's storage (marked a closer: the agent's snapshot reads it,
 * snapshot.bpf.c snap_closer) or, in map mode, of `owners`.
 */
static __always_inline void note_closer(const struct sock *sk, __u32 netns, __u64 unsent)
{
	__u64 skaddr = (__u64)sk;
	struct tt_owner o = {}, *known;

	if (!unsent)
		return;
	if (storage_on()) {
		owner_current(&o, netns);
		o.closer = 1;
		storage_put(sk, &o); /* no rewrite when it knows this closer */
		return;
	}
	/* a process closing what it connected, in `owners` already: no second update */
	known = bpf_map_lookup_elem(&owners, &skaddr);
	if (known && known->tgid == bpf_get_current_pid_tgid() >> 32)
		return;
	owner_current(&o, netns);
	owner_set(sk, &o);
}

/* close() or shutdown() by current, leaving unsent bytes (0 mostly) */
static __always_inline void count_active_close(__u32 netns, __u64 unsent)
{
	struct tt_owner o = {};

	count_current(&o, netns, TT_SIG_ACTIVE_CLOSE, 0, unsent);
}

/*
 * inet_sock_set_state fires for every inet protocol with a state machine
 * (MPTCP, SCTP, ...): whatever the form, only TCP's changes count, filtered on
 * the same field (sk_protocol, which the classic record copies as protocol).
 */
static __always_inline void on_set_state(const struct sock *sk, __u16 protocol, int oldstate,
					 int newstate)
{
	__u32 netns;
	__u64 unsent;

	/*
	 * A churned connection makes ~10 transitions; only SYN_SENT, FIN_WAIT1
	 * and LAST_ACK (connect and close, in the caller's context) and the
	 * rare LISTEN, listener close and failed connect need anything: the
	 * rest return here, before any read of the socket.  How long a socket
	 * sits in CLOSE_WAIT or FIN_WAIT2 is the periodic sweep's business
	 * (sweep_aged below).
	 */
	if (newstate == TCP_CLOSE) {
		if (oldstate != TCP_SYN_SENT && oldstate != TCP_LISTEN)
			return;
		if (!is_tcp_change(sk, protocol))
			return;
		if (oldstate == TCP_SYN_SENT)
			on_connect_failed(sk);
		else if (oldstate == TCP_LISTEN)
			on_listen_stop(sk);
		return;
	}
	if (newstate != TCP_SYN_SENT && newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK &&
	    newstate != TCP_LISTEN)
		return;
	if (!is_tcp_change(sk, protocol))
		return;
	if (oldstate == TCP_CLOSE) {
		if (newstate == TCP_LISTEN)
			on_listen(sk);
		else if (newstate == TCP_SYN_SENT)
			on_connect(sk);
		return;
	}
	/* ESTABLISHED -> FIN_WAIT1, CLOSE_WAIT -> LAST_ACK: close() or shutdown(), by current */
	if (!(oldstate == TCP_ESTABLISHED && newstate == TCP_FIN_WAIT1) &&
	    !(oldstate == TCP_CLOSE_WAIT && newstate == TCP_LAST_ACK))
		return;
	unsent = unsent_bytes(sk);
	if (newstate == TCP_LAST_ACK && !unsent) /* a passive close needs nothing else */
		return;
	netns = arg_netns(sk);
	if (newstate == TCP_FIN_WAIT1)
		count_active_close(netns, unsent);
	note_closer(sk, netns, unsent);
}

TT_HOOK_BTF_RAW(set_state, "inet_sock_set_state",
		on_set_state(sk, PROTOCOL_UNREAD, oldstate, newstate),
		const struct sock *sk, const int oldstate, const int newstate)

SEC("tracepoint/sock/inet_sock_set_state")
int set_state__tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	on_set_state(ctx->skaddr, ctx->protocol, ctx->oldstate, ctx->newstate);
	return 0;
}

/*
 * The periodic sweep (user/collect/sweep.c): one record per TCP socket file
 * some task holds in CLOSE_WAIT or FIN_WAIT2, or listening, nothing for the
 * others.  One walk of every task's files covers every namespace at once (an
 * iter/tcp walks the host's whole socket hash for each namespace it is
 * created in) and names the holder: a leak is a socket its process keeps
 * open.  A socket no process holds is no application's leak: an orphan, or a
 * connection still waiting in an accept queue.  The kernel does not keep when
 * a socket entered its state: userspace keeps the first sweep that saw it.
 */
/* The states the sweep reports: the two that leak, and listeners (their drops). */
static __always_inline bool swept_state(int state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_FIN_WAIT2 || state == TCP_LISTEN;
}

/* sk's state when it is a TCP socket in a swept state, else 0 (plain loads: 5.11+). */
static __always_inline int aged_state_fast(struct file *file, struct sock **skp)
{
	struct socket *sock = bpf_sock_from_file(file); /* NULL unless a socket's file */
	struct sock *sk = sock ? sock->sk : NULL;
	__u16 family;
	int state;

	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if ((family != AF_INET && family != AF_INET6) || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	state = sk->__sk_common.skc_state;
	*skp = sk;
	return swept_state(state) ? state : 0;
}

/* The same, one bpf_probe_read_kernel() a field, for kernels without bpf_sock_from_file(). */
static __always_inline int aged_state_probe(struct file *file, struct sock **skp)
{
	struct sock *sk = file_sock(file);
	int state;

	if (!sk || !sk_is_tcp(sk))
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	*skp = sk;
	return swept_state(state) ? state : 0;
}

SEC("iter/task_file")
int sweep_aged(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tt_aged_sock r = {};
	struct sock *sk = NULL;
	int state;

	if (!task || !file)
		return 0;
	/* a constant once relocated: the verifier drops the other branch */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_sock_from_file))
		state = aged_state_fast(file, &sk);
	else
		state = aged_state_probe(file, &sk);
	if (!state || !sk)
		return 0;
	r.skaddr = (__u64)sk;
	r.ino = BPF_CORE_READ(file, f_inode, i_ino);
	r.netns = netns_of(sk);
	r.state = state;
	r.tgid = BPF_CORE_READ(task, tgid);
	/*
	 * tcp_listendrop() counts each SYN or completed handshake a listener
	 * drops (full accept or SYN queue) in its own sk_drops as in ListenDrops:
	 * which of a namespace's listeners overflowed, where the counter only
	 * says that one did.  A flood answered with cookies drops nothing: its
	 * listener is the one with a full SYN queue.
	 */
	if (state == TCP_LISTEN) {
		r.drops = BPF_CORE_READ(sk, sk_drops.counter);
		r.syn_queued = BPF_CORE_READ((struct inet_connection_sock *)sk,
					     icsk_accept_queue.qlen.counter);
		r.backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
