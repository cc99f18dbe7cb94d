// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include "cli.h"
#include "loop.h"
#include "session.h"

#define MAX_WAIT_S 1.0 /* wake at least this often: a client's timeout, a signal's flag */

static bool expired(const struct loop *l)
{
	return l->duration_s > 0 && session_elapsed(l->s) >= l->duration_s;
}

/* Milliseconds until the next tick or the end, at most MAX_WAIT_S; rounded up. */
static int wait_ms(const struct loop *l, double next_tick)
{
	double now = session_elapsed(l->s), left = next_tick - now;

	if (l->duration_s > 0 && l->duration_s - now < left)
		left = l->duration_s - now;
	if (left > MAX_WAIT_S)
		left = MAX_WAIT_S;
	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

/* Sleep until something is ready; call the fds' callbacks.  0 or a stop code. */
static int wait_and_serve(const struct loop *l, double next_tick)
{
	struct pollfd pfd[LOOP_MAX_FDS + 1] = { { .fd = session_poll_fd(l->s), .events = POLLIN } };
	int ret = 0, err;

	for (size_t i = 0; i < l->n_fds; i++)
		pfd[i + 1] = (struct pollfd){ .fd = l->fds[i].fd, .events = POLLIN };
	if (poll(pfd, l->n_fds + 1, wait_ms(l, next_tick)) < 0 && errno != EINTR)
		return cli_fail(EXIT_ENV, "poll: %s", strerror(errno));
	err = session_poll(l->s, 0);
	if (err < 0)
		return cli_fail(EXIT_ENV, "reading the ring buffer failed: %s", strerror(-err));
	for (size_t i = 0; i < l->n_fds && !ret; i++)
		if (pfd[i + 1].revents)
			ret = l->fds[i].ready(l->ctx, pfd[i + 1].revents);
	return ret;
}

/* One line per new kind of tick error, not one per tick; recovery resets it. */
static void report_tick(int err, int *last_err)
{
	if (err && err != *last_err)
		cli_warn("reading the kernel's state failed (%s): this interval's numbers may be "
			 "incomplete", strerror(-err));
	*last_err = err;
}

/* The reader went away (`run | head`): a clean end; any other write error is one line. */
static int output_status(const struct loop *l)
{
	int err = session_output_error(l->s);

	if (!err || err == -EPIPE)
		return err ? LOOP_STOP : 0;
	return cli_fail(EXIT_ENV, "cannot write the output: %s", strerror(-err));
}

static int tick(const struct loop *l, double *next_tick, int *last_err)
{
	double now = session_elapsed(l->s);

	if (now < *next_tick || expired(l))
		return 0;
	report_tick(session_tick(l->s), last_err);
	while (*next_tick <= session_elapsed(l->s))
		*next_tick += l->interval_s;
	return l->after_tick ? l->after_tick(l->ctx) : 0;
}

int loop_run(const struct loop *l)
{
	double next_tick = l->interval_s;
	int ret = 0, last_err = 0;

	while (!ret && !cli_stop && !expired(l)) {
		ret = wait_and_serve(l, next_tick);
		if (!ret)
			ret = tick(l, &next_tick, &last_err);
		if (!ret && l->after_wake)
			ret = l->after_wake(l->ctx);
		if (!ret)
			ret = output_status(l);
	}
	return ret == LOOP_STOP ? 0 : ret;
}

void loop_finish(struct session *s)
{
	int err = session_finish(s);

	if (err)
		cli_warn("the last reading failed (%s): the report may miss its last interval",
			 strerror(-err));
}
