// SPDX-License-Identifier: GPL-2.0
/* Incidents: symptoms linked to the root cause that explains them, with its victims. */
#include <stdio.h>
#include <string.h>
#include "counts.h"
#include "finding.h"
#include "incident.h"
#include "nsstate.h"
#include "rules.h"
#include "tcptriage.h"

void incident_set_id(struct finding *f, unsigned int episode)
{
	snprintf(f->id, sizeof(f->id), "%s-%u", f->cause, episode);
}

/* ------------------------------------------------------------ evidence */

/*
 * Each returns true and writes the sentence that links symptom to root when
 * the evidence is there; false leaves the symptom standing on its own.
 */
struct link_case {
	const struct diag_input *in;
	const struct finding *symptom, *root;
	char *because;
	size_t len;
};

typedef bool (*link_evidence_fn)(const struct link_case *c);

/* What the kernel refused for lack of TCP memory in netns (ANY_NETNS: anywhere). */
struct mem_refusals {
	uint64_t refused, proto_mem; /* allocations refused, segments dropped for PROTO_MEM */
	int64_t aborts, pressures;   /* TCPAbortOnMemory, TCPMemoryPressures */
};

static struct mem_refusals mem_refusals_in(const struct diag_input *in, uint32_t netns)
{
	const struct ns_state *s = netns != ANY_NETNS ? ns_table_find(in->ns, netns) : NULL;
	struct mem_refusals m = { counts_sum(in->window, TT_SIG_EXCEED_BUF, ANY_SUB, netns, false),
				  diag_drops(in, "proto_mem", netns), 0, 0 };

	if (netns == ANY_NETNS) {
		m.aborts = ns_table_delta_sum(in->ns, "TcpExt.TCPAbortOnMemory");
		m.pressures = ns_table_delta_sum(in->ns, "TcpExt.TCPMemoryPressures");
	} else if (s) {
		m.aborts = ns_delta(s, "TcpExt.TCPAbortOnMemory");
		m.pressures = ns_delta(s, "TcpExt.TCPMemoryPressures");
	}
	return m;
}

static bool mem_refused_any(const struct mem_refusals *m)
{
	return m->refused || m->proto_mem || m->aborts > 0 || m->pressures > 0;
}

/*
 * The symptom's losses are memory's doing when the kernel refused memory in
 * its own namespace, or (its peers' receivers may live in another) dropped
 * for memory anywhere at least half as many segments as it retransmitted.
 * A lossy path in one namespace while another is short of memory (mixed
 * faults) keeps its own finding and its advice to look at the path.
 */
static bool memory_refused(const struct link_case *c)
{
	uint32_t ns = finding_netns(c->symptom);
	struct mem_refusals m = mem_refusals_in(c->in, ns ? ns : ANY_NETNS);
	int64_t suffered = 0;

	if (!mem_refused_any(&m)) {
		m = mem_refusals_in(c->in, ANY_NETNS);
		(void)finding_get_num(c->symptom, "retransmit_segs", &suffered);
		if (suffered <= 0 || (int64_t)(m.proto_mem + m.refused) * 2 < suffered)
			return false;
	}
	snprintf(c->because, c->len,
		 "the kernel refused TCP memory (%llu allocations refused, %llu segments dropped "
		 "for PROTO_MEM, %lld aborts on memory, %lld pressure entries): nothing was lost "
		 "on the path", (unsigned long long)m.refused, (unsigned long long)m.proto_mem,
		 (long long)m.aborts, (long long)m.pressures);
	return true;
}

/*
 * A retransmit storm is a dropped SYN's doing (a full queue, a full
 * conntrack table) only when SYNs are most of what its namespace
 * retransmitted: data retransmits are the path's.  Another symptom, or a
 * namespace not read, is not judged here.
 */
