// SPDX-License-Identifier: GPL-2.0
// What the kernel evicted from an LRU map: added - removed - present, never more.
#include "evict.h"
#include "test.h"

TEST(evict_counts_what_neither_a_remove_nor_the_walk_accounts_for)
{
	struct evict_track e = { 0 };
	uint64_t before[TT_H_MAX] = { 0 }, after[TT_H_MAX] = { 0 };

	before[TT_H_OWNERS_ADDED] = after[TT_H_OWNERS_ADDED] = 1000;
	after[TT_H_OWNERS_REMOVED] = 700;
	evict_count(&e, LRU_OWNERS, before, after, 64);
	ASSERT_EQ_INT(e.evicted[LRU_OWNERS], 236);
	ASSERT_EQ_INT(e.evicted[LRU_PROCS], 0);
}

TEST(evict_is_a_lower_bound_while_programs_race_the_walk)
{
	struct evict_track e = { 0 };
	uint64_t before[TT_H_MAX] = { 0 }, after[TT_H_MAX] = { 0 };

	/* 10 added before the walk, 5 more during it and seen by it: nothing evicted */
	before[TT_H_PROCS_ADDED] = 10;
	after[TT_H_PROCS_ADDED] = 15;
	evict_count(&e, LRU_PROCS, before, after, 15);
	ASSERT_EQ_INT(e.evicted[LRU_PROCS], 0);
	/* 3 removed during the walk, after it walked past them: still nothing */
	before[TT_H_OWNERS_ADDED] = 10;
	after[TT_H_OWNERS_REMOVED] = 3;
	evict_count(&e, LRU_OWNERS, before, after, 10);
	ASSERT_EQ_INT(e.evicted[LRU_OWNERS], 0);
}

TEST(evict_never_goes_back_and_counts_userspace_deletes)
{
	struct evict_track e = { 0 };
	uint64_t before[TT_H_MAX] = { 0 }, after[TT_H_MAX] = { 0 };

	before[TT_H_FLOWS_ADDED] = 100;
	evict_count(&e, LRU_FLOWS, before, after, 40);
	ASSERT_EQ_INT(e.evicted[LRU_FLOWS], 60);
	e.removed_by_us[LRU_FLOWS] = 30; /* stale flows the agent deleted */
	before[TT_H_FLOWS_ADDED] = 120;
	evict_count(&e, LRU_FLOWS, before, after, 40);
	ASSERT_EQ_INT(e.evicted[LRU_FLOWS], 60); /* 120 - 30 - 40 = 50 < 60: a race, kept */
	before[TT_H_FLOWS_ADDED] = 200;
	evict_count(&e, LRU_FLOWS, before, after, 40);
	ASSERT_EQ_INT(e.evicted[LRU_FLOWS], 130);
}
