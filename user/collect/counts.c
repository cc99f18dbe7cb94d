// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counts.h"
#include "cpustates.h"

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tt_count_key));
}

static int table_push(struct count_table *t, size_t *cap, const struct count_row *row)
{
	if (t->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct count_row *n = realloc(t->rows, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->rows = n;
		*cap = ncap;
	}
	t->rows[t->count++] = *row;
	return 0;
}

void counts_add_percpu(struct count_row *out, const struct tt_count_key *keys,
		       const struct tt_count_val *vals, size_t n, int ncpus)
{
	for (size_t i = 0; i < n; i++) {
		const struct tt_count_val *v = vals + i * ncpus;

		out[i] = (struct count_row){ .key = keys[i] };
		for (int c = 0; c < ncpus; c++) {
			out[i].events += v[c].events;
			out[i].amount += v[c].amount;
		}
	}
}

void counts_sort_merge(struct count_table *t)
{
	size_t n = 0;

	if (!t->count)
		return;
	qsort(t->rows, t->count, sizeof(*t->rows), key_cmp);
	for (size_t i = 1; i < t->count; i++) {
		struct count_row *last = &t->rows[n];

		if (!key_cmp(&last->key, &t->rows[i].key)) {
			last->events += t->rows[i].events;
			last->amount += t->rows[i].amount;
		} else {
			t->rows[++n] = t->rows[i];
		}
	}
	t->count = n + 1;
}

/* Room for n more rows. */
static int table_reserve(struct count_table *t, size_t *cap, size_t n)
{
	size_t ncap = *cap ? *cap : 256;
	struct count_row *rows;

	if (t->count + n <= *cap)
		return 0;
	while (ncap < t->count + n)
		ncap *= 2;
	rows = realloc(t->rows, ncap * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	t->rows = rows;
	*cap = ncap;
	return 0;
}

/* What the kernel returns for a map type without batch operations (not in errno.h). */
#define KERNEL_ENOTSUPP 524
#define DRAIN_BATCH 1024

/*
 * Kernels or maps without batch operations: nothing writes into the map, so
 * a walk by key is stable; read every entry, then delete each one read.
 */
static int drain_by_key(int fd, int ncpus, struct count_table *t, size_t *cap)
{
	struct tt_count_val *vals = calloc(ncpus, sizeof(*vals));
	struct tt_count_key key, last;
	size_t first = t->count, kept;
	int err = vals ? 0 : -ENOMEM;
	bool have_last = false;

	while (!err && !bpf_map_get_next_key(fd, have_last ? &last : NULL, &key)) {
		last = key;
		have_last = true;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		err = table_reserve(t, cap, 1);
		if (!err)
			counts_add_percpu(&t->rows[t->count++], &key, vals, 1, ncpus);
	}
	free(vals);
	/* a row whose key is not deleted is left out: it is read again next time */
	kept = first;
	for (size_t i = first; i < t->count; i++) {
		if (bpf_map_delete_elem(fd, &t->rows[i].key)) {
			err = err ? err : -errno;
			continue;
		}
		t->rows[kept++] = t->rows[i];
	}
	t->count = kept;
	return err;
}

/*
 * In batches: the cursor is a bucket index, so every entry is read once.  A
 * batch is deleted once its rows are in t; what could not be is left in the
 * map, to be read at the next drain.
 */
int counts_drain(int fd, struct count_table *t)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tt_count_key *keys = malloc(DRAIN_BATCH * sizeof(*keys));
	struct tt_count_val *vals = NULL;
	__u32 in = 0, out = 0, n;
	size_t cap = 0;
	int err = 0;
	bool first = true, last = false;

	memset(t, 0, sizeof(*t));
	if (ncpus > 0)
		vals = malloc((size_t)DRAIN_BATCH * ncpus * sizeof(*vals));
	if (!keys || !vals) {
		err = ncpus < 0 ? ncpus : -ENOMEM;
		goto out;
	}
	while (!last) {
		n = DRAIN_BATCH;
		if (bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL)) {
			err = -errno;
			if (first && (err == -EINVAL || err == -EOPNOTSUPP || err == -KERNEL_ENOTSUPP)) {
				err = drain_by_key(fd, ncpus, t, &cap);
				break;
			}
			if (err != -ENOENT)
				break;
			err = 0;
			last = true; /* n: the entries of the last buckets */
		}
		if (n && !(err = table_reserve(t, &cap, n))) {
			if (bpf_map_delete_batch(fd, keys, &n, NULL))
				err = -errno; /* n: how many were deleted, in order */
			counts_add_percpu(&t->rows[t->count], keys, vals, n, ncpus);
			t->count += n;
		}
		if (err)
			break;
		in = out;
		first = false;
	}
	counts_sort_merge(t);
out:
	free(keys);
	free(vals);
	return err;
}

/* The cache entries of generation gen in CPU states s, as rows of t (unsorted; room for each). */
static void cache_rows(const struct tt_cpu_state *s, int ncpus, __u32 gen, struct count_table *t,
		       uint64_t *events)
{
	for (int c = 0; c < ncpus; c++) {
		for (__u32 sig = 0; sig < TT_SIG_MAX; sig++) {
			const struct tt_count_cache *e = &s[c].count[(gen & 1) * TT_SIG_MAX + sig];

			if (e->gen != gen || !e->val.events)
				continue;
			t->rows[t->count++] = (struct count_row){ e->key, e->val.events, e->val.amount };
			*events += e->val.events;
		}
	}
}

