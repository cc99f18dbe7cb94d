// SPDX-License-Identifier: GPL-2.0
/*
 * Connections piling up or running out: timewait_overflow,
 * ephemeral_ports_exhausted, close_wait_leak, fin_wait2_accumulation,
 * conntrack_full (its forecast: rules_forecast.c).
 */
#include <netinet/tcp.h>
#include <stdio.h>
#include "rules_impl.h"
#include "tcptriage.h"

int rule_timewait_overflow(const struct diag_input *in, struct finding *f)
{
	int64_t overflows;
	const struct ns_state *ns = worst_ns(in, "TcpExt.TCPTimeWaitOverflow", &overflows);
	long max;

	if (!ns)
		return 0;
	max = ns->cur.limits.tw_buckets_max;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "TIME_WAIT table full in network namespace %u: %lld closing connections skipped "
		 "TIME_WAIT (tcp_max_tw_buckets %ld)", ns->inode, (long long)overflows, max);
	ns_evidence(f, ns);
	finding_num(f, "timewait_overflows", overflows);
	finding_num(f, "timewait_sockets", ns->cur.sockstat.tcp_tw);
	finding_num(f, "tcp_max_tw_buckets", max);
	add_owner_culprits_in(in, f, TT_SIG_ACTIVE_CLOSE, ANY_SUB, ns->inode,
			      "closes connections first, so their TIME_WAIT lands on this host");
	finding_advice(f, "reuse connections in the processes above (keep-alive, pooling) instead "
		       "of one connection per request", NULL,
		       "each actively closed connection holds a TIME_WAIT entry for 60 s");
	if (ns->cur.limits.tw_reuse >= 0 && ns->cur.limits.tw_reuse != 1)
		sysctl_advice(f, "for outgoing connections, let new connects reuse TIME_WAIT ports",
			      "net.ipv4.tcp_tw_reuse", ns->cur.limits.tw_reuse, 1,
			      "safe with timestamps on: only new outgoing connections reuse a port, so "
			      "unlike the recycle option removed in Linux 4.12 it does not break clients "
			      "behind NAT");
	sysctl_advice(f, "raise the TIME_WAIT table to what the churn needs", "net.ipv4.tcp_max_tw_buckets",
		      max, at_least(2 * max, ns->cur.sockstat.tcp_tw + 2 * overflows),
		      "overflowing entries skip TIME_WAIT, risking stray old segments");
	return 1;
}

/* Say where the ports went when TIME_WAIT holds at least half of the range. */
static void ports_summary(struct finding *f, uint64_t fails, const struct connfail_seen *top,
			  int64_t tw, long ports)
{
	int n = snprintf(f->summary, sizeof(f->summary),
			 "local ports exhausted: %llu connect() calls failed with EADDRNOTAVAIL%s%s",
			 (unsigned long long)fails, top ? " towards " : "", top ? top->raddr : "");

	if (tw >= 0 && ports > 0 && 2 * tw >= ports && n > 0 && (size_t)n < sizeof(f->summary))
		snprintf(f->summary + n, sizeof(f->summary) - n,
			 ": %lld sockets in TIME_WAIT (connections closed from this side) hold the "
			 "%ld ports of the range", (long long)tw, ports);
}

