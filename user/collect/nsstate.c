// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nsstate.h"

#define PROC_NET "/proc/thread-self/net" /* the namespace this thread is in now */

static long sysctl_long(const char *path)
{
	long v;

	return sysctl_read_longs(path, &v, 1) == 1 ? v : -1;
}

/*
 * Limits change only when someone changes them: one reading in
 * LIMITS_EVERY_READINGS reads them, and not more often than every
 * LIMITS_EVERY_S.  A sysctl path lookup costs the kernel a walk over one
 * dentry per namespace, so on a host with a thousand namespaces reading them
 * at every reading was most of a tick.
 */
#define LIMITS_EVERY_S 5
#define LIMITS_EVERY_READINGS 5

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
}

int ns_read_current(struct ns_reading *r, bool limits)
{
	int64_t count;
	int err;

	counters_reset(&r->counters);
	counters_reset(&r->conntrack);
	err = counters_read_netns(&r->counters, PROC_NET);
	if (err)
		return err;
	conntrack_stat_read(PROC_NET "/stat/nf_conntrack", &r->conntrack); /* absent: no conntrack */
	if (sockstat_read(PROC_NET "/sockstat", &r->sockstat))
		memset(&r->sockstat, 0xff, sizeof(r->sockstat)); /* -1: unknown */
	if (limits)
		read_limits(&r->limits);
	/*
	 * Every reading: conntrack's level, from the stat file's "entries" (no
	 * sysctl open), and its limit, which operators change in an incident.
	 */
	if (counters_get(&r->conntrack, "entries", &count))
		count = -1;
	r->limits.conntrack_count = count;
	r->limits.conntrack_max = sysctl_long("/proc/sys/net/netfilter/nf_conntrack_max");
	return 0;
}

void ns_reading_free(struct ns_reading *r)
{
	counters_free(&r->counters);
	counters_free(&r->conntrack);
}

struct ns_visit {
	struct ns_reading *into;
	bool limits;
};

