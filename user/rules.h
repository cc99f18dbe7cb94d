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

#define VERDICT_TEXT_LEN 240
#define MAX_VERDICTS 8
#define MAX_FLOWS 8

/* Kernel log verdicts seen so far, one slot per verdict kind. */
struct verdict_seen {
	const char *verdict; /* e.g. "tcp_out_of_memory" */
	const char *cause;   /* cause id it proves */
	uint64_t count;
	uint32_t netns;      /* named in the line, 0 when not */
	char last[VERDICT_TEXT_LEN];
};

/* A flow with retransmits, as read from the flows map. */
struct flow_seen {
	char laddr[64];
	char raddr[64];
	uint32_t netns;
	uint32_t tgid;
	uint64_t segs;
};

/* Who a tgid is, for naming culprits: its comm and (when known) cgroup id. */
typedef void (*proc_lookup_fn)(void *ctx, uint32_t tgid, char comm[16], uint64_t *cgroup);

struct diag_input {
	const struct count_table *window; /* cumulative since the agent started */
	double window_s;
	const struct kernel_names *names;
	const struct verdict_seen *verdicts;
	size_t n_verdicts;
	const struct flow_seen *flows; /* most retransmits first */
	size_t n_flows;
	long tcp_mem[3];   /* pages: min, pressure, max */
	int64_t tcp_mem_used; /* pages, /proc/net/sockstat */
	int64_t orphans;
	long mem_total_kb; /* MemTotal, for advice */
	proc_lookup_fn proc_of;
	void *proc_ctx;
};

struct rule {
	const char *cause;
	/* Fill f and return 1 when the evidence proves the cause, else 0. */
	int (*eval)(const struct diag_input *in, struct finding *f);
};

extern const struct rule rule_table[];
extern const size_t rule_count;

/* Thresholds: exposed for tests and documentation. */
#define RETRANS_MIN_SEGS 50      /* in the window, per network namespace */
#define RETRANS_MIN_RATE 2.0     /* segments per second */
#define BUF_LIMIT_MIN_DROPS 10   /* receive-queue refusals before it is a finding */
#define RESET_MIN_COUNT 50       /* resets sent in the window */
#define RESET_MIN_RATE 5.0       /* resets sent per second */

#endif /* __TT_RULES_H */
