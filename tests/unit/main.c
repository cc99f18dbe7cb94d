// SPDX-License-Identifier: GPL-2.0
/* Unit test runner: runs every TEST() linked in, optionally filtered by name. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define SHOW_MAX 160	/* bytes of a string value shown in a failure line */

/* Constructors can only hand tests over through a list the runner owns. */
static struct test_case *registered;

void test_register(struct test_case *tc)
{
	tc->next = registered;
	registered = tc;
}

/* One line per failure, even when a value holds a newline. */
static void report_failure(struct test_ctx *t, const char *file, int line,
			   char *msg)
{
	char *p;

	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	t->failures++;
	printf("FAIL %s (%s:%d): %s\n", t->name, file, line, msg);
	fflush(stdout);
}

bool test_check(struct test_ctx *t, bool ok, const char *file, int line,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_failure(t, file, line, msg);
	return false;
}

bool test_check_int(struct test_ctx *t, const char *file, int line,
		    const char *expr_a, const char *expr_b, long long a, long long b)
{
	return test_check(t, a == b, file, line, "ASSERT_EQ_INT(%s, %s): %lld != %lld",
			  expr_a, expr_b, a, b);
}

bool test_check_ok(struct test_ctx *t, const char *file, int line,
		   const char *expr, long long err)
{
	return test_check(t, err == 0, file, line, "ASSERT_OK(%s): %lld (%s)", expr,
			  err, err < 0 ? strerror((int)-err) : "not an errno");
}

/* Quote a value on one line whatever bytes it holds. */
static void show_string(char *out, size_t outsz, const char *s)
{
	size_t len = 0, i;

	if (!s) {
		snprintf(out, outsz, "NULL");
		return;
	}
	out[len++] = '"';
	for (i = 0; s[i] && len + 6 < outsz && i < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[len++] = (char)c;
		else
			len += (size_t)snprintf(out + len, outsz - len, "\\x%02x", c);
	}
	if (s[i])
		len += (size_t)snprintf(out + len, outsz - len, "...");
	snprintf(out + len, outsz - len, "\"");
}

bool test_check_str(struct test_ctx *t, const char *file, int line,
		    const char *expr_a, const char *expr_b, const char *a,
		    const char *b)
{
	char sa[4 * SHOW_MAX + 16], sb[4 * SHOW_MAX + 16];
	bool same = (a && b) ? !strcmp(a, b) : a == b;

	if (same)
		return true;
	show_string(sa, sizeof(sa), a);
	show_string(sb, sizeof(sb), b);
	return test_check(t, false, file, line, "ASSERT_EQ_STR(%s, %s): %s != %s",
			  expr_a, expr_b, sa, sb);
}

static int by_file_and_line(const void *pa, const void *pb)
{
	const struct test_case *a = *(const struct test_case *const *)pa;
	const struct test_case *b = *(const struct test_case *const *)pb;
	int cmp = strcmp(a->file, b->file);

	return cmp ? cmp : a->line - b->line;
}

/* Constructor order is unspecified: sort so runs are reproducible. */
static struct test_case **sorted_tests(size_t *count)
{
	struct test_case *tc, **all;
	size_t n = 0;

	for (tc = registered; tc; tc = tc->next)
		n++;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return NULL;
	n = 0;
	for (tc = registered; tc; tc = tc->next)
		all[n++] = tc;
	qsort(all, n, sizeof(*all), by_file_and_line);
	*count = n;
	return all;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;
	struct test_case **all;
	size_t n, i;

	all = sorted_tests(&n);
	if (!all) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct test_ctx ctx = { .name = all[i]->name };

		if (filter && !strstr(all[i]->name, filter))
			continue;
		all[i]->fn(&ctx);
		if (ctx.failures)
			failed++;
		else
			passed++;
	}
	free(all);
	printf("%d passed, %d failed, 0 skipped\n", passed, failed); /* a unit test never skips */
	return failed ? 1 : 0;
}
