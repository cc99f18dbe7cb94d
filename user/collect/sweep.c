// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "snapshot.h"
#include "sweep.h"
#include "tcptriage.h"
#include "tcptriage.skel.h"

/* One socket: the same address, file and state (its holder aside). */
static int swept_cmp(const struct swept_sock *x, const struct swept_sock *y)
{
	if (x->skaddr != y->skaddr)
		return x->skaddr < y->skaddr ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->state > y->state) - (x->state < y->state);
}

/* By socket, then holder: a socket shared by processes (fork) goes to the lowest tgid. */
static int by_sock_then_holder(const void *a, const void *b)
{
	const struct swept_sock *x = a, *y = b;
	int c = swept_cmp(x, y);

	return c ? c : (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/* Sort, then keep one entry per socket. */
static size_t unique_socks(struct swept_sock *s, size_t n)
{
	size_t kept = 0;

	qsort(s, n, sizeof(*s), by_sock_then_holder);
	for (size_t i = 0; i < n; i++)
		if (!kept || swept_cmp(&s[kept - 1], &s[i]))
			s[kept++] = s[i];
	return kept;
}

static __u32 max_u32(__u32 a, __u32 b)
{
	return a > b ? a : b;
}

/*
 * A socket seen before (cur's first_ns is now, as read): its first sighting
 * and a listener's marks carry over; the newer mark moves on a window after
 * it was taken (window_s 0: the marks stay at the first sweep).
 */
static void carry_one(const struct swept_sock *old, struct swept_sock *cur, double window_s)
{
	__u64 now_ns = cur->first_ns;

	cur->first_ns = old->first_ns;
	cur->mark_ns = old->mark_ns;
	cur->mark_drops = old->mark_drops;
	cur->older_drops = old->older_drops;
	cur->syn_peak_mark = max_u32(old->syn_peak_mark, cur->syn_queued);
	cur->syn_peak_older = max_u32(old->syn_peak_older, cur->syn_queued);
	if (window_s > 0 && now_ns >= old->mark_ns + (__u64)(window_s * 1e9)) {
		cur->older_drops = old->mark_drops;
		cur->mark_drops = cur->drops;
		cur->syn_peak_older = cur->syn_peak_mark;
		cur->syn_peak_mark = cur->syn_queued;
		cur->mark_ns = now_ns;
	}
}

/* Carry over from the last sweep's (sorted) sockets to this one's (sorted). */
static void carry(const struct sweep *s, struct swept_sock *cur, size_t n, double window_s)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		while (j < s->n && swept_cmp(&s->socks[j], &cur[i]) < 0)
			j++;
		if (j < s->n && !swept_cmp(&s->socks[j], &cur[i]))
			carry_one(&s->socks[j], &cur[i], window_s);
	}
}

/*
 * A record as first seen.  A listener new since the last sweep dropped all
 * it did since it began; one there at the first sweep, before it: unknown.
 */
static struct swept_sock first_sight(const struct sweep *s, const struct tt_aged_sock *rec,
				     __u64 now_ns)
{
	__u32 base = s->swept ? 0 : rec->drops;

	return (struct swept_sock){ .skaddr = rec->skaddr, .ino = rec->ino, .state = rec->state,
				    .netns = rec->netns, .tgid = rec->tgid, .first_ns = now_ns,
				    .drops = rec->drops, .mark_drops = base, .older_drops = base,
				    .syn_queued = rec->syn_queued, .syn_peak_mark = rec->syn_queued,
				    .syn_peak_older = rec->syn_queued, .backlog = rec->backlog,
				    .mark_ns = now_ns };
}

/* The sweep's records, one per socket, sorted; -errno. */
static int sweep_read(struct sweep *s, struct tcptriage_bpf *skel, __u64 now_ns,
		      struct swept_sock **out, size_t *n_out)
{
	const struct tt_aged_sock *rec;
	struct swept_sock *cur;
	void *data = NULL;
	size_t len = 0, n;
	int err;

	*out = NULL;
	*n_out = 0;
	if (!s->link) {
		s->link = bpf_program__attach_iter(skel->progs.sweep_aged, NULL);
		if (!s->link)
			return -errno;
	}
	err = iter_read_once(s->link, &data, &len);
	if (!err && len % sizeof(*rec))
		err = -EPROTO;
	n = err ? 0 : len / sizeof(*rec);
	cur = err ? NULL : calloc(n ? n : 1, sizeof(*cur));
	if (!err && !cur)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		rec = (const struct tt_aged_sock *)data + i;
		cur[i] = first_sight(s, rec, now_ns);
	}
	free(data);
	*out = cur;
	*n_out = err ? 0 : unique_socks(cur, n);
	return err;
}

int sweep_run(struct sweep *s, struct tcptriage_bpf *skel, __u64 now_ns, double window_s)
{
	struct swept_sock *cur;
	size_t n;
	int err = sweep_read(s, skel, now_ns, &cur, &n);

	if (err)
		return err;
	carry(s, cur, n, window_s);
	free(s->socks);
	s->socks = cur;
	s->n = n;
	s->swept = true;
	return 0;
}

void sweep_free(struct sweep *s)
{
	bpf_link__destroy(s->link);
	free(s->socks);
	*s = (struct sweep){ 0 };
}
