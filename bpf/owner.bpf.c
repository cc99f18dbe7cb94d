// SPDX-License-Identifier: GPL-2.0
/*
 * Socket ownership: which process a struct sock belongs to, so that events
 * seen in softirq or timer context are charged to the socket's owner and not
 * to whatever task happened to be on the CPU.  Learned where the owner is
 * certainly current (connect, listen and a close leaving unsent data, in
 * state.bpf.c), seeded from every open file at start-up by an iterator,
 * forgotten when the socket is destroyed.  An accepted socket has no entry:
 * its listener's owner is its owner (common.bpf.h owner_of).
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void on_destroy(const struct sock *sk)
{
	__u64 skaddr = (__u64)sk;

	/*
	 * The storage goes with the socket; `owners` has it only if the storage
	 * says so, or (no storage) from the start-up seed.
	 */
	if (storage_on()) {
		struct tt_owner *o = storage_owner(sk);

		if (o && !o->in_map)
			return;
	}
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

/* Seed sk's owner unless the agent already knows it.  True when this made it. */
static __always_inline bool seed_one(const struct sock *sk, const struct tt_owner *owner)
{
	__u64 skaddr = (__u64)sk;

	if (bpf_map_update_elem(&owners, &skaddr, owner, BPF_NOEXIST))
		return false;
	health_inc(TT_H_OWNERS_ADDED);
	proc_note(owner);
	return true;
}

/*
 * Start-up seed: every inet socket some task has open (UDP too: drops on a
 * UDP socket are charged to its owner as well). Live records win.  One byte
 * out per owner learned: userspace counts them (the start line's
 * owners_seeded).
 */
SEC("iter/task_file")
int seed_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct tt_owner owner = {};
	struct sock *sk;
	__u8 learned = 1;

	if (!task)
		return 0;
	sk = file_sock(ctx->file);
	if (!sk || !sk_is_inet(sk))
		return 0;
	owner.tgid = BPF_CORE_READ(task, tgid);
	owner.netns = netns_of(sk);
	owner.cgroup = task_cgroup_id(task);
	BPF_CORE_READ_STR_INTO(&owner.comm, task, comm);
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN && sk_is_tcp(sk)) {
		struct tt_listen_key lk = { .netns = owner.netns };

		lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
		owner.listen_port = lk.port;
		bpf_map_update_elem(&listen_owners, &lk, &owner, BPF_NOEXIST);
	}
	if (seed_one(sk, &owner))
		bpf_seq_write(ctx->meta->seq, &learned, sizeof(learned));
	return 0;
}
