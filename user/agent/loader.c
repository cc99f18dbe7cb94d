// SPDX-License-Identifier: GPL-2.0
/*
 * Loader: every hook (hooks.c) is tried as tp_btf, then raw_tp, then a
 * classic tracepoint, each on its own: a program the verifier refuses demotes
 * just its hook (found by its log buffer, the only one libbpf fills:
 * loader_refusal.c), an attach failure likewise; then the object is reopened
 * and tried again.  A hook no form can load is reported unavailable, with the
 * reason, while the rest run.  Links are never pinned, so everything detaches
 * when the process ends.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "tcptriage.skel.h"
#include "kenum.h"
#include "kfeatures.h"
#include "loader_int.h"
#include "mapsize.h"
#include "procfs.h"

#define TRACEFS "/sys/kernel/tracing"

/* Each retry demotes at least one hook one form. */
#define MAX_ATTEMPTS (HOOK_COUNT * ATTACH_NONE + 1)

/*
 * Each hook's programs by form, and its tracepoint, from the section names of
 * the object just opened (it is reopened on every attempt).  Only a classic
 * tracepoint's section names the category (a hook with none has it from hooks.c).
 */
static void map_programs(struct agent *a)
{
	struct bpf_program *p;
	struct hook_site site;
	int i;

	memset(a->progs, 0, sizeof(a->progs));
	bpf_object__for_each_program(p, a->skel->obj) {
		i = hook_of_program(p, &site);
		if (i < 0)
			continue; /* an iterator, or flush_resets (run, never attached) */
		a->progs[i][site.kind] = p;
		snprintf(a->hooks[i].tp, sizeof(a->hooks[i].tp), "%s", site.tp);
		if (site.category[0])
			snprintf(a->hooks[i].category, sizeof(a->hooks[i].category), "%s",
				 site.category);
	}
}

/*
 * Classic tracepoints need tracefs.  When it is not mounted, mount it in a
 * mount namespace of our own so the host is left exactly as it was.
 */
static const char *ensure_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0 || access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return "mounted";
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return "unavailable";
	return "mounted privately";
}

static bool tp_exists(const struct hook_status *h)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s", h->category, h->tp);
	return access(path, F_OK) == 0;
}

static bool btf_tp_exists(const struct btf *vmlinux, const struct hook_status *h)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", h->tp);
	return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) > 0;
}

/* Tracing programs may keep socket storage: 5.11, which also brought bpf_sock_from_file(). */
static bool tracing_sk_storage(const struct btf *vmlinux)
{
	struct kenum *helpers = kenum_load(vmlinux, "bpf_func_id", "BPF_FUNC_");
	uint32_t id;
	bool found = helpers && !kenum_value(helpers, "sock_from_file", &id);

	kenum_free(helpers);
	return found;
}

/*
 * Owners go in the sockets' storage (bpf/common.bpf.h sk_owners) when the
 * kernel allows it and every hook that has a tp_btf form loads in it: only
 * typed programs can reach a socket's storage, and every program must look
 * owners up in the same place.
 */
static bool owners_storage_usable(const struct agent *a)
{
	if (!a->sk_storage)
		return false;
	for (size_t i = 0; i < HOOK_COUNT; i++)
		if (a->plan[i] != ATTACH_NONE && a->progs[i][ATTACH_BTF] && a->plan[i] != ATTACH_BTF)
			return false;
	return true;
}

/* The first form at or after `from` that the kernel and the object offer. */
static enum attach_kind usable_kind(struct agent *a, const struct btf *vmlinux, size_t i,
				    enum attach_kind from)
{
	const struct hook_status *h = &a->hooks[i];

	for (enum attach_kind k = from; k < ATTACH_NONE; k++) {
		if (!a->progs[i][k])
			continue;
		if (k == ATTACH_TP ? tp_exists(h) : btf_tp_exists(vmlinux, h))
			return k;
	}
	return ATTACH_NONE;
}

/* The start-up seed's iterators that reach the sockets' storage: only when owners are kept there. */
static void storage_iterators_autoload(struct agent *a)
{
	bpf_program__set_autoload(a->skel->progs.seed_storage_tcp, a->owners_in_storage);
	bpf_program__set_autoload(a->skel->progs.seed_storage_udp, a->owners_in_storage);
}

