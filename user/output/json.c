// SPDX-License-Identifier: GPL-2.0
/* JSON Lines writer: one line per object, escaped so hostile text cannot forge output. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JW_MAX_DEPTH	32
#define JW_INITIAL_CAP	512
/* A line this large is a bug (runaway loop), not data worth logging. */
#define JW_MAX_LINE	(16u << 20)

struct jw_level {
	bool is_object;
	bool has_member;
};

struct jw {
	FILE *out;
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool after_key;		/* a key was written, its value comes next */
	int err;		/* first error of the current line */
	struct jw_level stack[JW_MAX_DEPTH];
};

struct jw *jw_new(FILE *out)
{
	struct jw *w;

	if (!out) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->out = out;
	return w;
}

void jw_free(struct jw *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

static void jw_fail(struct jw *w, int err)
{
	if (!w->err)
		w->err = err;
}

static bool jw_reserve(struct jw *w, size_t extra)
{
	size_t cap;
	char *buf;

	if (w->err)
		return false;
	if (extra <= w->cap - w->len)
		return true;
	if (extra > JW_MAX_LINE - w->len) {
		jw_fail(w, -EMSGSIZE);
		return false;
	}
	cap = w->cap ? w->cap : JW_INITIAL_CAP;
	while (cap - w->len < extra)
		cap *= 2;
	buf = realloc(w->buf, cap);
	if (!buf) {
		jw_fail(w, -ENOMEM);
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

static void jw_put(struct jw *w, const void *s, size_t n)
{
	if (!jw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void jw_putc(struct jw *w, char c)
{
	jw_put(w, &c, 1);
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if it is invalid:
 * bad lead byte, truncated, overlong, surrogate or above U+10FFFF.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static bool json_plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void jw_put_ascii_escape(struct jw *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	static const char *const short_form[0x80] = {
		['"'] = "\\\"", ['\\'] = "\\\\", ['\b'] = "\\b",
		['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
	};
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

	if (c < 0x80 && short_form[c])
		jw_put(w, short_form[c], 2);
	else
		jw_put(w, u, sizeof(u));
}

/* U+2028/U+2029 are valid JSON but end lines in JavaScript consumers. */
static bool is_js_line_separator(const unsigned char *s, size_t len)
{
	return len == 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	       (s[2] == 0xa8 || s[2] == 0xa9);
}

static void jw_put_string(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, len;

	jw_putc(w, '"');
	while (i < n) {
		for (run = i; run < n && json_plain_byte(s[run]); run++)
			;
		jw_put(w, s + i, run - i);
		if (run == n)
			break;
		i = run;
		len = utf8_seq_len(s + i, n - i);
		if (len == 0) {
			jw_put(w, "\\ufffd", 6);
			len = 1;
		} else if (len == 1) {
			jw_put_ascii_escape(w, s[i]);
		} else if (is_js_line_separator(s + i, len)) {
			jw_put(w, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
		} else {
			jw_put(w, s + i, len);
		}
		i += len;
	}
	jw_putc(w, '"');
}

/* Comma and key bookkeeping before any value. */
static void jw_begin_value(struct jw *w)
{
	struct jw_level *lvl;

	if (w->depth == 0) {
		if (w->len)	/* one value per line */
			jw_fail(w, -EINVAL);
		return;
	}
	lvl = &w->stack[w->depth - 1];
	if (lvl->is_object) {
		if (!w->after_key)
			jw_fail(w, -EINVAL);
		w->after_key = false;
		return;
	}
	if (lvl->has_member)
		jw_putc(w, ',');
	lvl->has_member = true;
}

static void jw_open(struct jw *w, bool is_object)
{
	jw_begin_value(w);
	if (w->depth == JW_MAX_DEPTH) {
		jw_fail(w, -EOVERFLOW);
		return;
	}
	w->stack[w->depth].is_object = is_object;
	w->stack[w->depth].has_member = false;
	w->depth++;
	jw_putc(w, is_object ? '{' : '[');
}

static void jw_close(struct jw *w, bool is_object)
{
	if (w->depth == 0 || w->stack[w->depth - 1].is_object != is_object ||
	    w->after_key) {
		jw_fail(w, -EINVAL);
		return;
	}
	w->depth--;
	jw_putc(w, is_object ? '}' : ']');
}

void jw_obj_begin(struct jw *w)
{
	jw_open(w, true);
}

void jw_obj_end(struct jw *w)
{
	jw_close(w, true);
}

void jw_arr_begin(struct jw *w)
{
	jw_open(w, false);
}

void jw_arr_end(struct jw *w)
{
	jw_close(w, false);
}

void jw_key(struct jw *w, const char *k)
{
	struct jw_level *lvl;

	if (w->depth == 0 || !w->stack[w->depth - 1].is_object ||
	    w->after_key || !k) {
		jw_fail(w, -EINVAL);
		return;
	}
	lvl = &w->stack[w->depth - 1];
	if (lvl->has_member)
		jw_putc(w, ',');
	lvl->has_member = true;
	jw_put_string(w, k, strlen(k));
	jw_putc(w, ':');
	w->after_key = true;
}

static void jw_raw_value(struct jw *w, const char *text)
{
	jw_begin_value(w);
	jw_put(w, text, strlen(text));
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_begin_value(w);
	jw_put_string(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, s ? strlen(s) : 0);
}

void jw_u64(struct jw *w, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	jw_raw_value(w, num);
}

void jw_i64(struct jw *w, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	jw_raw_value(w, num);
}

static void trim_fraction_zeros(char *num)
{
	char *end;

	if (!strchr(num, '.'))
		return;
	end = num + strlen(num) - 1;
	while (*end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
}

/* A locale with a decimal comma must not break the JSON grammar. */
static void force_decimal_point(char *num)
{
	for (; *num; num++)
		if (*num == ',')
			*num = '.';
}

void jw_double(struct jw *w, double v)
{
	double mag = v < 0 ? -v : v;
	char num[64];

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	if (mag >= 1e-3 && mag < 1e15) {
		snprintf(num, sizeof(num), "%.6f", v);
		force_decimal_point(num);
		trim_fraction_zeros(num);
	} else {
		snprintf(num, sizeof(num), "%.6g", v);
		force_decimal_point(num);
	}
	jw_raw_value(w, num);
}

void jw_bool(struct jw *w, bool v)
{
	jw_raw_value(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	jw_raw_value(w, "null");
}

void jw_kv_str(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}

void jw_kv_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

void jw_kv_i64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}

void jw_kv_double(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	jw_double(w, v);
}

void jw_kv_bool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

static void jw_reset(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->after_key = false;
	w->err = 0;
}

static int jw_write_line(struct jw *w)
{
	jw_putc(w, '\n');
	if (w->err)
		return w->err;
	errno = 0;
	if (fwrite(w->buf, 1, w->len, w->out) != w->len)
		return errno ? -errno : -EIO;
	if (fflush(w->out))
		return errno ? -errno : -EIO;
	return 0;
}

int jw_line_end(struct jw *w)
{
	int err = w->err;

	if (!err && (w->depth || w->after_key))
		err = -EINVAL;
	if (!err && w->len)
		err = jw_write_line(w);
	jw_reset(w);
	return err;
}

/* The code point of a valid UTF-8 sequence of len bytes. */
static uint32_t utf8_decode(const unsigned char *s, size_t len)
{
	uint32_t cp = len == 1 ? s[0] : s[0] & (0x7f >> len);

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Characters that hide text, reorder it or break the line on a terminal. */
static bool is_invisible_format(const unsigned char *s, size_t len)
{
	uint32_t cp = utf8_decode(s, len);

	return (cp >= 0x80 && cp <= 0x9f) ||	 /* C1 controls */
	       cp == 0x61c ||			 /* Arabic letter mark (bidi) */
	       (cp >= 0x200b && cp <= 0x200f) || /* zero width, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* line/paragraph separators, bidi */
	       (cp >= 0x2060 && cp <= 0x206f) || /* word joiner, invisible ops, isolates */
	       cp == 0xfeff;			 /* zero width no-break space */
}

/* Render one source unit into piece; returns the source bytes consumed. */
static size_t sanitize_unit(const unsigned char *s, size_t n, char piece[16],
			    size_t *plen)
{
	size_t len = utf8_seq_len(s, n), i;

	if (len == 1 && s[0] >= 0x20 && s[0] < 0x7f) {
		if (s[0] == '\\') {
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): piece is counted */
			memcpy(piece, "\\\\", 2);
			*plen = 2;
		} else {
			piece[0] = (char)s[0];
			*plen = 1;
		}
		return 1;
	}
	if (len > 1 && !is_invisible_format(s, len)) {
		memcpy(piece, s, len);
		*plen = len;
		return len;
	}
	if (len == 0)
		len = 1;
	for (i = 0; i < len; i++)
		snprintf(piece + 4 * i, 5, "\\x%02x", s[i]);
	*plen = 4 * len;
	return len;
}

size_t text_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0, i = 0, used, plen;
	char piece[16];

	if (!dstsz)
		return 0;
	while (s && i < srclen) {
		used = sanitize_unit(s + i, srclen - i, piece, &plen);
		if (plen >= dstsz - out)	/* keep room for the NUL */
			break;
		memcpy(dst + out, piece, plen);
		out += plen;
		i += used;
	}
	dst[out] = '\0';
	return out;
}

/* RFC 3339 has four-digit years; no clock produces anything else. */
static void utc_time_or_epoch(time_t sec, struct tm *tm)
{
	if (gmtime_r(&sec, tm) && tm->tm_year >= -1900 &&
	    tm->tm_year <= 9999 - 1900)
		return;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = 70;
	tm->tm_mday = 1;
}

void format_rfc3339_ms(char buf[RFC3339_MS_SIZE], struct timespec ts)
{
	long carry = ts.tv_nsec / 1000000000L, nsec = ts.tv_nsec % 1000000000L;
	time_t sec;
	struct tm tm;
	int n;

	if (nsec < 0) {
		nsec += 1000000000L;
		carry--;
	}
	/* A tv_sec near the limits must not overflow (UB): print the epoch. */
	if (__builtin_add_overflow(ts.tv_sec, carry, &sec))
		sec = 0;
	utc_time_or_epoch(sec, &tm);
	n = snprintf(buf, RFC3339_MS_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, nsec / 1000000L);
	/* Cannot happen with the ranges above; never leave a partial stamp. */
	if (n < 0 || n >= RFC3339_MS_SIZE)
		snprintf(buf, RFC3339_MS_SIZE, "1970-01-01T00:00:00.000Z");
}

void jw_record_begin(struct jw *w, struct timespec ts, const char *type)
{
	char buf[RFC3339_MS_SIZE];

	format_rfc3339_ms(buf, ts);
	jw_obj_begin(w);
	jw_kv_u64(w, "v", 1);
	jw_kv_str(w, "ts", buf);
	jw_kv_str(w, "type", type);
}
