// SPDX-License-Identifier: GPL-2.0
// The hook table against the BPF object, opened and never loaded (no root
// needed): the loader takes each hook's tracepoint and forms from the
// programs' section names, so a program no hook claims, a hook with no
// program or forms that disagree would only show on a kernel.
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "hooks.h"
#include "tcptriage.skel.h"
#include "test.h"

#define HOOKS_MAX 64

/* One hook as the loader sees it: its program and site in each form. */
struct hook_forms {
	const struct bpf_program *prog[ATTACH_NONE];
	struct hook_site site[ATTACH_NONE];
};

/* bpftool and the verifier log show program names: the name must say the form. */
static const char *const form_suffix[ATTACH_NONE] = { "__btf", "__raw", "__tp" };

/* The skeleton opened, not loaded, with its hooks' programs sorted into forms[]; NULL on failure. */
static struct tcptriage_bpf *open_forms(struct test_ctx *t, struct hook_forms *forms)
{
	struct tcptriage_bpf *skel = tcptriage_bpf__open();
	struct bpf_program *p;
	struct hook_site site;
	int i;

	memset(forms, 0, HOOKS_MAX * sizeof(*forms));
	if (!test_check(t, skel != NULL, __FILE__, __LINE__, "tcptriage_bpf__open: %s",
			strerror(errno)))
		return NULL;
	bpf_object__for_each_program(p, skel->obj) {
		if ((i = hook_of_program(p, &site)) < 0)
			continue; /* reported by the first test */
		forms[i].prog[site.kind] = p;
		forms[i].site[site.kind] = site;
	}
	return skel;
}

/* Why hook_of_program() claimed no hook for a program, in hooks.h's words. */
static const char *unclaimed(int err)
{
	return err == -ESRCH ? "no hook has its name" :
	       err == -EINVAL ? "malformed section" : "attaches no tracepoint";
}

/* Run on demand, never attached: an iterator, or a raw_tp naming no tracepoint (flush_resets). */
static bool runs_on_demand(const char *sec)
{
	return !strncmp(sec, "iter/", 5) || !strcmp(sec, "raw_tp");
}

/* One program: a form no other program of its hook has, or one run on demand. */
static void check_program(struct test_ctx *t, const struct bpf_program *p,
			  const struct bpf_program *seen[][ATTACH_NONE])
{
	const char *name = bpf_program__name(p), *sec = bpf_program__section_name(p);
	struct hook_site site;
	int i = hook_of_program(p, &site);

	if (i < 0) {
		test_check(t, i == -ENOENT && runs_on_demand(sec), __FILE__, __LINE__,
			   "%s (SEC \"%s\") is no hook's form and not run on demand: %s", name, sec,
			   unclaimed(i));
		return;
	}
	test_check(t, !seen[i][site.kind], __FILE__, __LINE__,
		   "%s and %s are both the %s form of one hook", name,
		   seen[i][site.kind] ? bpf_program__name(seen[i][site.kind]) : "",
		   attach_kind_name(site.kind));
	seen[i][site.kind] = p;
}

TEST(hooks_every_program_is_one_hooks_form_or_run_on_demand)
{
	const struct bpf_program *seen[HOOKS_MAX][ATTACH_NONE] = {};
	struct tcptriage_bpf *skel;
	struct bpf_program *p;
	size_t n;

	hook_defs(&n);
	if (!ASSERT_TRUE(n > 0 && n <= HOOKS_MAX) || !ASSERT_TRUE((skel = tcptriage_bpf__open())))
		return;
	bpf_object__for_each_program(p, skel->obj)
		check_program(t, p, seen);
	tcptriage_bpf__destroy(skel);
}

/*
 * A hook's forms: at least one, all on one tracepoint, and its category named
 * once: by its classic program's section, or in hooks.c when it has none.
 */
static void check_forms(struct test_ctx *t, const struct hook_def *def, const struct hook_forms *f)
{
	const struct bpf_program *any = NULL;
	const char *tp = NULL;
	char want[96];

	if (f->prog[ATTACH_TP])
		test_check(t, f->site[ATTACH_TP].category[0] && !def->category, __FILE__, __LINE__,
			   "hook %s: its classic section names its category, hooks.c does not",
			   def->name);
	else
		test_check(t, def->category && def->category[0], __FILE__, __LINE__,
			   "hook %s has no tracepoint/ program: hooks.c names its category", def->name);
	for (int k = ATTACH_BTF; k < ATTACH_NONE; k++) {
		if (!f->prog[k])
			continue;
		any = f->prog[k];
		if (!tp)
			tp = f->site[k].tp;
		ASSERT_EQ_STR(f->site[k].tp, tp);
		snprintf(want, sizeof(want), "%s%s", def->name, form_suffix[k]);
		ASSERT_EQ_STR(bpf_program__name(f->prog[k]), want);
	}
	test_check(t, any != NULL, __FILE__, __LINE__, "hook %s has no program", def->name);
}

TEST(hooks_every_hook_has_programs_whose_forms_agree)
{
	struct hook_forms forms[HOOKS_MAX];
	const struct hook_def *defs;
	struct tcptriage_bpf *skel;
	size_t n;

	defs = hook_defs(&n);
	if (!ASSERT_TRUE(n > 0 && n <= HOOKS_MAX) || !(skel = open_forms(t, forms)))
		return;
	for (size_t i = 0; i < n; i++)
		check_forms(t, &defs[i], &forms[i]);
	tcptriage_bpf__destroy(skel);
}

TEST(hooks_attach_distinct_tracepoints)
{
	struct hook_forms forms[HOOKS_MAX];
	struct tcptriage_bpf *skel;
	size_t n;

	hook_defs(&n);
	if (!ASSERT_TRUE(n > 0 && n <= HOOKS_MAX) || !(skel = open_forms(t, forms)))
		return;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			test_check(t, strcmp(forms[i].site[ATTACH_TP].tp, forms[j].site[ATTACH_TP].tp),
				   __FILE__, __LINE__, "hooks %zu and %zu both attach %s", i, j,
				   forms[i].site[ATTACH_TP].tp);
	tcptriage_bpf__destroy(skel);
}

/* The agent refuses to start without these (check's '*', the start line's "essential"). */
TEST(hooks_essential_are_state_destroy_retransmit_and_drops)
{
	static const char *const want[] = { "inet_sock_set_state", "tcp_destroy_sock",
					    "tcp_retransmit_skb", "kfree_skb" };
	struct hook_forms forms[HOOKS_MAX];
	const struct hook_def *defs;
	struct tcptriage_bpf *skel;
	size_t n, w = 0;

	defs = hook_defs(&n);
	if (!ASSERT_TRUE(n > 0 && n <= HOOKS_MAX) || !(skel = open_forms(t, forms)))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!defs[i].essential)
			continue;
		if (ASSERT_TRUE(w < sizeof(want) / sizeof(want[0])))
			ASSERT_EQ_STR(forms[i].site[ATTACH_TP].tp, want[w]);
		w++;
	}
	ASSERT_EQ_INT(w, sizeof(want) / sizeof(want[0]));
	tcptriage_bpf__destroy(skel);
}
