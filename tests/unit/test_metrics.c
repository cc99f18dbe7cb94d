// SPDX-License-Identifier: GPL-2.0
// Metrics rendering (Prometheus text and OpenMetrics), label escaping, content negotiation.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <linux/types.h>
#include "counts.h"
#include "kenum.h"
#include "metrics.h"
#include "output.h"
#include "tcptriage.h"
#include "fixtures.h"
#include "test.h"

#define NS_A 4026531840u
#define NS_B 4026532000u
#define RST_NO_SOCKET 1
#define DROP_NETFILTER 12

static void fake_names(struct kernel_names *kn)
{
	struct btf *btf = btf__new_empty();

	btf__add_enum(btf, "skb_drop_reason", 4);
	btf__add_enum_value(btf, "SKB_DROP_REASON_NETFILTER_DROP", DROP_NETFILTER);
	btf__add_enum(btf, "sk_rst_reason", 4);
	btf__add_enum_value(btf, "SK_RST_REASON_NO_SOCKET", RST_NO_SOCKET);
	kn->drop_reason = kenum_load(btf, "skb_drop_reason", "SKB_DROP_REASON_");
	kn->rst_reason = kenum_load(btf, "sk_rst_reason", "SK_RST_REASON_");
	btf__free(btf);
}

static struct count_row row(uint32_t tgid, uint32_t netns, uint32_t signal, uint32_t sub,
			    uint64_t events, uint64_t amount)
{
	return fx_row(tgid, netns, 0, signal, sub, events, amount);
}

/* A rendering of fixed state, kept in memory. */
struct rendered {
	char *text;
	size_t len;
};

static int render(struct rendered *out, const struct metrics_finding *findings, size_t n_findings,
		  enum metrics_format fmt)
{
	struct count_row rows[] = {
		row(10, NS_A, TT_SIG_RETRANS, 0, 2, 3),
		row(11, NS_A, TT_SIG_RETRANS, 0, 1, 4), /* another owner, same netns: summed */
		row(12, NS_B, TT_SIG_RETRANS, 0, 5, 5),
		row(10, NS_A, TT_SIG_DROP, DROP_NETFILTER, 7, 700),
		row(0, NS_B, TT_SIG_RST_SENT, RST_NO_SOCKET, 60, 0),
		row(0, NS_B, TT_SIG_RST_SENT, 99, 1, 0), /* a reason this kernel does not name */
	};
	struct count_table t = { rows, sizeof(rows) / sizeof(rows[0]) };
	struct kernel_names kn = {};
	struct agent_health h = { .records_malformed = 2, .cpu_s = 1.25 };
	struct metrics_input in = {
		.totals = &t, .names = &kn, .health = &h, .findings = findings,
		.n_findings = n_findings, .tcp_mem_pages = 42, .tcp_mem = { 100, 200, 300 },
	};
	FILE *f = open_memstream(&out->text, &out->len);
	int err;

