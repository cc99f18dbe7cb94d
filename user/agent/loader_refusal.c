// SPDX-License-Identifier: GPL-2.0
/*
 * Which hook the kernel refused, and why.  libbpf fills a program's log
 * buffer only when the verifier refuses it; a program refused before the
 * verifier ran is named only in libbpf's own messages, which the print
 * callbacks here watch (and show only with -v).  After a failed load the
 * loader (loader.c) demotes each refused hook to its next form with
 * demote_refused().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "loader_int.h"

#define LOG_BUF_SIZE ((size_t)64 * 1024)

/*
 * The program libbpf last failed to load.  A refusal before the verifier
 * runs (bad attach target, wrong type) leaves no log: libbpf's own message,
 * seen only through its print callback (which takes no context), names it.
 */
static char failed_prog[64];

static void note_failed_prog(const char *msg)
{
	const char *name = strstr(msg, "prog '"), *end;

	if (!name || !strstr(msg, "failed to load"))
		return;
	name += 6;
	end = strchr(name, '\'');
	if (end)
		snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(end - name), name);
}

/*
 * libbpf loads with no log and, only when the verifier refuses a program,
 * loads it again with a log into that program's buffer: after a failed load
 * the one non-empty buffer names the hook that failed.
 */
int give_log_bufs(struct agent *a)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		if (a->plan[i] == ATTACH_NONE)
			continue;
		if (!a->log_bufs[i] && !(a->log_bufs[i] = calloc(1, LOG_BUF_SIZE)))
			return -ENOMEM;
		bpf_program__set_log_buf(planned_prog(a, i), a->log_bufs[i], LOG_BUF_SIZE);
	}
	return 0;
}

/* Every attempt starts with empty logs: no verdict left over from the one before. */
void clear_log_bufs(struct agent *a)
{
	failed_prog[0] = '\0';
	for (size_t i = 0; i < HOOK_COUNT; i++)
		if (a->log_bufs[i])
			a->log_bufs[i][0] = '\0';
}

void free_log_bufs(struct agent *a)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		free(a->log_bufs[i]);
		a->log_bufs[i] = NULL;
	}
}

/* The verifier's reason: the last line of its log that is not a statistic. */
static void log_reason(const char *log, char *out, size_t len)
{
	const char *line = log, *best = NULL, *next;
	size_t best_len = 0;

	for (; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		if (n && strncmp(line, "processed ", 10) && strncmp(line, "verification time", 17)) {
			best = line;
			best_len = n;
		}
	}
	snprintf(out, len, "%.*s", (int)(best ? best_len : 0), best ? best : "");
}

/* Was hook i's planned program the one libbpf said it failed to load? */
static bool named_failed(const struct agent *a, size_t i)
{
	return !strcmp(bpf_program__name(planned_prog(a, i)), failed_prog);
}

/* After a failed load (error ret): demote the hooks whose program was refused. */
size_t demote_refused(struct agent *a, int ret)
{
	size_t refused = 0;

	for (size_t i = 0; i < HOOK_COUNT; i++) {
		struct hook_status *h = &a->hooks[i];
		char reason[sizeof(h->error) - 24];

		if (a->plan[i] == ATTACH_NONE || !a->log_bufs[i]) /* planned hooks have one */
			continue;
		if (!a->log_bufs[i][0] && named_failed(a, i))
			snprintf(a->log_bufs[i], LOG_BUF_SIZE, "refused before verification: %s",
				 strerror(-ret));
		if (!a->log_bufs[i][0])
			continue;
		if (a->verbose)
			fprintf(stderr, "tcptriage: %s refused:\n%s\n",
				bpf_program__name(planned_prog(a, i)), a->log_bufs[i]);
		log_reason(a->log_bufs[i], reason, sizeof(reason));
		snprintf(h->error, sizeof(h->error), "%s load: %s", attach_kind_name(a->plan[i]),
			 reason);
		a->plan[i]++;
		refused++;
	}
	return refused;
}

/*
 * Failed forms are expected (that is what the fallbacks are for) and reported
 * per hook, so libbpf speaks only with -v.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args,
			bool verbose)
{
	char msg[256];
	va_list whole;
	int ret = 0;

	va_copy(whole, args); /* -v prints it whole: a verifier log is longer than msg */
	vsnprintf(msg, sizeof(msg), fmt, args);
	if (level == LIBBPF_WARN)
		note_failed_prog(msg);
	if (verbose)
		ret = vfprintf(stderr, fmt, whole);
	va_end(whole);
	return ret;
}

int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return libbpf_print(level, fmt, args, false);
}

int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return libbpf_print(level, fmt, args, true);
}
