// SPDX-License-Identifier: GPL-2.0
/* Findings as JSON Lines and as the text report: evidence, culprits, victims, incidents, advice. */
#include <string.h>
#include "container.h"
#include "json.h"
#include "output.h"
#include "output_int.h"

/* A culprit's cgroup path and what it says (container, unit, pod); false when unknown. */
static bool culprit_cgroup(struct out *o, uint64_t id, char *path, size_t len,
			   struct container_info *ci)
{
	if (!id || (!o->cg && !(o->cg = cgroup_cache_new(NULL))))
		return false;
	if (cgroup_cache_path(o->cg, id, path, len))
		return false;
	container_parse(path, ci);
	return true;
}

static void culprit_cgroup_json(struct out *o, uint64_t id)
{
	char path[CGROUP_PATH_MAX];
	struct container_info ci;

	if (!culprit_cgroup(o, id, path, sizeof(path), &ci))
		return;
	jw_kv_str(o->jw, "cgroup_path", path);
	if (ci.id[0])
		jw_kv_str(o->jw, "container", ci.id);
	if (ci.runtime[0])
		jw_kv_str(o->jw, "container_runtime", ci.runtime);
	if (ci.unit[0])
		jw_kv_str(o->jw, "unit", ci.unit);
	if (ci.pod[0])
		jw_kv_str(o->jw, "pod", ci.pod);
}

static void culprit_cgroup_text(struct out *o, uint64_t id)
{
	char path[CGROUP_PATH_MAX], what[CGROUP_PATH_MAX + 64], buf[4 * sizeof(what)];
	struct container_info ci;

	if (!culprit_cgroup(o, id, path, sizeof(path), &ci) || !strcmp(path, "/"))
		return;
	container_describe(&ci, path, what, sizeof(what));
	fprintf(o->f, " in %s", safe(buf, sizeof(buf), what, strlen(what)));
}

static const char *const state_names[] = { "firing", "cleared", "final" };

static void ints_json(struct out *o, const struct evidence *e)
{
	jw_key(o->jw, e->name);
	jw_arr_begin(o->jw);
	for (int i = 0; i < e->n_values; i++)
		jw_i64(o->jw, e->values[i]);
	jw_arr_end(o->jw);
}

static const char *culprit_unit(const struct culprit *c)
{
	return c->unit ? c->unit : "events";
}

/* Culprits (why) and victims (impact): processes with what they did or suffered. */
static void processes_json(struct out *o, const char *key, const struct culprit *list, int n,
			   const char *why_key)
{
	jw_key(o->jw, key);
	jw_arr_begin(o->jw);
	for (int i = 0; i < n; i++) {
		const struct culprit *c = &list[i];

		jw_obj_begin(o->jw);
		jw_kv_u64(o->jw, "pid", c->pid);
		jw_key(o->jw, "comm");
		jw_strn(o->jw, c->comm, strnlen(c->comm, sizeof(c->comm)));
		jw_kv_u64(o->jw, "cgroup", c->cgroup);
		culprit_cgroup_json(o, c->cgroup);
		jw_kv_u64(o->jw, "netns", c->netns);
		if (c->laddr[0])
			jw_kv_str(o->jw, "laddr", c->laddr);
		if (c->raddr[0])
			jw_kv_str(o->jw, "raddr", c->raddr);
		jw_kv_u64(o->jw, "count", c->count);
		jw_kv_str(o->jw, "count_of", culprit_unit(c));
		if (strcmp(culprit_unit(c), "bytes"))
			jw_kv_u64(o->jw, culprit_unit(c), c->count); /* e.g. "sockets": 12 */
		jw_kv_u64(o->jw, "bytes", c->bytes);
		jw_kv_str(o->jw, why_key, c->why);
		jw_obj_end(o->jw);
	}
	jw_arr_end(o->jw);
}

/* A symptom names its root (caused_by, because); a root its consequences and victims. */
static void incident_json(struct out *o, const struct finding *f)
{
	if (f->caused_by[0]) {
		jw_kv_str(o->jw, "caused_by", f->caused_by);
		jw_kv_str(o->jw, "because", f->because);
		return;
	}
	jw_key(o->jw, "consequences");
	jw_arr_begin(o->jw);
	for (int i = 0; i < f->n_consequences; i++)
		jw_str(o->jw, f->consequences[i]);
	jw_arr_end(o->jw);
	processes_json(o, "victims", f->victims, f->n_victims, "impact");
}

