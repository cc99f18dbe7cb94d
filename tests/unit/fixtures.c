// SPDX-License-Identifier: GPL-2.0
// Shared unit-test fixtures (see fixtures.h).
#include <stdlib.h>
#include <string.h>
#include "fixtures.h"

struct count_row fx_row(uint32_t tgid, uint32_t netns, uint64_t cgroup, uint32_t signal,
			uint32_t sub, uint64_t events, uint64_t amount)
{
	struct count_row r = { .events = events, .amount = amount };

	r.key.tgid = tgid;
	r.key.netns = netns;
	r.key.cgroup = cgroup;
	r.key.signal = signal;
	r.key.sub = sub;
	return r;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tt_count_key));
}

struct count_table fx_table(struct count_row *rows, size_t n)
{
	qsort(rows, n, sizeof(*rows), key_cmp);
	return (struct count_table){ rows, n };
}
