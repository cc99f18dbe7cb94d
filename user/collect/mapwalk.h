/* SPDX-License-Identifier: GPL-2.0 */
/* Every entry of a BPF hash map, read in batches: one loop for every map the agent walks. */
#ifndef __TT_MAPWALK_H
#define __TT_MAPWALK_H

#include <stddef.h>

/* Called once per entry; a non-zero return stops the walk. */
typedef int (*map_walk_fn)(void *ctx, const void *key, const void *value);

/*
 * Visit every entry of the (non per-CPU) hash map fd.  Entries added or
 * removed meanwhile may or may not be seen.  0, or -errno.
 */
int map_walk(int fd, size_t key_size, size_t value_size, map_walk_fn fn, void *ctx);

#endif /* __TT_MAPWALK_H */