static void finding_json(struct out *o, const struct finding *f, enum finding_state state)
{
	line_begin(o, "finding");
	jw_kv_str(o->jw, "id", f->id);
	jw_kv_str(o->jw, "cause", f->cause);
	jw_kv_str(o->jw, "severity", severity_name(f->severity));
	jw_kv_str(o->jw, "state", state_names[state]);
	jw_kv_bool(o->jw, "final", state == FINDING_FINAL);
	jw_kv_str(o->jw, "summary", f->summary);
	jw_key(o->jw, "evidence");
	jw_obj_begin(o->jw);
	for (int i = 0; i < f->n_evidence; i++) {
		const struct evidence *e = &f->evidence[i];

		if (e->kind == EV_TEXT)
			jw_kv_str(o->jw, e->name, e->text);
		else if (e->kind == EV_INTS)
			ints_json(o, e);
		else if (e->kind == EV_REAL)
			jw_kv_double(o->jw, e->name, e->real);
		else
			jw_kv_i64(o->jw, e->name, e->value);
	}
	jw_obj_end(o->jw);
	processes_json(o, "culprits", f->culprits, f->n_culprits, "why");
	incident_json(o, f);
	jw_key(o->jw, "advice");
	jw_arr_begin(o->jw);
	for (int i = 0; i < f->n_advice; i++) {
		const struct advice *a = &f->advice[i];

		jw_obj_begin(o->jw);
		jw_kv_str(o->jw, "action", a->action);
		if (a->sysctl)
			jw_kv_str(o->jw, "sysctl", a->sysctl);
		if (a->current[0])
			jw_kv_str(o->jw, "current", a->current);
		if (a->suggested[0])
			jw_kv_str(o->jw, "suggested", a->suggested);
		jw_kv_str(o->jw, "why", a->why);
		jw_obj_end(o->jw);
	}
	jw_arr_end(o->jw);
	line_end(o);
}

/* "  culprit: pid 1 (comm) netns N in <container> laddr -> raddr: count, why" */
static void process_text(struct out *o, const char *role, const struct culprit *c)
{
	char buf[4 * sizeof(c->comm) + 1]; /* every byte may become \xNN */

	fprintf(o->f, "  %s: pid %u (%s) netns %u", role, c->pid,
		c->pid ? safe(buf, sizeof(buf), c->comm, strnlen(c->comm, 16)) : "unknown owner",
		c->netns);
	culprit_cgroup_text(o, c->cgroup);
	if (c->laddr[0])
		fprintf(o->f, " %s", c->laddr);
	if (c->raddr[0])
		fprintf(o->f, " -> %s", c->raddr);
	fprintf(o->f, ": %llu %s, %s\n", (unsigned long long)c->count, culprit_unit(c), c->why);
}

static void finding_text_out(struct out *o, const struct finding *f, enum finding_state state)
{
	static const char *const prefix[] = { "FINDING ", "CLEARED ", "" };
	char buf[512];

	fprintf(o->f, "%s%s%s [%s]: %s\n", f->caused_by[0] && state == FINDING_FINAL ? "  -> " : "",
		prefix[state], f->cause, severity_name(f->severity), f->summary);
	if (f->caused_by[0])
		fprintf(o->f, "  caused by %s: %s\n", f->caused_by, f->because);
	if (state != FINDING_FINAL) {
		fflush(o->f);
		return;
	}
	fprintf(o->f, "  evidence:");
	for (int i = 0; i < f->n_evidence; i++) {
		const struct evidence *e = &f->evidence[i];
		const char *quote = e->kind == EV_TEXT ? "\"" : "";
		char value[sizeof(e->text)];

		evidence_value(e, value, sizeof(value));
		fprintf(o->f, " %s=%s%s%s", e->name, quote,
			safe(buf, sizeof(buf), value, strlen(value)), quote);
	}
	fprintf(o->f, "\n");
	for (int i = 0; i < f->n_culprits; i++)
		process_text(o, "culprit", &f->culprits[i]);
	for (int i = 0; i < f->n_victims; i++)
		process_text(o, "victim", &f->victims[i]);
	for (int i = 0; i < f->n_consequences; i++)
		fprintf(o->f, "%s%s", i ? ", " : "  which caused: ", f->consequences[i]);
	if (f->n_consequences)
		fprintf(o->f, "\n");
	for (int i = 0; i < f->n_advice; i++) {
		const struct advice *a = &f->advice[i];

		fprintf(o->f, "  advice %d: %s", i + 1, a->action);
		if (a->current[0])
			fprintf(o->f, " [%s%snow %s%s%s]", a->sysctl ? a->sysctl : "", a->sysctl ? ": " : "",
				a->current, a->suggested[0] ? ", suggested " : "", a->suggested);
		fprintf(o->f, " (%s)\n", a->why);
	}
	fflush(o->f);
}

void out_finding(struct out *o, const struct finding *f, enum finding_state state)
{
	if (!o->f)
		return; /* quiet: the caller shows the state itself */
	if (o->jw)
		finding_json(o, f, state);
	else
		finding_text_out(o, f, state);
}

