// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory snapshot, taken: the records read from the kernel, then
 * joined (snapshot.c).  iter/tcp sees only the network namespace of the
 * thread that creates the iterator, so the snapshot enters every namespace it
 * can find (/proc/<pid>/ns/net and the files in /run/netns), creates the
 * iterator there and comes straight back; the reading happens at home.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcptriage.h"
#include "tcptriage.skel.h"
#include "netns.h"
#include "procfs.h"
#include "snapshot_int.h"

/* ----------------------------------------------------- reading records */

struct recbuf {
	char *data;
	size_t len, cap;
};

static int recbuf_read_fd(struct recbuf *b, int fd)
{
	for (;;) {
		ssize_t n;

		if (b->cap - b->len < 16384) {
			size_t cap = b->cap ? b->cap * 2 : (size_t)256 * 1024;
			char *p = realloc(b->data, cap);

			if (!p)
				return -ENOMEM;
			b->data = p;
			b->cap = cap;
		}
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b->len += n;
	}
}

int snapshot_check_records(const void *data, size_t len, __u32 type, size_t size)
{
	if (len % size)
		return -EPROTO;
	for (size_t off = 0; off < len; off += size) {
		const struct tt_snap_hdr *h = (const void *)((const char *)data + off);

		if (h->type != type || h->size != size)
			return -EPROTO;
	}
	return 0;
}

static int read_iter(struct bpf_link *link, struct recbuf *b)
{
	int fd = bpf_iter_create(bpf_link__fd(link)), ret;

	if (fd < 0)
		return -errno;
	ret = recbuf_read_fd(b, fd);
	close(fd);
	return ret;
}

/* ---------------------------------------------------- network namespaces */

/* Sockets of one namespace into b; -ENOENT when it went away meanwhile. */
static int read_socks_in(struct bpf_link *link, const struct netns_entry *ns, struct recbuf *b)
{
	int fd = netns_iter_create(ns, bpf_link__fd(link)), ret;

	if (fd < 0)
		return fd;
	ret = recbuf_read_fd(b, fd);
	close(fd);
	return ret;
}

struct netns_counts {
	size_t read, vanished;
};

static int read_all_socks(struct bpf_link *link, __u32 only, const struct netns_pause *pause,
			  struct recbuf *b, struct netns_counts *c)
{
	const struct netns_entry *one = NULL;
	struct netns_list l;
	int ret = netns_list_all(&l);

	if (ret)
		return ret;
	if (only && !(one = netns_find(&l, only)))
		ret = -ENOENT;
	for (size_t i = 0; !ret && i < l.count; i++) {
		if (one && &l.items[i] != one)
			continue;
		if (pause && pause->fn && i)
			pause->fn(pause->ctx);
		ret = read_socks_in(link, &l.items[i], b);
		if (ret == -ENOENT) {
			c->vanished++;
			ret = 0;
		} else if (!ret) {
			c->read++;
		}
	}
	netns_list_free(&l);
	return ret;
}

int iter_read_once(struct bpf_link *link, void **data, size_t *len)
{
	struct recbuf b = { 0 };
	int ret = read_iter(link, &b);

	if (ret) {
		free(b.data);
		return ret;
	}
	*data = b.data;
	*len = b.len;
	return 0;
}

/* ------------------------------------------------------------- take */

/*
 * Who closed sock r leaving unsent data, if the agent remembers: the
 * socket's storage named it in the record (closer_tgid; its name and cgroup
 * from procs), or `owners` has it by address (map mode).  0 when found.
 */
static int remembered_owner(struct tcptriage_bpf *skel, const struct tt_snap_sock *r,
			    struct tt_owner *o)
{
	struct tt_proc p;

	memset(o, 0, sizeof(*o));
	if (!r->closer_tgid)
		return bpf_map__lookup_elem(skel->maps.owners, &r->skaddr, sizeof(r->skaddr), o,
					    sizeof(*o), 0) || !o->tgid ? -ENOENT : 0;
	o->tgid = r->closer_tgid;
	if (!bpf_map__lookup_elem(skel->maps.procs, &o->tgid, sizeof(o->tgid), &p, sizeof(p), 0)) {
		o->cgroup = p.cgroup;
		memcpy(o->comm, p.comm, sizeof(o->comm));
	}
	return 0;
}

