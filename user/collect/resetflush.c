// SPDX-License-Identifier: GPL-2.0
/*
 * Each CPU counts the resets of its last flow in a cache of its own
 * (bpf/resets.bpf.c).  Each tick, before flows is read, flush_resets runs on
 * every CPU whose entry holds resets, on that CPU (BPF_F_TEST_RUN_ON_CPU):
 * only programs of its own CPU ever change an entry, so no reset is lost or
 * sent on twice, and flows is a tick behind at most.
 */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "resetflush.h"
#include "tcptriage.h"
#include "tcptriage.skel.h"

/* Per-CPU values are copied out 8-byte aligned each: the struct must be too. */
_Static_assert(sizeof(struct tt_reset_cache) % 8 == 0, "tt_reset_cache: a multiple of 8 bytes");

/* Another program busy with the entry holds it for a few instructions: a retry finds it free. */
#define FLUSH_TRIES 8

static int flush_on(int prog_fd, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

	for (int i = 0; i < FLUSH_TRIES; i++) {
		if (bpf_prog_test_run_opts(prog_fd, &opts))
			return errno == ENXIO ? 0 : -errno; /* ENXIO: the CPU went offline */
		if (!opts.retval)
			return 0;
	}
	return -EBUSY;
}

int reset_caches_flush(struct tcptriage_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0, cpu_err;
	int prog_fd = bpf_program__fd(skel->progs.flush_resets);
	struct tt_reset_cache *v;
	__u32 zero = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.reset_cache), &zero, v)) {
		err = -errno;
		free(v);
		return err;
	}
	for (int cpu = 0; cpu < ncpu; cpu++) { /* one CPU failing does not keep the others' */
		cpu_err = v[cpu].sent || v[cpu].received ? flush_on(prog_fd, cpu) : 0;
		err = err ? err : cpu_err;
	}
	free(v);
	return err;
}
