// SPDX-License-Identifier: GPL-2.0
/*
 * syscost: what one system call costs, for the bench's rounds with and
 * without an agent.  A tracing tool can tax every syscall on the host, not
 * only the ones it watches (a syscall tracepoint puts every task's every
 * syscall on the tracing path), so the cheapest call is timed: getppid().
 *   syscost [--calls N]  -> "ns_per_syscall=X" (the fastest of 5 batches of N)
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

#define BATCHES 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per call over one batch; syscall(), not getppid(): libc may not enter the kernel */
static double batch_ns(uint64_t calls)
{
	double start = now_ns();

	for (uint64_t i = 0; i < calls; i++)
		syscall(SYS_getppid);
	return (now_ns() - start) / (double)calls;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "calls", required_argument, NULL, 'n' }, {} };
	uint64_t calls = 2000000;
	double best = 0;
	int c;

	while ((c = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		if (c != 'n')
			return cli_option_error(argv, c);
		if (cli_parse_u64("--calls", optarg, 1000, 1000000000, &calls))
			return EXIT_USAGE;
	}
	/* the fastest batch: another task's burst only ever slows one down */
	for (int i = 0; i < BATCHES; i++) {
		double ns = batch_ns(calls);

		if (!best || ns < best)
			best = ns;
	}
	printf("ns_per_syscall=%.1f\n", best);
	return 0;
}
