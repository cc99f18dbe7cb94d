// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "container.h"
#include "procfs.h"

#define MAX_COMPONENTS 64
#define CGROUP_MAX_DEPTH 32
#define CACHE_MAX 65536      /* cgroups remembered before the cache starts over */
#define REWALK_AFTER_S 1.0   /* a miss walks the tree again at most this often */

/* ------------------------------------------------------------ path forms */

static bool is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return len > 0;
}

/* Runtimes name container ids with 12 to 64 lowercase hex digits. */
static bool is_container_id(const char *s, size_t len)
{
	return len >= 12 && len <= 64 && is_hex(s, len);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* A pod UID is 8-4-4-4-12 hex digits; systemd slices write '_' for '-'. */
static bool pod_uid_take(const char *s, size_t len, char out[37])
{
	static const int dash_at[] = { 8, 13, 18, 23 };

	if (len != 36)
		return false;
	for (size_t i = 0, d = 0; i < len; i++) {
		bool want_dash = d < 4 && (int)i == dash_at[d];

		if (want_dash ? (s[i] != '-' && s[i] != '_') : !isxdigit((unsigned char)s[i]))
			return false;
		out[i] = want_dash ? '-' : s[i];
		d += want_dash;
	}
	out[36] = 0;
	return true;
}

/* "kubepods-burstable-pod<uid_>.slice" (systemd) or "pod<uid>" (cgroupfs). */
static bool match_pod(const char *comp, char out[37])
{
	const char *p;

	if (!strncmp(comp, "pod", 3))
		return pod_uid_take(comp + 3, strlen(comp + 3), out);
	if (strncmp(comp, "kubepods", 8) || !ends_with(comp, ".slice"))
		return false;
	p = strstr(comp, "-pod");
	return p && pod_uid_take(p + 4, strlen(p + 4) - strlen(".slice"), out);
}

static const struct {
	const char *prefix;
	const char *runtime;
} scope_forms[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "crio" },
	{ "libpod-", "podman" },
};

static void set_container(struct container_info *ci, const char *runtime, const char *id,
			  size_t len)
{
	snprintf(ci->runtime, sizeof(ci->runtime), "%s", runtime);
	snprintf(ci->id, sizeof(ci->id), "%.*s", (int)len, id);
}

/* "<prefix><id>.scope" (systemd driver) or "<prefix><id>" (podman's cgroupfs). */
static bool match_scope(const char *comp, struct container_info *ci)
{
	for (size_t i = 0; i < sizeof(scope_forms) / sizeof(scope_forms[0]); i++) {
		size_t plen = strlen(scope_forms[i].prefix), len;
		const char *id = comp + plen;

		if (strncmp(comp, scope_forms[i].prefix, plen))
			continue;
		len = strlen(id) - (ends_with(id, ".scope") ? strlen(".scope") : 0);
		if (!is_container_id(id, len))
			continue;
		set_container(ci, scope_forms[i].runtime, id, len);
		return true;
	}
	return false;
}

/* A bare 64-hex directory: "/docker/<id>", "/kubepods/burstable/pod<uid>/<id>". */
static bool match_bare(const char *comp, const char *parent, bool under_kubepods,
		       struct container_info *ci)
{
	size_t len = strlen(comp);

	if (len != 64 || !is_hex(comp, len))
		return false;
	set_container(ci, under_kubepods ? "cri" : parent && !strcmp(parent, "docker") ?
			  "docker" : "", comp, len);
	return true;
}

static bool is_unit(const char *comp)
{
	return ends_with(comp, ".service") || ends_with(comp, ".scope");
}

/* Split path into components in buf; returns how many. */
static size_t split_path(const char *path, char *buf, size_t len, char **comp)
{
	size_t n = 0;
	char *save = NULL;

	snprintf(buf, len, "%s", path ? path : "");
	for (char *c = strtok_r(buf, "/", &save); c && n < MAX_COMPONENTS;
	     c = strtok_r(NULL, "/", &save))
		comp[n++] = c;
	return n;
}

/* kubelet's tree may sit anywhere: "/kubepods/...", "/kubelet.slice/kubelet-kubepods.slice/..." */
static bool under_kubepods(char *const *comp, size_t i)
{
	while (i-- > 0)
		if (strstr(comp[i], "kubepods"))
			return true;
	return false;
}

void container_parse(const char *path, struct container_info *ci)
{
	char buf[CGROUP_PATH_MAX], *comp[MAX_COMPONENTS];
	size_t n = split_path(path, buf, sizeof(buf), comp);

	memset(ci, 0, sizeof(*ci));
	/* innermost first: a container's own scope wins over the slices around it */
	for (size_t i = n; i-- > 0;) {
		bool is_container = false;

		if (!ci->id[0])
			is_container = match_scope(comp[i], ci) ||
				       match_bare(comp[i], i ? comp[i - 1] : NULL,
						  under_kubepods(comp, i), ci);
		if (!is_container && !ci->unit[0] && is_unit(comp[i]))
			snprintf(ci->unit, sizeof(ci->unit), "%s", comp[i]);
		if (!ci->pod[0])
			match_pod(comp[i], ci->pod);
	}
}

