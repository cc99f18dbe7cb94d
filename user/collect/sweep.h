/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The periodic sweep (iter/task_file sweep_aged, one walk of every open
 * file, bpf/state.bpf.c): the TCP sockets held open in CLOSE_WAIT or
 * FIN_WAIT2, and the listeners, each with what it carries from the sweeps
 * before: when it was first seen (the kernel keeps no time of entry into a
 * state) and a listener's drops and SYN queue over the window.
 */
#ifndef __TT_SWEEP_H
#define __TT_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct tcptriage_bpf;
struct bpf_link;

struct swept_sock {
	__u64 skaddr, ino;
	__u32 state, netns, tgid;
	/* first sweep that saw it there: its age is a lower bound, short by a tick at most */
	__u64 first_ns;
	/*
	 * A listener's sk_drops and SYN queue now; the drops at two marks a
	 * window apart (the newer taken when the older is a window old) and the
	 * longest SYN queue since each: drops - older_drops and syn_peak_older
	 * cover one to two windows, and nothing from before the first sweep.
	 */
	__u32 drops, mark_drops, older_drops;
	__u32 syn_queued, syn_peak_mark, syn_peak_older;
	__u32 backlog; /* a listener's accept backlog at this sweep */
	__u64 mark_ns;
};

struct sweep {
	struct bpf_link *link;    /* attached at the first sweep */
	struct swept_sock *socks; /* the last sweep's, one per socket (lowest tgid holding it) */
	size_t n;
	bool swept;               /* a sweep was read: a socket not in socks is new since */
};

/*
 * Sweep now (now_ns: CLOCK_MONOTONIC); socks holds the result, a listener's
 * drops and SYN queue over window_s (0: the whole run).  0 or -errno (socks kept).
 */
int sweep_run(struct sweep *s, struct tcptriage_bpf *skel, __u64 now_ns, double window_s);
void sweep_free(struct sweep *s);
/* A listener's drops over the window (sk_drops: SYNs and handshakes it dropped). */
static inline __u32 swept_drops(const struct swept_sock *l)
{
	return l->drops - l->older_drops; /* u32: wraps right */
}

#endif /* __TT_SWEEP_H */
