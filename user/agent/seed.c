// SPDX-License-Identifier: GPL-2.0
/*
 * The start-up seed (bpf/owner.bpf.c): the owners of the sockets open before
 * the agent started.  In storage mode its parking map, as big as the host's
 * sockets, is made here, put in the agent's seed_slot for the seed, and
 * freed after: the agent keeps only the slot.
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
	bool udp_only;
	struct seed_namespaces ns;
	int pending_fd; /* the parking map, -1 in map mode */
	uint64_t learned;
};

/*
 * The parking map, typed as the slot's template (bpf/owner.bpf.c
 * tt_seed_map): the key and value of `owners`, from the object's BTF (6.1
 * compares what a map made without BTF lacks).
 */
static int pending_create(const struct agent *a)
{
	struct bpf_map *owners = a->skel->maps.owners;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .btf_fd = bpf_object__btf_fd(a->skel->obj),
		    .btf_key_type_id = bpf_map__btf_key_type_id(owners),
		    .btf_value_type_id = bpf_map__btf_value_type_id(owners),
		    .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "seed_pending", sizeof(__u64),
				sizeof(struct tt_owner), seed_entries_for(a->host_sockets), &opts);

	return fd < 0 ? -errno : fd;
}

/* In storage mode, the parking map into the slot. */
static int pending_install(const struct agent *a, struct seed *s)
{
	__u32 slot = 0;

	s->pending_fd = -1;
	if (!a->owners_in_storage)
		return 0;
	s->pending_fd = pending_create(a);
	if (s->pending_fd < 0)
		return s->pending_fd;
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.seed_slot), &slot, &s->pending_fd, BPF_ANY))
		return -errno;
	return 0;
}

/* Out of the slot and freed, with what never found its socket. */
static void pending_remove(struct seed *s)
{
	__u32 slot = 0;

	if (s->pending_fd < 0)
		return;
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.seed_slot), &slot);
	close(s->pending_fd);
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

/*
 * Run an iterator made from fd to its end, each record of size to each(), or
 * (each NULL) only counted into s->learned.
 */
static int iter_drain(int fd, size_t size, int (*each)(struct seed *, const void *),
		      struct seed *s)
{
	char buf[4096];
	ssize_t n = 0;
	int ret = 0;

	while (!ret && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (n % size) {
			ret = -EPROTO; /* one program's output is never split across reads */
			break;
		}
		if (!each)
			s->learned += n / size;
		for (ssize_t off = 0; each && !ret && off < n; off += size)
			ret = each(s, buf + off);
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
	int fd, ret;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	ret = fd < 0 ? -errno : iter_drain(fd, sizeof(struct tt_seed_rec), seed_rec, s);
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
			ret = iter_drain(fd, 1, NULL, s);
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
	if (!s->udp_only)
		ret = seed_storage_with(s, &l, s->skel->progs.seed_storage_tcp);
	if (!ret)
		ret = seed_storage_with(s, &l, s->skel->progs.seed_storage_udp);
	netns_list_free(&l);
	return ret;
}

int agent__seed_owners(struct agent *agent, bool udp_only, uint64_t *learned)
{
	struct seed s = { .skel = agent->skel, .udp_only = udp_only };
	int ret;

	s.skel->bss->seed_udp_only = udp_only; /* read by seed_owners only */
	ret = pending_install(agent, &s);

	if (!ret)
		ret = seed_files(&s);
	if (!ret)
		ret = seed_storage(&s);
	pending_remove(&s);
	*learned = s.learned;
	free(s.ns.inodes);
	return ret;
}
