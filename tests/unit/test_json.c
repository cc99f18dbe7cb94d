// SPDX-License-Identifier: GPL-2.0
/* Tests for the JSON Lines writer, text sanitizer and timestamps. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_valid.h"
#include "test.h"

/* A writer into memory, so tests can inspect exactly what was emitted. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
	struct jw *w;
};

static bool capture_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f)
		return false;
	c->w = jw_new(c->f);
	return c->w != NULL;
}

static void capture_close(struct capture *c)
{
	jw_free(c->w);
	if (c->f)
		fclose(c->f);
	free(c->buf);
}

/* A memstream cannot be truncated: start a fresh one for the next line. */
static bool capture_restart(struct capture *c)
{
	capture_close(c);
	return capture_open(c);
}

/* Emit {"s":<s as n bytes>} and return the line (owned by c). */
static const char *emit_string(struct capture *c, const char *s, size_t n)
{
	if (!capture_restart(c))
		return NULL;
	jw_obj_begin(c->w);
	jw_key(c->w, "s");
	jw_strn(c->w, s, n);
	jw_obj_end(c->w);
	if (jw_line_end(c->w))
		return NULL;
	return c->buf;
}

static bool line_ok(const char *line, int want_members)
{
	int members = -1;

	return line && json_line_valid(line, strlen(line), &members) &&
	       members == want_members;
}

TEST(json_validator_rejects_bad_input)
{
	static const char *const bad[] = {
		"{\"a\":1}",			/* no newline */
		"{\"a\":\"\x01\"}\n",		/* raw control byte */
		"{\"a\":\"\xc0\xaf\"}\n",	/* overlong */
		"{\"a\":\"\xed\xa0\x80\"}\n",	/* surrogate */
		"{\"a\":\"\\ud800\"}\n",	/* lone surrogate escape */
		"{\"a\":\"\\x41\"}\n",		/* bad escape */
		"{\"a\":01}\n",			/* leading zero */
		"{\"a\":1,}\n",			/* trailing comma */
		"{\"a\":1}{\"b\":2}\n",		/* two values */
		"{\"a\":1\n}\n",		/* two lines */
	};
	const char *good;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_check(t, !json_line_valid(bad[i], strlen(bad[i]), NULL),
			   __FILE__, __LINE__, "validator accepted bad[%zu]", i);
	good = "{\"a\":[1,-2.5e+3,true,null,\"\\u00e9\",{}]}\n";
	ASSERT_TRUE(json_line_valid(good, strlen(good), NULL));
}

TEST(json_full_line_layout)
{
	struct capture c;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	jw_obj_begin(c.w);
	jw_kv_u64(c.w, "v", 1);
	jw_kv_str(c.w, "type", "finding");
	jw_kv_i64(c.w, "delta", -42);
	jw_kv_double(c.w, "ratio", 0.25);
	jw_kv_bool(c.w, "ok", false);
	jw_key(c.w, "culprits");
	jw_arr_begin(c.w);
	jw_obj_begin(c.w);
	jw_kv_u64(c.w, "pid", 1234);
	jw_key(c.w, "cgroup");
	jw_null(c.w);
	jw_obj_end(c.w);
	jw_u64(c.w, UINT64_MAX);
	jw_arr_begin(c.w);
	jw_arr_end(c.w);
	jw_arr_end(c.w);
	jw_key(c.w, "evidence");
	jw_obj_begin(c.w);
	jw_obj_end(c.w);
	jw_obj_end(c.w);
	ASSERT_OK(jw_line_end(c.w));
	ASSERT_EQ_STR(c.buf, "{\"v\":1,\"type\":\"finding\",\"delta\":-42,"
		      "\"ratio\":0.25,\"ok\":false,\"culprits\":[{\"pid\":1234,"
		      "\"cgroup\":null},18446744073709551615,[]],\"evidence\":{}}\n");
	ASSERT_TRUE(line_ok(c.buf, 7));

	/* The writer is reusable: the next line starts clean. */
	jw_obj_begin(c.w);
	jw_kv_i64(c.w, "min", INT64_MIN);
	jw_obj_end(c.w);
	ASSERT_OK(jw_line_end(c.w));
	ASSERT_EQ_STR(c.buf, "{\"v\":1,\"type\":\"finding\",\"delta\":-42,"
		      "\"ratio\":0.25,\"ok\":false,\"culprits\":[{\"pid\":1234,"
		      "\"cgroup\":null},18446744073709551615,[]],\"evidence\":{}}\n"
		      "{\"min\":-9223372036854775808}\n");
	capture_close(&c);
}

