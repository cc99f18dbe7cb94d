/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a tick keeps of the flows map (up to its 16384 entries): the
 * MAX_FLOWS most troubled, chosen while walking it, and every flow with
 * resets, so that resets summed per peer are summed over all of them.
 */
#ifndef __TT_FLOWPICK_H
#define __TT_FLOWPICK_H

#include <stddef.h>
#include "rules.h"

struct flow_pick {
	/*
	 * The MAX_FLOWS most troubled flows added: most retransmitted segments,
	 * then most resets.  While adding, a heap (the least troubled at [0]);
	 * after flow_pick_done, the most troubled first.
	 */
	struct flow_seen top[MAX_FLOWS];
	size_t n_top;
	struct flow_seen *resets; /* every flow added with resets, in the order added */
	size_t n_resets, cap_resets;
	int err; /* -ENOMEM: not every flow with resets could be kept (resets is then empty) */
};

void flow_pick_add(struct flow_pick *p, const struct flow_seen *f);
void flow_pick_done(struct flow_pick *p);
void flow_pick_free(struct flow_pick *p);

#endif /* __TT_FLOWPICK_H */
