// SPDX-License-Identifier: GPL-2.0
/* Tests for the kernel log line classifier. */
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "test.h"

struct console_case {
	const char *line;
	enum console_verdict verdict;
	uint32_t netns;
	uint16_t port;
	bool cookies;
};

/*
 * Classify a copy that is not NUL-terminated: the bytes after len are
 * junk that would turn into a match if the classifier read past len.
 */
static enum console_verdict classify_unterminated(const char *line,
						  struct console_match *m)
{
	static const char junk[] = "table full in netns 99, dropping packet";
	size_t len = strlen(line);
	char *copy = malloc(len + sizeof(junk));
	enum console_verdict v;

	if (!copy)
		abort();
	memcpy(copy, line, len);
	memcpy(copy + len, junk, sizeof(junk));
	v = console_classify(copy, len, m);
	free(copy);
	return v;
}

static void check_cases(struct test_ctx *t, const struct console_case *cases,
			size_t n)
{
	struct console_match m;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct console_case *c = &cases[i];
		enum console_verdict v = classify_unterminated(c->line, &m);

		test_check(t, v == c->verdict && m.verdict == v &&
			   m.netns == c->netns && m.port == c->port &&
			   m.syn_cookies == c->cookies, __FILE__, __LINE__,
			   "case %zu \"%s\": got %s netns %u port %u cookies %d",
			   i, c->line, console_verdict_name(v), m.netns, m.port,
			   m.syn_cookies);
	}
}

