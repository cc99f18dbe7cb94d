/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network namespaces on this host: found through every process's
 * /proc/<pid>/ns/net and the names `ip netns` keeps in /run/netns, and
 * entered with setns() to read what only shows from inside (counters,
 * sysctls, iter/tcp).  The agent is single-threaded, so it enters and always
 * comes back to its own namespace.
 */
#ifndef __TT_NETNS_H
#define __TT_NETNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct netns_entry {
	uint32_t inode;
	pid_t pid;      /* a process inside it, 0 when only named */
	char name[64];  /* `ip netns` name, "" when none */
	char path[280]; /* what to open to enter it (/run/netns/ + NAME_MAX) */
};

struct netns_list {
	struct netns_entry *items;
	size_t count;
};

/* Every namespace once, the agent's own first. 0 or -errno. */
int netns_list_all(struct netns_list *out);
void netns_list_free(struct netns_list *l);
const struct netns_entry *netns_find(const struct netns_list *l, uint32_t inode);
/* The agent's own network namespace inode. */
uint32_t netns_self(void);

/* Run fn(ctx) inside e's namespace and come back. fn's result, or -errno of setns. */
int netns_run_in(const struct netns_entry *e, int (*fn)(void *ctx), void *ctx);

/*
 * A BPF iterator of link_fd made inside e, so that it walks e's sockets
 * (iter/tcp, iter/udp): its fd, or -errno (-ENOENT: e is gone).
 */
int netns_iter_create(const struct netns_entry *e, int link_fd);

#endif /* __TT_NETNS_H */
