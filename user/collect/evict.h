/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel evicted from the agent's LRU maps, without a word: the
 * programs count the entries they add (and remove), userspace the ones it
 * removes, and a walk counts the ones present; the rest were evicted.
 */
#ifndef __TT_EVICT_H
#define __TT_EVICT_H

#include <stdint.h>
#include "output.h"
#include "tcptriage.h"

struct evict_track {
	uint64_t removed_by_us[LRU_MAPS]; /* deletions made from userspace */
	uint64_t evicted[LRU_MAPS];       /* the largest count so far */
};

/*
 * Map m held `present` entries in a walk made after `before` and before
 * `after` were read (the summed health counters).  Adds counted before the
 * walk and removes counted after it make the count a lower bound whatever
 * the programs did meanwhile: what was added during the walk is not
 * counted, what was removed during it is.  Exact on a quiet map.
 */
void evict_count(struct evict_track *t, enum lru_map m, const uint64_t before[TT_H_MAX],
		 const uint64_t after[TT_H_MAX], uint64_t present);

#endif /* __TT_EVICT_H */
