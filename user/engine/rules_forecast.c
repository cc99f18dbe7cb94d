// SPDX-License-Identifier: GPL-2.0
/* Early warnings (a limit reached at this pace): tcp_mem, conntrack, TIME_WAIT forecasts. */
#include <stdio.h>
#include "rules_impl.h"
#include "tcptriage.h"

/*
 * TCP memory rising clearly toward tcp_mem[1]: warn while the kernel still
 * grants everything.  The rise must go on in the trend's newer half too, and
 * the eta is the slower pace's: a busy host's buffers fill while load starts
 * and then level off (a 2 GiB guest: 2895 pages in 8 s, flat after), which a
 * line through both reads as a leak.
 */
int rule_tcp_mem_forecast(const struct diag_input *in, struct finding *f)
{
	const struct trend_fit *fit = &in->mem.fit;
	double eta = trend_eta(fit, (double)in->mem.now, (double)in->tcp_mem[1]);
	double recent_eta = trend_eta(&in->mem.recent, (double)in->mem.now, (double)in->tcp_mem[1]);

	if (recent_eta > eta)
		eta = recent_eta;
	if (in->tcp_mem[1] <= 0 || eta < 0 || recent_eta < 0 || eta > in->horizon_s ||
	    fit->span_s < FORECAST_MIN_SPAN_S)
		return 0;
	if (fit->slope * fit->span_s < FORECAST_MIN_GROWTH * in->tcp_mem[1])
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "TCP memory grows %.0f pages/min and reaches the pressure threshold (%ld pages) "
		 "in about %.0f s: find who holds it before the kernel starts refusing",
		 fit->slope * 60, in->tcp_mem[1], eta);
	finding_num(f, "eta_s", (int64_t)eta);
	finding_num(f, "growth_pages_per_min", (int64_t)(fit->slope * 60));
	finding_num(f, "trend_span_s", (int64_t)fit->span_s);
	finding_num(f, "tcp_mem_used_pages", in->mem.now);
	tcp_mem_evidence(in, f);
	finding_advice(f, "find who holds the growing memory (the holders below, or tcptriage "
		       "snapshot) and stop the leak: non-reading receivers, zero-window peers, orphans",
		       NULL, "raising tcp_mem only moves the cliff");
	return 1;
}

/* A namespace's gauge (now, at its baseline) reaching max at its pace since the baseline. */
static double gauge_eta(const struct diag_input *in, const struct ns_state *ns, long now, long base,
			long max)
{
	double span = in->now_s - ns->base_at;
	long grown = now - base;

	if (max <= 0 || now < 0 || base < 0 || now >= max || span < 10 ||
	    grown < FORECAST_MIN_GROWTH * max)
		return -1;
	return (max - now) / (grown / span);
}

static double conntrack_eta(const struct diag_input *in, const struct ns_state *ns)
{
	return gauge_eta(in, ns, ns->cur.limits.conntrack_count, ns->base.limits.conntrack_count,
			 ns->cur.limits.conntrack_max);
}

#define TIMEWAIT_LIFETIME_S 60 /* TCP_TIMEWAIT_LEN: a TIME_WAIT socket goes after this */

/*
 * TIME_WAIT sockets expire: a steady close rate r holds r * 60 s of them at
 * most, so growth only leads to the limit when that plateau is above it (a
 * busy, healthy host's count rises for a minute, then stays).
 */
static double timewait_eta(const struct diag_input *in, const struct ns_state *ns)
{
	long now = (long)ns->cur.sockstat.tcp_tw, base = (long)ns->base.sockstat.tcp_tw;
	long max = ns->cur.limits.tw_buckets_max;
	double span = in->now_s - ns->base_at;

	if (span <= 0 || (double)(now - base) / span * TIMEWAIT_LIFETIME_S < max)
		return -1;
	return gauge_eta(in, ns, now, base, max);
}

/* The namespace whose gauge reaches its limit first, within the horizon; NULL: none. */
static const struct ns_state *soonest_ns(const struct diag_input *in,
					 double (*eta_of)(const struct diag_input *,
							  const struct ns_state *),
					 double *best)
{
	const struct ns_state *soonest = NULL;

	*best = -1;
	for (size_t i = 0; in->ns && i < in->ns->count; i++) {
		double eta = eta_of(in, &in->ns->items[i]);

		if (eta >= 0 && eta <= in->horizon_s && (*best < 0 || eta < *best)) {
			*best = eta;
			soonest = &in->ns->items[i];
		}
	}
	return soonest;
}

/* A namespace's conntrack table filling at its current pace within the horizon. */
int rule_conntrack_forecast(const struct diag_input *in, struct finding *f)
{
	double best;
	const struct ns_state *soonest = soonest_ns(in, conntrack_eta, &best);

	if (!soonest)
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "the connection tracking table fills in about %.0f s at this pace (%ld of %ld "
		 "entries): new connections will be dropped", best,
		 soonest->cur.limits.conntrack_count, soonest->cur.limits.conntrack_max);
	ns_evidence(f, soonest);
	finding_num(f, "eta_s", (int64_t)best);
	finding_num(f, "nf_conntrack_count", soonest->cur.limits.conntrack_count);
	finding_num(f, "nf_conntrack_max", soonest->cur.limits.conntrack_max);
	finding_num(f, "growth_entries", soonest->cur.limits.conntrack_count -
					 soonest->base.limits.conntrack_count);
	finding_num(f, "growth_span_s", (int64_t)(in->now_s - soonest->base_at));
	add_owner_culprits_in(in, f, TT_SIG_CONNECT, ANY_SUB, soonest->inode,
			      "opens the most new connections in that namespace");
	finding_advice(f, "find who opens the most new connections there and make it reuse them",
		       NULL, "the table only fills when something churns connections");
	return 1;
}

/* A namespace's TIME_WAIT sockets reaching tcp_max_tw_buckets at their current pace. */
int rule_timewait_forecast(const struct diag_input *in, struct finding *f)
{
	double best;
	const struct ns_state *ns = soonest_ns(in, timewait_eta, &best);

	if (!ns)
		return 0;
	f->severity = SEV_WARNING;
	snprintf(f->summary, sizeof(f->summary),
		 "TIME_WAIT sockets reach tcp_max_tw_buckets in about %.0f s at this pace (%lld of "
		 "%ld): closing connections will then skip TIME_WAIT", best,
		 (long long)ns->cur.sockstat.tcp_tw, ns->cur.limits.tw_buckets_max);
	ns_evidence(f, ns);
	finding_num(f, "eta_s", (int64_t)best);
	finding_num(f, "timewait_sockets", ns->cur.sockstat.tcp_tw);
	finding_num(f, "tcp_max_tw_buckets", ns->cur.limits.tw_buckets_max);
	finding_num(f, "growth_sockets", ns->cur.sockstat.tcp_tw - ns->base.sockstat.tcp_tw);
	finding_num(f, "growth_span_s", (int64_t)(in->now_s - ns->base_at));
	add_owner_culprits_in(in, f, TT_SIG_ACTIVE_CLOSE, ANY_SUB, ns->inode,
			      "closes connections first, so their TIME_WAIT lands on this host");
	finding_advice(f, "find who closes the most connections first there and make it reuse "
		       "them (keep-alive, a connection pool)", NULL,
		       "TIME_WAIT protects late segments; recycling it is never the fix");
	return 1;
}
