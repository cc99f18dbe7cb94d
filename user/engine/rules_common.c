// SPDX-License-Identifier: GPL-2.0
/*
 * What more than one rule family uses: naming culprits, drops by reason,
 * the namespace a count is worst in, a count's share of its traffic, advice.
 * Declared in rules_impl.h; each family's own helpers stay in its file.
 */
#include <stdio.h>
#include <string.h>
#include "rules_impl.h"
#include "counter_signals.h"
#include "tcptriage.h"

/* Name the culprit's process; keep a cgroup already known from the counters. */
void name_culprit(const struct diag_input *in, struct culprit *c)
{
	uint64_t cgroup = 0;

	if (!c->pid || !in->proc_of)
		return;
	in->proc_of(in->proc_ctx, c->pid, c->comm, &cgroup);
	if (!c->cgroup)
		c->cgroup = cgroup;
}

/* The top owners of signal, as processes appended to list (a finding's culprits or victims). */
void add_owners_to(const struct diag_input *in, struct culprit *list, int *len,
		   uint32_t signal, uint32_t sub, uint32_t netns, const char *why)
{
	const struct signal_info *si = signal_find(signal);
	struct owner_total top[4];
	size_t n = counts_by_owner_in(in->window, signal, sub, netns, top, 4);

	for (size_t i = 0; i < n && *len < FINDING_MAX_CULPRITS; i++) {
		struct culprit *c = &list[(*len)++];

		memset(c, 0, sizeof(*c));
		c->pid = top[i].tgid;
		c->cgroup = top[i].cgroup;
		c->netns = top[i].netns;
		c->count = top[i].events;
		c->unit = si ? si->events : NULL;
		c->bytes = si && si->amount_is_bytes ? top[i].amount : 0;
		c->why = why;
		name_culprit(in, c);
	}
}

/* Add the top owners of one signal in one netns (ANY_NETNS: all) as culprits. */
void add_owner_culprits_in(const struct diag_input *in, struct finding *f, uint32_t signal,
			   uint32_t sub, uint32_t netns, const char *why)
{
	add_owners_to(in, f->culprits, &f->n_culprits, signal, sub, netns, why);
}

uint32_t drop_reason(const struct diag_input *in, const char *name)
{
	uint32_t v;

	return kenum_value(in->names->drop_reason, name, &v) ? UINT32_MAX : v;
}

/* Drops of one reason in netns (ANY_NETNS: all) over the window. */
uint64_t diag_drops(const struct diag_input *in, const char *reason, uint32_t netns)
{
	uint32_t v = drop_reason(in, reason);

	return v == UINT32_MAX ? 0 : counts_sum(in->window, TT_SIG_DROP, v, netns, false);
}

bool ns_retransmits_mostly_syns(const struct ns_state *ns)
{
	return ns_delta(ns, "TcpExt.TCPSynRetrans") * 2 >= ns_delta(ns, "Tcp.RetransSegs");
}

int64_t diag_resets_for(const struct diag_input *in, const char *reason, uint32_t netns)
{
	uint32_t v;

	if (!in->names || !in->names->rst_reason || kenum_value(in->names->rst_reason, reason, &v))
		return -1;
	return (int64_t)counts_sum(in->window, TT_SIG_RST_SENT, v, netns, false);
}

/* The namespace where counter grew most over the window, or NULL if nowhere. */
const struct ns_state *worst_ns(const struct diag_input *in, const char *counter,
				int64_t *delta)
{
	const struct ns_state *worst = NULL;

	*delta = 0;
	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		int64_t d = ns_delta(&in->ns->items[i], counter);

		if (d > *delta) {
			*delta = d;
			worst = &in->ns->items[i];
		}
	}
	return worst;
}

void ns_evidence(struct finding *f, const struct ns_state *ns)
{
	finding_num(f, "netns", ns->inode);
	if (ns->name[0])
		finding_text(f, "netns_name", "%s", ns->name);
}

double ratio_of(double count, int64_t traffic)
{
	return count / (double)(traffic > 0 ? traffic : 1); /* no traffic: the count itself */
}

struct share share_in(const struct diag_input *in, const struct share_rule *r,
		      const struct ns_state *ns)
{
	struct share s = { .ns = ns, .count = r->count(in, ns), .traffic = r->traffic(in, ns) };
	double span = ns_span(ns) > 0 ? ns_span(ns) : 1;
	double count_span = r->count_in_window && in->window_s > 0 ? in->window_s : span;
	double weighted = (double)s.count;

	if (r->extra)
		weighted += (r->extra_weight - 1) * (double)r->extra(in, ns);
	if (r->discount)
		weighted -= (double)r->discount(in, ns);
	if (weighted < 0)
		weighted = 0;
	s.per_s = (double)s.count / count_span;
	s.peak_per_s = r->paced ? ns_peak_rate(ns, r->paced) : s.per_s;
	s.ratio = ratio_of(weighted * span / count_span, s.traffic); /* both over one span */
	return s;
}

/* The namespace where the count is the largest share of its traffic, past the floors. */
bool worst_share_where(const struct diag_input *in, const struct share_rule *r, struct share *out,
		       ns_pred_fn keep)
{
	bool found = false;

	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		struct share s = share_in(in, r, &in->ns->items[i]);

		if (s.count <= 0 || s.count < r->min_count ||
		    (s.per_s < r->min_per_s && s.peak_per_s < r->min_per_s))
			continue;
		if (keep && !keep(in, &in->ns->items[i])) /* after the floors: few get here */
			continue;
		if (!found || s.ratio > out->ratio) {
			*out = s;
			found = true;
		}
	}
	return found;
}

bool worst_share(const struct diag_input *in, const struct share_rule *r, struct share *out)
{
	return worst_share_where(in, r, out, NULL);
}

void share_evidence(struct finding *f, const struct share *s, const char *count,
		    const char *traffic, const char *ratio, double threshold)
{
	ns_evidence(f, s->ns);
	finding_num(f, count, s->count);
	finding_num(f, traffic, s->traffic);
	finding_real(f, ratio, ratio_of((double)s->count, s->traffic));
	finding_real(f, "threshold_ratio", threshold);
}

/* "1.3%", or two significant digits below 1% ("0.0071%"). */
const char *percent(char *buf, size_t len, double ratio)
{
	snprintf(buf, len, ratio < 0.01 ? "%.2g%%" : "%.1f%%", ratio * 100);
	return buf;
}

struct advice *sysctl_advice(struct finding *f, const char *action, const char *sysctl,
			     long current, long suggested, const char *why)
{
	struct advice *a = finding_advice(f, action, sysctl, why);

	if (a) {
		snprintf(a->current, sizeof(a->current), "%ld", current);
		snprintf(a->suggested, sizeof(a->suggested), "%ld", suggested);
	}
	return a;
}

long at_least(long v, long floor)
{
	return v > floor ? v : floor;
}
