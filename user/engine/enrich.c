// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enrich.h"
#include "snapshot.h"

#define TOP_HOLDERS 4
#define HOLDER_MIN_PCT 10 /* of the snapshot's TCP memory, to be named a holder */

static const char *const memory_causes[] = {
	"tcp_mem_exhausted", "tcp_mem_pressure", "orphan_sockets", "socket_buffer_limit",
	"tcp_mem_forecast", NULL,
};

static bool is_memory_cause(const char *cause)
{
	for (const char *const *c = memory_causes; *c; c++)
		if (!strcmp(*c, cause))
			return true;
	return false;
}

bool enrich_wants_snapshot(const char *cause)
{
	return is_memory_cause(cause) || !strcmp(cause, "listen_overflow");
}

/* Culprits are listed most important first: make room at the front. */
static struct culprit *culprit_at_front(struct finding *f)
{
	if (f->n_culprits == FINDING_MAX_CULPRITS)
		f->n_culprits--;
	memmove(&f->culprits[1], &f->culprits[0], f->n_culprits * sizeof(f->culprits[0]));
	f->n_culprits++;
	memset(&f->culprits[0], 0, sizeof(f->culprits[0]));
	return &f->culprits[0];
}

static void add_memory_holders(struct finding *f, const struct snapshot *snap)
{
	struct snap_holder *top = NULL;
	struct snap_totals totals;
	ssize_t n = snapshot_top_processes(snap, TOP_HOLDERS, &top);

	snapshot_totals(snap, &totals);
	finding_num(f, "snapshot_sockets", totals.all.sockets);
	finding_num(f, "snapshot_bytes", totals.all.bytes);
	finding_num(f, "snapshot_orphans", totals.all.orphans);
	/* insert in reverse so the largest holder ends up first */
	for (ssize_t i = n - 1; i >= 0; i--) {
		struct culprit *c;

		/*
		 * A process with a sliver of the memory (its own transfers in
		 * flight) is not who exhausted it, often its victim: named only
		 * when it is the largest.
		 */
		if (!top[i].bytes || (i && top[i].bytes * 100 < totals.all.bytes * HOLDER_MIN_PCT))
			continue;
		c = culprit_at_front(f);
		c->pid = top[i].tgid;
		memcpy(c->comm, top[i].comm, sizeof(c->comm));
		c->cgroup = top[i].cgroup;
		c->netns = top[i].netns;
		c->count = top[i].sockets;
		c->unit = "sockets";
		c->bytes = top[i].bytes;
		c->why = top[i].reason != SNAP_REASON_NONE ? snap_reason_text(top[i].reason)
							   : "holds TCP memory";
	}
	free(top);
}

static void format_port(char *buf, size_t len, const struct tt_snap_sock *s)
{
	char ip[INET6_ADDRSTRLEN] = "*";
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(s->saddr, v4mapped, 12))
		inet_ntop(AF_INET, s->saddr + 12, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, s->saddr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, s->sport);
}

/* Listeners of the finding's namespace whose accept queue is full right now name themselves. */
static void add_full_listeners(struct finding *f, const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tt_snap_sock *s = &snap->socks[i];
		const struct tt_snap_file *owner;
		struct culprit *c;

		if (s->state != TCP_LISTEN || !s->max_backlog || s->recv_q < s->max_backlog ||
		    (f->holders_netns && s->netns != f->holders_netns))
			continue;
		owner = snap->owner[i] >= 0 ? &snap->files[snap->owner[i]] : NULL;
		c = culprit_at_front(f);
		c->pid = owner ? owner->tgid : 0;
		if (owner) {
			memcpy(c->comm, owner->comm, sizeof(c->comm));
			c->cgroup = owner->cgroup;
		}
		c->netns = s->netns;
		format_port(c->laddr, sizeof(c->laddr), s);
		c->count = s->recv_q;
		c->unit = "queued_connections";
		c->why = "its accept queue is full right now";
		finding_num(f, "accept_queue", s->recv_q);
		finding_num(f, "accept_queue_max", s->max_backlog);
	}
}

void enrich_finding(struct finding *f, const struct snapshot *snap)
{
	if (!snap)
		return;
	if (is_memory_cause(f->cause))
		add_memory_holders(f, snap);
	else if (!strcmp(f->cause, "listen_overflow"))
		add_full_listeners(f, snap);
}
