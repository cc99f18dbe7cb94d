// SPDX-License-Identifier: GPL-2.0
// Command-line number parsing: ranges, junk, overflow.
#include <stdint.h>
#include <stdio.h>
#include "cli.h"
#include "test.h"

static int parse(const char *s, uint64_t *v)
{
	FILE *saved = stderr;
	int ret;

	stderr = fopen("/dev/null", "w"); /* the one-line errors are expected here */
	ret = cli_parse_u64("--duration", s, 1, 86400, v);
	fclose(stderr);
	stderr = saved;
	return ret;
}

TEST(parse_accepts_range)
{
	uint64_t v = 0;

	ASSERT_OK(parse("1", &v));
	ASSERT_EQ_INT(v, 1);
	ASSERT_OK(parse("86400", &v));
	ASSERT_EQ_INT(v, 86400);
}

TEST(parse_rejects_bad_input)
{
	const char *bad[] = { "0", "86401", "", "abc", "5s", "-1", "+3", " 4",
			      "99999999999999999999999", "1.5" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_check(t, parse(bad[i], &v) < 0, __FILE__, __LINE__, "'%s' rejected", bad[i]);
	test_check(t, parse(NULL, &v) < 0, __FILE__, __LINE__, "NULL rejected");
}