int rule_ephemeral_ports(const struct diag_input *in, struct finding *f)
{
	const struct connfail_seen *top = in->n_connfails ? &in->connfails[0] : NULL;
	const struct ns_state *ns;
	long lo, hi;
	uint64_t fails = counts_sum(in->window, TT_SIG_CONNECT_FAIL, 99 /* EADDRNOTAVAIL */,
				    ANY_NETNS, false);
	uint64_t connects = counts_sum(in->window, TT_SIG_CONNECT, ANY_SUB, ANY_NETNS, false);

	/* a busy host's port search misses now and then: a few in 100k connects is not exhaustion */
	if (fails < PORTS_MIN_FAILURES || fails < PORTS_FAIL_RATIO * (double)(connects + fails))
		return 0;
	ns = top ? ns_table_find(in->ns, top->netns) : NULL;
	lo = ns ? ns->cur.limits.port_range[0] : -1;
	hi = ns ? ns->cur.limits.port_range[1] : -1;
	f->severity = SEV_CRITICAL;
	ports_summary(f, fails, top, ns && lo >= 0 ? ns->cur.sockstat.tcp_tw : -1, hi - lo + 1);
	finding_num(f, "connect_eaddrnotavail", fails);
	if (ns) {
		ns_evidence(f, ns);
		finding_num(f, "timewait_sockets", ns->cur.sockstat.tcp_tw);
	}
	finding_nums(f, "ip_local_port_range", (const long[]){ lo, hi }, 2);
	finding_num(f, "ports_available", lo >= 0 ? hi - lo + 1 : -1);
	for (size_t i = 0; i < in->n_connfails && i < 3; i++) {
		struct culprit *c = finding_culprit(f);

		if (!c)
			break;
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): n_connfails > 0 */
		c->pid = in->connfails[i].tgid;
		c->netns = in->connfails[i].netns;
		snprintf(c->raddr, sizeof(c->raddr), "%s", in->connfails[i].raddr);
		c->count = in->connfails[i].failures;
		c->unit = "connect_failures";
		c->why = "its connect() to this destination found no free local port";
		name_culprit(in, c);
	}
	finding_advice(f, "reuse connections to that destination in the process above (pooling, "
		       "keep-alive): every port is held by an open or TIME_WAIT connection", NULL,
		       "a wider range only delays exhaustion when connections are not reused");
	if (lo >= 0) {
		struct advice *a = finding_advice(f, "widen the local port range if the connection count is "
						  "legitimate (keep listening ports out of it)",
						  "net.ipv4.ip_local_port_range",
						  "more local ports per destination");
		if (a) {
			snprintf(a->current, sizeof(a->current), "%ld %ld", lo, hi);
			snprintf(a->suggested, sizeof(a->suggested), "%ld %ld", lo < 1024 ? lo : 1024L, 65535L);
		}
	}
	return 1;
}

/* The owner with the most sockets sitting in state (CLOSE_WAIT, FIN_WAIT2) long enough. */
static const struct state_seen *worst_state(const struct diag_input *in, uint32_t state)
{
	const struct state_seen *worst = NULL;

	for (size_t i = 0; i < in->n_states; i++) {
		const struct state_seen *st = &in->states[i];

		if (st->state != state || st->count < LEAK_MIN_SOCKETS || st->oldest_s < LEAK_MIN_AGE_S)
			continue;
		if (!worst || st->count > worst->count)
			worst = st;
	}
	return worst;
}

static void state_culprits(const struct diag_input *in, struct finding *f, uint32_t state,
			   const char *why)
{
	for (size_t i = 0; i < in->n_states; i++) {
		const struct state_seen *st = &in->states[i];
		struct culprit *c;

		if (st->state != state || st->count < LEAK_MIN_SOCKETS)
			continue;
		c = finding_culprit(f);
		if (!c)
			return;
		c->pid = st->tgid;
		c->netns = st->netns;
		c->count = st->count;
		c->unit = "sockets";
		c->why = why;
		name_culprit(in, c);
	}
}

int rule_close_wait_leak(const struct diag_input *in, struct finding *f)
{
	const struct state_seen *st = worst_state(in, TCP_CLOSE_WAIT);

	if (!st)
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "process %u holds %llu connections in CLOSE_WAIT, the oldest for %.0f s: the peer "
		 "closed and the application never closed its side", st->tgid,
		 (unsigned long long)st->count, st->oldest_s);
	finding_num(f, "close_wait_sockets", st->count);
	finding_real(f, "oldest_s", st->oldest_s);
	finding_num(f, "netns", st->netns);
	state_culprits(in, f, TCP_CLOSE_WAIT, "does not close sockets its peers have closed");
	finding_advice(f, "fix the application: close() the socket when read() returns 0 "
		       "(a leaked descriptor on an error path, or a pool that never drops dead connections)",
		       NULL, "no kernel setting expires CLOSE_WAIT: only the application can close it");
	return 1;
}

