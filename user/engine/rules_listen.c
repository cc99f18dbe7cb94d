// SPDX-License-Identifier: GPL-2.0
/* A listener's queues: listen_overflow (accept queue), syn_backlog_overflow (SYN queue). */
#include <stdio.h>
#include "rules_impl.h"
#include "tcptriage.h"

/* Is a more likely than b to be the listener overflowing? */
static bool overflows_more(const struct listener_seen *a, const struct listener_seen *b)
{
	if (a->drops != b->drops)
		return a->drops > b->drops;
	if (a->syn_queued != b->syn_queued)
		return a->syn_queued > b->syn_queued;
	return a->backlog < b->backlog;
}

/*
 * The listener most likely overflowing in ns: the one that dropped the most
 * (each listener counts its own drops), else the one with the longest SYN
 * queue (a flood answered with cookies drops nothing), else the one its
 * application asked least for.
 */
const struct listener_seen *listener_in(const struct diag_input *in, uint32_t netns)
{
	const struct listener_seen *best = NULL;

	for (size_t i = 0; i < in->n_listeners; i++)
		if (in->listeners[i].netns == netns && (!best || overflows_more(&in->listeners[i], best)))
			best = &in->listeners[i];
	return best;
}

const struct listener_seen *sole_listener_in(const struct diag_input *in, uint32_t netns)
{
	const struct listener_seen *only = NULL;

	for (size_t i = 0; i < in->n_listeners; i++) {
		if (in->listeners[i].netns != netns)
			continue;
		if (only)
			return NULL;
		only = &in->listeners[i];
	}
	return only;
}

/* What the finding says of listener l: its backlog, port and drops. */
static void listener_evidence(struct finding *f, const struct listener_seen *l)
{
	finding_num(f, "backlog_asked", l->backlog);
	finding_num(f, "port", l->port);
	finding_num(f, "listener_drops", l->drops);
}

void listener_culprit(const struct diag_input *in, struct finding *f, const struct listener_seen *l,
		      uint64_t count, const char *unit, const char *why)
{
	struct culprit *c = finding_culprit(f);

	if (!c)
		return;
	c->pid = l->tgid;
	c->netns = l->netns;
	snprintf(c->laddr, sizeof(c->laddr), "*:%u", l->port);
	c->count = count;
	c->unit = unit;
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

int rule_listen_overflow(const struct diag_input *in, struct finding *f)
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
		listener_evidence(f, l);
		listener_culprit(in, f, l, (uint64_t)s.count, "listen_overflows",
				 "listens here and leaves its accept queue full");
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

const struct ns_state *worst_syn_ns(const struct diag_input *in, int64_t *refused)
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

int rule_syn_backlog(const struct diag_input *in, struct finding *f)
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
			listener_evidence(f, l);
			finding_num(f, "listener_syn_queue_peak", l->syn_queued);
			listener_culprit(in, f, l, refused, "syns_dropped",
					 "the listener whose SYN queue is full");
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
