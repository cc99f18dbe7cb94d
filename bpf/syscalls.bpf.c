// SPDX-License-Identifier: GPL-2.0
/*
 * Socket syscalls, in the caller's context (classic tracepoints only exist
 * for syscalls): accept() tells who owns an accepted socket, listen() what
 * backlog the application asked for.  connect() needs no hook of its own:
 * a connect() that finds no local port is seen in state.bpf.c.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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
