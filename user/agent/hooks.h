/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's hooks and the forms they attach in: the table written by hand,
 * and which hook each BPF program is a form of, read from its section name.
 */
#ifndef __TT_HOOKS_H
#define __TT_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_program;

/* Ways to attach a hook, best first. */
enum attach_kind {
	ATTACH_BTF = 0, /* tp_btf */
	ATTACH_RAW,     /* raw_tp */
	ATTACH_TP,      /* classic tracepoint (needs tracefs) */
	ATTACH_NONE,
};

#define HOOK_CATEGORY_MAX 32 /* bytes of a tracepoint category, with its NUL */
#define HOOK_TP_MAX 64       /* bytes of a tracepoint name, with its NUL */
/* Rows of the hook table (hooks.c checks it when it compiles): the loader's arrays. */
#define HOOK_COUNT 11

/*
 * A hook as written by hand: only what the BPF object cannot say.  Where it
 * attaches and in which forms comes from its programs' section names.
 */
struct hook_def {
	const char *name;    /* its programs are <name>__<form suffix> */
	const char *purpose; /* what the agent loses without it */
	bool essential;      /* the agent does not start without it */
	const char *category; /* a hook with no classic form: its tracepoint's, for reports */
};

/* Where a program's section attaches it: tp_btf/T, raw_tp/T or tracepoint/C/T. */
struct hook_site {
	enum attach_kind kind;
	char category[HOOK_CATEGORY_MAX]; /* "" unless a classic tracepoint: only it names one */
	char tp[HOOK_TP_MAX];
};

/* The hooks in report order. */
const struct hook_def *hook_defs(size_t *count);
/*
 * Which hook prog is a form of (its index in hook_defs), and where it
 * attaches; -ENOENT for a program that attaches no tracepoint (an
 * iterator), -EINVAL for a malformed section, -ESRCH when no hook has its name.
 */
int hook_of_program(const struct bpf_program *prog, struct hook_site *site);

const char *attach_kind_name(enum attach_kind kind);
int attach_kind_parse(const char *s, enum attach_kind *kind);

#endif /* __TT_HOOKS_H */
