// SPDX-License-Identifier: GPL-2.0
/* Loss and resets in the traffic: retransmit_storm, reset_storm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules_impl.h"
#include "tcptriage.h"

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

/*
 * Retransmits the peer said it had already (a D-SACK): a loss probe fired
 * before a slow receiver's ACK came (a 5.10 guest's loopback bulk flow: 82 of
 * its 84), nothing was lost.  D-SACKed segments where the kernel counts them
 * (TCPDSACKRecvSegs), else D-SACKs received, one segment or more each.
 */
static int64_t spurious_retransmits(const struct diag_input *in, const struct ns_state *ns)
{
	int64_t segs = ns_delta(ns, "TcpExt.TCPDSACKRecvSegs");

	(void)in;
	return segs > 0 ? segs : ns_delta(ns, "TcpExt.TCPDSACKRecv");
}

static const struct share_rule retransmit_share = {
	.count = retransmitted, .traffic = segments_sent,
	.extra = timeout_retransmits, .extra_weight = RETRANS_TIMEOUT_WEIGHT,
	.discount = spurious_retransmits,
	.min_count = RETRANS_MIN_SEGS, .min_per_s = RETRANS_MIN_RATE, .paced = "Tcp.RetransSegs",
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
		c->unit = "segments";
		c->why = "flow with the most retransmitted segments";
		name_culprit(in, c);
	}
	add_owner_culprits_in(in, f, TT_SIG_RETRANS, ANY_SUB, netns,
			      "process owning the retransmitting sockets");
}

/*
 * The share of a connection's new segments it had to send again over its life,
 * less those the peer had already (D-SACKed); < 0 unknown.
 */
