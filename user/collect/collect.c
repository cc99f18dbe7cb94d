// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "collect.h"
#include "evict.h"
#include "mapwalk.h"
#include "procfs.h"
#include "resetflush.h"
#include "snapshot.h"
#include "tcptriage.h"
#include "tcptriage.skel.h"

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void format_endpoint(char *buf, size_t len, const uint8_t addr[16], uint16_t port)
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

void collect_init(struct collector *c, struct tcptriage_bpf *skel, double window_s)
{
	memset(c, 0, sizeof(*c));
	c->skel = skel;
	c->window_s = window_s;
	c->mem_total_kb = read_mem_total_kb();
	c->counts.slot_fd = bpf_map__fd(skel->maps.counts);
	c->counts.fds[0] = bpf_map__fd(skel->maps.counts_a);
	c->counts.fds[1] = bpf_map__fd(skel->maps.counts_b);
	c->counts.gen = 0; /* the loader put counts_a in the slot */
	c->counts.cpu_states_fd = bpf_map__fd(skel->maps.cpu_states);
	c->counts.ctl_fd = bpf_map__fd(skel->maps.ctl);
}

void collect_free(struct collector *c)
{
	ns_table_free(&c->ns);
	sweep_free(&c->sweep);
}

int collect_counts(struct collector *c, struct count_table *delta)
{
	return counts_swap_drain(&c->counts, delta);
}

/* ---------------------------------------------------------------- health */

/*
 * Runs the kernel skipped because the program was already running on that
 * CPU (a softirq event over the same program in process context): events
 * lost before any map sees them (bpf_prog_info.recursion_misses, 5.12+).
 */
static uint64_t runs_skipped(const struct collector *c)
{
	struct bpf_program *prog;
	uint64_t skipped = 0;

	bpf_object__for_each_program(prog, c->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			skipped += info.recursion_misses;
	}
	return skipped;
}

/* The programs' health counters, summed over CPUs. */
static void health_kernel(const struct collector *c, uint64_t out[TT_H_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus > 0 ? ncpus : 1];

	memset(out, 0, sizeof(uint64_t) * TT_H_MAX);
	for (__u32 i = 0; i < TT_H_MAX && ncpus > 0; i++) {
		if (bpf_map__lookup_elem(c->skel->maps.health, &i, sizeof(i), vals,
					 sizeof(__u64) * ncpus, 0))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			out[i] += vals[cpu];
	}
}

