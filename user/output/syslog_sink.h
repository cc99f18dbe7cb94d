/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings to the system log: syslog(3), facility LOG_DAEMON, one line per
 * finding that fires (LOG_CRIT/LOG_WARNING/LOG_INFO by severity) or clears
 * (LOG_NOTICE). Hostile text (summaries name kernel reasons, culprits carry
 * process names) is sanitized so a line can never be split or forged.
 */
#ifndef __TT_SYSLOG_SINK_H
#define __TT_SYSLOG_SINK_H

#include <stdbool.h>
#include <stddef.h>

struct finding;

void syslog_sink_open(void);
void syslog_sink_close(void);
/* The line for f into buf; returns its syslog priority. */
int syslog_sink_format(char *buf, size_t len, const struct finding *f, bool firing);
/* Log f: fits session_opts.on_change (ctx unused). */
void syslog_sink_finding(void *ctx, const struct finding *f, bool firing);

#endif /* __TT_SYSLOG_SINK_H */
