// SPDX-License-Identifier: GPL-2.0
// The live view's table without a terminal: rows by owner, sort and filter keys, lines.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixtures.h"
#include "test.h"
#include "top_view.h"

static struct count_row crow(uint32_t tgid, uint32_t netns, uint64_t cgroup, uint32_t signal,
			     uint32_t sub, uint64_t events)
{
	return fx_row(tgid, netns, cgroup, signal, sub, events, 0);
}

/* Three owners: 100 retransmits a lot, 200 resets, 300 drops a little. */
static int build(struct top_table *tt)
{
	static struct count_row rows[8];
	struct count_table t = { rows, 0 };

	rows[t.count++] = crow(100, 4026531840u, 7, TT_SIG_RETRANS, 0, 50);
	rows[t.count++] = crow(100, 4026531840u, 7, TT_SIG_RST_SENT, 3, 1);
	rows[t.count++] = crow(200, 4026532001u, 9, TT_SIG_RST_SENT, 3, 70);
	rows[t.count++] = crow(200, 4026532001u, 9, TT_SIG_RST_SENT, 5, 10);
	rows[t.count++] = crow(300, 4026531840u, 7, TT_SIG_DROP, 6, 2);
	rows[t.count++] = crow(300, 4026531840u, 7, TT_SIG_RETRANS, 0, 0);
	rows[t.count++] = crow(400, 4026531840u, 7, TT_SIG_NONE, 0, 9); /* not a column */
	t = fx_table(rows, t.count);
	return top_table_build(tt, &t);
}

static struct top_row *by_pid(struct top_table *tt, uint32_t pid)
{
	for (size_t i = 0; i < tt->n; i++)
		if (tt->rows[i].pid == pid)
			return &tt->rows[i];
	return NULL;
}

TEST(top_table_has_one_row_per_owner_with_every_column)
{
	struct top_table tt;
	struct top_row *r;

	if (!ASSERT_OK(build(&tt)))
		return;
	ASSERT_EQ_INT(tt.n, 3);
	r = by_pid(&tt, 200);
	if (ASSERT_TRUE(r)) {
		ASSERT_EQ_INT(r->v[TOP_RST_SENT], 80);
		ASSERT_EQ_INT(r->v[TOP_RETRANS], 0);
		ASSERT_EQ_INT(r->cgroup, 9);
	}
	r = by_pid(&tt, 100);
	if (ASSERT_TRUE(r)) {
		ASSERT_EQ_INT(r->v[TOP_RETRANS], 50);
		ASSERT_EQ_INT(r->v[TOP_RST_SENT], 1);
	}
	ASSERT_TRUE(by_pid(&tt, 400) == NULL);
	top_table_free(&tt);
}

static uint32_t first_pid(struct top_table *tt, const struct top_filter *f, enum top_col sort,
			  size_t *n)
{
	const struct top_row *out[8];

	*n = top_table_select(tt, f, sort, out, 8);
	return *n ? out[0]->pid : 0;
}

TEST(top_select_sorts_by_the_chosen_column)
{
	struct top_filter none = {};
	struct top_table tt;
	size_t n;

	if (!ASSERT_OK(build(&tt)))
		return;
	ASSERT_EQ_INT(first_pid(&tt, &none, TOP_RETRANS, &n), 100);
	ASSERT_EQ_INT(n, 3);
	ASSERT_EQ_INT(first_pid(&tt, &none, TOP_RST_SENT, &n), 200);
	ASSERT_EQ_INT(first_pid(&tt, &none, TOP_DROPS, &n), 300);
	/* all zero: lowest pid first */
	ASSERT_EQ_INT(first_pid(&tt, &none, TOP_MEM_LIMIT, &n), 100);
	top_table_free(&tt);
}

