// SPDX-License-Identifier: GPL-2.0
// What a tick keeps of the flows map: the most troubled, and every flow with resets.
#include <stdio.h>
#include <stdlib.h>
#include "flowpick.h"
#include "test.h"

static struct flow_seen flow(int i, uint64_t segs, uint64_t resets)
{
	struct flow_seen f = { .netns = 7, .tgid = 1, .segs = segs, .resets = resets };

	snprintf(f.laddr, sizeof(f.laddr), "10.0.0.1:%d", 33000 + i);
	snprintf(f.raddr, sizeof(f.raddr), "10.0.0.2:443");
	return f;
}

/* 4 * MAX_FLOWS flows in scrambled order (as a hash map walks them): the most retransmitted kept. */
TEST(flow_pick_keeps_the_most_retransmitted)
{
	enum { N = 4 * MAX_FLOWS };
	struct flow_pick *p = calloc(1, sizeof(*p));
	bool sorted = true;

	if (!ASSERT_TRUE(p != NULL))
		return;
	for (int i = 0; i < N; i++) {
		int segs = (i * 389) % N; /* 389 is prime to N: each of 0..N-1 once */
		struct flow_seen f = flow(i, segs, segs % 3 == 0);

		flow_pick_add(p, &f);
	}
	flow_pick_done(p);
	ASSERT_EQ_INT(p->n_top, MAX_FLOWS);
	for (size_t i = 0; i < p->n_top; i++)
		sorted = sorted && p->top[i].segs == N - 1 - i;
	ASSERT_TRUE(sorted);
	ASSERT_EQ_INT(p->n_resets, (N + 2) / 3); /* every flow with resets, kept or not */
	ASSERT_EQ_INT(p->err, 0);
	flow_pick_free(p);
	free(p);
}

/* Equal retransmits: the more resets first; a flow with neither never displaces one with either. */
TEST(flow_pick_breaks_ties_by_resets)
{
	struct flow_pick *p = calloc(1, sizeof(*p));

	if (!ASSERT_TRUE(p != NULL))
		return;
	for (int i = 0; i < MAX_FLOWS; i++) {
		struct flow_seen f = flow(i, 5, 1);

		flow_pick_add(p, &f);
	}
	struct flow_seen quiet = flow(MAX_FLOWS, 5, 0), reset = flow(MAX_FLOWS + 1, 5, 9),
			 lossy = flow(MAX_FLOWS + 2, 6, 0);
	flow_pick_add(p, &quiet);
	flow_pick_add(p, &reset);
	flow_pick_add(p, &lossy);
	flow_pick_done(p);
	ASSERT_EQ_INT(p->n_top, MAX_FLOWS);
	ASSERT_EQ_INT(p->top[0].segs, 6);
	ASSERT_EQ_INT(p->top[1].resets, 9);
	ASSERT_EQ_INT(p->top[MAX_FLOWS - 1].resets, 1);
	ASSERT_EQ_INT(p->n_resets, MAX_FLOWS + 1);
	flow_pick_free(p);
	free(p);
}

/* The TIME_WAIT test's size: 3000 flows of 1 reset each, all kept for the reset peers. */
TEST(flow_pick_keeps_every_flow_with_resets)
{
	struct flow_pick *p = calloc(1, sizeof(*p));
	uint64_t sum = 0;

	if (!ASSERT_TRUE(p != NULL))
		return;
	for (int i = 0; i < 3000; i++) {
		struct flow_seen f = flow(i, 0, 1);

		flow_pick_add(p, &f);
	}
	flow_pick_done(p);
	ASSERT_EQ_INT(p->n_top, MAX_FLOWS);
	ASSERT_EQ_INT(p->n_resets, 3000);
	for (size_t i = 0; i < p->n_resets; i++)
		sum += p->resets[i].resets;
	ASSERT_EQ_INT(sum, 3000);
	flow_pick_free(p);
	ASSERT_TRUE(p->resets == NULL && p->n_resets == 0);
	free(p);
}