void container_describe(const struct container_info *ci, const char *path, char *buf,
			size_t len)
{
	if (ci->id[0])
		snprintf(buf, len, "%.12s%s%s%s%s", ci->id, ci->runtime[0] ? " " : "", ci->runtime,
			 ci->pod[0] ? " pod " : "", ci->pod);
	else if (ci->pod[0])
		snprintf(buf, len, "pod %s", ci->pod);
	else if (ci->unit[0])
		snprintf(buf, len, "%s", ci->unit);
	else
		snprintf(buf, len, "%s", path && path[0] ? path : "-");
}

/* ------------------------------------------------------------ cgroup2 mount */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

int cgroup2_mount_find(const char *mountinfo, char *buf, size_t len)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char l[1024], target[1024];

		/* "ID PARENT MAJ:MIN ROOT TARGET OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS" */
		snprintf(l, sizeof(l), "%.*s", (int)n, line);
		if (strstr(l, " - cgroup2 ") && sscanf(l, "%*s %*s %*s %*s %1023s", target) == 1) {
			unescape_octal(target);
			snprintf(buf, len, "%s", target);
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------ cgroup cache */

struct cgroup_entry {
	uint64_t id;
	char *path;
};

struct cgroup_cache {
	char root[PATH_MAX]; /* "" when no cgroup2 is mounted */
	struct cgroup_entry *e;
	size_t n, cap;
	bool walked;
	struct timespec last_walk;
};

struct cgroup_cache *cgroup_cache_new(const char *root)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));
	char *text = NULL;
	size_t len;

	if (!c)
		return NULL;
	if (root) {
		snprintf(c->root, sizeof(c->root), "%s", root);
	} else if (!read_file_all("/proc/self/mountinfo", &text, &len)) {
		cgroup2_mount_find(text, c->root, sizeof(c->root));
		free(text);
	}
	return c;
}

static void cache_clear(struct cgroup_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].path);
	c->n = 0;
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	cache_clear(c);
	free(c->e);
	free(c);
}

static int cache_add(struct cgroup_cache *c, uint64_t id, const char *path)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		struct cgroup_entry *n = realloc(c->e, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->e = n;
		c->cap = ncap;
	}
	c->e[c->n].path = strdup(path);
	if (!c->e[c->n].path)
		return -ENOMEM;
	c->e[c->n++].id = id;
	return 0;
}

/* Record the directory open at fd (path rel) and everything below it; closes fd. */
/* NOLINTNEXTLINE(misc-no-recursion): depth is bounded by CGROUP_MAX_DEPTH */
static int walk_dir(struct cgroup_cache *c, int fd, char *rel, size_t used, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int err;

	if (fstat(fd, &st)) {
		close(fd);
		return 0; /* removed under us */
	}
	err = cache_add(c, st.st_ino, used ? rel : "/");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err;
	}
	while (!err && depth < CGROUP_MAX_DEPTH && (de = readdir(d))) {
		int sub, n;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		n = snprintf(rel + used, CGROUP_PATH_MAX - used, "/%s", de->d_name);
		if (n < 0 || (size_t)n >= CGROUP_PATH_MAX - used)
			continue; /* too long to report: leave it unnamed */
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			err = walk_dir(c, sub, rel, used + n, depth + 1);
		rel[used] = 0;
	}
	closedir(d);
	return err;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct cgroup_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Sort by id and keep one entry per id (a rewalk adds the live ones again). */
static void cache_sort_unique(struct cgroup_cache *c)
{
	size_t w = 0;

	qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
	for (size_t i = 0; i < c->n; i++) {
		if (w && c->e[w - 1].id == c->e[i].id) {
			free(c->e[w - 1].path);
			c->e[w - 1].path = c->e[i].path;
			continue;
		}
		c->e[w++] = c->e[i];
	}
	c->n = w;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static int cache_walk(struct cgroup_cache *c)
{
	char rel[CGROUP_PATH_MAX] = "";
	int fd, err;

	clock_gettime(CLOCK_MONOTONIC, &c->last_walk);
	c->walked = true;
	if (c->n > CACHE_MAX)
		cache_clear(c);
	fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = walk_dir(c, fd, rel, 0, 0);
	cache_sort_unique(c);
	return err;
}

static const struct cgroup_entry *cache_find(const struct cgroup_cache *c, uint64_t id)
{
	struct cgroup_entry key = { .id = id };

	return c->n ? bsearch(&key, c->e, c->n, sizeof(*c->e), entry_cmp) : NULL;
}

int cgroup_cache_path(struct cgroup_cache *c, uint64_t id, char *buf, size_t len)
{
	const struct cgroup_entry *e = cache_find(c, id);
	int err;

	if (!e && id && c->root[0] && (!c->walked || seconds_since(&c->last_walk) >= REWALK_AFTER_S)) {
		err = cache_walk(c);
		if (err == -ENOMEM)
			return err;
		e = cache_find(c, id);
	}
	if (!e)
		return -ENOENT;
	snprintf(buf, len, "%s", e->path);
	return 0;
}
