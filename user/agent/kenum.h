/* SPDX-License-Identifier: GPL-2.0 */
/* Names of kernel enum values (drop reasons, reset reasons) read from the running kernel's BTF. */
#ifndef __TT_KENUM_H
#define __TT_KENUM_H

#include <stdint.h>

struct btf;
struct kenum;

/* Load enum `type_name` from btf; names lose `prefix` and are lower-cased. NULL if absent. */
struct kenum *kenum_load(const struct btf *btf, const char *type_name, const char *prefix);
void kenum_free(struct kenum *e);
/* The value's name, or NULL when the kernel does not know it. */
const char *kenum_name(const struct kenum *e, uint32_t value);
/* 0 and *value when found, -ENOENT otherwise. */
int kenum_value(const struct kenum *e, const char *name, uint32_t *value);

/* The two enums the agent names; either may be NULL on older kernels. */
struct kernel_names {
	struct kenum *drop_reason;
	struct kenum *rst_reason;
};
/* From btf_path (--btf), or the running kernel's BTF when NULL. */
int kernel_names_load(struct kernel_names *kn, const char *btf_path);
void kernel_names_free(struct kernel_names *kn);

#endif /* __TT_KENUM_H */
