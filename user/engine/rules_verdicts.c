// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel log verdicts: a line is evidence only when the counters the kernel
 * moves with it agree (verdict_checks); kernel_log_unconfirmed says the others.
 */
#include <stdio.h>
#include <string.h>
#include "rules_impl.h"

static const struct verdict_seen *verdict_for(const struct diag_input *in, const char *cause)
{
	for (size_t i = 0; i < in->n_verdicts; i++)
		if (in->verdicts[i].count && !strcmp(in->verdicts[i].cause, cause))
			return &in->verdicts[i];
	return NULL;
}

void verdict_evidence(const struct verdict_seen *v, struct finding *f)
{
	finding_text(f, "kernel_log", "%s", v->last);
	finding_num(f, "kernel_log_lines", v->count);
}

/*
 * Anyone who can write /dev/kmsg can print a kernel verdict: a line counts
 * only when the counters the kernel moves with it agree, in this window.
 */
static bool aborted_on_memory(const struct diag_input *in)
{
	return ns_table_delta_sum(in->ns, "TcpExt.TCPAbortOnMemory") > 0;
}

bool orphans_over_limit(const struct diag_input *in)
{
	return in->max_orphans > 0 && in->orphans >= in->max_orphans;
}

static bool tcp_mem_confirms(const struct diag_input *in, const struct verdict_seen *v)
{
	(void)v;
	return in->mem.max_since_s >= 0 || aborted_on_memory(in);
}

static bool orphans_confirm(const struct diag_input *in, const struct verdict_seen *v)
{
	(void)v;
	return orphans_over_limit(in) || aborted_on_memory(in);
}

/* The namespace a conntrack verdict names (none named: the initial one). */
const struct ns_state *verdict_ns(const struct diag_input *in, const struct verdict_seen *v)
{
	const struct ns_state *ns = v->netns ? ns_table_find(in->ns, v->netns) : NULL;

	if (!ns && in->ns && in->ns->count)
		ns = &in->ns->items[0]; /* the agent's own, listed first */
	return ns;
}

static bool conntrack_confirms(const struct diag_input *in, const struct verdict_seen *v)
{
	const struct ns_state *ns = verdict_ns(in, v);

	return ns && ns_conntrack_refusals(ns) > 0;
}

static bool syn_queue_confirms(const struct diag_input *in, const struct verdict_seen *v)
{
	int64_t refused;

	(void)v;
	return worst_syn_ns(in, &refused) != NULL;
}

static const struct {
	const char *cause;
	bool (*confirms)(const struct diag_input *in, const struct verdict_seen *v);
	const char *counters; /* what was looked at, for the unconfirmed finding */
} verdict_checks[] = {
	{ "tcp_mem_exhausted", tcp_mem_confirms, "TCP memory under tcp_mem[2], no TCPAbortOnMemory" },
	{ "orphan_sockets", orphans_confirm, "orphans under tcp_max_orphans, no TCPAbortOnMemory" },
	{ "conntrack_full", conntrack_confirms, "no conntrack drop, early_drop or insert_failed" },
	{ "syn_backlog_overflow", syn_queue_confirms, "no SYN queue drop or cookie in any namespace" },
};

static bool verdict_confirmed(const struct diag_input *in, const struct verdict_seen *v)
{
	for (size_t i = 0; i < sizeof(verdict_checks) / sizeof(verdict_checks[0]); i++)
		if (!strcmp(verdict_checks[i].cause, v->cause))
			return verdict_checks[i].confirms(in, v);
	return false;
}

/* The verdict line for cause, only if the counters agree with it. */
const struct verdict_seen *confirmed_verdict(const struct diag_input *in, const char *cause)
{
	const struct verdict_seen *v = verdict_for(in, cause);

	return v && verdict_confirmed(in, v) ? v : NULL;
}

/* A verdict line no counter backs: said (info), never a warning or worse. */
int rule_kernel_log_unconfirmed(const struct diag_input *in, struct finding *f)
{
	for (size_t i = 0; i < sizeof(verdict_checks) / sizeof(verdict_checks[0]); i++) {
		const struct verdict_seen *v = verdict_for(in, verdict_checks[i].cause);

		if (!v || verdict_checks[i].confirms(in, v))
			continue;
		f->severity = SEV_INFO;
		snprintf(f->summary, sizeof(f->summary),
			 "the kernel log says %s, but no counter agrees: not taken as evidence "
			 "(anyone who can write /dev/kmsg can print such a line)", v->cause);
		verdict_evidence(v, f);
		finding_text(f, "claimed_cause", "%s", v->cause);
		finding_text(f, "counters_seen", "%s", verdict_checks[i].counters);
		finding_advice(f, "if the line is genuine, watch for its counters; otherwise find "
			       "who writes to /dev/kmsg", NULL,
			       "a verdict the kernel printed moves the kernel's own counters too");
		return 1;
	}
	return 0;
}