	if (!f)
		return -1;
	h.kernel[TT_H_RINGBUF_FULL] = 3;
	h.kernel[TT_H_OWNERS_FULL] = 4;
	h.kernel[TT_H_CONNFAILS_FULL] = 5;
	h.kernel[TT_H_NO_SOCKET] = 7;
	h.runs_skipped = 8;
	h.owner_rescans = 3;
	h.owners_rescan_learned = 2;
	h.kernel[TT_H_EVENTS] = 1000;
	fake_names(&kn);
	err = metrics_render(f, &in, fmt);
	fclose(f);
	kernel_names_free(&kn);
	return err;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static const char *skip_name(const char *p)
{
	if (!isalpha((unsigned char)*p) && *p != '_' && *p != ':')
		return NULL;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	return p;
}

/* name="value" with only \\, \" and \n escapes; returns the byte after the quote. */
static const char *skip_label(const char *p)
{
	p = skip_name(p);
	if (!p || *p++ != '=' || *p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if (!*p || *p == '\n')
			return NULL;
		if (*p == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
			p++;
		else if (*p == '\\')
			return NULL;
	}
	return p + 1;
}

/* One sample line: name, optional {labels}, a space, a number. */
static bool valid_sample(const char *line, size_t len)
{
	char buf[1024], *end;
	const char *p;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = skip_name(buf);
	if (p && *p == '{') {
		do
			p = skip_label(p + 1);
		while (p && *p == ',');
		if (!p || *p++ != '}')
			return false;
	}
	if (!p || *p++ != ' ')
		return false;
	strtod(p, &end);
	return end != p && !*end;
}

/* Structure of the exposition, line by line (the integration test runs a real parser). */
static int invalid_lines(const char *text)
{
	int bad = 0;

	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");

		if (strncmp(p, "# HELP ", 7) && strncmp(p, "# TYPE ", 7) && strncmp(p, "# EOF", 5) &&
		    !valid_sample(p, len))
			bad++;
		p += len + (p[len] == '\n');
	}
	return bad;
}

static const struct metrics_finding some_findings[] = {
	{ "reset_storm", "warning", true, true },
	{ "retransmit_storm", "critical", false, false }, /* a symptom of another finding */
};

TEST(metrics_prometheus_counters_by_netns_and_reason)
{
	struct rendered r = {};

	if (!ASSERT_OK(render(&r, some_findings, 2, METRICS_PROMETHEUS)))
		goto out;
	ASSERT_TRUE(has_line(r.text, "# TYPE tcptriage_retransmits_total counter"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_retransmits_total{netns=\"4026531840\"} 3"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_retransmits_total{netns=\"4026532000\"} 5"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_retransmit_segments_total{netns=\"4026531840\"} 7"));
	ASSERT_TRUE(has_line(r.text,
			     "tcptriage_drops_total{reason=\"netfilter_drop\",netns=\"4026531840\"} 7"));
	ASSERT_TRUE(has_line(r.text,
			     "tcptriage_drop_bytes_total{reason=\"netfilter_drop\",netns=\"4026531840\"} 700"));
	ASSERT_TRUE(has_line(r.text,
			     "tcptriage_resets_sent_total{reason=\"no_socket\",netns=\"4026532000\"} 60"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_resets_sent_total{reason=\"99\",netns=\"4026532000\"} 1"));
	ASSERT_TRUE(has_line(r.text, "# TYPE tcptriage_resets_received_total counter"));
	ASSERT_TRUE(!strstr(r.text, "# EOF"));
	ASSERT_EQ_INT(invalid_lines(r.text), 0);
out:
	free(r.text);
}

TEST(metrics_gauges_findings_memory_and_agent_health)
{
	struct rendered r = {};

	if (!ASSERT_OK(render(&r, some_findings, 2, METRICS_PROMETHEUS)))
		goto out;
	ASSERT_TRUE(has_line(r.text, "# TYPE tcptriage_findings_active gauge"));
	ASSERT_TRUE(has_line(r.text,
			     "tcptriage_findings_active{cause=\"reset_storm\",severity=\"warning\",root=\"true\"} 1"));
	ASSERT_TRUE(has_line(r.text,
			     "tcptriage_findings_active{cause=\"retransmit_storm\",severity=\"critical\",root=\"false\"} 0"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_tcp_memory_pages 42"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_tcp_mem_threshold_pages{level=\"min\"} 100"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_tcp_mem_threshold_pages{level=\"pressure\"} 200"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_tcp_mem_threshold_pages{level=\"max\"} 300"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_ringbuf_full_total 3"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_map_full_total{map=\"owners\"} 4"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_map_full_total{map=\"counts\"} 0"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_map_full_total{map=\"flows\"} 0"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_map_full_total{map=\"connfails\"} 5"));
	ASSERT_TRUE(!strstr(r.text, "pending_connects")); /* no map, no series */
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_events_total 1000"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_events_without_socket_total 7"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_runs_skipped_total 8"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_owner_rescans_total 3"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_owners_rescan_learned_total 2"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_records_malformed_total 2"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_agent_cpu_seconds_total 1.250000"));
out:
	free(r.text);
}

TEST(metrics_openmetrics_names_families_and_ends_with_eof)
{
	struct rendered r = {};

	if (!ASSERT_OK(render(&r, some_findings, 2, METRICS_OPENMETRICS)))
		goto out;
	ASSERT_TRUE(has_line(r.text, "# TYPE tcptriage_retransmits counter"));
	ASSERT_TRUE(has_line(r.text, "# HELP tcptriage_agent_cpu_seconds CPU time the agent process used (user + system)"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_retransmits_total{netns=\"4026532000\"} 5"));
	ASSERT_TRUE(has_line(r.text, "# TYPE tcptriage_findings_active gauge"));
	ASSERT_TRUE(r.len >= 6 && !strcmp(r.text + r.len - 6, "# EOF\n"));
	ASSERT_TRUE(strstr(r.text, "# EOF") == r.text + r.len - 6); /* only at the end */
	ASSERT_EQ_INT(invalid_lines(r.text), 0);
out:
	free(r.text);
}

TEST(metrics_hostile_label_values_cannot_forge_lines)
{
	static const struct metrics_finding hostile[] = {
		{ "x\"} 1\nforged_metric 1\n#", "warn\\ing", true, true },
		{ "\xff\xfe\x1b[2J", "critical", false, true },
	};
	struct rendered r = {};

	if (!ASSERT_OK(render(&r, hostile, 2, METRICS_PROMETHEUS)))
		goto out;
	ASSERT_TRUE(!strstr(r.text, "\nforged_metric"));
	ASSERT_TRUE(!strstr(r.text, "\x1b"));
	ASSERT_TRUE(!strstr(r.text, "\xff"));
	ASSERT_TRUE(has_line(r.text, "tcptriage_findings_active{cause=\"x\\\"} 1\\\\x0aforged_metric "
				     "1\\\\x0a#\",severity=\"warn\\\\\\\\ing\",root=\"true\"} 1"));
	ASSERT_EQ_INT(invalid_lines(r.text), 0);
out:
	free(r.text);
}

TEST(metrics_escape_label_escapes_and_never_cuts)
{
	char buf[64];

	metrics_escape_label(buf, sizeof(buf), "plain_value");
	ASSERT_EQ_STR(buf, "plain_value");
	/* '"' escaped; '\' made "\\" by the sanitizer, then each escaped; newline as \x0a */
	metrics_escape_label(buf, sizeof(buf), "a\"b\\c\nd");
	ASSERT_EQ_STR(buf, "a\\\"b\\\\\\\\c\\\\x0ad");
	metrics_escape_label(buf, sizeof(buf), "caf\xc3\xa9");
	ASSERT_EQ_STR(buf, "caf\xc3\xa9");
	metrics_escape_label(buf, sizeof(buf), NULL);
	ASSERT_EQ_STR(buf, "");
	/* A buffer too small for everything: whole escapes only. */
	ASSERT_EQ_INT(metrics_escape_label(buf, 6, "\"\"\"\""), 4);
	ASSERT_EQ_STR(buf, "\\\"\\\"");
	ASSERT_EQ_INT(metrics_escape_label(buf, 5, "\xc3\xa9\xc3\xa9"), 2);
	ASSERT_EQ_STR(buf, "\xc3\xa9");
	ASSERT_EQ_INT(metrics_escape_label(buf, 1, "x"), 0);
	ASSERT_EQ_STR(buf, "");
}

TEST(metrics_negotiates_openmetrics_only_when_asked)
{
	ASSERT_EQ_INT(metrics_negotiate(NULL), METRICS_PROMETHEUS);
	ASSERT_EQ_INT(metrics_negotiate("*/*"), METRICS_PROMETHEUS);
	ASSERT_EQ_INT(metrics_negotiate("text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
		      METRICS_PROMETHEUS);
	ASSERT_EQ_INT(metrics_negotiate("application/openmetrics-text;version=1.0.0,"
					"text/plain;version=0.0.4;q=0.5"),
		      METRICS_OPENMETRICS);
	ASSERT_TRUE(strstr(metrics_content_type(METRICS_PROMETHEUS), "text/plain; version=0.0.4"));
	ASSERT_TRUE(strstr(metrics_content_type(METRICS_OPENMETRICS),
			   "application/openmetrics-text; version=1.0.0"));
}
