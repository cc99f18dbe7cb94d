/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layouts shared by the BPF programs and userspace: map keys and values,
 * ring buffer records.  Layout only: fixed-width fields, no build-flag
 * dependent members.  Every ring buffer record starts with tt_rec_hdr.
 */
#ifndef __TT_TCPTRIAGE_H
#define __TT_TCPTRIAGE_H

#define TT_COMM_LEN 16
#define TT_CONSOLE_LEN 240
#define TT_ADDR_LEN 16

/*
 * The counter signals, one row each: what a per-owner counter counts (`sub`
 * refines it) and every name it has in the outputs.  Row order is the enum
 * value on the wire, so new rows go last.  BPF expands only the ID (the enum
 * below); the strings and the SUB_ and TOP_ names are read by user/ alone
 * (user/collect/counter_signals.c, user/output/top_view.c).  Laid out like the kernel's
 * DEFINE_DROP_REASON: each user passes what a row becomes.
 *
 * X(ID, sub kind, events, events help, amount, amount metric, amount is bytes, amount help)
 *   events: JSON key of the event count; its metric family is tcptriage_<events>.
 *   amount: JSON key of the summed amount, NULL (and the rest NULL, false)
 *   where it means nothing; its metric family is named in full.
 * COL(ID, position, title, name, sort key): the signal's column in the live view
 *   (position: enum top_col, user/output/top_view.h), after the X row of that ID.
 */
#define TT_SIGNALS(X, COL)                                                                       \
	/* sub 0; amount = segments (as Tcp RetransSegs) */                                      \
	X(RETRANS, SUB_NONE, "retransmits",                                                      \
	  "Retransmit events (tcp:tcp_retransmit_skb), by network namespace",                    \
	  "retransmit_segs", "tcptriage_retransmit_segments", false,                             \
	  "Segments retransmitted (as Tcp RetransSegs), by network namespace")                   \
	COL(RETRANS, TOP_RETRANS, "RETR", "retransmits", 'r')                                    \
	/* retransmit attempted, failed locally; sub = -err */                                   \
	X(RETRANS_FAIL, SUB_ERRNO, "retransmit_failures",                                        \
	  "Retransmits that failed locally, by error and network namespace",                     \
	  NULL, NULL, false, NULL)                                                               \
	/* sub 0 */                                                                              \
	X(SYNACK_RETRANS, SUB_NONE, "synack_retransmits",                                        \
	  "SYN-ACK retransmits, by network namespace",                                           \
	  NULL, NULL, false, NULL)                                                               \
	/* sub = enum skb_drop_reason value */                                                   \
	X(DROP, SUB_DROP_REASON, "drops",                                                        \
	  "Packets dropped by the kernel (skb:kfree_skb), by drop reason and network namespace", \
	  "drop_bytes", "tcptriage_drop_bytes", true,                                            \
	  "Bytes of packets dropped, by drop reason and network namespace")                      \
	COL(DROP, TOP_DROPS, "DROP", "drops", 'd')                                               \
	/* sub = kind (SK_MEM_SEND/RECV); amount = pages allocated (in no output) */             \
	X(EXCEED_BUF, SUB_MEM_KIND, "mem_limit_hits",                                            \
	  "Socket memory allocations refused by tcp_mem or cgroup limits, "                      \
	  "by kind and network namespace",                                                       \
	  NULL, NULL, false, NULL)                                                               \
	COL(EXCEED_BUF, TOP_MEM_LIMIT, "MEML", "memory limit hits", 'm')                         \
	/* sub 0; amount = truesize refused */                                                   \
	X(RCVQ_FULL, SUB_NONE, "rcvq_full",                                                      \
	  "Packets refused by a full socket receive queue, by network namespace",                \
	  "rcvq_full_bytes", "tcptriage_rcvq_full_bytes", true,                                  \
	  "Bytes refused by full socket receive queues, by network namespace")                   \
	COL(RCVQ_FULL, TOP_RCVQ_FULL, "RQFL", "receive queue full", 'b')                         \
	/* sub = enum sk_rst_reason value */                                                     \
	X(RST_SENT, SUB_RST_REASON, "resets_sent",                                               \
	  "TCP resets sent, by kernel reason and network namespace",                             \
	  NULL, NULL, false, NULL)                                                               \
	COL(RST_SENT, TOP_RST_SENT, "RSTO", "resets sent", 'x')                                  \
	/* sub 0 */                                                                              \
	X(RST_RECV, SUB_NONE, "resets_received",                                                 \
	  "TCP resets received, by network namespace",                                           \
	  NULL, NULL, false, NULL)                                                               \
	COL(RST_RECV, TOP_RST_RECV, "RSTI", "resets received", 'X')                              \
	/* new outgoing connection (SYN_SENT); sub 0 */                                          \
	X(CONNECT, SUB_NONE, "connects",                                                         \
	  "Outgoing connections started (SYN_SENT), by network namespace",                       \
	  NULL, NULL, false, NULL)                                                               \
	/* application closed first (ESTABLISHED -> FIN_WAIT1);                                  \
	 * amount = bytes still unsent at that moment */                                         \
	X(ACTIVE_CLOSE, SUB_NONE, "active_closes",                                               \
	  "Connections the application closed first, by network namespace",                      \
	  "active_close_unsent_bytes", "tcptriage_active_close_unsent_bytes", true,              \
	  "Bytes still unsent when the application closed, by network namespace")                \
	/* connect() failed; sub = errno (e.g. EADDRNOTAVAIL) */                                 \
	X(CONNECT_FAIL, SUB_ERRNO, "connect_failures",                                           \
	  "connect() calls that failed, by error and network namespace",                         \
	  NULL, NULL, false, NULL)                                                               \
	/* sub 0; before 6.11 only (then a drop has its socket): for the owner */                \
	X(UDP_REFUSED, SUB_NONE, "udp_refused",                                                  \
	  "UDP datagrams a socket's full buffer refused (udp:udp_fail_queue_rcv_skb), counted "  \
	  "before Linux 6.11 only, by network namespace",                                        \
	  NULL, NULL, false, NULL)

