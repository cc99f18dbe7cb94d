// Map sizes: the test-only override list and owners sized from the host's sockets.
#include <errno.h>
#include <string.h>
#include "mapsize.h"
#include "test.h"

TEST(map_override_finds_the_named_map)
{
	uint32_t n = 0;

	ASSERT_EQ_INT(map_entries_override("counts:64", "counts", &n), 1);
	ASSERT_EQ_INT(n, 64);
	ASSERT_EQ_INT(map_entries_override("owners:8,counts:128", "counts", &n), 1);
	ASSERT_EQ_INT(n, 128);
	n = 7;
	ASSERT_EQ_INT(map_entries_override("counts:64", "count", &n), 0);
	ASSERT_EQ_INT(map_entries_override("counts:64", "counts_x", &n), 0);
	ASSERT_EQ_INT(n, 7);
	ASSERT_EQ_INT(map_entries_override(NULL, "counts", &n), 0);
	ASSERT_EQ_INT(map_entries_override("", "counts", &n), 0);
}

TEST(map_override_refuses_malformed_lists)
{
	static const char *const bad[] = { "counts", "counts:", ":64", "counts:0", "counts:-1",
					   "counts:6x", "counts:64,", ",counts:64", "counts:64,,owners:8",
					   "counts:4294967296", "counts:2147483649" };
	char what[64];
	uint32_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ_INT(map_entries_override(bad[i], "counts", &n), -EINVAL);
		ASSERT_EQ_INT(map_entries_spec_check(bad[i], what, sizeof(what)), -EINVAL);
	}
	ASSERT_EQ_INT(map_entries_spec_check("counts:6x,owners:8", what, sizeof(what)), -EINVAL);
	ASSERT_EQ_STR(what, "'counts:6x'");
	ASSERT_OK(map_entries_spec_check("counts:64,owners:2147483648", what, sizeof(what)));
}

TEST(owners_sized_twice_the_sockets_as_a_power_of_two)
{
	ASSERT_EQ_INT(owners_entries_for(0, false), OWNERS_MIN);
	ASSERT_EQ_INT(owners_entries_for(OWNERS_MIN / 2, false), OWNERS_MIN);
	ASSERT_EQ_INT(owners_entries_for(OWNERS_MIN / 2 + 1, false), 2 * OWNERS_MIN);
	ASSERT_EQ_INT(owners_entries_for(100000, false), 262144);
	ASSERT_EQ_INT(owners_entries_for(1ull << 40, false), OWNERS_MAX);
}

TEST(owners_in_storage_sized_for_listeners_and_closers_whatever_the_sockets)
{
	ASSERT_EQ_INT(owners_entries_for(0, true), OWNERS_KEPT);
	ASSERT_EQ_INT(owners_entries_for(100000, true), OWNERS_KEPT);
	ASSERT_EQ_INT(owners_entries_for(1ull << 40, true), OWNERS_KEPT);
}

TEST(seed_parking_sized_for_every_socket_and_room_up_to_the_cap)
{
	ASSERT_EQ_INT(seed_entries_for(0), OWNERS_KEPT);
	ASSERT_EQ_INT(seed_entries_for(100000), 100000 + OWNERS_KEPT);
	ASSERT_EQ_INT(seed_entries_for(1ull << 40), OWNERS_MAX);
}

/* A fake reader: namespace inode i has i * 10 sockets, or only TCP and UDP counts when odd. */
static int fake_sockstat(const struct netns_entry *e, struct sockstat *ss)
{
	if (e->inode == 99)
		return -ENOENT; /* gone meanwhile */
	memset(ss, 0xff, sizeof(*ss)); /* every field -1: not printed */
	if (e->inode % 2) {
		ss->tcp_inuse = e->inode;
		ss->udp_inuse = 1;
	} else {
		ss->sockets_used = e->inode * 10;
	}
	return 0;
}

TEST(sockets_summed_over_every_namespace)
{
	struct netns_entry items[4] = { { .inode = 4 }, { .inode = 99 }, { .inode = 7 }, { .inode = 10 } };
	struct netns_list l = { items, 4 };
	uint64_t sockets = 1;

	ASSERT_EQ_INT(sockets_in_namespaces(&l, fake_sockstat, &sockets), 1);
	ASSERT_EQ_INT(sockets, 40 + 8 + 100);
	l.count = 0;
	ASSERT_EQ_INT(sockets_in_namespaces(&l, fake_sockstat, &sockets), 0);
	ASSERT_EQ_INT(sockets, 0);
}
