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

/*
 * A finding about held resources names the holders as they were when it
 * began firing.  Taking them can take a while on a big host: the finding is
 * announced once they are in, or after HOLDERS_WAIT_S without them (they
 * are merged in when they come).  true: it may be announced.
 */
static bool rule_holders(struct engine *e, struct rule_state *rs, const struct finding *f,
			 double now)
{
	enum holders_state st = HOLDERS_NONE;

	if (!enrich_wants_snapshot(f->cause))
		return true;
	if (!rs->active && !rs->asking) { /* a new episode */
		memset(&rs->held, 0, sizeof(rs->held));
		rs->held.cause = f->cause;
		rs->held.holders_netns = finding_netns(f);
		rs->asking = true;
		rs->asked_at = now;
	}
	if (rs->asking && e->ops.holders)
		st = e->ops.holders(e->ops.ctx, &rs->held);
	if (st != HOLDERS_PENDING)
		rs->asking = false;
	return !rs->asking || now - rs->asked_at >= HOLDERS_WAIT_S;
}

static void notify(struct engine *e, const struct finding *f, bool firing)
{
	if (e->ops.changed)
		e->ops.changed(e->ops.ctx, f, firing);
}

static void rule_fired(struct engine *e, struct rule_state *rs, struct finding *f, double now)
{
	bool began = !rs->active && !rs->asking; /* the first evaluation of an episode */
	bool announce = rule_holders(e, rs, f, now);

	rs->ever = true;
	if (rs->active) { /* still firing: the latest evidence, the episode's links */
		finding_merge(f, &rs->held);
		incident_keep_links(f, &rs->finding);
		rs->finding = *f;
		return;
	}
	if (began) /* announced as it was when it began, once its holders are in */
		rs->finding = *f;
	else
		incident_keep_links(&rs->finding, f);
	if (!announce)
		return;
	finding_merge(&rs->finding, &rs->held);
	rs->episodes++;
	notify(e, &rs->finding, true);
	rs->active = true;
}

static void rule_quiet(struct engine *e, struct rule_state *rs)
{
	if (!rs->active && rs->asking) { /* fired while its holders were taken: said now */
		rs->episodes++;
		notify(e, &rs->finding, true);
		rs->active = true;
	}
	if (rs->active)
		notify(e, &rs->finding, false);
	rs->active = rs->asking = false;
}

/*
 * A finding that fired within the window and is quiet now still takes part
 * in linking (its last evidence): a symptom that stopped just before its
 * root's evidence came in (orphans killed within one tick) is still its
 * consequence.  The links made are kept in its record, for the report.
 */
static bool rule_recent(const struct rule_state *rs, const struct diag_input *in)
{
	return rs->ever && !rs->active && in->now_s - rs->last_fired_s <= in->window_s;
}

void engine_evaluate(struct engine *e, const struct diag_input *in)
{
	bool fired[ENGINE_MAX_RULES] = { false }, linkable[ENGINE_MAX_RULES] = { false };
	bool recent[ENGINE_MAX_RULES] = { false };

	for (size_t i = 0; i < e->n_rules; i++) {
		struct rule_state *rs = &e->rules[i];
		struct finding *f = &e->found[i];

		memset(f, 0, sizeof(*f));
		f->cause = rule_table[i].cause;
		fired[i] = rule_table[i].eval(in, f);
		if (fired[i])
			incident_set_id(f, rs->episodes + !rs->active);
		recent[i] = !fired[i] && rule_recent(rs, in);
		if (recent[i])
			*f = rs->finding;
		linkable[i] = fired[i] || recent[i];
	}
	incidents_link(in, e->found, linkable, e->n_rules);
	for (size_t i = 0; i < e->n_rules; i++) {
		if (recent[i])
			e->rules[i].finding = e->found[i];
		if (fired[i]) {
			e->rules[i].last_fired_s = in->now_s;
			rule_fired(e, &e->rules[i], &e->found[i], in->now_s);
		} else {
			rule_quiet(e, &e->rules[i]);
		}
	}
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
