// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory snapshot, the records joined: what one socket record means
 * (its state and class, its bytes), the sort of keys that the join and the
 * grouping (snapshot_group.c) share, and the join of every socket to the
 * file, and so the process, holding it.  Reading the records from the
 * kernel is snapshot_take.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include "snapshot_int.h"

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
static __u8 sort_byte(const struct sort_item *it, unsigned int b)
{
	return b < 8 ? it->lo >> (8 * b) : it->hi >> (8 * (b - 8));
}

int sort_items(struct sort_item *a, size_t n)
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
int snapshot_adopt(struct tt_snap_sock *socks, size_t n_socks, struct tt_snap_file *files,
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
