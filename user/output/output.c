// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "container.h"
#include "counter_signals.h"
#include "json.h"
#include "kfeatures.h"
#include "output.h"
#include "output_int.h"
#include "tcptriage.h"

const char *const lru_map_names[LRU_MAPS] = {
	[LRU_OWNERS] = "owners",
	[LRU_PROCS] = "procs",
	[LRU_FLOWS] = "flows",
	[LRU_CONNFAILS] = "connfails",
};

static const char *const health_names[TT_H_REPORTED] = {
	[TT_H_RINGBUF_FULL] = "ringbuf_full",
	[TT_H_COUNTS_FULL] = "counts_map_full",
	[TT_H_OWNERS_FULL] = "owners_map_full",
	[TT_H_FLOWS_FULL] = "flows_map_full",
	[TT_H_PROCS_FULL] = "procs_map_full",
	[TT_H_READ_FAILED] = "kernel_read_failed",
	[TT_H_EVENTS] = "events",
	[TT_H_CONNFAILS_FULL] = "connfails_map_full",
	[TT_H_NO_SOCKET] = "events_without_socket",
};

struct out *out_new(FILE *f, bool json)
{
	struct out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->f = f;
	if (json && f && !(o->jw = jw_new(f))) {
		free(o);
		return NULL;
	}
	return o;
}

void out_free(struct out *o)
{
	if (!o)
		return;
	jw_free(o->jw);
	cgroup_cache_free(o->cg);
	free(o);
}

bool out_is_json(const struct out *o)
{
	return o->jw != NULL;
}

/* Every JSON line starts {"v":1,"ts":...,"type":...} */
void line_begin(struct out *o, const char *type)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	jw_record_begin(o->jw, now, type);
}

void line_end(struct out *o)
{
	int err;

	jw_obj_end(o->jw);
	err = jw_line_end(o->jw);
	if (err && !o->write_err)
		o->write_err = err;
}

int out_error(const struct out *o)
{
	if (!o || !o->f)
		return 0;
	if (o->write_err)
		return o->write_err;
	return ferror(o->f) ? -EIO : 0;
}

/* Hostile text for a terminal. */
const char *safe(char *buf, size_t len, const char *s, size_t n)
{
	text_sanitize(buf, len, s ? s : "", s ? n : 0);
	return buf;
}

/* What this kernel's tracepoints do not pass: shown, never counted as zero. */
static void not_visible_json(struct out *o, const struct kfeatures *kf)
{
	jw_key(o->jw, "not_visible");
	jw_arr_begin(o->jw);
	for (int k = 0; kf && k < KF_COUNT; k++) {
		if (kf->has[k])
			continue;
		jw_obj_begin(o->jw);
		jw_kv_str(o->jw, "signal", kfeature_name(k));
		jw_kv_str(o->jw, "since_linux", kfeature_since(k));
		jw_kv_str(o->jw, "effect", kfeature_unseen(k));
		jw_obj_end(o->jw);
	}
	jw_arr_end(o->jw);
}

static void not_visible_text(struct out *o, const struct kfeatures *kf)
{
	for (int k = 0; kf && k < KF_COUNT; k++)
		if (!kf->has[k])
			fprintf(o->f, "  not visible on this kernel: %s (Linux %s+): %s\n",
				kfeature_name(k), kfeature_since(k), kfeature_unseen(k));
}

static void start_json(struct out *o, const struct start_info *si, const struct utsname *u)
{
	line_begin(o, "start");
	jw_kv_str(o->jw, "command", si->command);
	jw_kv_str(o->jw, "host", u->nodename);
	jw_kv_str(o->jw, "kernel", u->release);
	jw_kv_u64(o->jw, "pid", getpid());
	if (si->duration_s > 0)
		jw_kv_double(o->jw, "duration_s", si->duration_s);
	jw_kv_u64(o->jw, "owners_seeded", si->owners_seeded);
	jw_key(o->jw, "capabilities");
	jw_obj_begin(o->jw);
	jw_kv_str(o->jw, "btf", si->btf);
	jw_kv_str(o->jw, "tracefs", si->tracefs);
	jw_kv_str(o->jw, "owners", si->owners_map_why ? "map" : "socket_storage");
	if (si->owners_map_why)
		jw_kv_str(o->jw, "owners_map_why", si->owners_map_why);
	jw_key(o->jw, "hooks");
	jw_arr_begin(o->jw);
	for (size_t i = 0; i < si->n_hooks; i++) {
		const struct hook_status *h = &si->hooks[i];

		jw_obj_begin(o->jw);
		jw_key(o->jw, "tracepoint");
		jw_obj_begin(o->jw);
		jw_kv_str(o->jw, "category", h->category);
		jw_kv_str(o->jw, "name", h->tp);
		jw_obj_end(o->jw);
		jw_kv_str(o->jw, "for", h->purpose);
		jw_key(o->jw, "attached");
		if (h->attached == ATTACH_NONE)
			jw_null(o->jw);
		else
			jw_str(o->jw, attach_kind_name(h->attached));
		jw_kv_bool(o->jw, "fallback", h->fell_back);
		jw_kv_bool(o->jw, "essential", h->essential);
		if (h->error[0])
			jw_kv_str(o->jw, "error", h->error);
		jw_obj_end(o->jw);
	}
	jw_arr_end(o->jw);
	not_visible_json(o, si->features);
	jw_obj_end(o->jw);
	line_end(o);
}

