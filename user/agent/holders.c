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
	atomic_bool done; /* it has finished */
	struct ask asks[ENGINE_MAX_RULES];
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

		if (a->state != ASK_TAKING)
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

/* The thread's work becomes the main thread's again. */
static void join(struct holders *h, double now)
{
	if (!h->running)
		return;
	pthread_join(h->thread, NULL);
	h->running = false;
	for (size_t i = 0; i < ENGINE_MAX_RULES; i++)
		if (h->asks[i].state == ASK_TAKING) {
			h->asks[i].state = ASK_READY;
			h->asks[i].done_at = now;
		}
}

/* Start a snapshot for every ask waiting; false when no thread could start (they are dropped). */
static bool start(struct holders *h)
{
	pthread_attr_t attr;
	bool any = false;

	for (size_t i = 0; i < ENGINE_MAX_RULES; i++)
		if (h->asks[i].state == ASK_ASKED) {
			h->asks[i].state = ASK_TAKING;
			any = true;
		}
	if (!any)
		return true;
	atomic_store(&h->done, false);
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

enum holders_state holders_poll(struct holders *h, struct finding *held, double now)
{
	struct ask *a = ask_of(h, held->cause);
	enum holders_state st = HOLDERS_PENDING;

	if (h->running && atomic_load(&h->done))
		join(h, now);
	if (!a)
		return HOLDERS_NONE;
	if (a->state == ASK_READY && now - a->done_at > HOLDERS_FRESH_S)
		a->state = ASK_NONE; /* from an earlier episode: take them anew */
	if (a->state == ASK_READY) {
		if (a->ok)
			*held = a->held;
		st = a->ok ? HOLDERS_READY : HOLDERS_NONE;
		a->state = ASK_NONE;
		return st;
	}
	if (a->state == ASK_NONE)
		*a = (struct ask){ .state = ASK_ASKED, .held = *held };
	if (!h->running && !start(h))
		return HOLDERS_NONE;
	return st;
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
