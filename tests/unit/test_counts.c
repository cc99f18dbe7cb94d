// SPDX-License-Identifier: GPL-2.0
// Counter tables: rows from per-CPU values, merging, sums, grouping by owner.
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

TEST(percpu_values_sum_over_cpus)
{
	struct tt_count_key keys[2] = { { .tgid = 1, .netns = 10, .signal = TT_SIG_RETRANS },
					{ .tgid = 2, .netns = 10, .signal = TT_SIG_DROP, .sub = 6 } };
	struct tt_count_val vals[2 * 3] = { { 1, 10 }, { 0, 0 }, { 4, 40 },    /* key 0, cpus 0-2 */
					    { 2, 200 }, { 3, 300 }, { 0, 0 } }; /* key 1 */
	struct count_row rows[2];

	counts_add_percpu(rows, keys, vals, 2, 3);
	ASSERT_EQ_INT(rows[0].key.tgid, 1);
	ASSERT_EQ_INT(rows[0].events, 5);
	ASSERT_EQ_INT(rows[0].amount, 50);
	ASSERT_EQ_INT(rows[1].key.sub, 6);
	ASSERT_EQ_INT(rows[1].events, 5);
	ASSERT_EQ_INT(rows[1].amount, 500);
}

TEST(sort_merge_sorts_and_adds_equal_keys)
{
	struct count_row rows[] = { row(3, 10, TT_SIG_DROP, 6, 1, 100), row(1, 10, TT_SIG_RETRANS, 0, 2, 3),
				    row(3, 10, TT_SIG_DROP, 6, 4, 400), row(2, 11, TT_SIG_DROP, 6, 7, 0),
				    row(1, 10, TT_SIG_RETRANS, 0, 5, 6) };
	struct count_table tb = { rows, 5 }, empty = { NULL, 0 };

	counts_sort_merge(&tb);
	if (!ASSERT_EQ_INT(tb.count, 3))
		return;
	for (size_t i = 1; i < tb.count; i++)
		ASSERT_TRUE(memcmp(&tb.rows[i - 1].key, &tb.rows[i].key, sizeof(tb.rows[i].key)) < 0);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, false), 7);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_RETRANS, ANY_SUB, ANY_NETNS, true), 9);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, 6, 10, false), 5);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, 6, 10, true), 500);
	ASSERT_EQ_INT(counts_sum(&tb, TT_SIG_DROP, 6, 11, false), 7);
	counts_sort_merge(&empty);
	ASSERT_EQ_INT(empty.count, 0);
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
