// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "rules.h"
#include "tcptriage.h"

/* Name the culprit's process; keep a cgroup already known from the counters. */
static void name_culprit(const struct diag_input *in, struct culprit *c)
{
	uint64_t cgroup = 0;

	if (!c->pid || !in->proc_of)
		return;
	in->proc_of(in->proc_ctx, c->pid, c->comm, &cgroup);
	if (!c->cgroup)
		c->cgroup = cgroup;
}

/* Add the top owners of one signal as culprits. */
static void add_owner_culprits(const struct diag_input *in, struct finding *f, uint32_t signal,
			       uint32_t sub, const char *why)
{
	struct owner_total top[4];
	size_t n = counts_by_owner(in->window, signal, sub, top, 4);

	for (size_t i = 0; i < n; i++) {
		struct culprit *c = finding_culprit(f);

		if (!c)
			return;
		c->pid = top[i].tgid;
		c->cgroup = top[i].cgroup;
		c->netns = top[i].netns;
		c->count = top[i].events;
		c->bytes = top[i].amount;
		c->why = why;
		name_culprit(in, c);
	}
}

static uint32_t drop_reason(const struct diag_input *in, const char *name)
{
	uint32_t v;

	return kenum_value(in->names->drop_reason, name, &v) ? UINT32_MAX : v;
}

static uint64_t drops_of(const struct diag_input *in, const char *reason)
{
	uint32_t v = drop_reason(in, reason);

	return v == UINT32_MAX ? 0 : counts_sum(in->window, TT_SIG_DROP, v, ANY_NETNS, false);
}

/* The namespace with the most retransmitted segments. */
static uint32_t busiest_netns(const struct count_table *t, uint32_t signal, uint64_t *segs)
{
	uint32_t ns[64], best = 0;
	size_t n = counts_netns_list(t, ns, 64);

	*segs = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = counts_sum(t, signal, ANY_SUB, ns[i], true);

		if (s > *segs) {
			*segs = s;
			best = ns[i];
		}
	}
	return best;
}

static int rule_retransmit_storm(const struct diag_input *in, struct finding *f)
{
	uint64_t segs;
	uint32_t netns = busiest_netns(in->window, TT_SIG_RETRANS, &segs);
	double rate = in->window_s > 0 ? segs / in->window_s : 0;

	if (segs < RETRANS_MIN_SEGS || rate < RETRANS_MIN_RATE)
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "%llu TCP segments retransmitted in %.0f s in network namespace %u: packets are "
		 "being lost on the path to %s", (unsigned long long)segs, in->window_s, netns,
		 in->n_flows ? in->flows[0].raddr : "the peers below");
	finding_num(f, "retransmit_segs", segs);
	finding_num(f, "netns", netns);
	finding_text(f, "retransmit_segs_per_s", "%.1f", rate);
	finding_num(f, "threshold_segs", RETRANS_MIN_SEGS);
	for (size_t i = 0; i < in->n_flows && i < 3; i++) {
		struct culprit *c = finding_culprit(f);

		if (!c)
			break;
		c->pid = in->flows[i].tgid;
		c->netns = in->flows[i].netns;
		snprintf(c->laddr, sizeof(c->laddr), "%s", in->flows[i].laddr);
		snprintf(c->raddr, sizeof(c->raddr), "%s", in->flows[i].raddr);
		c->count = in->flows[i].segs;
		c->why = "flow with the most retransmitted segments";
		name_culprit(in, c);
	}
	add_owner_culprits(in, f, TT_SIG_RETRANS, ANY_SUB, "process owning the retransmitting sockets");
	finding_advice(f, "find where packets to the peer are lost: interface errors and drops "
		       "(ip -s link), a saturated link, a firewall dropping, an MTU black hole",
		       NULL, "retransmits are the symptom of loss on the path; no local limit causes them");
	return 1;
}

