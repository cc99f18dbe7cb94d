// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "enrich.h"
#include "incident.h"

struct engine *engine_new(const struct engine_ops *ops)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ops = *ops;
	e->n_rules = rule_count < ENGINE_MAX_RULES ? rule_count : ENGINE_MAX_RULES;
	return e;
}

void engine_free(struct engine *e)
{
	free(e);
}

/* A finding about held resources names the holders as they were when it began firing. */
static void rule_enrich(struct engine *e, struct rule_state *rs, struct finding *f)
{
	if (!enrich_wants_snapshot(f->cause))
		return;
	if (!rs->active) {
		memset(&rs->held, 0, sizeof(rs->held));
		rs->held.cause = f->cause;
		if (e->ops.holders)
			e->ops.holders(e->ops.ctx, &rs->held);
	}
	finding_merge(f, &rs->held);
}

static void notify(struct engine *e, const struct finding *f, bool firing)
{
	if (e->ops.changed)
		e->ops.changed(e->ops.ctx, f, firing);
}

static void rule_update(struct engine *e, struct rule_state *rs, struct finding *f)
{
	if (f)
		rule_enrich(e, rs, f);
	if (f && !rs->active) {
		rs->episodes++;
		notify(e, f, true);
	} else if (!f && rs->active) {
		notify(e, &rs->finding, false);
	}
	rs->active = f != NULL;
	if (f) {
		rs->ever = true;
		rs->finding = *f;
	}
}

void engine_evaluate(struct engine *e, const struct diag_input *in)
{
	bool fired[ENGINE_MAX_RULES];

	for (size_t i = 0; i < e->n_rules; i++) {
		struct rule_state *rs = &e->rules[i];
		struct finding *f = &e->found[i];

		memset(f, 0, sizeof(*f));
		f->cause = rule_table[i].cause;
		fired[i] = rule_table[i].eval(in, f);
		if (fired[i])
			incident_set_id(f, rs->episodes + !rs->active);
	}
	incidents_link(in, e->found, fired, e->n_rules);
	for (size_t i = 0; i < e->n_rules; i++)
		rule_update(e, &e->rules[i], fired[i] ? &e->found[i] : NULL);
}

/* Is the root f names among the findings (so f is listed under it)? */
static bool caused_by_listed(const struct engine *e, const struct finding *f)
{
	for (size_t i = 0; i < e->n_rules; i++)
		if (e->rules[i].ever && !strcmp(e->rules[i].finding.id, f->caused_by) &&
		    !e->rules[i].finding.caused_by[0])
			return true;
	return false;
}

static void each_symptom_of(const struct engine *e, const struct finding *root, finding_fn fn,
			    void *ctx)
{
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct finding *f = &e->rules[i].finding;

		if (e->rules[i].ever && f->caused_by[0] && !strcmp(f->caused_by, root->id))
			fn(ctx, f, e->rules[i].active);
	}
}

void engine_each_finding(const struct engine *e, finding_fn fn, void *ctx)
{
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct finding *f = &e->rules[i].finding;

		if (!e->rules[i].ever || (f->caused_by[0] && caused_by_listed(e, f)))
			continue;
		fn(ctx, f, e->rules[i].active);
		each_symptom_of(e, f, fn, ctx);
	}
}
