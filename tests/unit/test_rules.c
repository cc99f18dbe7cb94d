// SPDX-License-Identifier: GPL-2.0
// Diagnosis rules on synthetic evidence: each fires at its threshold and not below.
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <bpf/btf.h>
#include "kenum.h"
#include "incident.h"
#include "rules.h"
#include "fixtures.h"
#include "test.h"

#define DROP_RCVBUFF 6
#define DROP_NETFILTER 12
#define RST_NO_SOCKET 1
#define RST_ABORT_ON_MEMORY 13
#define RST_ABORT_ON_CLOSE 11

/* Kernel enums as a tiny BTF, so the tests need no kernel. */
static void fake_names(struct kernel_names *kn)
{
	struct btf *btf = btf__new_empty();
	int id;

	id = btf__add_enum(btf, "skb_drop_reason", 4);
	btf__add_enum_value(btf, "SKB_DROP_REASON_SOCKET_RCVBUFF", DROP_RCVBUFF);
	btf__add_enum_value(btf, "SKB_DROP_REASON_PROTO_MEM", 20);
	btf__add_enum_value(btf, "SKB_DROP_REASON_NETFILTER_DROP", DROP_NETFILTER);
	id = btf__add_enum(btf, "sk_rst_reason", 4);
	btf__add_enum_value(btf, "SK_RST_REASON_NO_SOCKET", RST_NO_SOCKET);
	btf__add_enum_value(btf, "SK_RST_REASON_TCP_ABORT_ON_MEMORY", RST_ABORT_ON_MEMORY);
	btf__add_enum_value(btf, "SK_RST_REASON_TCP_ABORT_ON_CLOSE", RST_ABORT_ON_CLOSE);
	(void)id;
	kn->drop_reason = kenum_load(btf, "skb_drop_reason", "SKB_DROP_REASON_");
	kn->rst_reason = kenum_load(btf, "sk_rst_reason", "SK_RST_REASON_");
	btf__free(btf);
}

static struct count_row row(uint32_t tgid, uint32_t signal, uint32_t sub, uint64_t events,
			    uint64_t amount)
{
	return fx_row(tgid, 4026531840u, 0, signal, sub, events, amount);
}

struct fixture {
	struct kernel_names names;
	struct count_row rows[8];
	struct count_table table;
	struct verdict_seen verdicts[2];
	struct flow_seen flows[8];
	struct ns_state ns[2];
	struct ns_table ns_table;
	struct diag_input in;
};

#define NS_INODE 4026532000u

/* Counter `name` ("Tcp.OutSegs") of fake namespace i: 0 at its baseline, delta now. */
static void ns_count_in(struct fixture *fx, int i, const char *name, int64_t delta)
{
	struct ns_state *ns = &fx->ns[i];
	const char *dot = strchr(name, '.');
	int group = (int)(dot - name);
	char text[256];

	snprintf(text, sizeof(text), "%.*s: %s\n%.*s: 0\n", group, name, dot + 1, group, name);
	counters_parse(&ns->base.counters, text);
	snprintf(text, sizeof(text), "%.*s: %s\n%.*s: %lld\n", group, name, dot + 1, group, name,
		 (long long)delta);
	counters_parse(&ns->cur.counters, text);
}

static void ns_count(struct fixture *fx, const char *name, int64_t delta)
{
	ns_count_in(fx, 0, name, delta);
}

/* One namespace, read over the fixture's 5 s, whose counter `name` grew by delta; limits all -1. */
static struct ns_state *fake_ns(struct fixture *fx, const char *name, int64_t delta)
{
	struct ns_state *ns = &fx->ns[0];

	memset(ns, 0, sizeof(*ns));
	memset(&ns->cur.limits, 0xff, sizeof(ns->cur.limits));
	ns->inode = NS_INODE;
	ns->cur_at = fx->in.window_s;
	fx->ns_table = (struct ns_table){ ns, 1 };
	ns_count(fx, name, delta);
	return ns;
}

/* A second fake namespace (NS_INODE + 1), with counter name at delta. */
static struct ns_state *fake_ns2(struct fixture *fx, const char *name, int64_t delta)
{
	struct ns_state *ns = &fx->ns[1];

	memset(ns, 0, sizeof(*ns));
	memset(&ns->cur.limits, 0xff, sizeof(ns->cur.limits));
	ns->inode = NS_INODE + 1;
	ns->cur_at = fx->in.window_s;
	fx->ns_table.count = 2;
	ns_count_in(fx, 1, name, delta);
	return ns;
}

/* A count row in the fake namespace. */
static struct count_row ns_row(uint32_t tgid, uint32_t signal, uint32_t sub, uint64_t events,
			       uint64_t amount)
{
	return fx_row(tgid, NS_INODE, 0, signal, sub, events, amount);
}

static void free_fixture(struct fixture *fx)
{
	for (size_t i = 0; i < fx->ns_table.count; i++) {
		ns_reading_free(&fx->ns[i].base);
		ns_reading_free(&fx->ns[i].cur);
	}
	kernel_names_free(&fx->names);
}

static void setup(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fake_names(&fx->names);
	fx->table.rows = fx->rows;
	fx->in.window = &fx->table;
	fx->in.window_s = 5;
	fx->in.names = &fx->names;
	fx->in.verdicts = fx->verdicts;
	fx->in.n_verdicts = 2;
	fx->in.flows = fx->flows;
	fx->in.reset_flows = fx->flows;
	fx->in.tcp_mem[0] = 100, fx->in.tcp_mem[1] = 200, fx->in.tcp_mem[2] = 300;
	fx->in.mem.pressure_since_s = fx->in.mem.max_since_s = -1; /* never crossed */
	fx->in.ns = &fx->ns_table;
}

static void add(struct fixture *fx, struct count_row r)
{
	fx->rows[fx->table.count++] = r;
}

static const struct rule *rule_named(const char *cause)
{
	for (size_t i = 0; i < rule_count; i++)
		if (!strcmp(rule_table[i].cause, cause))
			return &rule_table[i];
	return NULL;
}

static int eval(struct fixture *fx, const char *cause, struct finding *f)
{
	const struct rule *r = rule_named(cause);

	memset(f, 0, sizeof(*f));
	f->cause = cause;
	return r ? r->eval(&fx->in, f) : -1;
}

TEST(healthy_window_fires_nothing)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	for (size_t i = 0; i < rule_count; i++)
		test_check(t, eval(&fx, rule_table[i].cause, &f) == 0, __FILE__, __LINE__,
			   "%s stays quiet on an empty window", rule_table[i].cause);
	free_fixture(&fx);
}

static const struct evidence *evidence_named(const struct finding *f, const char *name)
{
	for (int i = 0; i < f->n_evidence; i++)
		if (!strcmp(f->evidence[i].name, name))
			return &f->evidence[i];
	return NULL;
}

static int64_t num_of(const struct finding *f, const char *name)
{
	const struct evidence *e = evidence_named(f, name);

	return e && e->kind == EV_INT ? e->value : -1;
}

static double real_of(const struct finding *f, const char *name)
{
	const struct evidence *e = evidence_named(f, name);

	return e && e->kind == EV_REAL ? e->real : -1;
}

/* 60 retransmits: noise among 100k segments, a storm among 10k; never under the floor. */
TEST(retransmit_storm_is_judged_against_segments_sent)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.RetransSegs", 60);
	ns_count(&fx, "Tcp.OutSegs", 100000);
	ns_count(&fx, "TcpExt.TCPFastRetrans", 60);
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0);
	ns_count(&fx, "Tcp.OutSegs", 10000);
	fx.flows[0] = (struct flow_seen){ "198.18.0.1:40000", "198.18.0.2:5001", NS_INODE, 42, 60, 0, 0, 0, 0 };
	fx.in.n_flows = 1;
	if (!ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.severity, SEV_WARNING);
	ASSERT_EQ_INT(f.culprits[0].pid, 42);
	ASSERT_EQ_STR(f.culprits[0].raddr, "198.18.0.2:5001");
	ASSERT_TRUE(strstr(f.summary, "198.18.0.2:5001") != NULL);
	ASSERT_TRUE(strstr(f.summary, "0.6% of the 10000 segments sent") != NULL);
	ASSERT_TRUE(real_of(&f, "retransmit_ratio") == 0.006);
	ASSERT_EQ_STR(evidence_named(&f, "kind")->text, "fast");
	ns_count(&fx, "Tcp.RetransSegs", RETRANS_MIN_SEGS - 1);
	ns_count(&fx, "Tcp.OutSegs", 100);
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0);
out:
	free_fixture(&fx);
}

/* One lossy connection among much healthy traffic: judged against its own segments. */
TEST(retransmit_storm_finds_one_lossy_connection)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.RetransSegs", 60);
	ns_count(&fx, "Tcp.OutSegs", 1000000); /* 0.006% */
	fx.flows[0] = (struct flow_seen){ "10.0.0.1:40000", "10.0.0.2:443", NS_INODE, 42, 60, 0,
					  .sent = 100000, .sent_retrans = 60 };
	fx.in.n_flows = 1;
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0); /* 0.06% of its own too */
	fx.flows[0].sent = 6060; /* 1%: a storm for a namespace, not yet for one connection */
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0);
	fx.flows[0].sent = 2060; /* 60 of 2000 new segments: 3% */
	if (!ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		goto out;
	ASSERT_TRUE(real_of(&f, "flow_retransmit_ratio") == 0.03);
	ASSERT_TRUE(strstr(f.summary, "10.0.0.1:40000 -> 10.0.0.2:443") != NULL);
	ASSERT_TRUE(strstr(f.summary, "3.0% of the 2000 segments it sent") != NULL);
	ASSERT_EQ_INT(f.culprits[0].pid, 42);
	fx.flows[0].segs = RETRANS_MIN_SEGS - 1; /* its retransmits seen by the agent: a floor too */
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0);
out:
	free_fixture(&fx);
}

