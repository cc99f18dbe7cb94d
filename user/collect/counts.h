/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counter tables read from the per-CPU `counts` map.  The kernel only ever
 * adds; userspace keeps the previous reading and subtracts, so no count is
 * lost between a read and a reset.
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

/* Read the whole map (summing CPUs) into t, sorted. */
int counts_read(int map_fd, struct count_table *t);
/* delta = cur - prev for every key (keys missing in prev, or below it after an LRU
 * eviction, count from zero). */
int counts_delta(const struct count_table *prev, const struct count_table *cur,
		 struct count_table *delta);
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
