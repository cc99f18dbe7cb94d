/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Each peer's own normal: how many segments a remote address usually needs
 * retransmitted per second, learned tick by tick, so that a storm is "well
 * above this peer's baseline" rather than above one number for every path
 * (a lossy WAN peer is not a storm; the same rate to a LAN peer is).
 */
#ifndef __TT_PEERS_H
#define __TT_PEERS_H

#include <stddef.h>
#include <stdint.h>

struct flow_seen;

struct peer_rate {
	char addr[48];      /* remote address without port */
	uint32_t netns;
	uint64_t last_segs; /* cumulative, over its flows, at the last tick */
	uint64_t cur_segs;  /* the same, being summed for this tick */
	double recent;      /* segments/s, fast average */
	double baseline;    /* segments/s, slow average of the calm periods */
	unsigned int ticks; /* how long it has been followed */
	int seen;           /* present at the last update */
};

struct peer_table {
	struct peer_rate *items;
	size_t count;
};

/* Ticks of history before a baseline is trusted, and what "well above" means. */
#define PEER_BASELINE_TICKS 10
#define PEER_STORM_FACTOR 4.0

/* Fold this tick's flows (cumulative retransmitted segments) into each peer's rates. */
int peer_table_update(struct peer_table *t, const struct flow_seen *flows, size_t n, double dt);
const struct peer_rate *peer_table_find(const struct peer_table *t, uint32_t netns,
					const char *endpoint);
void peer_table_free(struct peer_table *t);
/* The address part of "1.2.3.4:80" or "[::1]:80", written to addr. */
void peer_addr_of(const char *endpoint, char *addr, size_t len);

#endif /* __TT_PEERS_H */
