// SPDX-License-Identifier: GPL-2.0
/* tcptriage: find which kernel TCP resource ran out, who holds it, and what to change. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "commands.h"

static const struct cmd commands[] = {
	{ "diagnose", cmd_diagnose, "watch for S seconds, print findings and a report" },
	{ "check", cmd_check, "what this kernel supports and what the agent will see" },
	{ "run", cmd_run, "always-on probe: JSON Lines, metrics endpoint, syslog" },
	{ "snapshot", cmd_snapshot, "who holds TCP memory now: sockets by process, cgroup, netns" },
	{}
};

static void usage(FILE *f)
{
	fputs("Usage: tcptriage COMMAND [OPTIONS]\n\nCommands:\n", f);
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'tcptriage COMMAND --help' for a command's options.\n"
	      "Needs root (CAP_BPF, CAP_PERFMON) and a kernel with BTF.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-')
		return cli_fail(EXIT_USAGE, "unknown option '%s' (try 'tcptriage --help')", argv[1]);
	return cmd_dispatch(commands, argc - 1, argv + 1);
}
