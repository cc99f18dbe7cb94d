/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live view's model, without a terminal: one row per socket owner over
 * the session window, the keys that sort and filter it, and the lines that
 * show it (hostile names sanitized, fitted to a width). user/top.c draws.
 */
#ifndef __TT_TOP_VIEW_H
#define __TT_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "container.h"
#include "counts.h"
#include "finding.h"

/* The counter columns in display order; what each shows is its COL row in TT_SIGNALS. */
enum top_col { TOP_RETRANS, TOP_DROPS, TOP_RST_SENT, TOP_RST_RECV, TOP_MEM_LIMIT, TOP_RCVQ_FULL,
	       TOP_NCOLS };

struct top_col_info {
	const char *title; /* 4 characters: six counters and a container fit in 80 */
	const char *name;  /* spelled out in the header */
	uint32_t signal;   /* enum tt_signal whose events the column counts */
	int key;           /* sorts by this column */
};

extern const struct top_col_info top_cols[TOP_NCOLS];

struct top_row {
	uint32_t pid; /* 0: no owning process (e.g. resets for closed ports) */
	uint32_t netns;
	uint64_t cgroup;
	uint64_t v[TOP_NCOLS];
	/* filled in by the caller (attribution needs I/O); raw, sanitized when shown */
	char comm[16];
	char netns_name[64];
	char cgroup_path[CGROUP_PATH_MAX];
	struct container_info ci;
};

struct top_table {
	struct top_row *rows;
	size_t n;
};

/* One row per owner (pid, netns, cgroup) counted in any column. 0 or -ENOMEM. */
int top_table_build(struct top_table *tt, const struct count_table *window);
void top_table_free(struct top_table *tt);

enum top_filter_kind { TOP_FILTER_NONE, TOP_FILTER_PID, TOP_FILTER_CONTAINER, TOP_FILTER_NETNS,
		       TOP_FILTER_TEXT };

struct top_filter {
	enum top_filter_kind kind;
	char value[64];
	uint64_t num; /* pid, or netns inode when value is a number */
};

bool top_row_matches(const struct top_row *r, const struct top_filter *f);
/* Rows passing f, largest first in column sort (ties: pid); returns how many. */
size_t top_table_select(const struct top_table *tt, const struct top_filter *f,
			enum top_col sort, const struct top_row **out, size_t max);

/* What the keys have chosen. Zero-initialized: sort by retransmits, no filter. */
struct top_state {
	enum top_col sort;
	struct top_filter filter;
	enum top_filter_kind prompt; /* TOP_FILTER_NONE: not asking */
	char input[64];
	size_t input_len;
	bool quit;
	char message[96]; /* shown until the next key */
};

#define TOP_KEY_ESC 27
#define TOP_KEY_BACKSPACE 127

/*
 * One key (ASCII; Enter is '\n' or '\r'): q quits; a column's key or '<' '>'
 * sorts; p, c, n and '/' ask for a pid, container, netns or any text to
 * filter by (Enter applies, an empty answer clears, Esc cancels); Esc clears
 * the filter. Returns true when what is shown changed.
 */
bool top_state_key(struct top_state *st, int key);

/* Lines of the view, each at most width columns (plus NUL, within len). */
void top_format_table_header(char *buf, size_t len, int width, enum top_col sort);
void top_format_row(char *buf, size_t len, int width, const struct top_row *r);
/* "p pid 123" ... or the prompt being typed, or the last message. */
void top_format_status(char *buf, size_t len, int width, const struct top_state *st);

struct top_host {
	long tcp_mem[3];  /* min, pressure, max (pages); all 0 when unreadable */
	long mem_pages;   /* -1 when unknown */
	long inuse, orphans, tw, alloc;
	long page_size;
};

void top_format_memory(char *buf, size_t len, int width, const struct top_host *h);
void top_format_sockets(char *buf, size_t len, int width, const struct top_host *h);
void top_format_finding(char *buf, size_t len, int width, const struct finding *f, bool active);
/* "5", "99999", "123k", "45M": at most 5 characters. */
void top_format_count(char *buf, size_t len, uint64_t v);

#endif /* __TT_TOP_VIEW_H */
