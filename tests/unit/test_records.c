// SPDX-License-Identifier: GPL-2.0
// Ring buffer record decoding: sizes and types are checked before use.
#include <string.h>
#include "records.h"
#include "test.h"

TEST(decode_console_trims_newline)
{
	struct tt_rec_console rec = { .hdr = { TT_REC_CONSOLE, sizeof(rec), 1 }, .len = 6 };
	struct record_view v;

	memcpy(rec.text, "TCP: x\n", 7);
	rec.len = 7;
	if (!ASSERT_OK(record_decode(&rec, sizeof(rec), &v)))
		return;
	ASSERT_EQ_INT(v.type, TT_REC_CONSOLE);
	ASSERT_EQ_INT(v.text_len, 6);
}

TEST(decode_console_clamps_length)
{
	struct tt_rec_console rec = { .hdr = { TT_REC_CONSOLE, sizeof(rec), 1 }, .len = 100000 };
	struct record_view v;

	memset(rec.text, 'a', sizeof(rec.text));
	if (ASSERT_OK(record_decode(&rec, sizeof(rec), &v)))
		ASSERT_EQ_INT(v.text_len, TT_CONSOLE_LEN);
}

TEST(decode_rejects_malformed)
{
	struct tt_rec_reset rec = { .hdr = { TT_REC_RESET, sizeof(rec), 1 } };
	struct record_view v;

	ASSERT_OK(record_decode(&rec, sizeof(rec), &v));
	ASSERT_TRUE(record_decode(&rec, sizeof(rec) - 1, &v) < 0);
	ASSERT_TRUE(record_decode(&rec, 4, &v) < 0);
	ASSERT_TRUE(record_decode(NULL, 0, &v) < 0);
	rec.hdr.size = sizeof(rec) + 8;
	ASSERT_TRUE(record_decode(&rec, sizeof(rec), &v) < 0);
	rec.hdr.size = sizeof(rec);
	rec.hdr.type = 99;
	ASSERT_TRUE(record_decode(&rec, sizeof(rec), &v) < 0);
	rec.hdr.type = TT_REC_CONSOLE; /* a reset-sized record claiming to be console text */
	ASSERT_TRUE(record_decode(&rec, sizeof(rec), &v) < 0);
}