static double flow_ratio(const struct flow_seen *fl)
{
	uint64_t lost = fl->sent_retrans > fl->sent_spurious ? fl->sent_retrans - fl->sent_spurious : 0;

	if (!fl->sent || fl->sent <= fl->sent_retrans)
		return -1;
	return (double)lost / (double)(fl->sent - fl->sent_retrans);
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

/*
 * What the namespace's counters say of its retransmits' kind, or "" when its
 * counters were not read.  "mostly" only for a kind that is more than half of
 * them: some retransmits are neither (a FIN or a probe resent after an RTO
 * outside Loss state), and 0 of each is not "mostly fast".
 */
static const char *kind_phrase(char *buf, size_t len, const struct share *s, int64_t fast,
			       int64_t timeouts)
{
	int64_t most = timeouts > fast ? timeouts : fast;

	if (!s->ns)
		return "";
	if (!most)
		snprintf(buf, len, "none of them fast or timeout retransmits");
	else if (most * 2 > s->count)
		snprintf(buf, len, "mostly %s retransmits", timeouts > fast ? "timeout" : "fast");
	else
		snprintf(buf, len, "%lld fast and %lld timeout retransmits among them",
			 (long long)fast, (long long)timeouts);
	return buf;
}

/* ", besides N the peer had already" when some were spurious, else "". */
static const char *spurious_phrase(char *buf, size_t len, int64_t spurious, const char *who)
{
	*buf = 0;
	if (spurious > 0)
		snprintf(buf, len, ", besides %lld %s had already", (long long)spurious, who);
	return buf;
}

static void retransmit_summary(const struct diag_input *in, struct finding *f, const struct share *s,
			       const struct flow_seen *top, const struct flow_seen *lossy,
			       const char *kind, bool above_usual)
{
	const char *usual = above_usual ? ", well above its usual rate" : "";
	char pct[32], besides[64];

	if (lossy)
		snprintf(f->summary, sizeof(f->summary),
			 "the connection %s -> %s in network namespace %u retransmitted %s of the %llu "
			 "segments it sent%s%s%s%s: packets are lost on the path to that peer%s",
			 lossy->laddr, lossy->raddr, lossy->netns,
			 percent(pct, sizeof(pct), flow_ratio(lossy)),
			 (unsigned long long)(lossy->sent - lossy->sent_retrans),
			 spurious_phrase(besides, sizeof(besides), (int64_t)lossy->sent_spurious, "the peer"),
			 *kind ? " (" : "", kind, *kind ? " in the namespace)" : "", usual);
	else
		snprintf(f->summary, sizeof(f->summary),
			 "%lld TCP segments retransmitted in %.0f s in network namespace %u, %s of the %lld "
			 "segments sent (%s%s): packets are lost on the path to %s%s",
			 (long long)s->count, ns_span(s->ns), s->ns->inode,
			 percent(pct, sizeof(pct), ratio_of((double)s->count, s->traffic)),
			 (long long)s->traffic, kind,
			 spurious_phrase(besides, sizeof(besides), spurious_retransmits(in, s->ns), "the peers"),
			 top ? top->raddr : "the peers below", usual);
}

/* A full accept or SYN queue, or a full conntrack table, dropped SYNs somewhere here. */
static bool syns_dropped(const struct diag_input *in)
{
	if (ns_table_delta_sum(in->ns, "TcpExt.ListenDrops") > 0)
		return true;
	for (size_t i = 0; in->ns && i < in->ns->count; i++)
		if (ns_conntrack_refusals(&in->ns->items[i]) > 0)
			return true;
	return false;
}

/* Retransmits mostly of data: not SYNs (or SYN-ACKs) a dropped SYN would explain. */
static bool mostly_data(const struct diag_input *in, const struct ns_state *ns)
{
	(void)in;
	return !ns_retransmits_mostly_syns(ns);
}

/*
 * Where retransmits are a storm: a namespace's share of its segments sent
 * (one retransmitting mostly SYNs while SYNs are dropped here only when no
 * other is: their root's finding shows them, there is one finding, and a
 * lossy path elsewhere is the news), or else one lossy connection's own
 * (then s is its namespace's, if still read).
 */
static bool retransmit_storm_at(const struct diag_input *in, struct share *s,
				const struct flow_seen **lossy)
{
	const struct ns_state *ns;

	*lossy = NULL;
	if (syns_dropped(in) && worst_share_where(in, &retransmit_share, s, mostly_data) &&
	    s->ratio >= RETRANS_STORM_RATIO)
		return true;
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
	finding_real(f, "judged_ratio", s->ratio); /* timeouts weighted, spurious left out */
	finding_text(f, "kind", "%s", kind);
	finding_num(f, "fast_retransmits", fast);
	finding_num(f, "timeout_retransmits", timeouts);
	finding_num(f, "spurious_retransmits", spurious_retransmits(NULL, s->ns));
	finding_real(f, "retransmit_segs_per_s", s->per_s);
	finding_real(f, "retransmit_segs_peak_per_s", s->peak_per_s);
}

int rule_retransmit_storm(const struct diag_input *in, struct finding *f)
{
	struct share s = { 0 };
	const struct flow_seen *top, *lossy;
	const struct peer_rate *peer;
	int64_t fast, timeouts;
	const char *kind;
	char phrase[80];
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
	kind = timeouts > fast ? "timeout" : fast ? "fast" : "other";
	f->severity = SEV_WARNING;
	retransmit_summary(in, f, &s, top, lossy, kind_phrase(phrase, sizeof(phrase), &s, fast, timeouts),
			   peer && peer->ticks >= PEER_BASELINE_TICKS);
	if (s.ns)
		retransmit_evidence(f, &s, kind, fast, timeouts);
	else
		finding_num(f, "netns", netns);
	if (top && flow_ratio(top) >= 0) {
		finding_real(f, "flow_retransmit_ratio", flow_ratio(top));
		finding_num(f, "flow_spurious_retransmits", (int64_t)top->sent_spurious);
	}
	if (peer)
		peer_evidence(f, peer);
	retransmit_culprits(in, f, netns);
	finding_advice(f, "find where packets to the peer are lost: interface errors and drops "
		       "(ip -s link), a saturated link, a firewall dropping, an MTU black hole",
		       NULL, "retransmits are the symptom of loss on the path; no local limit causes them");
	return 1;
}

/*
 * Resets summed by (owner, peer, service) over every flow with resets: one
 * process often resets many connections to one peer, each from another
 * ephemeral port.  A peer is its address plus the service port, the server
 * side's: raddr "address:port" when the peer serves, or the peer's address
 * alone with laddr the local "address:port" when this side does.
 */
struct peer_resets {
	const struct flow_seen *flow; /* one of its connections: owner, namespace, endpoints */
	bool serves;                  /* the local side serves: flow's laddr and raddr's address */
	uint64_t resets;
};

/* The port of "1.2.3.4:80" or "[::1]:80"; -1 without one. */
static long port_of(const char *endpoint)
{
	const char *colon = strrchr(endpoint, ':');
	char *end;
	long port;

	if (!colon || !colon[1])
		return -1;
	port = strtol(colon + 1, &end, 10);
	return *end || port < 0 || port > 65535 ? -1 : port;
}

static bool listens_on(const struct diag_input *in, uint32_t netns, long port)
{
	for (size_t i = 0; i < in->n_listeners; i++)
		if (in->listeners[i].netns == netns && in->listeners[i].port == port)
			return true;
	return false;
}

/*
 * Whether the local side of fl is its server: the agent left the peer's port
 * out (resets are kept by service, bpf/resets.bpf.c flow_by_service), it
 * listens on its port, or its port is outside the namespace's ephemeral range
 * while the peer's is in it (the kernel's default range when the namespace's
 * is unknown).
 */
static bool local_serves(const struct diag_input *in, const struct flow_seen *fl)
{
	const struct ns_state *ns = ns_table_find(in->ns, fl->netns);
	long lport = port_of(fl->laddr), rport = port_of(fl->raddr);
	long lo = 32768, hi = 60999;

	if (lport < 0)
		return false;
	if (!lport || !rport) /* resets are kept by service, the ephemeral port left out (0) */
		return !rport;
	if (listens_on(in, fl->netns, lport))
		return true;
	if (ns && ns->cur.limits.port_range[0] > 0 && ns->cur.limits.port_range[1] > 0)
		lo = ns->cur.limits.port_range[0], hi = ns->cur.limits.port_range[1];
	return (lport < lo || lport > hi) && rport >= lo && rport <= hi;
}

/* The address part of two "address:port" endpoints, compared. */
static int addr_cmp(const char *a, const char *b)
{
	char x[64], y[64];

	peer_addr_of(a, x, sizeof(x));
	peer_addr_of(b, y, sizeof(y));
	return strcmp(x, y);
}

/* Same owner, namespace and peer: 0. */
static int peer_key_cmp(const void *a, const void *b)
{
	const struct peer_resets *x = a, *y = b;
	const struct flow_seen *p = x->flow, *q = y->flow;
	int d;

	if (p->tgid != q->tgid)
		return p->tgid < q->tgid ? -1 : 1;
	if (p->netns != q->netns)
		return p->netns < q->netns ? -1 : 1;
	if (x->serves != y->serves)
		return x->serves - y->serves;
	if (!x->serves)
		return strcmp(p->raddr, q->raddr);
	d = strcmp(p->laddr, q->laddr);
	return d ? d : addr_cmp(p->raddr, q->raddr);
}

static int peer_resets_cmp(const void *a, const void *b)
{
	const struct peer_resets *x = a, *y = b;

	if (x->resets != y->resets)
		return x->resets < y->resets ? 1 : -1;
	return peer_key_cmp(a, b);
}

/*
 * Every peer of netns's flows with resets, most resets first, into p (room
 * for each flow): how many.  Another namespace's peers are not this storm's.
 */
static size_t group_reset_peers(const struct diag_input *in, uint32_t netns, struct peer_resets *p)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < in->n_reset_flows; i++) {
		const struct flow_seen *fl = &in->reset_flows[i];

		if (fl->resets && fl->netns == netns)
			p[n++] = (struct peer_resets){ fl, local_serves(in, fl), fl->resets };
	}
	qsort(p, n, sizeof(*p), peer_key_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k && !peer_key_cmp(&p[k - 1], &p[i]))
			p[k - 1].resets += p[i].resets;
		else
			p[k++] = p[i];
	}
	qsort(p, k, sizeof(*p), peer_resets_cmp);
	return k;
}

