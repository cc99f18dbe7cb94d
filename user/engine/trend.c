// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include "trend.h"

#define MIN_SAMPLES 5

void trend_add(struct trend *tr, double t, double v)
{
	tr->t[tr->next] = t;
	tr->v[tr->next] = v;
	tr->next = (tr->next + 1) % TREND_SAMPLES;
	if (tr->n < TREND_SAMPLES)
		tr->n++;
}

/* Index of the i-th newest sample (0: newest). */
static size_t newest(const struct trend *tr, size_t i)
{
	return (tr->next + TREND_SAMPLES - 1 - i) % TREND_SAMPLES;
}

void trend_fit(const struct trend *tr, double window_s, struct trend_fit *fit)
{
	double st = 0, sv = 0, stt = 0, stv = 0, t0, mt, mv, resid = 0;
	size_t n = 0;

	memset(fit, 0, sizeof(*fit));
	if (!tr->n)
		return;
	t0 = tr->t[newest(tr, 0)];
	while (n < tr->n && t0 - tr->t[newest(tr, n)] <= window_s)
		n++;
	for (size_t i = 0; i < n; i++) {
		double t = tr->t[newest(tr, i)] - t0, v = tr->v[newest(tr, i)];

		st += t, sv += v, stt += t * t, stv += t * v;
	}
	fit->samples = n;
	fit->span_s = t0 - tr->t[newest(tr, n - 1)];
	if (n < 2 || stt * n - st * st <= 0)
		return;
	fit->slope = (stv * n - st * sv) / (stt * n - st * st);
	mt = st / n, mv = sv / n;
	for (size_t i = 0; i < n; i++) {
		double t = tr->t[newest(tr, i)] - t0, v = tr->v[newest(tr, i)];
		double e = v - (mv + fit->slope * (t - mt));

		resid += e * e;
	}
	fit->noise = sqrt(resid / n);
}

void trend_fit_halves(const struct trend *tr, double window_s, struct trend_fit *fit,
		      struct trend_fit *recent)
{
	trend_fit(tr, window_s, fit);
	trend_fit(tr, fit->span_s / 2, recent);
}

double trend_eta(const struct trend_fit *fit, double now_value, double limit)
{
	if (fit->samples < MIN_SAMPLES || fit->slope <= 0 || now_value >= limit)
		return -1;
	if (fit->slope * fit->span_s <= 3 * fit->noise)
		return -1; /* a wobble, not a rise */
	return (limit - now_value) / fit->slope;
}
