// SPDX-License-Identifier: GPL-2.0
/* `tcptriage check`: what this kernel supports and what the agent will therefore see. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "cli.h"
#include "commands.h"
#include "kfeatures.h"
#include "loader.h"
#include "procfs.h"
#include "watch_opts.h"

static const char check_usage[] =
	"Usage: tcptriage check [--attach MODE] [--btf FILE] [-v]\n"
	"\n"
	"Load and attach every probe once, report how each attached (tp_btf, raw_tp or\n"
	"classic tracepoint) or why it could not, and what this kernel cannot show, then\n"
	"detach. Exits 0 when the agent can run here (every essential hook, marked *,\n"
	"attached), 1 when it cannot (with what is missing). Floor: Linux 5.9 with BTF.\n"
	"\n"
	"      --attach MODE  best attach form to try first: tp_btf, raw_tp, tracepoint\n"
	BTF_USAGE
	"  -v, --verbose      libbpf debug output on stderr\n"
	"  -h, --help         this help\n";

static void print_hooks(const struct hook_status *hooks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hook_status *h = &hooks[i];
		char where[80];

		snprintf(where, sizeof(where), "%s:%s", h->category, h->tp);
		printf("%c %-34s %-11s %s%s%s\n", h->essential ? '*' : ' ', where,
		       attach_kind_name(h->attached), h->purpose, h->error[0] ? " -- " : "", h->error);
	}
}

static void print_unseen(const struct kfeatures *kf)
{
	bool any = false;

	for (int k = 0; k < KF_COUNT; k++) {
		if (kf->has[k])
			continue;
		if (!any)
			printf("not visible on this kernel:\n");
		any = true;
		printf("  %s (Linux %s+): %s\n", kfeature_name(k), kfeature_since(k),
		       kfeature_unseen(k));
	}
}

/* Where socket owners are kept, and when not in socket storage, why. */
static void print_owners_kept(const struct agent *agent)
{
	static const struct {
		const char *why, *text;
	} whys[] = {
		{ "kernel", "this kernel keeps no socket storage for tracing programs (5.11+)" },
		{ "attach_form", "a hook attached without tp_btf, whose socket is untyped" },
		{ "refused", "the kernel refused the programs with socket storage: -v for why" },
	};
	const char *why = agent__owners_map_why(agent);

	if (!why) {
		printf("socket owners kept in: socket storage\n");
		return;
	}
	for (size_t i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (!strcmp(why, whys[i].why))
			why = whys[i].text;
	printf("socket owners kept in: the owners map (%s)\n", why);
}

/*
 * The kernel's verdicts ("TCP: out of memory") are KERN_INFO lines: where the
 * console loglevel hides them, printk:console may not fire for them (seen on
 * Debian's 5.10 to 6.18 booted quiet).  The counters still show the causes.
 */
static void print_console_level(void)
{
	long level[4];

	if (sysctl_read_longs("/proc/sys/kernel/printk", level, 4) < 1)
		return;
	printf("kernel log: console_loglevel %ld%s\n", level[0],
	       level[0] <= 6 ? " hides KERN_INFO lines from the console: kernel verdict lines "
			       "(TCP: out of memory) may not reach printk:console; set "
			       "kernel.printk to 7 to see them" : "");
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "attach", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "btf", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct agent_opts opts = { .prefer = ATTACH_BTF };
	const struct hook_status *hooks;
	struct agent *agent;
	struct utsname u;
	char err[256];
	size_t n;
	uint64_t learned;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(check_usage, stdout);
			return 0;
		} else if (c == 'v') {
			opts.verbose = true;
		} else if (c == 'B') {
			if (cli_parse_btf(optarg, &opts.btf_path))
				return EXIT_USAGE;
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
	printf("BTF: %s\ntracefs: %s\nhooks (* essential):\n", agent__btf_source(agent),
	       agent__tracefs(agent));
	hooks = agent__hooks(agent, &n);
	print_hooks(hooks, n);
	print_unseen(agent__features(agent));
	print_console_level();
	c = agent__seed_owners(agent, false, &learned);
	printf("socket iterator (existing sockets' owners): %s\n", c ? strerror(-c) : "ok");
	print_owners_kept(agent);
	agent__destroy(agent);
	printf("result: tcptriage can run here\n");
	return 0;
}
