// SPDX-License-Identifier: GPL-2.0
/* record_decode(): ring buffer records, then what the session does with them. */
#include "console.h"
#include "fuzz.h"
#include "json.h"
#include "records.h"

static void use_console(const struct record_view *r)
{
	const struct tt_rec_console *rec = r->console;
	char out[4 * TT_CONSOLE_LEN + 1];

	FUZZ_CHECK(r->text_len <= TT_CONSOLE_LEN && r->text_len <= rec->len);
	if (r->text_len)
		FUZZ_CHECK(rec->text[r->text_len - 1] != '\n' && rec->text[r->text_len - 1]);
	console_classify(rec->text, r->text_len, NULL);
	text_sanitize(out, sizeof(out), rec->text, r->text_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_view r;
	int err;

	memset(&r, 0xa5, sizeof(r));
	err = record_decode(data, size, &r);
	if (err) {
		FUZZ_CHECK(r.type == 0 && r.console == NULL && r.text_len == 0);
		return 0;
	}
	FUZZ_CHECK(r.type == TT_REC_CONSOLE || r.type == TT_REC_RESET);
	FUZZ_CHECK((const void *)r.console == (const void *)data);
	if (r.type == TT_REC_CONSOLE) {
		FUZZ_CHECK(size >= sizeof(struct tt_rec_console));
		use_console(&r);
	} else {
		FUZZ_CHECK(size >= sizeof(struct tt_rec_reset));
		FUZZ_CHECK(r.text_len == 0);
	}
	return 0;
}
