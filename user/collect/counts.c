// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counts.h"

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

int counts_read(int map_fd, struct count_table *t)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tt_count_key key, last;
	bool have_last = false;
	struct tt_count_val *vals;
	size_t cap = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (ncpus < 0)
		return ncpus;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(map_fd, have_last ? &last : NULL, &key)) {
		struct count_row row = { .key = key };

		last = key;
		have_last = true;
		if (bpf_map_lookup_elem(map_fd, &key, vals))
			continue; /* deleted under us: nothing to count */
		for (int c = 0; c < ncpus; c++) {
			row.events += vals[c].events;
			row.amount += vals[c].amount;
		}
		err = table_push(t, &cap, &row);
		if (err)
			break;
	}
	free(vals);
	if (err) {
		counts_free(t);
		return err;
	}
	qsort(t->rows, t->count, sizeof(*t->rows), key_cmp);
	return 0;
}

int counts_delta(const struct count_table *prev, const struct count_table *cur,
		 struct count_table *delta)
{
	size_t i = 0, j = 0, cap = 0;

	memset(delta, 0, sizeof(*delta));
	for (; j < cur->count; j++) {
		struct count_row row = cur->rows[j];
		int cmp = 1;

		while (i < prev->count && (cmp = key_cmp(&prev->rows[i].key, &row.key)) < 0)
			i++;
		/* below the last reading: evicted from the LRU map and counting again */
		if (i < prev->count && cmp == 0 && row.events >= prev->rows[i].events) {
			row.events -= prev->rows[i].events;
			row.amount -= prev->rows[i].amount;
		}
		if (!row.events && !row.amount)
			continue;
		if (table_push(delta, &cap, &row)) {
			counts_free(delta);
			return -ENOMEM;
		}
	}
	return 0;
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
