// SPDX-License-Identifier: GPL-2.0
/*
 * The one list of rules, in the order the engine evaluates and reports them.
 * Each family is one file:
 *   rules_memory.c    tcp_mem_exhausted, orphan_sockets, socket_buffer_limit,
 *                     tcp_mem_pressure
 *   rules_traffic.c   retransmit_storm, reset_storm
 *   rules_conn.c      conntrack_full, timewait_overflow, ephemeral_ports_exhausted,
 *                     close_wait_leak, fin_wait2_accumulation
 *   rules_listen.c    listen_overflow, syn_backlog_overflow
 *   rules_verdicts.c  kernel_log_unconfirmed, and which counters confirm a kernel log line
 *   rules_forecast.c  tcp_mem_forecast, conntrack_forecast, timewait_forecast
 * What more than one family uses is in rules_common.c, declared in rules_impl.h.
 */
#include "rules.h"
#include "rules_impl.h"

const struct rule rule_table[] = {
	{ "tcp_mem_exhausted", rule_tcp_mem_exhausted },
	{ "orphan_sockets", rule_orphan_sockets },
	{ "conntrack_full", rule_conntrack_full },
	{ "socket_buffer_limit", rule_socket_buffer_limit },
	{ "retransmit_storm", rule_retransmit_storm },
	{ "reset_storm", rule_reset_storm },
	{ "tcp_mem_pressure", rule_tcp_mem_pressure },
	{ "timewait_overflow", rule_timewait_overflow },
	{ "ephemeral_ports_exhausted", rule_ephemeral_ports },
	{ "listen_overflow", rule_listen_overflow },
	{ "syn_backlog_overflow", rule_syn_backlog },
	{ "close_wait_leak", rule_close_wait_leak },
	{ "fin_wait2_accumulation", rule_fin_wait2 },
	{ "kernel_log_unconfirmed", rule_kernel_log_unconfirmed },
	{ "tcp_mem_forecast", rule_tcp_mem_forecast },
	{ "conntrack_forecast", rule_conntrack_forecast },
	{ "timewait_forecast", rule_timewait_forecast },
};
const size_t rule_count = sizeof(rule_table) / sizeof(rule_table[0]);
