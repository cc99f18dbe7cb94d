// SPDX-License-Identifier: GPL-2.0
/* What this kernel can show: the floor and the per-kernel tracepoint arguments, from BTF. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kfeatures.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* Each feature is a member of a tracepoint's record: the argument comes with it. */
static const struct {
	const char *name;
	const char *record; /* struct in BTF */
	const char *member;
	const char *since;
	const char *unseen;
} kfeature_table[KF_COUNT] = {
	[KF_DROP_REASONS] = { "drop_reasons", "trace_event_raw_kfree_skb", "reason", "5.17",
			      "why packets were dropped (memory, receive buffer, netfilter): drops are "
			      "counted without a reason" },
	[KF_DROP_RX_SK] = { "drop_receiving_socket", "trace_event_raw_kfree_skb", "rx_sk", "6.11",
			    "the receiving socket of an inbound drop: such drops are charged to the "
			    "namespace, not to a process (UDP datagrams a full buffer refused are "
			    "charged to their socket's owner all the same: udp_fail_queue_rcv_skb)" },
	[KF_RESET_NO_SOCKET] = { "resets_without_socket", "trace_event_raw_tcp_send_reset", "skaddr",
				 "6.9", "resets sent where there is no socket (a refused connect, a stray "
				 "segment): only the namespace's Tcp OutRsts counts them" },
	[KF_RESET_REASONS] = { "reset_reasons", "trace_event_raw_tcp_send_reset", "reason", "6.10",
			       "why the kernel sent a reset (e.g. an orphan aborted for memory): resets "
			       "are counted without a reason" },
	[KF_RETRANS_ERR] = { "retransmit_errors", "trace_event_raw_tcp_retransmit_skb", "err", "6.17",
			     "retransmits that failed locally: they count as retransmits" },
};

static bool btf_has_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;

	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

void kfeatures_probe(const struct btf *btf, struct kfeatures *kf)
{
	for (int k = 0; k < KF_COUNT; k++)
		kf->has[k] = btf && btf_has_member(btf, kfeature_table[k].record,
						   kfeature_table[k].member);
}

const char *kfeature_name(enum kfeature k)
{
	return kfeature_table[k].name;
}

const char *kfeature_since(enum kfeature k)
{
	return kfeature_table[k].since;
}

const char *kfeature_unseen(enum kfeature k)
{
	return kfeature_table[k].unseen;
}

static void append(char *buf, size_t len, const char *what)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", what);
}

int kfeatures_floor(const struct btf *btf, char *missing, size_t len)
{
	missing[0] = '\0';
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0)
		append(missing, len, "BPF ring buffer (Linux 5.8)");
	if (btf__find_by_name_kind(btf, "bpf_iter__task_file", BTF_KIND_STRUCT) <= 0)
		append(missing, len, "BPF iterator over open files (Linux 5.8)");
	if (btf__find_by_name_kind(btf, "bpf_iter__tcp", BTF_KIND_STRUCT) <= 0)
		append(missing, len, "BPF iterator over TCP sockets (Linux 5.9)");
	return missing[0] ? -ENOTSUP : 0;
}

struct btf *kernel_btf_load(const char *path)
{
	return path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();
}

const char *kernel_btf_source(const char *path)
{
	return path ? path : VMLINUX_BTF;
}
