// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "console.h"
#include "counts.h"
#include "kenum.h"
#include "output.h"
#include "mapwalk.h"
#include "nsstate.h"
#include "privs.h"
#include "procfs.h"
#include "enrich.h"
#include "records.h"
#include "incident.h"
#include "rules.h"
#include "session.h"
#include "snapshot.h"
#include "tcptriage.h"
#include "tcptriage.skel.h"

#define MAX_RULES 32
#define MAX_SEEN 64 /* owners or destinations handed to the rules per kind */
#define MAX_HISTORY 3600 /* ticks kept for a sliding window */

struct rule_state {
	bool active; /* fired at the last evaluation */
	bool ever;   /* fired at least once: goes in the report */
	unsigned int episodes; /* times it began firing: the id's number */
	struct finding finding; /* latest evidence */
	struct finding held;    /* what a socket snapshot showed when it last began firing */
};

struct tick_delta {
	double at; /* seconds since start */
	struct count_table delta;
};

struct session {
	struct session_opts opts;
	struct agent *agent;
	struct tcptriage_bpf *skel;
	struct kernel_names names;
	struct out *out;
	struct ring_buffer *rb;
	struct count_table last_read; /* the map as read at the last tick */
	struct count_table totals;    /* every tick's delta since the start (survives LRU evictions) */
	struct count_table window; /* sum of history (sliding window only) */
	struct tick_delta *history;
	size_t history_len;
	struct agent_health health_prev;
	struct verdict_seen verdicts[CV_COUNT];
	struct rule_state rules[MAX_RULES];
	struct finding found[MAX_RULES]; /* this evaluation's findings, before their states */
	struct ns_table ns;
	struct peer_table peers;
	struct tcp_mem_trend mem;
	long mem_total_kb; /* host RAM, for tcp_mem advice */
	double mem_at; /* when mem.now was read */
	struct trend mem_trend; /* TCP memory pages, tick by tick */
	uint64_t malformed;
	struct timespec t0, last_tick;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

double session_elapsed(const struct session *s)
{
	return since(&s->t0);
}

/* "1.2.3.4:80" or "[::1]:80"; v4-mapped addresses print as IPv4. */
static void format_endpoint(char *buf, size_t len, const __u8 addr[16], __u16 port)
{
	static const __u8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char ip[INET6_ADDRSTRLEN] = "?";

	if (!memcmp(addr, v4mapped, 12)) {
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, port);
	} else {
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, port);
	}
}

/* comm and cgroup as the kernel side saw them, else /proc for the comm. */
static void proc_of(void *ctx, uint32_t tgid, char comm[16], uint64_t *cgroup)
{
	struct session *s = ctx;
	struct tt_proc proc;
	char path[64], *text = NULL;
	size_t len;

	memset(comm, 0, 16);
	if (!bpf_map__lookup_elem(s->skel->maps.procs, &tgid, sizeof(tgid), &proc, sizeof(proc), 0)) {
		memcpy(comm, proc.comm, 16);
		*cgroup = proc.cgroup;
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	if (read_file_all(path, &text, &len))
		return;
	text[strcspn(text, "\n")] = 0;
	strncpy(comm, text, 15);
	free(text);
}

static void on_console(struct session *s, const struct tt_rec_console *rec, size_t len)
{
	struct console_match m;
	struct verdict_seen *v;

	if (console_classify(rec->text, len, &m) == CV_NONE)
		return;
	v = &s->verdicts[m.verdict];
	v->verdict = console_verdict_name(m.verdict);
	v->cause = console_verdict_cause(m.verdict);
	v->count++;
	v->netns = m.netns;
	snprintf(v->last, sizeof(v->last), "%.*s", (int)len, rec->text);
	out_console_event(s->out, v->verdict, v->cause, m.netns, rec->text, len);
}

static void on_reset(struct session *s, const struct tt_rec_reset *rec)
{
	char laddr[64], raddr[64], buf[32];
	const char *reason = kenum_name(s->names.rst_reason, rec->reason);

	if (!reason) {
		snprintf(buf, sizeof(buf), "%u", rec->reason);
		reason = buf;
	}
	format_endpoint(laddr, sizeof(laddr), rec->flow.saddr, rec->flow.sport);
	format_endpoint(raddr, sizeof(raddr), rec->flow.daddr, rec->flow.dport);
	out_reset_event(s->out, reason, rec->owner.tgid, rec->owner.comm, rec->owner.cgroup,
			rec->flow.netns, laddr, raddr);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	struct record_view r;

	if (record_decode(data, size, &r)) {
		s->malformed++;
		return 0;
	}
	if (r.type == TT_REC_CONSOLE)
		on_console(s, r.console, r.text_len);
	else if (r.type == TT_REC_RESET)
		on_reset(s, r.reset);
	return 0;
}

static void read_health(struct session *s, struct agent_health *h)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus > 0 ? ncpus : 1];
	struct rusage ru;

	memset(h, 0, sizeof(*h));
	for (__u32 i = 0; i < TT_H_MAX && ncpus > 0; i++) {
		if (bpf_map__lookup_elem(s->skel->maps.health, &i, sizeof(i), vals,
					 sizeof(__u64) * ncpus, 0))
			continue;
		for (int c = 0; c < ncpus; c++)
			h->kernel[i] += vals[c];
	}
	h->records_malformed = s->malformed;
	getrusage(RUSAGE_SELF, &ru);
	h->cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void health_sub(struct agent_health *d, const struct agent_health *a,
		       const struct agent_health *b)
{
	for (int i = 0; i < TT_H_MAX; i++)
		d->kernel[i] = a->kernel[i] - b->kernel[i];
	d->records_malformed = a->records_malformed - b->records_malformed;
	d->cpu_s = a->cpu_s - b->cpu_s;
}