TEST(console_kernel_texts)
{
	static const struct console_case cases[] = {
		{ .line = "TCP: out of memory -- consider tuning tcp_mem", .verdict = CV_TCP_OOM },
		{ .line = "TCP: out of memory -- consider tuning tcp_mem\n",
		  .verdict = CV_TCP_OOM },
		{ .line = "TCP: too many orphaned sockets\n", .verdict = CV_TCP_ORPHANS },
		{ .line = "nf_conntrack: nf_conntrack: table full, dropping packet\n",
		  .verdict = CV_CONNTRACK_FULL },
		{ .line = "nf_conntrack: table full, dropping packet.",
		  .verdict = CV_CONNTRACK_FULL },
		{ .line = "nf_conntrack: nf_conntrack: table full in netns 4026532123, dropping packet\n",
		  .verdict = CV_CONNTRACK_FULL, .netns = 4026532123u },
		{ .line = "nf_conntrack: table full in netns 4026531840, dropping packet",
		  .verdict = CV_CONNTRACK_FULL, .netns = 4026531840u },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port [::]:8080. Sending cookies.\n",
		  .verdict = CV_SYN_FLOOD, .port = 8080, .cookies = true },
		{ .line = "TCP: request_sock_TCPv6: Possible SYN flooding on port 127.0.0.1:80. Dropping request.",
		  .verdict = CV_SYN_FLOOD, .port = 80 },
		{ .line = "TCP: request_sock_TCPv6: Possible SYN flooding on port [fe80::1%eth0]:443. Sending cookies.",
		  .verdict = CV_SYN_FLOOD, .port = 443, .cookies = true },
		{ .line = "TCP: request_sock_subflow_v4: Possible SYN flooding on port 10.0.0.1:65535. Sending cookies.",
		  .verdict = CV_SYN_FLOOD, .port = 65535, .cookies = true },
		/* Kernels before 5.10 printed only the port number. */
		{ .line = "TCP: TCP: Possible SYN flooding on port 80. Sending cookies.  Check SNMP counters.",
		  .verdict = CV_SYN_FLOOD, .port = 80, .cookies = true },
		{ .line = "TCP: time wait bucket table overflow\n", .verdict = CV_TW_OVERFLOW },
		{ .line = "TCP: TCP: time wait bucket table overflow", .verdict = CV_TW_OVERFLOW },
	};

	check_cases(t, cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(console_log_prefixes)
{
	static const struct console_case cases[] = {
		{ .line = "[  123.456789] TCP: out of memory -- consider tuning tcp_mem\n",
		  .verdict = CV_TCP_OOM },
		{ .line = "[ 123.456] TCP: too many orphaned sockets", .verdict = CV_TCP_ORPHANS },
		{ .line = "[    5.000000][  T1234] TCP: too many orphaned sockets",
		  .verdict = CV_TCP_ORPHANS },
		{ .line = "[Thu Nov 27 14:32:06 2026] nf_conntrack: nf_conntrack: table full in netns 7, dropping packet",
		  .verdict = CV_CONNTRACK_FULL, .netns = 7 },
		{ .line = "<4>nf_conntrack: table full in netns 12, dropping packet",
		  .verdict = CV_CONNTRACK_FULL, .netns = 12 },
		{ .line = "4,1234,5678901,-;nf_conntrack: nf_conntrack: table full, dropping packet",
		  .verdict = CV_CONNTRACK_FULL },
		{ .line = "6,99,123,-,caller=C1;TCP: too many orphaned sockets\r\n",
		  .verdict = CV_TCP_ORPHANS },
		{ .line = "  TCP: time wait bucket table overflow", .verdict = CV_TW_OVERFLOW },
	};

	check_cases(t, cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(console_near_misses)
{
	static const struct console_case cases[] = {
		{ .line = "nf_conntrack: expectation table full", .verdict = CV_NONE },
		{ .line = "nf_conntrack: nf_conntrack: expectation table full",
		  .verdict = CV_NONE },
		{ .line = "nf_conntrack: falling back to vmalloc.", .verdict = CV_NONE },
		{ .line = "TCP: out of memory", .verdict = CV_NONE },	/* truncated */
		{ .line = "TCP: out of memory -- consider tuning", .verdict = CV_NONE },
		{ .line = "TCP: too many orphaned", .verdict = CV_NONE },
		{ .line = "TCP: Possible SYN", .verdict = CV_NONE },
		{ .line = "TCP: eth0: Driver has suspect GRO implementation, TCP performance may be compromised.",
		  .verdict = CV_NONE },
		{ .line = "TCP: bbr: BBR registered", .verdict = CV_NONE },
		{ .line = "tcp: out of memory -- consider tuning tcp_mem", .verdict = CV_NONE },
		{ .line = "TCP:out of memory -- consider tuning tcp_mem", .verdict = CV_NONE },
		{ .line = "UDP: bad checksum. From 10.0.0.1:53 to 10.0.0.2:4000 ulen 40",
		  .verdict = CV_NONE },
		{ .line = "Out of memory: Killed process 1234 (java)", .verdict = CV_NONE },
		/* Verdict text quoted inside another subsystem's message. */
		{ .line = "audit: type=1400 comm=\"TCP: out of memory -- consider tuning tcp_mem\"",
		  .verdict = CV_NONE },
		{ .line = "myapp[42]: nf_conntrack: table full, dropping packet",
		  .verdict = CV_NONE },
		{ .line = "IPVS: TCP: too many orphaned sockets", .verdict = CV_NONE },
		{ .line = "[ 1.0] IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
		  .verdict = CV_NONE },
		{ .line = "", .verdict = CV_NONE },
		{ .line = "\n", .verdict = CV_NONE },
		{ .line = "TCP: ", .verdict = CV_NONE },
		{ .line = "nf_conntrack: ", .verdict = CV_NONE },
	};

	check_cases(t, cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(console_hostile_fields)
{
	static const struct console_case cases[] = {
		/* Numbers that do not fit are dropped, the verdict stays. */
		{ .line = "nf_conntrack: table full in netns 99999999999, dropping packet",
		  .verdict = CV_CONNTRACK_FULL },
		{ .line = "nf_conntrack: table full in netns 4294967296, dropping packet",
		  .verdict = CV_CONNTRACK_FULL },
		{ .line = "nf_conntrack: table full in netns 4294967295, dropping packet",
		  .verdict = CV_CONNTRACK_FULL, .netns = 4294967295u },
		{ .line = "nf_conntrack: table full in netns , dropping packet",
		  .verdict = CV_CONNTRACK_FULL },
		{ .line = "nf_conntrack: table full in netns", .verdict = CV_CONNTRACK_FULL },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port 1.2.3.4:65536. Sending cookies.",
		  .verdict = CV_SYN_FLOOD, .cookies = true },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port 1.2.3.4:123456. Sending cookies.",
		  .verdict = CV_SYN_FLOOD, .cookies = true },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port 1.2.3.4. Sending cookies.",
		  .verdict = CV_SYN_FLOOD, .cookies = true },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port ",
		  .verdict = CV_SYN_FLOOD },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port :",
		  .verdict = CV_SYN_FLOOD },
		{ .line = "TCP: request_sock_TCP: Possible SYN flooding on port 1:80x. Dropping request.",
		  .verdict = CV_SYN_FLOOD },
		/* Unterminated prefixes must not run off the end. */
		{ .line = "[ 123.456 TCP: too many orphaned sockets", .verdict = CV_NONE },
		{ .line = "<4 TCP: too many orphaned sockets", .verdict = CV_NONE },
		{ .line = "[", .verdict = CV_NONE },
		{ .line = "<", .verdict = CV_NONE },
		{ .line = "4,1,2", .verdict = CV_NONE },
	};

	check_cases(t, cases, sizeof(cases) / sizeof(cases[0]));
}

