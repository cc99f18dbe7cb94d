// SPDX-License-Identifier: GPL-2.0
// What a kernel's tracepoint records hold, read from a tiny BTF per kernel generation.
#include <string.h>
#include <bpf/btf.h>
#include "kfeatures.h"
#include "test.h"

/* struct NAME { int MEMBER...; } in btf. */
static void add_record(struct btf *btf, const char *name, const char *const *members, int n)
{
	int int_id = btf__find_by_name_kind(btf, "int", BTF_KIND_INT);

	if (int_id <= 0)
		int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(btf, name, 4 * n);
	for (int i = 0; i < n; i++)
		btf__add_field(btf, members[i], int_id, 32 * i, 0);
}

TEST(kfeatures_5_10_lacks_every_reason)
{
	static const char *const kfree[] = { "skbaddr", "location", "protocol" };
	static const char *const retrans[] = { "skbaddr", "skaddr" };
	struct btf *btf = btf__new_empty();
	struct kfeatures kf;

	add_record(btf, "trace_event_raw_kfree_skb", kfree, 3);
	add_record(btf, "trace_event_raw_tcp_event_sk_skb", retrans, 2);
	kfeatures_probe(btf, &kf);
	for (int k = 0; k < KF_COUNT; k++)
		ASSERT_TRUE(!kf.has[k]);
	btf__free(btf);
}

TEST(kfeatures_6_12_has_drop_reasons_and_rx_sk_only)
{
	static const char *const kfree[] = { "skbaddr", "location", "rx_sk", "protocol", "reason" };
	static const char *const reset[] = { "skbaddr", "skaddr", "state", "reason" };
	struct btf *btf = btf__new_empty();
	struct kfeatures kf;

	add_record(btf, "trace_event_raw_kfree_skb", kfree, 5);
	add_record(btf, "trace_event_raw_tcp_send_reset", reset, 4);
	kfeatures_probe(btf, &kf);
	ASSERT_TRUE(kf.has[KF_DROP_REASONS]);
	ASSERT_TRUE(kf.has[KF_DROP_RX_SK]);
	ASSERT_TRUE(kf.has[KF_RESET_REASONS]);
	ASSERT_TRUE(kf.has[KF_RESET_NO_SOCKET]);
	ASSERT_TRUE(!kf.has[KF_RETRANS_ERR]);
	ASSERT_EQ_STR(kfeature_since(KF_RETRANS_ERR), "6.17");
	btf__free(btf);
}

TEST(kfeatures_without_btf_sees_nothing)
{
	struct kfeatures kf;

	memset(&kf, 0xff, sizeof(kf));
	kfeatures_probe(NULL, &kf);
	for (int k = 0; k < KF_COUNT; k++)
		ASSERT_TRUE(!kf.has[k]);
}
