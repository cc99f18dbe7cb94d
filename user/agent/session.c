// SPDX-License-Identifier: GPL-2.0
/*
 * A session: open the agent, read its ring buffer as records arrive, and on
 * each tick run the stages collect -> window -> engine, printing what they
 * produce.  The stages hold the state; this file only wires them.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "collect.h"
#include "console.h"
#include "engine.h"
#include "holders.h"
#include "kenum.h"
#include "output.h"
#include "privs.h"
#include "records.h"
#include "rescan.h"
#include "session.h"
#include "window.h"
#include "tcptriage.h"
#include "tcptriage.skel.h"

struct session {
	struct session_opts opts;
	struct agent *agent;
	struct tcptriage_bpf *skel;
	struct kernel_names names;
	struct out *out;
	struct ring_buffer *rb;
	struct collector collect;
	struct window window;
	struct engine *engine;
	struct holders *holders; /* socket snapshots for findings: at once, or on a thread */
	struct agent_health health_prev;
	struct verdict_seen verdicts[CV_COUNT];
	uint64_t malformed;
	uint64_t owners_seeded; /* owners the start-up seed learned */
	struct rescan rescan;   /* the seed again, for sockets with events and no owner */
	struct timespec t0, last_tick;
	struct tick_time ticks_since_stats, ticks_total;
	double ns_age_s_max; /* at the end of the last tick */
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

