/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings about held resources get the holders named from a socket
 * snapshot taken when they fire: who holds TCP memory and why, which
 * listener's accept queue is full.  Counters say that it happened; the
 * snapshot says who holds it now.
 */
#ifndef __TT_ENRICH_H
#define __TT_ENRICH_H

#include <stdbool.h>
#include "finding.h"

struct snapshot;

/* Does this cause need a snapshot to name its culprits? */
bool enrich_wants_snapshot(const char *cause);
/* Add what the snapshot shows to f (holders as culprits, evidence of the moment). */
void enrich_finding(struct finding *f, const struct snapshot *snap);

#endif /* __TT_ENRICH_H */
