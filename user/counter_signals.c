// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "tcptriage.h"
#include "counter_signals.h"

const struct signal_info signal_table[] = {
	{ TT_SIG_RETRANS, "retransmits", "retransmit_segs", SUB_NONE, false },
	{ TT_SIG_RETRANS_FAIL, "retransmit_failures", NULL, SUB_ERRNO, false },
	{ TT_SIG_SYNACK_RETRANS, "synack_retransmits", NULL, SUB_NONE, false },
	{ TT_SIG_DROP, "drops", "drop_bytes", SUB_DROP_REASON, true },
	{ TT_SIG_EXCEED_BUF, "mem_limit_hits", NULL, SUB_MEM_KIND, false },
	{ TT_SIG_RCVQ_FULL, "rcvq_full", "rcvq_full_bytes", SUB_NONE, true },
	{ TT_SIG_RST_SENT, "resets_sent", NULL, SUB_RST_REASON, false },
	{ TT_SIG_RST_RECV, "resets_received", NULL, SUB_NONE, false },
	{ TT_SIG_CONNECT, "connects", NULL, SUB_NONE, false },
	{ TT_SIG_ACTIVE_CLOSE, "active_closes", "active_close_unsent_bytes", SUB_NONE, true },
	{ TT_SIG_CONNECT_FAIL, "connect_failures", NULL, SUB_ERRNO, false },
};
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
