/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for the kernel's own TCP counters in procfs (text in, numbers out):
 * files and sysctls in procfs.c, counter sets in procfs_counters.c, sockstat
 * in procfs_sockstat.c.
 */
#ifndef __TT_PROCFS_H
#define __TT_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* Whole file into a NUL-terminated malloc'd buffer (free() it). 0 or -errno. */
int read_file_all(const char *path, char **buf, size_t *len);

#define COUNTER_NAME_MAX 64

struct counter {
	char name[COUNTER_NAME_MAX];	/* "TcpExt.ListenOverflows" */
	int64_t value;
};

/* Zero-initialize ({ 0 }) before first use. */
struct counter_set {
	struct counter *items;
	size_t len;
	size_t cap;
};

/*
 * Parse "/proc/net/netstat" or "/proc/net/snmp" text (pairs of lines
 * "TcpExt: A B" / "TcpExt: 1 2") into cs as "TcpExt.A". Counters already in
 * cs are updated in place and new ones appended, so re-reading into the
 * same set refreshes it and several files merge into one set. Values above
 * INT64_MAX wrap (compare deltas as uint64_t); names that do not fit
 * COUNTER_NAME_MAX are skipped. On error cs is unchanged.
 * Returns 0, -EINVAL (mismatched or malformed pair), -ERANGE or -ENOMEM.
 */
int counters_parse(struct counter_set *cs, const char *text);
int counters_get(const struct counter_set *cs, const char *name, int64_t *out);
void counters_reset(struct counter_set *cs);	/* empty, keeps memory */
/* dst becomes a copy of src (dst's memory reused). 0 or -ENOMEM. */
int counters_copy(struct counter_set *dst, const struct counter_set *src);
void counters_free(struct counter_set *cs);
int counters_read_file(struct counter_set *cs, const char *path);
/* "<dir>/netstat" + "<dir>/snmp", dir like "/proc/self/net", "/proc/42/net". */
int counters_read_netns(struct counter_set *cs, const char *proc_net_dir);

/* /proc/net/sockstat; fields the kernel did not print are -1. */
struct sockstat {
	int64_t sockets_used;
	int64_t tcp_inuse;
	int64_t tcp_orphan;
	int64_t tcp_tw;
	int64_t tcp_alloc;
	int64_t tcp_mem_pages;
	int64_t udp_inuse;
	int64_t udp_mem_pages;
};

/* 0, or -EINVAL if malformed or there is no "TCP:" line. */
int sockstat_parse(const char *text, struct sockstat *ss);
int sockstat_read(const char *path, struct sockstat *ss);

/*
 * Whitespace-separated decimal longs ("4096\t87380\t6291456\n").
 * Returns how many were stored, -EINVAL if one is not a number, -ERANGE,
 * or -E2BIG if there are more than max.
 */
int sysctl_parse_longs(const char *text, long *vals, int max);
int sysctl_read_longs(const char *path, long *vals, int max);

/*
 * /proc/net/stat/nf_conntrack: a header of column names, then one line of
 * hex values per CPU. Each column is summed over CPUs into cs under its
 * bare name ("drop", "early_drop", "insert_failed"), except "entries",
 * which is global and taken from the first line. Same merge semantics as
 * counters_parse(). 0, -EINVAL, -E2BIG (too many columns) or -ENOMEM.
 */
int conntrack_stat_parse(const char *text, struct counter_set *cs);
int conntrack_stat_read(const char *path, struct counter_set *cs);

#endif /* __TT_PROCFS_H */
