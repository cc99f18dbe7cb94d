// SPDX-License-Identifier: GPL-2.0
// The sliding window and the host memory trend: pure bookkeeping, no kernel.
#include <string.h>
#include "fixtures.h"
#include "window.h"
#include "test.h"

/* A one-row delta of `events` retransmits, owned by the caller (window_add takes it). */
static int delta_of(uint64_t events, struct count_table *out)
{
	struct count_row r = fx_row(1, 2, 0, TT_SIG_RETRANS, 0, events, events);
	struct count_table one = fx_table(&r, 1);

	memset(out, 0, sizeof(*out));
	return counts_accumulate(out, &one);
}

static uint64_t events_in(const struct count_table *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < t->count; i++)
		n += t->rows[i].events;
	return n;
}

static void add_at(struct test_ctx *t, struct window *w, double at, uint64_t events)
{
	struct count_table d;

	ASSERT_OK(delta_of(events, &d));
	ASSERT_OK(window_add(w, at, &d));
}

TEST(window_keeps_only_recent_deltas_and_every_total)
{
	struct window w;

	if (!ASSERT_OK(window_init(&w, 10)))
		return;
	add_at(t, &w, 1, 5);
	add_at(t, &w, 6, 7);
	ASSERT_EQ_INT(events_in(window_counts(&w)), 12);
	add_at(t, &w, 12, 1); /* the delta read at 1 s has left a 10 s window */
	ASSERT_EQ_INT(events_in(window_counts(&w)), 8);
	ASSERT_EQ_INT(events_in(&w.totals), 13);
	ASSERT_TRUE(window_seconds(&w, 12) == 10);
	ASSERT_TRUE(window_seconds(&w, 4) == 4);
	window_free(&w);
}

TEST(window_without_span_is_the_whole_run)
{
	struct window w;

	if (!ASSERT_OK(window_init(&w, 0)))
		return;
	add_at(t, &w, 1, 5);
	add_at(t, &w, 1000, 7);
	ASSERT_EQ_INT(events_in(window_counts(&w)), 12);
	ASSERT_TRUE(window_counts(&w) == &w.totals);
	window_free(&w);
}

TEST(memory_track_notes_each_first_crossing_with_its_limits)
{
	struct memory_track m;
	long limits[3] = { 100, 200, 300 };

	memory_track_init(&m);
	memory_track_add(&m, 1, 150, limits);
	ASSERT_TRUE(m.mem.pressure_since_s < 0);
	memory_track_add(&m, 2, 250, limits);
	ASSERT_TRUE(m.mem.pressure_since_s == 2);
	ASSERT_TRUE(m.mem.rate == 100);
	limits[2] = 260; /* an operator lowers the max: the crossing keeps what was in force */
	memory_track_add(&m, 3, 270, limits);
	ASSERT_TRUE(m.mem.pressure_since_s == 2);
	ASSERT_TRUE(m.mem.max_since_s == 3);
	ASSERT_EQ_INT(m.mem.crossed_limits[2], 260);
	memory_track_add(&m, 4, 120, limits);
	ASSERT_EQ_INT(m.mem.peak, 270);
	ASSERT_EQ_INT(m.mem.now, 120);
}
