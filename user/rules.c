// SPDX-License-Identifier: GPL-2.0
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "signals.h"
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

/* Add the top owners of one signal in one netns (ANY_NETNS: all) as culprits. */
/* The top owners of signal, as processes appended to list (a finding's culprits or victims). */
static void add_owners_to(const struct diag_input *in, struct culprit *list, int *len,
			  uint32_t signal, uint32_t sub, uint32_t netns, const char *why)
{
	const struct signal_info *si = signal_find(signal);
	struct owner_total top[4];
	size_t n = counts_by_owner_in(in->window, signal, sub, netns, top, 4);

	for (size_t i = 0; i < n && *len < FINDING_MAX_CULPRITS; i++) {
		struct culprit *c = &list[(*len)++];

		memset(c, 0, sizeof(*c));
		c->pid = top[i].tgid;
		c->cgroup = top[i].cgroup;
		c->netns = top[i].netns;
		c->count = top[i].events;
		c->bytes = si && si->amount_is_bytes ? top[i].amount : 0;
		c->why = why;
		name_culprit(in, c);
	}
}

static void add_owner_culprits_in(const struct diag_input *in, struct finding *f, uint32_t signal,
				  uint32_t sub, uint32_t netns, const char *why)
{
	add_owners_to(in, f->culprits, &f->n_culprits, signal, sub, netns, why);
}

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

static uint32_t drop_reason(const struct diag_input *in, const char *name)
{
	uint32_t v;

	return kenum_value(in->names->drop_reason, name, &v) ? UINT32_MAX : v;
}

/* Drops of one reason in netns (ANY_NETNS: all) over the window. */
uint64_t diag_drops(const struct diag_input *in, const char *reason, uint32_t netns)
{
	uint32_t v = drop_reason(in, reason);

	return v == UINT32_MAX ? 0 : counts_sum(in->window, TT_SIG_DROP, v, netns, false);
}

static const struct ns_state *worst_ns(const struct diag_input *in, const char *counter,
				       int64_t *delta);
static void ns_evidence(struct finding *f, const struct ns_state *ns);

#define UNSEEN_DROP_REASONS "drop_reasons (Linux 5.17+)"
#define UNSEEN_RESET_REASONS "reset_reasons (Linux 6.10+)"

/* Drops of one reason as evidence, or "not visible" where the kernel has no drop reasons. */
static void drops_evidence(const struct diag_input *in, struct finding *f, const char *name,
			   const char *reason, uint32_t netns)
{
	if (in->names->drop_reason)
		finding_num(f, name, diag_drops(in, reason, netns));
	else
		finding_unseen(f, UNSEEN_DROP_REASONS);
}

/*
 * A count in one namespace judged against the traffic that carried it: a
 * busy host retransmits, resets and drops more than a quiet one, and only a
 * clear departure from that share is a finding.
 */
struct share {
	const struct ns_state *ns;
	int64_t count;   /* retransmitted segments, resets, drops, overflows */
	int64_t traffic; /* segments sent, connections, packets received, attempts */
	double ratio;    /* count (with extra weight) per unit of traffic */
	double per_s;
};

typedef int64_t (*ns_count_fn)(const struct diag_input *in, const struct ns_state *ns);

struct share_rule {
	ns_count_fn count, traffic;
	ns_count_fn extra;     /* optional: events of count that weigh more */
	double extra_weight;   /* ... each counts this many times in the ratio */
	bool count_in_window;  /* count is the BPF window's (window_s), not the namespace's span */
	int64_t min_count;     /* floors: a tiny sample never fires */
	double min_per_s;
};

static double ratio_of(double count, int64_t traffic)
{
	return count / (double)(traffic > 0 ? traffic : 1); /* no traffic: the count itself */
}

static struct share share_in(const struct diag_input *in, const struct share_rule *r,
			     const struct ns_state *ns)
{
	struct share s = { ns, r->count(in, ns), r->traffic(in, ns), 0, 0 };
	double span = ns_span(ns) > 0 ? ns_span(ns) : 1;
	double count_span = r->count_in_window && in->window_s > 0 ? in->window_s : span;
	double weighted = (double)s.count;

	if (r->extra)
		weighted += (r->extra_weight - 1) * (double)r->extra(in, ns);
	s.per_s = (double)s.count / count_span;
	s.ratio = ratio_of(weighted * span / count_span, s.traffic); /* both over one span */
	return s;
}

/* The namespace where the count is the largest share of its traffic, past the floors. */
static bool worst_share(const struct diag_input *in, const struct share_rule *r, struct share *out)
{
	bool found = false;

	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		struct share s = share_in(in, r, &in->ns->items[i]);

		if (s.count <= 0 || s.count < r->min_count || s.per_s < r->min_per_s)
			continue;
		if (!found || s.ratio > out->ratio) {
			*out = s;
			found = true;
		}
	}
	return found;
}