TEST(top_filters_by_pid_netns_container_and_text)
{
	struct top_filter f = {};
	struct top_table tt;
	struct top_row *r;
	size_t n;

	if (!ASSERT_OK(build(&tt)))
		return;
	r = by_pid(&tt, 200);
	snprintf(r->netns_name, sizeof(r->netns_name), "tt-top-1-a");
	snprintf(r->cgroup_path, sizeof(r->cgroup_path), "/system.slice/docker-%s.scope",
		 "4f1c2e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10");
	container_parse(r->cgroup_path, &r->ci);
	memcpy(by_pid(&tt, 300)->comm, "nginx", 6);

	f = (struct top_filter){ .kind = TOP_FILTER_PID, .num = 300 };
	ASSERT_EQ_INT(first_pid(&tt, &f, TOP_RETRANS, &n), 300);
	ASSERT_EQ_INT(n, 1);
	f = (struct top_filter){ .kind = TOP_FILTER_NETNS, .num = 4026531840u };
	first_pid(&tt, &f, TOP_RETRANS, &n);
	ASSERT_EQ_INT(n, 2);
	f = (struct top_filter){ .kind = TOP_FILTER_NETNS, .value = "tt-top" };
	ASSERT_EQ_INT(first_pid(&tt, &f, TOP_RETRANS, &n), 200);
	ASSERT_EQ_INT(n, 1);
	f = (struct top_filter){ .kind = TOP_FILTER_CONTAINER, .value = "4f1c2e9d" };
	ASSERT_EQ_INT(first_pid(&tt, &f, TOP_RETRANS, &n), 200);
	ASSERT_EQ_INT(n, 1);
	f = (struct top_filter){ .kind = TOP_FILTER_CONTAINER, .value = "docker" };
	first_pid(&tt, &f, TOP_RETRANS, &n);
	ASSERT_EQ_INT(n, 1);
	f = (struct top_filter){ .kind = TOP_FILTER_TEXT, .value = "ngin" };
	ASSERT_EQ_INT(first_pid(&tt, &f, TOP_RETRANS, &n), 300);
	ASSERT_EQ_INT(n, 1);
	f = (struct top_filter){ .kind = TOP_FILTER_TEXT, .value = "nothing-matches" };
	first_pid(&tt, &f, TOP_RETRANS, &n);
	ASSERT_EQ_INT(n, 0);
	top_table_free(&tt);
}

static void type(struct top_state *st, const char *keys)
{
	for (; *keys; keys++)
		top_state_key(st, (unsigned char)*keys);
}

TEST(top_keys_choose_and_move_the_sort_column)
{
	struct top_state st = {};

	ASSERT_EQ_INT(st.sort, TOP_RETRANS);
	type(&st, "x");
	ASSERT_EQ_INT(st.sort, TOP_RST_SENT);
	type(&st, "<<<<<<");
	ASSERT_EQ_INT(st.sort, TOP_RETRANS);
	type(&st, ">>>>>>>>");
	ASSERT_EQ_INT(st.sort, TOP_NCOLS - 1);
	type(&st, "d");
	ASSERT_EQ_INT(st.sort, TOP_DROPS);
	ASSERT_TRUE(!top_state_key(&st, 'z'));
	ASSERT_TRUE(!st.quit);
	type(&st, "q");
	ASSERT_TRUE(st.quit);
}

TEST(top_filter_prompt_applies_cancels_and_clears)
{
	struct top_state st = {};
	char line[256];

	type(&st, "p12x");
	top_state_key(&st, TOP_KEY_BACKSPACE);
	type(&st, "3\n");
	ASSERT_EQ_INT(st.filter.kind, TOP_FILTER_PID);
	ASSERT_EQ_INT(st.filter.num, 123);
	ASSERT_EQ_INT(st.prompt, TOP_FILTER_NONE);
	/* keys typed in a prompt do not sort or quit */
	type(&st, "nq");
	ASSERT_TRUE(!st.quit);
	ASSERT_EQ_INT(st.prompt, TOP_FILTER_NETNS);
	top_state_key(&st, TOP_KEY_ESC);
	ASSERT_EQ_INT(st.filter.kind, TOP_FILTER_PID); /* Esc in a prompt cancels it */
	type(&st, "pabc\r");
	ASSERT_EQ_INT(st.filter.num, 123); /* not a pid: unchanged, and said so */
	top_format_status(line, sizeof(line), 80, &st);
	ASSERT_TRUE(strstr(line, "pid must be a number") != NULL);
	type(&st, "c\n");
	ASSERT_EQ_INT(st.filter.kind, TOP_FILTER_NONE); /* empty answer clears */
	type(&st, "/web\n");
	ASSERT_EQ_INT(st.filter.kind, TOP_FILTER_TEXT);
	ASSERT_EQ_STR(st.filter.value, "web");
	top_format_status(line, sizeof(line), 80, &st);
	ASSERT_TRUE(strstr(line, "filter text=web") != NULL);
	top_state_key(&st, TOP_KEY_ESC);
	ASSERT_EQ_INT(st.filter.kind, TOP_FILTER_NONE);
}

