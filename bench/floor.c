// SPDX-License-Identifier: GPL-2.0
/*
 * floor: attach the bench's empty programs (and with --ops the one-operation
 * programs) next to a running agent, and turn on BPF run-time statistics
 * (BPF_ENABLE_STATS) for as long as it runs, so that `bpftool prog show`
 * reports run_time_ns/run_cnt for every program in the same window.
 * Prints "ready attached=N" once attached; exits on SIGINT/SIGTERM or after
 * --seconds.  Built into build/bench/, never into the agent.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "floor.skel.h"

#define MAX_SECONDS 3600

struct floor_opts {
	bool ops;
	uint64_t seconds;
};

/*
 * Classic tracepoints (syscalls) need tracefs: like the agent, mount it in a
 * private mount namespace when the host has not, leaving the host as it was.
 */
static void ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0)
		return;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		fprintf(stderr, "floor: cannot mount tracefs: %s\n", strerror(errno));
}

static bool is_op_prog(const struct bpf_program *p)
{
	return strstr(bpf_program__name(p), "__op_") != NULL;
}

/* Attach what was loaded; a hook this kernel lacks is reported, not fatal. */
static int attach_loaded(struct floor_bpf *skel, struct bpf_link **links, size_t max)
{
	struct bpf_program *p;
	size_t n = 0;

	bpf_object__for_each_program(p, skel->obj) {
		if (!bpf_program__autoload(p) || n == max)
			continue;
		links[n] = bpf_program__attach(p);
		if (!links[n]) {
			fprintf(stderr, "floor: %s: %s\n", bpf_program__name(p), strerror(errno));
			continue;
		}
		n++;
	}
	return (int)n;
}

static void wait_until_stopped(uint64_t seconds)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	for (uint64_t i = 0; i < seconds * 10 && !cli_stop; i++)
		nanosleep(&tick, NULL);
}

static int parse_args(int argc, char **argv, struct floor_opts *o)
{
	static const struct option longopts[] = {
		{ "ops", no_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, ":os:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->ops = true;
			break;
		case 's':
			if (cli_parse_u64("--seconds", optarg, 1, MAX_SECONDS, &o->seconds))
				return EXIT_USAGE;
			break;
		case 'h':
			puts("Usage: floor [--ops] [--seconds S]\n"
			     "Attach empty BPF programs on the agent's hooks (--ops: also the\n"
			     "one-operation programs) and keep BPF run-time stats on until killed.");
			return -1;
		default:
			return cli_option_error(argv, c);
		}
	}
	return optind < argc ? cli_fail(EXIT_USAGE, "floor: unexpected argument '%s'",
					 argv[optind]) : 0;
}

int main(int argc, char **argv)
{
	struct floor_opts o = { .seconds = 600 };
	struct bpf_link *links[64] = {};
	struct floor_bpf *skel;
	struct bpf_program *p;
	int ret, stats_fd = -1, attached = 0;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (cli_require_bpf_privileges())
		return EXIT_ENV;
	ensure_tracefs();
	skel = floor_bpf__open();
	if (!skel)
		return cli_fail(EXIT_ENV, "floor: open: %s", strerror(errno));
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, o.ops || !is_op_prog(p));
	ret = floor_bpf__load(skel);
	if (ret) {
		ret = cli_fail(EXIT_ENV, "floor: load: %s", strerror(-ret));
		goto cleanup;
	}
	attached = attach_loaded(skel, links, sizeof(links) / sizeof(links[0]));
	/* stats stay on while this fd is open, and only then */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		ret = cli_fail(EXIT_ENV, "floor: BPF_ENABLE_STATS: %s", strerror(errno));
		goto cleanup;
	}
	cli_install_signals();
	printf("ready attached=%d\n", attached);
	fflush(stdout);
	wait_until_stopped(o.seconds);
	ret = 0;
cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	for (int i = 0; i < attached; i++)
		bpf_link__destroy(links[i]);
	floor_bpf__destroy(skel);
	return ret;
}