static void share_evidence(struct finding *f, const struct share *s, const char *count,
			   const char *traffic, const char *ratio, double threshold)
{
	ns_evidence(f, s->ns);
	finding_num(f, count, s->count);
	finding_num(f, traffic, s->traffic);
	finding_real(f, ratio, ratio_of((double)s->count, s->traffic));
	finding_real(f, "threshold_ratio", threshold);
}

/* "1.3%", or two significant digits below 1% ("0.0071%"). */
static const char *percent(char *buf, size_t len, double ratio)
{
	snprintf(buf, len, ratio < 0.01 ? "%.2g%%" : "%.1f%%", ratio * 100);
	return buf;
}

static int64_t retransmitted(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "Tcp.RetransSegs");
}

static int64_t segments_sent(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "Tcp.OutSegs"); /* new segments only: retransmits are apart */
}

/*
 * Retransmits after a retransmission timeout (in Loss state, and SYNs): fast
 * recovery could not repair the loss, the connection stalled for an RTO
 * (200 ms at least).  Fast retransmits may be reordering or one lost segment.
 */
static int64_t timeout_retransmits(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "TcpExt.TCPSlowStartRetrans") + ns_delta(ns, "TcpExt.TCPSynRetrans");
}

static const struct share_rule retransmit_share = {
	.count = retransmitted, .traffic = segments_sent,
	.extra = timeout_retransmits, .extra_weight = RETRANS_TIMEOUT_WEIGHT,
	.min_count = RETRANS_MIN_SEGS, .min_per_s = RETRANS_MIN_RATE,
};

/* The flow with the most retransmitted segments in netns, or NULL. */
static const struct flow_seen *top_flow_in(const struct diag_input *in, uint32_t netns)
{
	for (size_t i = 0; i < in->n_flows && in->flows[i].segs; i++)
		if (in->flows[i].netns == netns)
			return &in->flows[i];
	return NULL;
}

/* A peer followed long enough whose recent rate is its usual one: not a storm. */
static bool peer_as_usual(const struct peer_rate *p)
{
	double usual = p->baseline > RETRANS_MIN_RATE ? p->baseline : RETRANS_MIN_RATE;

	return p->ticks >= PEER_BASELINE_TICKS && p->recent < PEER_STORM_FACTOR * usual;
}

static void peer_evidence(struct finding *f, const struct peer_rate *p)
{
	finding_text(f, "peer", "%s", p->addr);
	finding_real(f, "peer_retransmit_segs_per_s", p->recent);
	if (p->ticks >= PEER_BASELINE_TICKS)
		finding_real(f, "peer_baseline_segs_per_s", p->baseline);
	finding_num(f, "peer_history_ticks", p->ticks);
}

static void retransmit_culprits(const struct diag_input *in, struct finding *f, uint32_t netns)
{
	for (size_t i = 0, n = 0; i < in->n_flows && n < 3 && in->flows[i].segs; i++) {
		struct culprit *c;

		if (in->flows[i].netns != netns)
			continue;
		if (!(c = finding_culprit(f)))
			break;
		n++;
		c->pid = in->flows[i].tgid;
		c->netns = netns;
		snprintf(c->laddr, sizeof(c->laddr), "%s", in->flows[i].laddr);
		snprintf(c->raddr, sizeof(c->raddr), "%s", in->flows[i].raddr);
		c->count = in->flows[i].segs;
		c->why = "flow with the most retransmitted segments";
		name_culprit(in, c);
	}
	add_owner_culprits_in(in, f, TT_SIG_RETRANS, ANY_SUB, netns,
			      "process owning the retransmitting sockets");
}

/* The share of a connection's new segments it had to send again, over its life; < 0 unknown. */
static double flow_ratio(const struct flow_seen *fl)
{
	if (!fl->sent || fl->sent <= fl->sent_retrans)
		return -1;
	return (double)fl->sent_retrans / (double)(fl->sent - fl->sent_retrans);
}

/*
 * One lossy path among much healthy traffic: its namespace's share stays low,
 * the connection's own does not.  The flow with the highest share among those
 * past the floors, or NULL.
 */
static const struct flow_seen *lossy_flow(const struct diag_input *in)
{
	const struct flow_seen *worst = NULL;
	double span = in->window_s > 0 ? in->window_s : 1;

	for (size_t i = 0; i < in->n_flows && in->flows[i].segs; i++) {
		const struct flow_seen *fl = &in->flows[i];

		if (fl->segs < RETRANS_MIN_SEGS || (double)fl->segs / span < RETRANS_MIN_RATE ||
		    flow_ratio(fl) < RETRANS_FLOW_RATIO)
			continue;
		if (!worst || flow_ratio(fl) > flow_ratio(worst))
			worst = fl;
	}
	return worst;
}