static int rule_socket_buffer_limit(const struct diag_input *in, struct finding *f)
{
	uint64_t hits = counts_sum(in->window, TT_SIG_EXCEED_BUF, ANY_SUB, ANY_NETNS, false);
	uint64_t rcvq = counts_sum(in->window, TT_SIG_RCVQ_FULL, ANY_SUB, ANY_NETNS, false);
	uint64_t rcvbuf = drops_of(in, "socket_rcvbuff");
	uint64_t proto_mem = drops_of(in, "proto_mem");
	uint64_t backlog = drops_of(in, "socket_backlog");
	struct advice *a;

	if (!hits && rcvq + rcvbuf + backlog < BUF_LIMIT_MIN_DROPS)
		return 0;
	f->severity = hits || proto_mem ? SEV_CRITICAL : SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "sockets are refusing data: %llu packets dropped for a full receive buffer, %llu "
		 "allocations refused by the TCP memory limit", (unsigned long long)(rcvq + rcvbuf + backlog),
		 (unsigned long long)hits);
	finding_num(f, "mem_limit_hits", hits);
	finding_num(f, "rcvq_full", rcvq);
	finding_num(f, "drops_socket_rcvbuff", rcvbuf);
	finding_num(f, "drops_socket_backlog", backlog);
	finding_num(f, "drops_proto_mem", proto_mem);
	finding_text(f, "tcp_mem_pages", "%ld %ld %ld", in->tcp_mem[0], in->tcp_mem[1], in->tcp_mem[2]);
	finding_num(f, "tcp_mem_used_pages", in->tcp_mem_used);
	if (rcvq + rcvbuf)
		add_owner_culprits(in, f, TT_SIG_DROP, drop_reason(in, "socket_rcvbuff"),
				   "its socket's receive buffer is full: it reads slower than data arrives");
	add_owner_culprits(in, f, TT_SIG_RCVQ_FULL, ANY_SUB,
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

/* The reset reason sent most often in the window. */
static uint32_t top_reset_reason(const struct count_table *t, uint64_t *count)
{
	uint32_t best = 0;

	*count = 0;
	for (size_t i = 0; i < t->count; i++) {
		uint32_t sub = t->rows[i].key.sub;
		uint64_t n;

		if (t->rows[i].key.signal != TT_SIG_RST_SENT)
			continue;
		n = counts_sum(t, TT_SIG_RST_SENT, sub, ANY_NETNS, false);
		if (n > *count) {
			*count = n;
			best = sub;
		}
	}
	return best;
}

static int rule_reset_storm(const struct diag_input *in, struct finding *f)
{
	uint64_t sent = counts_sum(in->window, TT_SIG_RST_SENT, ANY_SUB, ANY_NETNS, false);
	uint64_t received = counts_sum(in->window, TT_SIG_RST_RECV, ANY_SUB, ANY_NETNS, false);
	double rate = in->window_s > 0 ? sent / in->window_s : 0;
	uint64_t top_count;
	uint32_t top = top_reset_reason(in->window, &top_count);
	const char *reason = kenum_name(in->names->rst_reason, top);

	if (sent < RESET_MIN_COUNT || rate < RESET_MIN_RATE)
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "%llu TCP resets sent in %.0f s, most for reason %s", (unsigned long long)sent,
		 in->window_s, reason ? reason : "unknown");
	finding_num(f, "resets_sent", sent);
	finding_num(f, "resets_received", received);
	finding_text(f, "resets_sent_per_s", "%.1f", rate);
	finding_text(f, "top_reason", "%s", reason ? reason : "unknown");
	finding_num(f, "top_reason_count", top_count);
	add_owner_culprits(in, f, TT_SIG_RST_SENT, ANY_SUB,
			   "owns the sockets that sent resets (0: no socket, the kernel refused a connection)");
	finding_advice(f, "see why connections are refused or aborted: the top reason names it "
		       "(no_socket: clients reach a port nobody listens on; tcp_abort_on_linger / "
		       "tcp_abort_on_close: the application closes with unread data or SO_LINGER 0)",
		       NULL, "resets are decisions of the kernel or the application, not of a limit");
	return 1;
}