void collect_health(const struct collector *c, uint64_t malformed, struct agent_health *h)
{
	struct rusage ru;

	memset(h, 0, sizeof(*h));
	health_kernel(c, h->kernel);
	h->kernel[TT_H_EVENTS] += c->counts.cache_events; /* counted in the caches, not the map */
	memcpy(h->evicted, c->evict.evicted, sizeof(h->evicted));
	h->records_malformed = malformed;
	h->runs_skipped = runs_skipped(c);
	getrusage(RUSAGE_SELF, &ru);
	h->cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void health_since(struct agent_health *d, const struct agent_health *a,
		  const struct agent_health *b)
{
	for (int i = 0; i < TT_H_MAX; i++)
		d->kernel[i] = a->kernel[i] - b->kernel[i];
	for (int m = 0; m < LRU_MAPS; m++)
		d->evicted[m] = a->evicted[m] - b->evicted[m];
	d->records_malformed = a->records_malformed - b->records_malformed;
	d->runs_skipped = a->runs_skipped - b->runs_skipped;
	d->owner_rescans = a->owner_rescans - b->owner_rescans;
	d->owners_rescan_learned = a->owners_rescan_learned - b->owners_rescan_learned;
	d->cpu_s = a->cpu_s - b->cpu_s;
	d->ticks = a->ticks; /* spans of their own: not differences */
	d->ns_age_s_max = a->ns_age_s_max;
}

/* ---------------------------------------------------------------- flows */

#define MAX_STALE_FLOWS 4096 /* forgotten per tick at most */

struct flows_walk {
	struct flow_pick *pick;
	__u64 stale_before_ns; /* 0: keep every flow */
	struct tt_flow_key *stale;
	size_t n_stale;
	uint64_t present; /* every entry walked, kept or not */
};

static int flow_visit(void *ctx, const void *k, const void *v)
{
	const struct tt_flow_key *key = k;
	const struct tt_flow_val *val = v;
	struct flows_walk *w = ctx;
	struct flow_seen f;

	w->present++;
	if (val->last_ns < w->stale_before_ns) {
		if (w->n_stale < MAX_STALE_FLOWS)
			w->stale[w->n_stale++] = *key;
		return 0;
	}
	format_endpoint(f.laddr, sizeof(f.laddr), key->saddr, key->sport);
	format_endpoint(f.raddr, sizeof(f.raddr), key->daddr, key->dport);
	f.netns = key->netns;
	f.tgid = val->tgid;
	f.segs = val->retrans_segs;
	f.resets = val->resets_sent + val->resets_received;
	f.sent = val->segs_out;
	f.sent_retrans = val->total_retrans;
	f.sent_spurious = val->dsack_dups;
	flow_pick_add(w->pick, &f);
	return 0; /* walk on: the count of entries must be whole */
}

/*
 * How long an always-on agent remembers a quiet flow: well past its window, so
 * the map holds what the rules can still use rather than every connection
 * that ever had a retransmit or reset.  A run with no window keeps them all.
 */
static __u64 flows_stale_before(const struct collector *c)
{
	double keep_s = 2 * c->window_s > 120 ? 2 * c->window_s : 120;
	__u64 now = monotonic_ns();

	if (c->window_s <= 0)
		return 0;
	return now > keep_s * 1e9 ? now - (__u64)(keep_s * 1e9) : 0;
}

/* The troubled flows (retransmits, resets) into pick; entries in present. */
static int read_flows(struct collector *c, struct flow_pick *pick, uint64_t *present)
{
	struct flows_walk w = { pick, flows_stale_before(c), NULL, 0, 0 };
	int fd = bpf_map__fd(c->skel->maps.flows);
	int err;

	if (w.stale_before_ns)
		w.stale = calloc(MAX_STALE_FLOWS, sizeof(*w.stale));
	if (!w.stale)
		w.stale_before_ns = 0;
	err = map_walk(fd, sizeof(struct tt_flow_key), sizeof(struct tt_flow_val), flow_visit, &w);
	for (size_t i = 0; i < w.n_stale; i++) {
		if (bpf_map_delete_elem(fd, &w.stale[i]))
			continue; /* evicted meanwhile: not ours to count */
		c->evict.removed_by_us[LRU_FLOWS]++;
		w.present--;
	}
	free(w.stale);
	flow_pick_done(pick);
	*present = w.present;
	return err;
}

/* ---------------------------------------------------------------- owners */

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
	__u64 listener_sk[COLLECT_MAX_SEEN]; /* listeners[i]'s socket, to find it in the sweep */
	size_t n_listeners, max_listeners;
	uint64_t present; /* every entry */
};

/* Sockets sitting in CLOSE_WAIT / FIN_WAIT2, grouped by owner and state. */
static void note_aged(struct owners_walk *w, __u32 tgid, __u32 netns, __u32 state, __u64 since_ns)
{
	/* first seen after the clock was read: not negative, just new */
	double age = since_ns < w->now_ns ? (w->now_ns - since_ns) / 1e9 : 0;
	size_t i;

	for (i = 0; i < w->n_states; i++)
		if (w->states[i].tgid == tgid && w->states[i].state == state)
			break;
	if (i == w->max_states)
		return;
	if (i == w->n_states)
		w->states[w->n_states++] = (struct state_seen){ tgid, netns, state, 0, 0 };
	w->states[i].count++;
	if (age > w->states[i].oldest_s)
		w->states[i].oldest_s = age;
}

