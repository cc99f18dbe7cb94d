/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TT_RESETFLUSH_H
#define TT_RESETFLUSH_H

struct tcptriage_bpf;

/*
 * Send the resets the CPUs hold in their caches (bpf/resets.bpf.c
 * flow_note_reset) on to flows.  0 or -errno.
 */
int reset_caches_flush(struct tcptriage_bpf *skel);

#endif