static void retransmit_summary(struct finding *f, const struct share *s, const struct flow_seen *top,
			       const struct flow_seen *lossy, const char *kind, bool above_usual)
{
	const char *usual = above_usual ? ", well above its usual rate" : "";
	char pct[32];

	if (lossy)
		snprintf(f->summary, sizeof(f->summary),
			 "the connection %s -> %s in network namespace %u retransmitted %s of the %llu "
			 "segments it sent (mostly %s retransmits in the namespace): packets are lost on "
			 "the path to that peer%s", lossy->laddr, lossy->raddr, lossy->netns,
			 percent(pct, sizeof(pct), flow_ratio(lossy)),
			 (unsigned long long)(lossy->sent - lossy->sent_retrans), kind, usual);
	else
		snprintf(f->summary, sizeof(f->summary),
			 "%lld TCP segments retransmitted in %.0f s in network namespace %u, %s of the %lld "
			 "segments sent (mostly %s retransmits): packets are lost on the path to %s%s",
			 (long long)s->count, ns_span(s->ns), s->ns->inode,
			 percent(pct, sizeof(pct), ratio_of((double)s->count, s->traffic)),
			 (long long)s->traffic, kind, top ? top->raddr : "the peers below", usual);
}

/*
 * Where retransmits are a storm: a namespace's share of its segments sent, or
 * else one lossy connection's own (then s is its namespace's, if still read).
 */
static bool retransmit_storm_at(const struct diag_input *in, struct share *s,
				const struct flow_seen **lossy)
{
	const struct ns_state *ns;

	*lossy = NULL;
	if (worst_share(in, &retransmit_share, s) && s->ratio >= RETRANS_STORM_RATIO)
		return true;
	if (!(*lossy = lossy_flow(in)))
		return false;
	ns = ns_table_find(in->ns, (*lossy)->netns);
	*s = ns ? share_in(in, &retransmit_share, ns) : (struct share){ 0 };
	return true;
}

static void retransmit_evidence(struct finding *f, const struct share *s, const char *kind,
				int64_t fast, int64_t timeouts)
{
	share_evidence(f, s, "retransmit_segs", "segments_sent", "retransmit_ratio",
		       RETRANS_STORM_RATIO);
	finding_real(f, "judged_ratio", s->ratio); /* timeout retransmits weighted */
	finding_text(f, "kind", "%s", kind);
	finding_num(f, "fast_retransmits", fast);
	finding_num(f, "timeout_retransmits", timeouts);
	finding_real(f, "retransmit_segs_per_s", s->per_s);
}

static int rule_retransmit_storm(const struct diag_input *in, struct finding *f)
{
	struct share s = { 0 };
	const struct flow_seen *top, *lossy;
	const struct peer_rate *peer;
	int64_t fast, timeouts;
	const char *kind;
	uint32_t netns;

	if (!retransmit_storm_at(in, &s, &lossy))
		return 0;
	netns = lossy ? lossy->netns : s.ns->inode;
	top = lossy ? lossy : top_flow_in(in, netns);
	peer = top && in->peers ? peer_table_find(in->peers, netns, top->raddr) : NULL;
	if (peer && peer_as_usual(peer))
		return 0;
	fast = s.ns ? ns_delta(s.ns, "TcpExt.TCPFastRetrans") : 0;
	timeouts = s.ns ? timeout_retransmits(in, s.ns) : 0;
	kind = timeouts > fast ? "timeout" : "fast";
	f->severity = SEV_WARNING;
	retransmit_summary(f, &s, top, lossy, kind, peer && peer->ticks >= PEER_BASELINE_TICKS);
	if (s.ns)
		retransmit_evidence(f, &s, kind, fast, timeouts);
	else
		finding_num(f, "netns", netns);
	if (top && flow_ratio(top) >= 0)
		finding_real(f, "flow_retransmit_ratio", flow_ratio(top));
	if (peer)
		peer_evidence(f, peer);
	retransmit_culprits(in, f, netns);
	finding_advice(f, "find where packets to the peer are lost: interface errors and drops "
		       "(ip -s link), a saturated link, a firewall dropping, an MTU black hole",
		       NULL, "retransmits are the symptom of loss on the path; no local limit causes them");
	return 1;
}

