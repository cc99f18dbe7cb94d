// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "privs.h"

volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_reopen;

static void say(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tcptriage: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tcptriage: warning: ", fmt, ap);
	va_end(ap);
}

int cmd_dispatch(const struct cmd *table, int argc, char **argv)
{
	for (const struct cmd *c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->run(argc, argv);
	return cli_fail(EXIT_USAGE, "unknown command '%s' (try 'tcptriage --help')", argv[0]);
}

int cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!s || !isdigit((unsigned char)*s)) {
		cli_fail(EXIT_USAGE, "%s needs a number, got '%s'", opt, s ? s : "");
		return -EINVAL;
	}
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		cli_fail(EXIT_USAGE, "%s must be a whole number from %llu to %llu, got '%s'", opt,
			 (unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cli_parse_btf(const char *path, const char **out)
{
	libbpf_print_fn_t print = libbpf_set_print(NULL); /* one line from us, not libbpf's */
	struct btf *btf = btf__parse(path, NULL);
	int err = errno;

	libbpf_set_print(print);
	if (!btf)
		return cli_fail(EXIT_USAGE, "--btf: cannot read BTF from '%s': %s", path,
				err >= __LIBBPF_ERRNO__START ? "not a BTF file (raw, or ELF with .BTF)"
							   : strerror(err));
	btf__free(btf);
	*out = path;
	return 0;
}

int cli_option_error(char **argv, int c)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return cli_fail(EXIT_USAGE, "%s: option '%s' needs a value", argv[0], opt);
	return cli_fail(EXIT_USAGE, "%s: unknown option '%s' (try '%s --help')", argv[0],
			optopt ? (char[]){ '-', (char)optopt, 0 } : opt, argv[0]);
}

int cli_require_bpf_privileges(void)
{
	char missing[64];

	if (privs_effective(CAP_SYS_ADMIN) ||
	    (privs_effective(CAP_BPF) && privs_effective(CAP_PERFMON)))
		return 0;
	privs_missing(PRIV_BIT(CAP_BPF) | PRIV_BIT(CAP_PERFMON), missing, sizeof(missing));
	return cli_fail(EXIT_ENV, "missing %s (or CAP_SYS_ADMIN) to load BPF programs: run as root, "
			"or grant them: setcap cap_bpf,cap_perfmon,cap_sys_admin,cap_sys_ptrace+ep "
			"tcptriage", missing);
}

static void on_signal(int sig)
{
	cli_stop = 1;
	/* a second Ctrl-C kills: restore the default action */
	if (sig == SIGINT)
		signal(SIGINT, SIG_DFL);
}

void cli_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed reader is a write error the loop ends on */
}

static void on_hup(int sig)
{
	(void)sig;
	cli_reopen = 1;
}

void cli_install_reopen(void)
{
	struct sigaction sa = { .sa_handler = on_hup };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}
