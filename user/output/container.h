/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who a cgroup and a network namespace are, in the words an operator uses:
 * cgroup v2 id -> path -> container id (docker, containerd/CRI, cri-o,
 * podman), systemd unit, Kubernetes pod UID.  (netns inode -> `ip netns`
 * name is netns_list_all() in netns.h.)
 */
#ifndef __TT_CONTAINER_H
#define __TT_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#define CGROUP_PATH_MAX 512

struct container_info {
	char runtime[16];  /* "docker", "containerd", "crio", "podman", "cri"; "" */
	char id[65];       /* container id as the runtime prints it; "" */
	char unit[128];    /* innermost systemd .service/.scope that is not a container */
	char pod[37];      /* Kubernetes pod UID, dashed; "" */
};

/* What a cgroup v2 path ("/system.slice/docker-<id>.scope") says (no I/O). */
void container_parse(const char *path, struct container_info *ci);

/* "0123456789ab docker pod <uid>", "nginx.service", or path: for one column. */
void container_describe(const struct container_info *ci, const char *path, char *buf,
			size_t len);

/* Mount point of the first cgroup2 file system in mountinfo text. 0 or -ENOENT. */
int cgroup2_mount_find(const char *mountinfo, char *buf, size_t len);

/*
 * cgroup id -> path relative to the cgroup2 mount. A cgroup's id is the
 * inode number of its directory, so a walk of the tree finds every id; the
 * walk is cached and redone on a miss at most once a second. Ids are never
 * reused within a boot, so cgroups removed since are still named.
 */
struct cgroup_cache;

/* root: the cgroup2 mount, NULL to find it in /proc/self/mountinfo. */
struct cgroup_cache *cgroup_cache_new(const char *root);
void cgroup_cache_free(struct cgroup_cache *c);
/* 0, -ENOENT (no such cgroup, or no cgroup2 mounted) or -ENOMEM. */
int cgroup_cache_path(struct cgroup_cache *c, uint64_t id, char *buf, size_t len);

#endif /* __TT_CONTAINER_H */
