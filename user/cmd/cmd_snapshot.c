// SPDX-License-Identifier: GPL-2.0
/* `tcptriage snapshot`: who holds TCP memory right now, by process, cgroup and netns. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "json.h"
#include "loader.h"
#include "snapshot.h"

static const char snapshot_usage[] =
	"Usage: tcptriage snapshot [--json] [--top N] [--netns INODE] [--btf FILE] [-v]\n"
	"\n"
	"Every TCP socket now (listeners, connections, orphans, SYN-RECV and TIME-WAIT),\n"
	"read in the kernel, joined to the processes holding them, grouped by process,\n"
	"cgroup and network namespace, largest holders first, with totals reconciled\n"
	"against /proc/net/sockstat. Bytes = rmem_alloc + wmem_queued + forward_alloc.\n"
	"\n"
	"  -j, --json          JSON Lines (contract v1): one \"snapshot\" line per holder,\n"
	"                      then a totals line (\"group\":\"total\")\n"
	"  -n, --top N         holders shown per grouping, 1-1000000 (default 10)\n"
	"  -N, --netns INODE   only this network namespace (default: every namespace\n"
	"                      of a process or in /run/netns)\n"
	"      --btf FILE      kernel BTF to use when the kernel has no\n"
	"                      /sys/kernel/btf/vmlinux (e.g. from BTFHub)\n"
	"  -v, --verbose       libbpf debug output on stderr\n"
	"  -h, --help          this help\n";

struct snapshot_args {
	bool json;
	bool verbose;
	const char *btf_path;
	uint64_t top;
	struct snapshot_opts opts;
};

static int parse_args(int argc, char **argv, struct snapshot_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 'n' },
		{ "netns", required_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "btf", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t v;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jn:N:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'n':
			if (cli_parse_u64("--top", optarg, 1, 1000000, &a->top))
				return EXIT_USAGE;
			break;
		case 'N':
			if (cli_parse_u64("--netns", optarg, 1, UINT32_MAX, &v))
				return EXIT_USAGE;
			a->opts.netns = v;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'B':
			if (cli_parse_btf(optarg, &a->btf_path))
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(snapshot_usage, stdout);
			return -1;
		default:
			return cli_option_error(argv, c);
		}
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "snapshot: unexpected argument '%s'", argv[optind]);
	return 0;
}

/* ------------------------------------------------------------- JSON */

static void json_begin(struct jw *w, const struct snapshot *s, const char *group)
{
	jw_record_begin(w, s->taken, "snapshot"); /* stamped when it was taken */
	jw_kv_str(w, "group", group);
}

static void json_states(struct jw *w, const __u32 states[SNAP_TCP_STATES])
{
	jw_key(w, "states");
	jw_obj_begin(w);
	for (unsigned int st = 0; st < SNAP_TCP_STATES; st++)
		if (states[st])
			jw_kv_u64(w, snap_state_id(st), states[st]);
	jw_obj_end(w);
}

static void json_memory(struct jw *w, const struct snap_holder *h)
{
	jw_kv_u64(w, "sockets", h->sockets);
	jw_kv_u64(w, "orphans", h->orphans);
	json_states(w, h->states);
	jw_kv_u64(w, "bytes", h->bytes);
	jw_kv_u64(w, "rmem_alloc", h->rmem_alloc);
	jw_kv_u64(w, "wmem_queued", h->wmem_queued);
	jw_kv_i64(w, "forward_alloc", h->forward_alloc);
	jw_kv_u64(w, "wmem_alloc", h->wmem_alloc);
	jw_kv_u64(w, "recv_q", h->recv_q);
	jw_kv_u64(w, "send_q", h->send_q);
	jw_kv_str(w, "reason", snap_reason_id(h->reason));
	if (h->reason != SNAP_REASON_NONE)
		jw_kv_str(w, "reason_text", snap_reason_text(h->reason));
}

static void json_holder(struct jw *w, const struct snapshot *s, enum snap_group by,
			const struct snap_holder *h, size_t rank)
{
	json_begin(w, s, snap_group_name(by));
	jw_kv_u64(w, "rank", rank);
	if (by == SNAP_BY_PROCESS) {
		jw_key(w, "pid");
		if (h->tgid)
			jw_u64(w, h->tgid);
		else
			jw_null(w);
		jw_key(w, "comm");
		if (h->tgid)
			jw_strn(w, h->comm, strnlen(h->comm, sizeof(h->comm)));
		else
			jw_null(w);
		jw_kv_u64(w, "fds", h->fds);
		jw_kv_bool(w, "owner_remembered", h->remembered);
	} else {
		jw_kv_u64(w, "processes", h->processes);
	}
	if (by != SNAP_BY_NETNS)
		jw_kv_u64(w, "cgroup", h->cgroup);
	jw_kv_u64(w, "netns", h->netns);
	json_memory(w, h);
	jw_obj_end(w);
	jw_line_end(w);
}

