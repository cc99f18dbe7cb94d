/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layouts shared by the BPF programs and userspace: map keys and values,
 * ring buffer records.  Layout only: fixed-width fields, no build-flag
 * dependent members.  Every ring buffer record starts with tt_rec_hdr.
 */
#ifndef __TCPTRIAGE_H
#define __TCPTRIAGE_H

#define TT_COMM_LEN 16
#define TT_CONSOLE_LEN 240
#define TT_ADDR_LEN 16

/* What a per-owner counter counts; `sub` refines it (see each entry). */
enum tt_signal {
	TT_SIG_NONE = 0,
	TT_SIG_RETRANS = 1,    /* sub 0; amount = segments (as Tcp RetransSegs) */
	TT_SIG_RETRANS_FAIL,   /* retransmit attempted, failed locally; sub = -err */
	TT_SIG_SYNACK_RETRANS, /* sub 0 */
	TT_SIG_DROP,           /* sub = enum skb_drop_reason value */
	TT_SIG_EXCEED_BUF,     /* sub = kind (SK_MEM_SEND/RECV); amount = pages allocated */
	TT_SIG_RCVQ_FULL,      /* sub 0; amount = truesize refused */
	TT_SIG_RST_SENT,       /* sub = enum sk_rst_reason value */
	TT_SIG_RST_RECV,       /* sub 0 */
	TT_SIG_CONNECT,        /* new outgoing connection (SYN_SENT); sub 0 */
	TT_SIG_ACTIVE_CLOSE,   /* application closed first (ESTABLISHED -> FIN_WAIT1);
				* amount = bytes still unsent at that moment */
	TT_SIG_CONNECT_FAIL,   /* connect() failed; sub = errno (e.g. EADDRNOTAVAIL) */
	TT_SIG_MAX,
};

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
 * Value of the `owners` map, keyed by the kernel address of a struct sock:
 * who owns the socket, plus the little per-socket state the agent keeps, so
 * that one entry (one delete when the socket dies) serves them all.
 */
struct tt_owner {
	__u32 tgid; /* 0 when unknown (an entry kept only for the state below) */
	__u32 netns;
	__u64 cgroup;
	char comm[TT_COMM_LEN];
	__u64 aged_since_ns; /* CLOCK_MONOTONIC when it entered aged_state */
	__u32 aged_state;    /* TCP_CLOSE_WAIT or TCP_FIN_WAIT2 while in it, else 0 */
	__u32 listen_backlog; /* what listen() asked for (when listening) */
	__u16 listen_port;
	__u16 listening;      /* 1 once listen() was called on it */
	__u32 pad;
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
	__u32 pad;
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
	TT_H_PENDING_FULL,    /* a connect() not followed: its failure goes uncounted */
	TT_H_CONNFAILS_FULL,  /* a failed connect's destination not remembered */
	TT_H_NO_SOCKET,       /* an event counted without its socket (a classic tracepoint
			       * record that has none): owner and namespace unknown */
	TT_H_MAX,
};

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

#endif /* __TCPTRIAGE_H */