/* The limits now, and the RAM they are pages of: what any tcp_mem advice is weighed against. */
static void tcp_mem_evidence(const struct diag_input *in, struct finding *f)
{
	finding_text(f, "tcp_mem_pages", "%ld %ld %ld", in->tcp_mem[0], in->tcp_mem[1], in->tcp_mem[2]);
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

static int rule_socket_buffer_limit(const struct diag_input *in, struct finding *f)
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
	if (rcvq + rcvbuf)
		add_owner_culprits_in(in, f, TT_SIG_DROP, drop_reason(in, "socket_rcvbuff"), netns,
				      "its socket's receive buffer is full: it reads slower than data arrives");
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

/* Resets summed by (owner, peer): one process often resets many connections to one peer. */
struct peer_resets {
	const struct flow_seen *flow; /* one of its connections, for the names */
	uint64_t resets;
};

static size_t group_reset_peers(const struct diag_input *in, struct peer_resets *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < in->n_flows; i++) {
		const struct flow_seen *fl = &in->flows[i];
		size_t k = 0;

		if (!fl->resets)
			continue;
		while (k < n && !(out[k].flow->tgid == fl->tgid && out[k].flow->netns == fl->netns &&
				  !strcmp(out[k].flow->raddr, fl->raddr)))
			k++;
		if (k == n && n == max)
			continue;
		if (k == n)
			out[n++] = (struct peer_resets){ fl, 0 };
		out[k].resets += fl->resets;
	}
	return n;
}

static int peer_resets_cmp(const void *a, const void *b)
{
	const struct peer_resets *x = a, *y = b;

	return (x->resets < y->resets) - (x->resets > y->resets);
}

/* The peers with the most resets, as culprits. */
static void add_reset_peers(const struct diag_input *in, struct finding *f)
{
	struct peer_resets peers[MAX_FLOWS];
	size_t n = group_reset_peers(in, peers, MAX_FLOWS);

	qsort(peers, n, sizeof(*peers), peer_resets_cmp);
	for (size_t i = 0; i < n && i < 3; i++) {
		struct culprit *c = finding_culprit(f);

		if (!c)
			return;
		c->pid = peers[i].flow->tgid;
		c->netns = peers[i].flow->netns;
		snprintf(c->raddr, sizeof(c->raddr), "%s", peers[i].flow->raddr);
		c->count = peers[i].resets;
		c->why = "peer of its connections with the most resets (sent and received)";
		name_culprit(in, c);
	}
}

/* The reset reason sent most often in netns over the window. */
static uint32_t top_reset_reason(const struct count_table *t, uint32_t netns, uint64_t *count)
{
	uint32_t best = 0;

	*count = 0;
	for (size_t i = 0; i < t->count; i++) {
		uint32_t sub = t->rows[i].key.sub;
		uint64_t n;

		if (t->rows[i].key.signal != TT_SIG_RST_SENT)
			continue;
		n = counts_sum(t, TT_SIG_RST_SENT, sub, netns, false);
		if (n > *count) {
			*count = n;
			best = sub;
		}
	}
	return best;
}

static int64_t resets_sent(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "Tcp.OutRsts");
}

/* Connections this namespace opened and accepted: what resets end, or refuse. */
static int64_t connections(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "Tcp.ActiveOpens") + ns_delta(ns, "Tcp.PassiveOpens");
}

static const struct share_rule reset_share = {
	.count = resets_sent, .traffic = connections,
	.min_count = RESET_MIN_COUNT, .min_per_s = RESET_MIN_RATE,
};

static int rule_reset_storm(const struct diag_input *in, struct finding *f)
{
	struct share s;
	uint64_t top_count;
	uint32_t top;
	const char *reason;
	char pct[32];

	if (!worst_share(in, &reset_share, &s) || s.ratio < RESET_STORM_RATIO)
		return 0;
	top = top_reset_reason(in->window, s.ns->inode, &top_count);
	reason = kenum_name(in->names->rst_reason, top);
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "%lld TCP resets sent in %.0f s in network namespace %u, %s of the %lld connections "
		 "opened and accepted there, %s%s", (long long)s.count, ns_span(s.ns), s.ns->inode,
		 percent(pct, sizeof(pct), s.ratio), (long long)s.traffic,
		 in->names->rst_reason ? "most for reason " : "(this kernel does not give reset reasons)",
		 in->names->rst_reason ? (reason ? reason : "unknown") : "");
	share_evidence(f, &s, "resets_sent", "connections", "reset_ratio", RESET_STORM_RATIO);
	finding_num(f, "resets_received",
		    counts_sum(in->window, TT_SIG_RST_RECV, ANY_SUB, s.ns->inode, false));
	finding_real(f, "resets_sent_per_s", s.per_s);
	if (in->names->rst_reason)
		finding_text(f, "top_reason", "%s", reason ? reason : "unknown");
	else
		finding_unseen(f, UNSEEN_RESET_REASONS);
	finding_num(f, "top_reason_count", top_count);
	add_owner_culprits_in(in, f, TT_SIG_RST_SENT, ANY_SUB, s.ns->inode,
			      "owns the sockets that sent resets (0: no socket, the kernel refused a connection)");
	add_reset_peers(in, f);
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

/*
 * Anyone who can write /dev/kmsg can print a kernel verdict: a line counts
 * only when the counters the kernel moves with it agree, in this window.
 */