TEST(top_lines_fit_80_columns_and_mark_the_sort_column)
{
	struct top_row r = { .pid = 4194304, .netns = 4026531840u, .cgroup = 5 };
	char line[1024];

	top_format_table_header(line, sizeof(line), 80, TOP_RST_SENT);
	ASSERT_TRUE(strlen(line) <= 80);
	ASSERT_TRUE(strstr(line, "*RSTO") != NULL);
	ASSERT_TRUE(strstr(line, "*RETR") == NULL);
	ASSERT_TRUE(strstr(line, "CONTAINER") != NULL);
	memcpy(r.comm, "0123456789abcde", 16);
	for (int c = 0; c < TOP_NCOLS; c++)
		r.v[c] = 18446744073709551615ull;
	snprintf(r.cgroup_path, sizeof(r.cgroup_path), "/a/very/long/cgroup/path/that/goes/on");
	top_format_row(line, sizeof(line), 80, &r);
	ASSERT_EQ_INT(strlen(line), 80);
	ASSERT_TRUE(strstr(line, "4194304 0123456789ab 4026531840   18E") == line);
	top_format_row(line, sizeof(line), 200, &r);
	ASSERT_TRUE(strstr(line, "/a/very/long/cgroup/path/that/goes/on") != NULL);
}

TEST(top_rows_sanitize_hostile_names)
{
	struct top_row r = { .pid = 7, .netns = 1, .cgroup = 5 };
	char line[1024];

	memcpy(r.comm, "\x1b[2J\x1b]0;pwn", 12);
	snprintf(r.netns_name, sizeof(r.netns_name), "ns\r\n");
	snprintf(r.cgroup_path, sizeof(r.cgroup_path), "/evil\x1b[31m\xe2\x80\xae");
	top_format_row(line, sizeof(line), 200, &r);
	for (const char *p = line; *p; p++)
		if (!ASSERT_TRUE((unsigned char)*p >= 0x20 && *p != 0x7f))
			break;
	ASSERT_TRUE(strstr(line, "\\x1b[2J") != NULL);
	ASSERT_TRUE(strstr(line, "\\xe2\\x80\\xae") != NULL); /* bidi override escaped */
	r.pid = 0;
	r.cgroup = 0;
	top_format_row(line, sizeof(line), 80, &r);
	ASSERT_TRUE(strstr(line, "(no owner)") != NULL);
}

TEST(top_counts_fit_five_characters)
{
	char b[16];

	top_format_count(b, sizeof(b), 0);
	ASSERT_EQ_STR(b, "0");
	top_format_count(b, sizeof(b), 99999);
	ASSERT_EQ_STR(b, "99999");
	top_format_count(b, sizeof(b), 100000);
	ASSERT_EQ_STR(b, "100k");
	top_format_count(b, sizeof(b), 9999999);
	ASSERT_EQ_STR(b, "9999k");
	top_format_count(b, sizeof(b), 10000000);
	ASSERT_EQ_STR(b, "10M");
	top_format_count(b, sizeof(b), 18446744073709551615ull);
	ASSERT_EQ_STR(b, "18E");
}

TEST(top_memory_line_says_where_usage_is_against_tcp_mem)
{
	struct top_host h = { .tcp_mem = { 100, 200, 400 }, .mem_pages = 50, .page_size = 4096 };
	char line[256];

	top_format_memory(line, sizeof(line), 200, &h);
	ASSERT_EQ_STR(line, "TCP mem: 50 pages (0.2 MiB) vs tcp_mem 100/200/400: 12% of max, ok");
	h.mem_pages = 250;
	top_format_memory(line, sizeof(line), 200, &h);
	ASSERT_TRUE(strstr(line, "UNDER PRESSURE") != NULL);
	h.mem_pages = 400;
	top_format_memory(line, sizeof(line), 200, &h);
	ASSERT_TRUE(strstr(line, "AT MAX") != NULL);
	top_format_memory(line, sizeof(line), 20, &h);
	ASSERT_EQ_INT(strlen(line), 20);
	h.mem_pages = -1;
	top_format_memory(line, sizeof(line), 200, &h);
	ASSERT_TRUE(strstr(line, "unknown") != NULL);
}

TEST(top_finding_line_shows_severity_or_cleared)
{
	struct finding f = { .cause = "reset_storm", .severity = SEV_WARNING };
	char line[256];

	snprintf(f.summary, sizeof(f.summary), "80 TCP resets sent in 2 s\x1b[K");
	top_format_finding(line, sizeof(line), 80, &f, true);
	ASSERT_EQ_STR(line, "WARN reset_storm: 80 TCP resets sent in 2 s\\x1b[K");
	top_format_finding(line, sizeof(line), 30, &f, false);
	ASSERT_EQ_STR(line, "     reset_storm (cleared): 80");
}
