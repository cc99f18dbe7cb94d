// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "mapwalk.h"

/* What the kernel returns for a map type without batch operations (not in errno.h). */
#define KERNEL_ENOTSUPP 524

#define BATCH 1024

/* Entry by entry: kernels or maps without batch operations. */
static int walk_by_key(int fd, size_t key_size, size_t value_size, map_walk_fn fn, void *ctx)
{
	char *key = malloc(key_size), *last = malloc(key_size), *value = malloc(value_size);
	int err = key && last && value ? 0 : -ENOMEM, have_last = 0;

	while (!err && !bpf_map_get_next_key(fd, have_last ? last : NULL, key)) {
		char *tmp = last;

		last = key;
		key = tmp;
		have_last = 1;
		if (!bpf_map_lookup_elem(fd, last, value))
			err = fn(ctx, last, value) ? 1 : 0;
	}
	free(key);
	free(last);
	free(value);
	return err < 0 ? err : 0;
}

static int visit(const char *keys, const char *values, __u32 n, size_t key_size,
		 size_t value_size, map_walk_fn fn, void *ctx)
{
	for (__u32 i = 0; i < n; i++)
		if (fn(ctx, keys + i * key_size, values + i * value_size))
			return 1;
	return 0;
}

int map_walk(int fd, size_t key_size, size_t value_size, map_walk_fn fn, void *ctx)
{
	char *keys = malloc(BATCH * key_size), *values = malloc(BATCH * value_size);
	uint64_t in = 0, out = 0; /* the hash map's batch token is a bucket index */
	int err = keys && values ? 0 : -ENOMEM, first = 1, stop = 0;

	while (!err && !stop) {
		__u32 n = BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, values, &n, NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			if (first && (err == -EINVAL || err == -EOPNOTSUPP || err == -KERNEL_ENOTSUPP))
				err = 1; /* no batch operations here: walk key by key */
			break;
		}
		stop = visit(keys, values, n, key_size, value_size, fn, ctx) || err;
		err = 0;
		in = out;
		first = 0;
	}
	free(keys);
	free(values);
	return err == 1 ? walk_by_key(fd, key_size, value_size, fn, ctx) : err;
}
