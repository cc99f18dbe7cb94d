// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "json.h"
#include "tcptriage.h"
#include "top_view.h"

/* Column widths: with six counters, 80 columns leave 12 for the container. */
#define W_PID 7
#define W_COMM 12
#define W_NETNS 10
#define W_NUM 5
#define W_FIXED (W_PID + 1 + W_COMM + 1 + W_NETNS + TOP_NCOLS * (1 + W_NUM))
#define W_WHERE_MIN 4

/* The COL rows of TT_SIGNALS, each at its position. */
#define TOP_COL(id, pos, title, name, key) [pos] = { (title), (name), TT_SIG_##id, (key) },

const struct top_col_info top_cols[TOP_NCOLS] = { TT_SIGNALS(TT_SKIP, TOP_COL) };

/* ---------------------------------------------------------------- rows */

static int column_of(uint32_t signal)
{
	for (int c = 0; c < TOP_NCOLS; c++)
		if (top_cols[c].signal == signal)
			return c;
	return -1;
}

static bool same_owner(const struct top_row *r, const struct tt_count_key *k)
{
	return r->pid == k->tgid && r->netns == k->netns && r->cgroup == k->cgroup;
}

static struct top_row *row_for(struct top_table *tt, size_t *cap, const struct tt_count_key *k)
{
	struct top_row *r;

	/* counts tables are sorted by key, owner first: an owner's rows are adjacent */
	if (tt->n && same_owner(&tt->rows[tt->n - 1], k))
		return &tt->rows[tt->n - 1];
	if (tt->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct top_row *n = realloc(tt->rows, ncap * sizeof(*n));

		if (!n)
			return NULL;
		tt->rows = n;
		*cap = ncap;
	}
	r = &tt->rows[tt->n++];
	memset(r, 0, sizeof(*r));
	r->pid = k->tgid;
	r->netns = k->netns;
	r->cgroup = k->cgroup;
	return r;
}

int top_table_build(struct top_table *tt, const struct count_table *window)
{
	size_t cap = 0;

	memset(tt, 0, sizeof(*tt));
	for (size_t i = 0; i < window->count; i++) {
		const struct count_row *cr = &window->rows[i];
		int col = column_of(cr->key.signal);
		struct top_row *r;

		if (col < 0 || !cr->events)
			continue;
		r = row_for(tt, &cap, &cr->key);
		if (!r) {
			top_table_free(tt);
			return -ENOMEM;
		}
		r->v[col] += cr->events;
	}
	return 0;
}

void top_table_free(struct top_table *tt)
{
	free(tt->rows);
	tt->rows = NULL;
	tt->n = 0;
}

/* ------------------------------------------------------------- filtering */

static bool has(const char *haystack, const char *needle)
{
	return haystack[0] && strstr(haystack, needle);
}

static bool container_has(const struct top_row *r, const char *s)
{
	return has(r->ci.id, s) || has(r->ci.unit, s) || has(r->ci.pod, s) ||
	       has(r->ci.runtime, s) || has(r->cgroup_path, s);
}

bool top_row_matches(const struct top_row *r, const struct top_filter *f)
{
	char comm[sizeof(r->comm) + 1];

	switch (f->kind) {
	case TOP_FILTER_PID:
		return r->pid == f->num;
	case TOP_FILTER_NETNS:
		return f->num ? r->netns == f->num : has(r->netns_name, f->value);
	case TOP_FILTER_CONTAINER:
		return container_has(r, f->value);
	case TOP_FILTER_TEXT:
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(r->comm), r->comm);
		return (f->num && (r->pid == f->num || r->netns == f->num)) || has(comm, f->value) ||
		       has(r->netns_name, f->value) || container_has(r, f->value);
	case TOP_FILTER_NONE:
		break;
	}
	return true;
}

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct top_row *x = *(const struct top_row *const *)a;
	const struct top_row *y = *(const struct top_row *const *)b;
	enum top_col col = *(const enum top_col *)arg;

	if (x->v[col] != y->v[col])
		return x->v[col] < y->v[col] ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

size_t top_table_select(const struct top_table *tt, const struct top_filter *f,
			enum top_col sort, const struct top_row **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < tt->n && n < max; i++)
		if (top_row_matches(&tt->rows[i], f))
			out[n++] = &tt->rows[i];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): sorting row pointers */
	qsort_r(out, n, sizeof(*out), row_cmp, &sort);
	return n;
}

/* ------------------------------------------------------------------ keys */

static const char *const filter_names[] = {
	[TOP_FILTER_NONE] = "", [TOP_FILTER_PID] = "pid", [TOP_FILTER_CONTAINER] = "container",
	[TOP_FILTER_NETNS] = "netns", [TOP_FILTER_TEXT] = "text",
};

static bool parse_number(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end && *out <= UINT32_MAX;
}

