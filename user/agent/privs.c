// SPDX-License-Identifier: GPL-2.0
/* Capability sets through capget/capset/prctl: no libcap needed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "privs.h"


struct capsets {
	uint64_t effective, permitted, inheritable;
};

static int caps_get(struct capsets *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	int err = syscall(SYS_capget, &hdr, d) ? -errno : 0;

	/* all sets empty when capget fails */
	c->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	c->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return err;
}

static int caps_set(const struct capsets *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable },
		{ c->effective >> 32, c->permitted >> 32, c->inheritable >> 32 },
	};

	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

bool privs_effective(int cap)
{
	struct capsets c;

	return !caps_get(&c) && (c.effective & PRIV_BIT(cap));
}

static const char *cap_name(int cap)
{
	static const char *const names[] = {
		[CAP_NET_ADMIN] = "CAP_NET_ADMIN", [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
		[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN", [CAP_PERFMON] = "CAP_PERFMON",
		[CAP_BPF] = "CAP_BPF",
	};

	return cap < (int)(sizeof(names) / sizeof(names[0])) && names[cap] ? names[cap] : "CAP_?";
}

void privs_missing(uint64_t mask, char *buf, size_t len)
{
	struct capsets c = { 0 };
	size_t used = 0;

	caps_get(&c);
	buf[0] = '\0';
	for (int cap = 0; cap < 64 && used < len; cap++) {
		if (!(mask & PRIV_BIT(cap)) || (c.effective & PRIV_BIT(cap)))
			continue;
		used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", cap_name(cap));
	}
}

/* Needs CAP_SETPCAP; without it exec cannot raise anything anyway (no_new_privs). */
static void drop_bounding_except(uint64_t keep)
{
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(keep & PRIV_BIT(cap)))
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
}

int privs_drop_except(const struct priv_keep *keep, size_t n)
{
	struct capsets c;
	uint64_t mask = 0;
	int err;

	err = caps_get(&c);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		mask |= PRIV_BIT(keep[i].cap);
	mask &= c.permitted;
	if (c.effective & PRIV_BIT(CAP_SETPCAP))
		drop_bounding_except(mask);
	/* EINVAL: a kernel without ambient capabilities has none to clear */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	c = (struct capsets){ .effective = mask, .permitted = mask };
	return caps_set(&c);
}
