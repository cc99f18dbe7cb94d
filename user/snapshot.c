// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory snapshot.  iter/tcp sees only the network namespace of the
 * thread that creates the iterator, so the snapshot enters every namespace it
 * can find (/proc/<pid>/ns/net and the files in /run/netns), creates the
 * iterator there and comes straight back; the reading happens at home.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcptriage.h"
#include "tcptriage.skel.h"
#include "netns.h"
#include "snapshot.h"

/* ------------------------------------------------------------ names */

static const char *const state_ids[SNAP_TCP_STATES] = {
	[1] = "established", [2] = "syn_sent",   [3] = "syn_recv",   [4] = "fin_wait1",
	[5] = "fin_wait2",   [6] = "time_wait",  [7] = "close",      [8] = "close_wait",
	[9] = "last_ack",    [10] = "listen",    [11] = "closing",   [12] = "new_syn_recv",
};

static const char *const state_ss[SNAP_TCP_STATES] = {
	[1] = "ESTAB",      [2] = "SYN-SENT",   [3] = "SYN-RECV", [4] = "FIN-WAIT-1",
	[5] = "FIN-WAIT-2", [6] = "TIME-WAIT",  [7] = "UNCONN",   [8] = "CLOSE-WAIT",
	[9] = "LAST-ACK",   [10] = "LISTEN",    [11] = "CLOSING", [12] = "NEW-SYN-RECV",
};

static const char *const reason_ids[SNAP_REASON_COUNT] = {
	[SNAP_REASON_NONE] = "none",
	[SNAP_REASON_UNREAD_RECV] = "unread_receive_queue",
	[SNAP_REASON_ZERO_WINDOW] = "zero_window_send_queue",
	[SNAP_REASON_ORPHAN_UNSENT] = "orphaned_unsent_data",
};

static const char *const reason_texts[SNAP_REASON_COUNT] = {
	[SNAP_REASON_NONE] = "",
	[SNAP_REASON_UNREAD_RECV] = "unread receive queue",
	[SNAP_REASON_ZERO_WINDOW] = "send queue to a peer with a zero window",
	[SNAP_REASON_ORPHAN_UNSENT] = "orphaned with unsent data",
};

static const char *const group_names[] = { "process", "cgroup", "netns" };

const char *snap_state_id(unsigned int state)
{
	return state < SNAP_TCP_STATES && state_ids[state] ? state_ids[state] : "unknown";
}

const char *snap_state_ss(unsigned int state)
{
	return state < SNAP_TCP_STATES && state_ss[state] ? state_ss[state] : "UNKNOWN";
}

const char *snap_reason_id(enum snap_reason r)
{
	return r < SNAP_REASON_COUNT ? reason_ids[r] : "none";
}

const char *snap_reason_text(enum snap_reason r)
{
	return r < SNAP_REASON_COUNT ? reason_texts[r] : "";
}

const char *snap_group_name(enum snap_group by)
{
	return by <= SNAP_BY_NETNS ? group_names[by] : "?";
}

/* ------------------------------------------------------- per socket */

__u64 snapshot_sock_bytes(const struct tt_snap_sock *r)
{
	__s64 b = (__s64)r->rmem_alloc + r->wmem_queued + r->forward_alloc;

	return b > 0 ? b : 0;
}

/* Data bytes in the send queue: a SYN and a FIN take a sequence number each. */
static __u32 send_q_data(const struct tt_snap_sock *r)
{
	switch (r->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return 0; /* and snd_wnd is not the peer's yet */
	case TCP_FIN_WAIT1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return r->send_q ? r->send_q - 1 : 0;
	default:
		return r->send_q;
	}
}

enum snap_reason snapshot_sock_reason(const struct tt_snap_sock *r)
{
	if (r->kind != TT_SNAP_FULL || r->state == TCP_LISTEN)
		return SNAP_REASON_NONE;
	if ((r->flags & TT_SNAP_F_ORPHAN) && send_q_data(r) > 0)
		return SNAP_REASON_ORPHAN_UNSENT;
	if (r->snd_wnd == 0 && send_q_data(r) > 0)
		return SNAP_REASON_ZERO_WINDOW;
	if (r->recv_q >= SNAP_UNREAD_RECV_BYTES)
		return SNAP_REASON_UNREAD_RECV;
	return SNAP_REASON_NONE;
}

