// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "finding.h"

const char *severity_name(enum severity s)
{
	static const char *const names[] = { "info", "warning", "critical" };

	return s <= SEV_CRITICAL ? names[s] : "info";
}

/* The next evidence slot, cleared and named, or NULL when the finding is full. */
static struct evidence *evidence_add(struct finding *f, const char *name, enum evidence_kind kind)
{
	struct evidence *e;

	if (f->n_evidence >= FINDING_MAX_EVIDENCE)
		return NULL;
	e = &f->evidence[f->n_evidence++];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->kind = kind;
	return e;
}

/* "1 2 3": how a sysctl of several numbers reads. */
static void ints_text(const struct evidence *e, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; i < e->n_values && at < len; i++)
		at += snprintf(buf + at, len - at, "%s%lld", i ? " " : "", (long long)e->values[i]);
}

const char *evidence_value(const struct evidence *e, char *buf, size_t len)
{
	if (e->kind == EV_TEXT)
		snprintf(buf, len, "%s", e->text);
	else if (e->kind == EV_INTS)
		ints_text(e, buf, len);
	else if (e->kind == EV_REAL)
		snprintf(buf, len, "%.4g", e->real);
	else
		snprintf(buf, len, "%lld", (long long)e->value);
	return buf;
}

void finding_num(struct finding *f, const char *name, int64_t value)
{
	struct evidence *e = evidence_add(f, name, EV_INT);

	if (e)
		e->value = value;
}

void finding_real(struct finding *f, const char *name, double value)
{
	struct evidence *e = evidence_add(f, name, EV_REAL);

	if (e)
		e->real = value;
}

void finding_nums(struct finding *f, const char *name, const long *values, int n)
{
	struct evidence *e = evidence_add(f, name, EV_INTS);

	if (!e)
		return;
	e->n_values = n < EVIDENCE_MAX_INTS ? n : EVIDENCE_MAX_INTS;
	for (int i = 0; i < e->n_values; i++)
		e->values[i] = values[i];
}

void finding_text(struct finding *f, const char *name, const char *fmt, ...)
{
	struct evidence *e = evidence_add(f, name, EV_TEXT);
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

void finding_unseen(struct finding *f, const char *what)
{
	for (int i = 0; i < f->n_evidence; i++) {
		struct evidence *e = &f->evidence[i];
		size_t used = strlen(e->text);

		if (strcmp(e->name, "not_visible"))
			continue;
		if (!strstr(e->text, what))
			snprintf(e->text + used, sizeof(e->text) - used, ", %s", what);
		return;
	}
	finding_text(f, "not_visible", "%s", what);
}

struct culprit *finding_culprit(struct finding *f)
{
	struct culprit *c;

	if (f->n_culprits >= FINDING_MAX_CULPRITS)
		return NULL;
	c = &f->culprits[f->n_culprits++];
	memset(c, 0, sizeof(*c));
	return c;
}

struct advice *finding_advice(struct finding *f, const char *action, const char *sysctl,
			      const char *why)
{
	struct advice *a;

	if (f->n_advice >= FINDING_MAX_ADVICE)
		return NULL;
	a = &f->advice[f->n_advice++];
	memset(a, 0, sizeof(*a));
	a->action = action;
	a->sysctl = sysctl;
	a->why = why;
	return a;
}

void finding_merge(struct finding *f, const struct finding *extra)
{
	struct culprit own[FINDING_MAX_CULPRITS];
	int n_own = f->n_culprits, keep;

	for (int i = 0; i < extra->n_evidence && f->n_evidence < FINDING_MAX_EVIDENCE; i++)
		f->evidence[f->n_evidence++] = extra->evidence[i];
	memcpy(own, f->culprits, sizeof(own));
	f->n_culprits = extra->n_culprits;
	memcpy(f->culprits, extra->culprits, extra->n_culprits * sizeof(f->culprits[0]));
	keep = FINDING_MAX_CULPRITS - f->n_culprits;
	if (n_own > keep)
		n_own = keep;
	memcpy(&f->culprits[f->n_culprits], own, n_own * sizeof(own[0]));
	f->n_culprits += n_own;
}

uint32_t finding_netns(const struct finding *f)
{
	int64_t ns;

	return finding_get_num(f, "netns", &ns) ? (uint32_t)ns : 0;
}

bool finding_get_num(const struct finding *f, const char *name, int64_t *value)
{
	for (int i = 0; i < f->n_evidence; i++)
		if (f->evidence[i].kind == EV_INT && !strcmp(f->evidence[i].name, name)) {
			*value = f->evidence[i].value;
			return true;
		}
	return false;
}
