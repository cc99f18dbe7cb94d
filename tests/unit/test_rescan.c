// SPDX-License-Identifier: GPL-2.0
// Looking for owners again: only after events without one, at once, then backing off while nothing is learned.
#include "rescan.h"
#include "test.h"

TEST(rescan_waits_for_events_without_an_owner)
{
	struct rescan r = { 0 };

	ASSERT_TRUE(!rescan_due(&r, 0, 100)); /* a healthy host never walks */
	ASSERT_TRUE(rescan_due(&r, 3, 100)); /* the first: at once */
	rescan_done(&r, 100, 1);
	ASSERT_TRUE(!rescan_due(&r, 3, 200)); /* none since */
	ASSERT_TRUE(!rescan_due(&r, 9, 100 + RESCAN_MIN_S - 0.1));
	ASSERT_TRUE(rescan_due(&r, 9, 100 + RESCAN_MIN_S));
	ASSERT_EQ_INT(r.runs, 1);
	ASSERT_EQ_INT(r.learned, 1);
}

TEST(rescan_backs_off_while_walks_learn_nothing)
{
	struct rescan r = { 0 };
	double now = 0;
	uint64_t unowned = 0;

	for (int i = 0; i < 20; i++) { /* a socket no process holds: events forever */
		while (!rescan_due(&r, ++unowned, now))
			now += 1;
		rescan_done(&r, now, 0);
	}
	ASSERT_TRUE(r.every_s == RESCAN_MAX_S);
	rescan_done(&r, now, 2); /* a walk that learned: soon again */
	ASSERT_TRUE(r.every_s == RESCAN_MIN_S);
	ASSERT_EQ_INT(r.runs, 21);
}
