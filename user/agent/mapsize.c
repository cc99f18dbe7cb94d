// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mapsize.h"

#define ENTRIES_MAX (1u << 31)

/* One "name:N" item of [s, end): its name in [s, colon) and N; -EINVAL if malformed. */
static int parse_item(const char *s, const char *end, const char **colon, uint32_t *n)
{
	unsigned long long v = 0;
	const char *p;

	*colon = memchr(s, ':', end - s);
	if (!*colon || *colon == s || *colon + 1 == end)
		return -EINVAL;
	for (p = *colon + 1; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > ENTRIES_MAX)
			return -EINVAL;
	}
	if (!v)
		return -EINVAL;
	*n = (uint32_t)v;
	return 0;
}

/* Visit every item; stops at the first malformed one, reported in [*bad, *bad_end). */
static int spec_find(const char *spec, const char *map, uint32_t *entries, const char **bad,
		     const char **bad_end)
{
	const char *s = spec;
	int found = 0;

	while (spec && *s) {
		const char *end = strchr(s, ','), *colon;
		uint32_t n;

		if (!end)
			end = s + strlen(s);
		if (parse_item(s, end, &colon, &n)) {
			*bad = s;
			*bad_end = end;
			return -EINVAL;
		}
		if (map && (size_t)(colon - s) == strlen(map) && !strncmp(s, map, colon - s)) {
			*entries = n;
			found = 1;
		}
		s = *end ? end + 1 : end;
		if (*end && !*s) { /* a trailing comma: an empty item */
			*bad = *bad_end = s;
			return -EINVAL;
		}
	}
	return found;
}

int map_entries_override(const char *spec, const char *map, uint32_t *entries)
{
	const char *bad, *bad_end;

	return spec_find(spec, map, entries, &bad, &bad_end);
}

int map_entries_spec_check(const char *spec, char *bad, size_t len)
{
	const char *b = NULL, *e = NULL;
	uint32_t unused;
	int ret = spec_find(spec, NULL, &unused, &b, &e);

	if (ret < 0)
		snprintf(bad, len, "'%.*s'", (int)(e - b), b);
	return ret < 0 ? ret : 0;
}

uint32_t owners_entries_for(uint64_t sockets, bool in_storage)
{
	uint32_t want = OWNERS_MIN;

	if (in_storage)
		return OWNERS_KEPT;
	while (want < OWNERS_MAX && want < 2 * sockets)
		want *= 2;
	return want;
}

uint32_t seed_entries_for(uint64_t sockets)
{
	return sockets + OWNERS_KEPT < OWNERS_MAX ? sockets + OWNERS_KEPT : OWNERS_MAX;
}

static uint64_t sockets_of(const struct sockstat *ss)
{
	if (ss->sockets_used >= 0)
		return ss->sockets_used;
	return (ss->tcp_inuse > 0 ? ss->tcp_inuse : 0) + (ss->udp_inuse > 0 ? ss->udp_inuse : 0);
}

size_t sockets_in_namespaces(const struct netns_list *l, sockstat_fn read, uint64_t *sockets)
{
	size_t unread = 0;

	*sockets = 0;
	for (size_t i = 0; i < l->count; i++) {
		struct sockstat ss;

		if (read(&l->items[i], &ss))
			unread++;
		else
			*sockets += sockets_of(&ss);
	}
	return unread;
}

struct sockstat_here {
	struct sockstat *ss;
};

static int read_here(void *ctx)
{
	struct sockstat_here *h = ctx;

	return sockstat_read("/proc/thread-self/net/sockstat", h->ss);
}

/* Through a process inside it, without entering it; else from inside (a named one). */
static int read_namespace(const struct netns_entry *e, struct sockstat *ss)
{
	struct sockstat_here h = { ss };
	char path[64];

	if (e->pid) {
		snprintf(path, sizeof(path), "/proc/%d/net/sockstat", (int)e->pid);
		if (!sockstat_read(path, ss))
			return 0; /* else the process is gone: try its path */
	}
	return netns_run_in(e, read_here, &h);
}

int host_sockets(uint64_t *sockets)
{
	struct netns_list l;
	int err = netns_list_all(&l);

	if (err)
		return err;
	sockets_in_namespaces(&l, read_namespace, sockets);
	netns_list_free(&l);
	return 0;
}
