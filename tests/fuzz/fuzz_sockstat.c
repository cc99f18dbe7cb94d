// SPDX-License-Identifier: GPL-2.0
/* sockstat_parse(): /proc/net/sockstat. */
#include <errno.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockstat ss;
	char *text = fuzz_cstr(data, size);
	int err;

	memset(&ss, 0xa5, sizeof(ss));
	err = sockstat_parse(text, &ss);
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	/* the contract needs a "TCP:" line for success */
	FUZZ_CHECK(err || strstr(text, "TCP:"));
	free(text);
	return 0;
}