static void json_totals(struct jw *w, const struct snapshot *s, const struct snap_totals *t)
{
	json_begin(w, s, "total");
	jw_kv_u64(w, "processes", t->processes);
	jw_kv_u64(w, "timewait", t->timewait);
	jw_kv_u64(w, "requests", t->requests);
	json_memory(w, &t->all);
	jw_kv_str(w, "bytes_are", "rmem_alloc+wmem_queued+forward_alloc");
	jw_kv_u64(w, "netns_read", s->netns_read);
	jw_kv_u64(w, "netns_vanished", s->netns_vanished);
	jw_kv_bool(w, "partial", s->partial);
	jw_key(w, "sockstat");
	jw_obj_begin(w);
	jw_kv_str(w, "scope", "global");
	if (t->sockstat_bytes >= 0) {
		jw_kv_i64(w, "tcp_mem_pages", s->sockstat.tcp_mem_pages);
		jw_kv_i64(w, "tcp_mem_bytes", t->sockstat_bytes);
		jw_kv_i64(w, "difference_bytes", t->difference_bytes);
		jw_kv_i64(w, "tolerance_bytes", t->tolerance_bytes);
		jw_kv_i64(w, "inuse", s->sockstat.tcp_inuse);
		jw_kv_i64(w, "orphan", s->sockstat.tcp_orphan);
		jw_kv_i64(w, "tw", s->sockstat.tcp_tw);
	}
	jw_kv_i64(w, "page_size", s->page_size);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_line_end(w);
}

/* ------------------------------------------------------------- text */

static const char *human(char buf[16], __s64 v)
{
	static const char units[] = "KMGT";
	double d = v < 0 ? -(double)v : v;
	int u = -1;

	if (d < 1024) {
		snprintf(buf, 16, "%lld", (long long)v);
		return buf;
	}
	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): d >= 1024 above, so u >= 0 */
	snprintf(buf, 16, "%s%.*f%c", v < 0 ? "-" : "", d < 10 ? 1 : 0, d, units[u]);
	return buf;
}

/* "ESTAB 1000, LISTEN 1": the `show` largest states, then "+N more". */
static void states_text(char *buf, size_t len, const __u32 states[SNAP_TCP_STATES], size_t show)
{
	__u32 left[SNAP_TCP_STATES];
	size_t off = 0, shown = 0, more = 0;

	memcpy(left, states, sizeof(left));
	buf[0] = 0;
	for (;;) {
		unsigned int best = 0;

		for (unsigned int st = 1; st < SNAP_TCP_STATES; st++)
			if (left[st] > left[best])
				best = st;
		if (!left[best])
			break;
		if (shown++ < show && off < len)
			off += snprintf(buf + off, len - off, "%s%s %u", off ? ", " : "",
					snap_state_ss(best), left[best]);
		else
			more++;
		left[best] = 0;
	}
	if (more && off < len)
		snprintf(buf + off, len - off, ", +%zu more", more);
}

static void text_memory(const struct snap_holder *h)
{
	char st[96], r[16], w[16], f[16], b[16];

	states_text(st, sizeof(st), h->states, 2);
	printf("%6u  %-34s %7s %7s %7s %7s  %s\n", h->sockets, st, human(r, h->rmem_alloc),
	       human(w, h->wmem_queued), human(f, h->forward_alloc), human(b, h->bytes),
	       snap_reason_text(h->reason));
}

static void text_holder(enum snap_group by, const struct snap_holder *h)
{
	char comm[64];

	if (by == SNAP_BY_PROCESS && h->tgid) {
		text_sanitize(comm, sizeof(comm), h->comm, strnlen(h->comm, sizeof(h->comm)));
		printf("%-8u %-16s %10u %4u ", h->tgid, comm, h->netns, h->fds);
	} else if (by == SNAP_BY_PROCESS) {
		printf("%-8s %-16s %10u %4s ", "-", "(no process)", h->netns, "-");
	} else if (by == SNAP_BY_CGROUP) {
		printf("%-20llu %5u ", (unsigned long long)h->cgroup, h->processes);
	} else {
		printf("%-20u %5u ", h->netns, h->processes);
	}
	text_memory(h);
}

