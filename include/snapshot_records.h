/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records the snapshot iterators write with bpf_seq_write(): one per TCP
 * socket (iter/tcp) and one per socket file a task holds (iter/task_file).
 * Layout only: fixed-width fields, every record starts with type and size.
 */
#ifndef __TT_SNAPSHOT_RECORDS_H
#define __TT_SNAPSHOT_RECORDS_H

#define TT_SNAP_COMM_LEN 16
#define TT_SNAP_ADDR_LEN 16

enum tt_snap_type {
	TT_SNAP_SOCK = 1,
	TT_SNAP_FILE = 2,
};

/* What kind of kernel object a socket record was read from. */
enum tt_snap_kind {
	TT_SNAP_FULL = 0,     /* struct tcp_sock */
	TT_SNAP_TIMEWAIT = 1, /* struct inet_timewait_sock: no memory, no owner */
	TT_SNAP_REQUEST = 2,  /* struct request_sock (SYN received): no memory, no owner */
};

/* Which timer is pending (full and request sockets), as /proc/net/tcp names them. */
enum tt_snap_timer {
	TT_SNAP_TIMER_NONE = 0,
	TT_SNAP_TIMER_RETRANS = 1, /* retransmit, loss probe, reordering */
	TT_SNAP_TIMER_KEEPALIVE = 2,
	TT_SNAP_TIMER_PROBE0 = 4, /* zero window probe */
	TT_SNAP_TIMER_SYNACK = 5, /* request sock: SYN-ACK retransmit */
};

#define TT_SNAP_F_ORPHAN (1u << 0)  /* SOCK_DEAD: closed by its process, still in the kernel */
#define TT_SNAP_F_NO_FILE (1u << 1) /* no struct socket: orphan, or not accepted yet */

struct tt_snap_hdr {
	__u32 type; /* enum tt_snap_type */
	__u32 size; /* of the whole record */
};

struct tt_snap_sock {
	struct tt_snap_hdr hdr;
	__u64 skaddr; /* kernel address of the socket: joins with tt_snap_file */
	__u64 parent; /* request sock: its listener's address; else 0 */
	__u64 ino;    /* socket inode (as ss shows it); 0 without a struct socket */
	__u8 saddr[TT_SNAP_ADDR_LEN]; /* v4-mapped for AF_INET */
	__u8 daddr[TT_SNAP_ADDR_LEN];
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u16 family;
	__u8 state; /* TCP state as ss shows it: request socks are TCP_SYN_RECV,
		     * TIME_WAIT socks their substate (TIME_WAIT or FIN_WAIT2) */
	__u8 kind;  /* enum tt_snap_kind */
	__u32 flags; /* TT_SNAP_F_* */
	__u32 netns;
	__u32 uid;
	__u32 rmem_alloc;  /* sk_rmem_alloc: bytes of queued receive skbs */
	__u32 wmem_alloc;  /* sk_wmem_alloc - 1: bytes handed to the device, not freed yet */
	__u32 wmem_queued; /* sk_wmem_queued: send queue incl. retransmit queue */
	__s32 forward_alloc; /* charged to TCP memory but not used yet */
	__u32 rcvbuf;
	__u32 sndbuf;
	__u32 recv_q; /* rcv_nxt - copied_seq; listeners: accept queue length */
	__u32 send_q; /* write_seq - snd_una; listeners: 0 */
	__u32 max_backlog; /* sk_max_ack_backlog (listeners) */
	__u32 snd_wnd;     /* the peer's advertised window: 0 is a zero window */
	__u8 timer;        /* enum tt_snap_timer */
	__u8 retransmits;  /* icsk_retransmits, or SYN-ACKs resent for a request sock */
	__u8 probes;       /* zero window / keepalive probes sent unanswered */
	__u8 pad;
	__u32 closer_tgid; /* an orphan's: who closed it leaving unsent data, when the
			    * agent kept it in the socket's storage; else 0 */
	__u64 idle_us; /* full: since the socket last sent or received; request: since
			* the SYN-ACK went out; 0 when unknown */
};

struct tt_snap_file {
	struct tt_snap_hdr hdr;
	__u32 tgid;
	__u32 fd;
	__u64 cgroup; /* cgroup v2 id of the task */
	__u64 ino;    /* socket inode */
	__u64 skaddr; /* kernel address of the socket */
	char comm[TT_SNAP_COMM_LEN];
};

#endif /* __TT_SNAPSHOT_RECORDS_H */
