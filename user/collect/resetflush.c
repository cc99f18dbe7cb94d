// SPDX-License-Identifier: GPL-2.0
/*
 * Each CPU counts the resets of its last flow, one for resets sent and one
 * for resets received, in caches of its own (bpf/resets.bpf.c, in its struct
 * tt_cpu_state).  Each tick, before flows is read, flush_resets runs on
 * every CPU whose entries hold resets, on that CPU (BPF_F_TEST_RUN_ON_CPU):
 * only programs of its own CPU ever change an entry, so no reset is lost or
 * sent on twice, and flows is a tick behind at most.
 */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cpustates.h"
#include "resetflush.h"
#include "tcptriage.h"
#include "tcptriage.skel.h"

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

static bool resets_held(const struct tt_cpu_state *s)
{
	return s->reset[0].sent || s->reset[0].received || s->reset[1].sent || s->reset[1].received;
}

int reset_caches_flush(struct tcptriage_bpf *skel)
{
	int prog_fd = bpf_program__fd(skel->progs.flush_resets), ncpus = 0, err = 0, cpu_err;
	struct tt_cpu_state *s = cpu_states_read(bpf_map__fd(skel->maps.cpu_states), &ncpus);

	if (!s)
		return -errno;
	for (int cpu = 0; cpu < ncpus; cpu++) { /* one CPU failing does not keep the others' */
		cpu_err = resets_held(&s[cpu]) ? flush_on(prog_fd, cpu) : 0;
		err = err ? err : cpu_err;
	}
	free(s);
	return err;
}