TEST(console_bounds_and_null)
{
	const char *line = "TCP: too many orphaned sockets";
	struct console_match m = { .verdict = CV_SYN_FLOOD, .port = 9 };
	unsigned char bytes[256];
	size_t len, i;

	ASSERT_EQ_INT(console_classify(NULL, 10, &m), CV_NONE);
	ASSERT_EQ_INT(m.port, 0);
	ASSERT_EQ_INT(console_classify(line, strlen(line), NULL), CV_TCP_ORPHANS);

	/* Every truncation of a verdict line must be read within bounds. */
	for (len = 0; len < strlen(line); len++)
		test_check(t, console_classify(line, len, &m) == CV_NONE, __FILE__,
			   __LINE__, "prefix of %zu bytes matched", len);

	/* Trailing NULs (a fixed-size tracepoint buffer) are ignored. */
	ASSERT_EQ_INT(console_classify("TCP: too many orphaned sockets\0\0\0", 33, &m),
		      CV_TCP_ORPHANS);

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(255 - i);
	ASSERT_EQ_INT(console_classify((const char *)bytes, sizeof(bytes), &m), CV_NONE);
	memset(bytes, '[', sizeof(bytes));
	ASSERT_EQ_INT(console_classify((const char *)bytes, sizeof(bytes), &m), CV_NONE);
}

TEST(console_names_and_causes)
{
	ASSERT_EQ_STR(console_verdict_name(CV_NONE), "none");
	ASSERT_EQ_STR(console_verdict_name(CV_TCP_OOM), "tcp_out_of_memory");
	ASSERT_EQ_STR(console_verdict_name(CV_TCP_ORPHANS), "tcp_too_many_orphans");
	ASSERT_EQ_STR(console_verdict_name(CV_CONNTRACK_FULL), "conntrack_table_full");
	ASSERT_EQ_STR(console_verdict_name(CV_SYN_FLOOD), "syn_flooding");
	ASSERT_EQ_STR(console_verdict_name(CV_TW_OVERFLOW), "timewait_bucket_overflow");
	ASSERT_EQ_STR(console_verdict_name(CV_COUNT), "unknown");
	ASSERT_EQ_STR(console_verdict_name((enum console_verdict)-1), "unknown");

	ASSERT_EQ_STR(console_verdict_cause(CV_NONE), NULL);
	ASSERT_EQ_STR(console_verdict_cause(CV_TCP_OOM), "tcp_mem_exhausted");
	ASSERT_EQ_STR(console_verdict_cause(CV_TCP_ORPHANS), "orphan_sockets");
	ASSERT_EQ_STR(console_verdict_cause(CV_CONNTRACK_FULL), "conntrack_full");
	ASSERT_EQ_STR(console_verdict_cause(CV_SYN_FLOOD), "syn_backlog_overflow");
	ASSERT_EQ_STR(console_verdict_cause(CV_TW_OVERFLOW), "timewait_overflow");
	ASSERT_EQ_STR(console_verdict_cause(CV_COUNT), NULL);
}

/* Every line the classifier accepts must pass the BPF pre-filter. */
TEST(console_needles_cover_every_verdict)
{
	static const char *const accepted[] = {
		"TCP: out of memory -- consider tuning tcp_mem",
		"TCP: too many orphaned sockets",
		"nf_conntrack: nf_conntrack: table full in netns 1, dropping packet",
		"nf_conntrack: table full, dropping packet",
		"TCP: request_sock_TCP: Possible SYN flooding on port [::]:1. Sending cookies.",
		"TCP: time wait bucket table overflow",
	};
	size_t i, j;

	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		bool needle = false, prefix = false;

		ASSERT_TRUE(console_classify(accepted[i], strlen(accepted[i]), NULL) != CV_NONE);
		for (j = 0; console_needles[j]; j++)
			needle |= strstr(accepted[i], console_needles[j]) != NULL;
		for (j = 0; console_prefixes[j]; j++)
			prefix |= !strncmp(accepted[i], console_prefixes[j],
					   strlen(console_prefixes[j]));
		test_check(t, needle && prefix, __FILE__, __LINE__,
			   "\"%s\" would be filtered out in BPF", accepted[i]);
	}
}
