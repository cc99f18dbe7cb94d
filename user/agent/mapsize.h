/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How big the agent's BPF maps are made before load: `owners` from the
 * sockets of the whole host (every network namespace), and, for tests only,
 * any map made tiny by name (TCPTRIAGE_TEST_MAP_ENTRIES) to force it full.
 */
#ifndef __TT_MAPSIZE_H
#define __TT_MAPSIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "netns.h"
#include "procfs.h"

#define OWNERS_MIN 65536
#define OWNERS_MAX (1 << 20)
#define OWNERS_KEPT 16384 /* room for listeners and orphans' closers */

/*
 * Tests only: "name:N[,name:N]..." (TCPTRIAGE_TEST_MAP_ENTRIES) sets map
 * `name` to N entries.  1 and *entries set when spec names map, 0 when it
 * does not, -EINVAL when spec is malformed (a name without ":N", N not in
 * 1..2^31, an empty item).
 */
int map_entries_override(const char *spec, const char *map, uint32_t *entries);
/* Check spec as a whole: 0, or -EINVAL with the bad item in bad. */
int map_entries_spec_check(const char *spec, char *bad, size_t len);

/*
 * Entries for `owners` when the host has `sockets` sockets: twice that, as a
 * power of two in [OWNERS_MIN, OWNERS_MAX] (an LRU map too small for the
 * host evicts the owners of live sockets).  When the sockets keep their
 * owners in their own storage (in_storage), the start-up seed's included,
 * `owners` holds only listeners and orphans' closers: OWNERS_KEPT, whatever
 * the sockets.
 */
uint32_t owners_entries_for(uint64_t sockets, bool in_storage);
/*
 * Entries for the start-up seed's parking map (bpf/owner.bpf.c
 * tt_seed_map): every socket, and room; it is charged only for what it
 * holds, and freed after the seed.
 */
uint32_t seed_entries_for(uint64_t sockets);

/* Reads one namespace's /proc/net/sockstat into ss: 0 or -errno. */
typedef int (*sockstat_fn)(const struct netns_entry *e, struct sockstat *ss);

/*
 * Sockets of every namespace of l, each read by `read`, summed into *sockets
 * ("sockets: used", else TCP + UDP in use).  Returns how many namespaces
 * could not be read (left out of the sum).
 */
size_t sockets_in_namespaces(const struct netns_list *l, sockstat_fn read, uint64_t *sockets);
/*
 * The sockets of the whole host: every network namespace's (a process's
 * /proc/<pid>/net/sockstat, or from inside a namespace only named in
 * /run/netns).  0 or -errno of listing them.
 */
int host_sockets(uint64_t *sockets);

#endif /* __TT_MAPSIZE_H */
