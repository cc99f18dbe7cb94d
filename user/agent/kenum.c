// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "kenum.h"
#include "kfeatures.h"

struct kenum_item {
	uint32_t value;
	char *name;
};

struct kenum {
	struct kenum_item *items;
	size_t count;
};

static char *strip_lower(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *s;

	if (!strncmp(name, prefix, plen))
		name += plen;
	s = strdup(name);
	for (char *p = s; p && *p; p++)
		*p = tolower((unsigned char)*p);
	return s;
}

struct kenum *kenum_load(const struct btf *btf, const char *type_name, const char *prefix)
{
	int id = btf__find_by_name_kind(btf, type_name, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *v;
	struct kenum *e;

	if (id <= 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->items = calloc(btf_vlen(t), sizeof(*e->items));
	if (!e->items) {
		free(e);
		return NULL;
	}
	v = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		e->items[e->count].value = (uint32_t)v->val;
		e->items[e->count].name = strip_lower(btf__name_by_offset(btf, v->name_off), prefix);
		if (e->items[e->count].name)
			e->count++;
	}
	return e;
}

void kenum_free(struct kenum *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->count; i++)
		free(e->items[i].name);
	free(e->items);
	free(e);
}

const char *kenum_name(const struct kenum *e, uint32_t value)
{
	for (size_t i = 0; e && i < e->count; i++)
		if (e->items[i].value == value)
			return e->items[i].name;
	return NULL;
}

int kenum_value(const struct kenum *e, const char *name, uint32_t *value)
{
	for (size_t i = 0; e && i < e->count; i++) {
		if (!strcmp(e->items[i].name, name)) {
			*value = e->items[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

int kernel_names_load(struct kernel_names *kn, const char *btf_path)
{
	struct btf *btf = kernel_btf_load(btf_path);

	memset(kn, 0, sizeof(*kn));
	if (!btf)
		return -errno;
	kn->drop_reason = kenum_load(btf, "skb_drop_reason", "SKB_DROP_REASON_");
	kn->rst_reason = kenum_load(btf, "sk_rst_reason", "SK_RST_REASON_");
	btf__free(btf);
	return 0;
}

void kernel_names_free(struct kernel_names *kn)
{
	kenum_free(kn->drop_reason);
	kenum_free(kn->rst_reason);
	memset(kn, 0, sizeof(*kn));
}
