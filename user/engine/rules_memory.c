// SPDX-License-Identifier: GPL-2.0
/*
 * TCP memory and what holds it: tcp_mem_exhausted, tcp_mem_pressure,
 * orphan_sockets, socket_buffer_limit (its forecast: rules_forecast.c).
 */
#include <stdio.h>
#include "rules_impl.h"
#include "tcptriage.h"

/* Processes that suffered it (not who holds or causes it): the finding's victims. */
static void add_owner_victims(const struct diag_input *in, struct finding *f, uint32_t signal,
			      const char *impact)
{
	add_owners_to(in, f->victims, &f->n_victims, signal, ANY_SUB, ANY_NETNS, impact);
}

static void add_owner_culprits(const struct diag_input *in, struct finding *f, uint32_t signal,
			       uint32_t sub, const char *why)
{
	add_owner_culprits_in(in, f, signal, sub, ANY_NETNS, why);
}

/* Drops of one reason as evidence, or "not visible" where the kernel has no drop reasons. */
static void drops_evidence(const struct diag_input *in, struct finding *f, const char *name,
			   const char *reason, uint32_t netns)
{
	if (in->names->drop_reason)
		finding_num(f, name, diag_drops(in, reason, netns));
	else
		finding_unseen(f, UNSEEN_DROP_REASONS);
}

/* The limits now, and the RAM they are pages of: what any tcp_mem advice is weighed against. */
void tcp_mem_evidence(const struct diag_input *in, struct finding *f)
{
	finding_nums(f, "tcp_mem_pages", in->tcp_mem, 3);
	if (in->mem_total_kb > 0)
		finding_num(f, "host_ram_kb", in->mem_total_kb);
}

/*
 * Packets refused for a full receive queue or buffer.  Without drop reasons
 * (before 5.17) a drop cannot be charged to a socket: the namespace's own
 * counters say how many instead.
 */
static int64_t rcvbuf_drops(const struct diag_input *in, const struct ns_state *ns)
{
	if (!in->names->drop_reason)
		return ns_delta(ns, "Udp.RcvbufErrors") + ns_delta(ns, "TcpExt.TCPRcvQDrop");
	return (int64_t)(counts_sum(in->window, TT_SIG_RCVQ_FULL, ANY_SUB, ns->inode, false) +
			 diag_drops(in, "socket_rcvbuff", ns->inode) +
			 diag_drops(in, "socket_backlog", ns->inode));
}

/* IPv4 packets, or TCP segments of both families when there are more of those. */
static int64_t packets_received(const struct diag_input *in, const struct ns_state *ns)
{
	int64_t ip = ns_delta(ns, "Ip.InReceives"), tcp = ns_delta(ns, "Tcp.InSegs");

	(void)in;
	return ip > tcp ? ip : tcp;
}

static const struct share_rule rcvbuf_share = {
	.count = rcvbuf_drops, .traffic = packets_received,
	.count_in_window = true, /* with drop reasons, the BPF window's */
	.min_count = BUF_LIMIT_MIN_DROPS,
};

static void buffer_limit_summary(struct finding *f, const struct share *s, uint64_t drops,
				 uint64_t hits)
{
	char pct[32], share[160] = "";

	if (s->ns)
		snprintf(share, sizeof(share), " (%s of the %lld packets received in network namespace %u)",
			 percent(pct, sizeof(pct), ratio_of((double)s->count, s->traffic)),
			 (long long)s->traffic, s->ns->inode);
	snprintf(f->summary, sizeof(f->summary),
		 "sockets are refusing data: %llu packets dropped for a full receive buffer%s, %llu "
		 "allocations refused by the TCP memory limit", (unsigned long long)drops, share,
		 (unsigned long long)hits);
}

/* Drop the culprits from index from on that name no process. */
static void drop_unowned_culprits(struct finding *f, int from)
{
	int kept = from;

	for (int i = from; i < f->n_culprits; i++)
		if (f->culprits[i].pid)
			f->culprits[kept++] = f->culprits[i];
	f->n_culprits = kept;
}

/*
 * The receivers whose buffers refused data.  Before 6.11 a refused datagram's
 * drop names no socket: its socket's owner comes from udp_refused, and the
 * same datagrams' drops, charged to nobody, would be a second culprit for
 * them.  Without drop reasons (before 5.17) no drop is known to be a
 * receive buffer's.
 */