static void set_autoload(struct agent *a, const struct btf *vmlinux)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		a->plan[i] = usable_kind(a, vmlinux, i, a->plan[i]);
		for (enum attach_kind k = ATTACH_BTF; k < ATTACH_NONE; k++)
			if (a->progs[i][k])
				bpf_program__set_autoload(a->progs[i][k], k == a->plan[i]);
	}
	a->owners_in_storage = owners_storage_usable(a);
	a->skel->rodata->owners_in_storage = a->owners_in_storage;
	storage_iterators_autoload(a);
}

/*
 * Tests only: TCPTRIAGE_TEST_REFUSE=<hook> loads that hook's program as a
 * socket filter, which the verifier refuses (tracing helpers), in every form:
 * a real refusal, to prove one hook failing leaves the others running.
 * <hook>:storage refuses it only with owners in socket storage, as a kernel
 * refusing the storage would (storage_doubted below).
 */
static void refuse_for_test(struct agent *a)
{
	const char *name = getenv("TCPTRIAGE_TEST_REFUSE");
	size_t len = name ? strcspn(name, ":") : 0;

	if (name && !strcmp(name + len, ":storage") && !a->owners_in_storage)
		return;
	for (size_t i = 0; name && i < HOOK_COUNT; i++)
		if (a->plan[i] != ATTACH_NONE && strlen(a->hooks[i].name) == len &&
		    !strncmp(a->hooks[i].name, name, len))
			bpf_program__set_type(planned_prog(a, i), BPF_PROG_TYPE_SOCKET_FILTER);
}

static void detach_all(struct agent *a)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
}

/* Attach every planned hook; on failure demote it. Returns true if a retry is due. */
static bool attach_planned(struct agent *a)
{
	bool retry = false;

	for (size_t i = 0; i < HOOK_COUNT; i++) {
		struct hook_status *h = &a->hooks[i];

		if (a->plan[i] == ATTACH_NONE)
			continue;
		a->links[i] = bpf_program__attach(planned_prog(a, i));
		if (a->links[i]) {
			h->attached = a->plan[i];
			continue;
		}
		snprintf(h->error, sizeof(h->error), "%s attach: %s",
			 attach_kind_name(a->plan[i]), strerror(errno));
		a->plan[i]++;
		retry = retry || a->plan[i] != ATTACH_NONE;
	}
	return retry;
}

/* Whether the object has a program for hook i in form `from` or a later one. */
static bool has_form_from(const struct agent *a, size_t i, enum attach_kind from)
{
	for (enum attach_kind k = from; k < ATTACH_NONE; k++)
		if (a->progs[i][k])
			return true;
	return false;
}

static void note_unavailable(struct agent *a, const struct agent_opts *opts)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		struct hook_status *h = &a->hooks[i];

		if (!a->links[i]) {
			h->attached = ATTACH_NONE;
			if (!h->error[0] && !has_form_from(a, i, opts->prefer))
				snprintf(h->error, sizeof(h->error), "no %s form",
					 attach_kind_name(opts->prefer));
			else if (!h->error[0])
				snprintf(h->error, sizeof(h->error), "tracepoint %s:%s not found",
					 h->category, h->tp);
		}
		h->fell_back = a->links[i] && h->attached > opts->prefer &&
			       a->progs[i][opts->prefer];
	}
}

/*
 * The snapshot's iterators run on demand; every other program is a hook or
 * the start-up seed: leave them out.  The snapshot iterators use no map but
 * the sockets' storage (read only by the running agent's), so no other is
 * created (the agent's maps, preallocated hash tables of every CPU, took ~15
 * ms of a ~60 ms small snapshot), but the object's global data (.rodata),
 * which libbpf sets up at load.
 */
static void autoload_iterators_only(struct agent *a)
{
	struct bpf_program *p;
	struct bpf_map *m;

	bpf_object__for_each_program(p, a->skel->obj)
		bpf_program__set_autoload(p, bpf_program__expected_attach_type(p) == BPF_TRACE_ITER &&
					     !strncmp(bpf_program__name(p), "snapshot_", 9));
	bpf_object__for_each_map(m, a->skel->obj)
		bpf_map__set_autocreate(m, bpf_map__is_internal(m) || m == a->skel->maps.sk_owners);
}

/*
 * The owners map holds an entry per socket of the host, whichever namespace
 * it is in (containers hold most of a node's): the sockets in use now, in
 * every namespace.
 */
