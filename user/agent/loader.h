/* SPDX-License-Identifier: GPL-2.0 */
/* Open, load and attach the BPF skeleton, each hook in the best form the kernel offers. */
#ifndef __TT_LOADER_H
#define __TT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hooks.h" /* enum attach_kind, the hook table */

struct tcptriage_bpf;
struct kfeatures;

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

/*
 * Learn the owners of every inet socket open right now (seed.c): in the
 * sockets' storage when owners are kept there, else in `owners`; *learned:
 * how many the agent did not know yet.  udp_only: of UDP sockets with no
 * owner recorded (a walk after the start-up one: no hook sees them made).
 */
int agent__seed_owners(struct agent *agent, bool udp_only, uint64_t *learned);
/*
 * Why owners are kept in the owners map, NULL when in the sockets' storage:
 * "kernel" (no socket storage for tracing programs: before 5.11), "attach_form"
 * (a hook attached as raw_tp or tracepoint, whose socket is untyped), or
 * "refused" (the kernel refused the programs with it, and loaded them without).
 */
const char *agent__owners_map_why(const struct agent *agent);

#endif /* __TT_LOADER_H */