static bool retransmits_are_syns(const struct link_case *c)
{
	uint32_t ns = finding_netns(c->symptom);
	const struct ns_state *s = ns ? ns_table_find(c->in->ns, ns) : NULL;

	if (strcmp(c->symptom->cause, "retransmit_storm") || !s)
		return true;
	return ns_retransmits_mostly_syns(s);
}

/* A namespace counter that grew: the sentence, with its growth, from fmt ("%lld"). */
static bool counter_grew(const struct diag_input *in, const char *counter, const char *fmt,
			 char *because, size_t len)
{
	int64_t grew = ns_table_delta_sum(in->ns, counter);

	if (grew <= 0)
		return false;
	snprintf(because, len, fmt, (long long)grew);
	return true;
}

static bool orphans_aborted(const struct link_case *c)
{
	const struct diag_input *in = c->in;
	return counter_grew(in, "TcpExt.TCPAbortOnMemory", "the kernel aborted %lld orphaned "
			    "connections for lack of TCP memory (TCPAbortOnMemory)", c->because, c->len);
}

/*
 * A full table drops SYNs: their senders retransmit, wherever they are.  Its
 * resets (a rule rejecting what it cannot track) come from its own namespace:
 * a reset storm elsewhere is not its doing.
 */
static bool conntrack_refused(const struct link_case *c)
{
	const struct diag_input *in = c->in;
	bool own_ns_only = !strcmp(c->symptom->cause, "reset_storm");
	uint32_t ns = finding_netns(c->symptom);
	int64_t refused = 0;

	for (size_t i = 0; in->ns && i < in->ns->count; i++)
		if (!own_ns_only || in->ns->items[i].inode == ns)
			refused += ns_conntrack_refusals(&in->ns->items[i]);
	if (refused <= 0 || !retransmits_are_syns(c))
		return false;
	snprintf(c->because, c->len, "connection tracking refused %lld new connections (conntrack "
		 "drop + early_drop; %llu netfilter drops): their SYNs never reached the server",
		 (long long)refused, (unsigned long long)diag_drops(in, "netfilter_drop", ANY_NETNS));
	return true;
}

static bool syns_unanswered(const struct link_case *c)
{
	const struct diag_input *in = c->in;
	int64_t drops = ns_table_delta_sum(in->ns, "TcpExt.ListenDrops");
	int64_t syn_retrans = ns_table_delta_sum(in->ns, "TcpExt.TCPSynRetrans");

	if (drops <= 0 || !retransmits_are_syns(c))
		return false;
	snprintf(c->because, c->len, "the listener's queues were full (%lld SYNs dropped, ListenDrops): "
		 "clients retransmitted their SYNs (TCPSynRetrans %lld) and waited",
		 (long long)drops, (long long)syn_retrans);
	return true;
}

/*
 * A reset storm is about memory only when its own resets are: sent for
 * tcp_abort_on_memory, or (no reasons before 6.10) with TCPAbortOnMemory
 * grown in its namespace.  Refused connects elsewhere on a host short of
 * memory are not its doing.
 */
static bool resets_on_memory(const struct link_case *c)
{
	uint32_t ns = finding_netns(c->symptom);
	int64_t n = diag_resets_for(c->in, "tcp_abort_on_memory", ns), aborts = 0;
	const struct ns_state *s = ns ? ns_table_find(c->in->ns, ns) : NULL;

	if (n < 0)
		n = aborts = s ? ns_delta(s, "TcpExt.TCPAbortOnMemory") : 0;
	if (n <= 0)
		return false;
	snprintf(c->because, c->len, "%lld of its resets aborted connections for lack of TCP "
		 "memory (%s): nothing was lost on the path", (long long)n,
		 aborts ? "TCPAbortOnMemory" : "reason tcp_abort_on_memory");
	return true;
}

