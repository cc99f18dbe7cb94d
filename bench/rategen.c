// SPDX-License-Identifier: GPL-2.0
/*
 * rategen: connect() to a closed TCP port at a fixed rate, so each attempt
 * makes a known set of events (one RST sent, one received, one drop, a few
 * state changes) at a rate the bench controls.  Paced per millisecond; when
 * it cannot keep up it says so (the achieved rate is printed):
 *   rategen --host ADDR --port P --rate R [--seconds S] [--workers N]
 *   -> "attempts=N refused=M rate=R/s"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

#define MAX_RATE 10000000
#define MAX_SECONDS 600
#define MAX_WORKERS 64
#define BATCH 64 /* attempts between clock reads when behind */

struct rate_opts {
	struct sockaddr_in addr;
	uint64_t rate, seconds, workers;
};

struct tally {
	uint64_t attempts, refused;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool connect_refused(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool refused;

	if (fd < 0)
		return false;
	refused = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) &&
		  errno == ECONNREFUSED;
	close(fd);
	return refused;
}

/* Keep attempts at rate * elapsed: catch up in small batches, else sleep 1 ms. */
static void run_paced(const struct rate_opts *o, double rate, struct tally *t)
{
	struct timespec tick = { 0, 1000 * 1000 };
	double start = now_s(), elapsed;

	while (!cli_stop && (elapsed = now_s() - start) < (double)o->seconds) {
		if (t->attempts >= rate * elapsed) {
			nanosleep(&tick, NULL);
			continue;
		}
		for (int i = 0; i < BATCH && t->attempts < rate * elapsed; i++) {
			t->attempts++;
			t->refused += connect_refused(&o->addr);
		}
	}
}

static int run_workers(const struct rate_opts *o, struct tally *sum)
{
	struct tally *t = mmap(NULL, o->workers * sizeof(*t), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED)
		return -errno;
	memset(t, 0, o->workers * sizeof(*t));
	for (uint64_t i = 0; i < o->workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			run_paced(o, (double)o->rate / o->workers, &t[i]);
			_exit(0);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	for (uint64_t i = 0; i < o->workers; i++) {
		sum->attempts += t[i].attempts;
		sum->refused += t[i].refused;
	}
	munmap(t, o->workers * sizeof(*t));
	return 0;
}

static int parse_args(int argc, char **argv, struct rate_opts *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{}
	};
	uint64_t port = 0;
	int c;

	while ((c = getopt_long(argc, argv, ":H:p:r:s:w:", longopts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case 'H':
			if (inet_pton(AF_INET, optarg, &o->addr.sin_addr) != 1)
				return cli_fail(EXIT_USAGE, "rategen: bad IPv4 address '%s'", optarg);
			break;
		case 'p':
			err = cli_parse_u64("--port", optarg, 1, 65535, &port);
			break;
		case 'r':
			err = cli_parse_u64("--rate", optarg, 1, MAX_RATE, &o->rate);
			break;
		case 's':
			err = cli_parse_u64("--seconds", optarg, 1, MAX_SECONDS, &o->seconds);
			break;
		case 'w':
			err = cli_parse_u64("--workers", optarg, 1, MAX_WORKERS, &o->workers);
			break;
		default:
			return cli_option_error(argv, c);
		}
		if (err)
			return EXIT_USAGE;
	}
	if (!port || !o->rate || !o->addr.sin_addr.s_addr)
		return cli_fail(EXIT_USAGE, "rategen: --host, --port and --rate are required");
	o->addr.sin_family = AF_INET;
	o->addr.sin_port = htons((uint16_t)port);
	return 0;
}

int main(int argc, char **argv)
{
	struct rate_opts o = { .seconds = 3, .workers = 1 };
	struct tally sum = {};
	double start;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	cli_install_signals();
	start = now_s();
	ret = run_workers(&o, &sum);
	if (ret)
		return cli_fail(EXIT_ENV, "rategen: %s", strerror(-ret));
	printf("attempts=%llu refused=%llu rate=%.0f/s\n", (unsigned long long)sum.attempts,
	       (unsigned long long)sum.refused, sum.attempts / (now_s() - start));
	return 0;
}