static bool aborted_on_memory(const struct diag_input *in)
{
	return ns_table_delta_sum(in->ns, "TcpExt.TCPAbortOnMemory") > 0;
}

static bool orphans_over_limit(const struct diag_input *in)
{
	return in->max_orphans > 0 && in->orphans >= in->max_orphans;
}

static bool tcp_mem_confirms(const struct diag_input *in, const struct verdict_seen *v)
{
	(void)v;
	return in->mem.max_since_s >= 0 || aborted_on_memory(in);
}

static bool orphans_confirm(const struct diag_input *in, const struct verdict_seen *v)
{
	(void)v;
	return orphans_over_limit(in) || aborted_on_memory(in);
}

static const struct ns_state *verdict_ns(const struct diag_input *in, const struct verdict_seen *v);

static bool conntrack_confirms(const struct diag_input *in, const struct verdict_seen *v)
{
	const struct ns_state *ns = verdict_ns(in, v);

	return ns && ns_conntrack_refusals(ns) > 0;
}

static const struct ns_state *worst_syn_ns(const struct diag_input *in, int64_t *refused);

static bool syn_queue_confirms(const struct diag_input *in, const struct verdict_seen *v)
{
	int64_t refused;

	(void)v;
	return worst_syn_ns(in, &refused) != NULL;
}

static const struct {
	const char *cause;
	bool (*confirms)(const struct diag_input *in, const struct verdict_seen *v);
	const char *counters; /* what was looked at, for the unconfirmed finding */
} verdict_checks[] = {
	{ "tcp_mem_exhausted", tcp_mem_confirms, "TCP memory under tcp_mem[2], no TCPAbortOnMemory" },
	{ "orphan_sockets", orphans_confirm, "orphans under tcp_max_orphans, no TCPAbortOnMemory" },
	{ "conntrack_full", conntrack_confirms, "no conntrack drop, early_drop or insert_failed" },
	{ "syn_backlog_overflow", syn_queue_confirms, "no SYN queue drop or cookie in any namespace" },
};

static bool verdict_confirmed(const struct diag_input *in, const struct verdict_seen *v)
{
	for (size_t i = 0; i < sizeof(verdict_checks) / sizeof(verdict_checks[0]); i++)
		if (!strcmp(verdict_checks[i].cause, v->cause))
			return verdict_checks[i].confirms(in, v);
	return false;
}

/* The verdict line for cause, only if the counters agree with it. */
static const struct verdict_seen *confirmed_verdict(const struct diag_input *in, const char *cause)
{
	const struct verdict_seen *v = verdict_for(in, cause);

	return v && verdict_confirmed(in, v) ? v : NULL;
}

/* A verdict line no counter backs: said (info), never a warning or worse. */
static int rule_kernel_log_unconfirmed(const struct diag_input *in, struct finding *f)
{
	for (size_t i = 0; i < sizeof(verdict_checks) / sizeof(verdict_checks[0]); i++) {
		const struct verdict_seen *v = verdict_for(in, verdict_checks[i].cause);

		if (!v || verdict_checks[i].confirms(in, v))
			continue;
		f->severity = SEV_INFO;
		snprintf(f->summary, sizeof(f->summary),
			 "the kernel log says %s, but no counter agrees: not taken as evidence "
			 "(anyone who can write /dev/kmsg can print such a line)", v->cause);
		verdict_evidence(v, f);
		finding_text(f, "claimed_cause", "%s", v->cause);
		finding_text(f, "counters_seen", "%s", verdict_checks[i].counters);
		finding_advice(f, "if the line is genuine, watch for its counters; otherwise find "
			       "who writes to /dev/kmsg", NULL,
			       "a verdict the kernel printed moves the kernel's own counters too");
		return 1;
	}
	return 0;
}

/* The limits the usage crossed: tcp_mem may have changed since (tcp_mem_pages is now's). */
static void crossed_evidence(const struct diag_input *in, struct finding *f)
{
	const long *l = in->mem.crossed_limits;

	finding_text(f, "tcp_mem_pages_when_crossed", "%ld %ld %ld", l[0], l[1], l[2]);
}

static int rule_tcp_mem_exhausted(const struct diag_input *in, struct finding *f)
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

/* The namespace where counter grew most over the window, or NULL if nowhere. */
static const struct ns_state *worst_ns(const struct diag_input *in, const char *counter,
				       int64_t *delta)
{
	const struct ns_state *worst = NULL;

	*delta = 0;
	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		int64_t d = ns_delta(&in->ns->items[i], counter);

		if (d > *delta) {
			*delta = d;
			worst = &in->ns->items[i];
		}
	}
	return worst;
}

