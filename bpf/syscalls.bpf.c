// SPDX-License-Identifier: GPL-2.0
/*
 * Socket syscalls, in the caller's context (classic tracepoints only exist
 * for syscalls): listen() tells what backlog the application asked for.
 * connect() and accept() need no hook of their own: a connect() that finds
 * no local port is seen in state.bpf.c, and an accepted socket's owner is
 * its listener's (common.bpf.h owner_of).
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_listen")
int listen_enter__tp(struct trace_event_raw_sys_enter *ctx)
{
	struct sock *sk = fd_sock(ctx->args[0]);
	struct tt_owner o = {}, *known;
	__u64 skaddr = (__u64)sk;

	if (!sk || !sk_is_tcp(sk))
		return 0;
	owner_current(&o, netns_of(sk));
	o.listen_backlog = ctx->args[1];
	o.listening = 1;
	/* bound already (bind(), or a listen() again): else state.bpf.c learns it */
	o.listen_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	known = bpf_map_lookup_elem(&owners, &skaddr);
	if (known && known->listening) { /* listening already: a new backlog */
		owner_set(sk, &o);
		return 0;
	}
	bpf_map_update_elem(&listen_asked, &skaddr, &o, BPF_ANY);
	return 0;
}