static const struct verdict_seen *verdict_for(const struct diag_input *in, const char *cause)
{
	for (size_t i = 0; i < in->n_verdicts; i++)
		if (in->verdicts[i].count && !strcmp(in->verdicts[i].cause, cause))
			return &in->verdicts[i];
	return NULL;
}

static void verdict_evidence(const struct verdict_seen *v, struct finding *f)
{
	finding_text(f, "kernel_log", "%s", v->last);
	finding_num(f, "kernel_log_lines", v->count);
}

static int rule_tcp_mem_exhausted(const struct diag_input *in, struct finding *f)
{
	const struct verdict_seen *v = verdict_for(in, "tcp_mem_exhausted");
	uint32_t abort_reason;
	struct advice *a;

	if (!v)
		return 0;
	f->severity = SEV_CRITICAL;
	snprintf(f->summary, sizeof(f->summary),
		 "TCP ran out of memory (tcp_mem): the kernel is refusing socket memory and "
		 "killing orphaned connections");
	verdict_evidence(v, f);
	finding_text(f, "tcp_mem_pages", "%ld %ld %ld", in->tcp_mem[0], in->tcp_mem[1], in->tcp_mem[2]);
	finding_num(f, "tcp_mem_used_pages", in->tcp_mem_used);
	finding_num(f, "orphans", in->orphans);
	if (!kenum_value(in->names->rst_reason, "tcp_abort_on_memory", &abort_reason)) {
		finding_num(f, "aborts_on_memory",
			    counts_sum(in->window, TT_SIG_RST_SENT, abort_reason, ANY_NETNS, false));
		add_owner_culprits(in, f, TT_SIG_RST_SENT, abort_reason,
				   "owned the sockets the kernel aborted for memory");
	}
	add_owner_culprits(in, f, TT_SIG_EXCEED_BUF, ANY_SUB, "was refused socket memory");
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

static int rule_from_verdict(const struct diag_input *in, struct finding *f, const char *cause,
			     enum severity sev, const char *summary)
{
	const struct verdict_seen *v = verdict_for(in, cause);

	if (!v)
		return 0;
	f->severity = sev;
	snprintf(f->summary, sizeof(f->summary), "%s", summary);
	verdict_evidence(v, f);
	if (v->netns)
		finding_num(f, "netns", v->netns);
	return 1;
}

static int rule_orphan_sockets(const struct diag_input *in, struct finding *f)
{
	if (!rule_from_verdict(in, f, "orphan_sockets", SEV_CRITICAL,
			       "too many orphaned sockets: the kernel is killing closed connections "
			       "that still had data to send"))
		return 0;
	finding_num(f, "orphans", in->orphans);
	finding_advice(f, "find the process that closes sockets with unsent data to slow peers",
		       NULL, "orphans hold memory until their data is acknowledged or they time out");
	return 1;
}

static int rule_conntrack_full(const struct diag_input *in, struct finding *f)
{
	if (!rule_from_verdict(in, f, "conntrack_full", SEV_CRITICAL,
			       "the connection tracking table is full: new connections are dropped"))
		return 0;
	finding_advice(f, "find who creates the most new connections in that namespace", NULL,
		       "a table sized for the load only fills when something churns connections");
	return 1;
}

const struct rule rule_table[] = {
	{ "tcp_mem_exhausted", rule_tcp_mem_exhausted },
	{ "orphan_sockets", rule_orphan_sockets },
	{ "conntrack_full", rule_conntrack_full },
	{ "socket_buffer_limit", rule_socket_buffer_limit },
	{ "retransmit_storm", rule_retransmit_storm },
	{ "reset_storm", rule_reset_storm },
};
const size_t rule_count = sizeof(rule_table) / sizeof(rule_table[0]);
