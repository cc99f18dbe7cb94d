/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When to look for socket owners again.  A socket no hook saw being made (a
 * UDP socket opened since the start-up seed: UDP has no state changes) has no
 * owner, and its drops would be charged to nobody.  The BPF side counts such
 * events (TT_H_UNOWNED); when some came, the seed's walk of every open file
 * runs again for UDP sockets with no owner recorded (agent__seed_owners,
 * udp_only): at once, then not sooner than RESCAN_MIN_S after, doubling up to
 * RESCAN_MAX_S while walks learn nothing (a socket no process holds, a
 * kernel's own, stays unknown and must not cost a walk a tick).
 */
#ifndef __TT_RESCAN_H
#define __TT_RESCAN_H

#include <stdbool.h>
#include <stdint.h>

#define RESCAN_MIN_S 2.0
#define RESCAN_MAX_S 256.0

struct rescan {
	uint64_t unowned; /* events without an owner, as of the last walk */
	double next_at;   /* seconds since start: no walk sooner */
	double every_s;   /* the pause after the last walk (0: none yet) */
	uint64_t runs, learned;
};

/* A walk is due at now, with unowned events counted so far (marks them seen when it is). */
bool rescan_due(struct rescan *r, uint64_t unowned, double now);
/* A walk at now learned this many owners. */
void rescan_done(struct rescan *r, double now, uint64_t learned);

#endif /* __TT_RESCAN_H */