/*
 * Loss probes a slow receiver's ACK overtook are D-SACKed, not lost (a 5.10
 * guest's loopback bulk flow: 84 retransmits, 85 probes, 82 D-SACKs): neither
 * the namespace's share nor the connection's own counts them.
 */
TEST(retransmit_storm_leaves_out_what_the_peer_had_already)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.RetransSegs", 84);
	ns_count(&fx, "Tcp.OutSegs", 10000); /* 0.84% */
	ns_count(&fx, "TcpExt.TCPDSACKRecv", 82);
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0);
	ns_count(&fx, "TcpExt.TCPDSACKRecvSegs", 20); /* segments where counted: 64 lost, 0.64% */
	if (!ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		goto out;
	ASSERT_TRUE(real_of(&f, "judged_ratio") == 0.0064);
	ASSERT_TRUE(strstr(f.summary, "besides 20 the peers had already") != NULL);
	ns_count(&fx, "TcpExt.TCPDSACKRecvSegs", 82);
	ns_count(&fx, "Tcp.OutSegs", 1000000);
	fx.flows[0] = (struct flow_seen){ "127.0.0.1:52448", "127.0.0.1:5601", NS_INODE, 42, 84, 0,
					  .sent = 2907, .sent_retrans = 84, .sent_spurious = 82 };
	fx.in.n_flows = 1;
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0); /* 2 of 2823 lost: 0.07% */
	fx.flows[0].sent_spurious = 20; /* 64 lost: 2.3% */
	if (!ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		goto out;
	ASSERT_TRUE(strstr(f.summary, "2.3% of the 2823 segments it sent, besides 20 the peer had") !=
		    NULL);
out:
	free_fixture(&fx);
}

/* Retransmits after timeouts mean the connections stalled: fewer of them make a storm. */
TEST(retransmit_storm_weighs_timeouts_above_fast_retransmits)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.RetransSegs", 60);
	ns_count(&fx, "Tcp.OutSegs", 20000); /* 0.3% */
	ns_count(&fx, "TcpExt.TCPFastRetrans", 60);
	ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 0);
	ns_count(&fx, "TcpExt.TCPFastRetrans", 0);
	ns_count(&fx, "TcpExt.TCPSlowStartRetrans", 60);
	if (!ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		goto out;
	ASSERT_EQ_STR(evidence_named(&f, "kind")->text, "timeout");
	ASSERT_TRUE(real_of(&f, "judged_ratio") > RETRANS_STORM_RATIO);
	ASSERT_TRUE(strstr(f.summary, "mostly timeout retransmits") != NULL);
out:
	free_fixture(&fx);
}

/*
 * The summary names a kind only when the counters say so: FINs resent after
 * an RTO outside Loss state (the TIME_WAIT overflow test) are neither fast
 * nor timeout retransmits, and 0 of each is not "mostly fast".
 */
TEST(retransmit_storm_names_the_kind_only_when_its_counters_show_it)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.RetransSegs", 60);
	ns_count(&fx, "Tcp.OutSegs", 10000);
	if (ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1)) {
		ASSERT_TRUE(strstr(f.summary, "mostly") == NULL);
		ASSERT_TRUE(strstr(f.summary, "(none of them fast or timeout retransmits)") != NULL);
		ASSERT_EQ_STR(evidence_named(&f, "kind")->text, "other");
		ASSERT_EQ_INT(evidence_named(&f, "fast_retransmits")->value, 0);
	}
	ns_count(&fx, "TcpExt.TCPFastRetrans", 10); /* a few of each: most are neither */
	ns_count(&fx, "TcpExt.TCPSlowStartRetrans", 5);
	if (ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1)) {
		ASSERT_TRUE(strstr(f.summary, "mostly") == NULL);
		ASSERT_TRUE(strstr(f.summary, "(10 fast and 5 timeout retransmits among them)") != NULL);
		ASSERT_EQ_STR(evidence_named(&f, "kind")->text, "fast");
	}
	ns_count(&fx, "TcpExt.TCPFastRetrans", 31); /* more than half */
	if (ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		ASSERT_TRUE(strstr(f.summary, "(mostly fast retransmits)") != NULL);
	free_fixture(&fx);
}

TEST(socket_buffer_limit_is_judged_against_packets_received)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Ip.InReceives", 1000000);
	add(&fx, ns_row(77, TT_SIG_DROP, DROP_RCVBUFF, BUF_LIMIT_MIN_DROPS, 1000));
	ASSERT_EQ_INT(eval(&fx, "socket_buffer_limit", &f), 0); /* 0.001% */
	ns_count(&fx, "Ip.InReceives", 1000);
	fx.rows[0].events = BUF_LIMIT_MIN_DROPS - 1;
	ASSERT_EQ_INT(eval(&fx, "socket_buffer_limit", &f), 0); /* under the floor */
	fx.rows[0].events = BUF_LIMIT_MIN_DROPS;
	if (!ASSERT_EQ_INT(eval(&fx, "socket_buffer_limit", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.culprits[0].pid, 77);
	ASSERT_EQ_INT(f.severity, SEV_WARNING);
	ASSERT_TRUE(f.advice[0].sysctl == NULL); /* the application first */
	ASSERT_TRUE(real_of(&f, "drop_ratio") == 0.01);
	ASSERT_TRUE(strstr(f.summary, "1.0% of the 1000 packets received") != NULL);
out:
	free_fixture(&fx);
}

/*
 * Before 6.11 a refused datagram's drop names no socket: udp_refused names
 * its receiver, and the same datagrams' drops, charged to nobody, are not a
 * second culprit.  Drops of other owners still are.
 */
TEST(socket_buffer_limit_names_a_refused_receiver_once)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Ip.InReceives", 1000);
	add(&fx, ns_row(0, TT_SIG_DROP, DROP_RCVBUFF, 300, 60000));
	add(&fx, ns_row(77, TT_SIG_UDP_REFUSED, 0, 300, 60000));
	add(&fx, ns_row(88, TT_SIG_DROP, DROP_RCVBUFF, 20, 4000));
	if (!ASSERT_EQ_INT(eval(&fx, "socket_buffer_limit", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.n_culprits, 2);
	ASSERT_EQ_INT(f.culprits[0].pid, 77);
	ASSERT_EQ_INT(f.culprits[1].pid, 88);
	fx.rows[1].events = 0; /* from 6.11 the drop has its socket: no udp_refused */
	fx.rows[0].key.tgid = 77;
	if (ASSERT_EQ_INT(eval(&fx, "socket_buffer_limit", &f), 1))
		ASSERT_EQ_INT(f.culprits[0].pid, 77);
out:
	free_fixture(&fx);
}

TEST(reset_storm_is_judged_against_connections)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.OutRsts", RESET_MIN_COUNT);
	ns_count(&fx, "Tcp.ActiveOpens", 1000);
	ns_count(&fx, "Tcp.PassiveOpens", 1000);
	add(&fx, ns_row(5, TT_SIG_RST_SENT, RST_NO_SOCKET, RESET_MIN_COUNT, 0));
	ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 0); /* 2.5% */
	ns_count(&fx, "Tcp.ActiveOpens", 100);
	ns_count(&fx, "Tcp.PassiveOpens", 100);
	ns_count(&fx, "Tcp.OutRsts", RESET_MIN_COUNT - 1);
	ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 0); /* under the floor */
	ns_count(&fx, "Tcp.OutRsts", RESET_MIN_COUNT);
	fx.flows[0] = (struct flow_seen){ "127.0.0.1:5000", "127.0.0.1:40000", NS_INODE, 5, 0, 60, 0, 0, 0 };
	fx.in.n_reset_flows = 1;
	if (!ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.culprits[0].pid, 5);
	ASSERT_TRUE(strstr(f.summary, "no_socket") != NULL);
	ASSERT_TRUE(strstr(f.summary, "25.0% of the 200 connections") != NULL);
	ASSERT_TRUE(real_of(&f, "reset_ratio") == 0.25);
	if (ASSERT_EQ_INT(f.n_culprits, 2)) { /* the owner, then the connection's peer */
		ASSERT_EQ_STR(f.culprits[1].laddr, "127.0.0.1:5000"); /* it serves: 40000 is ephemeral */
		ASSERT_EQ_STR(f.culprits[1].raddr, "127.0.0.1");
	}
out:
	free_fixture(&fx);
}

TEST(reset_storm_floor_is_met_by_a_burst_in_a_long_window)
{
	struct fixture fx;
	struct finding f;
	struct ns_state *ns;

	setup(&fx);
	ns = fake_ns(&fx, "Tcp.OutRsts", 80);
	ns_count(&fx, "Tcp.ActiveOpens", 80);
	add(&fx, ns_row(5, TT_SIG_RST_SENT, RST_NO_SOCKET, 80, 0));
	ns->cur_at = 40; /* 2/s on average over 40 s */
	ns->pace.mark_at = 39; /* ... and every one in the last second */
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		ASSERT_TRUE(real_of(&f, "resets_sent_peak_per_s") == 80.0);
	ns->pace.mark_at = 0; /* a trickle over the 40 s */
	ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 0);
	free_fixture(&fx);
}

static const struct culprit *culprit_of(const struct finding *f, uint32_t pid, const char *unit)
{
	for (int i = 0; i < f->n_culprits; i++)
		if (f->culprits[i].pid == pid && f->culprits[i].unit && !strcmp(f->culprits[i].unit, unit))
			return &f->culprits[i];
	return NULL;
}

/* f names pid a peer laddr -> raddr of count resets (count < 0: any count). */
static void check_reset_peer(struct test_ctx *t, const struct finding *f, uint32_t pid,
			     long long count, const char *laddr, const char *raddr)
{
	const struct culprit *c = culprit_of(f, pid, "resets");

	if (!test_check(t, c != NULL, __FILE__, __LINE__, "a resets culprit with pid %u", pid))
		return;
	if (count >= 0)
		ASSERT_EQ_INT(c->count, count);
	ASSERT_EQ_STR(c->laddr, laddr);
	ASSERT_EQ_STR(c->raddr, raddr);
}