static void ns_evidence(struct finding *f, const struct ns_state *ns)
{
	finding_num(f, "netns", ns->inode);
	if (ns->name[0])
		finding_text(f, "netns_name", "%s", ns->name);
}

static struct advice *sysctl_advice(struct finding *f, const char *action, const char *sysctl,
				    long current, long suggested, const char *why)
{
	struct advice *a = finding_advice(f, action, sysctl, why);

	if (a) {
		snprintf(a->current, sizeof(a->current), "%ld", current);
		snprintf(a->suggested, sizeof(a->suggested), "%ld", suggested);
	}
	return a;
}

static long at_least(long v, long floor)
{
	return v > floor ? v : floor;
}

static int rule_timewait_overflow(const struct diag_input *in, struct finding *f)
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

static int rule_ephemeral_ports(const struct diag_input *in, struct finding *f)
{
	const struct connfail_seen *top = in->n_connfails ? &in->connfails[0] : NULL;
	const struct ns_state *ns;
	long lo, hi;
	uint64_t fails = counts_sum(in->window, TT_SIG_CONNECT_FAIL, 99 /* EADDRNOTAVAIL */,
				    ANY_NETNS, false);

	if (!fails)
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
	finding_text(f, "ip_local_port_range", "%ld %ld", lo, hi);
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

/* The listener most likely overflowing in ns: the one its application asked least for. */
static const struct listener_seen *listener_in(const struct diag_input *in, uint32_t netns)
{
	const struct listener_seen *best = NULL;

	for (size_t i = 0; i < in->n_listeners; i++)
		if (in->listeners[i].netns == netns &&
		    (!best || in->listeners[i].backlog < best->backlog))
			best = &in->listeners[i];
	return best;
}

static void listener_culprit(const struct diag_input *in, struct finding *f,
			     const struct listener_seen *l, uint64_t count, const char *why)
{
	struct culprit *c = finding_culprit(f);

	if (!c)
		return;
	c->pid = l->tgid;
	c->netns = l->netns;
	snprintf(c->laddr, sizeof(c->laddr), "*:%u", l->port);
	c->count = count;
	c->why = why;
	name_culprit(in, c);
}

static int64_t listen_overflows(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "TcpExt.ListenOverflows");
}

/* Handshakes that reached a listener: accepted ones and the ones it dropped. */
static int64_t listen_attempts(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return ns_delta(ns, "Tcp.PassiveOpens") + ns_delta(ns, "TcpExt.ListenDrops");
}

static const struct share_rule overflow_share = {
	.count = listen_overflows, .traffic = listen_attempts, .min_count = LISTEN_MIN_OVERFLOWS,
};

static int rule_listen_overflow(const struct diag_input *in, struct finding *f)
{
	struct share s;
	const struct ns_state *ns;
	const struct listener_seen *l;
	long somaxconn;
	char pct[32];

	if (!worst_share(in, &overflow_share, &s) || s.ratio < LISTEN_OVERFLOW_RATIO)
		return 0;
	ns = s.ns;
	somaxconn = ns->cur.limits.somaxconn;
	l = listener_in(in, ns->inode);
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "accept queue overflow in network namespace %u: %lld connection attempts dropped, "
		 "%s of the %lld that reached a listener, because %s did not accept fast enough",
		 ns->inode, (long long)s.count, percent(pct, sizeof(pct), s.ratio),
		 (long long)s.traffic, l ? "the listener" : "a listener");
	share_evidence(f, &s, "listen_overflows", "connection_attempts", "overflow_ratio",
		       LISTEN_OVERFLOW_RATIO);
	finding_num(f, "listen_drops", ns_delta(ns, "TcpExt.ListenDrops"));
	finding_num(f, "somaxconn", somaxconn);
	if (l) {
		finding_num(f, "backlog_asked", l->backlog);
		finding_num(f, "port", l->port);
		listener_culprit(in, f, l, (uint64_t)s.count, "listens here and leaves its accept queue full");
	}
	finding_advice(f, "make the listening process accept faster (more accept threads or workers, "
		       "no blocking work before accept())", NULL,
		       "a full accept queue means the application is behind, not the kernel");
	if (l && l->backlog < (uint32_t)at_least(somaxconn, 0))
		sysctl_advice(f, "ask listen() for a larger backlog in the application (current and "
			      "suggested are the listen() argument)", NULL, l->backlog,
			      at_least(somaxconn, 128), "the queue is the smaller of backlog and somaxconn");
	else
		sysctl_advice(f, "raise somaxconn together with the application's listen() backlog",
			      "net.core.somaxconn", somaxconn, at_least(2 * somaxconn, 4096),
			      "the queue is the smaller of backlog and somaxconn");
	return 1;
}

/*
 * SYNs refused for a full SYN queue.  Every SYN a listener drops counts in
 * ListenDrops, those refused for a full accept queue in ListenOverflows too:
 * the difference is the SYN queue's (request queue full, or beyond the last
 * quarter of tcp_max_syn_backlog without syncookies).  Cookies are not drops.
 */
