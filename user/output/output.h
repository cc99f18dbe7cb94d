/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything the agent prints goes through here: each record type has a
 * JSON Lines printer (contract v1: README.md, "JSON Lines (v1)") and a plain-text one.
 */
#ifndef __TT_OUTPUT_H
#define __TT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "counts.h"
#include "finding.h"
#include "kenum.h"
#include "loader.h"

struct out;

/* f NULL: a quiet output that prints nothing. */
struct out *out_new(FILE *f, bool json);
void out_free(struct out *o);
/* 0, or the first write that failed (-EPIPE when the reader went away). */
int out_error(const struct out *o);
bool out_is_json(const struct out *o);

struct kfeatures;

struct start_info {
	const char *command;
	const struct hook_status *hooks;
	size_t n_hooks;
	const char *tracefs;
	const char *btf;                    /* where the kernel BTF came from */
	const struct kfeatures *features;   /* what this kernel's tracepoints pass */
	double duration_s; /* 0 when open-ended */
	uint64_t owners_seeded;
	const char *owners_map_why; /* why owners are in a map (agent__owners_map_why()); NULL: in socket storage */
};

/* How long the agent's ticks took (collect, rules, output), over some span. */
struct tick_time {
	uint64_t n;
	double sum_ms, max_ms;
};

/* The LRU maps: the kernel evicts from them when full, without a word. */
enum lru_map { LRU_OWNERS, LRU_PROCS, LRU_FLOWS, LRU_CONNFAILS, LRU_MAPS };
extern const char *const lru_map_names[LRU_MAPS];

/* The agent's own health over an interval or a run (indexes enum tt_health). */
struct agent_health {
	uint64_t kernel[TT_H_MAX];
	uint64_t records_malformed;
	uint64_t runs_skipped; /* program runs the kernel skipped: one nested in itself on a CPU */
	double cpu_s;
	struct tick_time ticks; /* the agent's own ticks over the same span */
	double ns_age_s_max; /* oldest namespace counter reading at the last tick (0: none) */
	uint64_t evicted[LRU_MAPS]; /* entries the kernel evicted, at least (user/collect/evict.c) */
	uint64_t owner_rescans;     /* walks of the open files for owners since the start-up seed */
	uint64_t owners_rescan_learned; /* ... and the owners they learned */
};

void out_start(struct out *o, const struct start_info *si);
/* Events carry the kernel's CLOCK_MONOTONIC stamp of the record (kernel_ns). */
void out_console_event(struct out *o, uint64_t kernel_ns, const char *verdict, const char *cause,
		       uint32_t netns, const char *text, size_t len);
void out_reset_event(struct out *o, uint64_t kernel_ns, const char *reason, uint32_t tgid,
		     const char *comm, uint64_t cgroup, uint32_t netns, const char *laddr,
		     const char *raddr);
/* The counts of the interval of interval_s seconds that ended elapsed_s into the run. */
void out_stats(struct out *o, double elapsed_s, double interval_s, const struct count_table *delta,
	       const struct kernel_names *kn, const struct agent_health *h);
/* firing: first seen; cleared: no longer seen in the window; final: the report at the end. */
enum finding_state { FINDING_FIRING, FINDING_CLEARED, FINDING_FINAL };
void out_finding(struct out *o, const struct finding *f, enum finding_state state);
void out_end(struct out *o, double duration_s, const struct count_table *totals,
	     const struct kernel_names *kn, const struct agent_health *h, size_t n_findings);

#endif /* __TT_OUTPUT_H */
