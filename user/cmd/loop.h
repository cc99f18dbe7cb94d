/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one event loop of diagnose, run and top: wait on the ring buffer and
 * the command's own fds, tick the session every interval, stop on a signal,
 * at the end of the duration, or when a callback says so.  After a stall
 * (a suspended process, a slow snapshot) the next tick is the next one due:
 * no burst of ticks to catch up.
 */
#ifndef __TT_LOOP_H
#define __TT_LOOP_H

#include <stddef.h>

#define LOOP_MAX_FDS 4
#define LOOP_STOP (-1) /* a callback's "stop now, nothing went wrong" */

struct session;

struct loop_fd {
	int fd;
	/* fd is readable or hung up: 0 goes on, else the loop stops (see loop_run). */
	int (*ready)(void *ctx, short revents);
};

struct loop {
	struct session *s;
	double interval_s;
	double duration_s; /* 0: until stopped */
	struct loop_fd fds[LOOP_MAX_FDS];
	size_t n_fds;
	/* Optional, after each tick / after every wake-up: return as ready does. */
	int (*after_tick)(void *ctx);
	int (*after_wake)(void *ctx);
	void *ctx;
};

/*
 * Run until stopped: 0 (a signal, the duration, LOOP_STOP, the output's
 * reader went away) or an exit code after one line on stderr (the ring
 * buffer or poll failed, an output write failed, a callback's code).
 */
int loop_run(const struct loop *l);
/* session_finish(), and one warning if its last reading failed. */
void loop_finish(struct session *s);

#endif /* __TT_LOOP_H */
