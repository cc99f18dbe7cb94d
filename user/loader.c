// SPDX-License-Identifier: GPL-2.0
/*
 * Loader: every hook is tried as tp_btf, then raw_tp, then a classic
 * tracepoint, each on its own: a program the verifier refuses demotes just
 * its hook (found by its log buffer, the only one libbpf fills), an attach
 * failure likewise; then the object is reopened and tried again.  A hook no
 * form can load is reported unavailable, with the reason, while the rest
 * run.  Links are never pinned, so everything detaches when the process ends.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
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
#include "kfeatures.h"
#include "loader.h"
#include "procfs.h"

#define TRACEFS "/sys/kernel/tracing"

#define HOOK(n, why) { .name = (n), .purpose = (why) }
/* Without these the agent would count nothing it is for: exit 1 when one cannot attach. */
#define ESSENTIAL(n, why) { .name = (n), .purpose = (why), .essential = true }

/* The tracepoints and forms are in the programs' SEC()s; see map_programs(). */
static const struct hook_def hook_table[] = {
	ESSENTIAL("set_state", "socket owners (connect/listen)"),
	ESSENTIAL("destroy_sock", "forgetting closed sockets"),
	HOOK("accept4_exit", "owners of accepted sockets"),
	HOOK("accept_exit", "owners of accepted sockets"),
	HOOK("listen_enter", "backlog asked in listen()"),
	HOOK("connect_enter", "destinations of failed connects"),
	HOOK("connect_exit", "connects failing for lack of local ports"),
	ESSENTIAL("retransmit", "retransmits"),
	HOOK("synack_retransmit", "SYN-ACK retransmits"),
	ESSENTIAL("drop", "packet drops by reason"),
	HOOK("exceed_buf", "socket memory limit hits"),
	HOOK("rcvq_full", "full receive queues"),
	HOOK("send_reset", "resets sent"),
	HOOK("receive_reset", "resets received"),
	HOOK("console", "kernel verdict lines"),
};
#define HOOK_COUNT (sizeof(hook_table) / sizeof(hook_table[0]))
/* Each retry demotes at least one hook one form. */
#define MAX_ATTEMPTS (HOOK_COUNT * ATTACH_NONE + 1)
#define LOG_BUF_SIZE ((size_t)64 * 1024)

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

struct agent {
	struct tcptriage_bpf *skel;
	struct hook_status hooks[HOOK_COUNT];
	/* Each hook's program in each form, NULL where it has none: of this attempt's object. */
	struct bpf_program *progs[HOOK_COUNT][ATTACH_NONE];
	struct bpf_link *links[HOOK_COUNT];
	enum attach_kind plan[HOOK_COUNT];
	char *log_bufs[HOOK_COUNT]; /* verifier logs of this attempt's programs */
	const char *tracefs;
	const char *btf_path; /* NULL: the running kernel's */
	struct kfeatures features;
	uint32_t ringbuf_size; /* 0: as built */
	bool verbose;
};

/*
 * The program libbpf last failed to load.  A refusal before the verifier
 * runs (bad attach target, wrong type) leaves no log: libbpf's own message,
 * seen only through its print callback (which takes no context), names it.
 */
static char failed_prog[64];

static void note_failed_prog(const char *msg)
{
	const char *name = strstr(msg, "prog '"), *end;

	if (!name || !strstr(msg, "failed to load"))
		return;
	name += 6;
	end = strchr(name, '\'');
	if (end)
		snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(end - name), name);
}

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

/*
 * Each hook's programs by form, and its tracepoint, from the section names of
 * the object just opened (it is reopened on every attempt).  Only a classic
 * tracepoint's section names the category.
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
			continue; /* an iterator (tests/unit/test_hooks.c: nothing else) */
		a->progs[i][site.kind] = p;
		snprintf(a->hooks[i].tp, sizeof(a->hooks[i].tp), "%s", site.tp);
		if (site.category[0])
			snprintf(a->hooks[i].category, sizeof(a->hooks[i].category), "%s",
				 site.category);
	}
}

/* Hook i's program in the form it is planned to load in; plan[i] != ATTACH_NONE. */
static struct bpf_program *planned_prog(const struct agent *a, size_t i)
{
	return a->progs[i][a->plan[i]];
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

static void set_autoload(struct agent *a, const struct btf *vmlinux)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		a->plan[i] = usable_kind(a, vmlinux, i, a->plan[i]);
		for (enum attach_kind k = ATTACH_BTF; k < ATTACH_NONE; k++)
			if (a->progs[i][k])
				bpf_program__set_autoload(a->progs[i][k], k == a->plan[i]);
	}
}

