/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities: which ones this process has, and dropping all but those the
 * running agent still uses once its programs are loaded and attached.
 */
#ifndef __TT_PRIVS_H
#define __TT_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Older libc headers lack the capabilities split out of CAP_SYS_ADMIN in Linux 5.8. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct priv_keep {
	int cap;         /* CAP_* */
	const char *why; /* what the running agent still needs it for */
};

/* Whether cap is in this process's effective set. */
bool privs_effective(int cap);

/* "CAP_BPF, CAP_PERFMON": the caps of mask not in the effective set ("" if none). */
void privs_missing(uint64_t mask, char *buf, size_t len);

/*
 * Keep those of keep[] the process has; drop every other capability from
 * the bounding set (when CAP_SETPCAP allows), the ambient, inheritable,
 * permitted and effective sets, and set no_new_privs: nothing dropped can
 * come back, not even through exec as uid 0. 0 or -errno.
 */
int privs_drop_except(const struct priv_keep *keep, size_t n);

#define PRIV_BIT(cap) (1ULL << (cap))

#endif /* __TT_PRIVS_H */
