// SPDX-License-Identifier: GPL-2.0
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "enrich.h"
#include "holders.h"
#include "snapshot.h"

enum ask_state {
	ASK_NONE,   /* free slot */
	ASK_ASKED,  /* waits for the next snapshot */
	ASK_TAKING, /* the thread fills it: the main thread keeps off */
	ASK_READY,  /* filled (ok) or not, at done_at */
};

struct ask {
	enum ask_state state;
	bool ok;
	double done_at;
	struct finding held;
};

struct holders {
	struct tcptriage_bpf *skel;
	pthread_t thread;
	bool running;     /* a thread to join */
	bool inline_done; /* a snapshot taken on the main thread, its asks still TAKING */
	atomic_bool done; /* it has finished */
	struct ask asks[ENGINE_MAX_RULES];
	/* The asks the thread fills, set before it starts: it reads no state the main thread writes. */
	bool taking[ENGINE_MAX_RULES];
};

/* The snapshot thread's stack: its deepest user is a qsort. */
#define THREAD_STACK ((size_t)1 << 20)

struct holders *holders_new(struct tcptriage_bpf *skel)
{
	struct holders *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->skel = skel;
	/*
	 * One malloc arena for both threads: a second one (glibc's default for
	 * a new thread) keeps what a snapshot used, and an always-on agent's
	 * memory would grow by a step at every first snapshot of a new size.
	 */
	mallopt(M_ARENA_MAX, 1);
	return h;
}

/* The thread: one snapshot, every ask being taken filled from it. */
static void *take(void *arg)
{
	struct holders *h = arg;
	struct snapshot_opts all = { 0 }; /* no pause: the ring buffer is the main thread's */
	struct snapshot *snap;
	bool ok = !snapshot_take(h->skel, &all, &snap);

	for (size_t i = 0; i < ENGINE_MAX_RULES; i++) {
		struct ask *a = &h->asks[i];

		if (!h->taking[i])
			continue;
		a->ok = ok;
		if (ok)
			enrich_finding(&a->held, snap);
	}
	if (ok) {
		snapshot_free(snap);
		malloc_trim(0); /* tens of MiB on a big host: back to the system now */
	}
	atomic_store(&h->done, true);
	return NULL;
}

/* The thread's (or an inline snapshot's) work becomes the main thread's again. */
static void join(struct holders *h, double now)
{
	if (!h->running && !h->inline_done)
		return;
	if (h->running)
		pthread_join(h->thread, NULL);
	h->running = h->inline_done = false;
	for (size_t i = 0; i < ENGINE_MAX_RULES; i++)
		if (h->asks[i].state == ASK_TAKING) {
			h->asks[i].state = ASK_READY;
			h->asks[i].done_at = now;
		}
}

/*
 * Take a snapshot for every ask waiting: right here when inline (a small
 * host: no latency, the holders exactly as the finding began), else on the
 * thread.  false when no thread could start (the asks are dropped).
 */
static bool start(struct holders *h, bool inline_ok)
{
	pthread_attr_t attr;
	bool any = false;

	for (size_t i = 0; i < ENGINE_MAX_RULES; i++) {
		h->taking[i] = h->asks[i].state == ASK_ASKED;
		if (h->taking[i])
			h->asks[i].state = ASK_TAKING;
		any |= h->taking[i];
	}
	if (!any)
		return true;
	atomic_store(&h->done, false);
	if (inline_ok) {
		take(h);
		h->inline_done = true;
		return true;
	}
	h->running = !pthread_attr_init(&attr) && !pthread_attr_setstacksize(&attr, THREAD_STACK) &&
		     !pthread_create(&h->thread, &attr, take, h);
	pthread_attr_destroy(&attr);
	if (!h->running) /* as good as a snapshot that failed: no holders */
		for (size_t i = 0; i < ENGINE_MAX_RULES; i++)
			if (h->asks[i].state == ASK_TAKING)
				h->asks[i].state = ASK_NONE;
	return h->running;
}

static struct ask *ask_of(struct holders *h, const char *cause)
{
	struct ask *free_slot = NULL;

	for (size_t i = 0; i < ENGINE_MAX_RULES; i++) {
		struct ask *a = &h->asks[i];

		if (a->state != ASK_NONE && a->held.cause && !strcmp(a->held.cause, cause))
			return a;
		if (a->state == ASK_NONE && !free_slot)
			free_slot = a;
	}
	return free_slot;
}

/* The ask's holders, handed out once (READY or NONE), or PENDING. */
static enum holders_state hand_out(struct ask *a, struct finding *held)
{
	if (a->state != ASK_READY)
		return HOLDERS_PENDING;
	a->state = ASK_NONE;
	if (!a->ok)
		return HOLDERS_NONE;
	*held = a->held;
	return HOLDERS_READY;
}

enum holders_state holders_poll(struct holders *h, struct finding *held, double now, bool inline_ok)
{
	struct ask *a = ask_of(h, held->cause);

	if (h->running && atomic_load(&h->done))
		join(h, now);
	if (!a)
		return HOLDERS_NONE;
	if (a->state == ASK_READY && now - a->done_at > HOLDERS_FRESH_S)
		a->state = ASK_NONE; /* from an earlier episode: take them anew */
	if (a->state == ASK_NONE)
		*a = (struct ask){ .state = ASK_ASKED, .held = *held };
	if (!h->running && !start(h, inline_ok))
		return HOLDERS_NONE;
	if (!h->running)
		join(h, now); /* taken right here: its asks are ready */
	return hand_out(a, held);
}

void holders_wait(struct holders *h, double now)
{
	if (h)
		join(h, now);
}

void holders_free(struct holders *h)
{
	if (!h)
		return;
	join(h, 0);
	free(h);
}
