// SPDX-License-Identifier: GPL-2.0
/* conntrack_stat_parse(): /proc/net/stat/nf_conntrack (hex columns per CPU). */
#include "fuzz.h"

static int parse(struct counter_set *cs, const char *text)
{
	return conntrack_stat_parse(text, cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_counter_merge(parse, data, size);
	return 0;
}
