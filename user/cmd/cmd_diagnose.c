// SPDX-License-Identifier: GPL-2.0
/* `tcptriage diagnose`: watch for a while, print findings as they fire, then a report. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "commands.h"
#include "loop.h"
#include "session.h"
#include "sysctl_plan.h"
#include "watch_opts.h"

static const char diagnose_usage[] =
	"Usage: tcptriage diagnose [--duration S] [--interval S] [--json] [--sysctl-plan FILE]\n"
	"                          [--attach MODE] [--btf FILE] [--horizon S] [-v]\n"
	"\n"
	"Watch this host's TCP stack for S seconds, print findings as they fire and a\n"
	"final report: which kernel resource ran out, who holds it, what to change.\n"
	"\n"
	"  -d, --duration S   seconds to watch, 1-86400 (default 10)\n"
	"  -i, --interval S   seconds between counter readings, 1-3600 (default 1)\n"
	"  -j, --json         JSON Lines (contract v1) instead of text\n"
	"      --sysctl-plan FILE  write the advice that changes a limit as an\n"
	"                     /etc/sysctl.d snippet (evidence, current and suggested\n"
	"                     values) and FILE.rollback with today's values; never applied\n"
	WATCH_USAGE
	"  -h, --help         this help\n"
	"\n"
	"Ctrl-C ends early with the report; a second Ctrl-C kills.\n";

struct diagnose_args {
	uint64_t duration;
	uint64_t interval;
	const char *sysctl_plan; /* NULL: none */
	struct session_opts sopts;
};

static int parse_args(int argc, char **argv, struct diagnose_args *a)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "sysctl-plan", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		WATCH_LONGOPTS,
		{}
	};
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:jh" WATCH_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (cli_parse_u64("--duration", optarg, 1, 86400, &a->duration))
				return EXIT_USAGE;
			break;
		case 'j':
			a->sopts.json = true;
			break;
		case 'P':
			a->sysctl_plan = optarg;
			break;
		case 'h':
			fputs(diagnose_usage, stdout);
			return -1;
		default:
			ret = watch_opt_parse(c, optarg, &a->interval, &a->sopts);
			if (ret < 0)
				return cli_option_error(argv, c);
			if (ret)
				return ret;
		}
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "diagnose: unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The report's limit advice into the plan the user asked for. */
static int write_plan(struct session *s, struct sysctl_plan *plan)
{
	int err;

	session_each_finding(s, sysctl_plan_add, plan);
	err = sysctl_plan_close(plan);
	if (err)
		return cli_fail(EXIT_ENV, "cannot write the sysctl plan %s: %s", plan->path,
				strerror(-err));
	return 0;
}

int cmd_diagnose(int argc, char **argv)
{
	struct diagnose_args a = {
		.duration = 10,
		.interval = 1,
		.sopts = { .command = "diagnose", .prefer = ATTACH_BTF, .out = stdout },
	};
	struct sysctl_plan plan = { 0 };
	struct session *s;
	int ret, plan_err;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	if ((ret = cli_require_bpf_privileges()))
		return ret;
	a.sopts.duration_s = a.duration;
	if (a.sysctl_plan && (ret = sysctl_plan_open(&plan, a.sysctl_plan)))
		return cli_fail(EXIT_USAGE, "--sysctl-plan: cannot create '%s': %s", a.sysctl_plan,
				strerror(-ret));
	cli_install_signals();
	ret = watch_open(&a.sopts, &s);
	if (ret) {
		sysctl_plan_close(&plan);
		return ret;
	}
	ret = loop_run(&(struct loop){ .s = s, .interval_s = a.interval, .duration_s = a.duration });
	loop_finish(s);
	plan_err = a.sysctl_plan ? write_plan(s, &plan) : 0;
	ret = ret ? ret : plan_err;
	session_close(s);
	return ret;
}