static void text_header(enum snap_group by)
{
	static const char mem[] = "%6s  %-34s %7s %7s %7s %7s  %s\n";

	if (by == SNAP_BY_PROCESS) {
		printf("\nBy process\n%-8s %-16s %10s %4s ", "PID", "COMM", "NETNS", "FDS");
	} else {
		printf("\nBy %s\n%-20s %5s ", by == SNAP_BY_CGROUP ? "cgroup" : "network namespace",
		       by == SNAP_BY_CGROUP ? "CGROUP" : "NETNS", "PROCS");
	}
	printf(mem, "SOCKS", "STATES", "RMEM", "WMEM-Q", "FWD", "BYTES", "REASON");
}

static void text_totals(const struct snapshot *s, const struct snap_totals *t)
{
	char st[160], r[16], w[16], f[16], b[16], k[16], d[16];
	long pages = s->page_size;

	states_text(st, sizeof(st), t->all.states, SNAP_TCP_STATES);
	printf("\nTotals: %u sockets (%s), %u processes, %u orphans\n", t->all.sockets, st,
	       t->processes, t->all.orphans);
	printf("  rmem_alloc %s + wmem_queued %s + forward_alloc %s = %s (%llu pages)\n",
	       human(r, t->all.rmem_alloc), human(w, t->all.wmem_queued),
	       human(f, t->all.forward_alloc), human(b, t->all.bytes),
	       (unsigned long long)(t->all.bytes / pages));
	if (t->sockstat_bytes < 0) {
		puts("  /proc/net/sockstat: unreadable, no reconciliation");
		return;
	}
	printf("  /proc/net/sockstat TCP mem %lld pages (%s, all namespaces)",
	       (long long)s->sockstat.tcp_mem_pages, human(k, t->sockstat_bytes));
	printf(": difference %+lld pages (%s); per-CPU batching alone allows +-%lld\n",
	       (long long)(t->difference_bytes / pages), human(d, t->difference_bytes),
	       (long long)(t->tolerance_bytes / pages));
	if (s->partial)
		puts("  (only one network namespace was read: sockstat counts every namespace)");
}

/* ----------------------------------------------------------- output */

static int print_group(const struct snapshot *s, enum snap_group by, size_t top, struct jw *w)
{
	struct snap_holder *h;
	ssize_t n = snapshot_group(s, by, top, &h);

	if (n < 0)
		return n;
	if (!w && n)
		text_header(by);
	for (ssize_t i = 0; i < n; i++) {
		if (w)
			json_holder(w, s, by, &h[i], i + 1);
		else
			text_holder(by, &h[i]);
	}
	free(h);
	return 0;
}

static int print_snapshot(const struct snapshot *s, const struct snapshot_args *a)
{
	struct jw *w = NULL;
	struct snap_totals t;
	int ret = 0;

	if (a->json && !(w = jw_new(stdout)))
		return -errno;
	snapshot_totals(s, &t);
	if (!w)
		printf("TCP sockets: %u in %zu network namespace%s; bytes = rmem_alloc + "
		       "wmem_queued + forward_alloc\n",
		       t.all.sockets, s->netns_read, s->netns_read == 1 ? "" : "s");
	for (int by = SNAP_BY_PROCESS; by <= SNAP_BY_NETNS && !ret; by++)
		ret = print_group(s, by, a->top, w);
	if (!ret && w)
		json_totals(w, s, &t);
	else if (!ret)
		text_totals(s, &t);
	jw_free(w);
	return ret;
}

static int take(const struct snapshot_args *a, struct snapshot **out)
{
	struct agent_opts aopts = { .verbose = a->verbose, .iterators_only = true,
				    .btf_path = a->btf_path };
	struct agent *agent;
	char err[256];
	int ret;

	ret = agent__open(&aopts, &agent, err, sizeof(err));
	if (ret)
		return cli_fail(EXIT_ENV, "%s", err);
	ret = snapshot_take(agent__skel(agent), &a->opts, out);
	agent__destroy(agent);
	if (ret == -ENOENT && a->opts.netns)
		return cli_fail(EXIT_USAGE, "no network namespace with inode %u (looked in "
				"/proc/*/ns/net and /run/netns)", a->opts.netns);
	if (ret)
		return cli_fail(EXIT_ENV, "cannot read the sockets: %s", strerror(-ret));
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	struct snapshot_args a = { .top = 10 };
	struct snapshot *s;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	if ((ret = cli_require_bpf_privileges()))
		return ret;
	ret = take(&a, &s);
	if (ret)
		return ret;
	ret = print_snapshot(s, &a);
	snapshot_free(s);
	if (ret)
		return cli_fail(EXIT_ENV, "cannot print the snapshot: %s", strerror(-ret));
	return 0;
}
