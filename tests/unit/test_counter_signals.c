// SPDX-License-Identifier: GPL-2.0
// The counter-signal table (TT_SIGNALS): one entry per enum value, unique and valid names,
// and the outputs (JSON, metrics, live view) all taken from it.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "counter_signals.h"
#include "metrics.h"
#include "output.h"
#include "tcptriage.h"
#include "test.h"
#include "top_view.h"

/* Every name a signal gives an output, events and amounts alike. */
static size_t all_names(const char **json, const char **metric, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < signal_count && n + 2 <= max; i++) {
		json[n] = signal_table[i].events;
		metric[n++] = signal_table[i].events_metric;
		if (signal_table[i].amount) {
			json[n] = signal_table[i].amount;
			metric[n++] = signal_table[i].amount_metric;
		}
	}
	return n;
}

/* A name given twice, or NULL. */
static const char *duplicate(const char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(names[i], names[j]))
				return names[i];
	return NULL;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]*, and not a name reserved (__) or suffixed (_total) by the formats. */
static bool prometheus_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || isdigit((unsigned char)s[0]) || !strncmp(s, "__", 2))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != ':')
			return false;
	return len < 6 || strcmp(s + len - 6, "_total");
}

/* HELP text is written raw: a newline or a backslash would need escaping. */
static bool plain_help(const char *s)
{
	return s && *s && !strpbrk(s, "\n\\");
}

TEST(counter_signals_keep_their_wire_values)
{
	ASSERT_EQ_INT(TT_SIG_NONE, 0);
	ASSERT_EQ_INT(TT_SIG_RETRANS, 1);
	ASSERT_EQ_INT(TT_SIG_RETRANS_FAIL, 2);
	ASSERT_EQ_INT(TT_SIG_SYNACK_RETRANS, 3);
	ASSERT_EQ_INT(TT_SIG_DROP, 4);
	ASSERT_EQ_INT(TT_SIG_EXCEED_BUF, 5);
	ASSERT_EQ_INT(TT_SIG_RCVQ_FULL, 6);
	ASSERT_EQ_INT(TT_SIG_RST_SENT, 7);
	ASSERT_EQ_INT(TT_SIG_RST_RECV, 8);
	ASSERT_EQ_INT(TT_SIG_CONNECT, 9);
	ASSERT_EQ_INT(TT_SIG_ACTIVE_CLOSE, 10);
	ASSERT_EQ_INT(TT_SIG_CONNECT_FAIL, 11);
	ASSERT_EQ_INT(TT_SIG_UDP_REFUSED, 12);
	ASSERT_EQ_INT(TT_SIG_MAX, 13);
}

TEST(counter_signals_one_entry_per_enum_value)
{
	ASSERT_EQ_INT(signal_count, TT_SIG_MAX - 1);
	ASSERT_TRUE(signal_find(TT_SIG_NONE) == NULL);
	ASSERT_TRUE(signal_find(TT_SIG_MAX) == NULL);
	for (uint32_t s = TT_SIG_NONE + 1; s < TT_SIG_MAX; s++) {
		int entries = 0;

		for (size_t i = 0; i < signal_count; i++)
			entries += signal_table[i].signal == s;
		if (!ASSERT_EQ_INT(entries, 1))
			continue;
		ASSERT_EQ_INT(signal_find(s)->signal, s);
		ASSERT_EQ_INT(signal_table[s - 1].signal, s); /* in enum order */
	}
}

TEST(counter_signals_names_are_unique_complete_and_valid)
{
	const char *json[2 * TT_SIG_MAX], *metric[2 * TT_SIG_MAX];
	size_t n = all_names(json, metric, sizeof(json) / sizeof(json[0]));
	const char *dup;
	char derived[128];

	for (size_t i = 0; i < signal_count; i++) {
		const struct signal_info *si = &signal_table[i];
		bool amount = si->amount;

		ASSERT_TRUE(si->events && si->events[0]);
		ASSERT_TRUE(plain_help(si->events_help));
		snprintf(derived, sizeof(derived), "tcptriage_%s", si->events);
		ASSERT_EQ_STR(si->events_metric, derived);
		/* an amount has all its names, or none and is not bytes */
		ASSERT_TRUE(amount == (si->amount_metric != NULL) && amount == (si->amount_help != NULL));
		ASSERT_TRUE(amount || !si->amount_is_bytes);
		ASSERT_TRUE(!amount || (si->amount[0] && plain_help(si->amount_help)));
	}
	dup = duplicate(json, n);
	test_check(t, !dup, __FILE__, __LINE__, "JSON name %s twice", dup ? dup : "");
	dup = duplicate(metric, n);
	test_check(t, !dup, __FILE__, __LINE__, "metric name %s twice", dup ? dup : "");
	for (size_t i = 0; i < n; i++)
		test_check(t, prometheus_name(metric[i]) && !strncmp(metric[i], "tcptriage_", 10),
			   __FILE__, __LINE__, "not a tcptriage_ metric name: %s", metric[i]);
}

