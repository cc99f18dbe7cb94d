// SPDX-License-Identifier: GPL-2.0
/*
 * Counter sets: the named counters of /proc/net/{netstat,snmp} ("TcpExt:"
 * lines of names, then of values) and of /proc/net/stat/nf_conntrack (a
 * header of names, then hex values per CPU), merged into a counter_set.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "procfs_int.h"

#define CT_MAX_COLUMNS		64

static bool span_eq(struct span a, struct span b)
{
	return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

/* ---- counter sets ---- */

static int counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name, ((const struct counter *)b)->name);
}

/*
 * Sets are kept sorted by name: the rules look up a few dozen counters in
 * each of hundreds of namespaces every tick, so a lookup is a binary search.
 */
static struct counter *find_in(struct counter *items, size_t n, const char *name)
{
	struct counter key = { .value = 0 };

	if (!n)
		return NULL; /* bsearch() wants a base even for no items */
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, items, n, sizeof(*items), counter_cmp);
}

static struct counter *counters_find(const struct counter_set *cs, const char *name)
{
	return find_in(cs->items, cs->len, name);
}

static int counters_reserve(struct counter_set *cs, size_t need)
{
	size_t cap = cs->cap ? cs->cap : 64;
	struct counter *items;

	if (need <= cs->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	items = realloc(cs->items, cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	cs->items = items;
	cs->cap = cap;
	return 0;
}

/* Append without looking for duplicates: for the private staging set. */
static int counters_append(struct counter_set *cs, const char *name,
			   int64_t value)
{
	struct counter *c;
	int err;

	err = counters_reserve(cs, cs->len + 1);
	if (err)
		return err;
	c = &cs->items[cs->len++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->value = value;
	return 0;
}

/* Keep one counter of each name (the last file's), sorted. */
static void counters_sort_unique(struct counter_set *cs)
{
	size_t kept = 0;

	qsort(cs->items, cs->len, sizeof(*cs->items), counter_cmp);
	for (size_t i = 0; i < cs->len; i++) {
		if (kept && !counter_cmp(&cs->items[kept - 1], &cs->items[i]))
			kept--;
		cs->items[kept++] = cs->items[i];
	}
	cs->len = kept;
}

/* Update or append every staged counter, then sort what was appended in. */
static int counters_merge(struct counter_set *cs, const struct counter_set *staged)
{
	size_t sorted = cs->len;
	struct counter *c;
	int err;

	err = counters_reserve(cs, cs->len + staged->len);
	if (err)
		return err;
	for (size_t i = 0; i < staged->len; i++) {
		c = find_in(cs->items, sorted, staged->items[i].name);
		if (!c)
			c = &cs->items[cs->len++];	/* reserved above */
		*c = staged->items[i];
	}
	if (cs->len != sorted)
		counters_sort_unique(cs);
	return 0;
}

static bool join_name(char out[COUNTER_NAME_MAX], struct span prefix,
		      struct span name)
{
	int n = snprintf(out, COUNTER_NAME_MAX, "%.*s.%.*s", (int)prefix.n,
			 prefix.p, (int)name.n, name.p);

	return n > 0 && n < COUNTER_NAME_MAX;
}

/* One "Prefix: names..." line and its "Prefix: values..." line. */
static int parse_counter_pair(struct counter_set *staged, struct span names,
			      struct span values)
{
	struct span name_prefix, value_prefix, name, value;
	char full[COUNTER_NAME_MAX];
	bool more_names, more_values;
	int64_t v;
	int err;

	if (!take_line_prefix(&names, &name_prefix) ||
	    !take_line_prefix(&values, &value_prefix) ||
	    !span_eq(name_prefix, value_prefix))
		return -EINVAL;
	for (;;) {
		more_names = next_token(&names, &name);
		more_values = next_token(&values, &value);
		if (more_names != more_values)
			return -EINVAL;
		if (!more_names)
			return 0;
		err = parse_i64(value, &v);
		if (err)
			return err;
		if (!join_name(full, name_prefix, name))
			continue;	/* nothing we look up is that long */
		err = counters_append(staged, full, v);
		if (err)
			return err;
	}
}

static int parse_counter_text(struct counter_set *staged, const char *text)
{
	struct span names, values;
	int err;

	while (next_content_line(&text, &names)) {
		if (!next_content_line(&text, &values))
			return -EINVAL;
		err = parse_counter_pair(staged, names, values);
		if (err)
			return err;
	}
	return 0;
}

int counters_parse(struct counter_set *cs, const char *text)
{
	struct counter_set staged = { 0 };
	int err;

	err = parse_counter_text(&staged, text);
	if (!err)
		err = counters_merge(cs, &staged);
	counters_free(&staged);
	return err;
}

int counters_get(const struct counter_set *cs, const char *name, int64_t *out)
{
	const struct counter *c = counters_find(cs, name);

	if (!c)
		return -ENOENT;
	*out = c->value;
	return 0;
}

void counters_reset(struct counter_set *cs)
{
	cs->len = 0;
}

int counters_copy(struct counter_set *dst, const struct counter_set *src)
{
	counters_reset(dst);
	return counters_merge(dst, src);
}

void counters_free(struct counter_set *cs)
{
	free(cs->items);
	cs->items = NULL;
	cs->len = 0;
	cs->cap = 0;
}

int counters_read_file(struct counter_set *cs, const char *path)
{
	char *text;
	int err;

	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = counters_parse(cs, text);
	free(text);
	return err;
}

static int stage_counter_file(struct counter_set *staged, const char *dir,
			      const char *file)
{
	char path[PATH_MAX], *text;
	int n, err;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = parse_counter_text(staged, text);
	free(text);
	return err;
}

int counters_read_netns(struct counter_set *cs, const char *proc_net_dir)
{
	struct counter_set staged = { 0 };
	int err;

	err = stage_counter_file(&staged, proc_net_dir, "netstat");
	if (!err)
		err = stage_counter_file(&staged, proc_net_dir, "snmp");
	if (!err)
		err = counters_merge(cs, &staged);
	counters_free(&staged);
	return err;
}

/* ---- /proc/net/stat/nf_conntrack ---- */

static int parse_hex_u64(struct span tok, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	char c;

	if (!tok.n || tok.n > 16)
		return -EINVAL;
	for (i = 0; i < tok.n; i++) {
		c = tok.p[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

struct ct_table {
	struct span names[CT_MAX_COLUMNS];
	uint64_t sums[CT_MAX_COLUMNS];
	size_t ncols;
	size_t rows;
};

static int ct_parse_header(struct ct_table *t, struct span line)
{
	struct span tok;

	while (next_token(&line, &tok)) {
		if (t->ncols == CT_MAX_COLUMNS)
			return -E2BIG;
		t->names[t->ncols++] = tok;
	}
	return 0;
}

static int ct_add_row(struct ct_table *t, struct span line)
{
	struct span tok;
	uint64_t v;
	size_t col;

	for (col = 0; next_token(&line, &tok); col++) {
		if (col == t->ncols || parse_hex_u64(tok, &v))
			return -EINVAL;
		/* "entries" is the global count, repeated on every CPU line. */
		if (t->rows == 0 || !span_is(t->names[col], "entries"))
			t->sums[col] += v;
	}
	if (col != t->ncols)
		return -EINVAL;
	t->rows++;
	return 0;
}

static int ct_stage(const struct ct_table *t, struct counter_set *staged)
{
	char name[COUNTER_NAME_MAX];
	size_t col;
	int err;

	for (col = 0; col < t->ncols; col++) {
		if (!span_to_cstr(t->names[col], name, sizeof(name)))
			continue;
		err = counters_append(staged, name, (int64_t)t->sums[col]);
		if (err)
			return err;
	}
	return 0;
}

int conntrack_stat_parse(const char *text, struct counter_set *cs)
{
	struct counter_set staged = { 0 };
	struct ct_table t = { 0 };
	struct span line;
	int err;

	if (!next_content_line(&text, &line))
		return -EINVAL;
	err = ct_parse_header(&t, line);
	while (!err && next_content_line(&text, &line))
		err = ct_add_row(&t, line);
	if (!err && t.rows == 0)
		err = -EINVAL;
	if (!err)
		err = ct_stage(&t, &staged);
	if (!err)
		err = counters_merge(cs, &staged);
	counters_free(&staged);
	return err;
}

int conntrack_stat_read(const char *path, struct counter_set *cs)
{
	char *text;
	int err;

	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = conntrack_stat_parse(text, cs);
	free(text);
	return err;
}