/*
 * libbpf loads with no log and, only when the verifier refuses a program,
 * loads it again with a log into that program's buffer: after a failed load
 * the one non-empty buffer names the hook that failed.
 */
static int give_log_bufs(struct agent *a)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		if (a->plan[i] == ATTACH_NONE)
			continue;
		if (!a->log_bufs[i] && !(a->log_bufs[i] = calloc(1, LOG_BUF_SIZE)))
			return -ENOMEM;
		bpf_program__set_log_buf(planned_prog(a, i), a->log_bufs[i], LOG_BUF_SIZE);
	}
	return 0;
}

/*
 * Tests only: TCPTRIAGE_TEST_REFUSE=<hook> loads that hook's program as a
 * socket filter, which the verifier refuses (tracing helpers), in every form:
 * a real refusal, to prove one hook failing leaves the others running.
 */
static void refuse_for_test(struct agent *a)
{
	const char *name = getenv("TCPTRIAGE_TEST_REFUSE");

	for (size_t i = 0; name && i < HOOK_COUNT; i++)
		if (a->plan[i] != ATTACH_NONE && !strcmp(a->hooks[i].name, name))
			bpf_program__set_type(planned_prog(a, i), BPF_PROG_TYPE_SOCKET_FILTER);
}

/* Every attempt starts with empty logs: no verdict left over from the one before. */
static void clear_log_bufs(struct agent *a)
{
	failed_prog[0] = '\0';
	for (size_t i = 0; i < HOOK_COUNT; i++)
		if (a->log_bufs[i])
			a->log_bufs[i][0] = '\0';
}

static void free_log_bufs(struct agent *a)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		free(a->log_bufs[i]);
		a->log_bufs[i] = NULL;
	}
}

/* The verifier's reason: the last line of its log that is not a statistic. */
static void log_reason(const char *log, char *out, size_t len)
{
	const char *line = log, *best = NULL, *next;
	size_t best_len = 0;

	for (; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		if (n && strncmp(line, "processed ", 10) && strncmp(line, "verification time", 17)) {
			best = line;
			best_len = n;
		}
	}
	snprintf(out, len, "%.*s", (int)(best ? best_len : 0), best ? best : "");
}

/* Was hook i's planned program the one libbpf said it failed to load? */
static bool named_failed(const struct agent *a, size_t i)
{
	return !strcmp(bpf_program__name(planned_prog(a, i)), failed_prog);
}

/* After a failed load (error ret): demote the hooks whose program was refused. */
static size_t demote_refused(struct agent *a, int ret)
{
	size_t refused = 0;

	for (size_t i = 0; i < HOOK_COUNT; i++) {
		struct hook_status *h = &a->hooks[i];
		char reason[sizeof(h->error) - 24];

		if (a->plan[i] == ATTACH_NONE || !a->log_bufs[i]) /* planned hooks have one */
			continue;
		if (!a->log_bufs[i][0] && named_failed(a, i))
			snprintf(a->log_bufs[i], LOG_BUF_SIZE, "refused before verification: %s",
				 strerror(-ret));
		if (!a->log_bufs[i][0])
			continue;
		if (a->verbose)
			fprintf(stderr, "tcptriage: %s refused:\n%s\n",
				bpf_program__name(planned_prog(a, i)), a->log_bufs[i]);
		log_reason(a->log_bufs[i], reason, sizeof(reason));
		snprintf(h->error, sizeof(h->error), "%s load: %s", attach_kind_name(a->plan[i]),
			 reason);
		a->plan[i]++;
		refused++;
	}
	return refused;
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

static void note_unavailable(struct agent *a, const struct agent_opts *opts)
{
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		struct hook_status *h = &a->hooks[i];

		if (!a->links[i]) {
			h->attached = ATTACH_NONE;
			if (!h->error[0])
				snprintf(h->error, sizeof(h->error), "tracepoint %s:%s not found",
					 h->category, h->tp);
		}
		h->fell_back = a->links[i] && h->attached > opts->prefer &&
			       a->progs[i][opts->prefer];
	}
}

/*
 * The snapshot's iterators run on demand; every other program is a hook or
 * the agent's seeding of its owners map: leave them out.  The snapshot
 * iterators use no map, so none is created (the agent's maps, preallocated
 * hash tables of every CPU, took ~15 ms of a ~60 ms small snapshot).
 */