/* Generation gen of the CPUs' caches, which nothing writes into now, into t. */
static int cache_drain(struct counts_pair *p, __u32 gen, struct count_table *t)
{
	int ncpus = 0;
	struct tt_cpu_state *s = cpu_states_read(p->cpu_states_fd, &ncpus);
	struct count_row *rows;

	if (!s)
		return -errno;
	rows = realloc(t->rows, (t->count + (size_t)ncpus * TT_SIG_MAX) * sizeof(*rows));
	if (!rows) {
		free(s);
		return -ENOMEM;
	}
	t->rows = rows;
	cache_rows(s, ncpus, gen, t, &p->cache_events);
	free(s);
	return 0;
}

/* The programs' generation of counts: gen. */
static int set_gen(struct counts_pair *p, __u32 gen)
{
	struct tt_ctl ctl = { .count_gen = gen };
	__u32 user = TT_CTL_USER;

	return bpf_map_update_elem(p->ctl_fd, &user, &ctl, BPF_ANY) ? -errno : 0;
}

int counts_swap_drain(struct counts_pair *p, struct count_table *t)
{
	__u32 old = p->gen, next = old + 1, slot = 0;
	int err, cache_err;

	memset(t, 0, sizeof(*t));
	err = set_gen(p, next);
	if (err)
		return err;
	/* returns once no program can still be adding to the map, or cache entry, it replaces */
	if (bpf_map_update_elem(p->slot_fd, &slot, &p->fds[next & 1], BPF_ANY)) {
		err = -errno;
		set_gen(p, old);
		return err;
	}
	p->gen = next;
	err = counts_drain(p->fds[old & 1], t);
	cache_err = cache_drain(p, old, t);
	counts_sort_merge(t);
	return err ? err : cache_err;
}

int counts_accumulate(struct count_table *acc, const struct count_table *add)
{
	struct count_table sum = {};
	size_t i = 0, j = 0, cap = 0;
	int err = 0;

	while (!err && (i < acc->count || j < add->count)) {
		int cmp = i == acc->count ? 1 : j == add->count ? -1 :
			  key_cmp(&acc->rows[i].key, &add->rows[j].key);
		struct count_row row = cmp <= 0 ? acc->rows[i] : add->rows[j];

		if (cmp == 0) {
			row.events += add->rows[j].events;
			row.amount += add->rows[j].amount;
		}
		i += cmp <= 0;
		j += cmp >= 0;
		err = table_push(&sum, &cap, &row);
	}
	if (err) {
		counts_free(&sum);
		return err;
	}
	counts_free(acc);
	*acc = sum;
	return 0;
}

void counts_free(struct count_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->count = 0;
}

static bool row_matches(const struct count_row *r, uint32_t signal, uint32_t sub, uint32_t netns)
{
	return r->key.signal == signal && (sub == ANY_SUB || r->key.sub == sub) &&
	       (netns == ANY_NETNS || r->key.netns == netns);
}

uint64_t counts_sum(const struct count_table *t, uint32_t signal, uint32_t sub, uint32_t netns,
		    bool amount)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->count; i++)
		if (row_matches(&t->rows[i], signal, sub, netns))
			sum += amount ? t->rows[i].amount : t->rows[i].events;
	return sum;
}

static int owner_cmp_desc(const void *a, const void *b)
{
	const struct owner_total *x = a, *y = b;

	if (x->events != y->events)
		return x->events < y->events ? 1 : -1;
	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

static struct owner_total *owner_find(struct owner_total *all, size_t n, const struct tt_count_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (all[i].tgid == k->tgid && all[i].netns == k->netns && all[i].cgroup == k->cgroup)
			return &all[i];
	return NULL;
}

size_t counts_by_owner(const struct count_table *t, uint32_t signal, uint32_t sub,
		       struct owner_total *out, size_t max)
{
	return counts_by_owner_in(t, signal, sub, ANY_NETNS, out, max);
}

size_t counts_by_owner_in(const struct count_table *t, uint32_t signal, uint32_t sub,
			  uint32_t netns, struct owner_total *out, size_t max)
{
	struct owner_total *all = calloc(t->count ? t->count : 1, sizeof(*all));
	size_t n = 0;

	if (!all)
		return 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct count_row *r = &t->rows[i];
		struct owner_total *o;

		if (!row_matches(r, signal, sub, netns))
			continue;
		o = owner_find(all, n, &r->key);
		if (!o) {
			o = &all[n++];
			o->tgid = r->key.tgid;
			o->netns = r->key.netns;
			o->cgroup = r->key.cgroup;
		}
		o->events += r->events;
		o->amount += r->amount;
	}
	qsort(all, n, sizeof(*all), owner_cmp_desc);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

size_t counts_netns_list(const struct count_table *t, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->count; i++) {
		uint32_t ns = t->rows[i].key.netns;
		size_t k = 0;

		while (k < n && out[k] != ns)
			k++;
		if (ns && k == n && n < max)
			out[n++] = ns;
	}
	return n;
}
