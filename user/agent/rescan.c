// SPDX-License-Identifier: GPL-2.0
#include "rescan.h"

bool rescan_due(struct rescan *r, uint64_t unowned, double now)
{
	if (unowned == r->unowned || now < r->next_at)
		return false;
	r->unowned = unowned;
	return true;
}

void rescan_done(struct rescan *r, double now, uint64_t learned)
{
	double every = r->every_s ? 2 * r->every_s : RESCAN_MIN_S;

	r->every_s = learned ? RESCAN_MIN_S : every < RESCAN_MAX_S ? every : RESCAN_MAX_S;
	r->next_at = now + r->every_s;
	r->runs++;
	r->learned += learned;
}
