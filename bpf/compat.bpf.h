/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel variants, resolved by CO-RE when the object is loaded: never an #if
 * on a kernel version.  Each check is a constant the loader patches in, so
 * the verifier walks only the branch this kernel takes: a read of a
 * tracepoint argument that the kernel does not pass sits in a dead branch
 * and is never checked (nor counted into a raw_tp's context size).
 *
 * What changed, and where (Debian's kernels, tests/kernels/results.md):
 *  - tcp_retransmit_skb: `err` argument and a record of its own since 6.17
 *    (before: the shared tcp_event_sk_skb record);
 *  - tcp_send_reset: a record of its own since 6.9, `reason` since 6.10;
 *  - kfree_skb: `reason` since 5.17, `rx_sk` since 6.11;
 *  - sock.sk_protocol: an 8-bit bitfield before 5.6;
 *  - kernfs_node.id: a union (ino, generation) before 5.5.
 */
#ifndef __TT_COMPAT_BPF_H
#define __TT_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

#define __tt_core __attribute__((preserve_access_index))

/* The record tcp_retransmit_skb and tcp_send_reset shared before 6.17 / 6.9. */
struct trace_event_raw_tcp_event_sk_skb___old {
	const void *skbaddr;
	const void *skaddr;
} __tt_core;

/* Named by its own flavour so a kernel without `reason` still matches the type. */
struct trace_event_raw_kfree_skb___any {
	void *skbaddr;
	void *rx_sk;
	enum skb_drop_reason reason; /* an int would not match the kernel's enum */
} __tt_core;

/* Does this kernel pass tracepoint argument `field` (its record has it too)? */
#define tt_tp_has(record, field) bpf_core_field_exists(struct record, field)

#define tt_retransmit_has_err() tt_tp_has(trace_event_raw_tcp_retransmit_skb, err)
#define tt_send_reset_has_reason() tt_tp_has(trace_event_raw_tcp_send_reset, reason)
#define tt_kfree_skb_has_reason() tt_tp_has(trace_event_raw_kfree_skb___any, reason)
#define tt_kfree_skb_has_rx_sk() tt_tp_has(trace_event_raw_kfree_skb___any, rx_sk)

/*
 * Optional argument n of a tp_btf/raw_tp program (BPF_PROG's ctx), 0 when the
 * kernel does not pass it.  The barrier keeps the compiler from hoisting the
 * load above the check.
 */
#define tt_opt_arg(ctx, n, present)                                  \
	({                                                           \
		unsigned long long __v = 0;                          \
		if (present) {                                       \
			asm volatile("" ::: "memory");               \
			__v = (ctx)[n];                              \
		}                                                    \
		__v;                                                 \
	})

/* sk_protocol, a bitfield before 5.6: the probed bitfield read fits both. */
static __always_inline __u16 sk_protocol_of(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* kernfs_node.id before 5.5: a union whose 64-bit member is the same id. */
union kernfs_node_id___old {
	__u64 id;
} __tt_core;

struct kernfs_node___old {
	union kernfs_node_id___old id;
} __tt_core;

/* The cgroup v2 id (as bpf_get_current_cgroup_id() gives) of a task. */
static __always_inline __u64 task_cgroup_id(const struct task_struct *task)
{
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);

	if (bpf_core_type_exists(union kernfs_node_id___old))
		return BPF_CORE_READ((struct kernfs_node___old *)kn, id.id);
	return BPF_CORE_READ(kn, id);
}

#endif /* __TT_COMPAT_BPF_H */
