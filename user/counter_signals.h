/* SPDX-License-Identifier: GPL-2.0 */
/* Names of the kernel-side counters (enum tt_signal) as they appear in every output. */
#ifndef __TT_COUNTER_SIGNALS_H
#define __TT_COUNTER_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kenum.h"

enum sub_kind { SUB_NONE, SUB_DROP_REASON, SUB_RST_REASON, SUB_ERRNO, SUB_MEM_KIND };

struct signal_info {
	uint32_t signal;      /* enum tt_signal */
	const char *events;   /* name of the event count, e.g. "retransmits" */
	const char *amount;   /* name of the summed amount, NULL when not meaningful */
	enum sub_kind sub;    /* what the counter's sub field means */
	bool amount_is_bytes; /* the amount is bytes (culprits' "bytes" shows it) */
};

extern const struct signal_info signal_table[];
extern const size_t signal_count;

const struct signal_info *signal_find(uint32_t signal);
/* Name of a sub value ("tcp_listen_overflow", "send"), written to buf. */
const char *signal_sub_name(const struct signal_info *si, const struct kernel_names *kn,
			    uint32_t sub, char *buf, size_t len);

#endif /* __TT_COUNTER_SIGNALS_H */