static int flow_cmp_desc(const void *a, const void *b)
{
	const struct flow_seen *x = a, *y = b;

	return (x->segs < y->segs) - (x->segs > y->segs);
}

#define MAX_STALE_FLOWS 4096 /* forgotten per tick at most */

struct flows_walk {
	struct flow_seen *out;
	size_t n, max;
	__u64 stale_before_ns; /* 0: keep every flow */
	struct tt_flow_key *stale;
	size_t n_stale;
};

static int flow_visit(void *ctx, const void *k, const void *v)
{
	const struct tt_flow_key *key = k;
	const struct tt_flow_val *val = v;
	struct flows_walk *w = ctx;
	struct flow_seen *f;

	if (val->last_ns < w->stale_before_ns) {
		if (w->n_stale < MAX_STALE_FLOWS)
			w->stale[w->n_stale++] = *key;
		return 0;
	}
	f = &w->out[w->n++];
	format_endpoint(f->laddr, sizeof(f->laddr), key->saddr, key->sport);
	format_endpoint(f->raddr, sizeof(f->raddr), key->daddr, key->dport);
	f->netns = key->netns;
	f->tgid = val->tgid;
	f->segs = val->retrans_segs;
	f->resets = val->resets_sent + val->resets_received;
	f->sent = val->segs_out;
	f->sent_retrans = val->total_retrans;
	return w->n == w->max;
}

/*
 * How long an always-on agent remembers a quiet flow: well past its window, so
 * the map holds what the rules can still use rather than every connection
 * that ever had a retransmit or reset.  A run with no window keeps them all.
 */