static int64_t syn_queue_drops(const struct ns_state *ns)
{
	int64_t d = ns_delta(ns, "TcpExt.ListenDrops") - ns_delta(ns, "TcpExt.ListenOverflows");

	return d > 0 ? d : 0;
}

static const struct ns_state *worst_syn_ns(const struct diag_input *in, int64_t *refused)
{
	const struct ns_state *worst = NULL;

	*refused = 0;
	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		const struct ns_state *ns = &in->ns->items[i];
		int64_t r = syn_queue_drops(ns) + ns_delta(ns, "TcpExt.TCPReqQFullDoCookies");

		if (r > *refused) {
			*refused = r;
			worst = ns;
		}
	}
	return worst;
}

static void syn_backlog_advice(struct finding *f, const struct ns_state *ns,
			       const struct listener_seen *l)
{
	const struct ns_limits *lim = &ns->cur.limits;
	long queue = l && l->backlog < (uint32_t)at_least(lim->somaxconn, 0) ? l->backlog : lim->somaxconn;

	if (lim->syncookies == 0)
		sysctl_advice(f, "turn SYN cookies back on: a full SYN queue then answers with cookies "
			      "instead of dropping", "net.ipv4.tcp_syncookies", 0, 1,
			      "legitimate clients still connect during a burst or flood");
	if (l && l->backlog < (uint32_t)at_least(lim->somaxconn, 0))
		sysctl_advice(f, "ask listen() for a larger backlog (current and suggested are the "
			      "listen() argument): the SYN queue holds at most that many", NULL,
			      l->backlog, at_least(lim->somaxconn, 128),
			      "half-open connections count against the listener's backlog");
	else
		sysctl_advice(f, "raise somaxconn with the application's listen() backlog: the SYN "
			      "queue holds at most the accept backlog", "net.core.somaxconn",
			      lim->somaxconn, at_least(2 * lim->somaxconn, 4096),
			      "half-open connections count against the listener's backlog");
	/* it can only be what bit when the listener could queue more than 3/4 of it */
	if (lim->syncookies == 0 && (!l || queue >= lim->max_syn_backlog - (lim->max_syn_backlog >> 2)))
		sysctl_advice(f, "without cookies, SYNs beyond 3/4 of tcp_max_syn_backlog are dropped: "
			      "raise it for legitimate bursts", "net.ipv4.tcp_max_syn_backlog",
			      lim->max_syn_backlog, at_least(2 * lim->max_syn_backlog, 4096),
			      "it only limits the SYN queue while syncookies are off");
}

static int rule_syn_backlog(const struct diag_input *in, struct finding *f)
{
	const struct verdict_seen *v = confirmed_verdict(in, "syn_backlog_overflow");
	int64_t refused;
	const struct ns_state *ns = worst_syn_ns(in, &refused);
	int64_t drops = ns ? syn_queue_drops(ns) : 0;
	const struct listener_seen *l = ns ? listener_in(in, ns->inode) : NULL;

	if (!ns && !v)
		return 0;
	f->severity = drops ? SEV_CRITICAL : SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "SYN queue full: half-open connections exceed what the listener may queue%s",
		 drops ? " and SYNs are dropped" : ", answered with SYN cookies");
	if (v)
		verdict_evidence(v, f);
	if (ns) {
		ns_evidence(f, ns);
		finding_num(f, "syn_queue_drops", drops);
		finding_num(f, "listen_drops", ns_delta(ns, "TcpExt.ListenDrops"));
		finding_num(f, "listen_overflows", ns_delta(ns, "TcpExt.ListenOverflows"));
		finding_num(f, "reqq_full_drops", ns_delta(ns, "TcpExt.TCPReqQFullDrop"));
		finding_num(f, "reqq_full_cookies", ns_delta(ns, "TcpExt.TCPReqQFullDoCookies"));
		finding_num(f, "syncookies_sent", ns_delta(ns, "TcpExt.SyncookiesSent"));
		finding_num(f, "tcp_max_syn_backlog", ns->cur.limits.max_syn_backlog);
		finding_num(f, "tcp_syncookies", ns->cur.limits.syncookies);
		if (l) {
			finding_num(f, "backlog_asked", l->backlog);
			listener_culprit(in, f, l, refused, "the listener whose SYN queue is full");
		}
	}
	finding_num(f, "synack_retransmits",
		    counts_sum(in->window, TT_SIG_SYNACK_RETRANS, ANY_SUB, ANY_NETNS, false));
	finding_advice(f, "check whether the SYNs are legitimate (a flood from few sources, or "
		       "clients that never complete the handshake)", NULL,
		       "a bigger queue only helps legitimate load");
	if (ns)
		syn_backlog_advice(f, ns, l);
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
		c->why = why;
		name_culprit(in, c);
	}
}