static void buffer_limit_receivers(const struct diag_input *in, struct finding *f, uint32_t netns,
				   uint64_t refusals)
{
	uint32_t rcvbuff = drop_reason(in, "socket_rcvbuff");
	int from = f->n_culprits;
	bool refused_named;

	add_owner_culprits_in(in, f, TT_SIG_UDP_REFUSED, ANY_SUB, netns,
			      "its UDP socket's buffer is full: it reads slower than data arrives");
	refused_named = f->n_culprits > from;
	if (!refusals || rcvbuff == UINT32_MAX)
		return;
	from = f->n_culprits;
	add_owner_culprits_in(in, f, TT_SIG_DROP, rcvbuff, netns,
			      "its socket's receive buffer is full: it reads slower than data arrives");
	if (refused_named)
		drop_unowned_culprits(f, from);
}

int rule_socket_buffer_limit(const struct diag_input *in, struct finding *f)
{
	struct share s = { 0 };
	bool refusing = worst_share(in, &rcvbuf_share, &s) && s.ratio >= BUF_DROP_RATIO;
	uint32_t netns = refusing ? s.ns->inode : ANY_NETNS;
	uint64_t hits = counts_sum(in->window, TT_SIG_EXCEED_BUF, ANY_SUB, ANY_NETNS, false);
	uint64_t rcvq = counts_sum(in->window, TT_SIG_RCVQ_FULL, ANY_SUB, netns, false);
	uint64_t rcvbuf = diag_drops(in, "socket_rcvbuff", netns);
	uint64_t proto_mem = diag_drops(in, "proto_mem", netns);
	uint64_t backlog = diag_drops(in, "socket_backlog", netns);
	struct advice *a;

	if (!hits && !refusing)
		return 0;
	if (!refusing)
		s = (struct share){ 0 }; /* a limit hit alone: no namespace share to show */
	f->severity = hits || proto_mem ? SEV_CRITICAL : SEV_WARNING;
	buffer_limit_summary(f, &s, refusing ? (uint64_t)s.count : rcvq + rcvbuf + backlog, hits);
	if (refusing)
		share_evidence(f, &s, "receive_buffer_drops", "packets_received", "drop_ratio",
			       BUF_DROP_RATIO);
	if (refusing && !in->names->drop_reason)
		finding_num(f, "ns_receive_buffer_drops", s.count);
	finding_num(f, "mem_limit_hits", hits);
	finding_num(f, "rcvq_full", rcvq);
	drops_evidence(in, f, "drops_socket_rcvbuff", "socket_rcvbuff", netns);
	drops_evidence(in, f, "drops_socket_backlog", "socket_backlog", netns);
	drops_evidence(in, f, "drops_proto_mem", "proto_mem", netns);
	tcp_mem_evidence(in, f);
	finding_num(f, "tcp_mem_used_pages", in->tcp_mem_used);
	buffer_limit_receivers(in, f, netns, rcvq + rcvbuf);
	add_owner_culprits_in(in, f, TT_SIG_RCVQ_FULL, ANY_SUB, netns,
			      "its socket's receive queue is full: it reads slower than data arrives");
	add_owner_culprits(in, f, TT_SIG_EXCEED_BUF, ANY_SUB,
			   "its socket was refused memory by the TCP memory limit");
	finding_advice(f, "make the named process read its sockets faster (or stop sending to it): "
		       "a non-reading receiver holds kernel memory", NULL,
		       "full receive queues are the application's backlog, a bigger buffer only delays it");
	if (hits) {
		a = finding_advice(f, "raise tcp_mem only if the holders above are legitimate",
				   "net.ipv4.tcp_mem", "the limit refused allocations while in use");
		if (a) {
			snprintf(a->current, sizeof(a->current), "%ld %ld %ld", in->tcp_mem[0],
				 in->tcp_mem[1], in->tcp_mem[2]);
			snprintf(a->suggested, sizeof(a->suggested), "%ld %ld %ld", in->tcp_mem[0] * 2,
				 in->tcp_mem[1] * 2, in->tcp_mem[2] * 2);
		}
	}
	return 1;
}

/* The limits the usage crossed: tcp_mem may have changed since (tcp_mem_pages is now's). */
static void crossed_evidence(const struct diag_input *in, struct finding *f)
{
	const long *l = in->mem.crossed_limits;

	finding_nums(f, "tcp_mem_pages_when_crossed", l, 3);
}

