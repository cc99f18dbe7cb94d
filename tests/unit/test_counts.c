// SPDX-License-Identifier: GPL-2.0
// Counter tables: deltas between readings, sums, grouping by owner.
#include <stdlib.h>
#include <string.h>
#include "counts.h"
#include "fixtures.h"
#include "test.h"

static struct count_row row(uint32_t tgid, uint32_t netns, uint32_t signal, uint32_t sub,
			    uint64_t events, uint64_t amount)
{
	return fx_row(tgid, netns, 0, signal, sub, events, amount);
}

TEST(delta_subtracts_previous_and_keeps_new_keys)
{
	struct count_row prev_rows[] = { row(1, 10, TT_SIG_RETRANS, 0, 5, 7) };
	struct count_row cur_rows[] = { row(1, 10, TT_SIG_RETRANS, 0, 8, 12),
					row(2, 10, TT_SIG_DROP, 6, 3, 300) };
	struct count_table prev = fx_table(prev_rows, 1), cur = fx_table(cur_rows, 2), d;

	if (!ASSERT_OK(counts_delta(&prev, &cur, &d)))
		return;
	ASSERT_EQ_INT(d.count, 2);
	ASSERT_EQ_INT(counts_sum(&d, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, false), 3);
	ASSERT_EQ_INT(counts_sum(&d, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, true), 5);
	ASSERT_EQ_INT(counts_sum(&d, TT_SIG_DROP, 6, 10, false), 3);
	counts_free(&d);
}

TEST(delta_drops_unchanged_rows)
{
	struct count_row rows[] = { row(1, 10, TT_SIG_RETRANS, 0, 5, 7) };
	struct count_row same[] = { row(1, 10, TT_SIG_RETRANS, 0, 5, 7) };
	struct count_table a = fx_table(rows, 1), b = fx_table(same, 1), d;

	if (!ASSERT_OK(counts_delta(&a, &b, &d)))
		return;
	ASSERT_EQ_INT(d.count, 0);
	counts_free(&d);
}

TEST(sum_filters_by_sub_and_netns)
{
	struct count_row rows[] = {
		row(1, 10, TT_SIG_DROP, 6, 2, 0), row(1, 11, TT_SIG_DROP, 6, 3, 0),
		row(2, 10, TT_SIG_DROP, 20, 4, 0), row(2, 10, TT_SIG_RST_SENT, 1, 9, 0),
	};
	struct count_table tb = fx_table(rows, 4);

	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, ANY_SUB, ANY_NETNS, false), 9);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, 6, ANY_NETNS, false), 5);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, ANY_SUB, 10, false), 6);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, 6, 11, false), 3);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, false), 0);
}

TEST(by_owner_groups_and_orders_largest_first)
{
	struct count_row rows[] = {
		row(7, 10, TT_SIG_RST_SENT, 1, 2, 0), row(7, 10, TT_SIG_RST_SENT, 12, 3, 0),
		row(9, 10, TT_SIG_RST_SENT, 12, 40, 0), row(0, 10, TT_SIG_RST_SENT, 1, 1, 0),
		row(9, 10, TT_SIG_DROP, 6, 100, 0),
	};
	struct count_table tb = fx_table(rows, 5);
	struct owner_total top[8];
	size_t n = counts_by_owner(&tb, TT_SIG_RST_SENT, ANY_SUB, top, 8);

	if (!ASSERT_EQ_INT(n, 3))
		return;
	ASSERT_EQ_INT(top[0].tgid, 9);
	ASSERT_EQ_INT(top[0].events, 40);
	ASSERT_EQ_INT(top[1].tgid, 7);
	ASSERT_EQ_INT(top[1].events, 5);
	ASSERT_EQ_INT(counts_by_owner(&tb, TT_SIG_RST_SENT, ANY_SUB, top, 1), 1);
}

TEST(netns_list_is_distinct_and_skips_unknown)
{
	struct count_row rows[] = { row(1, 10, TT_SIG_DROP, 0, 1, 0), row(2, 10, TT_SIG_DROP, 0, 1, 0),
				    row(3, 0, TT_SIG_DROP, 0, 1, 0), row(4, 12, TT_SIG_DROP, 0, 1, 0) };
	struct count_table tb = fx_table(rows, 4);
	uint32_t ns[4];

	ASSERT_EQ_INT(counts_netns_list(&tb, ns, 4), 2);
}

TEST(accumulate_merges_sorted_tables)
{
	struct count_row a_rows[] = { row(1, 10, TT_SIG_RETRANS, 0, 1, 2), row(3, 10, TT_SIG_DROP, 6, 5, 0) };
	struct count_row b_rows[] = { row(1, 10, TT_SIG_RETRANS, 0, 10, 20), row(2, 10, TT_SIG_DROP, 6, 7, 0) };
	struct count_table b = fx_table(b_rows, 2), acc = {};
	struct count_table a = fx_table(a_rows, 2);

	if (!ASSERT_OK(counts_accumulate(&acc, &a)) || !ASSERT_OK(counts_accumulate(&acc, &b)))
		goto out;
	ASSERT_EQ_INT(acc.count, 3);
	ASSERT_EQ_INT(counts_sum(&acc, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, false), 11);
	ASSERT_EQ_INT(counts_sum(&acc, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, true), 22);
	ASSERT_EQ_INT(counts_sum(&acc, TT_SIG_DROP, 6, 10, false), 12);
	for (size_t i = 1; i < acc.count; i++)
		ASSERT_TRUE(memcmp(&acc.rows[i - 1].key, &acc.rows[i].key, sizeof(acc.rows[i].key)) < 0);
out:
	counts_free(&acc);
}

TEST(delta_after_eviction_counts_from_zero)
{
	struct count_row prev_rows[] = { row(1, 10, TT_SIG_DROP, 6, 50, 500) };
	struct count_row cur_rows[] = { row(1, 10, TT_SIG_DROP, 6, 3, 30) }; /* evicted, back */
	struct count_table prev = fx_table(prev_rows, 1), cur = fx_table(cur_rows, 1), d;

	if (!ASSERT_OK(counts_delta(&prev, &cur, &d)))
		return;
	ASSERT_EQ_INT(counts_sum(&d, TT_SIG_DROP, 6, 10, false), 3);
	ASSERT_EQ_INT(counts_sum(&d, TT_SIG_DROP, 6, 10, true), 30);
	counts_free(&d);
}
