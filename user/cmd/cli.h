/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line plumbing shared by every command: dispatch, numbers, errors, signals. */
#ifndef __TT_CLI_H
#define __TT_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define EXIT_USAGE 2 /* bad arguments or unknown command */
#define EXIT_ENV 1   /* missing privileges, kernel support, runtime failure */

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Run the command named by argv[0] from a NULL-terminated table. */
int cmd_dispatch(const struct cmd *table, int argc, char **argv);

/* Print "tcptriage: <msg>" on one line to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "tcptriage: warning: <msg>" on one line to stderr: the one way to warn. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * cli_error(), then evaluate to code: `return cli_fail(EXIT_USAGE, ...);`.
 * A macro so that callers (and static analysis) see the exit code.
 */
#define cli_fail(code, ...) ({ cli_error(__VA_ARGS__); (code); })

/* Parse a whole decimal number in [min, max]; one-line error and -EINVAL otherwise. */
int cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* --btf FILE: 0 when FILE parses as BTF (raw or ELF), else a one-line error and EXIT_USAGE. */
int cli_parse_btf(const char *path, const char **out);

/* One-line error for getopt's ':' (missing argument) or '?' (unknown option). */
int cli_option_error(char **argv, int c);

/* Exit 1 with how to fix it unless this process may load and attach BPF tracing programs. */
int cli_require_bpf_privileges(void);

/* SIGINT/SIGTERM set the flag; a second SIGINT kills (the default action). */
extern volatile sig_atomic_t cli_stop;
void cli_install_signals(void);

/* SIGHUP sets the flag: reopen the output file (after logrotate moved it). */
extern volatile sig_atomic_t cli_reopen;
void cli_install_reopen(void);

#endif /* __TT_CLI_H */
