/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's state as Prometheus text (0.0.4) or OpenMetrics 1.0 text:
 * counters by signal, netns and reason, active findings, TCP memory against
 * tcp_mem, and the agent's own losses.  Pure rendering: the caller gathers
 * the numbers, so this is testable without a kernel.
 */
#ifndef __TT_METRICS_H
#define __TT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct count_table;
struct kernel_names;
struct agent_health;

enum metrics_format {
	METRICS_PROMETHEUS,  /* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0, ends with # EOF */
};

struct metrics_finding {
	const char *cause;
	const char *severity;
	bool active;
	bool root; /* a root cause, not a symptom of another finding */
};

struct metrics_input {
	const struct count_table *totals; /* cumulative since start */
	const struct kernel_names *names;
	const struct agent_health *health;
	const struct metrics_finding *findings;
	size_t n_findings;
	int64_t tcp_mem_pages; /* /proc/net/sockstat; < 0 when unknown */
	long tcp_mem[3];       /* net.ipv4.tcp_mem min, pressure, max; 0 when unknown */
};

/* The format a scraper asked for in its Accept header (NULL: none). */
enum metrics_format metrics_negotiate(const char *accept);
const char *metrics_content_type(enum metrics_format fmt);

/* Write the whole exposition to f. 0 or -EIO when a write failed. */
int metrics_render(FILE *f, const struct metrics_input *in, enum metrics_format fmt);

/*
 * A hostile string as the inside of a quoted label value: made printable
 * (text_sanitize), then '\' and '"' escaped as the exposition formats
 * require. Always NUL-terminates; never cuts an escape in half.
 */
size_t metrics_escape_label(char *dst, size_t dstsz, const char *src);

#endif /* __TT_METRICS_H */
