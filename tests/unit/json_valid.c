// SPDX-License-Identifier: GPL-2.0
/* Strict JSON Lines validator shared by unit tests and fuzz targets. */
#include <stdint.h>
#include <string.h>

#include "json_valid.h"

struct jv {
	const unsigned char *p;
	const unsigned char *end;
	int depth;
};

static bool jv_value(struct jv *v, int *members);

static void jv_ws(struct jv *v)
{
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' ||
				 *v->p == '\n' || *v->p == '\r'))
		v->p++;
}

static bool jv_lit(struct jv *v, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n))
		return false;
	v->p += n;
	return true;
}

static int jv_hex4(struct jv *v)
{
	int val = 0, i;

	if (v->end - v->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = v->p[i];

		val <<= 4;
		if (c >= '0' && c <= '9')
			val |= c - '0';
		else if (c >= 'a' && c <= 'f')
			val |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			val |= c - 'A' + 10;
		else
			return -1;
	}
	v->p += 4;
	return val;
}

static bool jv_escape(struct jv *v)
{
	int hi, lo;

	if (v->p >= v->end)
		return false;
	if (strchr("\"\\/bfnrt", *v->p) && *v->p) {
		v->p++;
		return true;
	}
	if (*v->p++ != 'u')
		return false;
	hi = jv_hex4(v);
	if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return false;
	if (hi < 0xd800 || hi > 0xdbff)
		return true;
	if (!jv_lit(v, "\\u"))
		return false;
	lo = jv_hex4(v);
	return lo >= 0xdc00 && lo <= 0xdfff;
}

/* Independent UTF-8 check: decode, then reject overlong/surrogate/range. */
static bool jv_utf8(struct jv *v)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned char c = *v->p;
	uint32_t cp;
	int n, i;

	if (c >= 0xc0 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf7)
		n = 4;
	else
		return false;
	if (v->end - v->p < n)
		return false;
	cp = c & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((v->p[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (v->p[i] & 0x3f);
	}
	if (cp < min_for_len[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	v->p += n;
	return true;
}

static bool jv_string(struct jv *v)
{
	if (!jv_lit(v, "\""))
		return false;
	while (v->p < v->end) {
		unsigned char c = *v->p;

		if (c == '"') {
			v->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			v->p++;
			if (!jv_escape(v))
				return false;
		} else if (c >= 0x80) {
			if (!jv_utf8(v))
				return false;
		} else {
			v->p++;
		}
	}
	return false;
}

static bool jv_digits(struct jv *v)
{
	const unsigned char *start = v->p;

	while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
		v->p++;
	return v->p > start;
}

static bool jv_number(struct jv *v)
{
	jv_lit(v, "-");
	if (jv_lit(v, "0")) {
		if (v->p < v->end && *v->p >= '0' && *v->p <= '9')
			return false;	/* leading zero */
	} else if (!jv_digits(v)) {
		return false;
	}
	if (jv_lit(v, ".") && !jv_digits(v))
		return false;
	if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
		v->p++;
		if (!jv_lit(v, "+"))
			jv_lit(v, "-");
		if (!jv_digits(v))
			return false;
	}
	return true;
}

static bool jv_container(struct jv *v, char close, bool keyed, int *members)
{
	int count = 0;

	if (++v->depth > 64)
		return false;
	jv_ws(v);
	if (jv_lit(v, close == '}' ? "}" : "]"))
		goto done;
	for (;;) {
		jv_ws(v);
		if (keyed) {
			if (!jv_string(v))
				return false;
			jv_ws(v);
			if (!jv_lit(v, ":"))
				return false;
		}
		if (!jv_value(v, NULL))
			return false;
		count++;
		jv_ws(v);
		if (jv_lit(v, ","))
			continue;
		if (!jv_lit(v, close == '}' ? "}" : "]"))
			return false;
		break;
	}
done:
	v->depth--;
	if (members)
		*members = count;
	return true;
}

static bool jv_value(struct jv *v, int *members)
{
	jv_ws(v);
	if (v->p >= v->end)
		return false;
	switch (*v->p) {
	case '{':
		v->p++;
		return jv_container(v, '}', true, members);
	case '[':
		v->p++;
		return jv_container(v, ']', false, members);
	case '"':
		return jv_string(v);
	case 't':
		return jv_lit(v, "true");
	case 'f':
		return jv_lit(v, "false");
	case 'n':
		return jv_lit(v, "null");
	default:
		return jv_number(v);
	}
}

bool json_line_valid(const char *s, size_t n, int *members)
{
	struct jv v = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	if (n == 0 || s[n - 1] != '\n')
		return false;
	v.end--;
	if (memchr(s, '\n', n - 1))
		return false;
	if (!jv_value(&v, members))
		return false;
	jv_ws(&v);
	return v.p == v.end;
}
