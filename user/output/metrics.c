// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "counter_signals.h"
#include "counts.h"
#include "json.h"
#include "metrics.h"
#include "output.h"
#include "tcptriage.h"

/* What a counter's sub field is called as a label. */
static const char *const sub_labels[] = {
	[SUB_NONE] = NULL,
	[SUB_DROP_REASON] = "reason",
	[SUB_RST_REASON] = "reason",
	[SUB_ERRNO] = "error",
	[SUB_MEM_KIND] = "kind",
};

/* Maps whose fullness the kernel side counts (enum tt_health). */
static const char *const full_maps[TT_H_REPORTED] = {
	[TT_H_COUNTS_FULL] = "counts",
	[TT_H_OWNERS_FULL] = "owners",
	[TT_H_FLOWS_FULL] = "flows",
	[TT_H_PROCS_FULL] = "procs",
	[TT_H_CONNFAILS_FULL] = "connfails",
};

struct label {
	const char *name;
	const char *value;
};

/* One labelled sample of a counter family, summed over owners. */
struct series {
	uint32_t netns;
	uint32_t sub;
	uint64_t value;
};

enum metrics_format metrics_negotiate(const char *accept)
{
	return accept && strcasestr(accept, "application/openmetrics-text") ? METRICS_OPENMETRICS
									      : METRICS_PROMETHEUS;
}

const char *metrics_content_type(enum metrics_format fmt)
{
	return fmt == METRICS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
					  : "text/plain; version=0.0.4; charset=utf-8";
}

size_t metrics_escape_label(char *dst, size_t dstsz, const char *src)
{
	char clean[256];
	/* Room to escape every byte of the clean text, so nothing is cut below. */
	size_t cap = (dstsz - 1) / 2 + 1, out = 0;

	if (!dstsz)
		return 0;
	text_sanitize(clean, cap < sizeof(clean) ? cap : sizeof(clean), src ? src : "",
		      src ? strlen(src) : 0);
	for (const char *p = clean; *p; p++) {
		if (*p == '\\' || *p == '"')
			dst[out++] = '\\';
		dst[out++] = *p;
	}
	dst[out] = '\0';
	return out;
}

/* Prometheus text names a counter by its sample (_total), OpenMetrics by its family. */
static void family(FILE *f, enum metrics_format fmt, const char *name, const char *type,
		   const char *help)
{
	const char *suffix = !strcmp(type, "counter") && fmt == METRICS_PROMETHEUS ? "_total" : "";

	fprintf(f, "# HELP %s%s %s\n", name, suffix, help);
	fprintf(f, "# TYPE %s%s %s\n", name, suffix, type);
}

/* "name_suffix{a="x",b="y"} " — the value follows. */
static void sample_begin(FILE *f, const char *name, const char *suffix, const struct label *l,
			 size_t n)
{
	char esc[512];

	fprintf(f, "%s%s", name, suffix);
	for (size_t i = 0; i < n; i++) {
		metrics_escape_label(esc, sizeof(esc), l[i].value);
		fprintf(f, "%c%s=\"%s\"", i ? ',' : '{', l[i].name, esc);
	}
	fputs(n ? "} " : " ", f);
}

static void sample_u64(FILE *f, const char *name, const char *suffix, const struct label *l,
		       size_t n, uint64_t v)
{
	sample_begin(f, name, suffix, l, n);
	fprintf(f, "%llu\n", (unsigned long long)v);
}

static int series_cmp(const void *a, const void *b)
{
	const struct series *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return (x->sub > y->sub) - (x->sub < y->sub);
}