/* ---------------------------------------------------------- sorting */

/*
 * Sorting 100k records through qsort() and a comparator was a good part of a
 * snapshot's time: keys are sorted here instead, (hi, lo) ascending, by an
 * LSD radix sort (stable, O(n)), one byte a pass, skipping bytes every key
 * has the same (the top of kernel addresses, of pids and of fds).
 */
struct sort_item {
	__u64 hi, lo;
	size_t idx; /* what the key belongs to */
};

static __u8 sort_byte(const struct sort_item *it, unsigned int b)
{
	return b < 8 ? it->lo >> (8 * b) : it->hi >> (8 * (b - 8));
}

static int sort_items(struct sort_item *a, size_t n)
{
	size_t (*count)[256];
	struct sort_item *tmp, *src = a, *dst;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	count = calloc(16, sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return -ENOMEM;
	}
	dst = tmp;
	for (size_t i = 0; i < n; i++) {
		for (unsigned int b = 0; b < 8; b++) {
			count[b][(a[i].lo >> (8 * b)) & 0xff]++;
			count[b + 8][(a[i].hi >> (8 * b)) & 0xff]++;
		}
	}
	for (unsigned int b = 0; b < 16; b++) {
		struct sort_item *t;
		size_t sum = 0;

		if (count[b][sort_byte(&a[0], b)] == n)
			continue; /* every key has this byte */
		for (unsigned int v = 0; v < 256; v++) {
			size_t c = count[b][v];

			count[b][v] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[b][sort_byte(&src[i], b)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
	free(count);
	return 0;
}

/* ------------------------------------------------------------- join */

/* Files sorted by socket, then tgid, then fd (fds_of() counts a run of them). */
static int sort_files(struct snapshot *s)
{
	struct sort_item *it = malloc((s->n_files ? s->n_files : 1) * sizeof(*it));
	struct tt_snap_file *sorted = malloc((s->n_files ? s->n_files : 1) * sizeof(*sorted));
	int ret = -ENOMEM;

	if (!it || !sorted)
		goto out;
	for (size_t j = 0; j < s->n_files; j++) {
		const struct tt_snap_file *f = &s->files[j];

		it[j] = (struct sort_item){ .hi = f->skaddr, .lo = (__u64)f->tgid << 32 | f->fd,
					    .idx = j };
	}
	ret = sort_items(it, s->n_files);
	if (ret)
		goto out;
	for (size_t j = 0; j < s->n_files; j++)
		sorted[j] = s->files[it[j].idx];
	free(s->files);
	s->files = sorted;
	sorted = NULL;
out:
	free(sorted);
	free(it);
	return ret;
}

/*
 * Owner of each socket: the first file of it (a request sock belongs to
 * whoever holds its listener).  Sockets are sorted by the address looked up
 * and merged with the sorted files in one pass.
 */
static int join_owners(struct snapshot *s)
{
	struct sort_item *it;
	size_t j = 0;
	int ret = sort_files(s);

	if (ret)
		return ret;
	it = malloc((s->n_socks ? s->n_socks : 1) * sizeof(*it));
	if (!it)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_socks; i++) {
		const struct tt_snap_sock *r = &s->socks[i];

		it[i] = (struct sort_item){
			.hi = r->kind == TT_SNAP_REQUEST ? r->parent : r->skaddr, .idx = i };
	}
	ret = sort_items(it, s->n_socks);
	for (size_t k = 0; !ret && k < s->n_socks; k++) {
		while (j < s->n_files && s->files[j].skaddr < it[k].hi)
			j++;
		s->owner[it[k].idx] = j < s->n_files && s->files[j].skaddr == it[k].hi ?
					      (ssize_t)j : -1;
	}
	free(it);
	return ret;
}

/* A snapshot of socks and files (malloc'd: it owns them from here on, or frees them), joined. */
static int snapshot_adopt(struct tt_snap_sock *socks, size_t n_socks, struct tt_snap_file *files,
			  size_t n_files, struct snapshot **out)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s) {
		free(socks);
		free(files);
		return -ENOMEM;
	}
	s->socks = socks ? socks : calloc(1, sizeof(*s->socks));
	s->files = files ? files : calloc(1, sizeof(*s->files));
	s->owner = calloc(n_socks ? n_socks : 1, sizeof(*s->owner));
	s->n_socks = n_socks;
	s->n_files = n_files;
	s->sockstat.tcp_mem_pages = -1;
	s->page_size = 4096;
	s->pcpu_reserve_pages = SNAP_PCPU_RESERVE_PAGES;
	s->ncpus = 1;
	if (!s->socks || !s->files || !s->owner || join_owners(s)) {
		snapshot_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

int snapshot_from_records(const struct tt_snap_sock *socks, size_t n_socks,
			  const struct tt_snap_file *files, size_t n_files, struct snapshot **out)
{
	struct tt_snap_sock *sc = malloc((n_socks ? n_socks : 1) * sizeof(*sc));
	struct tt_snap_file *fc = malloc((n_files ? n_files : 1) * sizeof(*fc));

	if (!sc || !fc) {
		free(sc);
		free(fc);
		return -ENOMEM;
	}
	if (n_socks)
		memcpy(sc, socks, n_socks * sizeof(*socks));
	if (n_files)
		memcpy(fc, files, n_files * sizeof(*files));
	return snapshot_adopt(sc, n_socks, fc, n_files, out);
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	free(s->socks);
	free(s->files);
	free(s->owner);
	free(s);
}

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

struct iter_in_netns {
	struct bpf_link *link;
	__u32 inode; /* the namespace meant: a /proc/<pid> path may have been reused */
	int fd;
};

/* Runs inside the namespace: the iterator binds to the creator's namespace. */
static int iter_create_here(void *ctx)
{
	struct iter_in_netns *it = ctx;

	if (netns_self() != it->inode)
		return -ENOENT;
	it->fd = bpf_iter_create(bpf_link__fd(it->link));
	return it->fd < 0 ? -errno : 0;
}

/* Sockets of one namespace into b; -ENOENT when it went away meanwhile. */
static int read_socks_in(struct bpf_link *link, const struct netns_entry *ns, struct recbuf *b)
{
	struct iter_in_netns it = { .link = link, .inode = ns->inode, .fd = -1 };
	int ret = netns_run_in(ns, iter_create_here, &it);

	if (ret == -ESRCH)
		ret = -ENOENT;
	if (ret)
		return ret;
	ret = recbuf_read_fd(b, it.fd);
	close(it.fd);
	return ret;
}

struct netns_counts {
	size_t read, vanished;
};

static int read_all_socks(struct bpf_link *link, __u32 only, struct recbuf *b,
			  struct netns_counts *c)
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

/* ------------------------------------------------------------- take */

/* Sockets closed by their process: the agent may remember who that was. */
static int add_remembered_owners(struct snapshot *s, struct bpf_map *owners)
{
	struct tt_snap_file *files;
	size_t extra = 0;

	if (bpf_map__fd(owners) < 0) /* not created: no agent, nothing remembered */
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
		__u64 skaddr = s->socks[i].skaddr;
		struct tt_owner o;

		if (s->owner[i] >= 0 || s->socks[i].kind != TT_SNAP_FULL ||
		    bpf_map__lookup_elem(owners, &skaddr, sizeof(skaddr), &o, sizeof(o), 0) ||
		    !o.tgid) /* an entry kept only for the socket's state */
			continue;
		*f = (struct tt_snap_file){ .hdr = { TT_SNAP_FILE, sizeof(*f) }, .tgid = o.tgid,
					    .fd = SNAP_FD_CLOSED, .cgroup = o.cgroup,
					    .skaddr = skaddr };
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
static int read_records(struct tcptriage_bpf *skel, __u32 only, struct reading *r)
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
	ret = read_all_socks(tcp, only, &r->socks, &r->netns);
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

	ret = read_records(skel, opts->netns, &r);
	if (!ret) { /* the records as read: no copy */
		ret = snapshot_adopt((void *)r.socks.data, r.socks.len / sizeof(struct tt_snap_sock),
				     (void *)r.files.data, r.files.len / sizeof(struct tt_snap_file),
				     &s);
	} else {
		free(r.socks.data);
		free(r.files.data);
	}
	if (!ret)
		ret = add_remembered_owners(s, skel->maps.owners);
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
