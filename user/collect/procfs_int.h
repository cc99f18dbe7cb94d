/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text scanning the procfs parsers share, in procfs.c: spans of the
 * text, its lines and tokens, and decimal numbers.  Private to procfs*.c:
 * everyone else includes procfs.h.
 */
#ifndef __TT_PROCFS_INT_H
#define __TT_PROCFS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct span {
	const char *p;
	size_t n;
};

bool next_token(struct span *rest, struct span *tok);
/* Next line that has a token, so blank lines and a final '\n' are ignored. */
bool next_content_line(const char **cursor, struct span *line);
/* The "TcpExt:" that starts a line, without its colon. */
bool take_line_prefix(struct span *line, struct span *prefix);
bool span_is(struct span a, const char *lit);
bool span_to_cstr(struct span s, char *buf, size_t bufsz);
/* Decimal; counters above INT64_MAX wrap so uint64_t deltas stay right. */
int parse_i64(struct span tok, int64_t *out);

#endif /* __TT_PROCFS_INT_H */
