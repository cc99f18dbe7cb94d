// SPDX-License-Identifier: GPL-2.0
/* The limit advice of a diagnosis as an /etc/sysctl.d snippet and its rollback. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "finding.h"
#include "json.h"
#include "sysctl_plan.h"

#define HEADER                                                                          \
	"# tcptriage sysctl plan: the advice of one diagnosis that changes a limit.\n"   \
	"# Review it first: tcptriage never applies it. Apply: sysctl -p %s\n"           \
	"# Undo: sysctl -p %s.rollback (the values in force when this was written).\n"

int sysctl_plan_open(struct sysctl_plan *p, const char *path)
{
	char rollback[4096];

	memset(p, 0, sizeof(*p));
	p->path = path;
	snprintf(rollback, sizeof(rollback), "%s.rollback", path);
	p->plan = fopen(path, "w");
	if (!p->plan)
		return -errno;
	p->rollback = fopen(rollback, "w");
	if (!p->rollback) {
		int err = -errno;

		fclose(p->plan);
		p->plan = NULL;
		return err;
	}
	fprintf(p->plan, HEADER, path, path);
	fprintf(p->rollback, "# tcptriage: the values %s changes, as they were\n", path);
	return 0;
}

/* Comments carry the evidence; control bytes in it cannot start a new line. */
static void comment(FILE *out, const char *text)
{
	char safe[1024];

	text_sanitize(safe, sizeof(safe), text, strlen(text));
	fprintf(out, "# %s\n", safe);
}

static void evidence_comment(FILE *out, const struct finding *f)
{
	char line[900] = "evidence:";
	size_t used = strlen(line);

	for (int i = 0; i < f->n_evidence && used < sizeof(line); i++) {
		char value[sizeof(f->evidence[i].text)];

		used += snprintf(line + used, sizeof(line) - used, " %s=%s", f->evidence[i].name,
				 evidence_value(&f->evidence[i], value, sizeof(value)));
	}
	comment(out, line);
}

static void add_advice(struct sysctl_plan *p, const struct finding *f, const struct advice *a)
{
	char line[600];

	snprintf(line, sizeof(line), "%s (%s): %s -- %s", f->cause, f->id, a->action, a->why);
	fprintf(p->plan, "\n");
	comment(p->plan, line);
	evidence_comment(p->plan, f);
	snprintf(line, sizeof(line), "current: %s", a->current);
	comment(p->plan, line);
	fprintf(p->plan, "%s = %s\n", a->sysctl, a->suggested);
	fprintf(p->rollback, "%s = %s\n", a->sysctl, a->current);
	p->entries++;
}

void sysctl_plan_add(void *plan, const struct finding *f, bool active)
{
	struct sysctl_plan *p = plan;

	(void)active; /* the report's findings, cleared ones too: their evidence stands */
	for (int i = 0; i < f->n_advice; i++) {
		const struct advice *a = &f->advice[i];

		if (a->sysctl && a->current[0] && a->suggested[0])
			add_advice(p, f, a);
	}
}

int sysctl_plan_close(struct sysctl_plan *p)
{
	int err = 0;

	if (p->plan && !p->entries)
		fprintf(p->plan, "\n# No finding advised changing a limit.\n");
	if (p->plan && (ferror(p->plan) | fclose(p->plan)))
		err = -EIO;
	if (p->rollback && (ferror(p->rollback) | fclose(p->rollback)))
		err = -EIO;
	p->plan = p->rollback = NULL;
	return err;
}