#define TT_SKIP(...) /* a part of TT_SIGNALS a user does not need */
#define TT_SIG_ENUM(id, ...) TT_SIG_##id,

enum tt_signal {
	TT_SIG_NONE = 0,
	TT_SIGNALS(TT_SIG_ENUM, TT_SKIP)
	TT_SIG_MAX,
};

#undef TT_SIG_ENUM

/* Key of the per-CPU `counts` map: who (socket owner), where, what. */
struct tt_count_key {
	__u32 tgid;   /* owner of the socket, 0 when unknown */
	__u32 netns;  /* network namespace inode of the socket */
	__u64 cgroup; /* cgroup v2 id of the owner, 0 when unknown */
	__u32 signal; /* enum tt_signal */
	__u32 sub;
};

struct tt_count_val {
	__u64 events;
	__u64 amount;
};

/*
 * The last key counted on a CPU and what it counted since (bpf/common.bpf.h
 * count_key_add), so that a run of one owner's events of one signal touches
 * no hash table.  busy: a program on this CPU is changing it.  gen: the
 * generation of counts (struct tt_ctl) it counts for; one of an older
 * generation was read by userspace already, and counts as empty.
 */
struct tt_count_cache {
	struct tt_count_key key;
	struct tt_count_val val;
	__u8 busy;
	__u8 pad[3];
	__u32 gen;
};

/*
 * Value of the `owners` map, keyed by the kernel address of a struct sock:
 * who owns the socket, plus the little per-socket state the agent keeps, so
 * that one entry (one delete when the socket dies) serves them all.
 */
struct tt_owner {
	__u32 tgid; /* 0 when unknown (an entry kept only for the state below) */
	__u32 netns;
	__u64 cgroup;
	char comm[TT_COMM_LEN];
	__u32 listen_backlog; /* a listener's accept backlog: min(listen()'s, somaxconn) */
	__u16 listen_port;
	__u8 listening;       /* 1: sk is a listener (userspace lists them from `owners`) */
	__u8 closer;          /* socket storage only: recorded at a close() leaving unsent data */
};

/*
 * The start-up seed's record of one owner learned (bpf/owner.bpf.c
 * seed_owners): parked ones wait in the parking map (seed_slot) for the
 * socket iterators of their namespace to move them into the socket's storage.
 */
struct tt_seed_rec {
	__u32 netns;
	__u32 parked; /* 1: in the parking map; 0: in `owners` */
};

/* Key of the `listen_owners` map: a listening port in a namespace. */
struct tt_listen_key {
	__u32 netns;
	__u16 port; /* host order */
	__u16 pad;
};

/*
 * Record of the periodic sweep (iter/task_file sweep_aged): a TCP socket in
 * CLOSE_WAIT or FIN_WAIT2, or a listener, held open by process tgid (one
 * record per process holding it).
 */
struct tt_aged_sock {
	__u64 skaddr;
	__u64 ino;
	__u32 netns;
	__u32 state;
	__u32 tgid;
	__u32 drops;      /* a listener's sk_drops: every SYN or handshake it dropped (ListenDrops) */
	__u32 syn_queued; /* a listener's half-open connections (its SYN queue, cookies aside) */
	__u32 backlog;    /* a listener's accept backlog now (a second listen() changes it) */
};

/* Value of the `procs` map, keyed by tgid: what a counter's tgid was. */
struct tt_proc {
	__u64 cgroup;
	char comm[TT_COMM_LEN];
};

/* Per-flow troubles, retransmits and resets (`flows` LRU map). Addresses are v4-mapped for AF_INET. */
struct tt_flow_key {
	__u8 saddr[TT_ADDR_LEN];
	__u8 daddr[TT_ADDR_LEN];
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u16 family;
	__u16 pad;
	__u32 netns;
};

struct tt_flow_val {
	__u64 retrans_segs;
	__u64 retrans_events;
	__u64 resets_sent;
	__u64 resets_received;
	__u64 last_ns;
	__u32 tgid;
	__u32 segs_out;      /* the socket's segments sent (retransmits included) at its last retransmit */
	__u32 total_retrans; /* ... and the segments it retransmitted over its life */
	__u32 dsack_dups;    /* ... of which the peer said it had them already (spurious) */
};