static char *render_metrics(void)
{
	struct count_table empty = {};
	struct kernel_names kn = {};
	struct agent_health h = {};
	struct metrics_input in = { .totals = &empty, .names = &kn, .health = &h,
				    .tcp_mem_pages = -1 };
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	metrics_render(f, &in, METRICS_PROMETHEUS);
	fclose(f);
	return text;
}

static bool has_help(const char *text, const char *metric, const char *help)
{
	char line[512];

	snprintf(line, sizeof(line), "# HELP %s_total %s\n", metric, help);
	return strstr(text, line) != NULL;
}

TEST(counter_signals_name_every_metric_family_and_json_counter)
{
	char *text = render_metrics(), *json = NULL;
	struct count_table empty = {};
	struct kernel_names kn = {};
	struct agent_health h = {};
	size_t len;
	FILE *f = open_memstream(&json, &len);
	struct out *o = f ? out_new(f, true) : NULL;

	if (o)
		out_stats(o, 1.0, 1.0, &empty, &kn, &h);
	out_free(o);
	if (f)
		fclose(f);
	if (!text || !json) { /* as an if, so the analyzer sees both checked */
		ASSERT_TRUE(text && json);
		goto out;
	}
	for (size_t i = 0; i < signal_count; i++) {
		const struct signal_info *si = &signal_table[i];
		char key[96];

		test_check(t, has_help(text, si->events_metric, si->events_help), __FILE__, __LINE__,
			   "no HELP for %s", si->events_metric);
		test_check(t, !si->amount || has_help(text, si->amount_metric, si->amount_help),
			   __FILE__, __LINE__, "no HELP for %s", si->amount_metric);
		snprintf(key, sizeof(key), "\"%s\":0", si->events);
		test_check(t, strstr(json, key), __FILE__, __LINE__, "no %s in the stats line", key);
		if (!si->amount)
			continue;
		snprintf(key, sizeof(key), "\"%s\":0", si->amount);
		test_check(t, strstr(json, key), __FILE__, __LINE__, "no %s in the stats line", key);
	}
out:
	free(json);
	free(text);
}

/* The COL rows of the table, expanded here on their own. */
struct col_row {
	uint32_t signal;
	int pos;
	const char *title, *name;
	int key;
};

#define COL_ROW(id, pos, title, name, key) { TT_SIG_##id, (pos), (title), (name), (key) },
static const struct col_row col_rows[] = { TT_SIGNALS(TT_SKIP, COL_ROW) };
#define N_COL_ROWS (sizeof(col_rows) / sizeof(col_rows[0]))

TEST(counter_signals_are_the_live_view_columns)
{
	char status[256], keys[64] = "sort:";
	struct top_state st = {};

	ASSERT_EQ_INT(N_COL_ROWS, TOP_NCOLS);
	for (size_t i = 0; i < N_COL_ROWS; i++) {
		const struct col_row *r = &col_rows[i];
		const struct top_col_info *c = &top_cols[r->pos];

		ASSERT_EQ_INT(c->signal, r->signal);
		ASSERT_EQ_STR(c->title, r->title);
		ASSERT_EQ_STR(c->name, r->name);
		ASSERT_EQ_INT(c->key, r->key);
		ASSERT_TRUE(signal_find(r->signal) != NULL);
	}
	for (int c = 0; c < TOP_NCOLS; c++) {
		ASSERT_TRUE(top_cols[c].title && strlen(top_cols[c].title) == 4);
		ASSERT_TRUE(top_cols[c].name && top_cols[c].name[0]);
		for (int d = c + 1; d < TOP_NCOLS; d++)
			ASSERT_TRUE(top_cols[c].signal != top_cols[d].signal &&
				    top_cols[c].key != top_cols[d].key);
		/* its key sorts by it, and is not another command's */
		ASSERT_TRUE(!strchr("qQpcn/<>", top_cols[c].key));
		top_state_key(&st, top_cols[c].key);
		ASSERT_EQ_INT(st.sort, c);
		snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), " %c", top_cols[c].key);
	}
	st = (struct top_state){};
	top_format_status(status, sizeof(status), 200, &st);
	test_check(t, strstr(status, keys), __FILE__, __LINE__, "'%s' not in '%s'", keys, status);
}
