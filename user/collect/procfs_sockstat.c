// SPDX-License-Identifier: GPL-2.0
/* /proc/net/sockstat: "TCP: inuse 5 orphan 0 ..." lines into struct sockstat. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "procfs.h"
#include "procfs_int.h"

struct sockstat_field {
	const char *prefix;
	const char *key;
	size_t offset;
};

static const struct sockstat_field sockstat_fields[] = {
	{ "sockets", "used",   offsetof(struct sockstat, sockets_used) },
	{ "TCP",     "inuse",  offsetof(struct sockstat, tcp_inuse) },
	{ "TCP",     "orphan", offsetof(struct sockstat, tcp_orphan) },
	{ "TCP",     "tw",     offsetof(struct sockstat, tcp_tw) },
	{ "TCP",     "alloc",  offsetof(struct sockstat, tcp_alloc) },
	{ "TCP",     "mem",    offsetof(struct sockstat, tcp_mem_pages) },
	{ "UDP",     "inuse",  offsetof(struct sockstat, udp_inuse) },
	{ "UDP",     "mem",    offsetof(struct sockstat, udp_mem_pages) },
};

static int64_t *sockstat_slot(struct sockstat *ss, struct span prefix,
			      struct span key)
{
	size_t i;

	for (i = 0; i < sizeof(sockstat_fields) / sizeof(sockstat_fields[0]); i++)
		if (span_is(prefix, sockstat_fields[i].prefix) &&
		    span_is(key, sockstat_fields[i].key))
			return (int64_t *)((char *)ss + sockstat_fields[i].offset);
	return NULL;
}

/* "TCP: inuse 5 orphan 0 ..." is key/value pairs after the prefix. */
static int parse_sockstat_line(struct sockstat *ss, struct span prefix,
			       struct span rest)
{
	struct span key, value;
	int64_t *slot;
	int err;

	while (next_token(&rest, &key)) {
		slot = sockstat_slot(ss, prefix, key);
		if (!next_token(&rest, &value))
			return slot ? -EINVAL : 0;	/* only our fields must be whole */
		if (!slot)
			continue;
		err = parse_i64(value, slot);
		if (err)
			return -EINVAL;
	}
	return 0;
}

int sockstat_parse(const char *text, struct sockstat *ss)
{
	struct sockstat out = {
		-1, -1, -1, -1, -1, -1, -1, -1,
	};
	struct span line, prefix;
	bool saw_tcp = false;
	int err;

	while (next_content_line(&text, &line)) {
		if (!take_line_prefix(&line, &prefix))
			return -EINVAL;
		saw_tcp |= span_is(prefix, "TCP");
		err = parse_sockstat_line(&out, prefix, line);
		if (err)
			return err;
	}
	if (!saw_tcp)
		return -EINVAL;
	*ss = out;
	return 0;
}

int sockstat_read(const char *path, struct sockstat *ss)
{
	char *text;
	int err;

	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = sockstat_parse(text, ss);
	free(text);
	return err;
}
