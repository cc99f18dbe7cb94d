/* SPDX-License-Identifier: GPL-2.0 */
/* JSON Lines writer and helpers for printing hostile text safely. */
#ifndef __TT_JSON_H
#define __TT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/*
 * A writer builds one line in memory and emits it with a single fwrite()
 * + fflush() from jw_line_end(), so concurrent writers never interleave.
 * Commas are inserted automatically. Misuse (a value without a key inside
 * an object, unbalanced nesting, nesting deeper than 32) and allocation
 * failures are sticky: the line is dropped and jw_line_end() reports it.
 *
 * Strings are treated as hostile bytes: quotes, backslashes, every control
 * byte and DEL are escaped, U+2028/U+2029 are escaped, and every invalid
 * UTF-8 sequence is replaced by \ufffd, so output is always valid UTF-8
 * JSON and a string can never close itself early. A NULL string is null.
 */
struct jw;

/* NULL with errno set (EINVAL, ENOMEM) on failure. */
struct jw *jw_new(FILE *out);
void jw_free(struct jw *w);

void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *k);

void jw_str(struct jw *w, const char *s);
/* Exactly n bytes; a NUL byte is data (\u0000): pass strnlen() for arrays. */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
/*
 * Finite values: fixed notation with at most 6 decimals (trailing zeros
 * trimmed) for 1e-3 <= |v| < 1e15, else 6 significant digits ("1.5e-05").
 * NaN and infinities are written as null.
 */
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);

void jw_kv_str(struct jw *w, const char *k, const char *v);
void jw_kv_u64(struct jw *w, const char *k, uint64_t v);
void jw_kv_i64(struct jw *w, const char *k, int64_t v);
void jw_kv_double(struct jw *w, const char *k, double v);
void jw_kv_bool(struct jw *w, const char *k, bool v);

/* Open a contract v1 record: {"v":1,"ts":<ts as RFC 3339 UTC ms>,"type":<type> */
void jw_record_begin(struct jw *w, struct timespec ts, const char *type);

/*
 * Emit the buffered line plus '\n' and start a new one. Returns 0 (also
 * when nothing was buffered), the sticky error of the line (-EINVAL misuse
 * or unbalanced nesting, -EOVERFLOW nesting too deep, -ENOMEM, -EMSGSIZE),
 * or the -errno of a failed write or flush.
 */
int jw_line_end(struct jw *w);

/*
 * Copy hostile text for a terminal: printable UTF-8 is copied, control
 * bytes, DEL, invalid bytes, C1 controls, bidi/zero-width format characters
 * and U+2028/U+2029 line separators are written as \xNN per byte, and '\'
 * as "\\". Always NUL-terminates when dstsz > 0 and never cuts an escape or
 * a UTF-8 sequence in half. Returns the length written, excluding the NUL.
 */
size_t text_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen);

/* "2026-11-27T14:32:06.123Z" (UTC, milliseconds truncated). */
#define RFC3339_MS_SIZE 32
void format_rfc3339_ms(char buf[RFC3339_MS_SIZE], struct timespec ts);

#endif /* __TT_JSON_H */
