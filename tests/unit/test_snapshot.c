// SPDX-License-Identifier: GPL-2.0
// Socket memory snapshot: joining sockets to processes, grouping, reasons, reconciliation.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include "snapshot.h"
#include "test.h"

#define NS_A 4026531840u
#define NS_B 4026532000u

static struct tt_snap_sock sock(__u64 skaddr, __u8 state, __u32 netns)
{
	return (struct tt_snap_sock){
		.hdr = { TT_SNAP_SOCK, sizeof(struct tt_snap_sock) },
		.skaddr = skaddr, .state = state, .netns = netns, .snd_wnd = 65535,
	};
}

static struct tt_snap_file file(__u32 tgid, __u32 fd, __u64 cgroup, __u64 skaddr,
				const char *comm)
{
	struct tt_snap_file f = {
		.hdr = { TT_SNAP_FILE, sizeof(struct tt_snap_file) },
		.tgid = tgid, .fd = fd, .cgroup = cgroup, .skaddr = skaddr,
	};

	strncpy(f.comm, comm, sizeof(f.comm) - 1);
	return f;
}

/* A non-reading receiver, a sender stuck on a zero window, an orphan, TIME_WAIT. */
static struct snapshot *scene(struct test_ctx *t)
{
	struct tt_snap_sock s[7];
	struct tt_snap_file f[5];
	struct snapshot *snap = NULL;

	s[0] = sock(0x1000, TCP_LISTEN, NS_A);
	s[0].recv_q = 3; /* accept queue: not an unread receive queue */
	s[1] = sock(0x2000, TCP_ESTABLISHED, NS_A);
	s[1].recv_q = 200000, s[1].rmem_alloc = 300000, s[1].forward_alloc = 4096;
	s[2] = sock(0x3000, TCP_ESTABLISHED, NS_A);
	s[2].recv_q = 100000, s[2].rmem_alloc = 150000, s[2].forward_alloc = 1024;
	s[3] = sock(0x4000, TCP_ESTABLISHED, NS_B);
	s[3].send_q = 50000, s[3].snd_wnd = 0, s[3].wmem_queued = 60000, s[3].forward_alloc = 1536;
	s[4] = sock(0x5000, TCP_FIN_WAIT1, NS_B);
	s[4].flags = TT_SNAP_F_ORPHAN | TT_SNAP_F_NO_FILE;
	s[4].send_q = 1000, s[4].wmem_queued = 10000;
	s[5] = sock(0x6000, TCP_TIME_WAIT, NS_B);
	s[5].kind = TT_SNAP_TIMEWAIT;
	s[6] = sock(0x7000, TCP_SYN_RECV, NS_A);
	s[6].kind = TT_SNAP_REQUEST, s[6].parent = 0x1000;
	f[0] = file(100, 3, 7, 0x1000, "reader");
	f[1] = file(100, 4, 7, 0x2000, "reader");
	f[2] = file(100, 5, 7, 0x3000, "reader");
	f[3] = file(200, 3, 8, 0x4000, "sender");
	f[4] = file(200, 9, 8, 0x4000, "sender"); /* dup() of fd 3 */
	ASSERT_OK(snapshot_from_records(s, 7, f, 5, &snap));
	return snap;
}

TEST(snapshot_sock_reason_classes)
{
	struct tt_snap_sock r = sock(1, TCP_ESTABLISHED, NS_A);

	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
	r.recv_q = SNAP_UNREAD_RECV_BYTES - 1;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
	r.recv_q = SNAP_UNREAD_RECV_BYTES;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_UNREAD_RECV);
	r.snd_wnd = 0; /* zero window without unsent data is not a send-queue holder */
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_UNREAD_RECV);
	r.send_q = 1;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_ZERO_WINDOW);
	r.flags = TT_SNAP_F_ORPHAN;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_ORPHAN_UNSENT);
	r.state = TCP_LISTEN;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
	r = sock(1, TCP_TIME_WAIT, NS_A);
	r.kind = TT_SNAP_TIMEWAIT;
	r.recv_q = 1 << 20;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
}

/* A SYN or a FIN in the send queue is not data. */
TEST(snapshot_sock_reason_ignores_syn_and_fin)
{
	struct tt_snap_sock r = sock(1, TCP_SYN_SENT, NS_A);

	r.snd_wnd = 0, r.send_q = 1;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
	r.state = TCP_FIN_WAIT1;
	r.flags = TT_SNAP_F_ORPHAN;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
	r.send_q = 2;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_ORPHAN_UNSENT);
	r.flags = 0;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_ZERO_WINDOW);
	r.state = TCP_LAST_ACK, r.send_q = 1;
	ASSERT_EQ_INT(snapshot_sock_reason(&r), SNAP_REASON_NONE);
}

TEST(snapshot_sock_bytes_is_what_tcp_memory_is_charged)
{
	struct tt_snap_sock r = sock(1, TCP_ESTABLISHED, NS_A);

	r.rmem_alloc = 1000, r.wmem_queued = 2000, r.forward_alloc = 1096, r.wmem_alloc = 777;
	ASSERT_EQ_INT(snapshot_sock_bytes(&r), 4096);
	r.rmem_alloc = 0, r.wmem_queued = 0, r.forward_alloc = -5;
	ASSERT_EQ_INT(snapshot_sock_bytes(&r), 0);
}

