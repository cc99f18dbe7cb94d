// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "netns.h"

static int inode_of(const char *path, uint32_t *inode)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*inode = st.st_ino;
	return 0;
}

uint32_t netns_self(void)
{
	uint32_t inode = 0;

	/* this thread's: the agent enters namespaces from two threads (holders.c) */
	inode_of("/proc/thread-self/ns/net", &inode);
	return inode;
}

static struct netns_entry *find_mut(struct netns_list *l, uint32_t inode)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].inode == inode)
			return &l->items[i];
	return NULL;
}

const struct netns_entry *netns_find(const struct netns_list *l, uint32_t inode)
{
	return find_mut((struct netns_list *)l, inode);
}

/* Add inode once; a named entry keeps its name. Returns the entry or NULL. */
static struct netns_entry *add(struct netns_list *l, size_t *cap, uint32_t inode)
{
	struct netns_entry *e = find_mut(l, inode);

	if (e)
		return e;
	if (l->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct netns_entry *n = realloc(l->items, ncap * sizeof(*n));

		if (!n)
			return NULL;
		l->items = n;
		*cap = ncap;
	}
	e = &l->items[l->count++];
	memset(e, 0, sizeof(*e));
	e->inode = inode;
	return e;
}

static int add_processes(struct netns_list *l, size_t *cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && !err) {
		struct netns_entry *e;
		char path[280];
		uint32_t inode = 0;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (inode_of(path, &inode))
			continue; /* gone, or a kernel thread */
		e = add(l, cap, inode);
		if (!e) {
			err = -ENOMEM;
		} else if (!e->pid) {
			e->pid = strtol(de->d_name, NULL, 10);
			if (!e->path[0])
				snprintf(e->path, sizeof(e->path), "%s", path);
		}
	}
	closedir(d);
	return err;
}

static int add_named(struct netns_list *l, size_t *cap)
{
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && !err) {
		struct netns_entry *e;
		char path[280];
		uint32_t inode = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (inode_of(path, &inode))
			continue;
		e = add(l, cap, inode);
		if (!e) {
			err = -ENOMEM;
			continue;
		}
		snprintf(e->name, sizeof(e->name), "%.63s", de->d_name);
		snprintf(e->path, sizeof(e->path), "%s", path); /* stable, unlike a pid */
	}
	closedir(d);
	return err;
}

int netns_list_all(struct netns_list *out)
{
	size_t cap = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!add(out, &cap, netns_self()))
		return -ENOMEM;
	snprintf(out->items[0].path, sizeof(out->items[0].path), "/proc/thread-self/ns/net");
	out->items[0].pid = getpid();
	err = add_processes(out, &cap);
	if (!err)
		err = add_named(out, &cap);
	if (err)
		netns_list_free(out);
	return err;
}

void netns_list_free(struct netns_list *l)
{
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

int netns_run_in(const struct netns_entry *e, int (*fn)(void *ctx), void *ctx)
{
	int self, target, ret;

	if (e->inode == netns_self())
		return fn(ctx);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(e->path, O_RDONLY | O_CLOEXEC);
	if (target < 0 || setns(target, CLONE_NEWNET)) {
		ret = -errno;
		goto cleanup;
	}
	ret = fn(ctx);
	if (setns(self, CLONE_NEWNET)) {
		/* cannot happen with our own fd; staying elsewhere would corrupt every reading */
		perror("tcptriage: cannot return to own network namespace");
		abort();
	}
cleanup:
	if (target >= 0)
		close(target);
	close(self);
	return ret;
}

struct iter_here {
	int link_fd;
	uint32_t inode; /* the namespace meant: a /proc/<pid> path may have been reused */
	int fd;
};

/* Runs inside the namespace: the iterator binds to the creator's namespace. */
static int iter_create_here(void *ctx)
{
	struct iter_here *it = ctx;

	if (netns_self() != it->inode)
		return -ENOENT;
	it->fd = bpf_iter_create(it->link_fd);
	return it->fd < 0 ? -errno : 0;
}

int netns_iter_create(const struct netns_entry *e, int link_fd)
{
	struct iter_here it = { .link_fd = link_fd, .inode = e->inode, .fd = -1 };
	int ret = netns_run_in(e, iter_create_here, &it);

	if (ret == -ESRCH)
		ret = -ENOENT;
	return ret ? ret : it.fd;
}
