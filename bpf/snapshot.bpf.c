// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory snapshot, on demand: iter/tcp writes one record per TCP
 * socket of the namespace the iterator was created in (listeners, every
 * full socket, request and TIME_WAIT socks); iter/task_file writes one record
 * per TCP socket file a process holds, to join sockets to processes.
 * Layouts in include/snapshot_records.h; userspace in user/collect/snapshot*.c.  They use no
 * map but the sockets' storage (sk_owners), which `tcptriage snapshot` creates
 * empty (user/agent/loader.c).
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

/*
 * Every pointer here comes from the iterator's context or a bpf_skc_to_*()
 * cast, so the kernel knows its type: fields are read with plain loads
 * (checked, fault-safe) instead of one bpf_probe_read_kernel() each: ~30 of
 * those per socket were a third of a 100k-socket snapshot.
 */
static __always_inline void snap_addrs(const struct sock_common *skc, struct tt_snap_sock *r)
{
	__u16 family = skc->skc_family;

	r->family = family;
	r->sport = skc->skc_num;
	r->dport = __builtin_bswap16(skc->skc_dport);
	r->netns = skc->skc_net.net->ns.inum;
	if (family == AF_INET6) {
		__builtin_memcpy(r->saddr, &skc->skc_v6_rcv_saddr, sizeof(r->saddr));
		__builtin_memcpy(r->daddr, &skc->skc_v6_daddr, sizeof(r->daddr));
		return;
	}
	/* v4-mapped ::ffff:a.b.c.d so userspace handles one address form */
	r->saddr[10] = r->saddr[11] = 0xff;
	r->daddr[10] = r->daddr[11] = 0xff;
	__builtin_memcpy(&r->saddr[12], &skc->skc_rcv_saddr, 4);
	__builtin_memcpy(&r->daddr[12], &skc->skc_daddr, 4);
}

/*
 * The inode ss shows (sock_i_ino()): 0 once the socket has no struct socket.
 * The inode sits next to the socket (struct socket_alloc), a type the
 * verifier does not let a plain load reach: one read, where going through
 * sock->file->f_inode would be two more dependent cache misses.
 */
static __always_inline __u64 snap_ino(const struct socket *sock)
{
	if (!sock)
		return 0;
	return BPF_CORE_READ((struct socket_alloc *)sock, vfs_inode.i_ino);
}

static __always_inline void snap_flags(const struct sock *sk, const struct socket *sock,
				       struct tt_snap_sock *r)
{
	__u64 dead = 1ULL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD);

	if (sk->__sk_common.skc_flags & dead)
		r->flags |= TT_SNAP_F_ORPHAN;
	if (!sock)
		r->flags |= TT_SNAP_F_NO_FILE;
}

static __always_inline void snap_memory(const struct sock *sk, struct tt_snap_sock *r)
{
	r->rmem_alloc = sk->sk_backlog.rmem_alloc.counter;
	r->wmem_alloc = sk->sk_wmem_alloc.refs.counter - 1;
	r->wmem_queued = sk->sk_wmem_queued;
	r->forward_alloc = sk->sk_forward_alloc;
	r->rcvbuf = sk->sk_rcvbuf;
	r->sndbuf = sk->sk_sndbuf;
	r->max_backlog = sk->sk_max_ack_backlog;
}

/* Queues as ss and /proc/net/tcp compute them. */
static __always_inline void snap_queues(const struct tcp_sock *tp, struct tt_snap_sock *r)
{
	__s32 rx;

	if (r->state == TCP_LISTEN) {
		r->recv_q = tp->inet_conn.icsk_inet.sk.sk_ack_backlog;
		return;
	}
	rx = tp->rcv_nxt - tp->copied_seq;
	r->recv_q = rx > 0 ? rx : 0;
	r->send_q = tp->write_seq - tp->snd_una;
	r->snd_wnd = tp->snd_wnd;
	r->idle_us = bpf_ktime_get_ns() / 1000 - tp->tcp_mstamp;
}

static __always_inline void snap_timer(const struct tcp_sock *tp, struct tt_snap_sock *r)
{
	const struct inet_connection_sock *icsk = &tp->inet_conn;
	__u8 pending = icsk->icsk_pending;

	r->retransmits = icsk->icsk_retransmits;
	r->probes = icsk->icsk_probes_out;
	if (pending == ICSK_TIME_RETRANS || pending == ICSK_TIME_LOSS_PROBE ||
	    pending == ICSK_TIME_REO_TIMEOUT)
		r->timer = TT_SNAP_TIMER_RETRANS;
	else if (pending == ICSK_TIME_PROBE0)
		r->timer = TT_SNAP_TIMER_PROBE0;
	else if (icsk->icsk_inet.sk.sk_timer.entry.pprev)
		r->timer = TT_SNAP_TIMER_KEEPALIVE; /* timer_pending(&sk->sk_timer) */
}

