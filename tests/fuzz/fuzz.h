/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c). A target
 * checks the properties its parser promises in its header; a broken
 * promise aborts, which libFuzzer records as a crash with the input.
 */
#ifndef __TT_FUZZ_H
#define __TT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond))						\
			fuzz_fail(__FILE__, __LINE__, #cond);		\
	} while (0)

static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: broken promise: %s\n", file, line, what);
	abort();
}

/* The bytes as a NUL-terminated string (an embedded NUL ends it early). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static inline int64_t fuzz_counter(const struct counter_set *cs, const char *name)
{
	int64_t v = 0;

	FUZZ_CHECK(counters_get(cs, name, &v) == 0);
	return v;
}

/*
 * The merge contract of counters_parse() and conntrack_stat_parse(): the
 * input is two texts split at the first NUL. After parsing the first, the
 * second either fails and leaves the set exactly as it was, or succeeds
 * and keeps every counter the set already had.
 */
typedef int (*counter_parser)(struct counter_set *cs, const char *text);

static inline void fuzz_counter_merge(counter_parser parse, const uint8_t *data, size_t size)
{
	struct counter_set cs = { 0 };
	struct counter *snap;
	char *text = fuzz_cstr(data, size);
	const char *second = text + strlen(text) + (strlen(text) < size);
	size_t n;
	int err;

	err = parse(&cs, text);
	FUZZ_CHECK(err <= 0);
	FUZZ_CHECK(!err || cs.len == 0);
	n = cs.len;
	snap = malloc((n + 1) * sizeof(*snap));
	FUZZ_CHECK(snap);
	if (n)
		memcpy(snap, cs.items, n * sizeof(*snap));
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(strnlen(snap[i].name, COUNTER_NAME_MAX) < COUNTER_NAME_MAX);
		FUZZ_CHECK(snap[i].name[0]);
	}
	err = parse(&cs, second);
	FUZZ_CHECK(err <= 0);
	if (err) {
		FUZZ_CHECK(cs.len == n && (!n || !memcmp(cs.items, snap, n * sizeof(*snap))));
	} else {
		FUZZ_CHECK(cs.len >= n);
		for (size_t i = 0; i < n; i++)
			fuzz_counter(&cs, snap[i].name);
	}
	free(snap);
	counters_free(&cs);
	free(text);
}

#endif /* __TT_FUZZ_H */