/* ---------------------------------------------------------------- ring buffer */

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
	out_console_event(s->out, rec->hdr.ts_ns, v->verdict, v->cause, m.netns, rec->text, len);
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
	out_reset_event(s->out, rec->hdr.ts_ns, reason, rec->owner.tgid, rec->owner.comm, rec->owner.cgroup,
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

int session_poll(struct session *s, int timeout_ms)
{
	int err = ring_buffer__poll(s->rb, timeout_ms);

	return err == -EINTR ? 0 : err < 0 ? err : 0;
}

/* ---------------------------------------------------------------- tick */

static void tick_time_add(struct tick_time *t, double ms)
{
	t->n++;
	t->sum_ms += ms;
	if (ms > t->max_ms)
		t->max_ms = ms;
}

/* The agent's health since start; ticks: since the stats line when interval. */
static void session_health_now(struct session *s, struct agent_health *h, bool interval)
{
	collect_health(&s->collect, s->malformed, h);
	h->owner_rescans = s->rescan.runs;
	h->owners_rescan_learned = s->rescan.learned;
	h->ticks = interval ? s->ticks_since_stats : s->ticks_total;
	h->ns_age_s_max = s->ns_age_s_max;
}

/*
 * The stats line: what the counters counted, and the agent's own health,
 * since the last tick (its tick times: since the last stats line).  What was
 * read counts even when reading failed midway.
 */
static int tick_counts(struct session *s, struct count_table *delta)
{
	struct agent_health h, dh;
	int err = collect_counts(&s->collect, delta);

	session_health_now(s, &h, true);
	health_since(&dh, &h, &s->health_prev);
	s->health_prev = h;
	out_stats(s->out, session_elapsed(s), since(&s->last_tick), delta, &s->names, &dh);
	s->ticks_since_stats = (struct tick_time){ 0 };
	return err;
}

/* Evidence from the kernel and the window, through the engine. */
static int tick_evaluate(struct session *s, double dt)
{
	struct tick_evidence *ev = calloc(1, sizeof(*ev));
	double now = session_elapsed(s);
	struct diag_input in = {
		.window = window_counts(&s->window),
		.window_s = window_seconds(&s->window, now),
		.names = &s->names,
		.verdicts = s->verdicts,
		.n_verdicts = CV_COUNT,
		.now_s = now,
		.horizon_s = s->opts.horizon_s > 0 ? s->opts.horizon_s : FORECAST_HORIZON_S,
	};
	int err;

	if (!ev)
		return -ENOMEM;
	err = collect_evidence(&s->collect, now, ev, &in);
	peer_table_update(&s->window.peers, in.flows, in.n_flows, dt);
	in.peers = &s->window.peers;
	memory_track_add(&s->window.memory, now, in.tcp_mem_used, in.tcp_mem);
	in.mem = s->window.memory.mem;
	engine_evaluate(s->engine, &in);
	tick_evidence_free(ev);
	return err;
}

/* Sockets with events and no owner: walk the open files again when due (rescan.h). */
static void rescan_owners(struct session *s, double now)
{
	uint64_t learned = 0;
	int err;

	if (!rescan_due(&s->rescan, s->health_prev.kernel[TT_H_UNOWNED], now))
		return;
	err = agent__seed_owners(s->agent, true, &learned);
	if (err && !s->rescan.runs)
		cli_warn("cannot list sockets again for their owners (%s): events on sockets opened "
			 "since the start may stay unattributed", strerror(-err));
	rescan_done(&s->rescan, now, learned);
}

int session_tick(struct session *s)
{
	double dt = since(&s->last_tick);
	struct count_table delta = {};
	struct timespec start;
	int err, err2;

	err = tick_counts(s, &delta);
	clock_gettime(CLOCK_MONOTONIC, &s->last_tick);
	start = s->last_tick;
	rescan_owners(s, session_elapsed(s));
	err2 = window_add(&s->window, session_elapsed(s), &delta);
	err = err ? err : err2;
	counts_free(&delta);
	err2 = tick_evaluate(s, dt);
	tick_time_add(&s->ticks_since_stats, since(&start) * 1e3);
	tick_time_add(&s->ticks_total, since(&start) * 1e3);
	s->ns_age_s_max = ns_table_oldest_reading(&s->collect.ns, session_elapsed(s));
	return err ? err : err2;
}

/* ---------------------------------------------------------------- findings */

static void on_finding_change(void *ctx, const struct finding *f, bool firing)
{
	struct session *s = ctx;

	out_finding(s->out, f, firing ? FINDING_FIRING : FINDING_CLEARED);
	if (s->opts.on_change)
		s->opts.on_change(s->opts.on_change_ctx, f, firing);
}

static enum holders_state on_holders(void *ctx, struct finding *held)
{
	struct session *s = ctx;

	return holders_poll(s->holders, held, session_elapsed(s),
			    s->collect.ns.count <= HOLDERS_INLINE_MAX_NS);
}

void session_each_finding(const struct session *s, finding_fn fn, void *ctx)
{
	engine_each_finding(s->engine, fn, ctx);
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

int session_finish(struct session *s)
{
	struct report rep = { .out = s->out };
	struct agent_health h;
	int err;

	ring_buffer__consume(s->rb);
	holders_wait(s->holders, session_elapsed(s)); /* the report names them */
	err = session_tick(s);
	session_each_finding(s, report_finding, &rep);
	session_health_now(s, &h, false);
	out_end(s->out, session_elapsed(s), &s->window.totals, &s->names, &h, rep.n);
	return err;
}

/* ---------------------------------------------------------------- views */

const struct count_table *session_totals(const struct session *s)
{
	return &s->window.totals;
}

const struct count_table *session_window(const struct session *s)
{
	return window_counts(&s->window);
}

const struct ns_table *session_namespaces(const struct session *s)
{
	return &s->collect.ns;
}

const struct kernel_names *session_names(const struct session *s)
{
	return &s->names;
}

void session_health(struct session *s, struct agent_health *h)
{
	session_health_now(s, h, false);
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

	collect_proc(&s->collect, tgid, comm, &cgroup);
}

/* ---------------------------------------------------------------- open, close */

static void start_line(struct session *s)
{
	struct start_info si = {
		.command = s->opts.command,
		.tracefs = agent__tracefs(s->agent),
		.duration_s = s->opts.duration_s,
		.owners_seeded = s->owners_seeded,
		.owners_map_why = agent__owners_map_why(s->agent),
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
		cli_warn("cannot drop capabilities: %s", strerror(-err));
}

/* Output, ring buffer and the stages, once the agent is attached.  0 or -errno. */
static int session_wire(struct session *s)
{
	struct engine_ops ops = { on_finding_change, on_holders, s };
	int err;

	kernel_names_load(&s->names, s->opts.btf_path);
	collect_init(&s->collect, s->skel, s->opts.window_s);
	s->out = out_new(s->opts.out, s->opts.json);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_record, s, NULL);
	s->engine = engine_new(&ops);
	s->holders = holders_new(s->skel);
	if (!s->out || !s->rb || !s->engine || !s->holders)
		return errno ? -errno : -ENOMEM;
	err = window_init(&s->window, s->opts.window_s);
	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->last_tick = s->t0;
	/* baselines before anything happens; a namespace not read now is read next tick */
	(void)!ns_table_refresh(&s->collect.ns, 0, s->opts.window_s, 0);
	(void)!collect_baseline(&s->collect); /* failing, the first tick's sweep is the baseline */
	return 0;
}

int session_open(const struct session_opts *opts, struct session **out, char *err, size_t len)
{
	struct agent_opts aopts = { .prefer = opts->prefer, .verbose = opts->verbose,
				    .ringbuf_size = opts->ringbuf_kb * 1024,
				    .btf_path = opts->btf_path };
	struct session *s;
	int ret;

	/*
	 * Each tick allocates and frees its evidence (tens of KiB, MiBs of reset
	 * flows in a storm): from mmap at a fixed threshold they go back to the
	 * system when freed.  glibc's moving threshold left them in the heap, and
	 * the heap grew in steps over hours of running (`make soak`).
	 */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	s->opts = *opts;
	ret = agent__open(&aopts, &s->agent, err, len);
	if (ret) {
		free(s);
		return ret < 0 ? ret : -EINVAL;
	}
	s->skel = agent__skel(s->agent);
	ret = agent__seed_owners(s->agent, false, &s->owners_seeded);
	if (ret)
		cli_warn("cannot list existing sockets (%s): their owners stay unknown", strerror(-ret));
	ret = session_wire(s);
	if (ret) {
		snprintf(err, len, "cannot set up output or ring buffer: %s", strerror(-ret));
		session_close(s);
		return ret;
	}
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
	holders_free(s->holders); /* before the skeleton its thread reads */
	engine_free(s->engine);
	window_free(&s->window);
	collect_free(&s->collect);
	agent__destroy(s->agent);
	free(s);
}