/* A reset storm of n kernel resets (no socket) against n connections opened each way. */
static void reset_storm_of(struct fixture *fx, uint64_t n)
{
	fake_ns(fx, "Tcp.OutRsts", n);
	ns_count(fx, "Tcp.ActiveOpens", n + 10);
	ns_count(fx, "Tcp.PassiveOpens", n + 10);
	add(fx, ns_row(0, TT_SIG_RST_SENT, RST_NO_SOCKET, n, 0));
}

/*
 * The flows of the TIME_WAIT incident: the server's connections each reset
 * once, each from another ephemeral port of the client.  One peer per
 * service: the server once with all its resets, not once per connection.
 */
TEST(reset_storm_groups_peers_by_service_port_not_connection)
{
	static const struct listener_seen listeners[] = { { 300, NS_INODE, 50000, 128, 0, 0 },
							  { 100, NS_INODE, 5615, 128, 0, 0 } };
	const struct culprit *c;
	struct fixture fx;
	struct finding f;

	setup(&fx);
	reset_storm_of(&fx, 2990);
	/* the server (5615, below the ephemeral range) reset by the churn client's ports */
	fx.flows[0] = (struct flow_seen){ "127.0.0.1:5615", "127.0.0.1:40001", NS_INODE, 100, 0, 1, 0, 0, 0 };
	fx.flows[1] = (struct flow_seen){ "127.0.0.1:5615", "127.0.0.1:40002", NS_INODE, 100, 0, 1, 0, 0, 0 };
	fx.flows[2] = (struct flow_seen){ "127.0.0.1:5615", "127.0.0.1:40003", NS_INODE, 100, 0, 1, 0, 0, 0 };
	/* a client of a remote service: the remote port is the service */
	fx.flows[3] = (struct flow_seen){ "10.0.0.1:45000", "10.0.0.2:443", NS_INODE, 200, 0, 2, 0, 0, 0 };
	fx.flows[4] = (struct flow_seen){ "10.0.0.1:45001", "10.0.0.2:443", NS_INODE, 200, 0, 2, 0, 0, 0 };
	/* a listener inside the ephemeral range: still the server side */
	fx.flows[5] = (struct flow_seen){ "10.0.0.1:50000", "10.0.0.3:45002", NS_INODE, 300, 0, 1, 0, 0, 0 };
	fx.in.n_reset_flows = 6;
	fx.in.listeners = listeners;
	fx.in.n_listeners = 1;
	if (!ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		goto out;
	check_reset_peer(t, &f, 100, 3, "127.0.0.1:5615", "127.0.0.1");
	check_reset_peer(t, &f, 200, 4, "", "10.0.0.2:443");
	check_reset_peer(t, &f, 300, -1, "10.0.0.1:50000", "10.0.0.3");
	ASSERT_EQ_INT(f.n_culprits, 4); /* the kernel (no socket), then one per peer */
	ASSERT_EQ_INT(f.culprits[1].pid, 200); /* most resets first */
	fx.ns[0].cur.limits.port_range[0] = 1024; /* 5615 is in this namespace's ephemeral range */
	fx.ns[0].cur.limits.port_range[1] = 65535;
	fx.in.n_reset_flows = 3;
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1)) {
		c = culprit_of(&f, 100, "resets"); /* nothing says it serves: the remote port */
		ASSERT_TRUE(c && !strcmp(c->raddr, "127.0.0.1:40001") && c->count == 1);
	}
	fx.in.n_listeners = 2; /* ... until its listener is known */
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1)) {
		c = culprit_of(&f, 100, "resets");
		ASSERT_TRUE(c && !strcmp(c->laddr, "127.0.0.1:5615") && c->count == 3);
	}
	/* the same endpoints in another namespace are not this storm's peers */
	fx.flows[0].netns = fx.flows[1].netns = NS_INODE + 1;
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1)) {
		c = culprit_of(&f, 100, "resets");
		ASSERT_TRUE(c && c->count == 1 && c->netns == NS_INODE);
	}
out:
	free_fixture(&fx);
}

/*
 * Flows as the agent keeps those with resets, by service (bpf/resets.bpf.c
 * flow_by_service): the ephemeral port left out (0).  That alone says which
 * side serves, with no listener known and the service port inside the
 * namespace's ephemeral range.
 */
TEST(reset_storm_peers_kept_by_service)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	reset_storm_of(&fx, 2990);
	fx.ns[0].cur.limits.port_range[0] = 1024;
	fx.ns[0].cur.limits.port_range[1] = 65535;
	fx.flows[0] = (struct flow_seen){ "127.0.0.1:5615", "127.0.0.1:0", NS_INODE, 100, 0, 7, 0, 0, 0 };
	fx.flows[1] = (struct flow_seen){ "10.0.0.1:0", "10.0.0.2:8443", NS_INODE, 200, 0, 5, 0, 0, 0 };
	fx.in.n_reset_flows = 2;
	if (!ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		goto out;
	check_reset_peer(t, &f, 100, 7, "127.0.0.1:5615", "127.0.0.1");
	check_reset_peer(t, &f, 200, 5, "", "10.0.0.2:8443");
out:
	free_fixture(&fx);
}

/*
 * The TIME_WAIT incident at full size: 3000 connections to the server's
 * port, 1 reset each, far more than the MAX_FLOWS most troubled flows.  The
 * peer counts every one of them; and among more peers than MAX_FLOWS, the
 * one with the most resets comes first wherever its flows are.
 */
TEST(reset_storm_peer_counts_every_flow_with_resets)
{
	enum { N = 3000, PEERS = 2 * MAX_FLOWS };
	struct flow_seen *flows = calloc(N + PEERS, sizeof(*flows));
	const struct culprit *c;
	struct fixture fx;
	struct finding f;

	setup(&fx);
	if (!ASSERT_TRUE(flows != NULL))
		goto out;
	reset_storm_of(&fx, N);
	for (int i = 0; i < N; i++) {
		flows[i] = (struct flow_seen){ "127.0.0.1:5615", "", NS_INODE, 100, 0, 1, 0, 0, 0 };
		snprintf(flows[i].raddr, sizeof(flows[i].raddr), "127.0.0.1:%d", 33000 + i);
	}
	fx.in.flows = flows; /* what collect keeps of them for the retransmit rules */
	fx.in.n_flows = MAX_FLOWS;
	fx.in.reset_flows = flows;
	fx.in.n_reset_flows = N;
	if (!ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		goto out;
	c = culprit_of(&f, 100, "resets");
	if (ASSERT_TRUE(c != NULL)) {
		ASSERT_EQ_INT(c->count, N);
		ASSERT_EQ_STR(c->laddr, "127.0.0.1:5615");
		ASSERT_EQ_STR(c->raddr, "127.0.0.1");
	}
	/* many clients of one process, 2 resets each; then the server's 3000 */
	for (int i = 0; i < PEERS; i++) {
		flows[i] = (struct flow_seen){ "10.0.0.1:45000", "", NS_INODE, 200, 0, 2, 0, 0, 0 };
		snprintf(flows[i].raddr, sizeof(flows[i].raddr), "10.0.%d.%d:443", i / 200, i % 200);
	}
	for (int i = PEERS; i < PEERS + N; i++) {
		flows[i] = (struct flow_seen){ "127.0.0.1:5615", "", NS_INODE, 100, 0, 1, 0, 0, 0 };
		snprintf(flows[i].raddr, sizeof(flows[i].raddr), "127.0.0.1:%d", 33000 + i);
	}
	fx.in.n_reset_flows = PEERS + N;
	if (!ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		goto out;
	if (ASSERT_EQ_INT(f.n_culprits, 4)) { /* the kernel (no socket), then 3 peers */
		ASSERT_EQ_INT(f.culprits[1].pid, 100);
		ASSERT_EQ_INT(f.culprits[1].count, N);
		ASSERT_EQ_INT(f.culprits[2].count, 2);
		ASSERT_EQ_INT(f.culprits[3].count, 2);
	}
	fx.in.reset_flows = NULL; /* not every flow with resets could be kept: no count from a part */
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		ASSERT_TRUE(culprit_of(&f, 100, "resets") == NULL);
out:
	free(flows);
	free_fixture(&fx);
}

TEST(listen_overflow_is_judged_against_connection_attempts)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "TcpExt.ListenOverflows", 20);
	ns_count(&fx, "TcpExt.ListenDrops", 20);
	ns_count(&fx, "Tcp.PassiveOpens", 10000);
	ASSERT_EQ_INT(eval(&fx, "listen_overflow", &f), 0); /* 0.2% */
	ns_count(&fx, "Tcp.PassiveOpens", 80);
	if (ASSERT_EQ_INT(eval(&fx, "listen_overflow", &f), 1)) {
		ASSERT_TRUE(real_of(&f, "overflow_ratio") == 0.2);
		ASSERT_TRUE(strstr(f.summary, "20.0% of the 100 that reached a listener") != NULL);
	}
	ns_count(&fx, "TcpExt.ListenOverflows", LISTEN_MIN_OVERFLOWS - 1);
	ASSERT_EQ_INT(eval(&fx, "listen_overflow", &f), 0); /* under the floor */
	free_fixture(&fx);
}

/*
 * Two listeners in one namespace: the one that dropped is named, not the one
 * that asked listen() for least; with no drops seen, the one with the longest
 * SYN queue, then the smaller backlog.
 */