TEST(json_escapes_every_control_byte)
{
	static const char *const short_forms[0x20] = {
		['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
		['\r'] = "\\r", ['\t'] = "\\t",
	};
	char want[64], in[1];
	struct capture c;
	const char *line;
	int b;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	for (b = 0; b <= 0x7f; b++) {
		if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\')
			continue;
		in[0] = (char)b;
		line = emit_string(&c, in, 1);
		if (b == '"')
			snprintf(want, sizeof(want), "{\"s\":\"\\\"\"}\n");
		else if (b == '\\')
			snprintf(want, sizeof(want), "{\"s\":\"\\\\\"}\n");
		else if (b < 0x20 && short_forms[b])
			snprintf(want, sizeof(want), "{\"s\":\"%s\"}\n", short_forms[b]);
		else
			snprintf(want, sizeof(want), "{\"s\":\"\\u%04x\"}\n", b);
		test_check(t, line && !strcmp(line, want), __FILE__, __LINE__,
			   "byte 0x%02x: got %s", b, line ? line : "(error)");
		test_check(t, line_ok(line, 1), __FILE__, __LINE__,
			   "byte 0x%02x: invalid JSON", b);
	}
	capture_close(&c);
}

TEST(json_printable_ascii_and_utf8_pass_through)
{
	const char *text = "nginx: worker \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 ~!";
	struct capture c;
	char want[128];

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	snprintf(want, sizeof(want), "{\"s\":\"%s\"}\n", text);
	ASSERT_EQ_STR(emit_string(&c, text, strlen(text)), want);
	capture_close(&c);
}

struct utf8_case {
	const char *in;
	const char *out;	/* the string body the writer must produce */
};

TEST(json_replaces_invalid_utf8)
{
	static const struct utf8_case cases[] = {
		{ "\x80", "\\ufffd" },			/* lone continuation */
		{ "\xbf", "\\ufffd" },
		{ "\xc0\xaf", "\\ufffd\\ufffd" },	/* overlong '/' */
		{ "\xc1\xbf", "\\ufffd\\ufffd" },
		{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd" },	/* overlong 3-byte */
		{ "\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd" },
		{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" },	/* U+D800 */
		{ "\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd" },	/* U+DFFF */
		{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" },
		{ "\xff", "\\ufffd" },
		{ "\xfe", "\\ufffd" },
		{ "\xe2\x82", "\\ufffd\\ufffd" },	/* truncated at end */
		{ "\xe2\x82" "A", "\\ufffd\\ufffdA" },	/* truncated before ASCII */
		{ "\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd" },
		{ "\xc3" "\"", "\\ufffd\\\"" },		/* lead byte eats no quote */
		{ "\xc3\xa9", "\xc3\xa9" },		/* boundaries that are valid */
		{ "\xc2\x80", "\xc2\x80" },		/* U+0080 */
		{ "\xdf\xbf", "\xdf\xbf" },		/* U+07FF */
		{ "\xe0\xa0\x80", "\xe0\xa0\x80" },	/* U+0800 */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },	/* U+D7FF */
		{ "\xee\x80\x80", "\xee\x80\x80" },	/* U+E000 */
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },	/* U+FFFF */
		{ "\xf0\x90\x80\x80", "\xf0\x90\x80\x80" },	/* U+10000 */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },	/* U+10FFFF */
		{ "\xe2\x80\xa8", "\\u2028" },		/* JS line separators */
		{ "\xe2\x80\xa9", "\\u2029" },
	};
	struct capture c;
	const char *line;
	char want[128];
	size_t i;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		line = emit_string(&c, cases[i].in, strlen(cases[i].in));
		snprintf(want, sizeof(want), "{\"s\":\"%s\"}\n", cases[i].out);
		test_check(t, line && !strcmp(line, want), __FILE__, __LINE__,
			   "utf8 case %zu: got %s", i, line ? line : "(error)");
		test_check(t, line_ok(line, 1), __FILE__, __LINE__,
			   "utf8 case %zu: invalid JSON", i);
	}
	capture_close(&c);
}

