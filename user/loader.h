/* SPDX-License-Identifier: GPL-2.0 */
/* Open, load and attach the BPF skeleton, each hook in the best form the kernel offers. */
#ifndef __TT_LOADER_H
#define __TT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcptriage_bpf;
struct bpf_program;
struct kfeatures;

/* Ways to attach a hook, best first. */
enum attach_kind {
	ATTACH_BTF = 0, /* tp_btf */
	ATTACH_RAW,     /* raw_tp */
	ATTACH_TP,      /* classic tracepoint (needs tracefs) */
	ATTACH_NONE,
};

#define HOOK_CATEGORY_MAX 32 /* bytes of a tracepoint category, with its NUL */
#define HOOK_TP_MAX 64       /* bytes of a tracepoint name, with its NUL */

struct hook_status {
	const char *name;     /* program name stem, e.g. "retransmit" */
	char category[HOOK_CATEGORY_MAX]; /* tracepoint category, e.g. "tcp" */
	char tp[HOOK_TP_MAX]; /* tracepoint name, e.g. "tcp_retransmit_skb" */
	const char *purpose;  /* what the agent loses without it */
	enum attach_kind attached; /* ATTACH_NONE when unavailable */
	bool essential;       /* the agent does not start without it */
	bool fell_back;       /* attached in a lesser form than the best one */
	char error[160];      /* why the better forms or the hook failed */
};

/*
 * A hook as written by hand: only what the BPF object cannot say.  Where it
 * attaches and in which forms comes from its programs' section names.
 */
struct hook_def {
	const char *name;    /* its programs are <name>__<form suffix> */
	const char *purpose; /* what the agent loses without it */
	bool essential;      /* the agent does not start without it */
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

struct agent_opts {
	enum attach_kind prefer; /* start from this form (tests force fallbacks) */
	bool verbose;            /* libbpf debug output */
	bool iterators_only;     /* load only iter/ programs, attach no hook (snapshot) */
	uint32_t ringbuf_size;   /* bytes of the events ring buffer, 0: as built (256 KiB) */
	const char *btf_path;    /* kernel BTF file (--btf), NULL: /sys/kernel/btf/vmlinux */
};

struct agent;

/* Returns 0, or -errno with a one-line reason in err (exit 1 material). */
int agent__open(const struct agent_opts *opts, struct agent **out, char *err, size_t errlen);
void agent__destroy(struct agent *agent);

struct tcptriage_bpf *agent__skel(struct agent *agent);
const struct hook_status *agent__hooks(const struct agent *agent, size_t *count);
/* Where the kernel BTF came from: a --btf file or /sys/kernel/btf/vmlinux. */
const char *agent__btf_source(const struct agent *agent);
/* What this kernel's tracepoints pass (and so what the agent can see). */
const struct kfeatures *agent__features(const struct agent *agent);
/*
 * One line of what this kernel does not let the agent see: hooks unavailable
 * and tracepoint arguments it lacks; "" when nothing.  Returns how many.
 */
size_t agent__gaps(const struct agent *agent, char *buf, size_t len);
/* How tracefs was found: "mounted", "mounted privately", or "unavailable". */
const char *agent__tracefs(const struct agent *agent);

/* Learn the owners of every TCP socket open right now (iter/task_file). */
int agent__seed_owners(struct agent *agent);

const char *attach_kind_name(enum attach_kind kind);
int attach_kind_parse(const char *s, enum attach_kind *kind);

#endif /* __TT_LOADER_H */
