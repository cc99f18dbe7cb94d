// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON Lines writer driven by arbitrary bytes: each byte is a writer
 * call, strings and numbers come from the bytes that follow. Every line
 * written must be exactly one valid JSON value (tests/unit/json_valid.c
 * shares no code with the writer); a line the writer rejects must write
 * nothing. In guided mode (odd first byte) the harness keeps the calls
 * legal -- a key before each object member, every container closed -- so
 * the writer must accept the line unless it nests deeper than 32, and the
 * top-level member count proves no string closed itself early.
 */
#include <errno.h>
#include "fuzz.h"
#include "json.h"
#include "json_valid.h"

#define MAX_DEPTH 64

enum op { OP_OBJ, OP_OBJ_END, OP_ARR, OP_ARR_END, OP_KEY, OP_STR, OP_STRN, OP_U64,
	  OP_I64, OP_DOUBLE, OP_BOOL, OP_NULL, OP_KV_STR, OP_LINE_END, OP_COUNT };

struct fuzz_json {
	const uint8_t *p, *end;
	struct jw *w;
	FILE *f;
	char *out;
	size_t out_len, checked;
	bool guided;
	/* guided mode: the structure the harness built */
	int depth, deepest, top_members;
	bool object[MAX_DEPTH];
	bool key_pending, top_is_container, line_has_value;
	char str[256];
};

static uint8_t take_byte(struct fuzz_json *z)
{
	return z->p < z->end ? *z->p++ : 0;
}

/* A length byte then that many bytes (NULs included), NUL-terminated in z->str. */
static size_t take_str(struct fuzz_json *z)
{
	size_t n = take_byte(z);

	if (n > (size_t)(z->end - z->p))
		n = z->end - z->p;
	memcpy(z->str, z->p, n);
	z->str[n] = '\0';
	z->p += n;
	return n;
}

static uint64_t take_u64(struct fuzz_json *z)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | take_byte(z);
	return v;
}

static void end_line(struct fuzz_json *z, bool expect_ok)
{
	int members = -1, err = jw_line_end(z->w);
	const char *line;
	size_t n;

	FUZZ_CHECK(fflush(z->f) == 0);
	line = z->out + z->checked;
	n = z->out_len - z->checked;
	z->checked = z->out_len;
	if (err) {
		FUZZ_CHECK(n == 0); /* a rejected line is dropped whole */
		FUZZ_CHECK(!expect_ok || (z->deepest > 32 && err == -EOVERFLOW));
		return;
	}
	FUZZ_CHECK(n == 0 || json_line_valid(line, n, &members));
	if (expect_ok && z->top_is_container)
		FUZZ_CHECK(members == z->top_members);
}

/* Raw mode: the bytes call the writer as they please. */
static void raw_op(struct fuzz_json *z, enum op op)
{
	switch (op) {
	case OP_OBJ: jw_obj_begin(z->w); break;
	case OP_OBJ_END: jw_obj_end(z->w); break;
	case OP_ARR: jw_arr_begin(z->w); break;
	case OP_ARR_END: jw_arr_end(z->w); break;
	case OP_KEY: take_str(z); jw_key(z->w, z->str); break;
	case OP_STR: take_str(z); jw_str(z->w, z->str); break;
	case OP_STRN: jw_strn(z->w, z->str, take_str(z)); break;
	case OP_U64: jw_u64(z->w, take_u64(z)); break;
	case OP_I64: jw_i64(z->w, (int64_t)take_u64(z)); break;
	case OP_DOUBLE: {
		uint64_t bits = take_u64(z);
		double d;

		memcpy(&d, &bits, sizeof(d));
		jw_double(z->w, d);
		break;
	}
	case OP_BOOL: jw_bool(z->w, take_byte(z) & 1); break;
	case OP_NULL: jw_null(z->w); break;
	case OP_KV_STR: {
		char key[sizeof(z->str)];

		take_str(z);
		memcpy(key, z->str, sizeof(key));
		take_str(z);
		jw_kv_str(z->w, key, z->str);
		break;
	}
	case OP_LINE_END:
	case OP_COUNT:
		end_line(z, false);
		break;
	}
}

static void guided_reset(struct fuzz_json *z)
{
	z->depth = z->deepest = z->top_members = 0;
	z->key_pending = z->top_is_container = z->line_has_value = false;
}

static void guided_close_one(struct fuzz_json *z)
{
	if (z->depth == 0)
		return;
	if (z->key_pending)
		jw_null(z->w);
	z->key_pending = false;
	z->depth--;
	if (z->object[z->depth])
		jw_obj_end(z->w);
	else
		jw_arr_end(z->w);
}

static void guided_end_line(struct fuzz_json *z)
{
	while (z->depth > 0)
		guided_close_one(z);
	end_line(z, true);
	guided_reset(z);
}

static bool in_object(const struct fuzz_json *z)
{
	return z->depth > 0 && z->object[z->depth - 1];
}

/* Make the next value legal: a new line at top level, a key inside an object. */
static void guided_before_value(struct fuzz_json *z, bool container)
{
	if (z->depth == 0) {
		if (z->line_has_value)
			guided_end_line(z);
		z->line_has_value = true;
		z->top_is_container = container;
		return;
	}
	if (!in_object(z)) {
		z->top_members += z->depth == 1;
	} else if (!z->key_pending) {
		take_str(z);
		jw_key(z->w, z->str);
		z->top_members += z->depth == 1;
	}
	z->key_pending = false;
}

static void guided_member(struct fuzz_json *z, enum op op)
{
	if (!in_object(z) || z->key_pending)
		return;
	z->top_members += z->depth == 1;
	raw_op(z, op);
	z->key_pending = op == OP_KEY;
}

static void guided_op(struct fuzz_json *z, enum op op)
{
	bool open = op == OP_OBJ || op == OP_ARR;

	switch (op) {
	case OP_LINE_END:
	case OP_COUNT:
		guided_end_line(z);
		return;
	case OP_OBJ_END:
	case OP_ARR_END:
		guided_close_one(z);
		return;
	case OP_KEY:
	case OP_KV_STR:
		guided_member(z, op);
		return;
	default:
		break;
	}
	if (open && z->depth == MAX_DEPTH)
		return;
	guided_before_value(z, open);
	raw_op(z, op);
	if (!open)
		return;
	z->object[z->depth++] = op == OP_OBJ;
	if (z->depth > z->deepest)
		z->deepest = z->depth;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_json z = { .p = data, .end = data + size };

	z.guided = take_byte(&z) & 1;
	z.f = open_memstream(&z.out, &z.out_len);
	FUZZ_CHECK(z.f);
	z.w = jw_new(z.f);
	FUZZ_CHECK(z.w);
	while (z.p < z.end) {
		enum op op = take_byte(&z) % OP_COUNT;

		if (z.guided)
			guided_op(&z, op);
		else
			raw_op(&z, op);
	}
	if (z.guided)
		guided_end_line(&z);
	else
		end_line(&z, false);
	jw_free(z.w);
	fclose(z.f);
	free(z.out);
	return 0;
}