/*
 * Without a TIME_WAIT socket a late segment finds no socket and is answered
 * with a reset, in the namespace that overflowed.  The storm is the
 * overflow's doing only when most of its resets can be: one no_socket reset
 * among a thousand aborts on close is not, and the storm keeps its own advice.
 *
 * With reasons (6.10+): resets sent for no_socket are more than half of all
 * the resets sent in the storm's namespace.
 *
 * Without reasons the resets cannot be told apart, only counted: each
 * TIME_WAIT socket the table refused answers about one late segment (its
 * peer's retransmitted FIN or ACK; the peer gives up on the reset), so the
 * overflows must be at least half the resets sent there (Tcp.OutRsts) to
 * explain most of them, the same bar as with reasons.  Fewer overflows than
 * that cannot be what reset most connections.
 */
static bool resets_without_timewait(const struct link_case *c)
{
	uint32_t ns = finding_netns(c->symptom);
	const struct ns_state *s = ns ? ns_table_find(c->in->ns, ns) : NULL;
	int64_t overflows = s ? ns_delta(s, "TcpExt.TCPTimeWaitOverflow") : 0;
	int64_t no_socket = diag_resets_for(c->in, "no_socket", ns);
	int64_t resets;

	if (!ns || ns != finding_netns(c->root) || overflows <= 0)
		return false;
	if (no_socket >= 0) {
		resets = (int64_t)counts_sum(c->in->window, TT_SIG_RST_SENT, ANY_SUB, ns, false);
		if (no_socket * 2 <= resets)
			return false;
		snprintf(c->because, c->len, "the TIME_WAIT table of this namespace overflowed %lld "
			 "times: connections closed without a TIME_WAIT socket answer their peers' late "
			 "segments with resets (%lld of its %lld resets for reason no_socket)",
			 (long long)overflows, (long long)no_socket, (long long)resets);
		return true;
	}
	resets = ns_delta(s, "Tcp.OutRsts");
	if (overflows * 2 < resets)
		return false;
	snprintf(c->because, c->len, "the TIME_WAIT table of this namespace overflowed %lld times "
		 "(%lld resets sent there): connections closed without a TIME_WAIT socket answer "
		 "their peers' late segments with resets", (long long)overflows, (long long)resets);
	return true;
}

/* ---------------------------------------------------------------- links */

static const struct link {
	const char *symptom;
	const char *root;
	link_evidence_fn evidence;
	const char *impact; /* what the symptom's culprits suffered, as the root's victims */
} links[] = {
	{ "retransmit_storm", "tcp_mem_exhausted", memory_refused, "segments dropped for lack of TCP memory" },
	{ "retransmit_storm", "tcp_mem_pressure", memory_refused, "segments dropped for lack of TCP memory" },
	{ "reset_storm", "tcp_mem_exhausted", resets_on_memory, "connections reset for lack of TCP memory" },
	{ "reset_storm", "tcp_mem_pressure", resets_on_memory, "connections reset for lack of TCP memory" },
	{ "socket_buffer_limit", "tcp_mem_exhausted", memory_refused, "memory refused" },
	{ "socket_buffer_limit", "tcp_mem_pressure", memory_refused, "memory refused" },
	{ "orphan_sockets", "tcp_mem_exhausted", orphans_aborted, "connections aborted" },
	{ "reset_storm", "timewait_overflow", resets_without_timewait, "connections reset" },
	{ "retransmit_storm", "conntrack_full", conntrack_refused, "SYNs dropped by conntrack" },
	{ "reset_storm", "conntrack_full", conntrack_refused, "connections refused by conntrack" },
	{ "retransmit_storm", "listen_overflow", syns_unanswered, "SYNs unanswered" },
	{ "retransmit_storm", "syn_backlog_overflow", syns_unanswered, "SYNs unanswered" },
};

static struct finding *fired_with(struct finding *f, const bool *fired, size_t n, const char *cause)
{
	for (size_t i = 0; i < n; i++)
		if (fired[i] && !strcmp(f[i].cause, cause))
			return &f[i];
	return NULL;
}