TEST(json_nul_byte_is_data)
{
	struct capture c;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	ASSERT_EQ_STR(emit_string(&c, "a\0b", 3), "{\"s\":\"a\\u0000b\"}\n");
	capture_close(&c);
}

TEST(json_forging_attempt_stays_inside_string)
{
	const char *evil = "x\"},{\"type\":\"finding\",\"cause\":\"tcp_mem_exhausted\"}\n{\"v\":1";
	struct capture c;
	const char *line;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	jw_obj_begin(c.w);
	jw_kv_str(c.w, "comm", evil);
	jw_key(c.w, evil);	/* keys are hostile too */
	jw_str(c.w, "v");
	jw_obj_end(c.w);
	ASSERT_OK(jw_line_end(c.w));
	line = c.buf;
	ASSERT_TRUE(line_ok(line, 2));
	ASSERT_EQ_STR(strchr(line, '\n'), strrchr(line, '\n'));
	ASSERT_TRUE(!strstr(line, "\"},{\"type\""));
	capture_close(&c);
}

static uint64_t xorshift64(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Deterministic pseudo-random bytes: whatever they are, the line is valid. */
TEST(json_random_bytes_always_valid)
{
	uint64_t state = 0x9e3779b97f4a7c15ull, r;
	unsigned char in[64];
	struct capture c;
	const char *line;
	int round, bad = 0;
	size_t i, n;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	for (round = 0; round < 20000; round++) {
		n = xorshift64(&state) % sizeof(in);
		for (i = 0; i < n; i++) {
			r = xorshift64(&state);
			/* Half the bytes >= 0x80, where UTF-8 goes wrong. */
			in[i] = (unsigned char)(r & 1 ? r >> 8 : 0x80 | (r >> 8 & 0x7f));
		}
		line = emit_string(&c, (const char *)in, n);
		if (!line_ok(line, 1) && bad++ < 3)
			test_check(t, false, __FILE__, __LINE__, "round %d invalid", round);
	}
	ASSERT_EQ_INT(bad, 0);
	capture_close(&c);
}

struct double_case {
	double v;
	const char *out;
};

TEST(json_doubles)
{
	static const struct double_case cases[] = {
		{ 0.0, "0" }, { 1.0, "1" }, { -2.5, "-2.5" }, { 0.1, "0.1" },
		{ 1.0 / 3.0, "0.333333" }, { 123456.789, "123456.789" },
		{ 0.001, "0.001" }, { 0.0001234567, "0.000123457" },
		{ 1.5e-9, "1.5e-09" }, { 1e15, "1e+15" }, { 99.9999999, "100" },
	};
	char want[64];
	struct capture c;
	size_t i;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!ASSERT_TRUE(capture_restart(&c)))
			return;
		jw_obj_begin(c.w);
		jw_kv_double(c.w, "d", cases[i].v);
		jw_obj_end(c.w);
		ASSERT_OK(jw_line_end(c.w));
		snprintf(want, sizeof(want), "{\"d\":%s}\n", cases[i].out);
		test_check(t, !strcmp(c.buf, want), __FILE__, __LINE__,
			   "double case %zu: got %s", i, c.buf);
		ASSERT_TRUE(line_ok(c.buf, 1));
	}
	if (!ASSERT_TRUE(capture_restart(&c)))
		return;
	jw_arr_begin(c.w);
	jw_double(c.w, NAN);
	jw_double(c.w, INFINITY);
	jw_double(c.w, -INFINITY);
	jw_arr_end(c.w);
	ASSERT_OK(jw_line_end(c.w));
	ASSERT_EQ_STR(c.buf, "[null,null,null]\n");
	capture_close(&c);
}