/* Enter: the typed answer becomes the filter (empty clears it). */
static void prompt_apply(struct top_state *st)
{
	struct top_filter f = { .kind = st->prompt };
	bool numeric = parse_number(st->input, &f.num);

	st->prompt = TOP_FILTER_NONE;
	if (!st->input_len) {
		st->filter = (struct top_filter){};
		return;
	}
	if (f.kind == TOP_FILTER_PID && (!numeric || !f.num)) {
		snprintf(st->message, sizeof(st->message), "pid must be a number: filter unchanged");
		return;
	}
	if (!numeric)
		f.num = 0;
	snprintf(f.value, sizeof(f.value), "%s", st->input);
	st->filter = f;
}

static void prompt_edit(struct top_state *st, int key)
{
	if (key == '\n' || key == '\r') {
		prompt_apply(st);
	} else if (key == TOP_KEY_ESC) {
		st->prompt = TOP_FILTER_NONE;
	} else if (key == TOP_KEY_BACKSPACE || key == '\b') {
		if (st->input_len)
			st->input[--st->input_len] = 0;
	} else if (key >= 0x20 && key < 0x7f && st->input_len + 1 < sizeof(st->input)) {
		st->input[st->input_len++] = (char)key;
		st->input[st->input_len] = 0;
	}
}

static void prompt_open(struct top_state *st, enum top_filter_kind kind)
{
	st->prompt = kind;
	st->input_len = 0;
	st->input[0] = 0;
}

static bool sort_key(struct top_state *st, int key)
{
	for (int c = 0; c < TOP_NCOLS; c++) {
		if (top_cols[c].key == key) {
			st->sort = c;
			return true;
		}
	}
	if (key == '<' && st->sort > 0)
		st->sort--;
	else if (key == '>' && st->sort < TOP_NCOLS - 1)
		st->sort++;
	return key == '<' || key == '>';
}

bool top_state_key(struct top_state *st, int key)
{
	bool had_message = st->message[0];

	st->message[0] = 0;
	if (st->prompt != TOP_FILTER_NONE) {
		prompt_edit(st, key);
		return true;
	}
	switch (key) {
	case 'q':
	case 'Q':
		st->quit = true;
		return true;
	case 'p':
		prompt_open(st, TOP_FILTER_PID);
		return true;
	case 'c':
		prompt_open(st, TOP_FILTER_CONTAINER);
		return true;
	case 'n':
		prompt_open(st, TOP_FILTER_NETNS);
		return true;
	case '/':
		prompt_open(st, TOP_FILTER_TEXT);
		return true;
	case TOP_KEY_ESC:
		st->filter = (struct top_filter){};
		return true;
	}
	return sort_key(st, key) || had_message;
}

/* ------------------------------------------------------------------ lines */

void top_format_count(char *buf, size_t len, uint64_t v)
{
	static const char suffix[] = "kMGTPE";
	uint64_t unit = 1000;
	int i = 0;

	if (v <= 99999) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	while (v / unit > 9999 && i < 5) {
		unit *= 1000;
		i++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)(v / unit), suffix[i]);
}

/* Cut an ASCII line at width columns. */
static void clip(char *buf, size_t len, int width)
{
	if (width >= 0 && (size_t)width < len)
		buf[width] = 0;
}

static int where_width(int width)
{
	int w = width - W_FIXED - 1;

	return w >= W_WHERE_MIN ? w : 0;
}

void top_format_table_header(char *buf, size_t len, int width, enum top_col sort)
{
	int off = snprintf(buf, len, "%*s %-*s %-*s", W_PID, "PID", W_COMM, "COMM", W_NETNS, "NETNS");

	for (int c = 0; c < TOP_NCOLS && off >= 0 && (size_t)off < len; c++)
		off += snprintf(buf + off, len - off, " %s%*s", c == (int)sort ? "*" : " ", W_NUM - 1,
				top_cols[c].title);
	if (where_width(width) && off >= 0 && (size_t)off < len)
		snprintf(buf + off, len - off, " CONTAINER/UNIT/CGROUP");
	clip(buf, len, width);
}

/* Hostile text into a field of at most width bytes (never half an escape). */
static const char *fit(char *dst, int width, const char *src, size_t srclen)
{
	text_sanitize(dst, (size_t)width + 1, src, srclen);
	return dst;
}

static void row_where(const struct top_row *r, char *buf, size_t len)
{
	if (!r->cgroup)
		snprintf(buf, len, "-");
	else if (!r->cgroup_path[0])
		snprintf(buf, len, "cgroup %llu", (unsigned long long)r->cgroup);
	else
		container_describe(&r->ci, r->cgroup_path, buf, len);
}