static void start_text(struct out *o, const struct start_info *si, const struct utsname *u)
{
	size_t attached = 0;

	for (size_t i = 0; i < si->n_hooks; i++)
		attached += si->hooks[i].attached != ATTACH_NONE;
	fprintf(o->f, "tcptriage %s on %s (Linux %s): %zu of %zu hooks attached",
		si->command, u->nodename, u->release, attached, si->n_hooks);
	if (si->duration_s > 0)
		fprintf(o->f, ", watching for %.0f s", si->duration_s);
	fprintf(o->f, "\n");
	for (size_t i = 0; i < si->n_hooks; i++) {
		const struct hook_status *h = &si->hooks[i];

		if (h->attached == ATTACH_NONE || h->fell_back)
			fprintf(o->f, "  %s:%s %s%s (%s)\n", h->category, h->tp,
				h->attached == ATTACH_NONE ? "unavailable, no " : "fell back to ",
				h->attached == ATTACH_NONE ? h->purpose : attach_kind_name(h->attached),
				h->error);
	}
	not_visible_text(o, si->features);
	fflush(o->f);
}

void out_start(struct out *o, const struct start_info *si)
{
	struct utsname u;

	if (!o->f)
		return; /* quiet: the caller shows the state itself */
	uname(&u);
	if (o->jw)
		start_json(o, si, &u);
	else
		start_text(o, si, &u);
}

/*
 * An event line, with when the kernel saw it: its CLOCK_MONOTONIC stamp as
 * is and as wall-clock time ("ts" is when the line was written, later).
 */
static void event_begin(struct out *o, const char *event, uint64_t kernel_ns)
{
	struct timespec mono, real, at;
	char buf[RFC3339_MS_SIZE];
	int64_t ago_ns;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	ago_ns = (int64_t)(mono.tv_sec * 1000000000ull + mono.tv_nsec) - (int64_t)kernel_ns;
	at.tv_sec = real.tv_sec - ago_ns / 1000000000;
	at.tv_nsec = real.tv_nsec - ago_ns % 1000000000;
	if (at.tv_nsec < 0)
		at.tv_sec--, at.tv_nsec += 1000000000;
	else if (at.tv_nsec >= 1000000000)
		at.tv_sec++, at.tv_nsec -= 1000000000;
	format_rfc3339_ms(buf, at);
	line_begin(o, "event");
	jw_kv_str(o->jw, "event", event);
	jw_kv_str(o->jw, "kernel_ts", buf);
	jw_kv_u64(o->jw, "kernel_monotonic_ns", kernel_ns);
}

void out_console_event(struct out *o, uint64_t kernel_ns, const char *verdict, const char *cause,
		       uint32_t netns, const char *text, size_t len)
{
	char buf[512];

	if (!o->f)
		return; /* quiet: the caller shows the state itself */
	if (!o->jw) {
		fprintf(o->f, "kernel: %s\n", safe(buf, sizeof(buf), text, len));
		fflush(o->f);
		return;
	}
	event_begin(o, "kernel_log", kernel_ns);
	jw_kv_str(o->jw, "verdict", verdict);
	jw_kv_str(o->jw, "cause", cause);
	if (netns)
		jw_kv_u64(o->jw, "netns", netns);
	jw_key(o->jw, "text");
	jw_strn(o->jw, text, len);
	line_end(o);
}