static int rule_close_wait_leak(const struct diag_input *in, struct finding *f)
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

static int rule_fin_wait2(const struct diag_input *in, struct finding *f)
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

static int rule_tcp_mem_pressure(const struct diag_input *in, struct finding *f)
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

static int rule_orphan_sockets(const struct diag_input *in, struct finding *f)
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

/* The namespace a conntrack verdict names (none named: the initial one). */
static const struct ns_state *verdict_ns(const struct diag_input *in, const struct verdict_seen *v)
{
	const struct ns_state *ns = v->netns ? ns_table_find(in->ns, v->netns) : NULL;

	if (!ns && in->ns && in->ns->count)
		ns = &in->ns->items[0]; /* the agent's own, listed first */
	return ns;
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
static int rule_conntrack_full(const struct diag_input *in, struct finding *f)
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
		if (!f->n_culprits && (l = listener_in(in, ns->inode)))
			listener_culprit(in, f, l, (uint64_t)at_least(ns_delta(ns, "Tcp.PassiveOpens"), 0),
					 "listens there: the table fills with connections to it "
					 "(count = connections accepted in that namespace)");
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

/* ------------------------------------------------------ early warnings */

/* TCP memory rising clearly toward tcp_mem[1]: warn while the kernel still grants everything. */
static int rule_tcp_mem_forecast(const struct diag_input *in, struct finding *f)
{
	const struct trend_fit *fit = &in->mem.fit;
	double eta = trend_eta(fit, (double)in->mem.now, (double)in->tcp_mem[1]);

	if (in->tcp_mem[1] <= 0 || eta < 0 || eta > in->horizon_s)
		return 0;
	if (fit->slope * fit->span_s < FORECAST_MIN_GROWTH * in->tcp_mem[1])
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "TCP memory grows %.0f pages/min and reaches the pressure threshold (%ld pages) "
		 "in about %.0f s: find who holds it before the kernel starts refusing",
		 fit->slope * 60, in->tcp_mem[1], eta);
	finding_num(f, "eta_s", (int64_t)eta);
	finding_num(f, "growth_pages_per_min", (int64_t)(fit->slope * 60));
	finding_num(f, "trend_span_s", (int64_t)fit->span_s);
	finding_num(f, "tcp_mem_used_pages", in->mem.now);
	tcp_mem_evidence(in, f);
	finding_advice(f, "find who holds the growing memory (the holders below, or tcptriage "
		       "snapshot) and stop the leak: non-reading receivers, zero-window peers, orphans",
		       NULL, "raising tcp_mem only moves the cliff");
	return 1;
}

/* A namespace's conntrack table filling at its current pace within the horizon. */
static double conntrack_eta(const struct diag_input *in, const struct ns_state *ns)
{
	long count = ns->cur.limits.conntrack_count, max = ns->cur.limits.conntrack_max;
	long grown = count - ns->base.limits.conntrack_count;
	double span = in->now_s - ns->base_at;

	if (max <= 0 || count < 0 || count >= max || span < 10 || grown < FORECAST_MIN_GROWTH * max)
		return -1;
	return (max - count) / (grown / span);
}

static int rule_conntrack_forecast(const struct diag_input *in, struct finding *f)
{
	const struct ns_state *soonest = NULL;
	double best = -1;

	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		double eta = conntrack_eta(in, &in->ns->items[i]);

		if (eta >= 0 && eta <= in->horizon_s && (best < 0 || eta < best)) {
			best = eta;
			soonest = &in->ns->items[i];
		}
	}
	if (!soonest)
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "the connection tracking table fills in about %.0f s at this pace (%ld of %ld "
		 "entries): new connections will be dropped", best,
		 soonest->cur.limits.conntrack_count, soonest->cur.limits.conntrack_max);
	ns_evidence(f, soonest);
	finding_num(f, "eta_s", (int64_t)best);
	finding_num(f, "nf_conntrack_count", soonest->cur.limits.conntrack_count);
	finding_num(f, "nf_conntrack_max", soonest->cur.limits.conntrack_max);
	finding_num(f, "growth_entries", soonest->cur.limits.conntrack_count -
					 soonest->base.limits.conntrack_count);
	finding_num(f, "growth_span_s", (int64_t)(in->now_s - soonest->base_at));
	add_owner_culprits_in(in, f, TT_SIG_CONNECT, ANY_SUB, soonest->inode,
			      "opens the most new connections in that namespace");
	finding_advice(f, "find who opens the most new connections there and make it reuse them",
		       NULL, "the table only fills when something churns connections");
	return 1;
}

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
};
const size_t rule_count = sizeof(rule_table) / sizeof(rule_table[0]);
