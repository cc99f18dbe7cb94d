// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cpustates.h"

struct tt_cpu_state *cpu_states_read(int fd, int *n)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tt_cpu_state *s;

	if (ncpus <= 0) {
		errno = ncpus ? -ncpus : EINVAL;
		return NULL;
	}
	s = calloc(ncpus, sizeof(*s));
	if (!s)
		return NULL;
	for (__u32 cpu = 0; cpu < (__u32)ncpus; cpu++) {
		if (bpf_map_lookup_elem(fd, &cpu, &s[cpu])) {
			free(s);
			return NULL; /* errno from the lookup */
		}
	}
	*n = ncpus;
	return s;
}
