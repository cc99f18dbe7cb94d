// SPDX-License-Identifier: GPL-2.0
/*
 * The agent once loader.c has opened it: what it reports (its skeleton, hooks,
 * BTF source, features, gaps and tracefs) and seeding its owners map with the
 * sockets open before it started.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcptriage.skel.h"
#include "kfeatures.h"
#include "loader_int.h"

struct tcptriage_bpf *agent__skel(struct agent *agent)
{
	return agent->skel;
}

const struct hook_status *agent__hooks(const struct agent *agent, size_t *count)
{
	*count = HOOK_COUNT;
	return agent->hooks;
}

const char *agent__btf_source(const struct agent *agent)
{
	return kernel_btf_source(agent->btf_path);
}

const struct kfeatures *agent__features(const struct agent *agent)
{
	return &agent->features;
}

static void gap_append(char *buf, size_t len, size_t *used, const char *fmt, const char *a,
		       const char *b)
{
	if (*used < len)
		*used += snprintf(buf + *used, len - *used, fmt, a, b);
}

size_t agent__gaps(const struct agent *agent, char *buf, size_t len)
{
	size_t used = 0, hooks = 0, unseen = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		if (agent->hooks[i].attached != ATTACH_NONE)
			continue;
		gap_append(buf, len, &used, hooks++ ? ", %s (%s)" : "unavailable: %s (%s)",
			   agent->hooks[i].tp, agent->hooks[i].purpose);
	}
	for (int k = 0; k < KF_COUNT; k++) {
		if (agent->features.has[k])
			continue;
		gap_append(buf, len, &used, unseen++ ? ", %s (Linux %s+)" :
			   hooks ? "; not visible: %s (Linux %s+)" : "not visible: %s (Linux %s+)",
			   kfeature_name(k), kfeature_since(k));
	}
	return hooks + unseen;
}

const char *agent__tracefs(const struct agent *agent)
{
	return agent->tracefs;
}

const char *agent__owners_map_why(const struct agent *agent)
{
	if (agent->owners_in_storage)
		return NULL;
	if (agent->storage_doubt == STORAGE_SETTLED && !agent->sk_storage)
		return "refused"; /* loader.c storage_doubted(): only a retry without it loaded */
	return agent->sk_storage ? "attach_form" : "kernel";
}