static int read_in_ns(void *ctx)
{
	struct ns_visit *v = ctx;

	return ns_read_current(v->into, v->limits);
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

static const char *const paced_counters[NS_PACED] = { "Tcp.OutRsts", "Tcp.RetransSegs" };

static int64_t counter_or_0(const struct ns_reading *r, const char *name)
{
	int64_t v = 0;

	counters_get(&r->counters, name, &v);
	return v;
}

static void pace_mark(struct ns_pace *p, const struct ns_reading *r, double at)
{
	for (int i = 0; i < NS_PACED; i++)
		p->mark[i] = counter_or_0(r, paced_counters[i]);
	p->mark_at = at;
}

/* The rate of paced counter i from the mark to reading r, over NS_PACE_MIN_S at least. */
static double pace_rate(const struct ns_pace *p, const struct ns_reading *r, double at, int i)
{
	int64_t grew = (int64_t)((uint64_t)counter_or_0(r, paced_counters[i]) - (uint64_t)p->mark[i]);
	double span = at - p->mark_at;

	return (double)grew / (span > NS_PACE_MIN_S ? span : NS_PACE_MIN_S);
}

/* A reading NS_PACE_MIN_S or more after the mark ends a stretch: keep its rates' peaks. */
static void pace_step(struct ns_pace *p, const struct ns_reading *r, double at)
{
	if (at - p->mark_at < NS_PACE_MIN_S)
		return;
	for (int i = 0; i < NS_PACED; i++) {
		double rate = pace_rate(p, r, at, i);

		p->peak_base[i] = rate > p->peak_base[i] ? rate : p->peak_base[i];
		p->peak_next[i] = rate > p->peak_next[i] ? rate : p->peak_next[i];
	}
	pace_mark(p, r, at);
}

/* The baseline becomes the reading from half a window ago; now's starts the next half. */
static int hop(struct ns_state *ns, double now)
{
	memcpy(ns->pace.peak_base, ns->pace.peak_next, sizeof(ns->pace.peak_base));
	memset(ns->pace.peak_next, 0, sizeof(ns->pace.peak_next));
	ns->base_at = ns->next_at;
	ns->next_at = now;
	if (reading_copy(&ns->base, &ns->next))
		return -ENOMEM;
	return reading_copy(&ns->next, &ns->cur);
}

static int refresh_one(struct ns_state *ns, const struct netns_entry *e, double now,
		       double window_s, bool initial)
{
	struct ns_visit visit = { &ns->cur, !ns->limits_at || (now - ns->limits_at >= LIMITS_EVERY_S &&
						       ns->readings % LIMITS_EVERY_READINGS == 0) };
	int err;

	ns->pid = e->pid;
	memcpy(ns->name, e->name, sizeof(ns->name));
	err = netns_run_in(e, read_in_ns, &visit);
	if (err)
		return err;
	ns->readings++;
	if (visit.limits)
		ns->limits_at = now > 0 ? now : 1e-9; /* 0: never read */
	return ns_took_reading(ns, now, window_s, initial);
}

int ns_took_reading(struct ns_state *ns, double now, double window_s, bool initial)
{
	ns->cur_at = now;
	if (ns->has_base) {
		pace_step(&ns->pace, &ns->cur, now);
		return window_s > 0 && now - ns->next_at >= window_s / 2 ? hop(ns, now) : 0;
	}
	ns->base_at = ns->next_at = now;
	ns->has_base = true;
	/* new since the start: empty baselines, counters from zero (its first stretch too) */
	if (initial && (reading_copy(&ns->base, &ns->cur) || reading_copy(&ns->next, &ns->cur)))
		return -ENOMEM;
	pace_mark(&ns->pace, &ns->base, now);
	return 0;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The listed namespace read longest ago (never read first), or NULL when all are read. */
static struct ns_state *stalest_unread(struct ns_table *t, const bool *done)
{
	struct ns_state *pick = NULL;

	for (size_t i = 0; i < t->count; i++) {
		struct ns_state *ns = &t->items[i];

		if (done[i] || !ns->seen)
			continue;
		if (!pick || (pick->has_base && (!ns->has_base || ns->cur_at < pick->cur_at)))
			pick = ns;
	}
	return pick;
}

/* Mark what is listed now as seen, adding what is new; each entry's path in list. */
static int mark_listed(struct ns_table *t, const struct netns_list *list, double now,
		       size_t *entry_of)
{
	for (size_t i = 0; i < t->count; i++)
		t->items[i].seen = false;
	for (size_t i = 0; i < list->count; i++) {
		struct ns_state *ns = find_mut(t, list->items[i].inode);

		if (!ns && !(ns = add(t, &list->items[i])))
			return -ENOMEM;
		ns->seen = true;
		ns->seen_at = now;
		entry_of[ns - t->items] = i;
	}
	return 0;
}

struct read_plan {
	const struct netns_list *list;
	const size_t *entry_of; /* the list entry of each table item */
	bool initial;		/* the first refresh: readings become baselines */
	double budget_s;	/* 0: no limit */
};

/* Read the stalest namespaces first until budget_s has passed (0: read them all). */
static void read_within(struct ns_table *t, const struct read_plan *p, double now, double window_s)
{
	bool *done = calloc(t->count ? t->count : 1, sizeof(*done));
	double start = monotonic_s();
	struct ns_state *ns;

	if (!done)
		return;
	while ((ns = stalest_unread(t, done))) {
		done[ns - t->items] = true;
		ns->read_err = refresh_one(ns, &p->list->items[p->entry_of[ns - t->items]], now,
					   window_s, p->initial);
		if (p->budget_s > 0 && monotonic_s() - start >= p->budget_s)
			break;
	}
	free(done);
}

int ns_table_refresh(struct ns_table *t, double now, double window_s, double budget_s)
{
	struct netns_list list;
	struct read_plan plan = { &list, NULL, t->count == 0, budget_s };
	size_t *entry_of;
	int err = netns_list_all(&list);

	if (err)
		return err;
	plan.entry_of = entry_of = calloc(t->count + list.count + 1, sizeof(*entry_of));
	err = entry_of ? mark_listed(t, &list, now, entry_of) : -ENOMEM;
	if (!err)
		read_within(t, &plan, now, window_s);
	free(entry_of);
	netns_list_free(&list);
	ns_table_evict(t, now, window_s);
	return err;
}

double ns_table_oldest_reading(const struct ns_table *t, double now)
{
	double oldest = 0;

	for (size_t i = 0; i < t->count; i++)
		if (t->items[i].seen && t->items[i].has_base && now - t->items[i].cur_at > oldest)
			oldest = now - t->items[i].cur_at;
	return oldest;
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

double ns_peak_rate(const struct ns_state *ns, const char *counter)
{
	for (int i = 0; i < NS_PACED; i++) {
		double last;

		if (strcmp(counter, paced_counters[i]))
			continue;
		last = pace_rate(&ns->pace, &ns->cur, ns->cur_at, i);
		return last > ns->pace.peak_base[i] ? last : ns->pace.peak_base[i];
	}
	return 0;
}
