/* SPDX-License-Identifier: GPL-2.0 */
/* Shared unit-test fixtures: counter rows and tables as counts_drain() returns them. */
#ifndef __TT_TEST_FIXTURES_H
#define __TT_TEST_FIXTURES_H

#include "counts.h"

/* A counter row of owner tgid (cgroup) in netns: signal/sub seen events times, summing amount. */
struct count_row fx_row(uint32_t tgid, uint32_t netns, uint64_t cgroup, uint32_t signal,
			uint32_t sub, uint64_t events, uint64_t amount);
/* rows sorted by key, as a table (rows stay the caller's). */
struct count_table fx_table(struct count_row *rows, size_t n);

#endif /* __TT_TEST_FIXTURES_H */
