// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "peers.h"
#include "rules.h"

#define FAST_WEIGHT 0.5  /* recent: mostly the last few ticks */
#define SLOW_WEIGHT 0.05 /* baseline: minutes at a 1-10 s interval */

void peer_addr_of(const char *endpoint, char *addr, size_t len)
{
	const char *colon = strrchr(endpoint, ':');
	size_t n = colon ? (size_t)(colon - endpoint) : strlen(endpoint);

	if (n >= len)
		n = len - 1;
	memcpy(addr, endpoint, n);
	addr[n] = 0;
}

static struct peer_rate *find_mut(struct peer_table *t, uint32_t netns, const char *addr)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->items[i].netns == netns && !strcmp(t->items[i].addr, addr))
			return &t->items[i];
	return NULL;
}

const struct peer_rate *peer_table_find(const struct peer_table *t, uint32_t netns,
					const char *endpoint)
{
	char addr[48];

	peer_addr_of(endpoint, addr, sizeof(addr));
	return find_mut((struct peer_table *)t, netns, addr);
}

static struct peer_rate *add(struct peer_table *t, uint32_t netns, const char *addr)
{
	struct peer_rate *n = realloc(t->items, (t->count + 1) * sizeof(*n));

	if (!n)
		return NULL;
	t->items = n;
	n = &t->items[t->count++];
	memset(n, 0, sizeof(*n));
	n->netns = netns;
	snprintf(n->addr, sizeof(n->addr), "%s", addr);
	return n;
}

static int sum_flows(struct peer_table *t, const struct flow_seen *flows, size_t n)
{
	for (size_t i = 0; i < t->count; i++) {
		t->items[i].cur_segs = 0;
		t->items[i].seen = 0;
	}
	for (size_t i = 0; i < n; i++) {
		char addr[48];
		struct peer_rate *p;

		if (!flows[i].segs)
			continue;
		peer_addr_of(flows[i].raddr, addr, sizeof(addr));
		p = find_mut(t, flows[i].netns, addr);
		if (!p && !(p = add(t, flows[i].netns, addr)))
			return -ENOMEM;
		p->seen = 1;
		p->cur_segs += flows[i].segs;
	}
	return 0;
}

/* The baseline learns only from calm ticks, so a storm does not become the new normal. */
static void update_rates(struct peer_rate *p, double dt)
{
	/* flows evicted from the LRU map make the sum drop: count from there */
	uint64_t delta = p->cur_segs > p->last_segs ? p->cur_segs - p->last_segs : 0;
	double rate = dt > 0 ? delta / dt : 0;

	p->last_segs = p->cur_segs;
	p->recent = p->ticks ? FAST_WEIGHT * rate + (1 - FAST_WEIGHT) * p->recent : rate;
	if (!p->ticks)
		p->baseline = rate;
	else if (p->recent < PEER_STORM_FACTOR * (p->baseline > RETRANS_MIN_RATE ? p->baseline : RETRANS_MIN_RATE))
		p->baseline = SLOW_WEIGHT * rate + (1 - SLOW_WEIGHT) * p->baseline;
	p->ticks++;
}

int peer_table_update(struct peer_table *t, const struct flow_seen *flows, size_t n, double dt)
{
	int err = sum_flows(t, flows, n);

	for (size_t i = 0; i < t->count; i++)
		if (t->items[i].seen)
			update_rates(&t->items[i], dt);
	return err;
}

void peer_table_free(struct peer_table *t)
{
	free(t->items);
	t->items = NULL;
	t->count = 0;
}
