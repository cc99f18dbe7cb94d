// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory snapshot, grouped: the joined sockets (snapshot.c) summed into
 * holders by process, cgroup or network namespace, largest first, and the
 * totals of every socket reconciled against /proc/net/sockstat.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot_int.h"

/* --------------------------------------------------------- grouping */

static const struct tt_snap_file *owner_of(const struct snapshot *s, size_t i)
{
	return s->owner[i] >= 0 ? &s->files[s->owner[i]] : NULL;
}

static __u64 key_of(const struct snapshot *s, size_t i, enum snap_group by)
{
	const struct tt_snap_file *f = owner_of(s, i);

	if (by == SNAP_BY_NETNS)
		return s->socks[i].netns;
	if (!f)
		return 0;
	return by == SNAP_BY_CGROUP ? f->cgroup : f->tgid;
}

/* Descriptors of this process for the socket: dup()s and shared files count. */
static __u32 fds_of(const struct snapshot *s, size_t i)
{
	ssize_t k = s->owner[i];
	__u32 n = 0;

	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): k >= 0 indexes files */
	if (k < 0 || s->socks[i].kind == TT_SNAP_REQUEST || s->files[k].fd == SNAP_FD_CLOSED)
		return 0;
	for (size_t j = k; j < s->n_files && s->files[j].skaddr == s->files[k].skaddr &&
			   s->files[j].tgid == s->files[k].tgid; j++)
		n++;
	return n;
}

static void holder_add(struct snap_holder *h, const struct snapshot *s, size_t i,
		       __u64 *largest)
{
	const struct tt_snap_sock *r = &s->socks[i];
	const struct tt_snap_file *f = owner_of(s, i);
	__u64 bytes = snapshot_sock_bytes(r);

	if (f && !h->tgid) {
		h->tgid = f->tgid;
		h->cgroup = f->cgroup;
		memcpy(h->comm, f->comm, sizeof(h->comm));
	}
	if (f && f->fd == SNAP_FD_CLOSED)
		h->remembered = true;
	h->sockets++;
	if (!h->netns || bytes > *largest) {
		h->netns = r->netns;
		*largest = bytes;
	}
	h->fds += fds_of(s, i);
	h->orphans += !!(r->flags & TT_SNAP_F_ORPHAN);
	if (r->state < SNAP_TCP_STATES)
		h->states[r->state]++;
	h->rmem_alloc += r->rmem_alloc;
	h->wmem_queued += r->wmem_queued;
	h->forward_alloc += r->forward_alloc;
	h->wmem_alloc += r->wmem_alloc;
	h->recv_q += r->recv_q;
	h->send_q += r->send_q;
	h->bytes += bytes;
	h->reason_bytes[snapshot_sock_reason(r)] += bytes;
}

/* The class of sockets holding the most bytes (a plurality, unexplained included). */
static enum snap_reason holder_reason(const struct snap_holder *h)
{
	enum snap_reason best = SNAP_REASON_NONE;

	for (int c = SNAP_REASON_NONE + 1; c < SNAP_REASON_COUNT; c++)
		if (h->reason_bytes[c] > h->reason_bytes[best])
			best = c;
	return best;
}

static int holder_cmp_desc(const void *a, const void *b)
{
	const struct snap_holder *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->sockets != y->sockets)
		return x->sockets < y->sockets ? 1 : -1;
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/* Sockets by group key, then by owner; stable, so in snapshot order within an owner. */
static int sort_keys(const struct snapshot *s, enum snap_group by, struct sort_item *keys)
{
	for (size_t i = 0; i < s->n_socks; i++) {
		const struct tt_snap_file *f = owner_of(s, i);
		__u32 tgid = f ? f->tgid : 0;

		keys[i] = (struct sort_item){ .hi = key_of(s, i, by), .idx = i };
		/* by process, the key is the tgid already: sorting on it again changes nothing */
		keys[i].lo = by == SNAP_BY_PROCESS ? 0 : (__u64)tgid << 32;
	}
	return sort_items(keys, s->n_socks);
}

