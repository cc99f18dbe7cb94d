/* SPDX-License-Identifier: GPL-2.0 */
/* Ring buffer records from the kernel: checked before any field is trusted. */
#ifndef __TT_RECORDS_H
#define __TT_RECORDS_H

#include <stddef.h>
#include <linux/types.h>
#include "tcptriage.h"

struct record_view {
	__u32 type; /* enum tt_rec_type */
	union {
		const struct tt_rec_console *console;
		const struct tt_rec_reset *reset;
	};
	size_t text_len; /* console: bytes of text to use (no trailing newline/NULs) */
};

/* 0 and a typed view when data is a well-formed record, -EINVAL otherwise. */
int record_decode(const void *data, size_t size, struct record_view *view);

#endif /* __TT_RECORDS_H */
