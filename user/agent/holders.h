/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The holders of a finding's resource, from a socket snapshot of every
 * namespace taken on a thread of its own: on a host with a thousand
 * namespaces a snapshot takes seconds (an iter/tcp walks the host's socket
 * hash once per namespace), and the tick goes on meanwhile (ring buffer,
 * other findings, metrics).  One snapshot serves every finding asking.
 */
#ifndef __TT_HOLDERS_H
#define __TT_HOLDERS_H

#include "engine.h"

/* A snapshot's holders are handed out for this long after it was taken, then taken anew. */
#define HOLDERS_FRESH_S 30
/*
 * Up to this many namespaces a snapshot is taken at once on the main thread
 * (milliseconds: an iter/tcp walks the host's socket hash once per
 * namespace); past it, on a thread, and the finding waits for it.
 */
#define HOLDERS_INLINE_MAX_NS 32

struct tcptriage_bpf;
struct holders;

struct holders *holders_new(struct tcptriage_bpf *skel);
/*
 * held->cause's holders at now (seconds): READY (held filled), PENDING or
 * NONE.  inline_ok: a snapshot is cheap here, take it at once on this thread.
 */
enum holders_state holders_poll(struct holders *h, struct finding *held, double now, bool inline_ok);
/* Wait for the snapshot being taken, if any, done at now (a run's end: its report names them). */
void holders_wait(struct holders *h, double now);
/* Waits too. */
void holders_free(struct holders *h);

#endif /* __TT_HOLDERS_H */
