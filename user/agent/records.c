// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "records.h"

static size_t record_size(__u32 type)
{
	switch (type) {
	case TT_REC_CONSOLE:
		return sizeof(struct tt_rec_console);
	case TT_REC_RESET:
		return sizeof(struct tt_rec_reset);
	default:
		return 0;
	}
}

static size_t console_text_len(const struct tt_rec_console *rec)
{
	size_t len = rec->len < TT_CONSOLE_LEN ? rec->len : TT_CONSOLE_LEN;

	while (len && (rec->text[len - 1] == '\n' || rec->text[len - 1] == 0))
		len--;
	return len;
}

int record_decode(const void *data, size_t size, struct record_view *view)
{
	struct tt_rec_hdr hdr;
	size_t want;

	memset(view, 0, sizeof(*view));
	if (!data || size < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, data, sizeof(hdr));
	want = record_size(hdr.type);
	if (!want || size < want || hdr.size != want)
		return -EINVAL;
	view->type = hdr.type;
	if (hdr.type == TT_REC_CONSOLE) {
		view->console = data;
		view->text_len = console_text_len(view->console);
	} else {
		view->reset = data;
	}
	return 0;
}
