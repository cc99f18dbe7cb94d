// SPDX-License-Identifier: GPL-2.0
// The engine's finding states on hand-made evidence: no BPF, no root.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "incident.h"
#include "test.h"

struct changes {
	int fired, cleared, holders;
	int pending; /* answer PENDING this many more times before READY */
	int holder_pid_at_fire; /* the first culprit's pid in the firing line */
	char last_id[FINDING_ID_LEN];
};

static void on_change(void *ctx, const struct finding *f, bool firing)
{
	struct changes *c = ctx;

	if (firing) {
		c->fired++;
		c->holder_pid_at_fire = f->n_culprits ? f->culprits[0].pid : 0;
	} else {
		c->cleared++;
	}
	snprintf(c->last_id, sizeof(c->last_id), "%s", f->id);
}

/* A snapshot that names one holder, pid 4242. */
static enum holders_state fake_holders(void *ctx, struct finding *held)
{
	struct changes *c = ctx;
	struct culprit *cu;

	c->holders++;
	if (c->pending > 0) {
		c->pending--;
		return HOLDERS_PENDING;
	}
	cu = finding_culprit(held);
	if (cu)
		cu->pid = 4242;
	return HOLDERS_READY;
}

struct scene {
	struct count_table empty;
	struct ns_table no_ns;
	struct kernel_names names;
	struct diag_input in;
};

/* Evidence on which no rule fires. */
static void quiet(struct scene *s)
{
	memset(s, 0, sizeof(*s));
	s->in.window = &s->empty;
	s->in.window_s = 5;
	s->in.names = &s->names;
	s->in.ns = &s->no_ns;
	s->in.mem.pressure_since_s = s->in.mem.max_since_s = -1;
}

static size_t count_active(const struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_rules; i++)
		n += e->rules[i].active;
	return n;
}

TEST(engine_reports_a_finding_once_when_it_fires_and_once_when_it_clears)
{
	struct changes c = { 0 };
	struct engine_ops ops = { on_change, fake_holders, &c };
	struct engine *e = engine_new(&ops);
	struct scene s;

	if (!ASSERT_TRUE(e))
		return;
	quiet(&s);
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.fired + c.cleared, 0);
	s.in.orphans = s.in.max_orphans = 4096; /* orphan_sockets from the counters */
	engine_evaluate(e, &s.in);
	engine_evaluate(e, &s.in); /* still firing: nothing new to say */
	ASSERT_EQ_INT(c.fired, 1);
	ASSERT_EQ_STR(c.last_id, "orphan_sockets-1");
	ASSERT_EQ_INT(c.holders, 1); /* a snapshot once per episode, not per tick */
	ASSERT_EQ_INT(count_active(e), 1);
	s.in.orphans = 0;
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.cleared, 1);
	ASSERT_EQ_INT(count_active(e), 0);
	s.in.orphans = 4096; /* a second episode has its own id and its own snapshot */
	engine_evaluate(e, &s.in);
	ASSERT_EQ_STR(c.last_id, "orphan_sockets-2");
	ASSERT_EQ_INT(c.holders, 2);
	engine_free(e);
}

TEST(engine_merges_the_snapshot_holders_into_the_finding)
{
	struct changes c = { 0 };
	struct engine_ops ops = { on_change, fake_holders, &c };
	struct engine *e = engine_new(&ops);
	struct scene s;
	bool found = false;

	if (!ASSERT_TRUE(e))
		return;
	quiet(&s);
	s.in.orphans = s.in.max_orphans = 4096;
	engine_evaluate(e, &s.in);
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct finding *f = &e->rules[i].finding;

		if (e->rules[i].active && f->n_culprits && f->culprits[0].pid == 4242)
			found = true;
	}
	ASSERT_TRUE(found);
	engine_free(e);
}

/* An engine whose holders come from fake_holders (answers in c), on evidence firing orphan_sockets. */
static struct engine *orphans_firing(struct changes *c, struct scene *s)
{
	struct engine_ops ops = { on_change, fake_holders, c };

	quiet(s);
	s->in.orphans = s->in.max_orphans = 4096;
	return engine_new(&ops);
}

TEST(engine_announces_a_finding_once_its_holders_are_in)
{
	struct changes c = { .pending = 2 };
	struct scene s;
	struct engine *e = orphans_firing(&c, &s);

	if (!ASSERT_TRUE(e))
		return;
	engine_evaluate(e, &s.in);
	s.in.now_s = 1;
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.fired, 0); /* the snapshot is still being taken */
	s.in.now_s = 2;
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.fired, 1);
	ASSERT_EQ_INT(c.holder_pid_at_fire, 4242); /* announced with its holders */
	ASSERT_EQ_STR(c.last_id, "orphan_sockets-1");
	ASSERT_EQ_INT(c.holders, 3);
	engine_free(e);
}

