// SPDX-License-Identifier: GPL-2.0
// The sysctl plan: limit advice as sysctl.d lines with evidence, and its rollback.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "finding.h"
#include "sysctl_plan.h"
#include "test.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 8192);

	if (f && buf)
		(void)!fread(buf, 1, 8191, f);
	if (f)
		fclose(f);
	return buf;
}

TEST(sysctl_plan_writes_suggestion_evidence_and_rollback)
{
	char dir[] = "/tmp/tt-plan-XXXXXX", path[64], rb[80];
	struct sysctl_plan p;
	struct finding f = { .cause = "timewait_overflow", .id = "timewait_overflow-1" };
	struct advice *a;
	char *plan = NULL, *back = NULL;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL))
		return;
	snprintf(path, sizeof(path), "%s/90-tcptriage.conf", dir);
	snprintf(rb, sizeof(rb), "%s.rollback", path);
	finding_num(&f, "timewait_overflows", 2990);
	finding_text(&f, "kernel_log", "forged\nnet.ipv4.tcp_tw_recycle = 1"); /* hostile */
	finding_advice(&f, "make the client reuse connections", NULL, "app first");
	a = finding_advice(&f, "raise the bucket limit", "net.ipv4.tcp_max_tw_buckets", "room");
	strcpy(a->current, "10");
	strcpy(a->suggested, "20480");
	if (!ASSERT_OK(sysctl_plan_open(&p, path)))
		goto out;
	sysctl_plan_add(&p, &f, true);
	ASSERT_OK(sysctl_plan_close(&p));
	plan = slurp(path);
	back = slurp(rb);
	ASSERT_TRUE(strstr(plan, "\nnet.ipv4.tcp_max_tw_buckets = 20480\n") != NULL);
	ASSERT_TRUE(strstr(plan, "timewait_overflows=2990") != NULL);
	ASSERT_TRUE(strstr(plan, "never applies") != NULL);
	ASSERT_TRUE(strstr(plan, "\nnet.ipv4.tcp_tw_recycle") == NULL); /* stays in a comment */
	ASSERT_TRUE(strstr(back, "\nnet.ipv4.tcp_max_tw_buckets = 10\n") != NULL);
	ASSERT_TRUE(strstr(plan, "make the client") == NULL); /* no limit in that advice */
out:
	free(plan);
	free(back);
	unlink(rb);
	unlink(path);
	rmdir(dir);
}

TEST(sysctl_plan_bad_path_fails_before_watching)
{
	struct sysctl_plan p;

	ASSERT_TRUE(sysctl_plan_open(&p, "/nonexistent-dir/plan.conf") < 0);
}