static uint64_t sockets_now(void)
{
	uint64_t sockets = 0;
	struct sockstat ss;

	if (!host_sockets(&sockets))
		return sockets;
	if (sockstat_read("/proc/net/sockstat", &ss) || ss.sockets_used <= 0)
		return 0;
	return ss.sockets_used;
}

/*
 * "counts" names the two counter maps (bpf/common.bpf.h): n entries each.
 * The slot map's template is libbpf's, made from the same BTF definition:
 * one made without BTF differs in what 6.1 compares (timer_off) and the
 * kernel refuses to hold the maps.  Its size stays the definition's (5.10+
 * do not compare a hash map's size; only the test-only sizes differ).
 */
static int size_counts(struct agent *a, __u32 n)
{
	int ret = bpf_map__set_max_entries(a->skel->maps.counts_a, n);

	return ret ? ret : bpf_map__set_max_entries(a->skel->maps.counts_b, n);
}

/*
 * Tests only: TCPTRIAGE_TEST_MAP_ENTRIES=name:N[,name:N] makes those maps N
 * entries, to force them full (tests/integration/test_counting_eviction.sh);
 * "counts" is the counter maps.  A name that is no map of the object, or a
 * malformed list, fails the load.
 */
static int size_maps_for_test(struct agent *a, char *err, size_t errlen)
{
	const char *spec = getenv("TCPTRIAGE_TEST_MAP_ENTRIES");
	size_t items = 0, matched = 0;
	struct bpf_map *m;
	char bad[64];
	__u32 n;
	int ret;

	if (!spec)
		return 0;
	if (map_entries_spec_check(spec, bad, sizeof(bad))) {
		snprintf(err, errlen, "TCPTRIAGE_TEST_MAP_ENTRIES: malformed item %s (want name:N,...)",
			 bad);
		return -EINVAL;
	}
	for (const char *p = spec; *p; p++)
		items += *p == ':';
	bpf_object__for_each_map(m, a->skel->obj) {
		const char *name = bpf_map__name(m);

		if (map_entries_override(spec, name, &n) != 1)
			continue;
		ret = strcmp(name, "counts") ? bpf_map__set_max_entries(m, n) : size_counts(a, n);
		if (ret) {
			snprintf(err, errlen, "TCPTRIAGE_TEST_MAP_ENTRIES: cannot size %s: %s", name,
				 strerror(-ret));
			return ret;
		}
		matched++;
	}
	if (matched != items) {
		snprintf(err, errlen, "TCPTRIAGE_TEST_MAP_ENTRIES: %s names a map twice or one the "
			 "agent does not have", spec);
		return -EINVAL;
	}
	return 0;
}

/* The connectors' hash takes as many bits as the table has slots (a power of two, >= 2). */
static int hash_connectors(struct agent *a, char *err, size_t errlen)
{
	__u32 slots = bpf_map__max_entries(a->skel->maps.connectors);

	if (slots < 2 || (slots & (slots - 1))) {
		snprintf(err, errlen, "connectors: %u slots, not a power of two from 2", slots);
		return -EINVAL;
	}
	a->skel->rodata->conn_slots_log2 = __builtin_ctz(slots);
	return 0;
}

/*
 * Before load: owners for the host's sockets, twice over; in storage mode
 * room for listeners and orphans' closers only.  A state for each CPU that
 * may run a program.  Test sizes last.
 */
static int size_maps(struct agent *a, char *err, size_t errlen)
{
	int ret, ncpus = libbpf_num_possible_cpus();

	bpf_map__set_max_entries(a->skel->maps.owners,
				 owners_entries_for(a->host_sockets, a->owners_in_storage));
	if (ncpus <= 0) {
		snprintf(err, errlen, "cannot count the possible CPUs: %s", strerror(-ncpus));
		return ncpus ? ncpus : -EINVAL;
	}
	bpf_map__set_max_entries(a->skel->maps.cpu_states, ncpus);
	ret = size_maps_for_test(a, err, errlen);
	return ret ? ret : hash_connectors(a, err, errlen);
}

/* After load, before any hook attaches: the programs count into counts_a. */
static int counts_install(struct agent *a, char *err, size_t errlen)
{
	int fd = bpf_map__fd(a->skel->maps.counts_a);
	__u32 slot = 0;

	int ret = bpf_map_update_elem(bpf_map__fd(a->skel->maps.counts), &slot, &fd, BPF_ANY);

	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot install the counter map: %s", strerror(-ret));
	}
	return ret;
}

