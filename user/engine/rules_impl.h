/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the rule files (user/rules*.c; rules.c says which family is
 * where): what one file defines and another uses.
 */
#ifndef __TT_RULES_IMPL_H
#define __TT_RULES_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rules.h"

#define UNSEEN_DROP_REASONS "drop_reasons (Linux 5.17+)"
#define UNSEEN_RESET_REASONS "reset_reasons (Linux 6.10+)"

/*
 * A count in one namespace judged against the traffic that carried it: a
 * busy host retransmits, resets and drops more than a quiet one, and only a
 * clear departure from that share is a finding.
 */
struct share {
	const struct ns_state *ns;
	int64_t count;   /* retransmitted segments, resets, drops, overflows */
	int64_t traffic; /* segments sent, connections, packets received, attempts */
	double ratio;    /* count (with extra weight) per unit of traffic */
	double per_s;
	double peak_per_s; /* of the busiest stretch between readings (paced count), else per_s */
};

typedef int64_t (*ns_count_fn)(const struct diag_input *in, const struct ns_state *ns);

struct share_rule {
	ns_count_fn count, traffic;
	ns_count_fn extra;     /* optional: events of count that weigh more */
	double extra_weight;   /* ... each counts this many times in the ratio */
	ns_count_fn discount;  /* optional: events of count the ratio leaves out */
	bool count_in_window;  /* count is the BPF window's (window_s), not the namespace's span */
	int64_t min_count;     /* floors: a tiny sample never fires */
	double min_per_s;      /* ... nor a slow trickle: met by the average or the busiest stretch */
	const char *paced;     /* the namespace counter (paced in nsstate) whose busiest stretch counts */
};

/* Helpers: rules_common.c */
void name_culprit(const struct diag_input *in, struct culprit *c);
void add_owners_to(const struct diag_input *in, struct culprit *list, int *len,
		   uint32_t signal, uint32_t sub, uint32_t netns, const char *why);
void add_owner_culprits_in(const struct diag_input *in, struct finding *f, uint32_t signal,
			   uint32_t sub, uint32_t netns, const char *why);
uint32_t drop_reason(const struct diag_input *in, const char *name);
const struct ns_state *worst_ns(const struct diag_input *in, const char *counter,
				int64_t *delta);
void ns_evidence(struct finding *f, const struct ns_state *ns);
double ratio_of(double count, int64_t traffic);
struct share share_in(const struct diag_input *in, const struct share_rule *r,
		      const struct ns_state *ns);
bool worst_share(const struct diag_input *in, const struct share_rule *r, struct share *out);
typedef bool (*ns_pred_fn)(const struct diag_input *in, const struct ns_state *ns);
/* The same among the namespaces keep accepts. */
bool worst_share_where(const struct diag_input *in, const struct share_rule *r, struct share *out,
		       ns_pred_fn keep);
void share_evidence(struct finding *f, const struct share *s, const char *count,
		    const char *traffic, const char *ratio, double threshold);
const char *percent(char *buf, size_t len, double ratio);
struct advice *sysctl_advice(struct finding *f, const char *action, const char *sysctl,
			     long current, long suggested, const char *why);
long at_least(long v, long floor);

/* Helpers one family defines for another */
/* rules_memory.c */
void tcp_mem_evidence(const struct diag_input *in, struct finding *f);
/* rules_listen.c */
const struct ns_state *worst_syn_ns(const struct diag_input *in, int64_t *refused);
/* The listener most likely overflowing in netns: most drops, else longest SYN queue, else smallest backlog. */
const struct listener_seen *listener_in(const struct diag_input *in, uint32_t netns);
/* The one listener in netns; NULL when none or several (which one is not known then). */
const struct listener_seen *sole_listener_in(const struct diag_input *in, uint32_t netns);
/* Name listener l as a culprit: count of unit, what the caller measured. */
void listener_culprit(const struct diag_input *in, struct finding *f, const struct listener_seen *l,
		      uint64_t count, const char *unit, const char *why);
/* rules_verdicts.c */
void verdict_evidence(const struct verdict_seen *v, struct finding *f);
const struct verdict_seen *confirmed_verdict(const struct diag_input *in, const char *cause);
bool orphans_over_limit(const struct diag_input *in);
const struct ns_state *verdict_ns(const struct diag_input *in, const struct verdict_seen *v);

/* The rules rule_table lists (rules.c), by file */
/* rules_memory.c */
int rule_tcp_mem_exhausted(const struct diag_input *in, struct finding *f);
int rule_orphan_sockets(const struct diag_input *in, struct finding *f);
int rule_socket_buffer_limit(const struct diag_input *in, struct finding *f);
int rule_tcp_mem_pressure(const struct diag_input *in, struct finding *f);
/* rules_traffic.c */
int rule_retransmit_storm(const struct diag_input *in, struct finding *f);
int rule_reset_storm(const struct diag_input *in, struct finding *f);
/* rules_conn.c */
int rule_conntrack_full(const struct diag_input *in, struct finding *f);
int rule_timewait_overflow(const struct diag_input *in, struct finding *f);
int rule_ephemeral_ports(const struct diag_input *in, struct finding *f);
int rule_close_wait_leak(const struct diag_input *in, struct finding *f);
int rule_fin_wait2(const struct diag_input *in, struct finding *f);
/* rules_listen.c */
int rule_listen_overflow(const struct diag_input *in, struct finding *f);
int rule_syn_backlog(const struct diag_input *in, struct finding *f);
/* rules_verdicts.c */
int rule_kernel_log_unconfirmed(const struct diag_input *in, struct finding *f);
/* rules_forecast.c */
int rule_tcp_mem_forecast(const struct diag_input *in, struct finding *f);
int rule_conntrack_forecast(const struct diag_input *in, struct finding *f);
int rule_timewait_forecast(const struct diag_input *in, struct finding *f);

#endif /* __TT_RULES_IMPL_H */