TEST(listen_overflow_names_the_listener_that_dropped)
{
	struct listener_seen listeners[] = { { 22, NS_INODE, 22, 128, 0, 0 }, { 80, NS_INODE, 8080, 4096, 300, 0 },
					     { 99, NS_INODE + 1, 9090, 1, 900, 0 } };
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "TcpExt.ListenOverflows", 300);
	ns_count(&fx, "TcpExt.ListenDrops", 300);
	ns_count(&fx, "Tcp.PassiveOpens", 100);
	fx.in.listeners = listeners;
	fx.in.n_listeners = 3;
	if (ASSERT_EQ_INT(eval(&fx, "listen_overflow", &f), 1)) {
		ASSERT_EQ_INT(f.culprits[0].pid, 80);
		ASSERT_EQ_INT(num_of(&f, "port"), 8080);
		ASSERT_EQ_INT(num_of(&f, "listener_drops"), 300);
	}
	listeners[1].drops = 0; /* a flood answered with cookies: the full SYN queue names it */
	listeners[1].syn_queued = 4096;
	if (ASSERT_EQ_INT(eval(&fx, "listen_overflow", &f), 1))
		ASSERT_EQ_INT(f.culprits[0].pid, 80);
	listeners[1].syn_queued = 0;
	if (ASSERT_EQ_INT(eval(&fx, "listen_overflow", &f), 1))
		ASSERT_EQ_INT(f.culprits[0].pid, 22);
	free_fixture(&fx);
}

TEST(tcp_mem_verdict_is_critical_and_names_aborted_owner)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_exhausted", &f), 0);
	fx.verdicts[0] = (struct verdict_seen){ .verdict = "tcp_out_of_memory",
						.cause = "tcp_mem_exhausted", .count = 3 };
	strcpy(fx.verdicts[0].last, "TCP: out of memory -- consider tuning tcp_mem");
	add(&fx, row(314, TT_SIG_RST_SENT, RST_ABORT_ON_MEMORY, 12, 0));
	fake_ns(&fx, "TcpExt.TCPAbortOnMemory", 12); /* the kernel's counter agrees */
	if (!ASSERT_EQ_INT(eval(&fx, "tcp_mem_exhausted", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.severity, SEV_CRITICAL);
	ASSERT_EQ_INT(f.culprits[0].pid, 314);
	ASSERT_EQ_INT(f.culprits[0].count, 12);
out:
	free_fixture(&fx);
}

/* Conntrack stats of the fake namespace: "entries drop early_drop insert_failed", 0 at its baseline. */
static void ns_conntrack(struct fixture *fx, long drop, long early_drop, long insert_failed)
{
	struct ns_state *ns = &fx->ns[0];
	char text[256];

	conntrack_stat_parse("entries drop early_drop insert_failed\n0 0 0 0\n", &ns->base.conntrack);
	snprintf(text, sizeof(text), "entries drop early_drop insert_failed\n0 %lx %lx %lx\n",
		 (unsigned long)drop, (unsigned long)early_drop, (unsigned long)insert_failed);
	conntrack_stat_parse(text, &ns->cur.conntrack);
}

static bool mentions_tw_recycle(const char *s)
{
	return s && strstr(s, "tw_recycle") != NULL;
}

/* Every rule that fires on fx: its advice, every field of it, never names tcp_tw_recycle. */
/* "42", "1 2 3", "-0.5": text that should have been a JSON number (or array of them). */
static bool looks_numeric(const char *text)
{
	return text[0] && strspn(text, "0123456789 .-") == strlen(text);
}

static void check_no_tw_recycle(struct test_ctx *t, struct fixture *fx, bool *fired)
{
	struct finding f;

	for (size_t i = 0; i < rule_count; i++) {
		if (eval(fx, rule_table[i].cause, &f) != 1)
			continue;
		fired[i] = true;
		for (int k = 0; k < f.n_evidence; k++) /* numbers are numbers (issue 13) */
			test_check(t, f.evidence[k].kind != EV_TEXT || !looks_numeric(f.evidence[k].text),
				   __FILE__, __LINE__, "%s: evidence %s is a number, not the text '%s'",
				   f.cause, f.evidence[k].name, f.evidence[k].text);
		for (int k = 0; k < f.n_advice; k++) {
			const struct advice *a = &f.advice[k];

			test_check(t, !mentions_tw_recycle(a->action) && !mentions_tw_recycle(a->sysctl) &&
				   !mentions_tw_recycle(a->current) && !mentions_tw_recycle(a->suggested) &&
				   !mentions_tw_recycle(a->why),
				   __FILE__, __LINE__, "%s advises no tcp_tw_recycle (advice %d)", f.cause, k);
		}
	}
}

/* The folklore the seeds repeat must never come out of any rule: every rule fires here. */
TEST(no_rule_advises_tcp_tw_recycle)
{
	static struct listener_seen listener = { 1, NS_INODE, 80, 8, 0, 0 };
	static struct connfail_seen cf = { 1, NS_INODE, "10.0.0.9:443", 100 };
	struct state_seen states[2] = {
		{ 1, NS_INODE, TCP_CLOSE_WAIT, LEAK_MIN_SOCKETS, LEAK_MIN_AGE_S },
		{ 1, NS_INODE, TCP_FIN_WAIT2, LEAK_MIN_SOCKETS, LEAK_MIN_AGE_S },
	};
	bool fired[64] = { false };
	struct trend tr = { 0 };
	struct fixture fx;
	struct ns_state *ns;

	ASSERT_TRUE(rule_count <= sizeof(fired) / sizeof(fired[0]));
	/* (a) every rule but the two that only fire when tcp_mem_exhausted does not */
	setup(&fx);
	fx.verdicts[0] = (struct verdict_seen){ .verdict = "v", .cause = "tcp_mem_exhausted", .count = 1 };
	fx.verdicts[1] = (struct verdict_seen){ .verdict = "v", .cause = "orphan_sockets", .count = 1 };
	add(&fx, ns_row(1, TT_SIG_RETRANS, 0, 100, 100));
	add(&fx, ns_row(1, TT_SIG_DROP, DROP_RCVBUFF, 100, 100));
	add(&fx, ns_row(1, TT_SIG_EXCEED_BUF, 1, 100, 100));
	add(&fx, ns_row(1, TT_SIG_RST_SENT, RST_NO_SOCKET, 100, 0));
	add(&fx, ns_row(1, TT_SIG_CONNECT_FAIL, 99 /* EADDRNOTAVAIL */, 100, 0));
	ns = fake_ns(&fx, "Tcp.RetransSegs", 100); /* every rate rule fires: 100 of 100 */
	ns_count(&fx, "Tcp.OutSegs", 100);
	ns_count(&fx, "Tcp.OutRsts", 100);
	ns_count(&fx, "Tcp.ActiveOpens", 100);
	ns_count(&fx, "Ip.InReceives", 100);
	ns_count(&fx, "TcpExt.ListenOverflows", 100);
	ns_count(&fx, "TcpExt.ListenDrops", 200); /* 100 of them for a full SYN queue */
	ns_count(&fx, "TcpExt.TCPAbortOnMemory", 100); /* the verdicts are the kernel's */
	ns_count(&fx, "TcpExt.TCPTimeWaitOverflow", 100);
	ns_conntrack(&fx, 100, 0, 0);
	ns->base_at = 0, fx.in.now_s = 20;
	ns->base.limits.conntrack_count = 100; /* filling at 25/s: 400 left */
	ns->cur.limits.conntrack_count = 600, ns->cur.limits.conntrack_max = 1000;
	ns->cur.limits.port_range[0] = 40000, ns->cur.limits.port_range[1] = 40009;
	ns->cur.limits.somaxconn = 4096, ns->cur.limits.max_syn_backlog = 8;
	ns->cur.limits.tw_buckets_max = 10, ns->cur.limits.tw_reuse = 2;
	ns->base.sockstat.tcp_tw = 2, ns->cur.sockstat.tcp_tw = 6; /* 0.2/s: full in 20 s */
	fx.in.listeners = &listener, fx.in.n_listeners = 1;
	fx.in.connfails = &cf, fx.in.n_connfails = 1;
	fx.in.states = states, fx.in.n_states = 2;
	fx.in.horizon_s = FORECAST_HORIZON_S;
	for (int i = 0; i <= 30; i++)
		trend_add(&tr, i, 70 + 1.0 * i); /* 1 page/s, 100 pages below tcp_mem[1] */
	trend_fit_halves(&tr, FORECAST_WINDOW_S, &fx.in.mem.fit, &fx.in.mem.recent);
	fx.in.mem.now = 100;
	check_no_tw_recycle(t, &fx, fired);
	free_fixture(&fx);
	/* (b) pressure that stayed below tcp_mem[2], and a verdict line no counter backs */
	setup(&fx);
	fx.verdicts[0] = (struct verdict_seen){ .verdict = "v", .cause = "tcp_mem_exhausted", .count = 1 };
	fake_ns(&fx, "TcpExt.TCPMemoryPressures", 3);
	fx.in.mem.now = fx.in.mem.peak = 250, fx.in.mem.pressure_since_s = 1;
	check_no_tw_recycle(t, &fx, fired);
	free_fixture(&fx);
	for (size_t i = 0; i < rule_count; i++)
		test_check(t, fired[i], __FILE__, __LINE__, "%s fired (its advice was checked)",
			   rule_table[i].cause);
}

TEST(timewait_overflow_uses_namespace_counter)
{
	struct fixture fx;
	struct finding f;
	struct ns_state *ns;

	setup(&fx);
	ASSERT_EQ_INT(eval(&fx, "timewait_overflow", &f), 0);
	ns = fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 321);
	ns->cur.limits.tw_buckets_max = 10;
	ns->cur.sockstat.tcp_tw = 10;
	ns->cur.limits.tw_reuse = 2;
	add(&fx, row(9, TT_SIG_ACTIVE_CLOSE, 0, 400, 0));
	fx.rows[0].key.netns = ns->inode;
	if (!ASSERT_EQ_INT(eval(&fx, "timewait_overflow", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.evidence[1].value, 321); /* after netns */
	ASSERT_EQ_INT(f.culprits[0].pid, 9);
	ASSERT_TRUE(f.advice[0].sysctl == NULL);
	ASSERT_EQ_STR(f.advice[1].sysctl, "net.ipv4.tcp_tw_reuse");
out:
	free_fixture(&fx);
}

TEST(ephemeral_ports_names_caller_and_destination)
{
	struct fixture fx;
	struct finding f;
	struct connfail_seen cf = { .tgid = 55, .netns = 4026532000u, .raddr = "10.9.8.7:443",
				    .failures = PORTS_MIN_FAILURES };

	setup(&fx);
	fake_ns(&fx, "TcpExt.ListenOverflows", 0)->cur.limits.port_range[0] = 40000;
	fx.ns[0].cur.limits.port_range[1] = 40009;
	ASSERT_EQ_INT(eval(&fx, "ephemeral_ports_exhausted", &f), 0);
	fx.in.connfails = &cf;
	fx.in.n_connfails = 1;
	/* a busy host's few misses among many connects: not exhaustion */
	add(&fx, row(55, TT_SIG_CONNECT, 0, 100000, 0));
	add(&fx, row(55, TT_SIG_CONNECT_FAIL, 99, PORTS_MIN_FAILURES, 0));
	ASSERT_EQ_INT(eval(&fx, "ephemeral_ports_exhausted", &f), 0);
	fx.rows[0].events = 10; /* the same failures among 10 connects */
	if (!ASSERT_EQ_INT(eval(&fx, "ephemeral_ports_exhausted", &f), 1))
		goto out;
	ASSERT_EQ_INT(f.severity, SEV_CRITICAL);
	ASSERT_EQ_INT(f.culprits[0].pid, 55);
	ASSERT_EQ_STR(f.culprits[0].raddr, "10.9.8.7:443");
	ASSERT_EQ_STR(f.advice[1].current, "40000 40009");
out:
	free_fixture(&fx);
}

TEST(close_wait_needs_count_and_age)
{
	struct fixture fx;
	struct finding f;
	struct state_seen st = { 77, 4026531840u, TCP_CLOSE_WAIT, LEAK_MIN_SOCKETS, LEAK_MIN_AGE_S - 1 };

	setup(&fx);
	fx.in.states = &st;
	fx.in.n_states = 1;
	ASSERT_EQ_INT(eval(&fx, "close_wait_leak", &f), 0);
	st.oldest_s = LEAK_MIN_AGE_S;
	st.count = LEAK_MIN_SOCKETS - 1;
	ASSERT_EQ_INT(eval(&fx, "close_wait_leak", &f), 0);
	st.count = LEAK_MIN_SOCKETS;
	if (ASSERT_EQ_INT(eval(&fx, "close_wait_leak", &f), 1))
		ASSERT_EQ_INT(f.culprits[0].pid, 77);
	ASSERT_EQ_INT(eval(&fx, "fin_wait2_accumulation", &f), 0); /* other state */
	free_fixture(&fx);
}

/* A kernel without drop or reset reasons (before 5.17 / 6.10): said, never shown as 0. */
TEST(old_kernel_reasons_are_not_visible_rather_than_zero)
{
	struct fixture fx;
	const struct evidence *e;
	struct finding f;

	setup(&fx);
	kernel_names_free(&fx.names); /* no skb_drop_reason, no sk_rst_reason in BTF */
	fake_ns(&fx, "Udp.RcvbufErrors", BUF_LIMIT_MIN_DROPS); /* the namespace counted them */
	ns_count(&fx, "Ip.InReceives", 100);
	if (ASSERT_EQ_INT(eval(&fx, "socket_buffer_limit", &f), 1)) {
		ASSERT_EQ_INT(evidence_named(&f, "ns_receive_buffer_drops")->value, BUF_LIMIT_MIN_DROPS);
		ASSERT_TRUE(evidence_named(&f, "drops_proto_mem") == NULL);
		e = evidence_named(&f, "not_visible");
		if (ASSERT_TRUE(e != NULL))
			ASSERT_EQ_STR(e->text, "drop_reasons (Linux 5.17+)");
	}
	add(&fx, ns_row(5, TT_SIG_RST_SENT, 0, RESET_MIN_COUNT, 0));
	ns_count(&fx, "Tcp.OutRsts", RESET_MIN_COUNT);
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1)) {
		ASSERT_TRUE(evidence_named(&f, "top_reason") == NULL);
		ASSERT_TRUE(strstr(f.summary, "does not give reset reasons") != NULL);
		e = evidence_named(&f, "not_visible");
		ASSERT_TRUE(e && strstr(e->text, "reset_reasons") != NULL);
	}
	free_fixture(&fx);
}

