// SPDX-License-Identifier: GPL-2.0
// The namespace table's bookkeeping: vanished namespaces leave it, in time.
#include <stdlib.h>
#include "nsstate.h"
#include "test.h"

/* Three namespaces: one listed now, one gone 5 s, one gone 100 s. */
static int three(struct ns_table *t)
{
	t->items = calloc(3, sizeof(*t->items));
	if (!t->items)
		return -1;
	t->count = 3;
	t->items[0] = (struct ns_state){ .inode = 1, .seen = true, .seen_at = 200 };
	t->items[1] = (struct ns_state){ .inode = 2, .seen = false, .seen_at = 195 };
	t->items[2] = (struct ns_state){ .inode = 3, .seen = false, .seen_at = 100 };
	return 0;
}

TEST(nsstate_forgets_namespaces_gone_longer_than_the_window)
{
	struct ns_table tab = { 0 };

	if (!ASSERT_OK(three(&tab)))
		return;
	ns_table_evict(&tab, 200, 60);
	ASSERT_EQ_INT(tab.count, 2);
	ASSERT_TRUE(ns_table_find(&tab, 1) && ns_table_find(&tab, 2));
	ASSERT_TRUE(!ns_table_find(&tab, 3));
	ns_table_free(&tab);
}

TEST(nsstate_without_a_window_keeps_every_namespace)
{
	struct ns_table tab = { 0 };

	if (!ASSERT_OK(three(&tab)))
		return;
	ns_table_evict(&tab, 200, 0); /* diagnose: the report covers the whole run */
	ASSERT_EQ_INT(tab.count, 3);
	ns_table_free(&tab);
}