/*
 * An orphan's closer, in storage mode (the running agent's object: the
 * `tcptriage snapshot` command has no owners to read): who closed it leaving
 * unsent data (state.bpf.c note_closer).
 */
static __always_inline void snap_closer(struct sock *sk, struct tt_snap_sock *r)
{
	struct tt_owner *o;

	if (!storage_on() || !(r->flags & TT_SNAP_F_ORPHAN))
		return;
	o = storage_owner(sk);
	if (o && o->closer)
		r->closer_tgid = o->tgid;
}

static __always_inline void snap_full(struct tcp_sock *tp, struct tt_snap_sock *r)
{
	struct sock *sk = (struct sock *)tp;
	const struct socket *sock = sk->sk_socket;

	r->kind = TT_SNAP_FULL;
	r->ino = snap_ino(sock);
	snap_flags(sk, sock, r);
	snap_closer(sk, r);
	snap_memory(sk, r);
	snap_queues(tp, r);
	snap_timer(tp, r);
}

static __always_inline void snap_timewait(struct tcp_timewait_sock *tw, struct tt_snap_sock *r)
{
	r->kind = TT_SNAP_TIMEWAIT;
	r->state = tw->tw_sk.tw_substate; /* ss shows FIN-WAIT-2 as such */
	r->flags = TT_SNAP_F_NO_FILE;
}

static __always_inline void snap_request(struct tcp_request_sock *treq, struct tt_snap_sock *r)
{
	__u64 sent = treq->snt_synack;

	r->kind = TT_SNAP_REQUEST;
	r->state = TCP_SYN_RECV;
	r->flags = TT_SNAP_F_NO_FILE;
	r->parent = (__u64)treq->req.req.__req_common.skc_listener;
	r->timer = TT_SNAP_TIMER_SYNACK;
	r->retransmits = treq->req.req.num_retrans;
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
	r.state = skc->skc_state;
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

/* The TCP socket behind a socket file, read with plain loads (5.11+: bpf_sock_from_file()). */
static __always_inline bool snap_file_fast(struct task_struct *task, struct file *file,
					   struct tt_snap_file *r)
{
	struct socket *sock = bpf_sock_from_file(file); /* NULL unless a socket's file */
	struct sock *sk = sock ? sock->sk : NULL;
	__u16 family;

	if (!sk)
		return false;
	family = sk->__sk_common.skc_family;
	if ((family != AF_INET && family != AF_INET6) || sk->sk_protocol != IPPROTO_TCP)
		return false;
	r->tgid = task->tgid;
	r->cgroup = task->cgroups->dfl_cgrp->kn->id;
	r->ino = file->f_inode->i_ino;
	r->skaddr = (__u64)sk;
	/* as bpf_probe_read_kernel_str(): up to the NUL, the rest stays zero */
	for (int i = 0; i < TT_SNAP_COMM_LEN - 1; i++) {
		char c = task->comm[i];

		if (!c)
			break;
		r->comm[i] = c;
	}
	return true;
}

/* The same, one bpf_probe_read_kernel() a field, for kernels without that helper. */
static __always_inline bool snap_file_probe(struct task_struct *task, struct file *file,
					    struct tt_snap_file *r)
{
	struct sock *sk = file_sock(file);

	if (!sk || !sk_is_tcp(sk))
		return false;
	r->tgid = BPF_CORE_READ(task, tgid);
	r->cgroup = task_cgroup_id(task);
	r->ino = BPF_CORE_READ(file, f_inode, i_ino);
	r->skaddr = (__u64)sk;
	BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
	return true;
}

SEC("iter/task_file")
int snapshot_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tt_snap_file r = {};
	bool tcp;

	if (!task || !file)
		return 0;
	/* a constant once relocated: the verifier drops the other branch */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_sock_from_file))
		tcp = snap_file_fast(task, file, &r);
	else
		tcp = snap_file_probe(task, file, &r);
	if (!tcp)
		return 0;
	r.hdr.type = TT_SNAP_FILE;
	r.hdr.size = sizeof(r);
	r.fd = ctx->fd;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
