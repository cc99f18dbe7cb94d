// SPDX-License-Identifier: GPL-2.0
/*
 * text_sanitize(): hostile text for a terminal. The output holds no control
 * byte, no invalid UTF-8 and no C1/bidi/zero-width character, and decoding
 * its "\\" and "\xNN" escapes gives back the input (a prefix of it when dst
 * is too small). First two bytes: the size of dst.
 */
#include "fuzz.h"
#include "json.h"

/* Length of the valid UTF-8 sequence at s, 0 if invalid (independent of json.c). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] < 0x80 ? 1 : s[0] >> 5 == 6 ? 2 : s[0] >> 4 == 14 ? 3 :
		     s[0] >> 3 == 30 ? 4 : 0;
	uint32_t cp;

	if (!len || len > n)
		return 0;
	cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool invisible(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff;
}

static uint32_t codepoint(const unsigned char *s, size_t len)
{
	uint32_t cp = len == 1 ? s[0] : s[0] & (0x7f >> len);

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Check the output and undo its escapes into raw; returns raw's length. */
static size_t check_and_decode(const char *out, size_t n, unsigned char *raw)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t i = 0, r = 0, len;

	while (i < n) {
		len = utf8_len(s + i, n - i);
		FUZZ_CHECK(len > 0 && !invisible(codepoint(s + i, len)));
		if (s[i] != '\\') {
			memcpy(raw + r, s + i, len);
			r += len;
			i += len;
			continue;
		}
		FUZZ_CHECK(i + 1 < n);
		if (s[i + 1] == '\\') {
			raw[r++] = '\\';
			i += 2;
			continue;
		}
		FUZZ_CHECK(s[i + 1] == 'x' && i + 3 < n && hexval(out[i + 2]) >= 0 &&
			   hexval(out[i + 3]) >= 0);
		raw[r++] = (unsigned char)(hexval(out[i + 2]) << 4 | hexval(out[i + 3]));
		i += 4;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t dstsz, n, r;
	unsigned char *raw;
	char *dst;

	if (size < 2)
		return 0;
	dstsz = (size_t)(data[0] | data[1] << 8) % (4 * size + 2);
	data += 2;
	size -= 2;
	dst = malloc(dstsz ? dstsz : 1); /* exact size: ASan sees an overrun */
	raw = malloc(size + 1);
	FUZZ_CHECK(dst && raw);
	n = text_sanitize(dst, dstsz, (const char *)data, size);
	if (dstsz) {
		FUZZ_CHECK(n < dstsz && dst[n] == '\0' && strlen(dst) == n);
		r = check_and_decode(dst, n, raw);
		FUZZ_CHECK(r <= size && !memcmp(raw, data, r));
		/* room for the worst case (4 bytes out per byte in): nothing cut */
		FUZZ_CHECK(dstsz <= 4 * size || r == size);
	} else {
		FUZZ_CHECK(n == 0);
	}
	free(raw);
	free(dst);
	return 0;
}