/*
 * netns's peers with the most resets, as culprits; none when not every flow
 * with resets was kept.
 */
static void add_reset_peers(const struct diag_input *in, uint32_t netns, struct finding *f)
{
	struct peer_resets *peers = in->reset_flows ? calloc(in->n_reset_flows + 1, sizeof(*peers)) : NULL;
	size_t n = peers ? group_reset_peers(in, netns, peers) : 0;

	for (size_t i = 0; i < n && i < 3; i++) {
		const struct flow_seen *fl = peers[i].flow;
		struct culprit *c = finding_culprit(f);

		if (!c)
			break;
		c->pid = fl->tgid;
		c->netns = fl->netns;
		snprintf(c->laddr, sizeof(c->laddr), "%s", peers[i].serves ? fl->laddr : "");
		if (peers[i].serves)
			peer_addr_of(fl->raddr, c->raddr, sizeof(c->raddr));
		else
			snprintf(c->raddr, sizeof(c->raddr), "%s", fl->raddr);
		c->count = peers[i].resets;
		c->unit = "resets";
		c->why = "peer of its connections with the most resets (sent and received), by "
			 "service port";
		name_culprit(in, c);
	}
	free(peers);
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
	.min_count = RESET_MIN_COUNT, .min_per_s = RESET_MIN_RATE, .paced = "Tcp.OutRsts",
};

