/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The loader's own state, shared by loader.c (open, load, attach),
 * loader_refusal.c (which hook was refused, and why) and loader_agent.c (what
 * a loaded agent reports).  Private to them: everyone else includes loader.h.
 */
#ifndef __TT_LOADER_INT_H
#define __TT_LOADER_INT_H

#include <stdarg.h>
#include <bpf/libbpf.h>
#include "kfeatures.h"
#include "loader.h"

struct agent {
	struct tcptriage_bpf *skel;
	struct hook_status hooks[HOOK_COUNT];
	/* Each hook's program in each form, NULL where it has none: of this attempt's object. */
	struct bpf_program *progs[HOOK_COUNT][ATTACH_NONE];
	struct bpf_link *links[HOOK_COUNT];
	enum attach_kind plan[HOOK_COUNT];
	char *log_bufs[HOOK_COUNT]; /* verifier logs of this attempt's programs */
	const char *tracefs;
	const char *btf_path; /* NULL: the running kernel's */
	struct kfeatures features;
	uint32_t ringbuf_size; /* 0: as built */
	uint64_t host_sockets; /* when loaded: sizes `owners` (0: unknown) */
	bool sk_storage; /* the kernel lets tracing programs keep socket storage */
	bool owners_in_storage; /* this attempt keeps owners in socket storage */
	/* after a refusal in storage mode: loader.c storage_doubted() */
	enum { STORAGE_TRUSTED, STORAGE_TRYING_WITHOUT, STORAGE_SETTLED } storage_doubt;
	bool verbose;
};

/* Hook i's program in the form it is planned to load in; plan[i] != ATTACH_NONE. */
static inline struct bpf_program *planned_prog(const struct agent *a, size_t i)
{
	return a->progs[i][a->plan[i]];
}

/* loader_refusal.c: log buffers, libbpf's messages and demoting refused hooks. */
int give_log_bufs(struct agent *a);
void clear_log_bufs(struct agent *a);
void free_log_bufs(struct agent *a);
size_t demote_refused(struct agent *a, int ret);
int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args);
int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list args);

#endif /* __TT_LOADER_INT_H */
