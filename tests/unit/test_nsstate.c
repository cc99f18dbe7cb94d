// SPDX-License-Identifier: GPL-2.0
// The namespace table's bookkeeping: vanished namespaces leave it, in time; bursts keep their pace.
#include <stdio.h>
#include <stdlib.h>
#include "nsstate.h"
#include "test.h"

/* Three namespaces: one listed now, one gone 5 s, one gone 100 s. */
static int three(struct ns_table *t)
{
	t->items = calloc(3, sizeof(*t->items));
	if (!t->items)
		return -1;
	t->count = 3;
	t->items[0] = (struct ns_state){ .inode = 1, .seen = true, .seen_at = 200 };
	t->items[1] = (struct ns_state){ .inode = 2, .seen = false, .seen_at = 195 };
	t->items[2] = (struct ns_state){ .inode = 3, .seen = false, .seen_at = 100 };
	return 0;
}

TEST(nsstate_forgets_namespaces_gone_longer_than_the_window)
{
	struct ns_table tab = { 0 };

	if (!ASSERT_OK(three(&tab)))
		return;
	ns_table_evict(&tab, 200, 60);
	ASSERT_EQ_INT(tab.count, 2);
	ASSERT_TRUE(ns_table_find(&tab, 1) && ns_table_find(&tab, 2));
	ASSERT_TRUE(!ns_table_find(&tab, 3));
	ns_table_free(&tab);
}

TEST(nsstate_without_a_window_keeps_every_namespace)
{
	struct ns_table tab = { 0 };

	if (!ASSERT_OK(three(&tab)))
		return;
	ns_table_evict(&tab, 200, 0); /* diagnose: the report covers the whole run */
	ASSERT_EQ_INT(tab.count, 3);
	ns_table_free(&tab);
}

/* Read Tcp.OutRsts = value at second at, as the refresh would. */
static void rsts_read_at(struct test_ctx *t, struct ns_state *ns, double at, long long value,
			 double window_s)
{
	char text[64];

	snprintf(text, sizeof(text), "Tcp: OutRsts\nTcp: %lld\n", value);
	counters_parse(&ns->cur.counters, text);
	ASSERT_OK(ns_took_reading(ns, at, window_s, true));
}

static void ns_state_release(struct ns_state *ns)
{
	ns_reading_free(&ns->base);
	ns_reading_free(&ns->next);
	ns_reading_free(&ns->cur);
}

TEST(nsstate_a_burst_keeps_its_rate_in_a_long_diagnose)
{
	struct ns_state ns = { .inode = 1 };
	long long rsts = 1000; /* counted before the agent started: not in any rate */

	for (int sec = 0; sec <= 20; sec++) {
		rsts += sec == 12 ? 80 : 0; /* 80 resets within one second */
		rsts_read_at(t, &ns, sec, rsts, 0);
	}
	ASSERT_EQ_INT(ns_delta(&ns, "Tcp.OutRsts"), 80);
	ASSERT_TRUE(ns_delta(&ns, "Tcp.OutRsts") / ns_span(&ns) == 4.0); /* the average misses it */
	ASSERT_TRUE(ns_peak_rate(&ns, "Tcp.OutRsts") == 80.0);
	ASSERT_TRUE(ns_peak_rate(&ns, "Tcp.OutSegs") == 0); /* not paced */
	ns_state_release(&ns);
}

TEST(nsstate_a_steady_trickle_peaks_at_its_rate)
{
	struct ns_state ns = { .inode = 1 };

	for (int sec = 0; sec <= 60; sec++)
		rsts_read_at(t, &ns, sec, sec, 0); /* a health checker: one reset a second */
	rsts_read_at(t, &ns, 60.01, 61, 0); /* one more 10 ms later is not 100/s */
	ASSERT_TRUE(ns_peak_rate(&ns, "Tcp.OutRsts") == 1.0);
	ns_state_release(&ns);
}

TEST(nsstate_a_burst_leaves_the_peak_when_it_leaves_the_window)
{
	struct ns_state ns = { .inode = 1 };

	for (int sec = 0; sec <= 45; sec++)
		rsts_read_at(t, &ns, sec, sec >= 5 ? 80 : 0, 60); /* burst at 5 s; hops at 30 s, 60 s */
	ASSERT_TRUE(ns_peak_rate(&ns, "Tcp.OutRsts") == 80.0);
	for (int sec = 46; sec <= 61; sec++)
		rsts_read_at(t, &ns, sec, 80, 60);
	ASSERT_EQ_INT(ns_delta(&ns, "Tcp.OutRsts"), 0); /* the window is 30-61 s now */
	ASSERT_TRUE(ns_peak_rate(&ns, "Tcp.OutRsts") == 0);
	ns_state_release(&ns);
}
