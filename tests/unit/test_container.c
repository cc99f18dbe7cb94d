// SPDX-License-Identifier: GPL-2.0
// Container attribution: cgroup v2 path forms of real runtimes, the cgroup id cache.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container.h"
#include "test.h"

#define ID64 "4f1c2e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10"
#define UID_ "0f2a1b3c_4d5e_6f70_8192_a3b4c5d6e7f8"
#define UID "0f2a1b3c-4d5e-6f70-8192-a3b4c5d6e7f8"

static struct container_info parse(const char *path)
{
	struct container_info ci;

	container_parse(path, &ci);
	return ci;
}

TEST(container_docker_systemd_and_cgroupfs_drivers)
{
	struct container_info ci = parse("/system.slice/docker-" ID64 ".scope");

	ASSERT_EQ_STR(ci.runtime, "docker");
	ASSERT_EQ_STR(ci.id, ID64);
	ASSERT_EQ_STR(ci.unit, "");
	ASSERT_EQ_STR(ci.pod, "");
	ci = parse("/docker/" ID64);
	ASSERT_EQ_STR(ci.runtime, "docker");
	ASSERT_EQ_STR(ci.id, ID64);
}

TEST(container_kubernetes_systemd_slices_name_pod_and_runtime)
{
	struct container_info ci = parse("/kubepods.slice/kubepods-burstable.slice/"
					 "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID64 ".scope");

	ASSERT_EQ_STR(ci.runtime, "containerd");
	ASSERT_EQ_STR(ci.id, ID64);
	ASSERT_EQ_STR(ci.pod, UID);
	ci = parse("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		   ".slice/crio-" ID64 ".scope");
	ASSERT_EQ_STR(ci.runtime, "crio");
	ASSERT_EQ_STR(ci.id, ID64);
	ASSERT_EQ_STR(ci.pod, UID);
	/* guaranteed QoS pods sit directly under kubepods.slice */
	ci = parse("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID64 ".scope");
	ASSERT_EQ_STR(ci.pod, UID);
}

TEST(container_conmon_is_not_the_container)
{
	struct container_info ci = parse("/kubepods.slice/kubepods-burstable.slice/"
					 "kubepods-burstable-pod" UID_ ".slice/crio-conmon-" ID64 ".scope");

	ASSERT_EQ_STR(ci.id, "");
	ASSERT_EQ_STR(ci.unit, "crio-conmon-" ID64 ".scope");
	ASSERT_EQ_STR(ci.pod, UID);
}

TEST(container_kubernetes_cgroupfs_driver)
{
	struct container_info ci = parse("/kubepods/burstable/pod" UID "/" ID64);

	ASSERT_EQ_STR(ci.runtime, "cri");
	ASSERT_EQ_STR(ci.id, ID64);
	ASSERT_EQ_STR(ci.pod, UID);
	ci = parse("/kubepods/pod" UID "/" ID64);
	ASSERT_EQ_STR(ci.pod, UID);
	ASSERT_EQ_STR(ci.id, ID64);
	/* kind / k3s: a node in a container, kubelet's tree below it */
	ci = parse("/docker/" ID64 "/kubepods/burstable/pod" UID "/" ID64);
	ASSERT_EQ_STR(ci.runtime, "cri");
	ASSERT_EQ_STR(ci.pod, UID);
	/* the pod's own cgroup, no container yet */
	ci = parse("/kubepods/besteffort/pod" UID);
	ASSERT_EQ_STR(ci.id, "");
	ASSERT_EQ_STR(ci.pod, UID);
}

TEST(container_podman_rootful_rootless_and_cgroupfs)
{
	struct container_info ci = parse("/machine.slice/libpod-" ID64 ".scope");

	ASSERT_EQ_STR(ci.runtime, "podman");
	ASSERT_EQ_STR(ci.id, ID64);
	ci = parse("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope");
	ASSERT_EQ_STR(ci.runtime, "podman");
	ASSERT_EQ_STR(ci.id, ID64);
	ASSERT_EQ_STR(ci.unit, "user@1000.service");
	ci = parse("/libpod_parent/libpod-" ID64);
	ASSERT_EQ_STR(ci.runtime, "podman");
	ci = parse("/machine.slice/libpod-conmon-" ID64 ".scope");
	ASSERT_EQ_STR(ci.id, "");
}

TEST(container_systemd_units)
{
	struct container_info ci = parse("/system.slice/nginx.service");

	ASSERT_EQ_STR(ci.unit, "nginx.service");
	ASSERT_EQ_STR(ci.id, "");
	ci = parse("/user.slice/user-0.slice/session-3.scope");
	ASSERT_EQ_STR(ci.unit, "session-3.scope");
	ci = parse("/system.slice/app.service/worker");
	ASSERT_EQ_STR(ci.unit, "app.service");
}

TEST(container_rejects_lookalikes)
{
	struct container_info ci = parse("/system.slice/docker-XYZ.scope");

	ASSERT_EQ_STR(ci.id, "");
	ASSERT_EQ_STR(ci.unit, "docker-XYZ.scope");
	ci = parse("/system.slice/docker-abc.scope"); /* shorter than any runtime id */
	ASSERT_EQ_STR(ci.id, "");
	ci = parse("/docker/" ID64 "0"); /* 65 digits */
	ASSERT_EQ_STR(ci.id, "");
	ci = parse("/kubepods.slice/kubepods-burstable-pod1234.slice");
	ASSERT_EQ_STR(ci.pod, "");
	ci = parse("/system.slice/podman.service");
	ASSERT_EQ_STR(ci.pod, "");
	ci = parse("/");
	ASSERT_EQ_STR(ci.id, "");
	ASSERT_EQ_STR(ci.unit, "");
	ci = parse(NULL);
	ASSERT_EQ_STR(ci.id, "");
}

TEST(container_describe_prefers_container_then_pod_unit_path)
{
	struct container_info ci;
	char buf[128];

	container_parse("/kubepods/burstable/pod" UID "/" ID64, &ci);
	container_describe(&ci, "/x", buf, sizeof(buf));
	ASSERT_EQ_STR(buf, "4f1c2e9d8b7a cri pod " UID);
	container_parse("/kubepods/burstable/pod" UID, &ci);
	container_describe(&ci, "/x", buf, sizeof(buf));
	ASSERT_EQ_STR(buf, "pod " UID);
	container_parse("/system.slice/nginx.service", &ci);
	container_describe(&ci, "/system.slice/nginx.service", buf, sizeof(buf));
	ASSERT_EQ_STR(buf, "nginx.service");
	container_parse("/tt/x", &ci);
	container_describe(&ci, "/tt/x", buf, sizeof(buf));
	ASSERT_EQ_STR(buf, "/tt/x");
	container_describe(&ci, NULL, buf, sizeof(buf));
	ASSERT_EQ_STR(buf, "-");
}

TEST(cgroup2_mount_found_in_hybrid_mountinfo)
{
	static const char mi[] =
		"25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw\n"
		"31 25 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
		"34 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		"41 31 0:38 / /sys/fs/cgroup/un\\040ified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
	char buf[256];

	if (!ASSERT_OK(cgroup2_mount_find(mi, buf, sizeof(buf))))
		return;
	ASSERT_EQ_STR(buf, "/sys/fs/cgroup/un ified");
	ASSERT_EQ_INT(cgroup2_mount_find("34 31 0:30 / /m rw - cgroup cgroup rw\n", buf,
					 sizeof(buf)), -ENOENT);
	ASSERT_EQ_INT(cgroup2_mount_find("", buf, sizeof(buf)), -ENOENT);
}

static uint64_t inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* A cgroup's id is its directory's inode: any directory tree stands in for one. */
TEST(cgroup_cache_names_ids_by_inode_and_remembers_removed)
{
	char root[] = "/tmp/tt-unit-cg.XXXXXX", a[64], b[64], buf[CGROUP_PATH_MAX];
	struct cgroup_cache *c;
	uint64_t ia, ib;

	if (!ASSERT_TRUE(mkdtemp(root)))
		return;
	snprintf(a, sizeof(a), "%s/system.slice", root);
	snprintf(b, sizeof(b), "%s/system.slice/x.service", root);
	mkdir(a, 0755);
	mkdir(b, 0755);
	ia = inode_of(a);
	ib = inode_of(b);
	c = cgroup_cache_new(root);
	if (!ASSERT_TRUE(c))
		goto out;
	if (ASSERT_OK(cgroup_cache_path(c, ib, buf, sizeof(buf))))
		ASSERT_EQ_STR(buf, "/system.slice/x.service");
	if (ASSERT_OK(cgroup_cache_path(c, ia, buf, sizeof(buf))))
		ASSERT_EQ_STR(buf, "/system.slice");
	if (ASSERT_OK(cgroup_cache_path(c, inode_of(root), buf, sizeof(buf))))
		ASSERT_EQ_STR(buf, "/");
	ASSERT_EQ_INT(cgroup_cache_path(c, 0, buf, sizeof(buf)), -ENOENT);
	rmdir(b);
	if (ASSERT_OK(cgroup_cache_path(c, ib, buf, sizeof(buf))))
		ASSERT_EQ_STR(buf, "/system.slice/x.service");
	cgroup_cache_free(c);
	c = cgroup_cache_new("/nonexistent/tt-cgroup");
	if (ASSERT_TRUE(c))
		ASSERT_EQ_INT(cgroup_cache_path(c, ia, buf, sizeof(buf)), -ENOENT);
	cgroup_cache_free(c);
out:
	rmdir(b);
	rmdir(a);
	rmdir(root);
}