static int owner_visit(void *ctx, const void *key, const void *value)
{
	const struct tt_owner *o = value;
	struct owners_walk *w = ctx;

	w->present++;
	if (o->listening && w->n_listeners < w->max_listeners) {
		w->listener_sk[w->n_listeners] = *(const __u64 *)key;
		w->listeners[w->n_listeners++] =
			(struct listener_seen){ o->tgid, o->netns, o->listen_port, o->listen_backlog, 0, 0 };
	}
	return 0;
}

static int read_owners(struct collector *c, struct owners_walk *w)
{
	int err;

	w->now_ns = monotonic_ns();
	err = map_walk(bpf_map__fd(c->skel->maps.owners), sizeof(__u64), sizeof(struct tt_owner),
		       owner_visit, w);
	return err;
}

/* ---------------------------------------------------------------- aged */

/*
 * What the sweep saw of the owners walk's listener at l's address: its drops,
 * its SYN queue, and its backlog now (listen() called again changes it and
 * no state).
 */
static void note_listener(struct owners_walk *w, const struct swept_sock *l)
{
	for (size_t i = 0; i < w->n_listeners; i++)
		if (w->listener_sk[i] == l->skaddr) {
			w->listeners[i].drops = swept_drops(l);
			w->listeners[i].syn_queued = l->syn_peak_older;
			w->listeners[i].backlog = l->backlog;
		}
}

/*
 * The periodic sweep: the sockets in CLOSE_WAIT or FIN_WAIT2, grouped by
 * holder and state, with the oldest age of each group; the listeners' drops
 * and SYN queues.
 */
static int read_aged(struct collector *c, struct owners_walk *w)
{
	int err = sweep_run(&c->sweep, c->skel, w->now_ns, c->window_s);

	if (err)
		return err;
	for (size_t i = 0; i < c->sweep.n; i++) {
		const struct swept_sock *k = &c->sweep.socks[i];

		if (k->state == TCP_LISTEN)
			note_listener(w, k);
		else
			note_aged(w, k->tgid, k->netns, k->state, k->first_ns);
	}
	if (w->states)
		qsort(w->states, w->n_states, sizeof(*w->states), state_cmp_desc);
	return 0;
}

int collect_baseline(struct collector *c)
{
	struct owners_walk w = { .now_ns = monotonic_ns() }; /* no room: nothing noted */

	return read_aged(c, &w);
}

/* ---------------------------------------------------------------- connfails */

static int connfail_cmp_desc(const void *a, const void *b)
{
	const struct connfail_seen *x = a, *y = b;

	return (x->failures < y->failures) - (x->failures > y->failures);
}

struct connfails_walk {
	struct connfail_seen *out;
	size_t n, max;
	uint64_t present;
};

static int connfail_visit(void *ctx, const void *k, const void *v)
{
	const struct tt_flow_key *key = k;
	const struct tt_connfail_val *val = v;
	struct connfails_walk *w = ctx;
	struct connfail_seen *cf;

	if (w->present++ >= w->max)
		return 0; /* walk on: the count of entries must be whole */
	cf = &w->out[w->n++];
	*cf = (struct connfail_seen){ .tgid = val->tgid, .netns = key->netns, .failures = val->failures };
	format_endpoint(cf->raddr, sizeof(cf->raddr), key->daddr, key->dport);
	return 0;
}

/* Destinations connect() failed to reach for lack of ports, most failures first. */
static int read_connfails(struct collector *c, struct connfail_seen *out, size_t max, size_t *n,
			  uint64_t *present)
{
	struct connfails_walk w = { out, 0, max, 0 };
	int err;

	err = map_walk(bpf_map__fd(c->skel->maps.connfails), sizeof(struct tt_flow_key),
		       sizeof(struct tt_connfail_val), connfail_visit, &w);
	qsort(out, w.n, sizeof(*out), connfail_cmp_desc);
	*n = w.n;
	*present = w.present;
	return err;
}

static int count_visit(void *ctx, const void *key, const void *value)
{
	(void)key;
	(void)value;
	++*(uint64_t *)ctx;
	return 0;
}

