// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: programs that return 0 on every hook the agent uses, attached
 * the same way (tp_btf).  Their run_time_ns/run_cnt is what any BPF agent
 * pays just to be there, and the bench divides each agent program's cost by it.  Names are <hook>__floor,
 * <hook> being the agent program's name without its __btf/__raw/__tp suffix.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define FLOOR(hook, sec) \
	SEC(sec) int hook##__floor(void *ctx) { return 0; }

FLOOR(set_state, "tp_btf/inet_sock_set_state")
FLOOR(destroy_sock, "tp_btf/tcp_destroy_sock")
FLOOR(retransmit, "tp_btf/tcp_retransmit_skb")
FLOOR(synack_retransmit, "tp_btf/tcp_retransmit_synack")
FLOOR(drop, "tp_btf/kfree_skb")
FLOOR(exceed_buf, "tp_btf/sock_exceed_buf_limit")
FLOOR(rcvq_full, "tp_btf/sock_rcvqueue_full")
FLOOR(send_reset, "tp_btf/tcp_send_reset")
FLOOR(receive_reset, "tp_btf/tcp_receive_reset")
FLOOR(console, "tp_btf/console")