/*
 * One holder per run of equal keys (hi), sockets in it by owner (lo: tgid
 * above bit 32) then in snapshot order; processes = distinct owners in the run.
 */
static size_t aggregate_runs(const struct snapshot *s, const struct sort_item *keys, size_t n,
			     enum snap_group by, struct snap_holder *out)
{
	size_t nh = 0;

	for (size_t i = 0; i < n;) {
		struct snap_holder *h = &out[nh++];
		__u64 largest = 0;
		size_t j = i;

		memset(h, 0, sizeof(*h));
		for (; j < n && keys[j].hi == keys[i].hi; j++) {
			if (keys[j].lo && (j == i || keys[j].lo != keys[j - 1].lo))
				h->processes++;
			holder_add(h, s, keys[j].idx, &largest);
		}
		if (by == SNAP_BY_PROCESS) { /* sorted without the tgid: it is the key */
			h->processes = keys[i].hi != 0;
		} else { /* a group of processes has no one pid */
			h->tgid = 0;
			memset(h->comm, 0, sizeof(h->comm));
		}
		if (by == SNAP_BY_CGROUP)
			h->cgroup = keys[i].hi;
		else if (by == SNAP_BY_NETNS)
			h->netns = keys[i].hi;
		h->reason = holder_reason(h);
		i = j;
	}
	return nh;
}

ssize_t snapshot_group(const struct snapshot *s, enum snap_group by, size_t max,
		       struct snap_holder **out)
{
	struct sort_item *keys = malloc((s->n_socks ? s->n_socks : 1) * sizeof(*keys));
	struct snap_holder *h = NULL;
	size_t n = 0;

	if (keys && !sort_keys(s, by, keys)) {
		for (size_t i = 0; i < s->n_socks; i++)
			n += i == 0 || keys[i].hi != keys[i - 1].hi;
		h = calloc(n ? n : 1, sizeof(*h));
	}
	if (!h) {
		free(keys);
		return -ENOMEM;
	}
	n = aggregate_runs(s, keys, s->n_socks, by, h);
	free(keys);
	qsort(h, n, sizeof(*h), holder_cmp_desc);
	if (max && n > max)
		n = max;
	*out = h;
	return n;
}

/* Distinct processes holding sockets (the process holders with a pid). */
static __u32 count_processes(const struct snapshot *s)
{
	struct sort_item *tgids = calloc(s->n_socks ? s->n_socks : 1, sizeof(*tgids));
	size_t n = 0;
	__u32 procs = 0;

	if (!tgids)
		return 0;
	for (size_t i = 0; i < s->n_socks; i++) {
		const struct tt_snap_file *f = owner_of(s, i);

		if (f && f->tgid)
			tgids[n++].lo = f->tgid;
	}
	if (!sort_items(tgids, n))
		for (size_t i = 0; i < n; i++)
			procs += i == 0 || tgids[i].lo != tgids[i - 1].lo;
	free(tgids);
	return procs;
}

void snapshot_totals(const struct snapshot *s, struct snap_totals *t)
{
	__u64 largest = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < s->n_socks; i++) {
		holder_add(&t->all, s, i, &largest);
		t->timewait += s->socks[i].kind == TT_SNAP_TIMEWAIT;
		t->requests += s->socks[i].kind == TT_SNAP_REQUEST;
	}
	memset(t->all.comm, 0, sizeof(t->all.comm));
	t->all.tgid = 0;
	t->all.cgroup = 0;
	t->all.netns = 0;
	t->all.reason = holder_reason(&t->all);
	t->processes = count_processes(s);
	t->tolerance_bytes = (__s64)s->ncpus * s->pcpu_reserve_pages * s->page_size;
	t->sockstat_bytes = -1;
	if (s->sockstat.tcp_mem_pages >= 0) {
		t->sockstat_bytes = s->sockstat.tcp_mem_pages * s->page_size;
		t->difference_bytes = t->sockstat_bytes - (__s64)t->all.bytes;
	}
}
