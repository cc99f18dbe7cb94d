/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the rules look back on: each tick's counter delta kept for a sliding
 * window, their sum, the totals since the start, and host TCP memory from
 * tick to tick.  Pure bookkeeping: no BPF, no I/O, so unit tests drive it.
 */
#ifndef __TT_WINDOW_H
#define __TT_WINDOW_H

#include <stddef.h>
#include "counts.h"
#include "peers.h"
#include "rules.h"
#include "trend.h"

#define WINDOW_MAX_TICKS 3600 /* ticks kept for a sliding window */

struct tick_delta {
	double at; /* seconds since start */
	struct count_table delta;
};

/* Host TCP memory (pages) followed from tick to tick: peak, rate, threshold crossings, trend. */
struct memory_track {
	struct tcp_mem_trend mem;
	double at;          /* when mem.now was read; 0: never */
	struct trend trend;
};

struct window {
	double span_s;               /* rules look back this far; 0: the whole run */
	struct count_table totals;   /* every delta since the start */
	struct count_table sum;      /* the deltas still in the window (span_s > 0 only) */
	struct tick_delta *history;  /* oldest first */
	size_t len;
	struct peer_table peers;     /* each peer's usual retransmit rate */
	struct memory_track memory;
};

/* 0 or -ENOMEM; window_free() in any case. */
int window_init(struct window *w, double span_s);
void window_free(struct window *w);
/* Add one tick's delta, read at `now` seconds; takes the rows of *delta. 0 or -errno. */
int window_add(struct window *w, double now, struct count_table *delta)
	__attribute__((warn_unused_result));
/* What the rules see: the window's sum, or the totals when there is no window. */
const struct count_table *window_counts(const struct window *w);
/* Seconds the counts cover, `elapsed` seconds into the run. */
double window_seconds(const struct window *w, double elapsed);

void memory_track_init(struct memory_track *m);
/* One reading at `now` seconds: in_use pages against limits (tcp_mem min/pressure/max). */
void memory_track_add(struct memory_track *m, double now, int64_t in_use, const long limits[3]);

#endif /* __TT_WINDOW_H */
