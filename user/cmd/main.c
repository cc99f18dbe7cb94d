// SPDX-License-Identifier: GPL-2.0
/* tcptriage: find which kernel TCP resource ran out, who holds it, and what to change. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "commands.h"

static const struct cmd commands[] = {
	{ "top", cmd_top, "live view: TCP memory, findings, processes and containers" },
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
	fputs("\nWith no command on a terminal: top.\n"
	      "Run 'tcptriage COMMAND --help' for a command's options.\n"
	      "Needs root (CAP_BPF, CAP_PERFMON) and a kernel with BTF.\n", f);
}

int main(int argc, char **argv)
{
	/* Alone on a terminal it is the live view; in a script it is a mistake. */
	if (argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return cmd_top(1, (char *[]){ "top", NULL });
	if (argc < 2)
		return cli_fail(EXIT_USAGE, "no command given (try 'tcptriage --help'); "
				"without one, only a terminal gets the live view");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-')
		return cli_fail(EXIT_USAGE, "unknown option '%s' (try 'tcptriage --help')", argv[1]);
	return cmd_dispatch(commands, argc - 1, argv + 1);
}
