// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's hooks: the table written by hand (name, purpose, essential),
 * the names of the attach forms, and which hook a BPF program is a form of
 * and where it attaches, read from its section name.  The loader
 * (loader.c) maps each freshly opened object's programs through
 * hook_of_program().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "hooks.h"

#define HOOK(n, why) { .name = (n), .purpose = (why) }
/* Without these the agent would count nothing it is for: exit 1 when one cannot attach. */
#define ESSENTIAL(n, why) { .name = (n), .purpose = (why), .essential = true }

/* The tracepoints and forms are in the programs' SEC()s; see hook_of_program(). */
static const struct hook_def hook_table[] = {
	ESSENTIAL("set_state", "socket owners (connect, listen, close), connects failing for lack of local ports"),
	ESSENTIAL("destroy_sock", "forgetting closed sockets"),
	ESSENTIAL("retransmit", "retransmits"),
	HOOK("synack_retransmit", "SYN-ACK retransmits"),
	ESSENTIAL("drop", "packet drops by reason"),
	HOOK("exceed_buf", "socket memory limit hits"),
	HOOK("rcvq_full", "full receive queues"),
	/* no classic form: its record has no socket (bpf/drops.bpf.c) */
	{ .name = "udp_refused", .category = "udp",
	  .purpose = "owners of UDP sockets refusing datagrams (before 6.11: drops have no socket)" },
	HOOK("send_reset", "resets sent"),
	HOOK("receive_reset", "resets received"),
	HOOK("console", "kernel verdict lines"),
};
_Static_assert(sizeof(hook_table) / sizeof(hook_table[0]) == HOOK_COUNT,
	       "HOOK_COUNT (hooks.h) is the number of rows of hook_table");

static const char *const kind_names[] = { "tp_btf", "raw_tp", "tracepoint", "none" };

/* Section prefixes of each form as libbpf spells them, aliases included. */
static const struct {
	const char *prefix;
	enum attach_kind kind;
} section_forms[] = {
	{ "tp_btf/", ATTACH_BTF },
	{ "raw_tp/", ATTACH_RAW },
	{ "raw_tracepoint/", ATTACH_RAW },
	{ "tracepoint/", ATTACH_TP },
	{ "tp/", ATTACH_TP },
};

const char *attach_kind_name(enum attach_kind kind)
{
	return kind <= ATTACH_NONE ? kind_names[kind] : "?";
}

int attach_kind_parse(const char *s, enum attach_kind *kind)
{
	for (int k = ATTACH_BTF; k < ATTACH_NONE; k++) {
		if (!strcmp(s, kind_names[k])) {
			*kind = k;
			return 0;
		}
	}
	return -EINVAL;
}

const struct hook_def *hook_defs(size_t *count)
{
	*count = HOOK_COUNT;
	return hook_table;
}

/* "C/T" for a classic tracepoint, else "T"; false when it does not fit site. */
static bool parse_target(const char *t, struct hook_site *site)
{
	const char *slash = strchr(t, '/');

	site->category[0] = '\0';
	if (site->kind == ATTACH_TP) {
		if (!slash || (size_t)(slash - t) >= sizeof(site->category))
			return false;
		snprintf(site->category, sizeof(site->category), "%.*s", (int)(slash - t), t);
		t = slash + 1;
	}
	if (!*t || strchr(t, '/') || strlen(t) >= sizeof(site->tp))
		return false;
	snprintf(site->tp, sizeof(site->tp), "%s", t);
	return true;
}

static int parse_section(const char *sec, struct hook_site *site)
{
	for (size_t f = 0; f < sizeof(section_forms) / sizeof(section_forms[0]); f++) {
		size_t n = strlen(section_forms[f].prefix);

		if (strncmp(sec, section_forms[f].prefix, n))
			continue;
		site->kind = section_forms[f].kind;
		return parse_target(sec + n, site) ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/* The hook whose name is the stem of "<hook>__<form suffix>"; -1 when none. */
static int hook_named(const char *prog_name)
{
	const char *end = strstr(prog_name, "__");
	size_t len = end ? (size_t)(end - prog_name) : 0;

	for (size_t i = 0; len && i < HOOK_COUNT; i++)
		if (strlen(hook_table[i].name) == len && !strncmp(hook_table[i].name, prog_name, len))
			return (int)i;
	return -1;
}

int hook_of_program(const struct bpf_program *prog, struct hook_site *site)
{
	int ret = parse_section(bpf_program__section_name(prog), site);

	if (ret)
		return ret;
	ret = hook_named(bpf_program__name(prog));
	return ret < 0 ? -ESRCH : ret;
}