TEST(snapshot_groups_by_process_largest_first)
{
	struct snapshot *s = scene(t);
	struct snap_holder *h;
	ssize_t n;

	if (!s)
		return;
	n = snapshot_group(s, SNAP_BY_PROCESS, 0, &h);
	if (!ASSERT_EQ_INT(n, 3))
		goto out;
	ASSERT_EQ_INT(h[0].tgid, 100);
	ASSERT_EQ_STR(h[0].comm, "reader");
	ASSERT_EQ_INT(h[0].sockets, 4); /* listener, two connections, its SYN-RECV */
	ASSERT_EQ_INT(h[0].fds, 3);
	ASSERT_EQ_INT(h[0].states[TCP_ESTABLISHED], 2);
	ASSERT_EQ_INT(h[0].states[TCP_SYN_RECV], 1);
	ASSERT_EQ_INT(h[0].rmem_alloc, 450000);
	ASSERT_EQ_INT(h[0].bytes, 450000 + 4096 + 1024);
	ASSERT_EQ_INT(h[0].recv_q, 300003);
	ASSERT_EQ_INT(h[0].netns, NS_A);
	ASSERT_EQ_INT(h[0].reason, SNAP_REASON_UNREAD_RECV);
	ASSERT_EQ_INT(h[1].tgid, 200);
	ASSERT_EQ_INT(h[1].sockets, 1);
	ASSERT_EQ_INT(h[1].fds, 2);
	ASSERT_EQ_INT(h[1].cgroup, 8);
	ASSERT_EQ_INT(h[1].reason, SNAP_REASON_ZERO_WINDOW);
	ASSERT_EQ_INT(h[2].tgid, 0); /* the orphan and the TIME_WAIT sock */
	ASSERT_EQ_INT(h[2].sockets, 2);
	ASSERT_EQ_INT(h[2].orphans, 1);
	ASSERT_EQ_INT(h[2].reason, SNAP_REASON_ORPHAN_UNSENT);
	free(h);
	n = snapshot_top_processes(s, 1, &h);
	if (ASSERT_EQ_INT(n, 1))
		ASSERT_EQ_INT(h[0].tgid, 100);
	free(h);
out:
	snapshot_free(s);
}

TEST(snapshot_groups_by_cgroup_and_netns)
{
	struct snapshot *s = scene(t);
	struct snap_holder *h;
	ssize_t n;

	if (!s)
		return;
	n = snapshot_group(s, SNAP_BY_CGROUP, 0, &h);
	if (ASSERT_EQ_INT(n, 3)) {
		ASSERT_EQ_INT(h[0].cgroup, 7);
		ASSERT_EQ_INT(h[0].processes, 1);
		ASSERT_EQ_INT(h[0].tgid, 0); /* a group has no single pid */
		ASSERT_EQ_INT(h[1].cgroup, 8);
		ASSERT_EQ_INT(h[2].cgroup, 0);
		ASSERT_EQ_INT(h[2].processes, 0);
	}
	free(h);
	n = snapshot_group(s, SNAP_BY_NETNS, 0, &h);
	if (ASSERT_EQ_INT(n, 2)) {
		ASSERT_EQ_INT(h[0].netns, NS_A);
		ASSERT_EQ_INT(h[0].sockets, 4);
		ASSERT_EQ_INT(h[0].processes, 1);
		ASSERT_EQ_INT(h[1].netns, NS_B);
		ASSERT_EQ_INT(h[1].sockets, 3);
		ASSERT_EQ_INT(h[1].processes, 1);
		ASSERT_EQ_INT(h[1].reason, SNAP_REASON_ZERO_WINDOW);
	}
	free(h);
	snapshot_free(s);
}

/* The reason explains most of the bytes, or there is none. */
TEST(snapshot_reason_is_the_plurality_of_bytes)
{
	struct tt_snap_sock s[2] = { sock(1, TCP_ESTABLISHED, NS_A), sock(2, TCP_ESTABLISHED, NS_A) };
	struct tt_snap_file f[2] = { file(5, 3, 1, 1, "idle"), file(5, 4, 1, 2, "idle") };
	struct snapshot *snap;
	struct snap_holder *h;

	s[0].recv_q = 70000, s[0].rmem_alloc = 100000;
	s[1].forward_alloc = 200000; /* idle reserve, no reason */
	if (!ASSERT_OK(snapshot_from_records(s, 2, f, 2, &snap)))
		return;
	if (ASSERT_EQ_INT(snapshot_group(snap, SNAP_BY_PROCESS, 0, &h), 1)) {
		ASSERT_EQ_INT(h[0].reason, SNAP_REASON_NONE);
		ASSERT_EQ_INT(h[0].reason_bytes[SNAP_REASON_UNREAD_RECV], 100000);
		free(h);
	}
	snapshot_free(snap);
}