/* Sum one signal's events (or amounts) by (netns, sub), sorted; NULL when there are none. */
static struct series *series_collect(const struct count_table *t, uint32_t signal, bool amount,
				     bool by_sub, size_t *count)
{
	struct series *s = malloc((t->count ? t->count : 1) * sizeof(*s));
	size_t n = 0, merged = 0;

	*count = 0;
	if (!s)
		return NULL;
	for (size_t i = 0; i < t->count; i++) {
		const struct count_row *r = &t->rows[i];

		if (r->key.signal == signal)
			s[n++] = (struct series){ r->key.netns, by_sub ? r->key.sub : 0,
						  amount ? r->amount : r->events };
	}
	qsort(s, n, sizeof(*s), series_cmp);
	for (size_t i = 0; i < n; i++) { /* owners of the same series are adjacent now */
		if (merged && !series_cmp(&s[merged - 1], &s[i]))
			s[merged - 1].value += s[i].value;
		else
			s[merged++] = s[i];
	}
	*count = merged;
	return s;
}

/* A signal's events, or its amount, as one counter family; samples end in _total. */
static void counter_family(FILE *f, enum metrics_format fmt, const struct metrics_input *in,
			   const struct signal_info *si, bool amount)
{
	const char *name = amount ? si->amount_metric : si->events_metric;
	const char *sub_label = sub_labels[si->sub];
	struct series *s;
	size_t n;

	family(f, fmt, name, "counter", amount ? si->amount_help : si->events_help);
	s = series_collect(in->totals, si->signal, amount, sub_label != NULL, &n);
	for (size_t i = 0; i < n; i++) {
		char netns[16], subname[64];
		struct label l[2];
		size_t nl = 0;

		if (sub_label)
			l[nl++] = (struct label){
				sub_label, signal_sub_name(si, in->names, s[i].sub, subname,
							   sizeof(subname))
			};
		snprintf(netns, sizeof(netns), "%u", s[i].netns);
		l[nl++] = (struct label){ "netns", netns };
		sample_u64(f, name, "_total", l, nl, s[i].value);
	}
	free(s);
}

static void findings_family(FILE *f, enum metrics_format fmt, const struct metrics_input *in)
{
	family(f, fmt, "tcptriage_findings_active", "gauge",
	       "Diagnosed causes: 1 while the finding fires, 0 once it cleared; "
	       "root=\"false\" for a symptom of another finding");
	for (size_t i = 0; i < in->n_findings; i++) {
		const struct metrics_finding *mf = &in->findings[i];
		struct label l[] = { { "cause", mf->cause }, { "severity", mf->severity },
				     { "root", mf->root ? "true" : "false" } };

		sample_u64(f, "tcptriage_findings_active", "", l, 3, mf->active);
	}
}

static void tcp_memory_families(FILE *f, enum metrics_format fmt, const struct metrics_input *in)
{
	static const char *const levels[3] = { "min", "pressure", "max" };

	family(f, fmt, "tcptriage_tcp_memory_pages", "gauge",
	       "Pages held by TCP sockets host-wide (/proc/net/sockstat TCP mem)");
	if (in->tcp_mem_pages >= 0)
		sample_u64(f, "tcptriage_tcp_memory_pages", "", NULL, 0, in->tcp_mem_pages);
	family(f, fmt, "tcptriage_tcp_mem_threshold_pages", "gauge",
	       "net.ipv4.tcp_mem thresholds in pages: min, pressure, max");
	for (int i = 0; i < 3; i++) {
		struct label l = { "level", levels[i] };

		if (in->tcp_mem[i] > 0)
			sample_u64(f, "tcptriage_tcp_mem_threshold_pages", "", &l, 1, in->tcp_mem[i]);
	}
}

static void agent_counter(FILE *f, enum metrics_format fmt, const char *name, const char *help,
			  uint64_t v)
{
	family(f, fmt, name, "counter", help);
	sample_u64(f, name, "_total", NULL, 0, v);
}

/* A counter (total) or a gauge of seconds. */
static void agent_seconds(FILE *f, enum metrics_format fmt, const char *name, bool counter,
			  const char *help, double v)
{
	family(f, fmt, name, counter ? "counter" : "gauge", help);
	sample_begin(f, name, counter ? "_total" : "", NULL, 0);
	fprintf(f, "%.6f\n", v);
}

