// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include "cli.h"
#include "watch_opts.h"

/* The kernel wants a power-of-two number of pages. */
static int parse_ringbuf_kb(const char *arg, uint32_t *kb)
{
	uint64_t v;

	if (cli_parse_u64("--ringbuf-kb", arg, 4, 1048576, &v))
		return EXIT_USAGE;
	if (v & (v - 1))
		return cli_fail(EXIT_USAGE, "--ringbuf-kb must be a power of two, got '%s'", arg);
	*kb = v;
	return 0;
}

int watch_opt_parse(int c, const char *arg, uint64_t *interval, struct session_opts *so)
{
	uint64_t v;

	switch (c) {
	case 'i':
		return cli_parse_u64("--interval", arg, 1, 3600, interval) ? EXIT_USAGE : 0;
	case 'A':
		if (attach_kind_parse(arg, &so->prefer))
			return cli_fail(EXIT_USAGE,
					"--attach must be tp_btf, raw_tp or tracepoint, got '%s'", arg);
		return 0;
	case 'v':
		so->verbose = true;
		return 0;
	case 'R':
		return parse_ringbuf_kb(arg, &so->ringbuf_kb);
	case 'B':
		return cli_parse_btf(arg, &so->btf_path);
	case 'H':
		if (cli_parse_u64("--horizon", arg, 10, 86400, &v))
			return EXIT_USAGE;
		so->horizon_s = (double)v;
		return 0;
	default:
		return -ENOENT;
	}
}

int watch_open(const struct session_opts *so, struct session **s)
{
	char err[256] = "";

	return session_open(so, s, err, sizeof(err)) ? cli_fail(EXIT_ENV, "%s", err) : 0;
}
