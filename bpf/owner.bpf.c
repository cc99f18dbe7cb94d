// SPDX-License-Identifier: GPL-2.0
/*
 * Socket ownership: which process a struct sock belongs to, so that events
 * seen in softirq or timer context are charged to the socket's owner and not
 * to whatever task happened to be on the CPU.  Learned where the owner is
 * certainly current (connect, listen, accept), seeded from every open file
 * at start-up by an iterator, forgotten when the socket is destroyed.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* connect() and listen() change state in the caller's context. */
static __always_inline void on_set_state(const struct sock *sk, int oldstate, int newstate)
{
	if (oldstate != TCP_CLOSE || (newstate != TCP_SYN_SENT && newstate != TCP_LISTEN))
		return;
	if (!sk_is_tcp(sk))
		return;
	owner_set_current(sk);
}

static __always_inline void on_destroy(const struct sock *sk)
{
	__u64 skaddr = (__u64)sk;

	bpf_map_delete_elem(&owners, &skaddr);
}

/* The struct sock behind a file, or NULL when the file is not a socket. */
static __always_inline struct sock *file_sock(struct file *file)
{
	struct socket *sock;

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/* accept() returned fd: the new socket is the caller's. */
static __always_inline void on_accept_exit(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct sock *sk;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	sk = file_sock(file);
	if (sk && sk_is_tcp(sk))
		owner_set_current(sk);
}

TT_HOOK_BTF_RAW(set_state, "inet_sock_set_state", on_set_state(sk, oldstate, newstate),
		const struct sock *sk, const int oldstate, const int newstate)

SEC("tracepoint/sock/inet_sock_set_state")
int set_state__tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol == IPPROTO_TCP)
		on_set_state(ctx->skaddr, ctx->oldstate, ctx->newstate);
	return 0;
}

TT_HOOK_BTF_RAW(destroy_sock, "tcp_destroy_sock", on_destroy(sk), struct sock *sk)

SEC("tracepoint/tcp/tcp_destroy_sock")
int destroy_sock__tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	on_destroy(ctx->skaddr);
	return 0;
}

/* Syscall tracepoints exist only in the classic form. */
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

/*
 * Start-up seed: every inet socket some task has open (UDP too: drops on a
 * UDP socket are charged to its owner as well). Live records win.
 */
SEC("iter/task_file")
int seed_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct tt_owner owner = {};
	struct sock *sk;

	if (!task)
		return 0;
	sk = file_sock(ctx->file);
	if (!sk || !sk_is_inet(sk))
		return 0;
	owner.tgid = BPF_CORE_READ(task, tgid);
	owner.netns = netns_of(sk);
	owner.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&owner.comm, task, comm);
	owner_store(sk, &owner, BPF_NOEXIST);
	return 0;
}
