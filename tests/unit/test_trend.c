// SPDX-License-Identifier: GPL-2.0
// Trends for early warnings: a clear rise gives an eta, a wobble or a plateau none.
#include <math.h>
#include "test.h"
#include "trend.h"

TEST(trend_linear_rise_gives_eta)
{
	struct trend tr = { 0 };
	struct trend_fit fit;

	for (int i = 0; i < 30; i++)
		trend_add(&tr, i, 1000 + 10.0 * i); /* 10 pages/s */
	trend_fit(&tr, 60, &fit);
	ASSERT_TRUE(fabs(fit.slope - 10) < 1e-6);
	ASSERT_EQ_INT((long)trend_eta(&fit, 1290, 2290), 100);
}

TEST(trend_noisy_but_stable_gives_none)
{
	struct trend tr = { 0 };
	struct trend_fit fit;

	for (int i = 0; i < 60; i++)
		trend_add(&tr, i, 5000 + ((i * 7919) % 13) * 40.0 - 240); /* +-240, no rise */
	trend_fit(&tr, 60, &fit);
	ASSERT_TRUE(trend_eta(&fit, 5000, 6000) < 0);
}

TEST(trend_needs_samples_and_forgets_old_ones)
{
	struct trend tr = { 0 };
	struct trend_fit fit;

	for (int i = 0; i < 3; i++)
		trend_add(&tr, i, 100.0 * i);
	trend_fit(&tr, 60, &fit);
	ASSERT_TRUE(trend_eta(&fit, 200, 1000) < 0); /* 3 samples are not a trend */
	for (int i = 0; i < 100; i++)
		trend_add(&tr, 10 + i, i < 40 ? 100.0 * i : 4000); /* rose, then flat */
	trend_fit(&tr, 30, &fit);
	ASSERT_EQ_INT(fit.samples, 31);
	ASSERT_TRUE(trend_eta(&fit, 4000, 9000) < 0); /* the last 30 s are flat */
}