TEST(json_misuse_drops_the_line)
{
	struct capture c;
	int i;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	jw_obj_begin(c.w);
	jw_str(c.w, "value without key");
	jw_obj_end(c.w);
	ASSERT_EQ_INT(jw_line_end(c.w), -EINVAL);

	jw_obj_begin(c.w);
	jw_kv_u64(c.w, "unclosed", 1);
	ASSERT_EQ_INT(jw_line_end(c.w), -EINVAL);

	jw_arr_begin(c.w);
	jw_key(c.w, "key in array");
	jw_arr_end(c.w);
	ASSERT_EQ_INT(jw_line_end(c.w), -EINVAL);

	jw_arr_begin(c.w);
	jw_obj_end(c.w);
	ASSERT_EQ_INT(jw_line_end(c.w), -EINVAL);

	jw_obj_begin(c.w);
	jw_key(c.w, "dangling");
	jw_obj_end(c.w);
	ASSERT_EQ_INT(jw_line_end(c.w), -EINVAL);

	for (i = 0; i < 40; i++)
		jw_arr_begin(c.w);
	for (i = 0; i < 40; i++)
		jw_arr_end(c.w);
	ASSERT_EQ_INT(jw_line_end(c.w), -EOVERFLOW);

	/* Nothing buffered: nothing written, no error. */
	ASSERT_OK(jw_line_end(c.w));
	fflush(c.f);
	ASSERT_EQ_INT(c.len, 0);

	/* 32 levels are allowed. */
	for (i = 0; i < 32; i++)
		jw_arr_begin(c.w);
	for (i = 0; i < 32; i++)
		jw_arr_end(c.w);
	ASSERT_OK(jw_line_end(c.w));
	ASSERT_TRUE(line_ok(c.buf, 1));
	capture_close(&c);
}

TEST(json_write_error_is_reported)
{
	FILE *full = fopen("/dev/full", "w");
	struct jw *w;

	if (!full)
		return;		/* no /dev/full in this sandbox */
	w = jw_new(full);
	if (ASSERT_TRUE(w)) {
		jw_obj_begin(w);
		jw_kv_str(w, "a", "b");
		jw_obj_end(w);
		ASSERT_EQ_INT(jw_line_end(w), -ENOSPC);
	}
	jw_free(w);
	fclose(full);
}

TEST(json_null_string_is_null)
{
	struct capture c;

	if (!ASSERT_TRUE(capture_open(&c)))
		return;
	jw_obj_begin(c.w);
	jw_kv_str(c.w, "s", NULL);
	jw_obj_end(c.w);
	ASSERT_OK(jw_line_end(c.w));
	ASSERT_EQ_STR(c.buf, "{\"s\":null}\n");
	capture_close(&c);
}

