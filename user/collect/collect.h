/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Collect: what the kernel holds, read once a tick and turned into evidence
 * for the rules.  The BPF maps (counters, flows, per-socket owners, failed
 * connects, health), procfs (host TCP memory, every namespace's counters)
 * and, when a finding about held resources begins, a socket snapshot.
 */
#ifndef __TT_COLLECT_H
#define __TT_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include "counts.h"
#include "evict.h"
#include "flowpick.h"
#include "nsstate.h"
#include "output.h"
#include "rules.h"
#include "snapshot.h"
#include "sweep.h"

/*
 * How long a tick may spend reading namespaces' counters after the first:
 * the rest wait for the next tick (the stalest go first), so a host with a
 * thousand namespaces does not stall every tick.
 */
#define NS_READ_BUDGET_S 0.1
#define COLLECT_MAX_SEEN 64 /* owners or destinations handed to the rules per kind */

struct tcptriage_bpf;
struct bpf_link;

struct collector {
	struct tcptriage_bpf *skel;
	double window_s;              /* how long quiet flows are worth keeping */
	struct counts_pair counts;    /* the counter maps, one drained each tick */
	struct ns_table ns;           /* every network namespace at the last refresh */
	long mem_total_kb;            /* host RAM, for tcp_mem advice */
	struct sweep sweep;           /* sockets in CLOSE_WAIT/FIN_WAIT2, listeners */
	struct evict_track evict;     /* what the kernel evicted from the LRU maps */
};

/* Evidence read this tick, pointed at by a diag_input. */
struct tick_evidence {
	struct flow_pick flows;
	struct state_seen states[COLLECT_MAX_SEEN];
	struct connfail_seen connfails[COLLECT_MAX_SEEN];
	struct listener_seen listeners[COLLECT_MAX_SEEN];
};

void collect_init(struct collector *c, struct tcptriage_bpf *skel, double window_s);
void collect_free(struct collector *c);

/*
 * What the counters counted since the last call, each count once (its rows are
 * the caller's).  0 or -errno; delta holds what was read even then: it is
 * gone from the kernel.
 */
int collect_counts(struct collector *c, struct count_table *delta)
	__attribute__((warn_unused_result));
/* The agent's own health: kernel-side counters, malformed records, CPU time. */
void collect_health(const struct collector *c, uint64_t malformed, struct agent_health *h);
/* d = a - b, field by field. */
void health_since(struct agent_health *d, const struct agent_health *a,
		  const struct agent_health *b);
/*
 * Flows, aged sockets, listeners, failed connects, host TCP memory and the
 * namespaces, at `now` seconds, into ev and in.  0, or the first -errno
 * (what could be read is still filled in).
 */
int collect_evidence(struct collector *c, double now, struct tick_evidence *ev, struct diag_input *in)
	__attribute__((warn_unused_result));
/*
 * The first sweep, at start: a listener's drops count from here (one that
 * appears later, from its start), sockets' ages too.  0 or -errno.
 */
int collect_baseline(struct collector *c);
/* ev (calloc'd, read by collect_evidence) and what it holds. */
void tick_evidence_free(struct tick_evidence *ev);
/* comm and cgroup of tgid as the BPF side saw it, else /proc (a proc_lookup_fn; ctx: collector). */
void collect_proc(void *ctx, uint32_t tgid, char comm[16], uint64_t *cgroup);
/* "1.2.3.4:80" or "[::1]:80"; v4-mapped addresses print as IPv4. */
void format_endpoint(char *buf, size_t len, const uint8_t addr[16], uint16_t port);

#endif /* __TT_COLLECT_H */