static __u64 flows_stale_before(const struct session *s)
{
	double keep_s = 2 * s->opts.window_s > 120 ? 2 * s->opts.window_s : 120;
	struct timespec ts;
	__u64 now;

	if (s->opts.window_s <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	return now > keep_s * 1e9 ? now - (__u64)(keep_s * 1e9) : 0;
}

/* The troubled flows (retransmits, resets), most retransmitted segments first. */
static size_t read_flows(struct session *s, struct flow_seen *out, size_t max)
{
	struct flows_walk w = { out, 0, max, flows_stale_before(s), NULL, 0 };
	int fd = bpf_map__fd(s->skel->maps.flows);

	if (w.stale_before_ns)
		w.stale = calloc(MAX_STALE_FLOWS, sizeof(*w.stale));
	if (!w.stale)
		w.stale_before_ns = 0;
	map_walk(fd, sizeof(struct tt_flow_key), sizeof(struct tt_flow_val), flow_visit, &w);
	for (size_t i = 0; i < w.n_stale; i++)
		bpf_map_delete_elem(fd, &w.stale[i]);
	free(w.stale);
	qsort(out, w.n, sizeof(*out), flow_cmp_desc);
	return w.n;
}

static void read_host_memory(struct diag_input *in)
{
	struct sockstat ss;

	if (sysctl_read_longs("/proc/sys/net/ipv4/tcp_mem", in->tcp_mem, 3) != 3)
		memset(in->tcp_mem, 0, sizeof(in->tcp_mem));
	if (!sockstat_read("/proc/net/sockstat", &ss)) {
		in->tcp_mem_used = ss.tcp_mem_pages;
		in->orphans = ss.tcp_orphan;
	}
	if (sysctl_read_longs("/proc/sys/net/ipv4/tcp_max_orphans", &in->max_orphans, 1) != 1)
		in->max_orphans = 0;
}

/* The host's RAM does not change while the agent runs: read it once. */
static long read_mem_total_kb(void)
{
	char *text = NULL;
	long kb = 0;
	size_t len;

	if (!read_file_all("/proc/meminfo", &text, &len)) {
		/* NOLINTNEXTLINE(cert-err34-c): a malformed line leaves 0, "unknown" */
		sscanf(text, "MemTotal: %ld", &kb);
		free(text);
	}
	return kb;
}

/* Follow TCP memory from tick to tick: peak, growth, when each threshold was crossed. */
static void track_tcp_mem(struct session *s, const struct diag_input *in)
{
	struct tcp_mem_trend *m = &s->mem;
	double now = session_elapsed(s);

	if (s->mem_at > 0 && now > s->mem_at)
		m->rate = (in->tcp_mem_used - m->now) / (now - s->mem_at);
	s->mem_at = now;
	m->now = in->tcp_mem_used;
	trend_add(&s->mem_trend, now, (double)m->now);
	trend_fit(&s->mem_trend, FORECAST_WINDOW_S, &m->fit);
	if (m->now > m->peak)
		m->peak = m->now;
	if (in->tcp_mem[1] > 0 && m->now >= in->tcp_mem[1] && m->pressure_since_s < 0) {
		m->pressure_since_s = now;
		memcpy(m->crossed_limits, in->tcp_mem, sizeof(m->crossed_limits));
	}
	if (in->tcp_mem[2] > 0 && m->now >= in->tcp_mem[2] && m->max_since_s < 0) {
		m->max_since_s = now;
		memcpy(m->crossed_limits, in->tcp_mem, sizeof(m->crossed_limits));
	}
}

static int state_cmp_desc(const void *a, const void *b)
{
	const struct state_seen *x = a, *y = b;

	return (x->count < y->count) - (x->count > y->count);
}

/* What the rules need from the per-socket entries of the owners map. */
struct owners_walk {
	__u64 now_ns;
	struct state_seen *states;
	size_t n_states, max_states;
	struct listener_seen *listeners;
	size_t n_listeners, max_listeners;
	uint64_t known; /* entries with a known owner */
};

/* Sockets sitting in CLOSE_WAIT / FIN_WAIT2, grouped by owner and state. */
static void note_aged(struct owners_walk *w, const struct tt_owner *o)
{
	/* entered after the clock was read: not negative, just new */
	double age = o->aged_since_ns < w->now_ns ? (w->now_ns - o->aged_since_ns) / 1e9 : 0;
	size_t i;

	for (i = 0; i < w->n_states; i++)
		if (w->states[i].tgid == o->tgid && w->states[i].state == o->aged_state)
			break;
	if (i == w->max_states)
		return;
	if (i == w->n_states)
		w->states[w->n_states++] = (struct state_seen){ o->tgid, o->netns, o->aged_state, 0, 0 };
	w->states[i].count++;
	if (age > w->states[i].oldest_s)
		w->states[i].oldest_s = age;
}

static int owner_visit(void *ctx, const void *key, const void *value)
{
	const struct tt_owner *o = value;
	struct owners_walk *w = ctx;

	(void)key;
	w->known += o->tgid != 0;
	if (o->aged_state)
		note_aged(w, o);
	if (o->listening && w->n_listeners < w->max_listeners)
		w->listeners[w->n_listeners++] =
			(struct listener_seen){ o->tgid, o->netns, o->listen_port, o->listen_backlog };
	return 0;
}

static void read_owners(struct session *s, struct owners_walk *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->now_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	map_walk(bpf_map__fd(s->skel->maps.owners), sizeof(__u64), sizeof(struct tt_owner),
		 owner_visit, w);
	if (w->states)
		qsort(w->states, w->n_states, sizeof(*w->states), state_cmp_desc);
}

static int connfail_cmp_desc(const void *a, const void *b)
{
	const struct connfail_seen *x = a, *y = b;

	return (x->failures < y->failures) - (x->failures > y->failures);
}

struct connfails_walk {
	struct connfail_seen *out;
	size_t n, max;
};

static int connfail_visit(void *ctx, const void *k, const void *v)
{
	const struct tt_flow_key *key = k;
	const struct tt_connfail_val *val = v;
	struct connfails_walk *w = ctx;
	struct connfail_seen *c = &w->out[w->n++];

	*c = (struct connfail_seen){ .tgid = val->tgid, .netns = key->netns, .failures = val->failures };
	format_endpoint(c->raddr, sizeof(c->raddr), key->daddr, key->dport);
	return w->n == w->max;
}

/* Destinations connect() failed to reach for lack of ports, most failures first. */
static size_t read_connfails(struct session *s, struct connfail_seen *out, size_t max)
{
	struct connfails_walk w = { out, 0, max };

	map_walk(bpf_map__fd(s->skel->maps.connfails), sizeof(struct tt_flow_key),
		 sizeof(struct tt_connfail_val), connfail_visit, &w);
	qsort(out, w.n, sizeof(*out), connfail_cmp_desc);
	return w.n;
}

static double window_span(const struct session *s)
{
	double elapsed = session_elapsed(s);

	return s->opts.window_s > 0 && s->opts.window_s < elapsed ? s->opts.window_s : elapsed;
}

static void finding_changed(struct session *s, const struct finding *f, bool firing)
{
	out_finding(s->out, f, firing ? FINDING_FIRING : FINDING_CLEARED);
	if (s->opts.on_change)
		s->opts.on_change(s->opts.on_change_ctx, f, firing);
}

/* A finding about held resources names the holders as they were when it began firing. */
/*
 * Keep only what the snapshot said about this finding, not the snapshot: on a
 * host with 100k sockets it is tens of MiB, which go back to the system now.
 */
static void take_holders(struct session *s, struct rule_state *rs, const char *cause)
{
	struct snapshot_opts all = { 0 };
	struct snapshot *snap;

	memset(&rs->held, 0, sizeof(rs->held));
	rs->held.cause = cause;
	if (snapshot_take(s->skel, &all, &snap))
		return; /* the counters' culprits stay */
	enrich_finding(&rs->held, snap);
	snapshot_free(snap);
	malloc_trim(0);
}

static void rule_enrich(struct session *s, struct rule_state *rs, struct finding *f)
{
	if (!enrich_wants_snapshot(f->cause))
		return;
	if (!rs->active)
		take_holders(s, rs, f->cause);
	finding_merge(f, &rs->held);
}

static void rule_update(struct session *s, struct rule_state *rs, struct finding *f)
{
	if (f)
		rule_enrich(s, rs, f);
	if (f && !rs->active) {
		rs->episodes++;
		finding_changed(s, f, true);
	}
	else if (!f && rs->active)
		finding_changed(s, &rs->finding, false);
	rs->active = f != NULL;
	if (f) {
		rs->ever = true;
		rs->finding = *f;
	}
}

/* Every rule, then the links between what fired, then each finding's state. */
static void evaluate_and_link(struct session *s, const struct diag_input *in)
{
	size_t n = rule_count < MAX_RULES ? rule_count : MAX_RULES;
	bool fired[MAX_RULES];

	for (size_t i = 0; i < n; i++) {
		struct rule_state *rs = &s->rules[i];
		struct finding *f = &s->found[i];

		memset(f, 0, sizeof(*f));
		f->cause = rule_table[i].cause;
		fired[i] = rule_table[i].eval(in, f);
		if (fired[i])
			incident_set_id(f, rs->episodes + !rs->active);
	}
	incidents_link(in, s->found, fired, n);
	for (size_t i = 0; i < n; i++)
		rule_update(s, &s->rules[i], fired[i] ? &s->found[i] : NULL);
}

static void evaluate_rules(struct session *s, double dt)
{
	struct flow_seen flows[MAX_FLOWS];
	struct state_seen states[MAX_SEEN];
	struct connfail_seen connfails[MAX_SEEN];
	struct listener_seen listeners[MAX_SEEN];
	struct owners_walk ow = { .states = states, .max_states = MAX_SEEN,
				  .listeners = listeners, .max_listeners = MAX_SEEN };
	struct diag_input in = {
		.window = session_window(s),
		.window_s = window_span(s),
		.names = &s->names,
		.verdicts = s->verdicts,
		.n_verdicts = CV_COUNT,
		.ns = &s->ns,
		.states = states,
		.connfails = connfails,
		.listeners = listeners,
		.proc_of = proc_of,
		.proc_ctx = s,
	};

	in.flows = flows;
	in.n_flows = read_flows(s, flows, MAX_FLOWS);
	peer_table_update(&s->peers, flows, in.n_flows, dt);
	in.peers = &s->peers;
	read_owners(s, &ow);
	in.n_states = ow.n_states;
	in.n_listeners = ow.n_listeners;
	in.n_connfails = read_connfails(s, connfails, MAX_SEEN);
	ns_table_refresh(&s->ns, session_elapsed(s), s->opts.window_s);
	read_host_memory(&in);
	in.mem_total_kb = s->mem_total_kb;
	in.now_s = session_elapsed(s);
	in.horizon_s = s->opts.horizon_s > 0 ? s->opts.horizon_s : FORECAST_HORIZON_S;
	track_tcp_mem(s, &in);
	in.mem = s->mem;
	evaluate_and_link(s, &in);
}

/* Keep delta in the history and rebuild the window from what is recent enough. */
static int window_push(struct session *s, struct count_table *delta)
{
	double now = session_elapsed(s);
	size_t drop = 0;
	int err = 0;

	while (drop < s->history_len && (s->history_len - drop >= MAX_HISTORY ||
					 s->history[drop].at <= now - s->opts.window_s))
		counts_free(&s->history[drop++].delta);
	memmove(s->history, s->history + drop, (s->history_len - drop) * sizeof(*s->history));
	s->history_len -= drop;
	s->history[s->history_len++] = (struct tick_delta){ now, *delta };
	*delta = (struct count_table){};
	counts_free(&s->window);
	for (size_t i = 0; i < s->history_len && !err; i++)
		err = counts_accumulate(&s->window, &s->history[i].delta);
	return err;
}

int session_tick(struct session *s)
{
	struct agent_health h, dh;
	double dt;
	struct count_table cur, delta;
	int err;

	err = counts_read(bpf_map__fd(s->skel->maps.counts), &cur);
	if (err)
		return err;
	err = counts_delta(&s->last_read, &cur, &delta);
	if (err) {
		counts_free(&cur);
		return err;
	}
	read_health(s, &h);
	health_sub(&dh, &h, &s->health_prev);
	dt = since(&s->last_tick);
	out_stats(s->out, dt, &delta, &s->names, &dh);
	clock_gettime(CLOCK_MONOTONIC, &s->last_tick);
	counts_free(&s->last_read);
	s->last_read = cur;
	s->health_prev = h;
	err = counts_accumulate(&s->totals, &delta);
	if (!err && s->opts.window_s > 0)
		err = window_push(s, &delta);
	counts_free(&delta);
	evaluate_rules(s, dt);
	return err;
}

int session_poll(struct session *s, int timeout_ms)
{
	int err = ring_buffer__poll(s->rb, timeout_ms);

	return err == -EINTR ? 0 : err < 0 ? err : 0;
}

/* Is the root f names among the findings (so f is listed under it)? */
static bool caused_by_listed(const struct session *s, const struct finding *f)
{
	for (size_t i = 0; i < rule_count && i < MAX_RULES; i++)
		if (s->rules[i].ever && !strcmp(s->rules[i].finding.id, f->caused_by) &&
		    !s->rules[i].finding.caused_by[0])
			return true;
	return false;
}

typedef void (*finding_fn)(void *ctx, const struct finding *f, bool active);

static void each_symptom_of(const struct session *s, const struct finding *root, finding_fn fn,
			    void *ctx)
{
	for (size_t i = 0; i < rule_count && i < MAX_RULES; i++) {
		const struct finding *f = &s->rules[i].finding;

		if (s->rules[i].ever && f->caused_by[0] && !strcmp(f->caused_by, root->id))
			fn(ctx, f, s->rules[i].active);
	}
}

/* Every finding that fired, by incident: each root cause, then the symptoms it caused. */
void session_each_finding(const struct session *s, finding_fn fn, void *ctx)
{
	for (size_t i = 0; i < rule_count && i < MAX_RULES; i++) {
		const struct finding *f = &s->rules[i].finding;

		if (!s->rules[i].ever || (f->caused_by[0] && caused_by_listed(s, f)))
			continue;
		fn(ctx, f, s->rules[i].active);
		each_symptom_of(s, f, fn, ctx);
	}
}

struct report {
	struct out *out;
	size_t n;
};

static void report_finding(void *ctx, const struct finding *f, bool active)
{
	struct report *r = ctx;

	(void)active;
	out_finding(r->out, f, FINDING_FINAL);
	r->n++;
}

void session_finish(struct session *s)
{
	struct report rep = { .out = s->out };
	struct agent_health h;

	ring_buffer__consume(s->rb);
	session_tick(s);
	session_each_finding(s, report_finding, &rep);
	read_health(s, &h);
	out_end(s->out, session_elapsed(s), &s->totals, &s->names, &h, rep.n);
}

const struct count_table *session_totals(const struct session *s)
{
	return &s->totals;
}

const struct count_table *session_window(const struct session *s)
{
	return s->opts.window_s > 0 ? &s->window : &s->totals;
}

const struct ns_table *session_namespaces(const struct session *s)
{
	return &s->ns;
}

const struct kernel_names *session_names(const struct session *s)
{
	return &s->names;
}

void session_health(struct session *s, struct agent_health *h)
{
	read_health(s, h);
}

int session_output_error(const struct session *s)
{
	return out_error(s->out);
}

size_t session_gaps(const struct session *s, char *buf, size_t len)
{
	return agent__gaps(s->agent, buf, len);
}

int session_poll_fd(const struct session *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

void session_comm(struct session *s, uint32_t tgid, char comm[16])
{
	uint64_t cgroup;

	proc_of(s, tgid, comm, &cgroup);
}

static uint64_t count_owners(struct session *s)
{
	struct owners_walk w = { .now_ns = 0 };

	read_owners(s, &w);
	return w.known;
}

static void start_line(struct session *s)
{
	struct start_info si = {
		.command = s->opts.command,
		.tracefs = agent__tracefs(s->agent),
		.duration_s = s->opts.duration_s,
		.owners_seeded = count_owners(s),
		.btf = agent__btf_source(s->agent),
		.features = agent__features(s->agent),
	};

	si.hooks = agent__hooks(s->agent, &si.n_hooks);
	out_start(s->out, &si);
}

/*
 * Once loaded and attached, the agent reads its maps and ring buffer through
 * fds it already holds, which needs no capability; it keeps only these.
 */
static const struct priv_keep session_privs[] = {
	/* iter/tcp sees only the netns of the thread that creates it */
	{ CAP_SYS_ADMIN, "setns() into each network namespace for socket snapshots" },
	/* namespaces without a /run/netns name (containers) are reachable only so */
	{ CAP_SYS_PTRACE, "open /proc/<pid>/ns/net of processes with other credentials" },
};

static void drop_privileges(void)
{
	int err = privs_drop_except(session_privs, sizeof(session_privs) / sizeof(session_privs[0]));

	if (err)
		fprintf(stderr, "tcptriage: warning: cannot drop capabilities: %s\n", strerror(-err));
}

int session_open(const struct session_opts *opts, struct session **out)
{
	struct agent_opts aopts = { .prefer = opts->prefer, .verbose = opts->verbose,
				    .ringbuf_size = opts->ringbuf_kb * 1024,
				    .btf_path = opts->btf_path };
	struct session *s = calloc(1, sizeof(*s));
	char err[256];
	int ret;

	if (!s)
		return cli_fail(EXIT_ENV, "out of memory");
	s->opts = *opts;
	ret = agent__open(&aopts, &s->agent, err, sizeof(err));
	if (ret) {
		free(s);
		return cli_fail(EXIT_ENV, "%s", err);
	}
	s->skel = agent__skel(s->agent);
	ret = agent__seed_owners(s->agent);
	if (ret)
		fprintf(stderr, "tcptriage: warning: cannot list existing sockets (%s): "
			"their owners stay unknown\n", strerror(-ret));
	kernel_names_load(&s->names, opts->btf_path);
	s->out = out_new(opts->out, opts->json);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_record, s, NULL);
	s->history = calloc(MAX_HISTORY, sizeof(*s->history));
	if (!s->out || !s->rb || !s->history) {
		session_close(s);
		return cli_fail(EXIT_ENV, "cannot set up output or ring buffer: %s", strerror(errno));
	}
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->last_tick = s->t0;
	s->mem.pressure_since_s = s->mem.max_since_s = -1;
	s->mem_total_kb = read_mem_total_kb();
	ns_table_refresh(&s->ns, 0, s->opts.window_s); /* baselines before anything happens */
	start_line(s);
	drop_privileges();
	*out = s;
	return 0;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	out_free(s->out);
	kernel_names_free(&s->names);
	counts_free(&s->last_read);
	counts_free(&s->totals);
	counts_free(&s->window);
	ns_table_free(&s->ns);
	peer_table_free(&s->peers);
	for (size_t i = 0; i < s->history_len; i++)
		counts_free(&s->history[i].delta);
	free(s->history);
	agent__destroy(s->agent);
	free(s);
}