/* Entries in the procs map now. */
static int count_procs(struct collector *c, uint64_t *present)
{
	*present = 0;
	return map_walk(bpf_map__fd(c->skel->maps.procs), sizeof(__u32), sizeof(struct tt_proc),
			count_visit, present);
}

/* ---------------------------------------------------------------- procfs */

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

void collect_proc(void *ctx, uint32_t tgid, char comm[16], uint64_t *cgroup)
{
	struct collector *c = ctx;
	struct tt_proc proc;
	char path[64], *text = NULL;
	size_t len;

	memset(comm, 0, 16);
	if (!bpf_map__lookup_elem(c->skel->maps.procs, &tgid, sizeof(tgid), &proc, sizeof(proc), 0)) {
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

/* ---------------------------------------------------------------- evidence */

/* A namespace the agent cannot read is said once, not left out silently. */
static void warn_unreadable(struct ns_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		struct ns_state *ns = &t->items[i];

		if (ns->read_err && !ns->warned)
			cli_warn("cannot read network namespace %u%s%s (%s): its counters are not "
				 "seen", ns->inode, ns->name[0] ? " " : "", ns->name,
				 strerror(-ns->read_err));
		ns->warned = ns->read_err != 0;
	}
}

static int first_error(int a, int b)
{
	return a ? a : b;
}

/*
 * Flows, owners (listeners), failed connects and procs: each walk counts
 * its map's entries, so what the kernel evicted from them is counted too.
 */
static int read_lru_maps(struct collector *c, struct tick_evidence *ev, struct diag_input *in,
			 struct owners_walk *ow)
{
	uint64_t before[TT_H_MAX], after[TT_H_MAX], present[LRU_MAPS] = { 0 };
	int err, walk_err[LRU_MAPS];

	err = reset_caches_flush(c->skel); /* before the counts: what it adds to flows is before's */
	health_kernel(c, before);
	walk_err[LRU_FLOWS] = read_flows(c, &ev->flows, &present[LRU_FLOWS]);
	walk_err[LRU_OWNERS] = read_owners(c, ow);
	present[LRU_OWNERS] = ow->present;
	walk_err[LRU_CONNFAILS] = read_connfails(c, ev->connfails, COLLECT_MAX_SEEN,
						 &in->n_connfails, &present[LRU_CONNFAILS]);
	walk_err[LRU_PROCS] = count_procs(c, &present[LRU_PROCS]);
	health_kernel(c, after);
	for (int m = 0; m < LRU_MAPS; m++) {
		err = first_error(err, walk_err[m]);
		if (!walk_err[m]) /* a walk cut short counts too few entries: no count from it */
			evict_count(&c->evict, m, before, after, present[m]);
	}
	return err;
}

void tick_evidence_free(struct tick_evidence *ev)
{
	if (ev)
		flow_pick_free(&ev->flows);
	free(ev);
}

int collect_evidence(struct collector *c, double now, struct tick_evidence *ev, struct diag_input *in)
{
	struct owners_walk ow = { .states = ev->states, .max_states = COLLECT_MAX_SEEN,
				  .listeners = ev->listeners, .max_listeners = COLLECT_MAX_SEEN };
	int err;

	in->states = ev->states;
	in->connfails = ev->connfails;
	in->listeners = ev->listeners;
	err = read_lru_maps(c, ev, in, &ow);
	in->flows = ev->flows.top;
	in->n_flows = ev->flows.n_top;
	in->reset_flows = ev->flows.err ? NULL : ev->flows.resets;
	in->n_reset_flows = ev->flows.n_resets;
	err = first_error(err, ev->flows.err);
	err = first_error(err, read_aged(c, &ow));
	in->n_states = ow.n_states;
	in->n_listeners = ow.n_listeners;
	err = first_error(err, ns_table_refresh(&c->ns, now, c->window_s, NS_READ_BUDGET_S));
	warn_unreadable(&c->ns);
	in->ns = &c->ns;
	read_host_memory(in);
	in->mem_total_kb = c->mem_total_kb;
	in->proc_of = collect_proc;
	in->proc_ctx = c;
	return err;
}
