// SPDX-License-Identifier: GPL-2.0
/* sysctl_parse_longs(): "4096\t87380\t6291456\n". First byte: how many slots. */
#include <errno.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int max, ret;
	long *vals;
	char *text;

	if (size < 1)
		return 0;
	max = data[0] % 8;
	/* exactly max slots, so ASan sees any write past them */
	vals = malloc(max ? max * sizeof(*vals) : 1);
	FUZZ_CHECK(vals);
	text = fuzz_cstr(data + 1, size - 1);
	ret = sysctl_parse_longs(text, vals, max);
	FUZZ_CHECK(ret == -EINVAL || ret == -ERANGE || ret == -E2BIG ||
		   (ret >= 0 && ret <= max));
	free(text);
	free(vals);
	return 0;
}