/* A socket shared by a parent and its child counts once, for the lower pid. */
TEST(snapshot_shared_socket_counts_once)
{
	struct tt_snap_sock s[1] = { sock(0x10, TCP_LISTEN, NS_A) };
	struct tt_snap_file f[2] = { file(300, 3, 1, 0x10, "worker"), file(250, 3, 1, 0x10, "master") };
	struct snapshot *snap;
	struct snap_holder *h;

	if (!ASSERT_OK(snapshot_from_records(s, 1, f, 2, &snap)))
		return;
	if (ASSERT_EQ_INT(snapshot_group(snap, SNAP_BY_PROCESS, 0, &h), 1)) {
		ASSERT_EQ_INT(h[0].tgid, 250);
		ASSERT_EQ_STR(h[0].comm, "master");
		ASSERT_EQ_INT(h[0].fds, 1);
		free(h);
	}
	snapshot_free(snap);
}

TEST(snapshot_totals_reconcile_with_sockstat)
{
	struct snapshot *s = scene(t);
	struct snap_totals tot;
	__s64 bytes = 450000 + 4096 + 1024 + 60000 + 1536 + 10000;

	if (!s)
		return;
	s->page_size = 4096;
	s->ncpus = 2;
	s->pcpu_reserve_pages = 256;
	s->sockstat.tcp_mem_pages = 130;
	snapshot_totals(s, &tot);
	ASSERT_EQ_INT(tot.all.sockets, 7);
	ASSERT_EQ_INT(tot.all.bytes, bytes);
	ASSERT_EQ_INT(tot.all.orphans, 1);
	ASSERT_EQ_INT(tot.processes, 2);
	ASSERT_EQ_INT(tot.timewait, 1);
	ASSERT_EQ_INT(tot.requests, 1);
	ASSERT_EQ_INT(tot.all.states[TCP_ESTABLISHED], 3);
	ASSERT_EQ_INT(tot.all.send_q, 51000);
	ASSERT_EQ_INT(tot.sockstat_bytes, 130 * 4096);
	ASSERT_EQ_INT(tot.difference_bytes, 130 * 4096 - bytes);
	ASSERT_EQ_INT(tot.tolerance_bytes, 2 * 256 * 4096);
	ASSERT_EQ_INT(tot.all.reason, SNAP_REASON_UNREAD_RECV);
	s->sockstat.tcp_mem_pages = -1;
	snapshot_totals(s, &tot);
	ASSERT_EQ_INT(tot.sockstat_bytes, -1);
	ASSERT_EQ_INT(tot.difference_bytes, 0);
	snapshot_free(s);
}

TEST(snapshot_empty)
{
	struct snapshot *s;
	struct snap_holder *h;
	struct snap_totals tot;

	if (!ASSERT_OK(snapshot_from_records(NULL, 0, NULL, 0, &s)))
		return;
	if (ASSERT_EQ_INT(snapshot_group(s, SNAP_BY_NETNS, 10, &h), 0))
		free(h);
	snapshot_totals(s, &tot);
	ASSERT_EQ_INT(tot.all.sockets, 0);
	ASSERT_EQ_INT(tot.processes, 0);
	snapshot_free(s);
}

TEST(snapshot_check_records_rejects_layout_mismatch)
{
	struct tt_snap_sock r[2] = { sock(1, TCP_LISTEN, NS_A), sock(2, TCP_LISTEN, NS_A) };

	ASSERT_OK(snapshot_check_records(r, sizeof(r), TT_SNAP_SOCK, sizeof(r[0])));
	ASSERT_OK(snapshot_check_records(r, 0, TT_SNAP_SOCK, sizeof(r[0])));
	ASSERT_EQ_INT(snapshot_check_records(r, sizeof(r) - 8, TT_SNAP_SOCK, sizeof(r[0])), -EPROTO);
	ASSERT_EQ_INT(snapshot_check_records(r, sizeof(r), TT_SNAP_FILE, sizeof(r[0])), -EPROTO);
	r[1].hdr.size = sizeof(r[0]) - 8;
	ASSERT_EQ_INT(snapshot_check_records(r, sizeof(r), TT_SNAP_SOCK, sizeof(r[0])), -EPROTO);
}

TEST(snapshot_names)
{
	ASSERT_EQ_STR(snap_state_ss(TCP_ESTABLISHED), "ESTAB");
	ASSERT_EQ_STR(snap_state_ss(TCP_TIME_WAIT), "TIME-WAIT");
	ASSERT_EQ_STR(snap_state_id(TCP_SYN_RECV), "syn_recv");
	ASSERT_EQ_STR(snap_state_id(200), "unknown");
	ASSERT_EQ_STR(snap_reason_id(SNAP_REASON_UNREAD_RECV), "unread_receive_queue");
	ASSERT_EQ_STR(snap_reason_text(SNAP_REASON_ZERO_WINDOW),
		      "send queue to a peer with a zero window");
	ASSERT_EQ_STR(snap_reason_text(SNAP_REASON_ORPHAN_UNSENT), "orphaned with unsent data");
	ASSERT_EQ_STR(snap_group_name(SNAP_BY_CGROUP), "cgroup");
}