static bool memlock_limited(void)
{
	struct rlimit r;

	return !getrlimit(RLIMIT_MEMLOCK, &r) && r.rlim_cur != RLIM_INFINITY;
}

static int skel_open(struct agent *a, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = a->btf_path);

	a->skel = tcptriage_bpf__open_opts(&oo);
	if (!a->skel) {
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(errno));
		return -errno;
	}
	map_programs(a);
	return 0;
}

static const char *load_hint(int ret)
{
	return ret == -EPERM && memlock_limited() ?
	       "kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK: raise it (ulimit -l "
	       "unlimited, systemd LimitMEMLOCK=infinity) or grant CAP_SYS_RESOURCE" :
	       "run with -v for the verifier log";
}

/* Load the object; with hooks, counts_a installed in the slot after. */
static int load_object(struct agent *a, bool iterators_only, char *err, size_t errlen)
{
	struct bpf_map *rodata = a->skel->maps.rodata;
	int ret;

	/*
	 * Every hook reads its constants: from the kernel's direct map, not a
	 * vmalloc'd page of their own as an mmapable map's (bpf/common.bpf.h
	 * cpu_states; here within noise: set_state 126 -> 117 ns/event at 10k
	 * refused connects/s).  They are set by now; skel->rodata is NULL once
	 * loaded.
	 */
	bpf_map__set_map_flags(rodata, bpf_map__map_flags(rodata) & ~BPF_F_MMAPABLE);
	ret = tcptriage_bpf__load(a->skel);

	if (ret)
		snprintf(err, errlen, "cannot load BPF programs: %s (%s)", strerror(-ret),
			 load_hint(ret));
	else if (!iterators_only)
		ret = counts_install(a, err, errlen);
	return ret;
}

static int try_load(struct agent *a, const struct btf *vmlinux, bool iterators_only, char *err,
		    size_t errlen)
{
	int ret;

	clear_log_bufs(a);
	ret = skel_open(a, err, errlen);
	if (ret)
		return ret;
	if (iterators_only) {
		autoload_iterators_only(a);
	} else {
		set_autoload(a, vmlinux);
		refuse_for_test(a);
		if ((ret = give_log_bufs(a))) {
			snprintf(err, errlen, "out of memory");
			return ret;
		}
	}
	ret = size_maps(a, err, errlen);
	if (ret)
		return ret;
	if (a->ringbuf_size) {
		ret = bpf_map__set_max_entries(a->skel->maps.events, a->ringbuf_size);
		if (ret) {
			snprintf(err, errlen, "cannot size the ring buffer: %s", strerror(-ret));
			return ret;
		}
	}
	return load_object(a, iterators_only, err, errlen);
}

static void reset_attempt(struct agent *a)
{
	detach_all(a);
	tcptriage_bpf__destroy(a->skel);
	a->skel = NULL;
}