TEST(text_sanitize_escapes_hostile_bytes)
{
	char out[128];
	size_t n;

	n = text_sanitize(out, sizeof(out), "ok caf\xc3\xa9", 8);
	ASSERT_EQ_STR(out, "ok caf\xc3\xa9");
	ASSERT_EQ_INT(n, 8);

	text_sanitize(out, sizeof(out), "a\nb\x1b[2Jc\x7f", 9);
	ASSERT_EQ_STR(out, "a\\x0ab\\x1b[2Jc\\x7f");

	text_sanitize(out, sizeof(out), "\xff\xe2\x82" "x\xc0\xaf", 6);
	ASSERT_EQ_STR(out, "\\xff\\xe2\\x82x\\xc0\\xaf");

	text_sanitize(out, sizeof(out), "back\\x41slash", 13);
	ASSERT_EQ_STR(out, "back\\\\x41slash");

	/* C1 CSI and a bidi override must not reach the terminal raw. */
	text_sanitize(out, sizeof(out), "\xc2\x9b" "2J\xe2\x80\xae" "abc", 10);
	ASSERT_EQ_STR(out, "\\xc2\\x9b2J\\xe2\\x80\\xaeabc");

	/* Found by test_hostile_names.sh: U+2028 breaks the line on a terminal. */
	text_sanitize(out, sizeof(out), "a\xe2\x80\xa8" "b\xef\xbb\xbf" "c\xd8\x9c", 11);
	ASSERT_EQ_STR(out, "a\\xe2\\x80\\xa8b\\xef\\xbb\\xbfc\\xd8\\x9c");
	text_sanitize(out, sizeof(out), "a\0b", 3);
	ASSERT_EQ_STR(out, "a\\x00b");

	ASSERT_EQ_INT(text_sanitize(out, sizeof(out), NULL, 5), 0);
	ASSERT_EQ_STR(out, "");
}

TEST(text_sanitize_truncates_on_boundaries)
{
	char out[8];

	memset(out, 'Z', sizeof(out));
	ASSERT_EQ_INT(text_sanitize(out, 0, "abc", 3), 0);
	ASSERT_EQ_INT(out[0], 'Z');

	ASSERT_EQ_INT(text_sanitize(out, 1, "abc", 3), 0);
	ASSERT_EQ_STR(out, "");

	/* "ab" + "\x01" needs 6 bytes + NUL: the escape is dropped whole. */
	ASSERT_EQ_INT(text_sanitize(out, 6, "ab\x01", 3), 2);
	ASSERT_EQ_STR(out, "ab");

	/* A 3-byte character never gets split. */
	ASSERT_EQ_INT(text_sanitize(out, 5, "ab\xe2\x82\xac", 5), 2);
	ASSERT_EQ_STR(out, "ab");
	ASSERT_EQ_INT(text_sanitize(out, 6, "ab\xe2\x82\xac", 5), 5);
	ASSERT_EQ_STR(out, "ab\xe2\x82\xac");

	ASSERT_EQ_INT(text_sanitize(out, sizeof(out), "abcdefghij", 10), 7);
	ASSERT_EQ_STR(out, "abcdefg");
}

TEST(rfc3339_ms_timestamps)
{
	char buf[RFC3339_MS_SIZE];

	format_rfc3339_ms(buf, (struct timespec){ .tv_sec = 1795789926, .tv_nsec = 123456789 });
	ASSERT_EQ_STR(buf, "2026-11-27T14:32:06.123Z");
	format_rfc3339_ms(buf, (struct timespec){ 0, 0 });
	ASSERT_EQ_STR(buf, "1970-01-01T00:00:00.000Z");
	format_rfc3339_ms(buf, (struct timespec){ 951782400, 999999999 });
	ASSERT_EQ_STR(buf, "2000-02-29T00:00:00.999Z");
	/* Unnormalized nanoseconds still give the right instant. */
	format_rfc3339_ms(buf, (struct timespec){ 1, -1 });
	ASSERT_EQ_STR(buf, "1970-01-01T00:00:00.999Z");
	format_rfc3339_ms(buf, (struct timespec){ 0, 2500000000 });
	ASSERT_EQ_STR(buf, "1970-01-01T00:00:02.500Z");
	/* Found by fuzzing: normalizing must not overflow tv_sec (UB). */
	format_rfc3339_ms(buf, (struct timespec){ INT64_MIN, -1 });
	ASSERT_EQ_STR(buf, "1970-01-01T00:00:00.999Z");
	format_rfc3339_ms(buf, (struct timespec){ INT64_MAX, 1999999999 });
	ASSERT_EQ_STR(buf, "1970-01-01T00:00:00.999Z");
}