int rule_fin_wait2(const struct diag_input *in, struct finding *f)
{
	const struct state_seen *st = worst_state(in, TCP_FIN_WAIT2);
	const struct ns_state *ns;

	if (!st)
		return 0;
	ns = ns_table_find(in->ns, st->netns);
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "process %u has %llu connections in FIN_WAIT2, the oldest for %.0f s: it closed, "
		 "its peers never did", st->tgid, (unsigned long long)st->count, st->oldest_s);
	finding_num(f, "fin_wait2_sockets", st->count);
	finding_real(f, "oldest_s", st->oldest_s);
	finding_num(f, "netns", st->netns);
	if (ns)
		finding_num(f, "tcp_fin_timeout", ns->cur.limits.fin_timeout);
	state_culprits(in, f, TCP_FIN_WAIT2, "closed these connections first; the peers keep them half-open");
	finding_advice(f, "find the peers that do not close (their addresses are in ss -tn state "
		       "fin-wait-2) and fix them, or have this process shutdown() and close() fully",
		       NULL, "tcp_fin_timeout only applies once the socket is orphaned; cutting it "
		       "blanket-wide does not fix half-closed connections the application still holds");
	return 1;
}

/* The namespace whose table refused the most, or NULL when none did. */
static const struct ns_state *conntrack_worst_ns(const struct diag_input *in)
{
	const struct ns_state *worst = NULL;
	int64_t most = 0;

	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		int64_t r = ns_conntrack_refusals(&in->ns->items[i]);

		if (r > most) {
			most = r;
			worst = &in->ns->items[i];
		}
	}
	return worst;
}

/* Fires from the table's own counters; the kernel's line (rate-limited) only adds to it. */
int rule_conntrack_full(const struct diag_input *in, struct finding *f)
{
	const struct verdict_seen *v = confirmed_verdict(in, "conntrack_full");
	const struct ns_state *ns = v ? verdict_ns(in, v) : conntrack_worst_ns(in);
	const struct listener_seen *l;
	long count, max;
	uint32_t nf_drop = drop_reason(in, "netfilter_drop");

	if (!ns)
		return 0;
	f->severity = SEV_CRITICAL;
	snprintf(f->summary, sizeof(f->summary),
		 "the connection tracking table is full: new connections are dropped");
	if (v)
		verdict_evidence(v, f);
	if (ns) {
		count = ns->cur.limits.conntrack_count;
		max = ns->cur.limits.conntrack_max;
		ns_evidence(f, ns);
		finding_num(f, "nf_conntrack_count", count);
		finding_num(f, "nf_conntrack_max", max);
		finding_num(f, "stat_drop", ns_conntrack_delta(ns, "drop"));
		finding_num(f, "stat_early_drop", ns_conntrack_delta(ns, "early_drop"));
		finding_num(f, "stat_insert_failed", ns_conntrack_delta(ns, "insert_failed"));
		if (in->names->drop_reason)
			finding_num(f, "netfilter_drops",
				    counts_sum(in->window, TT_SIG_DROP, nf_drop, ns->inode, false));
		else
			finding_unseen(f, UNSEEN_DROP_REASONS);
		add_owner_culprits_in(in, f, TT_SIG_CONNECT, ANY_SUB, ns->inode,
				      "opens the most new connections in that namespace");
		/* the entries are incoming connections: their openers are elsewhere */
		if (!f->n_culprits && (l = sole_listener_in(in, ns->inode)))
			listener_culprit(in, f, l, (uint64_t)at_least(ns_delta(ns, "Tcp.PassiveOpens"), 0),
					 "connections_accepted",
					 "listens there: the table fills with connections to it");
	}
	finding_advice(f, "find who creates the most new connections in that namespace and make "
		       "it reuse them", NULL,
		       "a table sized for the load only fills when something churns connections");
	if (ns && ns->cur.limits.conntrack_max > 0)
		sysctl_advice(f, "raise the table if the load is legitimate (global, set from the host)",
			      "net.netfilter.nf_conntrack_max", ns->cur.limits.conntrack_max,
			      at_least(2 * ns->cur.limits.conntrack_max, 2 * ns->cur.limits.conntrack_count),
			      "each entry costs ~300 bytes of kernel memory");
	return 1;
}
