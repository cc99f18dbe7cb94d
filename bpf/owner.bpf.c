// SPDX-License-Identifier: GPL-2.0
/*
 * Socket ownership: which process a struct sock belongs to, so that events
 * seen in softirq or timer context are charged to the socket's owner and not
 * to whatever task happened to be on the CPU.  Learned where the owner is
 * certainly current (connect, listen and a close leaving unsent data, in
 * state.bpf.c), seeded from every open file at start-up by iterators,
 * forgotten when the socket is destroyed (by the kernel, with the socket's
 * storage, in storage mode; a connector's slot is simply taken by the next
 * connection that needs it).  An accepted socket has no entry:
 * its listener's owner is its owner (common.bpf.h owner_of).
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void on_destroy(const struct sock *sk)
{
	__u64 skaddr = (__u64)sk;

	/*
	 * In storage mode the owners go with the sockets, and `owners` holds only
	 * listeners, forgotten when they stop listening (state.bpf.c): nothing
	 * to do on the path every socket takes (nor for connectors' slots).
	 */
	if (storage_on())
		return;
	if (!bpf_map_delete_elem(&owners, &skaddr))
		health_inc(TT_H_OWNERS_REMOVED);
}

TT_HOOK_BTF_RAW(destroy_sock, "tcp_destroy_sock", on_destroy(sk), struct sock *sk)

SEC("tracepoint/tcp/tcp_destroy_sock")
int destroy_sock__tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	on_destroy(ctx->skaddr);
	return 0;
}

/*
 * The start-up seed: the owner of every inet socket some task has open (UDP
 * too: drops on a UDP socket are charged to its owner as well).  Live
 * records win.  Userspace runs it at start-up (user/agent/seed.c), and again
 * for UDP sockets alone when events came on sockets with no owner (no hook
 * sees a UDP socket made; a TCP one is known from connect or listen, or as
 * accepted from a listener).  Then a socket with storage is known already.
 *
 * In storage mode an owner goes in the socket's storage, which a socket found
 * through a file cannot reach (an untrusted pointer on 6.x): seed_owners
 * parks it by socket address, and iter/tcp and iter/udp, whose sockets are
 * typed, move it into the storage, run once inside each namespace that has
 * some.  So `owners` does not grow with the host's sockets (memlock at 100k
 * sockets, `make bench`).  Listeners go in `owners` as well: userspace finds
 * them there.  What no socket table holds (a socket never bound or
 * connected) stays parked and goes with the parking map: such a socket has
 * had no traffic, and connect() or listen() records it.
 *
 * The parking map is as big as the host's sockets, for seconds: userspace
 * makes it, puts it in seed_slot for the seed and frees it after, so the
 * agent keeps only the slot.
 */
struct tt_seed_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* charged for what it holds */
	__uint(max_entries, 1);               /* userspace's is sized for the host */
	__type(key, __u64);                   /* struct sock address */
	__type(value, struct tt_owner);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct tt_seed_map);
} seed_slot SEC(".maps");

volatile bool seed_udp_only __weak; /* set by userspace for a walk after the start-up seed */

/* A walk after the start-up seed looks only for UDP sockets with no owner recorded. */
static __always_inline bool seed_skips(const struct sock *sk)
{
	if (!seed_udp_only)
		return false;
	return sk_protocol_of(sk) != IPPROTO_UDP || BPF_CORE_READ(sk, sk_bpf_storage);
}

/* The parking map, or NULL outside the seed. */
static __always_inline void *seed_pending(void)
{
	__u32 slot = 0;

	return bpf_map_lookup_elem(&seed_slot, &slot);
}

/* Seed sk's owner in `owners` unless the agent already knows it.  True when this made it. */
static __always_inline bool seed_in_map(const struct sock *sk, const struct tt_owner *owner)
{
	__u64 skaddr = (__u64)sk;

	if (bpf_map_update_elem(&owners, &skaddr, owner, BPF_NOEXIST))
		return false;
	health_inc(TT_H_OWNERS_ADDED);
	proc_note(owner);
	return true;
}

/* Park sk's owner for seed_storage(). True when parked. */
static __always_inline bool seed_park(const struct sock *sk, const struct tt_owner *owner)
{
	void *pending = seed_pending();
	__u64 skaddr = (__u64)sk;

	return pending && !bpf_map_update_elem(pending, &skaddr, owner, BPF_NOEXIST);
}

/* A listener: its port names the owner of what it accepts (owner_of). */
static __always_inline void seed_listener(const struct sock *sk, struct tt_owner *owner)
{
	struct tt_listen_key lk = { .netns = owner->netns };

	lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	listener_note(sk, owner, lk.port);
	if (!bpf_map_update_elem(&listen_owners, &lk, owner, BPF_NOEXIST))
		listeners_changed();
}

/* The protocols whose sockets iter/tcp and iter/udp walk. */
static __always_inline bool seed_parkable(const struct sock *sk)
{
	__u16 protocol = sk_protocol_of(sk);

	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP;
}

/*
 * One record out per owner learned (struct tt_seed_rec): userspace counts
 * them (the start line's owners_seeded) and enters the namespaces of those
 * parked.
 */
SEC("iter/task_file")
int seed_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct tt_seed_rec rec = {};
	struct tt_owner owner = {};
	bool listener, learned;
	struct sock *sk;

	if (!task)
		return 0;
	sk = file_sock(ctx->file);
	if (!sk || !sk_is_inet(sk) || seed_skips(sk))
		return 0;
	owner.tgid = BPF_CORE_READ(task, tgid);
	owner.netns = netns_of(sk);
	owner.cgroup = task_cgroup_id(task);
	BPF_CORE_READ_STR_INTO(&owner.comm, task, comm);
	listener = BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN && sk_is_tcp(sk);
	if (listener)
		seed_listener(sk, &owner);
	if (storage_on() && seed_parkable(sk)) {
		if (listener) /* userspace finds listeners by address */
			seed_in_map(sk, &owner);
		learned = seed_park(sk, &owner);
		rec.parked = 1;
	} else {
		learned = seed_in_map(sk, &owner);
	}
	rec.netns = owner.netns;
	if (learned)
		bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

/* A parked owner into sk's storage, unless a live record is there already. */
static __always_inline void seed_storage(struct seq_file *seq, struct sock *sk)
{
	void *pending = seed_pending();
	__u64 skaddr = (__u64)sk;
	struct tt_owner *o;
	__u8 learned = 1;

	if (!pending || !(o = bpf_map_lookup_elem(pending, &skaddr)))
		return;
	if (!storage_owner(sk) &&
	    bpf_sk_storage_get(&sk_owners, sk, o, BPF_SK_STORAGE_GET_F_CREATE)) {
		proc_note(o);
		bpf_seq_write(seq, &learned, sizeof(learned));
	}
	bpf_map_delete_elem(pending, &skaddr);
}

/* Full TCP sockets of the namespace the iterator was made in (not TIME_WAIT or request socks). */
SEC("iter/tcp")
int seed_storage_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (skc && (tp = bpf_skc_to_tcp_sock(skc)))
		seed_storage(ctx->meta->seq, (struct sock *)tp);
	return 0;
}

/* Bound UDP sockets of the namespace the iterator was made in. */
SEC("iter/udp")
int seed_storage_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;

	if (udp)
		seed_storage(ctx->meta->seq, &udp->inet.sk);
	return 0;
}

