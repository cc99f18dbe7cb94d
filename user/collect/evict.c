// SPDX-License-Identifier: GPL-2.0
#include "evict.h"

#define NONE (-1)

/* Which health counters count each map's adds and removes made by the programs. */
static const int added_by_programs[LRU_MAPS] = {
	[LRU_OWNERS] = TT_H_OWNERS_ADDED,
	[LRU_PROCS] = TT_H_PROCS_ADDED,
	[LRU_FLOWS] = TT_H_FLOWS_ADDED,
	[LRU_CONNFAILS] = TT_H_CONNFAILS_ADDED,
};

static const int removed_by_programs[LRU_MAPS] = {
	[LRU_OWNERS] = TT_H_OWNERS_REMOVED,
	[LRU_PROCS] = NONE,
	[LRU_FLOWS] = NONE,
	[LRU_CONNFAILS] = NONE,
};

void evict_count(struct evict_track *t, enum lru_map m, const uint64_t before[TT_H_MAX],
		 const uint64_t after[TT_H_MAX], uint64_t present)
{
	uint64_t added = before[added_by_programs[m]];
	uint64_t gone = t->removed_by_us[m] + present;

	if (removed_by_programs[m] != NONE)
		gone += after[removed_by_programs[m]];
	/* evictions only ever add up: a smaller count is the walk racing the programs */
	if (added > gone && added - gone > t->evicted[m])
		t->evicted[m] = added - gone;
}
