// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "counter_signals.h"
#include "tcptriage.h"

/* An X row of TT_SIGNALS; its parameters are not named after the fields, or they would
 * replace the designators. */
#define SIGNAL_INFO(id, sub_kind, ev, ev_help, am, am_metric, am_bytes, am_help)  \
	{ .signal = TT_SIG_##id, .sub = (sub_kind), .events = (ev),               \
	  .events_metric = "tcptriage_" ev, .events_help = (ev_help),             \
	  .amount = (am), .amount_metric = (am_metric), .amount_help = (am_help), \
	  .amount_is_bytes = (am_bytes) },

const struct signal_info signal_table[] = { TT_SIGNALS(SIGNAL_INFO, TT_SKIP) };
const size_t signal_count = sizeof(signal_table) / sizeof(signal_table[0]);

const struct signal_info *signal_find(uint32_t signal)
{
	for (size_t i = 0; i < signal_count; i++)
		if (signal_table[i].signal == signal)
			return &signal_table[i];
	return NULL;
}

const char *signal_sub_name(const struct signal_info *si, const struct kernel_names *kn,
			    uint32_t sub, char *buf, size_t len)
{
	const char *name = NULL;

	switch (si->sub) {
	case SUB_DROP_REASON:
		name = kenum_name(kn->drop_reason, sub);
		break;
	case SUB_RST_REASON:
		name = kenum_name(kn->rst_reason, sub);
		break;
	case SUB_ERRNO:
		snprintf(buf, len, "%s", strerror(sub));
		return buf;
	case SUB_MEM_KIND:
		/* SK_MEM_SEND = 0, SK_MEM_RECV = 1 in include/net/sock.h */
		name = sub == 0 ? "send" : sub == 1 ? "receive" : NULL;
		break;
	case SUB_NONE:
		break;
	}
	if (name)
		return name;
	snprintf(buf, len, "%u", sub);
	return buf;
}
