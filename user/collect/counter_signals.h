/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counter-signal table (TT_SIGNALS in include/tcptriage.h) as data: the
 * names each kernel-side counter has in every output, and of its sub values.
 */
#ifndef __TT_COUNTER_SIGNALS_H
#define __TT_COUNTER_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kenum.h"

enum sub_kind { SUB_NONE, SUB_DROP_REASON, SUB_RST_REASON, SUB_ERRNO, SUB_MEM_KIND };

/* A row of TT_SIGNALS (include/tcptriage.h): the names of one counter signal. */
struct signal_info {
	uint32_t signal;           /* enum tt_signal */
	enum sub_kind sub;         /* what the counter's sub field means */
	const char *events;        /* JSON name of the event count, e.g. "retransmits" */
	const char *events_metric; /* its metric family, tcptriage_<events> */
	const char *events_help;
	const char *amount;        /* JSON name of the summed amount, NULL when not meaningful */
	const char *amount_metric; /* its metric family (NULL with amount) */
	const char *amount_help;
	bool amount_is_bytes;      /* the amount is bytes (culprits' "bytes" shows it) */
};

/* Every signal but TT_SIG_NONE, in enum order. */
extern const struct signal_info signal_table[];
extern const size_t signal_count;

const struct signal_info *signal_find(uint32_t signal);
/* Name of a sub value ("tcp_listen_overflow", "send"), written to buf. */
const char *signal_sub_name(const struct signal_info *si, const struct kernel_names *kn,
			    uint32_t sub, char *buf, size_t len);

#endif /* __TT_COUNTER_SIGNALS_H */
