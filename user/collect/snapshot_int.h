/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by snapshot.c (the join), snapshot_group.c (holders and totals) and
 * snapshot_take.c (reading the kernel) only: everyone else includes snapshot.h.
 */
#ifndef __TT_SNAPSHOT_INT_H
#define __TT_SNAPSHOT_INT_H

#include <stddef.h>
#include <linux/types.h>
#include "snapshot.h"

/* A key to sort by sort_items(): (hi, lo) ascending. */
struct sort_item {
	__u64 hi, lo;
	size_t idx; /* what the key belongs to */
};

/* Sorts a[] by (hi, lo), stably; 0 or -ENOMEM. */
int sort_items(struct sort_item *a, size_t n);

/* A snapshot of socks and files (malloc'd: it owns them from here on, or frees them), joined. */
int snapshot_adopt(struct tt_snap_sock *socks, size_t n_socks, struct tt_snap_file *files,
		   size_t n_files, struct snapshot **out);

#endif /* __TT_SNAPSHOT_INT_H */