void out_reset_event(struct out *o, uint64_t kernel_ns, const char *reason, uint32_t tgid,
		     const char *comm, uint64_t cgroup, uint32_t netns, const char *laddr,
		     const char *raddr)
{
	char c[64];

	if (!o->f)
		return; /* quiet: the caller shows the state itself */
	if (!o->jw) {
		fprintf(o->f, "reset (%s): %s -> %s, last owner pid %u (%s)\n", reason, laddr, raddr,
			tgid, safe(c, sizeof(c), comm, strnlen(comm, 16)));
		fflush(o->f);
		return;
	}
	event_begin(o, "reset", kernel_ns);
	jw_kv_str(o->jw, "reason", reason);
	jw_kv_u64(o->jw, "pid", tgid);
	jw_key(o->jw, "comm");
	jw_strn(o->jw, comm, strnlen(comm, 16));
	jw_kv_u64(o->jw, "cgroup", cgroup);
	jw_kv_u64(o->jw, "netns", netns);
	jw_kv_str(o->jw, "laddr", laddr);
	jw_kv_str(o->jw, "raddr", raddr);
	line_end(o);
}

/* {"retransmits":N,"retransmit_segs":N,...} for one netns (ANY_NETNS = all). */
static void counters_json(struct out *o, const struct count_table *t, uint32_t netns)
{
	jw_obj_begin(o->jw);
	for (size_t i = 0; i < signal_count; i++) {
		const struct signal_info *si = &signal_table[i];

		jw_kv_u64(o->jw, si->events, counts_sum(t, si->signal, ANY_SUB, netns, false));
		if (si->amount)
			jw_kv_u64(o->jw, si->amount, counts_sum(t, si->signal, ANY_SUB, netns, true));
	}
	jw_obj_end(o->jw);
}

/* {"reason":count,...} of one signal with named subs. */
static void by_sub_json(struct out *o, const struct count_table *t, uint32_t signal,
			uint32_t netns, const struct kernel_names *kn)
{
	const struct signal_info *si = signal_find(signal);
	uint32_t subs[256];
	size_t n = 0;
	char buf[32];

	for (size_t i = 0; i < t->count && n < 256; i++) {
		size_t k = 0;

		if (t->rows[i].key.signal != signal ||
		    (netns != ANY_NETNS && t->rows[i].key.netns != netns))
			continue;
		while (k < n && subs[k] != t->rows[i].key.sub)
			k++;
		if (k == n)
			subs[n++] = t->rows[i].key.sub;
	}
	jw_obj_begin(o->jw);
	for (size_t k = 0; k < n; k++)
		jw_kv_u64(o->jw, signal_sub_name(si, kn, subs[k], buf, sizeof(buf)),
			  counts_sum(t, signal, subs[k], netns, false));
	jw_obj_end(o->jw);
}

/* Counters, then the reasons behind drops and resets, of one netns (ANY_NETNS = all). */
static void breakdown_json(struct out *o, const struct count_table *t, uint32_t netns,
			   const struct kernel_names *kn)
{
	jw_key(o->jw, "counters");
	counters_json(o, t, netns);
	jw_key(o->jw, "drops_by_reason");
	by_sub_json(o, t, TT_SIG_DROP, netns, kn);
	jw_key(o->jw, "resets_sent_by_reason");
	by_sub_json(o, t, TT_SIG_RST_SENT, netns, kn);
}

static void netns_json(struct out *o, const struct count_table *t, const struct kernel_names *kn)
{
	uint32_t ns[256];
	size_t n = counts_netns_list(t, ns, 256);

	jw_arr_begin(o->jw);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(o->jw);
		jw_kv_u64(o->jw, "netns", ns[i]);
		breakdown_json(o, t, ns[i], kn);
		jw_obj_end(o->jw);
	}
	jw_arr_end(o->jw);
}

static void health_json(struct out *o, const struct agent_health *h)
{
	char name[32];

	jw_obj_begin(o->jw);
	for (int i = 0; i < TT_H_REPORTED; i++)
		jw_kv_u64(o->jw, health_names[i], h->kernel[i]);
	for (int m = 0; m < LRU_MAPS; m++) {
		snprintf(name, sizeof(name), "%s_evicted", lru_map_names[m]);
		jw_kv_u64(o->jw, name, h->evicted[m]);
	}
	jw_kv_u64(o->jw, "records_malformed", h->records_malformed);
	jw_kv_u64(o->jw, "runs_skipped", h->runs_skipped);
	jw_kv_u64(o->jw, "owner_rescans", h->owner_rescans);
	jw_kv_u64(o->jw, "owners_rescan_learned", h->owners_rescan_learned);
	jw_kv_double(o->jw, "cpu_s", h->cpu_s);
	jw_kv_double(o->jw, "tick_ms_max", h->ticks.max_ms);
	jw_kv_double(o->jw, "tick_ms_mean", h->ticks.n ? h->ticks.sum_ms / h->ticks.n : 0);
	jw_kv_double(o->jw, "ns_age_s_max", h->ns_age_s_max);
	jw_obj_end(o->jw);
}