void top_format_row(char *buf, size_t len, int width, const struct top_row *r)
{
	char pid[16] = "-", comm[W_COMM + 1], ns[W_NETNS + 1], where[CGROUP_PATH_MAX + 64];
	char shown[CGROUP_PATH_MAX + 64], num[16];
	int off, ww = where_width(width);

	if (r->pid)
		snprintf(pid, sizeof(pid), "%u", r->pid);
	if (r->pid)
		fit(comm, W_COMM, r->comm, strnlen(r->comm, sizeof(r->comm)));
	else
		snprintf(comm, sizeof(comm), "(no owner)");
	if (r->netns_name[0])
		fit(ns, W_NETNS, r->netns_name, strlen(r->netns_name));
	else
		snprintf(ns, sizeof(ns), r->netns ? "%u" : "-", r->netns);
	off = snprintf(buf, len, "%*s %-*s %-*s", W_PID, pid, W_COMM, comm, W_NETNS, ns);
	for (int c = 0; c < TOP_NCOLS && off >= 0 && (size_t)off < len; c++) {
		top_format_count(num, sizeof(num), r->v[c]);
		off += snprintf(buf + off, len - off, " %*s", W_NUM, num);
	}
	if (ww && off >= 0 && (size_t)off < len) {
		row_where(r, where, sizeof(where));
		snprintf(buf + off, len - off, " %s",
			 fit(shown, ww < (int)sizeof(shown) - 1 ? ww : (int)sizeof(shown) - 1, where,
			     strlen(where)));
	}
}

/* "r d x X m b": the columns' sort keys, in display order. */
static const char *sort_keys(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int c = 0; c < TOP_NCOLS && off + 3 <= len; c++)
		off += (size_t)snprintf(buf + off, len - off, "%s%c", c ? " " : "", top_cols[c].key);
	return buf;
}

void top_format_status(char *buf, size_t len, int width, const struct top_state *st)
{
	char value[sizeof(st->filter.value) * 4], keys[2 * TOP_NCOLS];

	if (st->prompt != TOP_FILTER_NONE)
		snprintf(buf, len, "filter by %s (Enter applies, empty clears, Esc cancels): %s_",
			 filter_names[st->prompt], st->input);
	else if (st->message[0])
		snprintf(buf, len, "%s", st->message);
	else if (st->filter.kind != TOP_FILTER_NONE)
		snprintf(buf, len, "filter %s=%s (Esc clears) | q quit, %s < > sort",
			 filter_names[st->filter.kind],
			 fit(value, sizeof(value) - 1, st->filter.value, strlen(st->filter.value)),
			 sort_keys(keys, sizeof(keys)));
	else
		snprintf(buf, len, "q quit | sort: %s < > | filter: p pid, c container, n netns, / text",
			 sort_keys(keys, sizeof(keys)));
	clip(buf, len, width);
}

static const char *mem_state(const struct top_host *h)
{
	if (h->mem_pages >= h->tcp_mem[2])
		return "AT MAX: allocations fail";
	if (h->mem_pages >= h->tcp_mem[1])
		return "UNDER PRESSURE";
	if (h->mem_pages >= h->tcp_mem[0])
		return "above min";
	return "ok";
}

void top_format_memory(char *buf, size_t len, int width, const struct top_host *h)
{
	if (h->mem_pages < 0 || h->tcp_mem[2] <= 0) {
		snprintf(buf, len, "TCP mem: unknown (cannot read /proc/net/sockstat or tcp_mem)");
	} else {
		snprintf(buf, len, "TCP mem: %ld pages (%.1f MiB) vs tcp_mem %ld/%ld/%ld: %ld%% of max, %s",
			 h->mem_pages, (double)h->mem_pages * h->page_size / (1 << 20), h->tcp_mem[0],
			 h->tcp_mem[1], h->tcp_mem[2], h->mem_pages * 100 / h->tcp_mem[2],
			 mem_state(h));
	}
	clip(buf, len, width);
}

void top_format_sockets(char *buf, size_t len, int width, const struct top_host *h)
{
	snprintf(buf, len, "TCP sockets: %ld in use, %ld orphaned, %ld TIME_WAIT, %ld allocated",
		 h->inuse, h->orphans, h->tw, h->alloc);
	clip(buf, len, width);
}

void top_format_finding(char *buf, size_t len, int width, const struct finding *f, bool active)
{
	static const char *const sev[] = { [SEV_INFO] = "INFO", [SEV_WARNING] = "WARN",
					   [SEV_CRITICAL] = "CRIT" };
	char line[512];

	snprintf(line, sizeof(line), "%s %s%s%s: %s", active ? sev[f->severity] : "    ",
		 f->caused_by[0] ? "-> " : "", f->cause, active ? "" : " (cleared)", f->summary);
	if (width < 0 || (size_t)width >= len)
		width = (int)len - 1;
	fit(buf, width, line, strlen(line));
}
