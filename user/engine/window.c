// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "window.h"

int window_init(struct window *w, double span_s)
{
	memset(w, 0, sizeof(*w));
	w->span_s = span_s;
	memory_track_init(&w->memory);
	if (span_s <= 0)
		return 0;
	w->history = calloc(WINDOW_MAX_TICKS, sizeof(*w->history));
	return w->history ? 0 : -ENOMEM;
}

void window_free(struct window *w)
{
	for (size_t i = 0; i < w->len; i++)
		counts_free(&w->history[i].delta);
	free(w->history);
	counts_free(&w->totals);
	counts_free(&w->sum);
	peer_table_free(&w->peers);
	memset(w, 0, sizeof(*w));
}

/* Forget the deltas older than the window (or beyond the ring's size). */
static void window_expire(struct window *w, double now)
{
	size_t drop = 0;

	while (drop < w->len && (w->len - drop >= WINDOW_MAX_TICKS ||
				 w->history[drop].at <= now - w->span_s))
		counts_free(&w->history[drop++].delta);
	memmove(w->history, w->history + drop, (w->len - drop) * sizeof(*w->history));
	w->len -= drop;
}

/* The sum is rebuilt from the deltas still in the window rather than kept by subtraction. */
static int window_resum(struct window *w)
{
	int err = 0;

	counts_free(&w->sum);
	for (size_t i = 0; i < w->len && !err; i++)
		err = counts_accumulate(&w->sum, &w->history[i].delta);
	return err;
}

int window_add(struct window *w, double now, struct count_table *delta)
{
	int err = counts_accumulate(&w->totals, delta);

	if (err || w->span_s <= 0) {
		counts_free(delta);
		return err;
	}
	window_expire(w, now);
	w->history[w->len++] = (struct tick_delta){ now, *delta };
	*delta = (struct count_table){};
	return window_resum(w);
}

const struct count_table *window_counts(const struct window *w)
{
	return w->span_s > 0 ? &w->sum : &w->totals;
}

double window_seconds(const struct window *w, double elapsed)
{
	return w->span_s > 0 && w->span_s < elapsed ? w->span_s : elapsed;
}

void memory_track_init(struct memory_track *m)
{
	memset(m, 0, sizeof(*m));
	m->mem.pressure_since_s = m->mem.max_since_s = -1;
}

/* First crossing of a limit: when, and the limits in force then (they may be raised later). */
static void note_crossing(struct tcp_mem_trend *t, double *since, long limit, double now,
			  const long limits[3])
{
	if (limit <= 0 || t->now < limit || *since >= 0)
		return;
	*since = now;
	memcpy(t->crossed_limits, limits, sizeof(t->crossed_limits));
}

void memory_track_add(struct memory_track *m, double now, int64_t in_use, const long limits[3])
{
	struct tcp_mem_trend *t = &m->mem;

	if (m->at > 0 && now > m->at)
		t->rate = (in_use - t->now) / (now - m->at);
	m->at = now;
	t->now = in_use;
	trend_add(&m->trend, now, (double)in_use);
	trend_fit_halves(&m->trend, FORECAST_WINDOW_S, &t->fit, &t->recent);
	if (t->now > t->peak)
		t->peak = t->now;
	note_crossing(t, &t->pressure_since_s, limits[1], now, limits);
	note_crossing(t, &t->max_since_s, limits[2], now, limits);
}
