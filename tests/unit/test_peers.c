// SPDX-License-Identifier: GPL-2.0
// Per-peer retransmit baselines: learned from calm ticks, a storm stands out from them.
#include <string.h>
#include "peers.h"
#include "rules.h"
#include "test.h"

static struct flow_seen flow(const char *raddr, uint64_t segs)
{
	struct flow_seen f = { .netns = 7, .tgid = 1, .segs = segs };

	strcpy(f.laddr, "10.0.0.1:40000");
	strcpy(f.raddr, raddr);
	return f;
}

/* ticks of 1 s with `rate` more segments each, cumulative in *total */
static void run(struct peer_table *t, uint64_t *total, uint64_t rate, int ticks)
{
	for (int i = 0; i < ticks; i++) {
		struct flow_seen f;

		*total += rate;
		f = flow("192.0.2.9:443", *total);
		peer_table_update(t, &f, 1, 1.0);
	}
}

TEST(peer_addr_strips_port)
{
	char a[48];

	peer_addr_of("192.0.2.9:443", a, sizeof(a));
	ASSERT_EQ_STR(a, "192.0.2.9");
	peer_addr_of("[2001:db8::1]:80", a, sizeof(a));
	ASSERT_EQ_STR(a, "[2001:db8::1]");
}

TEST(lossy_peer_is_its_own_normal_and_a_jump_stands_out)
{
	struct peer_table pt = {};
	const struct peer_rate *p;
	uint64_t total = 0;

	run(&pt, &total, 20, PEER_BASELINE_TICKS + 5); /* a WAN peer: 20 segs/s, always */
	p = peer_table_find(&pt, 7, "192.0.2.9:1");
	if (!ASSERT_TRUE(p != NULL))
		goto out;
	ASSERT_TRUE(p->ticks >= PEER_BASELINE_TICKS);
	ASSERT_TRUE(p->baseline > 15 && p->baseline < 25);
	ASSERT_TRUE(p->recent < PEER_STORM_FACTOR * p->baseline);
	run(&pt, &total, 400, 3); /* twenty times its usual */
	p = peer_table_find(&pt, 7, "192.0.2.9:1");
	ASSERT_TRUE(p->recent >= PEER_STORM_FACTOR * p->baseline);
	ASSERT_TRUE(p->baseline < 25); /* the storm did not become the baseline */
out:
	peer_table_free(&pt);
}

TEST(evicted_flows_do_not_make_negative_rates)
{
	struct peer_table pt = {};
	struct flow_seen f = flow("192.0.2.9:443", 1000);

	peer_table_update(&pt, &f, 1, 1.0);
	f.segs = 10; /* the LRU map dropped the old flow */
	peer_table_update(&pt, &f, 1, 1.0);
	if (ASSERT_EQ_INT(pt.count, 1))
		ASSERT_TRUE(pt.items[0].recent <= 1000);
	peer_table_free(&pt);
}
