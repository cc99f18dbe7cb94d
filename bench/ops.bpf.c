// SPDX-License-Identifier: GPL-2.0
/*
 * One operation per program, on the agent's hottest hooks, so the bench can
 * say which helper or map operation an agent program's cost is made of:
 * cost(op) = ns/event of <hook>__op_<op> minus ns/event of <hook>__floor.
 * Maps mirror the agent's (same types and sizes) but are private to the bench.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct op_count_key {
	__u32 tgid, netns;
	__u64 cgroup;
	__u32 signal, sub;
};

struct op_owner {
	__u32 tgid, netns;
	__u64 cgroup;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct op_count_key);
	__type(value, __u64);
} op_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} op_health SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct op_owner);
} op_owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct op_owner);
} op_procs SEC(".maps");

/* Alternatives to the LRU owners map, each updated on set_state, deleted on destroy. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct op_owner);
} op_owners_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u64);
	__type(value, struct op_owner);
} op_owners_lru_percpu SEC(".maps");

/* Socket local storage: freed with the socket, so no delete on destroy. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct op_owner);
} op_sk_owner SEC(".maps");

#define SET_STATE_OP(op, body...) \
	SEC("tp_btf/inet_sock_set_state") \
	int BPF_PROG(set_state__op_##op, const struct sock *sk) { body; return 0; }

SET_STATE_OP(pid_tgid, bpf_get_current_pid_tgid())
SET_STATE_OP(cgroup_id, bpf_get_current_cgroup_id())
SET_STATE_OP(ktime, bpf_ktime_get_ns())
SET_STATE_OP(comm, char comm[16]; bpf_get_current_comm(comm, sizeof(comm)))
/* netns inode as the agent reads it: one bpf_probe_read_kernel per hop */
SET_STATE_OP(core_read, __u32 ns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	     bpf_map_lookup_elem(&op_health, &ns))
/* the same through BTF pointers (tp_btf only): plain loads */
SET_STATE_OP(btf_read, __u32 ns = sk->__sk_common.skc_net.net->ns.inum;
	     bpf_map_lookup_elem(&op_health, &ns))
SET_STATE_OP(percpu_array_inc, __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&op_health, &k);
	     if (v) (*v)++)
SET_STATE_OP(percpu_hash_inc, struct op_count_key k = { .signal = 1 }; __u64 one = 1;
	     __u64 *v = bpf_map_lookup_elem(&op_counts, &k);
	     if (v) (*v)++; else bpf_map_update_elem(&op_counts, &k, &one, BPF_NOEXIST))
SET_STATE_OP(lru_lookup, __u64 key = (__u64)sk; bpf_map_lookup_elem(&op_owners, &key))
SET_STATE_OP(lru_update, __u64 key = (__u64)sk; struct op_owner o = {};
	     bpf_map_update_elem(&op_owners, &key, &o, BPF_ANY))
SET_STATE_OP(lru_update_same_key, __u32 key = 1; struct op_owner o = {};
	     bpf_map_update_elem(&op_procs, &key, &o, BPF_ANY))
SET_STATE_OP(lru_lookup_same_key, __u32 key = 1; bpf_map_lookup_elem(&op_procs, &key))

SET_STATE_OP(hash_update, __u64 key = (__u64)sk; struct op_owner o = {};
	     bpf_map_update_elem(&op_owners_hash, &key, &o, BPF_ANY))
SET_STATE_OP(lru_nocommon_update, __u64 key = (__u64)sk; struct op_owner o = {};
	     bpf_map_update_elem(&op_owners_lru_percpu, &key, &o, BPF_ANY))
SET_STATE_OP(sk_storage_get_create,
	     bpf_sk_storage_get(&op_sk_owner, (struct sock *)sk, NULL, BPF_SK_STORAGE_GET_F_CREATE))

#define DESTROY_OP(op, map)                                                   \
	SEC("tp_btf/tcp_destroy_sock")                                        \
	int BPF_PROG(destroy_sock__op_##op, const struct sock *sk)            \
	{                                                                     \
		__u64 key = (__u64)sk;                                        \
		bpf_map_delete_elem(&map, &key);                              \
		return 0;                                                     \
	}

DESTROY_OP(lru_delete, op_owners)
DESTROY_OP(hash_delete, op_owners_hash)
DESTROY_OP(lru_nocommon_delete, op_owners_lru_percpu)

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_sock__op_sk_storage_lookup, struct sock *sk)
{
	bpf_sk_storage_get(&op_sk_owner, sk, NULL, 0);
	return 0;
}