static void totals_json(struct out *o, const struct count_table *t, const struct kernel_names *kn)
{
	breakdown_json(o, t, ANY_NETNS, kn);
	jw_key(o->jw, "by_netns");
	netns_json(o, t, kn);
}

static uint64_t health_lost(const struct agent_health *h)
{
	uint64_t lost = h->records_malformed + h->runs_skipped;

	/* an event without its socket is counted, only its owner is unknown */
	for (int i = 0; i < TT_H_REPORTED; i++)
		if (i != TT_H_EVENTS && i != TT_H_NO_SOCKET)
			lost += h->kernel[i];
	for (int m = 0; m < LRU_MAPS; m++)
		lost += h->evicted[m];
	return lost;
}

/* ": counts_map_full 352, ringbuf_full 3": each kind of loss that happened (after health_lost). */
static void losses_text(struct out *o, const struct agent_health *h)
{
	int n = 0;

	for (int i = 0; i < TT_H_REPORTED; i++)
		if (i != TT_H_EVENTS && i != TT_H_NO_SOCKET && h->kernel[i])
			fprintf(o->f, "%s%s %llu", n++ ? ", " : ": ", health_names[i],
				(unsigned long long)h->kernel[i]);
	for (int m = 0; m < LRU_MAPS; m++)
		if (h->evicted[m])
			fprintf(o->f, "%s%s_evicted %llu", n++ ? ", " : ": ", lru_map_names[m],
				(unsigned long long)h->evicted[m]);
	if (h->records_malformed)
		fprintf(o->f, "%srecords_malformed %llu", n++ ? ", " : ": ",
			(unsigned long long)h->records_malformed);
	if (h->runs_skipped)
		fprintf(o->f, "%sruns_skipped %llu", n ? ", " : ": ",
			(unsigned long long)h->runs_skipped);
}

static void counters_text(struct out *o, const struct count_table *t)
{
	int printed = 0;

	for (size_t i = 0; i < signal_count; i++) {
		uint64_t n = counts_sum(t, signal_table[i].signal, ANY_SUB, ANY_NETNS, false);

		if (n)
			fprintf(o->f, "%s %s=%llu", printed++ ? "," : "", signal_table[i].events,
				(unsigned long long)n);
	}
	if (!printed)
		fprintf(o->f, " nothing notable");
}

void out_stats(struct out *o, double elapsed_s, double interval_s, const struct count_table *delta,
	       const struct kernel_names *kn, const struct agent_health *h)
{
	if (!o->f)
		return; /* quiet: the caller shows the state itself */
	if (!o->jw) { /* when into the run (the interval is --interval) */
		fprintf(o->f, "[%5.1fs]", elapsed_s);
		counters_text(o, delta);
		if (health_lost(h)) {
			fprintf(o->f, " (agent lost %llu records", (unsigned long long)health_lost(h));
			losses_text(o, h);
			fprintf(o->f, ")");
		}
		fprintf(o->f, "\n");
		fflush(o->f);
		return;
	}
	line_begin(o, "stats");
	jw_kv_double(o->jw, "interval_s", interval_s);
	totals_json(o, delta, kn);
	jw_key(o->jw, "agent");
	health_json(o, h);
	line_end(o);
}

void out_end(struct out *o, double duration_s, const struct count_table *totals,
	     const struct kernel_names *kn, const struct agent_health *h, size_t n_findings)
{
	if (!o->f)
		return; /* quiet: the caller shows the state itself */
	if (!o->jw) {
		fprintf(o->f, "%.1f s watched:", duration_s);
		counters_text(o, totals);
		fprintf(o->f, "\n%zu finding%s; agent lost %llu records", n_findings,
			n_findings == 1 ? "" : "s", (unsigned long long)health_lost(h));
		losses_text(o, h);
		fprintf(o->f, "\n");
		fflush(o->f);
		return;
	}
	line_begin(o, "end");
	jw_kv_double(o->jw, "duration_s", duration_s);
	jw_kv_u64(o->jw, "findings", n_findings);
	totals_json(o, totals, kn);
	jw_key(o->jw, "agent");
	health_json(o, h);
	line_end(o);
}