static bool is_victim(const struct finding *root, const struct culprit *c)
{
	for (int i = 0; i < root->n_victims; i++)
		if (root->victims[i].pid == c->pid && root->victims[i].netns == c->netns)
			return true;
	return false;
}

/*
 * The symptom's own culprits are the ones its root cause hurt (each process
 * once).  A victim is a process: a culprit with pid 0 is the kernel (resets
 * sent without a socket), not someone the root hurt.
 */
static void add_victims(struct finding *root, const struct finding *symptom, const char *impact)
{
	for (int i = 0; i < symptom->n_culprits && root->n_victims < FINDING_MAX_CULPRITS; i++) {
		struct culprit *v;

		if (!symptom->culprits[i].pid || is_victim(root, &symptom->culprits[i]))
			continue;
		v = &root->victims[root->n_victims++];
		*v = symptom->culprits[i];
		v->why = impact;
	}
}

/* The symptom defers to its root: what happened, then why, and no advice of its own. */
static void defer_to_root(struct finding *symptom, const struct finding *root)
{
	char what[sizeof(symptom->summary) - 100]; /* room for the root's name and id */
	int head = (int)strcspn(symptom->summary, ":");

	snprintf(what, sizeof(what), "%.*s", head, symptom->summary);
	snprintf(symptom->summary, sizeof(symptom->summary), "%s: a consequence of %.30s (%.40s)",
		 what, root->cause, root->id);
	memset(symptom->advice, 0, sizeof(symptom->advice));
	symptom->n_advice = 0;
	finding_advice(symptom, "fix the root cause first: see the finding it is caused by", NULL,
		       "this is a symptom; its own limits and the network are not what failed");
}

static void link_pair(struct finding *symptom, struct finding *root, const char *because,
		      const char *impact)
{
	snprintf(symptom->caused_by, sizeof(symptom->caused_by), "%s", root->id);
	snprintf(symptom->because, sizeof(symptom->because), "%s", because);
	if (root->n_consequences < FINDING_MAX_LINKS)
		snprintf(root->consequences[root->n_consequences++], FINDING_ID_LEN, "%s", symptom->id);
	add_victims(root, symptom, impact);
	defer_to_root(symptom, root);
}

size_t incidents_link(const struct diag_input *in, struct finding *f, const bool *fired, size_t n)
{
	size_t made = 0;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		struct finding *symptom = fired_with(f, fired, n, links[i].symptom);
		struct finding *root = fired_with(f, fired, n, links[i].root);
		char because[sizeof(symptom->because)];
		struct link_case c = { in, symptom, root, because, sizeof(because) };

		if (!symptom || !root || symptom->caused_by[0] || root->caused_by[0])
			continue;
		if (!links[i].evidence(&c))
			continue;
		link_pair(symptom, root, because, links[i].impact);
		made++;
	}
	return made;
}

static bool has_consequence(const struct finding *f, const char *id)
{
	for (int i = 0; i < f->n_consequences; i++)
		if (!strcmp(f->consequences[i], id))
			return true;
	return false;
}

static bool has_victim(const struct finding *f, const struct culprit *v)
{
	for (int i = 0; i < f->n_victims; i++)
		if (f->victims[i].pid == v->pid && f->victims[i].netns == v->netns &&
		    !strcmp(f->victims[i].comm, v->comm))
			return true;
	return false;
}

void incident_keep_links(struct finding *f, const struct finding *earlier)
{
	for (int i = 0; i < earlier->n_consequences && f->n_consequences < FINDING_MAX_LINKS; i++)
		if (!has_consequence(f, earlier->consequences[i]))
			snprintf(f->consequences[f->n_consequences++], FINDING_ID_LEN, "%s",
				 earlier->consequences[i]);
	for (int i = 0; i < earlier->n_victims && f->n_victims < FINDING_MAX_CULPRITS; i++)
		if (!has_victim(f, &earlier->victims[i]))
			f->victims[f->n_victims++] = earlier->victims[i];
}
