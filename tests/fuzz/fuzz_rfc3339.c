// SPDX-License-Identifier: GPL-2.0
/* format_rfc3339_ms(): any timespec gives "YYYY-MM-DDTHH:MM:SS.mmmZ". */
#include <ctype.h>
#include "fuzz.h"
#include "json.h"

static bool shaped(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	for (size_t i = 0; i < sizeof(shape); i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[RFC3339_MS_SIZE];
	struct timespec ts;
	int64_t sec, nsec;

	if (size < 16)
		return 0;
	memcpy(&sec, data, 8);
	memcpy(&nsec, data + 8, 8);
	ts.tv_sec = sec;
	ts.tv_nsec = nsec;
	format_rfc3339_ms(buf, ts);
	FUZZ_CHECK(shaped(buf));
	return 0;
}