static void agent_families(FILE *f, enum metrics_format fmt, const struct agent_health *h)
{
	agent_counter(f, fmt, "tcptriage_agent_events", "BPF program runs that did work",
		      h->kernel[TT_H_EVENTS]);
	agent_counter(f, fmt, "tcptriage_agent_ringbuf_full",
		      "Notable events lost because the ring buffer was full", h->kernel[TT_H_RINGBUF_FULL]);
	family(f, fmt, "tcptriage_agent_map_full", "counter",
	       "Updates lost because a BPF map was full, by map");
	for (int i = 0; i < TT_H_REPORTED; i++) {
		struct label l = { "map", full_maps[i] };

		if (full_maps[i])
			sample_u64(f, "tcptriage_agent_map_full", "_total", &l, 1, h->kernel[i]);
	}
	family(f, fmt, "tcptriage_agent_map_evicted", "counter",
	       "Entries the kernel evicted from a full LRU map (at least), by map");
	for (int m = 0; m < LRU_MAPS; m++) {
		struct label l = { "map", lru_map_names[m] };

		sample_u64(f, "tcptriage_agent_map_evicted", "_total", &l, 1, h->evicted[m]);
	}
	agent_counter(f, fmt, "tcptriage_agent_events_without_socket",
		      "Events counted without their socket (classic tracepoints of socket memory "
		      "limits and full receive queues): owner and namespace unknown",
		      h->kernel[TT_H_NO_SOCKET]);
	agent_counter(f, fmt, "tcptriage_agent_kernel_read_failures",
		      "Records dropped because kernel memory could not be read",
		      h->kernel[TT_H_READ_FAILED]);
	agent_counter(f, fmt, "tcptriage_agent_records_malformed",
		      "Ring buffer records dropped as malformed", h->records_malformed);
	agent_counter(f, fmt, "tcptriage_agent_runs_skipped",
		      "Program runs the kernel skipped because the same program was already "
		      "running on that CPU (recursion_misses): their events are not counted",
		      h->runs_skipped);
	agent_counter(f, fmt, "tcptriage_agent_owner_rescans",
		      "Walks of every open file for the owners of sockets with events and none "
		      "(UDP sockets opened since the start)", h->owner_rescans);
	agent_counter(f, fmt, "tcptriage_agent_owners_rescan_learned",
		      "Socket owners those walks learned", h->owners_rescan_learned);
	agent_seconds(f, fmt, "tcptriage_agent_cpu_seconds", true,
		      "CPU time the agent process used (user + system)", h->cpu_s);
	agent_counter(f, fmt, "tcptriage_agent_ticks", "Ticks the agent ran (read, evaluate, report)",
		      h->ticks.n);
	agent_seconds(f, fmt, "tcptriage_agent_tick_seconds", true, "Time the agent's ticks took",
		      h->ticks.sum_ms / 1e3);
	agent_seconds(f, fmt, "tcptriage_agent_tick_max_seconds", false, "The longest tick so far",
		      h->ticks.max_ms / 1e3);
	agent_seconds(f, fmt, "tcptriage_agent_namespace_reading_age_seconds", false,
		      "Age of the oldest network namespace counter reading at the last tick "
		      "(namespaces are read within a time budget per tick)",
		      h->ns_age_s_max);
}

/* Every signal's events and, where it means something, its amount. */
static void signal_families(FILE *f, enum metrics_format fmt, const struct metrics_input *in)
{
	for (size_t i = 0; i < signal_count; i++) {
		counter_family(f, fmt, in, &signal_table[i], false);
		if (signal_table[i].amount)
			counter_family(f, fmt, in, &signal_table[i], true);
	}
}

int metrics_render(FILE *f, const struct metrics_input *in, enum metrics_format fmt)
{
	signal_families(f, fmt, in);
	findings_family(f, fmt, in);
	tcp_memory_families(f, fmt, in);
	agent_families(f, fmt, in->health);
	if (fmt == METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}
