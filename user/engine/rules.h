/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Diagnosis rules: evidence in, findings out.  Rules know nothing of output
 * formats; each is one entry of rule_table with the cause id it diagnoses.
 */
#ifndef __TT_RULES_H
#define __TT_RULES_H

#include <stddef.h>
#include <stdint.h>
#include "counts.h"
#include "finding.h"
#include "kenum.h"
#include "trend.h"
#include "nsstate.h"
#include "peers.h"

#define VERDICT_TEXT_LEN 240
#define MAX_VERDICTS 8
#define MAX_FLOWS 256

/* Kernel log verdicts seen so far, one slot per verdict kind. */
struct verdict_seen {
	const char *verdict; /* e.g. "tcp_out_of_memory" */
	const char *cause;   /* cause id it proves */
	uint64_t count;
	uint32_t netns;      /* named in the line, 0 when not */
	char last[VERDICT_TEXT_LEN];
};

/* A connection with retransmits or resets, as read from the flows map. */
struct flow_seen {
	char laddr[64];
	char raddr[64];
	uint32_t netns;
	uint32_t tgid;
	uint64_t segs;   /* retransmitted */
	uint64_t resets; /* sent and received */
	uint64_t sent;   /* segments the connection sent over its life, retransmits included; 0: unknown */
	uint64_t sent_retrans; /* ... of which retransmitted */
	uint64_t sent_spurious; /* ... of those, ones the peer had already (it sent a D-SACK) */
};

/* Sockets one owner has sitting in CLOSE_WAIT or FIN_WAIT2 (since the agent started). */
struct state_seen {
	uint32_t tgid;
	uint32_t netns;
	uint32_t state; /* TCP_CLOSE_WAIT or TCP_FIN_WAIT2 */
	uint64_t count;
	double oldest_s;
};

/* connect() failures for lack of a local port, by caller and destination. */
struct connfail_seen {
	uint32_t tgid;
	uint32_t netns;
	char raddr[64];
	uint64_t failures;
};

/* A listening socket, what its application asked listen() for, and what it dropped. */
struct listener_seen {
	uint32_t tgid;
	uint32_t netns;
	uint16_t port;
	uint32_t backlog;
	uint32_t drops;      /* SYNs and handshakes it dropped over the window (its sk_drops) */
	uint32_t syn_queued; /* its longest SYN queue (half-open connections) over the window */
};

/* Host TCP memory over the window (pages, /proc/net/sockstat "mem"). */
struct tcp_mem_trend {
	int64_t now;
	int64_t peak;
	double rate;              /* pages per second over the last tick */
	double pressure_since_s;  /* first tick at or above tcp_mem[1]; < 0 never */
	double max_since_s;       /* first tick at or above tcp_mem[2]; < 0 never */
	long crossed_limits[3];   /* tcp_mem in force at the latest of those two crossings */
	struct trend_fit fit;     /* the trend over the last FORECAST_WINDOW_S */
	struct trend_fit recent;  /* ... and over its newer half: a ramp that levelled off is flat here */
};

/* Who a tgid is, for naming culprits: its comm and (when known) cgroup id. */
typedef void (*proc_lookup_fn)(void *ctx, uint32_t tgid, char comm[16], uint64_t *cgroup);

struct diag_input {
	const struct count_table *window; /* cumulative since the agent started */
	double window_s;
	const struct kernel_names *names;
	const struct verdict_seen *verdicts;
	size_t n_verdicts;
	/* the MAX_FLOWS most troubled: most retransmitted segments first, then most resets */
	const struct flow_seen *flows;
	size_t n_flows;
	/* every flow with resets, in no order (some also in flows); NULL: not all could be kept */
	const struct flow_seen *reset_flows;
	size_t n_reset_flows;
	const struct peer_table *peers; /* each peer's usual retransmit rate; NULL: unknown */
	const struct ns_table *ns; /* each namespace's own counters and limits */
	const struct state_seen *states;
	size_t n_states;
	const struct connfail_seen *connfails;
	size_t n_connfails;
	const struct listener_seen *listeners;
	size_t n_listeners;
	struct tcp_mem_trend mem;
	long tcp_mem[3];   /* pages: min, pressure, max */
	int64_t tcp_mem_used; /* pages, /proc/net/sockstat */
	int64_t orphans;
	long max_orphans;  /* net.ipv4.tcp_max_orphans, 0 when unknown */
	long mem_total_kb; /* MemTotal, for advice */
	double now_s;      /* seconds since the agent started (namespaces' base_at is on it) */
	double horizon_s;  /* early warnings look this far ahead */
	proc_lookup_fn proc_of;
	void *proc_ctx;
};