static void forge(struct fixture *fx, int i, const char *verdict, const char *cause, const char *text)
{
	fx->verdicts[i] = (struct verdict_seen){ .verdict = verdict, .cause = cause, .count = 1 };
	snprintf(fx->verdicts[i].last, sizeof(fx->verdicts[i].last), "%s", text);
}

/* Lines written to /dev/kmsg with every counter calm: info at most, never an outage. */
TEST(forged_kernel_lines_raise_no_warning)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPAbortOnMemory", 0);
	fx.in.orphans = 10, fx.in.max_orphans = 4096;
	forge(&fx, 0, "tcp_out_of_memory", "tcp_mem_exhausted",
	      "TCP: out of memory -- consider tuning tcp_mem");
	forge(&fx, 1, "conntrack_table_full", "conntrack_full",
	      "nf_conntrack: table full, dropping packet");
	for (size_t i = 0; i < rule_count; i++) {
		if (eval(&fx, rule_table[i].cause, &f) != 1)
			continue;
		test_check(t, f.severity == SEV_INFO, __FILE__, __LINE__,
			   "%s fired as %s from a forged line", f.cause, severity_name(f.severity));
	}
	if (ASSERT_EQ_INT(eval(&fx, "kernel_log_unconfirmed", &f), 1)) {
		ASSERT_EQ_INT(f.severity, SEV_INFO);
		ASSERT_EQ_STR(evidence_named(&f, "claimed_cause")->text, "tcp_mem_exhausted");
	}
	forge(&fx, 0, "too_many_orphans", "orphan_sockets", "TCP: too many orphaned sockets");
	ASSERT_EQ_INT(eval(&fx, "orphan_sockets", &f), 0);
	free_fixture(&fx);
}

/* The same line with its counter behind it is evidence; orphans over the limit need no line. */
TEST(orphan_sockets_from_counters_or_a_confirmed_line)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPAbortOnMemory", 0);
	fx.in.orphans = 4096, fx.in.max_orphans = 4096;
	if (ASSERT_EQ_INT(eval(&fx, "orphan_sockets", &f), 1))
		ASSERT_EQ_INT(f.severity, SEV_CRITICAL);
	fx.in.orphans = 10;
	ASSERT_EQ_INT(eval(&fx, "orphan_sockets", &f), 0);
	free_fixture(&fx);
	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPAbortOnMemory", 7);
	fx.in.orphans = 10, fx.in.max_orphans = 4096;
	forge(&fx, 0, "too_many_orphans", "orphan_sockets", "TCP: too many orphaned sockets");
	ASSERT_EQ_INT(eval(&fx, "orphan_sockets", &f), 1);
	ASSERT_EQ_INT(eval(&fx, "kernel_log_unconfirmed", &f), 0);
	free_fixture(&fx);
}

/* Two findings of one evaluation, as the session hands them to incidents_link(). */
static void fired_pair(struct finding *f, const char *symptom, const char *root)
{
	memset(f, 0, 2 * sizeof(*f));
	f[0].cause = symptom;
	f[0].severity = SEV_WARNING;
	snprintf(f[0].summary, sizeof(f[0].summary), "60 segments retransmitted: packets are being lost");
	finding_advice(&f[0], "check the network path", NULL, "loss");
	f[0].culprits[0] = (struct culprit){ .pid = 2002, .netns = 4026532000u, .count = 60 };
	f[0].n_culprits = 1;
	f[1].cause = root;
	f[1].culprits[0] = (struct culprit){ .pid = 1001, .netns = 4026532001u, .count = 9 };
	f[1].n_culprits = 1;
	finding_num(&f[0], "netns", NS_INODE); /* both about the fake namespace */
	finding_num(&f[1], "netns", NS_INODE);
	incident_set_id(&f[0], 1);
	incident_set_id(&f[1], 1);
}

/* The two-tenant case: B's retransmits follow from A holding TCP memory, not from the path. */
TEST(incident_links_retransmits_to_tcp_memory_with_victim)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPMemoryPressures", 3);
	fired_pair(f, "retransmit_storm", "tcp_mem_pressure");
	if (!ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1))
		goto out;
	ASSERT_EQ_STR(f[0].caused_by, "tcp_mem_pressure-1");
	ASSERT_TRUE(strstr(f[0].because, "3 pressure entries") != NULL);
	ASSERT_TRUE(strstr(f[0].summary, "a consequence of tcp_mem_pressure") != NULL);
	ASSERT_TRUE(strstr(f[0].summary, "lost") == NULL); /* no one is sent to the network */
	ASSERT_EQ_INT(f[0].n_advice, 1);
	ASSERT_EQ_STR(f[1].consequences[0], "retransmit_storm-1");
	if (ASSERT_EQ_INT(f[1].n_victims, 1))
		ASSERT_EQ_INT(f[1].victims[0].pid, 2002); /* the victim, not the holder (1001) */
	ASSERT_EQ_INT(f[1].culprits[0].pid, 1001);
out:
	free_fixture(&fx);
}

/* Both firing is not enough: without the evidence that links them they stay apart. */
TEST(incident_needs_evidence_not_coincidence)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPMemoryPressures", 0);
	fired_pair(f, "retransmit_storm", "tcp_mem_pressure");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	ASSERT_EQ_STR(f[0].caused_by, "");
	free_fixture(&fx);
	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 50);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_NO_SOCKET, 50, 50));
	fired_pair(f, "reset_storm", "timewait_overflow");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1);
	ASSERT_EQ_STR(f[0].caused_by, "timewait_overflow-1");
	free_fixture(&fx);
}

/*
 * Mixed faults (seen in the soak): resets aborting connections for memory in
 * one namespace, the TIME_WAIT table full in another, refused connects while
 * tcp_mem is under pressure.  Each storm stays with what its own resets say.
 */
