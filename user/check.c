// SPDX-License-Identifier: GPL-2.0
/* `tcptriage check`: what this kernel supports and what the agent will therefore see. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "cli.h"
#include "commands.h"
#include "loader.h"

static const char check_usage[] =
	"Usage: tcptriage check [--attach MODE] [-v]\n"
	"\n"
	"Load and attach every probe once, report how each attached (tp_btf, raw_tp or\n"
	"classic tracepoint) or why it could not, then detach. Exits 0 when the agent\n"
	"can run here, 1 when it cannot (with what is missing).\n"
	"\n"
	"      --attach MODE  best attach form to try first: tp_btf, raw_tp, tracepoint\n"
	"  -v, --verbose      libbpf debug output on stderr\n"
	"  -h, --help         this help\n";

static void print_hooks(const struct hook_status *hooks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hook_status *h = &hooks[i];
		char where[80];

		snprintf(where, sizeof(where), "%s:%s", h->category, h->tp);
		printf("  %-34s %-11s %s%s%s\n", where, attach_kind_name(h->attached), h->purpose,
		       h->error[0] ? " -- " : "", h->error);
	}
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "attach", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct agent_opts opts = { .prefer = ATTACH_BTF };
	const struct hook_status *hooks;
	struct agent *agent;
	struct utsname u;
	char err[256];
	size_t n;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_usage, stdout);
			return 0;
		} else if (c == 'v') {
			opts.verbose = true;
		} else if (c == 'A') {
			if (attach_kind_parse(optarg, &opts.prefer))
				return cli_fail(EXIT_USAGE, "--attach must be tp_btf, raw_tp or tracepoint, got '%s'",
						optarg);
		} else {
			return cli_option_error(argv, c);
		}
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "check: unexpected argument '%s'", argv[optind]);
	uname(&u);
	printf("kernel: Linux %s %s\n", u.release, u.machine);
	if ((c = cli_require_bpf_privileges()))
		return c;
	if (agent__open(&opts, &agent, err, sizeof(err)))
		return cli_fail(EXIT_ENV, "%s", err);
	printf("BTF: /sys/kernel/btf/vmlinux\ntracefs: %s\nhooks:\n", agent__tracefs(agent));
	hooks = agent__hooks(agent, &n);
	print_hooks(hooks, n);
	c = agent__seed_owners(agent);
	printf("socket iterator (existing sockets' owners): %s\n", c ? strerror(-c) : "ok");
	agent__destroy(agent);
	printf("result: tcptriage can run here\n");
	return 0;
}
