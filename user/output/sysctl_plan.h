/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `diagnose --sysctl-plan FILE`: the advice that changes a limit, as an
 * /etc/sysctl.d snippet (each line with its evidence, current and suggested
 * value) and FILE.rollback with today's values.  Written, never applied.
 */
#ifndef __TT_SYSCTL_PLAN_H
#define __TT_SYSCTL_PLAN_H

#include <stdbool.h>
#include <stdio.h>

struct finding;

struct sysctl_plan {
	FILE *plan, *rollback;
	const char *path;
	unsigned int entries;
};

/* Create FILE and FILE.rollback now (so a bad path fails before watching). -errno. */
int sysctl_plan_open(struct sysctl_plan *p, const char *path);
/* Add f's limit advice (session_each_finding's callback shape). */
void sysctl_plan_add(void *plan, const struct finding *f, bool active);
/* Close both files; -errno when a write failed. */
int sysctl_plan_close(struct sysctl_plan *p);

#endif /* __TT_SYSCTL_PLAN_H */