/* Sockets closed by their process: the agent may remember who that was. */
static int add_remembered_owners(struct snapshot *s, struct tcptriage_bpf *skel)
{
	struct tt_snap_file *files;
	size_t extra = 0;

	if (bpf_map__fd(skel->maps.owners) < 0) /* not created: no agent, nothing remembered */
		return 0;
	for (size_t i = 0; i < s->n_socks; i++)
		extra += s->owner[i] < 0 && s->socks[i].kind == TT_SNAP_FULL;
	if (!extra)
		return 0;
	files = realloc(s->files, (s->n_files + extra) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	s->files = files;
	for (size_t i = 0; i < s->n_socks; i++) {
		struct tt_snap_file *f = &s->files[s->n_files];
		struct tt_owner o;

		if (s->owner[i] >= 0 || s->socks[i].kind != TT_SNAP_FULL ||
		    remembered_owner(skel, &s->socks[i], &o))
			continue;
		*f = (struct tt_snap_file){ .hdr = { TT_SNAP_FILE, sizeof(*f) }, .tgid = o.tgid,
					    .fd = SNAP_FD_CLOSED, .cgroup = o.cgroup,
					    .skaddr = s->socks[i].skaddr };
		memcpy(f->comm, o.comm, sizeof(f->comm));
		s->owner[i] = s->n_files++;
	}
	return 0;
}

static void read_host_context(struct snapshot *s)
{
	long rsv;

	s->page_size = sysconf(_SC_PAGESIZE);
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus < 1)
		s->ncpus = 1;
	if (sysctl_read_longs("/proc/sys/net/core/mem_pcpu_rsv", &rsv, 1) == 1)
		s->pcpu_reserve_pages = rsv;
	clock_gettime(CLOCK_REALTIME, &s->taken);
}

/* What is read from the kernel in one go, before it is joined. */
struct reading {
	struct recbuf socks, files;
	struct netns_counts netns;
	struct sockstat sockstat;
};

/* Right after the socket walks, so that both readings are as close as can be. */
static void read_tcp_memory(struct reading *r)
{
	if (sockstat_read("/proc/net/sockstat", &r->sockstat))
		r->sockstat.tcp_mem_pages = -1;
}

/* Socket records of every namespace (or one), TCP memory, then every socket file. */
static int read_records(struct tcptriage_bpf *skel, const struct snapshot_opts *opts,
			struct reading *r)
{
	struct bpf_link *tcp, *task;
	int ret;

	tcp = bpf_program__attach_iter(skel->progs.snapshot_tcp, NULL);
	if (!tcp)
		return -errno;
	task = bpf_program__attach_iter(skel->progs.snapshot_files, NULL);
	if (!task) {
		ret = -errno;
		goto cleanup;
	}
	ret = read_all_socks(tcp, opts->netns, &opts->pause, &r->socks, &r->netns);
	read_tcp_memory(r);
	if (!ret)
		ret = read_iter(task, &r->files);
	if (!ret)
		ret = snapshot_check_records(r->socks.data, r->socks.len, TT_SNAP_SOCK,
					     sizeof(struct tt_snap_sock));
	if (!ret)
		ret = snapshot_check_records(r->files.data, r->files.len, TT_SNAP_FILE,
					     sizeof(struct tt_snap_file));
	bpf_link__destroy(task);
cleanup:
	bpf_link__destroy(tcp);
	return ret;
}

int snapshot_take(struct tcptriage_bpf *skel, const struct snapshot_opts *opts,
		  struct snapshot **out)
{
	struct reading r = {};
	struct snapshot *s = NULL;
	int ret;

	ret = read_records(skel, opts, &r);
	if (!ret) { /* the records as read: no copy */
		ret = snapshot_adopt((void *)r.socks.data, r.socks.len / sizeof(struct tt_snap_sock),
				     (void *)r.files.data, r.files.len / sizeof(struct tt_snap_file),
				     &s);
	} else {
		free(r.socks.data);
		free(r.files.data);
	}
	if (!ret)
		ret = add_remembered_owners(s, skel);
	if (ret) {
		snapshot_free(s);
		return ret;
	}
	s->netns_read = r.netns.read;
	s->netns_vanished = r.netns.vanished;
	s->partial = opts->netns != 0;
	s->sockstat = r.sockstat;
	read_host_context(s);
	*out = s;
	return 0;
}