TEST(incident_links_resets_by_their_namespace_and_reason)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 1000);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_NO_SOCKET, 50, 50));
	fired_pair(f, "reset_storm", "timewait_overflow");
	f[1].n_evidence = 0;
	finding_num(&f[1], "netns", NS_INODE + 1); /* the overflow is another namespace's */
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	free_fixture(&fx);
	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 1000);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_ABORT_ON_MEMORY, 1000, 1000));
	fired_pair(f, "reset_storm", "timewait_overflow"); /* same namespace, resets for memory */
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	free_fixture(&fx);
	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPMemoryPressures", 5);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_NO_SOCKET, 500, 500));
	fired_pair(f, "reset_storm", "tcp_mem_pressure"); /* refused connects, not memory */
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	free_fixture(&fx);
}

/*
 * One retransmit_storm finding: a namespace retransmitting mostly SYNs that a
 * full accept queue dropped (its root says so) gives way to another's lossy
 * path; with no dropped SYN to explain them, the worse share is named.
 */
TEST(retransmit_storm_prefers_a_lossy_path_to_explained_syns)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.RetransSegs", 300);
	ns_count(&fx, "TcpExt.TCPSynRetrans", 300);
	ns_count(&fx, "Tcp.OutSegs", 100);
	fake_ns2(&fx, "Tcp.RetransSegs", 100);
	ns_count_in(&fx, 1, "Tcp.OutSegs", 10000);
	ns_count_in(&fx, 1, "TcpExt.TCPFastRetrans", 100);
	if (ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE); /* no dropped SYN: the worse share */
	ns_count(&fx, "TcpExt.ListenDrops", 50);
	if (ASSERT_EQ_INT(eval(&fx, "retransmit_storm", &f), 1))
		ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE + 1);
	free_fixture(&fx);
}

/*
 * One reset_storm finding: a namespace whose resets its TIME_WAIT overflow
 * explains (mostly no_socket) gives way to another's unexplained storm.
 */
TEST(reset_storm_prefers_unexplained_resets)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.OutRsts", 500);
	ns_count(&fx, "Tcp.ActiveOpens", 500);
	ns_count(&fx, "Tcp.PassiveOpens", 500);
	add(&fx, ns_row(5, TT_SIG_RST_SENT, RST_NO_SOCKET, 500, 0));
	fake_ns2(&fx, "Tcp.OutRsts", 100);
	ns_count_in(&fx, 1, "Tcp.ActiveOpens", 400);
	add(&fx, fx_row(6, NS_INODE + 1, 0, TT_SIG_RST_SENT, RST_ABORT_ON_CLOSE, 100, 0));
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE); /* nothing explains it: the worse share */
	ns_count(&fx, "TcpExt.TCPTimeWaitOverflow", 500);
	if (ASSERT_EQ_INT(eval(&fx, "reset_storm", &f), 1))
		ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE + 1);
	free_fixture(&fx);
}

/*
 * Mixed faults: a lossy path's data retransmits beside a full accept queue,
 * or in a namespace other than the one short of memory, keep their own
 * finding; SYN retransmits, or memory refused on that scale, are linked.
 * Resets are a full conntrack table's only in its own namespace.
 */
TEST(incident_links_storms_only_to_what_explains_them)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	fake_ns(&fx, "TcpExt.ListenDrops", 50);
	ns_count(&fx, "Tcp.RetransSegs", 500);
	ns_count(&fx, "TcpExt.TCPSynRetrans", 20); /* the rest: data */
	fired_pair(f, "retransmit_storm", "listen_overflow");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	ns_count(&fx, "TcpExt.TCPSynRetrans", 400);
	fired_pair(f, "retransmit_storm", "listen_overflow");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1);
	free_fixture(&fx);

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPMemoryPressures", 5);
	fired_pair(f, "retransmit_storm", "tcp_mem_pressure");
	f[0].n_evidence = 0;
	finding_num(&f[0], "netns", NS_INODE + 1); /* the storm is another namespace's */
	finding_num(&f[0], "retransmit_segs", 500);
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	add(&fx, ns_row(7, TT_SIG_EXCEED_BUF, 0, 300, 0)); /* refusals on its scale, elsewhere */
	fired_pair(f, "retransmit_storm", "tcp_mem_pressure");
	f[0].n_evidence = 0;
	finding_num(&f[0], "netns", NS_INODE + 1);
	finding_num(&f[0], "retransmit_segs", 500);
	if (ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1))
		ASSERT_TRUE(strstr(f[0].because, "300 allocations refused") != NULL);
	free_fixture(&fx);

	/* a reset storm is a full table's only in the table's namespace */
	setup(&fx);
	fake_ns(&fx, "Tcp.OutRsts", 0);
	ns_conntrack(&fx, 40, 0, 0);
	fired_pair(f, "reset_storm", "conntrack_full");
	f[0].n_evidence = 0;
	finding_num(&f[0], "netns", NS_INODE + 1);
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	fired_pair(f, "reset_storm", "conntrack_full");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1);
	free_fixture(&fx);
}

/*
 * A storm is TIME_WAIT's doing only when most of its resets are no_socket:
 * 3 among 1000 aborts on close leave it standing, with its own advice.
 */
TEST(incident_links_resets_to_timewait_only_when_most_are_no_socket)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 1000);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_ABORT_ON_CLOSE, 1000, 1000));
	add(&fx, ns_row(0, TT_SIG_RST_SENT, RST_NO_SOCKET, 3, 3));
	fired_pair(f, "reset_storm", "timewait_overflow");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	ASSERT_EQ_STR(f[0].caused_by, "");
	ASSERT_EQ_STR(f[0].advice[0].action, "check the network path"); /* its own advice kept */
	ASSERT_EQ_INT(f[1].n_victims, 0);
	free_fixture(&fx);

	setup(&fx); /* half is not most */
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 1000);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_ABORT_ON_CLOSE, 50, 50));
	add(&fx, ns_row(0, TT_SIG_RST_SENT, RST_NO_SOCKET, 50, 50));
	fired_pair(f, "reset_storm", "timewait_overflow");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	free_fixture(&fx);

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 1000);
	add(&fx, ns_row(2002, TT_SIG_RST_SENT, RST_ABORT_ON_CLOSE, 30, 30));
	add(&fx, ns_row(0, TT_SIG_RST_SENT, RST_NO_SOCKET, 70, 70));
	fired_pair(f, "reset_storm", "timewait_overflow");
	if (ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1)) {
		ASSERT_EQ_STR(f[0].caused_by, "timewait_overflow-1");
		ASSERT_TRUE(strstr(f[0].because, "70 of its 100 resets for reason no_socket") != NULL);
	}
	free_fixture(&fx);
}

/* The kernel (pid 0: resets sent without a socket) is a culprit of the storm, never a victim. */
TEST(incident_victims_are_processes_not_the_kernel)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 1000);
	add(&fx, ns_row(0, TT_SIG_RST_SENT, RST_NO_SOCKET, 990, 990));
	fired_pair(f, "reset_storm", "timewait_overflow");
	f[0].culprits[0] = (struct culprit){ .pid = 0, .netns = NS_INODE, .count = 990,
					     .why = "no socket" };
	f[0].culprits[1] = (struct culprit){ .pid = 2002, .netns = NS_INODE, .count = 990 };
	f[0].n_culprits = 2;
	if (ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1) &&
	    ASSERT_EQ_INT(f[1].n_victims, 1)) {
		ASSERT_EQ_INT(f[1].victims[0].pid, 2002);
		ASSERT_EQ_STR(f[1].victims[0].why, "connections reset");
	}
	free_fixture(&fx);
}

/* Without reset reasons (before 6.10): linked when the overflows can be most of the resets. */
TEST(incident_links_resets_to_timewait_without_reasons_by_their_numbers)
{
	static const bool fired[2] = { true, true };
	struct finding f[2];
	struct fixture fx;

	setup(&fx);
	kernel_names_free(&fx.names); /* no sk_rst_reason in BTF */
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 3);
	ns_count(&fx, "Tcp.OutRsts", 1003);
	fired_pair(f, "reset_storm", "timewait_overflow");
	ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 0);
	ASSERT_EQ_STR(f[0].caused_by, "");
	free_fixture(&fx);

	setup(&fx);
	kernel_names_free(&fx.names);
	fake_ns(&fx, "TcpExt.TCPTimeWaitOverflow", 2990);
	ns_count(&fx, "Tcp.OutRsts", 2990);
	fired_pair(f, "reset_storm", "timewait_overflow");
	if (ASSERT_EQ_INT(incidents_link(&fx.in, f, fired, 2), 1))
		ASSERT_TRUE(strstr(f[0].because, "overflowed 2990 times (2990 resets sent there)") != NULL);
	free_fixture(&fx);
}

