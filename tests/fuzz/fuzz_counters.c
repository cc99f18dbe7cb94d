// SPDX-License-Identifier: GPL-2.0
/* counters_parse(): /proc/net/netstat and /proc/net/snmp text. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_counter_merge(counters_parse, data, size);
	return 0;
}
