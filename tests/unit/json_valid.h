/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An independent strict RFC 8259 validator for tests and fuzz targets: it
 * shares no code with the writer in user/output/json.c, so a bug cannot hide in both.
 */
#ifndef __TT_JSON_VALID_H
#define __TT_JSON_VALID_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Exactly one JSON value then one '\n' (no other newline): raw control
 * bytes, bad escapes, lone surrogate escapes and invalid UTF-8 are rejected.
 * *members (may be NULL) = member count of a top-level object or array.
 */
bool json_line_valid(const char *s, size_t n, int *members);

#endif /* __TT_JSON_VALID_H */