/* Every link whose evidence is a namespace counter: linked when it grew, apart when not. */
TEST(incident_links_each_symptom_to_its_root_through_evidence)
{
	static const bool fired[2] = { true, true };
	static const struct {
		const char *symptom, *root, *counter, *because;
		int rst_reason; /* resets sent for it in the namespace, with the counter (0: none) */
	} cases[] = {
		{ "retransmit_storm", "tcp_mem_exhausted", "TcpExt.TCPMemoryPressures", "refused TCP memory", 0 },
		{ "retransmit_storm", "tcp_mem_pressure", "TcpExt.TCPAbortOnMemory", "aborts on memory", 0 },
		{ "reset_storm", "tcp_mem_exhausted", "TcpExt.TCPAbortOnMemory", "nothing was lost",
		  RST_ABORT_ON_MEMORY },
		{ "reset_storm", "tcp_mem_pressure", "TcpExt.TCPAbortOnMemory", "lack of TCP memory",
		  RST_ABORT_ON_MEMORY },
		{ "socket_buffer_limit", "tcp_mem_exhausted", "TcpExt.TCPMemoryPressures", "refused", 0 },
		{ "socket_buffer_limit", "tcp_mem_pressure", "TcpExt.TCPMemoryPressures", "refused", 0 },
		{ "orphan_sockets", "tcp_mem_exhausted", "TcpExt.TCPAbortOnMemory", "orphaned", 0 },
		{ "reset_storm", "timewait_overflow", "TcpExt.TCPTimeWaitOverflow", "TIME_WAIT", RST_NO_SOCKET },
		{ "retransmit_storm", "listen_overflow", "TcpExt.ListenDrops", "SYNs dropped", 0 },
		{ "retransmit_storm", "syn_backlog_overflow", "TcpExt.ListenDrops", "queues were full", 0 },
	};
	char root_id[FINDING_ID_LEN];
	struct finding f[2];
	struct fixture fx;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup(&fx);
		fake_ns(&fx, cases[i].counter, 0);
		fired_pair(f, cases[i].symptom, cases[i].root);
		test_check(t, incidents_link(&fx.in, f, fired, 2) == 0, __FILE__, __LINE__,
			   "%s and %s stay apart while %s is flat", cases[i].symptom, cases[i].root,
			   cases[i].counter);
		free_fixture(&fx);
		setup(&fx);
		fake_ns(&fx, cases[i].counter, 7);
		if (cases[i].rst_reason)
			add(&fx, ns_row(2002, TT_SIG_RST_SENT, cases[i].rst_reason, 7, 7));
		fired_pair(f, cases[i].symptom, cases[i].root);
		snprintf(root_id, sizeof(root_id), "%s-1", cases[i].root);
		test_check(t, incidents_link(&fx.in, f, fired, 2) == 1 &&
				      !strcmp(f[0].caused_by, root_id) &&
				      strstr(f[0].because, cases[i].because) &&
				      !strcmp(f[1].consequences[0], f[0].id) && f[1].n_victims == 1,
			   __FILE__, __LINE__, "%s is caused_by %s when %s grew (because: %s)",
			   cases[i].symptom, cases[i].root, cases[i].counter, f[0].because);
		free_fixture(&fx);
	}
}

/* TIME_WAIT filling tcp_max_tw_buckets: warned with its eta and the active closer; flat: not. */
TEST(timewait_forecast_from_the_namespaces_pace)
{
	struct fixture fx;
	struct ns_state *ns;
	struct finding f;

	setup(&fx);
	fx.in.horizon_s = FORECAST_HORIZON_S;
	add(&fx, ns_row(42, TT_SIG_ACTIVE_CLOSE, 0, 5000, 0));
	ns = fake_ns(&fx, "Tcp.ActiveOpens", 5000);
	ns->base_at = 0, fx.in.now_s = 60;
	ns->cur.limits.tw_buckets_max = 10000;
	ns->base.sockstat.tcp_tw = 4000, ns->cur.sockstat.tcp_tw = 4000; /* steady churn */
	ASSERT_EQ_INT(eval(&fx, "timewait_forecast", &f), 0);
	ns->cur.sockstat.tcp_tw = 7000; /* 50/s: 3000 left, 60 s; the plateau 50 * 60 s is 3000 */
	ASSERT_EQ_INT(eval(&fx, "timewait_forecast", &f), 0);     /* ... below the limit */
	ns->cur.limits.tw_buckets_max = 8000;
	ns->base.sockstat.tcp_tw = 1000;
	ns->cur.sockstat.tcp_tw = 7000; /* 100/s over 60 s: 1000 left, 10 s; plateau 6000 < 8000 */
	ASSERT_EQ_INT(eval(&fx, "timewait_forecast", &f), 0);
	ns->base_at = 30;                 /* the same growth in 30 s: 200/s, plateau 12000 */
	ns->cur.limits.tw_buckets_max = 10000;
	if (ASSERT_EQ_INT(eval(&fx, "timewait_forecast", &f), 1)) {
		ASSERT_EQ_INT(evidence_named(&f, "eta_s")->value, 15); /* 3000 left at 200/s */
		ASSERT_EQ_INT(evidence_named(&f, "tcp_max_tw_buckets")->value, 10000);
		ASSERT_EQ_INT(f.culprits[0].pid, 42);
	}
	ns->cur.sockstat.tcp_tw = 10000; /* full: timewait_overflow's business, not a forecast */
	ASSERT_EQ_INT(eval(&fx, "timewait_forecast", &f), 0);
	free_fixture(&fx);
}

/*
 * TCP memory at `from` pages rising `per_s` a second for seconds [first, last]
 * (into tr, fitted for fx), limits tcp_mem[1] = pressure, [0] and [2] around it.
 */
static void mem_rising(struct fixture *fx, struct trend *tr, long pressure, double from,
		       double per_s, int first, int last)
{
	fx->in.horizon_s = FORECAST_HORIZON_S;
	fx->in.tcp_mem[0] = pressure * 3 / 4, fx->in.tcp_mem[1] = pressure;
	fx->in.tcp_mem[2] = pressure * 3 / 2;
	for (int i = first; i <= last; i++)
		trend_add(tr, i, from + per_s * i);
	trend_fit_halves(tr, FORECAST_WINDOW_S, &fx->in.mem.fit, &fx->in.mem.recent);
	fx->in.mem.now = (long)(from + per_s * last);
}

/* Early warning: memory rising toward tcp_mem[1] fires before any pressure, with its eta. */
TEST(tcp_mem_forecast_before_pressure)
{
	struct trend tr = { 0 };
	struct fixture fx;
	struct finding f;

	setup(&fx);
	mem_rising(&fx, &tr, 20000, 5000, 50, 0, 30); /* 50 pages/s for 30 s: at 6500 */
	if (ASSERT_EQ_INT(eval(&fx, "tcp_mem_forecast", &f), 1)) {
		ASSERT_EQ_INT(evidence_named(&f, "eta_s")->value, 270); /* (20000 - 6500) / 50 */
		ASSERT_EQ_INT(f.severity, SEV_WARNING);
	}
	fx.in.horizon_s = 60;
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_forecast", &f), 0); /* too far off for that horizon */
	fx.in.horizon_s = FORECAST_HORIZON_S;
	fx.in.mem.now = 20000;
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_forecast", &f), 0); /* pressure now: not a forecast */
	free_fixture(&fx);
}

/* Buffers filling for the first seconds of load are a ramp, not yet a trend. */
TEST(tcp_mem_forecast_needs_a_trend_longer_than_a_ramp)
{
	struct trend tr = { 0 };
	struct fixture fx;
	struct finding f;

	setup(&fx);
	/* a 2 GiB guest under a busy, healthy load: 2583 pages in 9 s, pressure 30236 */
	mem_rising(&fx, &tr, 30236, 0, 287, 0, 9);
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_forecast", &f), 0);
	mem_rising(&fx, &tr, 30236, 0, 287, 10, 15); /* still rising after FORECAST_MIN_SPAN_S */
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_forecast", &f), 1);
	free_fixture(&fx);
	/* 6.12 in that guest: 2895 pages in the first 8 s of load, then level: not rising now */
	memset(&tr, 0, sizeof(tr));
	setup(&fx);
	mem_rising(&fx, &tr, 30362, 0, 362, 0, 8);
	mem_rising(&fx, &tr, 30362, 2895, 0, 9, 15);
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_forecast", &f), 0);
	mem_rising(&fx, &tr, 30362, 2895 - 40 * 16, 40, 16, 22); /* rising again */
	ASSERT_TRUE(fx.in.mem.recent.slope > 0);
	free_fixture(&fx);
}

/* A conntrack table filling at its pace within the horizon warns with its eta. */
TEST(conntrack_forecast_from_the_tables_pace)
{
	struct fixture fx;
	struct ns_state *ns;
	struct finding f;

	setup(&fx);
	ns = fake_ns(&fx, "TcpExt.TCPAbortOnMemory", 0);
	fx.in.horizon_s = FORECAST_HORIZON_S;
	ns->base_at = 0, fx.in.now_s = 20;
	ns->base.limits.conntrack_count = 100;
	ns->cur.limits.conntrack_count = 600, ns->cur.limits.conntrack_max = 1000;
	if (ASSERT_EQ_INT(eval(&fx, "conntrack_forecast", &f), 1))
		ASSERT_EQ_INT(evidence_named(&f, "eta_s")->value, 16); /* 400 left at 25/s */
	ns->base.limits.conntrack_count = 590; /* 1% growth: not a trend */
	ASSERT_EQ_INT(eval(&fx, "conntrack_forecast", &f), 0);
	free_fixture(&fx);
}

/* An evidence value as the text report shows it ("" when absent). */
static const char *text_of(const struct finding *f, const char *name)
{
	static char buf[128];
	const struct evidence *e = evidence_named(f, name);

	return e ? evidence_value(e, buf, sizeof(buf)) : "";
}