/* The essential hooks that did not attach, named in err; 0 when all did. */
static int essentials_missing(const struct agent *a, char *err, size_t errlen)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		const struct hook_status *h = &a->hooks[i];

		if (h->essential && !a->links[i]) {
			snprintf(err, errlen, "essential hook %s:%s (%s) cannot attach on this kernel: %s",
				 h->category, h->tp, h->purpose,
				 h->error[0] ? h->error : "tracepoint not found");
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * A load refused in storage mode may be refused for the storage itself
 * (socket storage from a tracing program, a typed load): before any hook is
 * demoted for it, the same plan is tried once with owners in the map.  True
 * when that try is next.  If it is refused too, the storage was not the
 * cause: it is back for the attempts after, and the hooks are demoted.
 */
static bool storage_doubted(struct agent *a, int ret)
{
	if (a->storage_doubt == STORAGE_TRYING_WITHOUT) {
		a->storage_doubt = STORAGE_SETTLED;
		a->sk_storage = ret != 0;
		return false;
	}
	if (!ret || ret == -ENOMEM || !a->owners_in_storage || a->storage_doubt == STORAGE_SETTLED)
		return false;
	if (a->verbose)
		fprintf(stderr, "tcptriage: refused with owners in socket storage: trying the owners map\n");
	a->storage_doubt = STORAGE_TRYING_WITHOUT;
	a->sk_storage = false;
	return true;
}

/* One load; on a refusal or attach failure, demote those hooks and start over. */
static int load_attempts(struct agent *a, const struct btf *vmlinux, char *err, size_t errlen)
{
	int ret = -EAGAIN;

	for (int attempt = 0; attempt < (int)MAX_ATTEMPTS + 1; attempt++) {
		ret = try_load(a, vmlinux, false, err, errlen);
		if (storage_doubted(a, ret)) {
			reset_attempt(a);
			continue;
		}
		if (ret == -ENOMEM || (ret && !demote_refused(a, ret)))
			return ret; /* not a hook's program: nothing to demote */
		if (!ret && !attach_planned(a))
			return 0;
		reset_attempt(a);
		ret = -EAGAIN;
		snprintf(err, errlen, "hooks kept failing to load or attach");
	}
	return ret;
}

static int check_floor(struct agent *a, const struct btf *vmlinux, char *err, size_t errlen)
{
	char missing[200];

	if (!vmlinux) {
		if (a->btf_path)
			snprintf(err, errlen, "cannot read BTF from %s: %s", a->btf_path, strerror(errno));
		else
			snprintf(err, errlen, "kernel BTF not found (/sys/kernel/btf/vmlinux): build the "
				 "kernel with CONFIG_DEBUG_INFO_BTF=y, or give its BTF with --btf FILE");
		return -ENOENT;
	}
	if (kfeatures_floor(vmlinux, missing, sizeof(missing))) {
		snprintf(err, errlen, "this kernel is below tcptriage's floor (Linux 5.9): missing %s",
			 missing);
		return -ENOTSUP;
	}
	kfeatures_probe(vmlinux, &a->features);
	a->sk_storage = tracing_sk_storage(vmlinux);
	return 0;
}

static int load_and_attach(struct agent *a, const struct btf *vmlinux,
			   const struct agent_opts *opts, char *err, size_t errlen)
{
	int ret;

	for (size_t i = 0; i < HOOK_COUNT; i++)
		a->plan[i] = opts->prefer;
	ret = load_attempts(a, vmlinux, err, errlen);
	free_log_bufs(a);
	if (ret)
		return ret;
	note_unavailable(a, opts);
	return essentials_missing(a, err, errlen);
}

/* No hooks, so no fallbacks and no tracefs: one load, nothing attached. */
static int load_iterators(struct agent *a, char *err, size_t errlen)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		a->hooks[i].attached = ATTACH_NONE;
		snprintf(a->hooks[i].error, sizeof(a->hooks[i].error), "not attached (iterators only)");
	}
	return try_load(a, NULL, true, err, errlen);
}

int agent__open(const struct agent_opts *opts, struct agent **out, char *err, size_t errlen)
{
	struct agent *a = calloc(1, sizeof(*a));
	const struct hook_def *defs;
	struct btf *vmlinux;
	size_t n;
	int ret;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	defs = hook_defs(&n); /* n is HOOK_COUNT: hooks.c asserts it */
	for (size_t i = 0; i < n; i++) {
		a->hooks[i].name = defs[i].name;
		a->hooks[i].purpose = defs[i].purpose;
		a->hooks[i].essential = defs[i].essential;
		if (defs[i].category)
			snprintf(a->hooks[i].category, sizeof(a->hooks[i].category), "%s",
				 defs[i].category);
	}
	a->ringbuf_size = opts->ringbuf_size;
	a->btf_path = opts->btf_path;
	a->verbose = opts->verbose;
	libbpf_set_print(opts->verbose ? libbpf_verbose : libbpf_quiet);
	vmlinux = kernel_btf_load(a->btf_path);
	ret = check_floor(a, vmlinux, err, errlen);
	if (!ret && opts->iterators_only) {
		a->tracefs = "unused";
		ret = load_iterators(a, err, errlen);
	} else if (!ret) {
		a->tracefs = ensure_tracefs();
		a->host_sockets = sockets_now(); /* once: every attempt loads the same maps */
		ret = load_and_attach(a, vmlinux, opts, err, errlen);
	}
	btf__free(vmlinux);
	if (ret) {
		agent__destroy(a);
		return ret;
	}
	*out = a;
	return 0;
}

void agent__destroy(struct agent *agent)
{
	if (!agent)
		return;
	detach_all(agent);
	tcptriage_bpf__destroy(agent->skel);
	free(agent);
}
