// SPDX-License-Identifier: GPL-2.0
// Finding lines for syslog: priority by severity and state, hostile text made harmless.
#include <string.h>
#include <syslog.h>
#include "finding.h"
#include "syslog_sink.h"
#include "test.h"

static bool printable_ascii_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

TEST(syslog_sink_priority_follows_severity_and_state)
{
	struct finding f = { .cause = "tcp_mem_exhausted", .severity = SEV_CRITICAL };
	char line[256];

	strcpy(f.summary, "TCP ran out of memory");
	ASSERT_EQ_INT(syslog_sink_format(line, sizeof(line), &f, true), LOG_CRIT);
	ASSERT_EQ_STR(line, "finding firing: tcp_mem_exhausted (critical): TCP ran out of memory");
	ASSERT_EQ_INT(syslog_sink_format(line, sizeof(line), &f, false), LOG_NOTICE);
	ASSERT_EQ_STR(line, "finding cleared: tcp_mem_exhausted (critical): TCP ran out of memory");
	f.severity = SEV_WARNING;
	ASSERT_EQ_INT(syslog_sink_format(line, sizeof(line), &f, true), LOG_WARNING);
	f.severity = SEV_INFO;
	ASSERT_EQ_INT(syslog_sink_format(line, sizeof(line), &f, true), LOG_INFO);
}

TEST(syslog_sink_sanitizes_summary_and_culprit)
{
	struct finding f = { .cause = "reset_storm", .severity = SEV_WARNING };
	struct culprit *c = finding_culprit(&f);
	char line[512];

	strcpy(f.summary, "80 resets\n<13>Nov 27 forged: line\x1b[2J");
	c->pid = 4242;
	memcpy(c->comm, "evil\ncomm\xff", 10);
	syslog_sink_format(line, sizeof(line), &f, true);
	ASSERT_TRUE(printable_ascii_line(line));
	ASSERT_EQ_STR(line, "finding firing: reset_storm (warning): 80 resets\\x0a<13>Nov 27 forged: "
			    "line\\x1b[2J; first culprit pid 4242 (evil\\x0acomm\\xff)");
}
