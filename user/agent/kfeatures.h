/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this kernel can show the agent, read from its BTF: the floor below
 * which the agent cannot run at all, and the signals older kernels do not
 * pass to their tracepoints (so findings say "not visible" instead of 0).
 */
#ifndef __TT_KFEATURES_H
#define __TT_KFEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* One signal a kernel may or may not show; see kfeature_table in kfeatures.c. */
enum kfeature {
	KF_DROP_REASONS,  /* kfree_skb reason (5.17) */
	KF_DROP_RX_SK,    /* kfree_skb rx_sk (6.11) */
	KF_RESET_NO_SOCKET, /* tcp_send_reset without a socket (6.9) */
	KF_RESET_REASONS, /* tcp_send_reset reason (6.10) */
	KF_RETRANS_ERR,   /* tcp_retransmit_skb err (6.17) */
	KF_COUNT,
};

struct kfeatures {
	bool has[KF_COUNT];
};

/* Fill kf from btf (the running kernel's or a --btf file). */
void kfeatures_probe(const struct btf *btf, struct kfeatures *kf);
/* Since which Linux, and what the agent cannot see without it (one sentence). */
const char *kfeature_since(enum kfeature k);
const char *kfeature_unseen(enum kfeature k);
const char *kfeature_name(enum kfeature k);

/*
 * The floor: BTF types and BPF features the agent cannot run without (ring
 * buffer, iterators over open files and TCP sockets).  0, or -ENOTSUP with
 * what is missing, and since which Linux, in `missing`.
 */
int kfeatures_floor(const struct btf *btf, char *missing, size_t len);

/* The kernel BTF: `path` (an external file, BTFHub style) or the running kernel's. NULL + errno. */
struct btf *kernel_btf_load(const char *path);
/* Where kernel_btf_load(path) reads from, for check and the start line. */
const char *kernel_btf_source(const char *path);

#endif /* __TT_KFEATURES_H */
