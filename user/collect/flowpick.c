// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include "flowpick.h"

static bool less_troubled(const struct flow_seen *a, const struct flow_seen *b)
{
	return a->segs != b->segs ? a->segs < b->segs : a->resets < b->resets;
}

static void swap(struct flow_seen *a, struct flow_seen *b)
{
	struct flow_seen t = *a;

	*a = *b;
	*b = t;
}

/* The heap's order restored below i, after top[i] was replaced. */
static void sift_down(struct flow_seen *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, least = i;

		if (l < n && less_troubled(&h[l], &h[least]))
			least = l;
		if (r < n && less_troubled(&h[r], &h[least]))
			least = r;
		if (least == i)
			return;
		swap(&h[i], &h[least]);
		i = least;
	}
}

static void sift_up(struct flow_seen *h, size_t i)
{
	while (i && less_troubled(&h[i], &h[(i - 1) / 2])) {
		swap(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void keep_resets(struct flow_pick *p, const struct flow_seen *f)
{
	if (!f->resets || p->err)
		return;
	if (p->n_resets == p->cap_resets) {
		size_t cap = p->cap_resets ? 2 * p->cap_resets : 64;
		struct flow_seen *n = realloc(p->resets, cap * sizeof(*n));

		if (!n) { /* a part would undercount: none */
			free(p->resets);
			p->resets = NULL;
			p->n_resets = p->cap_resets = 0;
			p->err = -ENOMEM;
			return;
		}
		p->resets = n;
		p->cap_resets = cap;
	}
	p->resets[p->n_resets++] = *f;
}

void flow_pick_add(struct flow_pick *p, const struct flow_seen *f)
{
	keep_resets(p, f);
	if (p->n_top < MAX_FLOWS) {
		p->top[p->n_top] = *f;
		sift_up(p->top, p->n_top++);
	} else if (less_troubled(&p->top[0], f)) {
		p->top[0] = *f;
		sift_down(p->top, p->n_top, 0);
	}
}

static int flow_cmp_desc(const void *a, const void *b)
{
	return less_troubled(a, b) - less_troubled(b, a);
}

void flow_pick_done(struct flow_pick *p)
{
	qsort(p->top, p->n_top, sizeof(p->top[0]), flow_cmp_desc);
}

void flow_pick_free(struct flow_pick *p)
{
	free(p->resets);
	p->resets = NULL;
	p->n_resets = p->cap_resets = 0;
}
