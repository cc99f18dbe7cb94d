/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny unit test framework. TEST(name) { ... } registers a test through a
 * constructor; tests/unit/main.c runs them all. Every ASSERT_* records a
 * failure (file:line and both values) and evaluates to false instead of
 * aborting, so a test can guard what follows:
 *
 *	if (!ASSERT_OK(err))
 *		goto out;
 *
 * No state lives in this header: each test receives its context as `t`.
 */
#ifndef __TT_TEST_H
#define __TT_TEST_H

#include <stdbool.h>

struct test_ctx {
	const char *name;
	int failures;
};

struct test_case {
	const char *name;
	const char *file;
	int line;
	void (*fn)(struct test_ctx *t);
	struct test_case *next;
};

void test_register(struct test_case *tc);
bool test_check(struct test_ctx *t, bool ok, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool test_check_int(struct test_ctx *t, const char *file, int line,
		    const char *expr_a, const char *expr_b, long long a, long long b);
bool test_check_str(struct test_ctx *t, const char *file, int line,
		    const char *expr_a, const char *expr_b, const char *a,
		    const char *b);
bool test_check_ok(struct test_ctx *t, const char *file, int line,
		   const char *expr, long long err);

#define TEST(name_)							\
	static void test_fn_##name_(struct test_ctx *t);		\
	static struct test_case test_case_##name_ = {			\
		.name = #name_,						\
		.file = __FILE__,					\
		.line = __LINE__,					\
		.fn = test_fn_##name_,					\
	};								\
	__attribute__((constructor)) static void test_reg_##name_(void)	\
	{								\
		test_register(&test_case_##name_);			\
	}								\
	static void test_fn_##name_(struct test_ctx *t __attribute__((unused)))

#define ASSERT_TRUE(cond)						\
	test_check(t, !!(cond), __FILE__, __LINE__, "ASSERT_TRUE(%s)", #cond)

#define ASSERT_EQ_INT(a, b)						\
	test_check_int(t, __FILE__, __LINE__, #a, #b, (long long)(a), (long long)(b))

#define ASSERT_EQ_STR(a, b)						\
	test_check_str(t, __FILE__, __LINE__, #a, #b, (a), (b))

/* err == 0; on failure prints err and strerror(-err). */
#define ASSERT_OK(err)							\
	test_check_ok(t, __FILE__, __LINE__, #err, (long long)(err))

#endif /* __TT_TEST_H */
