// SPDX-License-Identifier: GPL-2.0
/*
 * The start-up seed (bpf/owner.bpf.c): the owners of the sockets open before
 * the agent started.  Its programs load in an object of their own that uses
 * the agent's maps, so that its parking map (seed_pending, as big as the
 * host's sockets in storage mode) is gone once the seed is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcptriage.h"
#include "tcptriage.skel.h"
#include "loader_int.h"
#include "mapsize.h"
#include "netns.h"

/* The namespaces of the sockets parked for their storage, each once. */
struct seed_namespaces {
	uint32_t *inodes;
	size_t count, cap;
};

struct seed {
	struct tcptriage_bpf *skel;
	struct seed_namespaces ns;
	uint64_t learned;
};

static bool seed_program(const struct bpf_program *p, bool in_storage)
{
	const char *name = bpf_program__name(p);

	return !strcmp(name, "seed_owners") ||
	       (in_storage && !strncmp(name, "seed_storage_", strlen("seed_storage_")));
}

/* Each of the object's maps: the agent's own, its own parking map, or none (unused here). */
static int seed_maps(const struct agent *a, struct tcptriage_bpf *skel)
{
	struct bpf_map *m, *theirs;

	bpf_object__for_each_map(m, skel->obj) {
		if (m == skel->maps.seed_pending) { /* unused in map mode */
			int ret = bpf_map__set_max_entries(m, a->owners_in_storage ?
							      seed_entries_for(a->host_sockets) : 1);

			if (ret)
				return ret;
			continue;
		}
		theirs = bpf_object__find_map_by_name(a->skel->obj, bpf_map__name(m));
		if (bpf_map__is_internal(m) || !theirs || bpf_map__fd(theirs) < 0 ||
		    bpf_map__type(m) == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
			bpf_map__set_autocreate(m, bpf_map__is_internal(m));
			continue;
		}
		if (bpf_map__reuse_fd(m, bpf_map__fd(theirs)))
			return -errno;
	}
	return 0;
}

static int seed_load(const struct agent *a, struct seed *s)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = a->btf_path);
	struct bpf_program *p;
	int ret;

	s->skel = tcptriage_bpf__open_opts(&oo);
	if (!s->skel)
		return -errno;
	bpf_object__for_each_program(p, s->skel->obj)
		bpf_program__set_autoload(p, seed_program(p, a->owners_in_storage));
	s->skel->rodata->owners_in_storage = a->owners_in_storage;
	ret = seed_maps(a, s->skel);
	return ret ? ret : tcptriage_bpf__load(s->skel);
}

static int namespace_note(struct seed_namespaces *ns, uint32_t inode)
{
	uint32_t *grown;

	for (size_t i = ns->count; i-- > 0;)
		if (ns->inodes[i] == inode)
			return 0;
	if (ns->count == ns->cap) {
		ns->cap = ns->cap ? 2 * ns->cap : 16;
		grown = realloc(ns->inodes, ns->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ns->inodes = grown;
	}
	ns->inodes[ns->count++] = inode;
	return 0;
}

/* Run an iterator made from fd to its end; *records: what it wrote, in units of size. */
static int iter_drain(int fd, size_t size, int (*each)(struct seed *, const void *),
		      struct seed *s, uint64_t *records)
{
	char buf[4096];
	ssize_t n = 0;
	int ret = 0;

	while (!ret && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (n % size) {
			ret = -EPROTO; /* one program's output is never split across reads */
			break;
		}
		for (ssize_t off = 0; !ret && off < n; off += size)
			ret = each ? each(s, buf + off) : 0;
		*records += n / size;
	}
	if (!ret && n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int seed_rec(struct seed *s, const void *data)
{
	const struct tt_seed_rec *r = data;

	if (!r->parked) {
		s->learned++;
		return 0;
	}
	return namespace_note(&s->ns, r->netns);
}

/* seed_owners: every socket file's owner, in `owners` or parked. */
static int seed_files(struct seed *s)
{
	struct bpf_link *link = bpf_program__attach_iter(s->skel->progs.seed_owners, NULL);
	uint64_t records = 0;
	int fd, ret;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	ret = fd < 0 ? -errno : iter_drain(fd, sizeof(struct tt_seed_rec), seed_rec, s, &records);
	bpf_link__destroy(link);
	return ret;
}

/* One socket iterator inside each namespace with parked owners: one byte out per owner placed. */
static int seed_storage_with(struct seed *s, const struct netns_list *l, struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	int ret = 0;

	if (!link)
		return -errno;
	for (size_t i = 0; !ret && i < s->ns.count; i++) {
		const struct netns_entry *e = netns_find(l, s->ns.inodes[i]);
		int fd = e ? netns_iter_create(e, bpf_link__fd(link)) : -ENOENT;

		/* a namespace gone meanwhile took its sockets with it */
		if (fd >= 0)
			ret = iter_drain(fd, 1, NULL, s, &s->learned);
		else if (fd != -ENOENT)
			ret = fd;
	}
	bpf_link__destroy(link);
	return ret;
}

static int seed_storage(struct seed *s)
{
	struct netns_list l;
	int ret;

	if (!s->ns.count)
		return 0;
	ret = netns_list_all(&l);
	if (ret)
		return ret;
	ret = seed_storage_with(s, &l, s->skel->progs.seed_storage_tcp);
	if (!ret)
		ret = seed_storage_with(s, &l, s->skel->progs.seed_storage_udp);
	netns_list_free(&l);
	return ret;
}

int agent__seed_owners(struct agent *agent, uint64_t *learned)
{
	struct seed s = {};
	int ret = seed_load(agent, &s);

	if (!ret)
		ret = seed_files(&s);
	if (!ret)
		ret = seed_storage(&s);
	*learned = s.learned;
	free(s.ns.inodes);
	tcptriage_bpf__destroy(s.skel);
	return ret;
}
