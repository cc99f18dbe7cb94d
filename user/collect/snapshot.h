/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Socket memory snapshot: every TCP socket of every network namespace, read
 * in the kernel by the snapshot iterators, joined to the processes that hold
 * them, grouped into holders (process, cgroup, netns), largest first, with
 * totals reconciled against /proc/net/sockstat.  A library: it prints
 * nothing, so the snapshot command and the diagnosis rules share it.
 *
 * "bytes" of a socket = rmem_alloc + wmem_queued + forward_alloc: what the
 * socket has charged to the global TCP memory counter (sockstat "mem").
 */
#ifndef __TT_SNAPSHOT_H
#define __TT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <linux/types.h>
#include "procfs.h"
#include "snapshot_records.h" /* the record layouts */

struct tcptriage_bpf;

#define SNAP_TCP_STATES 13 /* TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12) */
/* A receive queue at least this long is "unread" (well beyond one window in flight). */
#define SNAP_UNREAD_RECV_BYTES (64 * 1024)
/*
 * sockstat "mem" leaves out per-CPU batches of up to this many pages per CPU
 * (net.core.mem_pcpu_rsv).  The per-CPU counter is not readable from BPF on
 * kernels without CONFIG_KALLSYMS_ALL, so the difference is bounded, not exact.
 */
#define SNAP_PCPU_RESERVE_PAGES 256
/* fd of a files entry that is an owner remembered by the agent, not an open file */
#define SNAP_FD_CLOSED UINT32_MAX

/*
 * Called between two namespaces of a walk, so that a long walk (one setns()
 * and iterator per namespace) keeps serving what must not wait: the agent's
 * ring buffer.  fn NULL: nothing to serve.
 */
struct netns_pause {
	void (*fn)(void *ctx);
	void *ctx;
};

struct snapshot_opts {
	__u32 netns; /* only this network namespace (inode); 0: every namespace */
	struct netns_pause pause;
};

/* Why a holder holds its memory, by the class of sockets holding most of its bytes. */
enum snap_reason {
	SNAP_REASON_NONE = 0,
	SNAP_REASON_UNREAD_RECV,  /* receive queue the application does not read */
	SNAP_REASON_ZERO_WINDOW,  /* unsent data to a peer advertising a zero window */
	SNAP_REASON_ORPHAN_UNSENT, /* closed by the application with data still unsent */
	SNAP_REASON_COUNT,
};

struct snapshot {
	struct tt_snap_sock *socks;
	size_t n_socks;
	struct tt_snap_file *files; /* sorted by skaddr, then tgid; then remembered owners */
	size_t n_files;
	ssize_t *owner; /* per socket: index into files of the process holding it, or -1 */
	size_t netns_read;    /* namespaces whose sockets were read */
	size_t netns_vanished; /* namespaces that went away before they could be read */
	bool partial;         /* restricted to one namespace (--netns): sockstat is global */
	struct sockstat sockstat; /* tcp_mem_pages < 0 when unreadable */
	long page_size;
	long ncpus;
	long pcpu_reserve_pages; /* net.core.mem_pcpu_rsv, or the kernel's default */
	struct timespec taken; /* CLOCK_REALTIME */
};

enum snap_group {
	SNAP_BY_PROCESS = 0,
	SNAP_BY_CGROUP,
	SNAP_BY_NETNS,
};

struct snap_holder {
	__u32 tgid;   /* SNAP_BY_PROCESS: 0 for sockets no process holds */
	__u64 cgroup; /* SNAP_BY_CGROUP, and the process's cgroup */
	__u32 netns;  /* SNAP_BY_NETNS; otherwise the netns of the holder's largest socket */
	char comm[TT_SNAP_COMM_LEN];
	__u32 sockets;
	__u32 fds;        /* socket file descriptors (process holders) */
	__u32 processes;  /* distinct processes (cgroup and netns holders) */
	__u32 orphans;
	__u32 states[SNAP_TCP_STATES];
	__u64 rmem_alloc;
	__u64 wmem_queued;
	__s64 forward_alloc;
	__u64 wmem_alloc;
	__u64 recv_q;
	__u64 send_q;
	__u64 bytes; /* rmem_alloc + wmem_queued + forward_alloc */
	__u64 reason_bytes[SNAP_REASON_COUNT]; /* bytes of its sockets by class */
	enum snap_reason reason;
	bool remembered; /* holds sockets it closed, known from the agent's owners map */
};

struct snap_totals {
	struct snap_holder all; /* every socket as one holder */
	__u32 processes;
	__u32 timewait;
	__u32 requests;
	__s64 sockstat_bytes;    /* -1 when unknown */
	__s64 difference_bytes;  /* sockstat_bytes - all.bytes */
	__s64 tolerance_bytes;   /* |difference| that per-CPU batching alone explains */
};

/*
 * Read every TCP socket (of opts->netns, or of every namespace found in
 * /proc/<pid>/ns/net and /run/netns) and every socket file.  skel must be
 * loaded (its iterators need not be attached; its hooks need not be).
 * 0 or -errno: -ENOENT when opts->netns names no namespace found.
 */
int snapshot_take(struct tcptriage_bpf *skel, const struct snapshot_opts *opts,
		  struct snapshot **out);
void snapshot_free(struct snapshot *s);

struct bpf_link;
/* What an iterator link writes, into *data (malloc'd, the caller's), *len bytes.  0 or -errno. */
int iter_read_once(struct bpf_link *link, void **data, size_t *len);

/* 0 if data holds whole records all of this type and size, else -EPROTO. */
int snapshot_check_records(const void *data, size_t len, __u32 type, size_t size);

/* Build a snapshot from records (tests): copy and join, as snapshot_take joins what it reads. */
int snapshot_from_records(const struct tt_snap_sock *socks, size_t n_socks,
			  const struct tt_snap_file *files, size_t n_files, struct snapshot **out);

/* What one socket's bytes count as (its class). */
enum snap_reason snapshot_sock_reason(const struct tt_snap_sock *r);
__u64 snapshot_sock_bytes(const struct tt_snap_sock *r);

/*
 * Holders of a kind, largest bytes first (then most sockets), at most max
 * (0: all).  *out is malloc'd (free() it); returns the count or -errno.
 */
ssize_t snapshot_group(const struct snapshot *s, enum snap_group by, size_t max,
		       struct snap_holder **out);
static inline ssize_t snapshot_top_processes(const struct snapshot *s, size_t max,
					     struct snap_holder **out)
{
	return snapshot_group(s, SNAP_BY_PROCESS, max, out);
}

void snapshot_totals(const struct snapshot *s, struct snap_totals *t);

const char *snap_reason_id(enum snap_reason r);   /* "unread_receive_queue" */
const char *snap_reason_text(enum snap_reason r); /* "unread receive queue" */
const char *snap_state_id(unsigned int state);    /* "established" */
const char *snap_state_ss(unsigned int state);    /* "ESTAB", as ss prints it */
const char *snap_group_name(enum snap_group by);  /* "process" */

#endif /* __TT_SNAPSHOT_H */
