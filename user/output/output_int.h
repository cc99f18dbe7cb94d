/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the output files (output.c: lines, start, events, stats, end; output_finding.c). */
#ifndef __TT_OUTPUT_INT_H
#define __TT_OUTPUT_INT_H

#include <stddef.h>
#include <stdio.h>

struct out {
	FILE *f;
	struct jw *jw;           /* NULL for text */
	struct cgroup_cache *cg; /* names culprits' cgroups; made when first needed */
	int write_err;           /* first failed write (-EPIPE: the reader went away) */
};

/* Every JSON line starts {"v":1,"ts":...,"type":...} and ends with its first write error kept. */
void line_begin(struct out *o, const char *type);
void line_end(struct out *o);
/* Hostile text for a terminal, in buf. */
const char *safe(char *buf, size_t len, const char *s, size_t n);

#endif /* __TT_OUTPUT_INT_H */