/*
 * A CPU's resets of one direction not in `flows` yet (bpf/resets.bpf.c): the
 * last flow it counted a reset of, and the resets counted since.
 */
struct tt_reset_cache {
	struct tt_flow_key key;
	__u32 tgid; /* the owner of its first reset here, for a flows entry it makes */
	__u64 sent;
	__u64 received;
	__u32 busy; /* a program is changing it (nesting, the flush) */
	__u32 pad;
};

/*
 * The last task that owned a socket on a CPU, as an owner (bpf/common.bpf.h
 * owner_current), for one generation of counts.
 */
struct tt_task_note {
	__u64 task;     /* bpf_get_current_task() */
	__u64 pid_tgid; /* a task_struct freed and reused is another thread */
	__u32 gen;      /* struct tt_ctl's count_gen when noted */
	__u32 pad;
	__u64 cgroup;
	char comm[TT_COMM_LEN];
};

/*
 * The owner of the listening port a CPU last looked up (bpf/common.bpf.h
 * listener_noted), valid while ctl's listen_gen is gen.
 */
struct tt_listen_note {
	struct tt_listen_key key;
	__u32 gen; /* struct tt_ctl's listen_gen when noted */
	__u32 seq; /* odd while a program writes the note */
	struct tt_owner owner;
};

/*
 * Everything a CPU's programs keep between events, in one element of a
 * plain array indexed by CPU (bpf/common.bpf.h cpu_states): one lookup, no
 * per-CPU map (see there).  Only programs of that CPU write it; userspace
 * reads it (the counts of a retired generation, the resets to flush).
 */
struct tt_cpu_state {
	struct tt_task_note task;
	__u64 net_note;     /* (__u32)net_cookie << 32 | ns.inum of the last namespace named; 0: none */
	__u64 addr_scratch; /* bpf/common.bpf.h sk_address() */
	struct tt_reset_cache reset[2]; /* [0] resets sent, [1] received */
	struct tt_listen_note listener;
	struct tt_count_cache count[2 * TT_SIG_MAX]; /* (count_gen & 1) * TT_SIG_MAX + signal */
	__u8 guard[64]; /* never touched: no line this CPU writes holds another CPU's fields */
};

/*
 * ctl's elements (bpf/common.bpf.h): one written by userspace only, one by
 * the programs only, so that no write undoes the other side's.
 */
enum { TT_CTL_USER, TT_CTL_PROGS, TT_CTL_ELEMS };

struct tt_ctl {
	__u32 count_gen;  /* [TT_CTL_USER]: generation of counts: which counts map and cache entries are in use */
	__u32 listen_gen; /* [TT_CTL_PROGS]: moved on at every change of listen_owners */
};

/* A destination connect() could not reach for lack of a local port. */
struct tt_connfail_val {
	__u64 failures;
	__u64 last_ns;
	__u32 tgid;
	__u32 err;
};

/* The agent's own losses, indexes of the per-CPU `health` array. */
enum tt_health {
	TT_H_RINGBUF_FULL = 0,
	TT_H_COUNTS_FULL,
	TT_H_OWNERS_FULL,
	TT_H_FLOWS_FULL,
	TT_H_PROCS_FULL,
	TT_H_READ_FAILED, /* a record dropped because kernel memory could not be read */
	TT_H_EVENTS, /* every program invocation that did work */
	TT_H_CONNFAILS_FULL,  /* a failed connect's destination not remembered */
	TT_H_NO_SOCKET,       /* an event counted without its socket (a classic tracepoint
			       * record that has none): owner and namespace unknown */
	/*
	 * Bookkeeping, not losses: entries the programs added to (and removed
	 * from) the LRU maps.  Added - removed - present is what the kernel
	 * evicted (user/collect/evict.c).
	 */
	TT_H_OWNERS_ADDED,
	TT_H_OWNERS_REMOVED,
	TT_H_PROCS_ADDED,
	TT_H_FLOWS_ADDED,
	TT_H_CONNFAILS_ADDED,
	TT_H_UNOWNED, /* an event on a socket of unknown owner: userspace looks again (session.c) */
	TT_H_MAX,
};

/* The indexes below this one are reported as they are; the rest are bookkeeping. */
#define TT_H_REPORTED TT_H_OWNERS_ADDED

enum tt_rec_type {
	TT_REC_CONSOLE = 1,
	TT_REC_RESET = 2, /* a reset worth a line of its own (abort on memory) */
};

struct tt_rec_hdr {
	__u32 type;
	__u32 size; /* of the whole record */
	__u64 ts_ns; /* CLOCK_MONOTONIC */
};

struct tt_rec_console {
	struct tt_rec_hdr hdr;
	__u32 len;
	__u32 pad;
	char text[TT_CONSOLE_LEN];
};

struct tt_rec_reset {
	struct tt_rec_hdr hdr;
	struct tt_flow_key flow;
	struct tt_owner owner; /* last known owner of the socket */
	__u32 reason;          /* enum sk_rst_reason */
	__u32 state;           /* TCP state of the socket */
};

#endif /* __TT_TCPTRIAGE_H */
