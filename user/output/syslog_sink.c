// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include "finding.h"
#include "json.h"
#include "syslog_sink.h"

void syslog_sink_open(void)
{
	/* Connects lazily at the first line, and again if syslogd restarts. */
	openlog("tcptriage", LOG_PID, LOG_DAEMON);
}

void syslog_sink_close(void)
{
	closelog();
}

static int priority_of(const struct finding *f, bool firing)
{
	if (!firing)
		return LOG_NOTICE;
	return f->severity == SEV_CRITICAL ? LOG_CRIT :
	       f->severity == SEV_WARNING  ? LOG_WARNING : LOG_INFO;
}

/* The culprit named first, as " (pid N comm)", or "" when none is known. */
static void first_culprit(char *buf, size_t len, const struct finding *f)
{
	char comm[64];

	buf[0] = '\0';
	if (!f->n_culprits || !f->culprits[0].pid)
		return;
	text_sanitize(comm, sizeof(comm), f->culprits[0].comm,
		      strnlen(f->culprits[0].comm, sizeof(f->culprits[0].comm)));
	snprintf(buf, len, "; first culprit pid %u (%s)", f->culprits[0].pid, comm);
}

int syslog_sink_format(char *buf, size_t len, const struct finding *f, bool firing)
{
	char summary[512], culprit[96];

	text_sanitize(summary, sizeof(summary), f->summary, strnlen(f->summary, sizeof(f->summary)));
	first_culprit(culprit, sizeof(culprit), f);
	snprintf(buf, len, "finding %s: %s (%s): %s%s", firing ? "firing" : "cleared", f->cause,
		 severity_name(f->severity), summary, culprit);
	return priority_of(f, firing);
}

void syslog_sink_finding(void *ctx, const struct finding *f, bool firing)
{
	char line[768];
	int prio = syslog_sink_format(line, sizeof(line), f, firing);

	(void)ctx;
	syslog(LOG_DAEMON | prio, "%s", line);
}
