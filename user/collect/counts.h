/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counter tables from the per-CPU counter maps (bpf/common.bpf.h): the
 * programs add to one map while userspace drains the other, so what a tick
 * reads is that tick's counts, each once; the maps are swapped every tick.
 */
#ifndef __TT_COUNTS_H
#define __TT_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcptriage.h"

struct count_row {
	struct tt_count_key key;
	uint64_t events;
	uint64_t amount;
};

/* Rows sorted by key. */
struct count_table {
	struct count_row *rows;
	size_t count;
};

#define ANY_SUB UINT32_MAX
#define ANY_NETNS 0

/*
 * The two counter maps, the one-slot map that says which the programs add to,
 * and the CPUs' caches in front of them (in cpu_states, one entry a signal
 * and generation parity; ctl's count_gen, the generation, says which).
 */
struct counts_pair {
	int slot_fd;           /* `counts`: ARRAY_OF_MAPS, one slot */
	int fds[2];            /* counts_a, counts_b */
	int cpu_states_fd;     /* cpu_states: the caches */
	int ctl_fd;            /* ctl: count_gen */
	__u32 gen;             /* count_gen: fds[gen & 1] is in the slot (the loader installs fds[0]) */
	uint64_t cache_events; /* events read from the caches so far (health's TT_H_EVENTS) */
};

/*
 * Move the programs on to the next generation (the other cache entries) and
 * put the other map in the slot (the kernel returns once no program can
 * still add to the ones they replace), then drain both into t: every map
 * entry read (summing CPUs) and deleted, every cache entry of the retired
 * generation read (the programs take it as empty from now), sorted.  0 or
 * -errno; on an error t still holds what was drained (use it: it is gone
 * from the map), the rest of the map stays for its next drain (the caches'
 * counts of a failed read are lost).
 */
int counts_swap_drain(struct counts_pair *p, struct count_table *t);
/* Drain map fd, which nothing writes into, as above. */
int counts_drain(int fd, struct count_table *t);
/* Rows of n keys with their per-CPU values (ncpus each), summed over CPUs, into out. */
void counts_add_percpu(struct count_row *out, const struct tt_count_key *keys,
		       const struct tt_count_val *vals, size_t n, int ncpus);
/* Sort t by key and merge rows of equal keys (adding them). */
void counts_sort_merge(struct count_table *t);
/* acc += add, key by key (both sorted; acc stays sorted). */
int counts_accumulate(struct count_table *acc, const struct count_table *add);
void counts_free(struct count_table *t);

/* Sum of events (or amounts) matching signal, sub (ANY_SUB) and netns (ANY_NETNS). */
uint64_t counts_sum(const struct count_table *t, uint32_t signal, uint32_t sub, uint32_t netns,
		    bool amount);

/* One owner's total for one signal. */
struct owner_total {
	uint32_t tgid;
	uint32_t netns;
	uint64_t cgroup;
	uint64_t events;
	uint64_t amount;
};

/* Group matching rows by owner, largest events first; returns how many were written. */
size_t counts_by_owner(const struct count_table *t, uint32_t signal, uint32_t sub,
		       struct owner_total *out, size_t max);
/* The same within one netns (ANY_NETNS: all). */
size_t counts_by_owner_in(const struct count_table *t, uint32_t signal, uint32_t sub,
			  uint32_t netns, struct owner_total *out, size_t max);

/* Distinct netns (non-zero) that appear in t, written to out; returns count. */
size_t counts_netns_list(const struct count_table *t, uint32_t *out, size_t max);

#endif /* __TT_COUNTS_H */