int rule_tcp_mem_exhausted(const struct diag_input *in, struct finding *f)
{
	const struct verdict_seen *v = confirmed_verdict(in, "tcp_mem_exhausted");
	uint32_t abort_reason;
	struct advice *a;

	if (!v && in->mem.max_since_s < 0)
		return 0;
	f->severity = SEV_CRITICAL;
	snprintf(f->summary, sizeof(f->summary),
		 "TCP ran out of memory (tcp_mem): the kernel is refusing socket memory and "
		 "killing orphaned connections");
	if (v)
		verdict_evidence(v, f);
	finding_num(f, "tcp_mem_peak_pages", in->mem.peak);
	if (in->mem.max_since_s >= 0) {
		finding_real(f, "over_max_since_s", in->mem.max_since_s);
		crossed_evidence(in, f);
	}
	tcp_mem_evidence(in, f);
	finding_num(f, "tcp_mem_used_pages", in->tcp_mem_used);
	finding_num(f, "orphans", in->orphans);
	if (!kenum_value(in->names->rst_reason, "tcp_abort_on_memory", &abort_reason)) {
		finding_num(f, "aborts_on_memory",
			    counts_sum(in->window, TT_SIG_RST_SENT, abort_reason, ANY_NETNS, false));
		add_owner_culprits(in, f, TT_SIG_RST_SENT, abort_reason,
				   "owned the sockets the kernel aborted for memory");
	} else { /* the aborts only as the namespaces counted them, not whose they were */
		finding_num(f, "aborts_on_memory", ns_table_delta_sum(in->ns, "TcpExt.TCPAbortOnMemory"));
		finding_unseen(f, UNSEEN_RESET_REASONS);
	}
	add_owner_victims(in, f, TT_SIG_EXCEED_BUF, "memory refused");
	finding_advice(f, "find who holds TCP memory (non-reading receivers, peers with a zero "
		       "window, orphans with unsent data) and fix that application first", NULL,
		       "tcp_mem is shared by every socket: one leak starves the whole host");
	a = finding_advice(f, "raise tcp_mem only with the number the holders justify",
			   "net.ipv4.tcp_mem", "never above what RAM allows (values are pages)");
	if (a)
		snprintf(a->current, sizeof(a->current), "%ld %ld %ld", in->tcp_mem[0],
			 in->tcp_mem[1], in->tcp_mem[2]);
	return 1;
}

int rule_tcp_mem_pressure(const struct diag_input *in, struct finding *f)
{
	int64_t pressures;
	const struct ns_state *ns = worst_ns(in, "TcpExt.TCPMemoryPressures", &pressures);
	bool crossed = in->mem.pressure_since_s >= 0;

	if (!crossed && !ns)
		return 0;
	if (in->mem.max_since_s >= 0 || confirmed_verdict(in, "tcp_mem_exhausted"))
		return 0; /* tcp_mem_exhausted reports it */
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "TCP memory under pressure: %lld pages in use (peak %lld) against the pressure "
		 "threshold of %ld: sockets are being trimmed", (long long)in->mem.now,
		 (long long)in->mem.peak, crossed ? in->mem.crossed_limits[1] : in->tcp_mem[1]);
	tcp_mem_evidence(in, f);
	if (crossed)
		crossed_evidence(in, f);
	finding_num(f, "tcp_mem_used_pages", in->mem.now);
	finding_num(f, "tcp_mem_peak_pages", in->mem.peak);
	finding_real(f, "growth_pages_per_s", in->mem.rate);
	finding_real(f, "pressure_since_s", in->mem.pressure_since_s);
	finding_num(f, "memory_pressures", pressures);
	add_owner_victims(in, f, TT_SIG_EXCEED_BUF, "memory refused");
	finding_advice(f, "find who holds TCP memory (tcptriage snapshot): non-reading receivers, "
		       "peers with a zero window, orphans with unsent data; fix that application",
		       NULL, "pressure trims every socket's buffers, slowing all connections on the host");
	return 1;
}

int rule_orphan_sockets(const struct diag_input *in, struct finding *f)
{
	const struct verdict_seen *v = confirmed_verdict(in, "orphan_sockets");

	if (!v && !orphans_over_limit(in))
		return 0;
	f->severity = SEV_CRITICAL;
	snprintf(f->summary, sizeof(f->summary),
		 "too many orphaned sockets: the kernel is killing closed connections that still "
		 "had data to send");
	if (v)
		verdict_evidence(v, f);
	finding_num(f, "orphans", in->orphans);
	finding_num(f, "tcp_max_orphans", in->max_orphans);
	finding_num(f, "aborts_on_memory", ns_table_delta_sum(in->ns, "TcpExt.TCPAbortOnMemory"));
	finding_advice(f, "find the process that closes sockets with unsent data to slow peers",
		       NULL, "orphans hold memory until their data is acknowledged or they time out");
	return 1;
}
