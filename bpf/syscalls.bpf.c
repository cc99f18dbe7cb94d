// SPDX-License-Identifier: GPL-2.0
/*
 * Socket syscalls, in the caller's context (classic tracepoints only exist
 * for syscalls): accept() tells who owns an accepted socket, listen() what
 * backlog the application asked for, connect() failures with
 * EADDRNOTAVAIL that the local ports ran out, and towards which destination.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EADDRNOTAVAIL 99
#define MAX_PENDING_CONNECTS 10240

struct connect_args {
	long fd;
	struct sockaddr *addr;
};

/* connect() arguments between enter and exit, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PENDING_CONNECTS);
	__type(key, __u32);
	__type(value, struct connect_args);
} pending_connects SEC(".maps");

static __always_inline void on_accept_exit(long fd)
{
	struct sock *sk = fd_sock(fd);

	if (sk && sk_is_tcp(sk))
		owner_set_current(sk);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit__tp(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit__tp(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int listen_enter__tp(struct trace_event_raw_sys_enter *ctx)
{
	struct sock *sk = fd_sock(ctx->args[0]);
	struct tt_owner *owner;

	if (!sk || !sk_is_tcp(sk) || !(owner = owner_set_current(sk)))
		return 0;
	owner->listen_backlog = ctx->args[1];
	owner->listening = 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int connect_enter__tp(struct trace_event_raw_sys_enter *ctx)
{
	struct connect_args args = { .fd = ctx->args[0], .addr = (void *)ctx->args[1] };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/* a thread has one connect() at a time: only a full map refuses (its exit goes unseen) */
	if (bpf_map_update_elem(&pending_connects, &tid, &args, BPF_ANY))
		health_inc(TT_H_PENDING_FULL);
	return 0;
}

/* Destination of a failed connect() from the caller's sockaddr (user memory). */
static __always_inline bool connect_dest(const struct connect_args *args, struct tt_flow_key *key)
{
	struct sockaddr_in6 sa = {};

	if (bpf_probe_read_user(&sa, sizeof(sa), args->addr) &&
	    bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), args->addr))
		return false;
	key->family = sa.sin6_family;
	key->dport = __builtin_bswap16(sa.sin6_port);
	key->netns = current_netns();
	if (sa.sin6_family == AF_INET6) {
		__builtin_memcpy(key->daddr, &sa.sin6_addr, 16);
	} else if (sa.sin6_family == AF_INET) {
		key->daddr[10] = key->daddr[11] = 0xff;
		__builtin_memcpy(&key->daddr[12], &((struct sockaddr_in *)&sa)->sin_addr, 4);
	} else {
		return false;
	}
	return true;
}

static __always_inline void note_connfail(const struct connect_args *args, int err)
{
	struct tt_connfail_val *val, init = {};
	struct tt_flow_key key = {};

	if (!connect_dest(args, &key))
		return;
	val = bpf_map_lookup_elem(&connfails, &key);
	if (!val) {
		init.tgid = bpf_get_current_pid_tgid() >> 32;
		init.err = err;
		/* refused because another CPU just made it is not full */
		bpf_map_update_elem(&connfails, &key, &init, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&connfails, &key);
		if (!val) {
			health_inc(TT_H_CONNFAILS_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&val->failures, 1);
	val->last_ns = bpf_ktime_get_ns();
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_exit__tp(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_args *args = bpf_map_lookup_elem(&pending_connects, &tid);
	long ret = ctx->ret;

	if (!args)
		return 0;
	if (ret == -EADDRNOTAVAIL) {
		count_add_current(TT_SIG_CONNECT_FAIL, EADDRNOTAVAIL, 1);
		note_connfail(args, EADDRNOTAVAIL);
	}
	bpf_map_delete_elem(&pending_connects, &tid);
	return 0;
}
