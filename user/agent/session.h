/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A watch session: the attached agent, its ring buffer, the counters read
 * each interval, the rules evaluated on them and the output they go to.
 * Commands (diagnose, later run and top) drive it; it owns no signal state.
 */
#ifndef __TT_SESSION_H
#define __TT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "finding.h"
#include "loader.h"

struct finding;

struct session_opts {
	const char *command;
	double duration_s; /* 0: until stopped */
	double window_s;   /* rules look back this far; 0: the whole run */
	bool json;
	bool verbose;
	enum attach_kind prefer;
	uint32_t ringbuf_kb; /* events ring buffer size; 0: as built */
	const char *btf_path; /* --btf FILE; NULL: the running kernel's */
	double horizon_s;     /* early warnings look this far ahead; 0: FORECAST_HORIZON_S */
	FILE *out; /* NULL: print nothing (the live view draws the state itself) */
	/* Optional: told of each finding when it fires or clears, after it is printed. */
	void (*on_change)(void *ctx, const struct finding *f, bool firing);
	void *on_change_ctx;
};

struct session;

/* Load, attach, print the start line.  0, or -errno with one line of why in err. */
int session_open(const struct session_opts *opts, struct session **out, char *err, size_t len);
/* Wait up to timeout_ms for ring buffer records and print them. */
int session_poll(struct session *s, int timeout_ms);
/*
 * Read counters, print a stats line, print findings that newly fire.  0, or
 * the first -errno of what could not be read (the rest still ran).
 */
int session_tick(struct session *s) __attribute__((warn_unused_result));
/* A last tick, the final findings and the end line.  0 or the last tick's -errno. */
int session_finish(struct session *s);
void session_close(struct session *s);
double session_elapsed(const struct session *s);

/* For other front ends (live view, metrics): read-only views of the state. */
struct count_table;
struct finding;
struct kernel_names;
struct agent_health;
const struct count_table *session_totals(const struct session *s); /* since start */
const struct count_table *session_window(const struct session *s); /* what rules saw */
const struct kernel_names *session_names(const struct session *s);
/* Every network namespace as read at the last tick (inode, `ip netns` name, counters). */
struct ns_table;
const struct ns_table *session_namespaces(const struct session *s);
void session_health(struct session *s, struct agent_health *h);
/*
 * Call fn for every finding that fired (active: still firing now), by incident:
 * each root cause, then the symptoms it caused.
 */
void session_each_finding(const struct session *s, finding_fn fn, void *ctx);
/* 0, or the first output write that failed (-EPIPE: the reader went away, e.g. `run | head`). */
int session_output_error(const struct session *s);
/* What this kernel hides from the agent, one line ("" and 0 when nothing): see agent__gaps(). */
size_t session_gaps(const struct session *s, char *buf, size_t len);
/* The ring buffer's epoll fd, to wait on it together with other fds. */
int session_poll_fd(const struct session *s);
/* Command name of a process the agent saw, even after it exited ("" when unknown). */
void session_comm(struct session *s, uint32_t tgid, char comm[16]);

#endif /* __TT_SESSION_H */