/* The table's own refusals fire it; the kernel's line (confirmed) only adds to it. */
TEST(conntrack_full_from_the_tables_refusals)
{
	static const struct listener_seen listeners[] = { { 88, NS_INODE, 443, 128, 0, 0 },
							  { 22, NS_INODE, 22, 64, 0, 0 } };
	struct fixture fx;
	struct ns_state *ns;
	struct finding f;

	setup(&fx);
	ns = fake_ns(&fx, "Tcp.PassiveOpens", 50);
	ns->cur.limits.conntrack_count = 50, ns->cur.limits.conntrack_max = 50;
	ns_conntrack(&fx, 0, 0, 0);
	ASSERT_EQ_INT(eval(&fx, "conntrack_full", &f), 0); /* full, but nothing refused yet */
	ns_conntrack(&fx, 150, 2, 1);
	add(&fx, ns_row(0, TT_SIG_DROP, DROP_NETFILTER, 150, 9000));
	forge(&fx, 0, "conntrack_table_full", "conntrack_full",
	      "nf_conntrack: table full in netns 4026532000, dropping packet");
	fx.verdicts[0].netns = NS_INODE;
	if (!ASSERT_EQ_INT(eval(&fx, "conntrack_full", &f), 1))
		goto out;
	ASSERT_EQ_STR(f.cause, "conntrack_full");
	ASSERT_EQ_INT(f.severity, SEV_CRITICAL);
	ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE);
	ASSERT_EQ_INT(num_of(&f, "nf_conntrack_count"), 50);
	ASSERT_EQ_INT(num_of(&f, "nf_conntrack_max"), 50);
	ASSERT_EQ_INT(num_of(&f, "stat_drop"), 150);
	ASSERT_EQ_INT(num_of(&f, "stat_early_drop"), 2);
	ASSERT_EQ_INT(num_of(&f, "stat_insert_failed"), 1);
	ASSERT_EQ_INT(num_of(&f, "netfilter_drops"), 150);
	ASSERT_TRUE(strstr(text_of(&f, "kernel_log"), "table full in netns 4026532000") != NULL);
	ASSERT_EQ_INT(f.n_culprits, 0); /* nobody in that namespace opened or listens */
	ASSERT_EQ_STR(f.advice[1].sysctl, "net.netfilter.nf_conntrack_max");
	ASSERT_EQ_STR(f.advice[1].current, "50");
	ASSERT_EQ_STR(f.advice[1].suggested, "100");
	/* its connections come from elsewhere: the listener they reach is named */
	fx.in.listeners = listeners, fx.in.n_listeners = 1;
	ASSERT_EQ_INT(eval(&fx, "conntrack_full", &f), 1);
	if (ASSERT_EQ_INT(f.n_culprits, 1)) {
		ASSERT_EQ_INT(f.culprits[0].pid, 88);
		ASSERT_EQ_STR(f.culprits[0].laddr, "*:443");
		ASSERT_EQ_INT(f.culprits[0].count, 50); /* connections accepted there */
	}
	/* two listeners there: which one the connections reach is not known, none is named */
	fx.in.n_listeners = 2;
	ASSERT_EQ_INT(eval(&fx, "conntrack_full", &f), 1);
	ASSERT_EQ_INT(f.n_culprits, 0);
	/* a process of that namespace opening connections is the culprit, not the listener */
	add(&fx, ns_row(77, TT_SIG_CONNECT, 0, 400, 0));
	ASSERT_EQ_INT(eval(&fx, "conntrack_full", &f), 1);
	if (ASSERT_EQ_INT(f.n_culprits, 1))
		ASSERT_EQ_INT(f.culprits[0].pid, 77);
out:
	free_fixture(&fx);
}

/* SYN queue drops are ListenDrops beyond the accept queue's ListenOverflows; cookies warn. */
TEST(syn_backlog_overflow_counts_the_syn_queue_apart)
{
	static const struct listener_seen listener = { 21, NS_INODE, 8443, 8, 0, 0 };
	struct fixture fx;
	struct ns_state *ns;
	struct finding f;

	setup(&fx);
	ns = fake_ns(&fx, "TcpExt.ListenDrops", 30);
	ns_count(&fx, "TcpExt.ListenOverflows", 30); /* every drop was the accept queue's */
	ns->cur.limits.syncookies = 0, ns->cur.limits.somaxconn = 4096;
	ns->cur.limits.max_syn_backlog = 4096;
	ASSERT_EQ_INT(eval(&fx, "syn_backlog_overflow", &f), 0);
	ns_count(&fx, "TcpExt.ListenOverflows", 0);
	ns_count(&fx, "TcpExt.TCPReqQFullDrop", 30);
	fx.in.listeners = &listener, fx.in.n_listeners = 1;
	if (!ASSERT_EQ_INT(eval(&fx, "syn_backlog_overflow", &f), 1))
		goto out;
	ASSERT_EQ_STR(f.cause, "syn_backlog_overflow");
	ASSERT_EQ_INT(f.severity, SEV_CRITICAL);
	ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE);
	ASSERT_EQ_INT(num_of(&f, "syn_queue_drops"), 30);
	ASSERT_EQ_INT(num_of(&f, "reqq_full_drops"), 30);
	ASSERT_EQ_INT(num_of(&f, "tcp_syncookies"), 0);
	ASSERT_EQ_INT(num_of(&f, "backlog_asked"), 8);
	ASSERT_EQ_INT(f.culprits[0].pid, 21);
	ASSERT_EQ_STR(f.culprits[0].laddr, "*:8443");
	ASSERT_EQ_STR(f.advice[1].sysctl, "net.ipv4.tcp_syncookies");
	ASSERT_TRUE(f.advice[2].sysctl == NULL); /* the listen() backlog: the application's */
	ASSERT_EQ_STR(f.advice[2].current, "8");
	for (int k = 0; k < f.n_advice; k++) /* 8 of 4096: tcp_max_syn_backlog did not bite */
		ASSERT_TRUE(!f.advice[k].sysctl || strcmp(f.advice[k].sysctl, "net.ipv4.tcp_max_syn_backlog"));
	/* with cookies the full queue answers: a warning, no drop */
	ns_count(&fx, "TcpExt.ListenDrops", 0);
	ns_count(&fx, "TcpExt.TCPReqQFullDrop", 0);
	ns_count(&fx, "TcpExt.TCPReqQFullDoCookies", 40);
	ns->cur.limits.syncookies = 1;
	if (ASSERT_EQ_INT(eval(&fx, "syn_backlog_overflow", &f), 1)) {
		ASSERT_EQ_INT(f.severity, SEV_WARNING);
		ASSERT_EQ_INT(num_of(&f, "syn_queue_drops"), 0);
		ASSERT_EQ_INT(num_of(&f, "reqq_full_cookies"), 40);
		ASSERT_TRUE(strstr(f.summary, "SYN cookies") != NULL);
	}
out:
	free_fixture(&fx);
}

/* Pressure from the host's crossing or a namespace's counter; never beside tcp_mem_exhausted. */
TEST(tcp_mem_pressure_names_victims_not_holders)
{
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fx.in.mem.now = 250, fx.in.mem.peak = 260, fx.in.mem.rate = 4;
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_pressure", &f), 0); /* over tcp_mem[1], never crossed */
	fx.in.mem.pressure_since_s = 2;
	fx.in.mem.crossed_limits[0] = 100, fx.in.mem.crossed_limits[1] = 200;
	fx.in.mem.crossed_limits[2] = 300;
	add(&fx, row(2002, TT_SIG_EXCEED_BUF, 1, 7, 7));
	if (!ASSERT_EQ_INT(eval(&fx, "tcp_mem_pressure", &f), 1))
		goto out;
	ASSERT_EQ_STR(f.cause, "tcp_mem_pressure");
	ASSERT_EQ_INT(f.severity, SEV_WARNING);
	ASSERT_EQ_INT(num_of(&f, "tcp_mem_used_pages"), 250);
	ASSERT_EQ_INT(num_of(&f, "tcp_mem_peak_pages"), 260);
	ASSERT_EQ_STR(text_of(&f, "tcp_mem_pages_when_crossed"), "100 200 300");
	ASSERT_EQ_INT(evidence_named(&f, "tcp_mem_pages_when_crossed")->kind, EV_INTS);
	ASSERT_TRUE(real_of(&f, "pressure_since_s") == 2);
	ASSERT_TRUE(strstr(f.summary, "250 pages in use (peak 260) against the pressure threshold of 200") != NULL);
	ASSERT_EQ_INT(f.n_culprits, 0); /* who was refused is not who holds */
	if (ASSERT_EQ_INT(f.n_victims, 1))
		ASSERT_EQ_INT(f.victims[0].pid, 2002);
	/* a namespace's own count of pressure entries is enough */
	fx.in.mem.pressure_since_s = -1;
	fake_ns(&fx, "TcpExt.TCPMemoryPressures", 3);
	if (ASSERT_EQ_INT(eval(&fx, "tcp_mem_pressure", &f), 1))
		ASSERT_EQ_INT(num_of(&f, "memory_pressures"), 3);
	fx.in.mem.max_since_s = 5; /* over tcp_mem[2]: tcp_mem_exhausted says it */
	ASSERT_EQ_INT(eval(&fx, "tcp_mem_pressure", &f), 0);
out:
	free_fixture(&fx);
}

/* FIN_WAIT2: the closer that keeps them, the namespace's tcp_fin_timeout, no sysctl advice. */
TEST(fin_wait2_needs_count_and_age)
{
	struct state_seen st = { 31, NS_INODE, TCP_FIN_WAIT2, LEAK_MIN_SOCKETS + 2, LEAK_MIN_AGE_S - 1 };
	struct fixture fx;
	struct finding f;

	setup(&fx);
	fake_ns(&fx, "Tcp.ActiveOpens", 12)->cur.limits.fin_timeout = 60;
	fx.in.states = &st, fx.in.n_states = 1;
	ASSERT_EQ_INT(eval(&fx, "fin_wait2_accumulation", &f), 0); /* not old enough */
	st.oldest_s = LEAK_MIN_AGE_S + 5;
	st.count = LEAK_MIN_SOCKETS - 1;
	ASSERT_EQ_INT(eval(&fx, "fin_wait2_accumulation", &f), 0); /* too few */
	st.count = LEAK_MIN_SOCKETS + 2;
	if (!ASSERT_EQ_INT(eval(&fx, "fin_wait2_accumulation", &f), 1))
		goto out;
	ASSERT_EQ_STR(f.cause, "fin_wait2_accumulation");
	ASSERT_EQ_INT(f.severity, SEV_WARNING);
	ASSERT_EQ_INT(num_of(&f, "fin_wait2_sockets"), LEAK_MIN_SOCKETS + 2);
	ASSERT_TRUE(real_of(&f, "oldest_s") == LEAK_MIN_AGE_S + 5);
	ASSERT_EQ_INT(num_of(&f, "netns"), NS_INODE);
	ASSERT_EQ_INT(num_of(&f, "tcp_fin_timeout"), 60);
	ASSERT_EQ_INT(f.culprits[0].pid, 31);
	for (int k = 0; k < f.n_advice; k++) /* tcp_fin_timeout does not apply to held sockets */
		ASSERT_TRUE(f.advice[k].sysctl == NULL);
	ASSERT_EQ_INT(eval(&fx, "close_wait_leak", &f), 0); /* other state */
out:
	free_fixture(&fx);
}
