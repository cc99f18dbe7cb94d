/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Engine: each tick's evidence through every rule, the links between what
 * fired (incidents), and each finding's state: when it begins firing, when
 * it clears, what goes in the report.  No BPF and no I/O of its own: the
 * caller is told of changes and supplies the socket snapshot, so unit tests
 * drive it with hand-made evidence.
 */
#ifndef __TT_ENGINE_H
#define __TT_ENGINE_H

#include <stdbool.h>
#include "finding.h"
#include "rules.h"

#define ENGINE_MAX_RULES 32
/*
 * How long a finding that wants its holders waits for them before it is
 * announced without (they are merged in when they come).
 */
#define HOLDERS_WAIT_S 5

enum holders_state {
	HOLDERS_NONE,    /* no snapshot: the counters' culprits stay */
	HOLDERS_READY,   /* held is filled */
	HOLDERS_PENDING, /* being taken: ask again at the next evaluation */
};

struct engine_ops {
	/* A finding began firing (firing) or cleared (!firing). */
	void (*changed)(void *ctx, const struct finding *f, bool firing);
	/*
	 * Fill held (cause set) with who holds the resource, from a socket
	 * snapshot, for each episode of a rule that wants one: asked when it
	 * begins firing and at each evaluation after while PENDING.
	 */
	enum holders_state (*holders)(void *ctx, struct finding *held);
	void *ctx;
};

struct rule_state {
	bool active;            /* fired at the last evaluation, and was announced */
	bool asking;            /* its holders are being taken (announced or not yet) */
	double asked_at;        /* in->now_s when they were asked for */
	bool ever;              /* fired at least once: goes in the report */
	double last_fired_s;    /* in->now_s when it last fired */
	unsigned int episodes;  /* times it began firing: the id's number */
	struct finding finding; /* latest evidence */
	struct finding held;    /* what a socket snapshot showed when it last began firing */
};

struct engine {
	struct engine_ops ops;
	size_t n_rules;
	struct rule_state rules[ENGINE_MAX_RULES];
	struct finding found[ENGINE_MAX_RULES]; /* this evaluation's, before their states */
};

/* Large (findings hold evidence): allocate it.  NULL when out of memory. */
struct engine *engine_new(const struct engine_ops *ops);
void engine_free(struct engine *e);
/* Every rule on in, the incidents between what fired, then each finding's state. */
void engine_evaluate(struct engine *e, const struct diag_input *in);

/* Every finding that ever fired, by incident: each root cause, then the symptoms it caused. */
void engine_each_finding(const struct engine *e, finding_fn fn, void *ctx);

#endif /* __TT_ENGINE_H */