TEST(engine_announces_without_holders_after_a_wait_and_merges_them_later)
{
	struct changes c = { .pending = 100 };
	struct scene s;
	struct engine *e = orphans_firing(&c, &s);

	if (!ASSERT_TRUE(e))
		return;
	for (int t = 0; t < HOLDERS_WAIT_S; t++) {
		s.in.now_s = t;
		engine_evaluate(e, &s.in);
	}
	ASSERT_EQ_INT(c.fired, 0);
	s.in.now_s = HOLDERS_WAIT_S;
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.fired, 1); /* waited long enough: said without them */
	ASSERT_TRUE(c.holder_pid_at_fire != 4242);
	c.pending = 0;
	s.in.now_s++;
	engine_evaluate(e, &s.in);
	s.in.orphans = 0;
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.cleared, 1);
	for (size_t i = 0; i < e->n_rules; i++)
		if (e->rules[i].ever) /* the report has them */
			ASSERT_EQ_INT(e->rules[i].finding.culprits[0].pid, 4242);
	engine_free(e);
}

TEST(engine_says_a_finding_that_cleared_while_its_holders_were_taken)
{
	struct changes c = { .pending = 100 };
	struct scene s;
	struct engine *e = orphans_firing(&c, &s);

	if (!ASSERT_TRUE(e))
		return;
	engine_evaluate(e, &s.in);
	s.in.orphans = 0;
	engine_evaluate(e, &s.in);
	ASSERT_EQ_INT(c.fired, 1);
	ASSERT_EQ_INT(c.cleared, 1);
	engine_free(e);
}

struct listing {
	const char *ids[8];
	size_t n;
};

static void list_finding(void *ctx, const struct finding *f, bool active)
{
	struct listing *l = ctx;

	(void)active;
	if (l->n < 8)
		l->ids[l->n++] = f->id;
}

/* Plant a finding that fired in rule slot i (the engine's own record of it). */
static void plant(struct engine *e, size_t i, const char *id, const char *caused_by)
{
	struct rule_state *rs = &e->rules[i];

	rs->ever = rs->active = true;
	snprintf(rs->finding.id, sizeof(rs->finding.id), "%s", id);
	snprintf(rs->finding.caused_by, sizeof(rs->finding.caused_by), "%s", caused_by);
}

TEST(engine_lists_each_root_before_the_symptoms_it_caused)
{
	struct engine_ops ops = { 0 };
	struct engine *e = engine_new(&ops);
	struct listing l = { .n = 0 };

	if (!ASSERT_TRUE(e) || !ASSERT_TRUE(e->n_rules >= 4))
		goto out;
	plant(e, 0, "retransmit_storm-1", "tcp_mem_exhausted-1"); /* a symptom first in the table */
	plant(e, 1, "close_wait_leak-1", "");                     /* unrelated */
	plant(e, 3, "tcp_mem_exhausted-1", "");                   /* its root, later */
	plant(e, 2, "reset_storm-1", "gone-1");                   /* a root that never fired */
	engine_each_finding(e, list_finding, &l);
	if (!ASSERT_EQ_INT(l.n, 4))
		goto out;
	ASSERT_EQ_STR(l.ids[0], "close_wait_leak-1");
	ASSERT_EQ_STR(l.ids[1], "reset_storm-1"); /* shown on its own, not lost */
	ASSERT_EQ_STR(l.ids[2], "tcp_mem_exhausted-1");
	ASSERT_EQ_STR(l.ids[3], "retransmit_storm-1");
out:
	engine_free(e);
}

TEST(incident_root_keeps_the_links_of_its_whole_episode)
{
	struct finding earlier = { .n_consequences = 1, .n_victims = 1 }, now = { 0 };

	snprintf(earlier.consequences[0], FINDING_ID_LEN, "retransmit_storm-1");
	earlier.victims[0].pid = 77;
	snprintf(now.consequences[0], FINDING_ID_LEN, "syn_retransmits-1");
	now.n_consequences = 1;
	incident_keep_links(&now, &earlier); /* the storm stopped first: still the root's */
	ASSERT_EQ_INT(now.n_consequences, 2);
	ASSERT_EQ_STR(now.consequences[1], "retransmit_storm-1");
	ASSERT_EQ_INT(now.n_victims, 1);
	ASSERT_EQ_INT(now.victims[0].pid, 77);
	incident_keep_links(&now, &earlier); /* kept once */
	ASSERT_EQ_INT(now.n_consequences, 2);
	ASSERT_EQ_INT(now.n_victims, 1);
}