struct rule {
	const char *cause;
	/* Fill f and return 1 when the evidence proves the cause, else 0. */
	int (*eval)(const struct diag_input *in, struct finding *f);
};

/* Drops of one kernel drop reason (by name) in netns (ANY_NETNS: all); 0 when unknown here. */
uint64_t diag_drops(const struct diag_input *in, const char *reason, uint32_t netns);
/*
 * SYNs (and SYN-ACKs) are at least half of what ns retransmitted: TCPSynRetrans
 * counts them, Tcp.RetransSegs counts them too.
 */
bool ns_retransmits_mostly_syns(const struct ns_state *ns);
/* Resets sent with this reason in netns over the window; -1 when this kernel gives no reasons. */
int64_t diag_resets_for(const struct diag_input *in, const char *reason, uint32_t netns);

extern const struct rule rule_table[];
extern const size_t rule_count;

/*
 * Thresholds: exposed for tests and documentation.  Retransmits, resets,
 * drops and listen overflows are judged per network namespace against the
 * traffic that carried them (a busy host makes more of each); the minimum
 * counts only keep tiny samples (the first seconds) from firing.
 */
#define RETRANS_MIN_SEGS 50       /* retransmitted segments in the window, per namespace */
#define RETRANS_MIN_RATE 2.0      /* ... per second, on average or in the busiest stretch */
#define RETRANS_STORM_RATIO 0.005 /* retransmitted / segments sent: a path losing 0.5% */
#define RETRANS_TIMEOUT_WEIGHT 5  /* a timeout retransmit counts as this many fast ones */
#define RETRANS_FLOW_RATIO 0.02   /* one connection's own: a small, bursty sample needs more */
#define BUF_LIMIT_MIN_DROPS 10    /* receive-queue refusals before it is a finding */
#define BUF_DROP_RATIO 0.001      /* ... and per packet received */
#define RESET_MIN_COUNT 50        /* resets sent in the window */
#define RESET_MIN_RATE 5.0        /* resets sent per second, on average or in the busiest stretch */
#define RESET_STORM_RATIO 0.1     /* resets sent / connections opened and accepted */
#define LISTEN_MIN_OVERFLOWS 5    /* accept queue overflows (SYNs a client resends) in the window */
#define LISTEN_OVERFLOW_RATIO 0.01 /* ... per connection attempt reaching a listener */
#define PORTS_MIN_FAILURES 5       /* connect() EADDRNOTAVAIL in the window */
#define PORTS_FAIL_RATIO 0.001     /* ... of the connects tried: 2 in 100k at 10k/s was healthy */
#define LEAK_MIN_SOCKETS 10       /* CLOSE_WAIT / FIN_WAIT2 sockets of one process */
#define LEAK_MIN_AGE_S 10.0       /* ... the oldest this old: a server busy with 10k conn/s lagged 3 s */
#define CONNTRACK_NEAR_FULL 0.95  /* nf_conntrack_count / nf_conntrack_max */
#define FORECAST_WINDOW_S 60.0    /* a trend is fitted over this much history */
#define FORECAST_HORIZON_S 300.0  /* default: warn when a limit is this close */
#define FORECAST_MIN_GROWTH 0.05  /* of the limit, over the window: less is not a trend */
/*
 * TCP memory's trend covers this much at least: a busy host's buffers fill for
 * seconds when load starts, then level off (a 2 GiB guest: 2583 pages in 9 s,
 * read as pressure 53 s away), and a leak is still rising after this.
 */
#define FORECAST_MIN_SPAN_S 15.0

#endif /* __TT_RULES_H */
