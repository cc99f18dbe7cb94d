// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "nsstate.h"

#define PROC_NET "/proc/thread-self/net" /* the namespace this thread is in now */

static long sysctl_long(const char *path)
{
	long v;

	return sysctl_read_longs(path, &v, 1) == 1 ? v : -1;
}

static void read_limits(struct ns_limits *l)
{
	l->tw_buckets_max = sysctl_long("/proc/sys/net/ipv4/tcp_max_tw_buckets");
	if (sysctl_read_longs("/proc/sys/net/ipv4/ip_local_port_range", l->port_range, 2) != 2)
		l->port_range[0] = l->port_range[1] = -1;
	l->somaxconn = sysctl_long("/proc/sys/net/core/somaxconn");
	l->max_syn_backlog = sysctl_long("/proc/sys/net/ipv4/tcp_max_syn_backlog");
	l->fin_timeout = sysctl_long("/proc/sys/net/ipv4/tcp_fin_timeout");
	l->syncookies = sysctl_long("/proc/sys/net/ipv4/tcp_syncookies");
	l->tw_reuse = sysctl_long("/proc/sys/net/ipv4/tcp_tw_reuse");
	l->conntrack_count = sysctl_long("/proc/sys/net/netfilter/nf_conntrack_count");
	l->conntrack_max = sysctl_long("/proc/sys/net/netfilter/nf_conntrack_max");
}

int ns_read_current(struct ns_reading *r)
{
	int err;

	counters_reset(&r->counters);
	counters_reset(&r->conntrack);
	err = counters_read_netns(&r->counters, PROC_NET);
	if (err)
		return err;
	conntrack_stat_read(PROC_NET "/stat/nf_conntrack", &r->conntrack); /* absent: no conntrack */
	if (sockstat_read(PROC_NET "/sockstat", &r->sockstat))
		memset(&r->sockstat, 0xff, sizeof(r->sockstat)); /* -1: unknown */
	read_limits(&r->limits);
	return 0;
}

void ns_reading_free(struct ns_reading *r)
{
	counters_free(&r->counters);
	counters_free(&r->conntrack);
}

static int read_in_ns(void *ctx)
{
	return ns_read_current(ctx);
}

static struct ns_state *find_mut(struct ns_table *t, uint32_t inode)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->items[i].inode == inode)
			return &t->items[i];
	return NULL;
}

const struct ns_state *ns_table_find(const struct ns_table *t, uint32_t inode)
{
	return find_mut((struct ns_table *)t, inode);
}

static struct ns_state *add(struct ns_table *t, const struct netns_entry *e)
{
	struct ns_state *n = realloc(t->items, (t->count + 1) * sizeof(*n));

	if (!n)
		return NULL;
	t->items = n;
	n = &t->items[t->count++];
	memset(n, 0, sizeof(*n));
	n->inode = e->inode;
	return n;
}

/* Copy a reading's values into dst, keeping dst's allocations. */
static int reading_copy(struct ns_reading *dst, const struct ns_reading *src)
{
	if (counters_copy(&dst->counters, &src->counters) ||
	    counters_copy(&dst->conntrack, &src->conntrack))
		return -ENOMEM;
	dst->sockstat = src->sockstat;
	dst->limits = src->limits;
	return 0;
}

/* The baseline becomes the reading from half a window ago; now's starts the next half. */
static int hop(struct ns_state *ns, double now)
{
	ns->base_at = ns->next_at;
	ns->next_at = now;
	if (reading_copy(&ns->base, &ns->next))
		return -ENOMEM;
	return reading_copy(&ns->next, &ns->cur);
}

static int refresh_one(struct ns_state *ns, const struct netns_entry *e, double now,
		       double window_s, bool initial)
{
	int err;

	ns->pid = e->pid;
	memcpy(ns->name, e->name, sizeof(ns->name));
	ns->seen = true;
	ns->seen_at = now;
	err = netns_run_in(e, read_in_ns, &ns->cur);
	if (err)
		return err;
	ns->cur_at = now;
	if (ns->has_base)
		return window_s > 0 && now - ns->next_at >= window_s / 2 ? hop(ns, now) : 0;
	ns->base_at = ns->next_at = now;
	ns->has_base = true;
	if (!initial)
		return 0; /* new since the start: empty baselines, counters from zero */
	if (reading_copy(&ns->base, &ns->cur))
		return -ENOMEM;
	return reading_copy(&ns->next, &ns->cur);
}

int ns_table_refresh(struct ns_table *t, double now, double window_s)
{
	struct netns_list list;
	bool initial = t->count == 0;
	int err = netns_list_all(&list);

	if (err)
		return err;
	for (size_t i = 0; i < t->count; i++)
		t->items[i].seen = false;
	for (size_t i = 0; i < list.count; i++) {
		struct ns_state *ns = find_mut(t, list.items[i].inode);

		if (!ns && !(ns = add(t, &list.items[i]))) {
			err = -ENOMEM;
			break;
		}
		ns->read_err = refresh_one(ns, &list.items[i], now, window_s, initial);
	}
	netns_list_free(&list);
	ns_table_evict(t, now, window_s);
	return err;
}

static void ns_state_free(struct ns_state *ns)
{
	ns_reading_free(&ns->base);
	ns_reading_free(&ns->next);
	ns_reading_free(&ns->cur);
}

void ns_table_evict(struct ns_table *t, double now, double window_s)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->count; i++) {
		struct ns_state *ns = &t->items[i];

		if (window_s > 0 && !ns->seen && now - ns->seen_at > window_s) {
			ns_state_free(ns);
			continue;
		}
		t->items[kept++] = *ns;
	}
	t->count = kept;
}

void ns_table_free(struct ns_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		ns_state_free(&t->items[i]);
	free(t->items);
	t->items = NULL;
	t->count = 0;
}

static int64_t set_delta(const struct counter_set *cur, const struct counter_set *base,
			 const char *name)
{
	int64_t a = 0, b = 0;

	if (counters_get(cur, name, &a))
		return 0;
	counters_get(base, name, &b);
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

int64_t ns_delta(const struct ns_state *ns, const char *counter)
{
	return set_delta(&ns->cur.counters, &ns->base.counters, counter);
}

int64_t ns_conntrack_delta(const struct ns_state *ns, const char *counter)
{
	return set_delta(&ns->cur.conntrack, &ns->base.conntrack, counter);
}

int64_t ns_table_delta_sum(const struct ns_table *t, const char *counter)
{
	int64_t sum = 0;

	for (size_t i = 0; t && i < t->count; i++)
		sum += ns_delta(&t->items[i], counter);
	return sum;
}

int64_t ns_conntrack_refusals(const struct ns_state *ns)
{
	return ns_conntrack_delta(ns, "drop") + ns_conntrack_delta(ns, "early_drop");
}

double ns_span(const struct ns_state *ns)
{
	return ns->cur_at - ns->base_at;
}
