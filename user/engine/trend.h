/* SPDX-License-Identifier: GPL-2.0 */
/* A quantity's recent trend (least squares over the last samples), for early warnings. */
#ifndef __TT_TREND_H
#define __TT_TREND_H

#include <stddef.h>

#define TREND_SAMPLES 60

struct trend {
	double t[TREND_SAMPLES], v[TREND_SAMPLES]; /* a ring: seconds, value */
	size_t n, next;
};

struct trend_fit {
	double slope;    /* units per second */
	double noise;    /* standard deviation of the samples around the line */
	double span_s;   /* time the samples cover */
	size_t samples;
};

void trend_add(struct trend *tr, double t, double v);
/* Least-squares line through the samples no older than window_s before the newest. */
void trend_fit(const struct trend *tr, double window_s, struct trend_fit *fit);
/* trend_fit() over window_s, and recent: the same over the newer half of what fit spans. */
void trend_fit_halves(const struct trend *tr, double window_s, struct trend_fit *fit,
		      struct trend_fit *recent);
/*
 * Seconds until the line reaches limit from now_value, or -1 when it is not
 * a clear rise (growth over the span within 3x the noise, or too few samples).
 */
double trend_eta(const struct trend_fit *fit, double now_value, double limit);

#endif /* __TT_TREND_H */
