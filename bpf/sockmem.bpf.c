// SPDX-License-Identifier: GPL-2.0
/* Socket memory limits: protocol (tcp_mem) limit hits and full receive queues. */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * sock_exceed_buf_limit fires for any protocol's memory accounting (UDP's
 * udp_mem too); only TCP's hits are TCP memory limit hits.  Every form
 * filters on the same field, the proto's name (the classic record has no
 * other), read the same way: "TCP" and "TCPv6" (tcp_prot, tcpv6_prot;
 * MPTCP's subflows are TCP sockets, its own "MPTCP" sockets are not counted).
 * `name` is the proto's name (tp_btf/raw_tp) or the record's copy (classic).
 */
static __always_inline bool proto_name_is_tcp(const char *name)
{
	char n[8] = {};

	if (bpf_probe_read_kernel(n, sizeof(n), name)) {
		health_inc(TT_H_READ_FAILED);
		return false;
	}
	return n[0] == 'T' && n[1] == 'C' && n[2] == 'P' &&
	       (n[3] == '\0' || (n[3] == 'v' && n[4] == '6' && n[5] == '\0'));
}

/* Counts a TCP hit (true); sk is NULL where the form has no socket. */
static __always_inline bool on_exceed(const struct sock *sk, const char *name, long allocated,
				      int kind)
{
	if (!proto_name_is_tcp(name))
		return false;
	count_add(sk, sk ? arg_netns(sk) : 0, TT_SIG_EXCEED_BUF, kind, allocated);
	return true;
}

static __always_inline void on_rcvq_full(const struct sock *sk, const struct sk_buff *skb)
{
	count_add(sk, arg_netns(sk), TT_SIG_RCVQ_FULL, 0, BPF_CORE_READ(skb, truesize));
}

TT_HOOK_BTF_RAW(exceed_buf, "sock_exceed_buf_limit",
		on_exceed(sk, prot->name, allocated, kind),
		struct sock *sk, struct proto *prot, long allocated, int kind)

/*
 * The classic record has no socket pointer (name, the limits, the amounts,
 * kind: /sys/kernel/tracing/events/sock/sock_exceed_buf_limit/format) and the
 * task on the CPU is not the owner in softirq: owner and namespace cannot be
 * recovered.  Counted with both unknown, and in health events_without_socket.
 */
SEC("tracepoint/sock/sock_exceed_buf_limit")
int exceed_buf__tp(struct trace_event_raw_sock_exceed_buf_limit *ctx)
{
	if (on_exceed(NULL, ctx->name, ctx->allocated, ctx->kind))
		health_inc(TT_H_NO_SOCKET);
	return 0;
}

TT_HOOK_BTF_RAW(rcvq_full, "sock_rcvqueue_full", on_rcvq_full(sk, skb),
		struct sock *sk, struct sk_buff *skb)

/* No socket in this record either (rmem_alloc, truesize, sk_rcvbuf). */
SEC("tracepoint/sock/sock_rcvqueue_full")
int rcvq_full__tp(struct trace_event_raw_sock_rcvqueue_full *ctx)
{
	count_add(NULL, 0, TT_SIG_RCVQ_FULL, 0, ctx->truesize);
	health_inc(TT_H_NO_SOCKET);
	return 0;
}
