// SPDX-License-Identifier: GPL-2.0
/* console_classify(): kernel log lines, not NUL-terminated. */
#include "console.h"
#include "fuzz.h"

static bool has_needle(const uint8_t *data, size_t size)
{
	for (const char *const *n = console_needles; *n; n++)
		if (memmem(data, size, *n, strlen(*n)))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console_match m;
	enum console_verdict v;

	memset(&m, 0xa5, sizeof(m));
	v = console_classify((const char *)data, size, &m);
	FUZZ_CHECK(v >= CV_NONE && v < CV_COUNT);
	FUZZ_CHECK(m.verdict == v);
	FUZZ_CHECK(console_classify((const char *)data, size, NULL) == v);
	FUZZ_CHECK(console_verdict_name(v) != NULL);
	FUZZ_CHECK((console_verdict_cause(v) != NULL) == (v != CV_NONE));
	/* the BPF pre-filter relies on this: every accepted line has a needle */
	FUZZ_CHECK(v == CV_NONE || has_needle(data, size));
	if (v == CV_NONE)
		FUZZ_CHECK(m.netns == 0 && m.port == 0 && !m.syn_cookies);
	return 0;
}
