/* SPDX-License-Identifier: GPL-2.0 */
/* Options every command that watches the host takes (diagnose, run): one parser, one help text. */
#ifndef __TT_WATCH_OPTS_H
#define __TT_WATCH_OPTS_H

#include <stdint.h>
#include "session.h"

/* --btf, for every command that loads BPF programs. */
#define BTF_USAGE                                                                     \
	"      --btf FILE     kernel BTF to use when the kernel has no\n"                  \
	"                     /sys/kernel/btf/vmlinux (e.g. from BTFHub)\n"

/* Entries for a command's getopt_long table, before its {} terminator. */
#define WATCH_LONGOPTS                                        \
	{ "interval", required_argument, NULL, 'i' },         \
	{ "attach", required_argument, NULL, 'A' },           \
	{ "verbose", no_argument, NULL, 'v' },                \
	{ "ringbuf-kb", required_argument, NULL, 'R' },       \
	{ "btf", required_argument, NULL, 'B' },              \
	{ "horizon", required_argument, NULL, 'H' }
#define WATCH_SHORTOPTS "i:v"

/* Help lines for --attach and -v (--interval's default differs per command). */
#define WATCH_USAGE                                                                  \
	"      --attach MODE  best attach form to try first: tp_btf (default), raw_tp,\n" \
	"                     tracepoint; each hook falls back to the next form\n"         \
	"      --ringbuf-kb N size of the ring buffer for rare events (kernel verdict\n" \
	"                     lines, aborts on memory) in KiB, a power of two from 4\n"   \
	"                     to 1048576 (default 256); losses show as ringbuf_full\n"    \
	BTF_USAGE                                                                        \
	"      --horizon S    early warnings (tcp_mem_forecast, conntrack_forecast,\n"    \
	"                     timewait_forecast) when a limit is this many seconds\n"    \
	"                     away, 10-86400 (default 300)\n"                            \
	"  -v, --verbose      libbpf debug output on stderr\n"

/*
 * Handle getopt's result c (argument arg) if it is a watch option:
 * 0 when handled, EXIT_USAGE after a one-line error, -ENOENT when c is not one.
 */
int watch_opt_parse(int c, const char *arg, uint64_t *interval, struct session_opts *so);
/* session_open() for a command: 0, or EXIT_ENV after its one line on stderr. */
int watch_open(const struct session_opts *so, struct session **s);

#endif /* __TT_WATCH_OPTS_H */
