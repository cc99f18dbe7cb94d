// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory snapshot, on demand: iter/tcp writes one record per TCP
 * socket of the namespace the iterator was created in (listeners, every
 * full socket, request and TIME_WAIT socks); iter/task_file writes one record
 * per TCP socket file a process holds, to join sockets to processes.
 * Layouts in include/snapshot.h; userspace in user/snapshot.c.
 */
#include "common.bpf.h"
#include "snapshot_records.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* icsk_pending values (include/net/inet_connection_sock.h) */
#define ICSK_TIME_RETRANS 1
#define ICSK_TIME_PROBE0 3
#define ICSK_TIME_LOSS_PROBE 5
#define ICSK_TIME_REO_TIMEOUT 6

static __always_inline void snap_addrs(const struct sock_common *skc, struct tt_snap_sock *r)
{
	struct tt_flow_key fk = {};

	flow_from_sk((const struct sock *)skc, &fk);
	__builtin_memcpy(r->saddr, fk.saddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, fk.daddr, sizeof(r->daddr));
	r->sport = fk.sport;
	r->dport = fk.dport;
	r->family = fk.family;
	r->netns = fk.netns;
}

/* The inode ss shows (sock_i_ino()): 0 once the socket has no struct socket. */
static __always_inline __u64 snap_ino(const struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);

	if (!sock)
		return 0;
	return BPF_CORE_READ((struct socket_alloc *)sock, vfs_inode.i_ino);
}

static __always_inline void snap_flags(const struct sock *sk, struct tt_snap_sock *r)
{
	__u64 dead = 1ULL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD);

	if (BPF_CORE_READ(sk, __sk_common.skc_flags) & dead)
		r->flags |= TT_SNAP_F_ORPHAN;
	if (!BPF_CORE_READ(sk, sk_socket))
		r->flags |= TT_SNAP_F_NO_FILE;
}

static __always_inline void snap_memory(const struct sock *sk, struct tt_snap_sock *r)
{
	r->rmem_alloc = BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter);
	r->wmem_alloc = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter) - 1;
	r->wmem_queued = BPF_CORE_READ(sk, sk_wmem_queued);
	r->forward_alloc = BPF_CORE_READ(sk, sk_forward_alloc);
	r->rcvbuf = BPF_CORE_READ(sk, sk_rcvbuf);
	r->sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	r->max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
}

/* Queues as ss and /proc/net/tcp compute them. */
static __always_inline void snap_queues(const struct tcp_sock *tp, struct tt_snap_sock *r)
{
	__s32 rx;

	if (r->state == TCP_LISTEN) {
		r->recv_q = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_ack_backlog);
		return;
	}
	rx = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
	r->recv_q = rx > 0 ? rx : 0;
	r->send_q = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	r->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	r->idle_us = bpf_ktime_get_ns() / 1000 - BPF_CORE_READ(tp, tcp_mstamp);
}

static __always_inline void snap_timer(const struct tcp_sock *tp, struct tt_snap_sock *r)
{
	const struct inet_connection_sock *icsk = &tp->inet_conn;
	__u8 pending = BPF_CORE_READ(icsk, icsk_pending);

	r->retransmits = BPF_CORE_READ(icsk, icsk_retransmits);
	r->probes = BPF_CORE_READ(icsk, icsk_probes_out);
	if (pending == ICSK_TIME_RETRANS || pending == ICSK_TIME_LOSS_PROBE ||
	    pending == ICSK_TIME_REO_TIMEOUT)
		r->timer = TT_SNAP_TIMER_RETRANS;
	else if (pending == ICSK_TIME_PROBE0)
		r->timer = TT_SNAP_TIMER_PROBE0;
	else if (BPF_CORE_READ(icsk, icsk_inet.sk.sk_timer.entry.pprev))
		r->timer = TT_SNAP_TIMER_KEEPALIVE; /* timer_pending(&sk->sk_timer) */
}

static __always_inline void snap_full(struct tcp_sock *tp, struct tt_snap_sock *r)
{
	const struct sock *sk = (const struct sock *)tp;

	r->kind = TT_SNAP_FULL;
	r->ino = snap_ino(sk);
	snap_flags(sk, r);
	snap_memory(sk, r);
	snap_queues(tp, r);
	snap_timer(tp, r);
}

static __always_inline void snap_timewait(struct tcp_timewait_sock *tw, struct tt_snap_sock *r)
{
	r->kind = TT_SNAP_TIMEWAIT;
	r->state = BPF_CORE_READ(tw, tw_sk.tw_substate); /* ss shows FIN-WAIT-2 as such */
	r->flags = TT_SNAP_F_NO_FILE;
}

static __always_inline void snap_request(struct tcp_request_sock *treq, struct tt_snap_sock *r)
{
	__u64 sent = BPF_CORE_READ(treq, snt_synack);

	r->kind = TT_SNAP_REQUEST;
	r->state = TCP_SYN_RECV;
	r->flags = TT_SNAP_F_NO_FILE;
	r->parent = (__u64)BPF_CORE_READ(treq, req.req.__req_common.skc_listener);
	r->timer = TT_SNAP_TIMER_SYNACK;
	r->retransmits = BPF_CORE_READ(treq, req.req.num_retrans);
	if (sent)
		r->idle_us = bpf_ktime_get_ns() / 1000 - sent;
}

SEC("iter/tcp")
int snapshot_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_timewait_sock *tw;
	struct tcp_request_sock *treq;
	struct tt_snap_sock r = {};
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	r.hdr.type = TT_SNAP_SOCK;
	r.hdr.size = sizeof(r);
	r.skaddr = (__u64)skc;
	r.uid = ctx->uid;
	r.state = BPF_CORE_READ(skc, skc_state);
	snap_addrs(skc, &r);
	if ((tp = bpf_skc_to_tcp_sock(skc)))
		snap_full(tp, &r);
	else if ((tw = bpf_skc_to_tcp_timewait_sock(skc)))
		snap_timewait(tw, &r);
	else if ((treq = bpf_skc_to_tcp_request_sock(skc)))
		snap_request(treq, &r);
	else
		return 0;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/task_file")
int snapshot_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tt_snap_file r = {};
	struct sock *sk;

	if (!task || !file)
		return 0;
	sk = file_sock(file);
	if (!sk || !sk_is_tcp(sk))
		return 0;
	r.hdr.type = TT_SNAP_FILE;
	r.hdr.size = sizeof(r);
	r.tgid = BPF_CORE_READ(task, tgid);
	r.fd = ctx->fd;
	r.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	r.ino = BPF_CORE_READ(file, f_inode, i_ino);
	r.skaddr = (__u64)sk;
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