static void autoload_iterators_only(struct agent *a)
{
	struct bpf_program *p;
	struct bpf_map *m;

	bpf_object__for_each_program(p, a->skel->obj)
		bpf_program__set_autoload(p, bpf_program__expected_attach_type(p) == BPF_TRACE_ITER &&
					     !strncmp(bpf_program__name(p), "snapshot_", 9));
	bpf_object__for_each_map(m, a->skel->obj)
		bpf_map__set_autocreate(m, false);
}

#define OWNERS_MIN 65536
#define OWNERS_MAX (1 << 20)

/*
 * The owners map holds one entry per socket: an LRU map too small for the
 * host evicts live owners.  Size it at twice the sockets in use now.
 */
static __u32 owners_entries(void)
{
	struct sockstat ss;
	__u32 want = OWNERS_MIN;

	if (sockstat_read("/proc/net/sockstat", &ss) || ss.sockets_used <= 0)
		return want;
	while (want < OWNERS_MAX && want < 2 * ss.sockets_used)
		want *= 2;
	return want;
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
	bpf_map__set_max_entries(a->skel->maps.owners, owners_entries());
	if (a->ringbuf_size) {
		ret = bpf_map__set_max_entries(a->skel->maps.events, a->ringbuf_size);
		if (ret) {
			snprintf(err, errlen, "cannot size the ring buffer: %s", strerror(-ret));
			return ret;
		}
	}
	ret = tcptriage_bpf__load(a->skel);
	if (ret)
		snprintf(err, errlen, "cannot load BPF programs: %s (%s)", strerror(-ret),
			 ret == -EPERM && memlock_limited() ?
			 "kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK: raise it (ulimit -l "
			 "unlimited, systemd LimitMEMLOCK=infinity) or grant CAP_SYS_RESOURCE" :
			 "run with -v for the verifier log");
	return ret;
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

/* One load; on a refusal or attach failure, demote those hooks and start over. */
static int load_attempts(struct agent *a, const struct btf *vmlinux, char *err, size_t errlen)
{
	int ret = -EAGAIN;

	for (int attempt = 0; attempt < (int)MAX_ATTEMPTS; attempt++) {
		ret = try_load(a, vmlinux, false, err, errlen);
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

/*
 * Failed forms are expected (that is what the fallbacks are for) and reported
 * per hook, so libbpf speaks only with -v.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args,
			bool verbose)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, args);
	if (level == LIBBPF_WARN)
		note_failed_prog(msg);
	return verbose ? fputs(msg, stderr) : 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return libbpf_print(level, fmt, args, false);
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return libbpf_print(level, fmt, args, true);
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
	struct btf *vmlinux;
	int ret;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		a->hooks[i].name = hook_table[i].name;
		a->hooks[i].purpose = hook_table[i].purpose;
		a->hooks[i].essential = hook_table[i].essential;
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

struct tcptriage_bpf *agent__skel(struct agent *agent)
{
	return agent->skel;
}

const struct hook_status *agent__hooks(const struct agent *agent, size_t *count)
{
	*count = HOOK_COUNT;
	return agent->hooks;
}

const char *agent__btf_source(const struct agent *agent)
{
	return kernel_btf_source(agent->btf_path);
}

const struct kfeatures *agent__features(const struct agent *agent)
{
	return &agent->features;
}

static void gap_append(char *buf, size_t len, size_t *used, const char *fmt, const char *a,
		       const char *b)
{
	if (*used < len)
		*used += snprintf(buf + *used, len - *used, fmt, a, b);
}

size_t agent__gaps(const struct agent *agent, char *buf, size_t len)
{
	size_t used = 0, hooks = 0, unseen = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < HOOK_COUNT; i++) {
		if (agent->hooks[i].attached != ATTACH_NONE)
			continue;
		gap_append(buf, len, &used, hooks++ ? ", %s (%s)" : "unavailable: %s (%s)",
			   agent->hooks[i].tp, agent->hooks[i].purpose);
	}
	for (int k = 0; k < KF_COUNT; k++) {
		if (agent->features.has[k])
			continue;
		gap_append(buf, len, &used, unseen++ ? ", %s (Linux %s+)" :
			   hooks ? "; not visible: %s (Linux %s+)" : "not visible: %s (Linux %s+)",
			   kfeature_name(k), kfeature_since(k));
	}
	return hooks + unseen;
}

const char *agent__tracefs(const struct agent *agent)
{
	return agent->tracefs;
}

int agent__seed_owners(struct agent *agent)
{
	struct bpf_link *link;
	char buf[256];
	int fd, ret = 0;
	ssize_t n;

	link = bpf_program__attach_iter(agent->skel->progs.seed_owners, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		ret = -errno;
	close(fd);
cleanup:
	bpf_link__destroy(link);
	return ret;
}
