/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each network namespace's kernel says about itself: its own counters
 * (netstat, snmp, conntrack stats), socket counts and the limits that apply
 * to it (per-namespace sysctls), read from inside it every tick.  A baseline
 * per namespace turns counters into deltas over the rules' window.
 */
#ifndef __TT_NSSTATE_H
#define __TT_NSSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include "netns.h"
#include "procfs.h"

/* A limit is -1 when this kernel or namespace does not have it. */
struct ns_limits {
	long tw_buckets_max;    /* net.ipv4.tcp_max_tw_buckets */
	long port_range[2];     /* net.ipv4.ip_local_port_range */
	long somaxconn;         /* net.core.somaxconn */
	long max_syn_backlog;   /* net.ipv4.tcp_max_syn_backlog */
	long fin_timeout;       /* net.ipv4.tcp_fin_timeout */
	long syncookies;        /* net.ipv4.tcp_syncookies */
	long tw_reuse;          /* net.ipv4.tcp_tw_reuse */
	long conntrack_count;   /* nf_conntrack_count, as stat/nf_conntrack "entries" */
	long conntrack_max;     /* net.netfilter.nf_conntrack_max */
};

struct ns_reading {
	struct counter_set counters; /* "TcpExt.ListenOverflows", "Tcp.RetransSegs", ... */
	struct counter_set conntrack; /* "drop", "early_drop", "insert_failed", ... */
	struct sockstat sockstat;
	struct ns_limits limits;
};

/*
 * Counters whose busiest stretch is kept, not only their delta: resets and
 * retransmits come in bursts, and 80 resets within one second of a 60 s
 * window are a storm whose average, 1.3/s, is not.
 */
#define NS_PACED 2 /* "Tcp.OutRsts", "Tcp.RetransSegs" */

struct ns_pace {
	double mark_at;              /* the last stretch ended at this reading */
	int64_t mark[NS_PACED];      /* ... with these values */
	double peak_base[NS_PACED];  /* busiest rate of a stretch since base_at */
	double peak_next[NS_PACED];  /* ... since next_at (becomes peak_base at a hop) */
};

struct ns_state {
	uint32_t inode;
	char name[64];
	pid_t pid;
	bool seen;          /* listed at the last refresh */
	int read_err;       /* the last reading failed with this -errno (its values are older) */
	bool warned;        /* read_err was told to the user */
	double seen_at;     /* seconds since start it was last listed */
	bool has_base;      /* false: born after the agent started, so its counters began at 0 */
	double base_at;     /* seconds since start of the baseline */
	double next_at;     /* ... of the reading that becomes the next baseline */
	double cur_at;      /* ... of the current reading */
	double limits_at;   /* ... of the last reading of its limits (0: never) */
	unsigned readings;  /* taken so far */
	struct ns_reading base, next, cur;
	struct ns_pace pace;
};

struct ns_table {
	struct ns_state *items;
	size_t count;
};

/*
 * List the namespaces and read them now, the one read longest ago first (new
 * ones before all), until budget_s seconds have passed (0: every one): on a
 * host with a thousand namespaces a tick reads some of them, each reading
 * with its own time, so deltas and rates stay right, only older.  At the first refresh every namespace takes its
 * reading as baseline; one that appears later was created since, so its
 * counters count from zero.  With window_s > 0 the window hops every
 * window_s / 2: the baseline becomes the reading taken half a window ago, so
 * deltas always cover between half a window and a window, never an empty
 * span right after a reset (a rate needs its numerator and denominator over
 * the same, non-empty span).
 */
int ns_table_refresh(struct ns_table *t, double now, double window_s, double budget_s);
/* Seconds since the oldest reading of a listed namespace was taken (0: none). */
double ns_table_oldest_reading(const struct ns_table *t, double now);
/*
 * Forget namespaces gone for longer than the window: their deltas no longer
 * count.  Without a window (a bounded diagnose) every one is kept.
 */
void ns_table_evict(struct ns_table *t, double now, double window_s);
void ns_table_free(struct ns_table *t);
const struct ns_state *ns_table_find(const struct ns_table *t, uint32_t inode);

/* cur - base of a counter (0 when absent); conntrack stats with ns_conntrack_delta. */
int64_t ns_delta(const struct ns_state *ns, const char *counter);
int64_t ns_conntrack_delta(const struct ns_state *ns, const char *counter);
/* A counter's cur - base summed over every namespace of t (NULL: 0). */
int64_t ns_table_delta_sum(const struct ns_table *t, const char *counter);
/* Entries the conntrack table refused or evicted for lack of room: stat drop + early_drop. */
int64_t ns_conntrack_refusals(const struct ns_state *ns);
/* Seconds the deltas cover. */
double ns_span(const struct ns_state *ns);
/*
 * The busiest per-second rate of a paced counter over the deltas' span: of
 * stretches between readings NS_PACE_MIN_S or more apart (the last one,
 * shorter, counted over NS_PACE_MIN_S).  0 for a counter not paced.
 */
#define NS_PACE_MIN_S 1.0
double ns_peak_rate(const struct ns_state *ns, const char *counter);

/*
 * The bookkeeping after ns->cur was read at now: the first reading becomes the
 * baseline (initial: of a namespace there at the start), a later one ends a
 * paced stretch and hops the window.  0 or -ENOMEM.
 */
int ns_took_reading(struct ns_state *ns, double now, double window_s, bool initial);
/* Read one namespace's reading from inside it (the caller has entered it); limits too or not. */
int ns_read_current(struct ns_reading *r, bool limits);
void ns_reading_free(struct ns_reading *r);

#endif /* __TT_NSSTATE_H */