/* Most of n resets, or without reasons (-1) most of them by the count that explains them. */
static bool most_of(int64_t by_reason, int64_t by_counter, int64_t resets)
{
	return (by_reason >= 0 ? by_reason : by_counter) * 2 > resets;
}

/*
 * Not resets the host explains already (as incident.c links them): mostly
 * no_socket where this namespace's TIME_WAIT table overflowed, or aborts
 * for lack of TCP memory.  Their root's finding shows them.
 */
static bool resets_unexplained(const struct diag_input *in, const struct ns_state *ns)
{
	int64_t sent = ns_delta(ns, "Tcp.OutRsts");
	int64_t overflows = ns_delta(ns, "TcpExt.TCPTimeWaitOverflow");

	if (overflows > 0 && most_of(diag_resets_for(in, "no_socket", ns->inode), overflows, sent))
		return false;
	return !most_of(diag_resets_for(in, "tcp_abort_on_memory", ns->inode),
			ns_delta(ns, "TcpExt.TCPAbortOnMemory"), sent);
}

/* Where resets are a storm; one the host explains only when no other is (one finding). */
static bool reset_storm_at(const struct diag_input *in, struct share *s)
{
	return (worst_share_where(in, &reset_share, s, resets_unexplained) &&
		s->ratio >= RESET_STORM_RATIO) ||
	       (worst_share(in, &reset_share, s) && s->ratio >= RESET_STORM_RATIO);
}

int rule_reset_storm(const struct diag_input *in, struct finding *f)
{
	struct share s;
	uint64_t top_count;
	uint32_t top;
	const char *reason;
	char pct[32];

	if (!reset_storm_at(in, &s))
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
	finding_real(f, "resets_sent_peak_per_s", s.peak_per_s);
	if (in->names->rst_reason)
		finding_text(f, "top_reason", "%s", reason ? reason : "unknown");
	else
		finding_unseen(f, UNSEEN_RESET_REASONS);
	finding_num(f, "top_reason_count", top_count);
	add_owner_culprits_in(in, f, TT_SIG_RST_SENT, ANY_SUB, s.ns->inode,
			      "owns the sockets that sent resets (0: no socket, the kernel refused a connection)");
	add_reset_peers(in, s.ns->inode, f);
	finding_advice(f, "see why connections are refused or aborted: the top reason names it "
		       "(no_socket: clients reach a port nobody listens on; tcp_abort_on_linger / "
		       "tcp_abort_on_close: the application closes with unread data or SO_LINGER 0)",
		       NULL, "resets are decisions of the kernel or the application, not of a limit");
	return 1;
}
