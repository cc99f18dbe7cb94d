/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TT_CPUSTATES_H
#define TT_CPUSTATES_H

#include "tcptriage.h"

/*
 * Every CPU's struct tt_cpu_state (bpf/common.bpf.h cpu_states, fd), one a
 * possible CPU: a new array the caller frees, its length in *n; NULL with
 * errno set.  An element a CPU's programs are changing now may be read half
 * old: read only what they no longer change.
 */
struct tt_cpu_state *cpu_states_read(int fd, int *n);

#endif
