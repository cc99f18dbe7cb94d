// SPDX-License-Identifier: GPL-2.0
/* Classify kernel log lines (printk:console) that name an exhausted TCP resource. */
#include <string.h>

#include "console.h"

/* Log prefixes are short; do not scan far into hostile text for them. */
#define PREFIX_SCAN_MAX	64
#define TAG_MAX		32

const char *const console_needles[] = {
	"out of memory -- consider tuning tcp_mem",
	"too many orphaned sockets",
	"table full",
	"Possible SYN flooding on port",
	"time wait bucket table overflow",
	NULL,
};

const char *const console_prefixes[] = {
	"TCP: ",
	"nf_conntrack: ",
	NULL,
};

static const char *const verdict_names[CV_COUNT] = {
	[CV_NONE]		= "none",
	[CV_TCP_OOM]		= "tcp_out_of_memory",
	[CV_TCP_ORPHANS]	= "tcp_too_many_orphans",
	[CV_CONNTRACK_FULL]	= "conntrack_table_full",
	[CV_SYN_FLOOD]		= "syn_flooding",
	[CV_TW_OVERFLOW]	= "timewait_bucket_overflow",
};

static const char *const verdict_causes[CV_COUNT] = {
	[CV_TCP_OOM]		= "tcp_mem_exhausted",
	[CV_TCP_ORPHANS]	= "orphan_sockets",
	[CV_CONNTRACK_FULL]	= "conntrack_full",
	[CV_SYN_FLOOD]		= "syn_backlog_overflow",
	[CV_TW_OVERFLOW]	= "timewait_overflow",
};

struct span {
	const char *p;
	size_t n;
};

static void span_advance(struct span *s, size_t n)
{
	s->p += n;
	s->n -= n;
}

static bool span_starts(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && !memcmp(s.p, lit, n);
}

static bool span_consume(struct span *s, const char *lit)
{
	if (!span_starts(*s, lit))
		return false;
	span_advance(s, strlen(lit));
	return true;
}

static bool span_contains(struct span s, const char *lit)
{
	size_t n = strlen(lit), i;

	for (i = 0; i + n <= s.n; i++)
		if (!memcmp(s.p + i, lit, n))
			return true;
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_tag_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '-' || c == '.';
}

static void strip_line_end(struct span *s)
{
	while (s->n && (s->p[s->n - 1] == '\n' || s->p[s->n - 1] == '\r' ||
			s->p[s->n - 1] == '\0'))
		s->n--;
}

static void skip_spaces(struct span *s)
{
	while (s->n && (*s->p == ' ' || *s->p == '\t'))
		span_advance(s, 1);
}

/* Syslog level "<6>". */
static bool skip_level(struct span *s)
{
	size_t i = 1;

	if (!s->n || *s->p != '<')
		return false;
	while (i < s->n && i < PREFIX_SCAN_MAX && is_digit(s->p[i]))
		i++;
	if (i == 1 || i >= s->n || s->p[i] != '>')
		return false;
	span_advance(s, i + 1);
	return true;
}

/* "[ 123.456789]", "[T1234]", "[Thu Nov 27 14:32:06 2026]". */
static bool skip_brackets(struct span *s)
{
	size_t i;

	if (!s->n || *s->p != '[')
		return false;
	for (i = 1; i < s->n && i < PREFIX_SCAN_MAX; i++) {
		if (s->p[i] == '[')
			return false;
		if (s->p[i] == ']') {
			span_advance(s, i + 1);
			return true;
		}
	}
	return false;
}

/* /dev/kmsg record header "6,1234,5678901,-;" (optionally ",caller=T1"). */
static bool skip_kmsg_header(struct span *s)
{
	bool comma = false;
	size_t i;

	if (!s->n || !is_digit(*s->p))
		return false;
	for (i = 0; i < s->n && i < PREFIX_SCAN_MAX; i++) {
		char c = s->p[i];

		if (c == ';') {
			if (!comma)
				return false;
			span_advance(s, i + 1);
			return true;
		}
		if (c == ',')
			comma = true;
		else if (!is_tag_char(c) && c != '=')
			return false;
	}
	return false;
}

static void skip_log_prefixes(struct span *s)
{
	int i;

	for (i = 0; i < 4; i++) {
		skip_spaces(s);
		if (!skip_level(s) && !skip_brackets(s) && !skip_kmsg_header(s))
			break;
	}
	skip_spaces(s);
}

/* A "word: " tag such as the "request_sock_TCP: " protocol name. */
static bool skip_tag(struct span *s)
{
	size_t i = 0;

	while (i < s->n && i <= TAG_MAX && is_tag_char(s->p[i]))
		i++;
	if (i == 0 || i > TAG_MAX || i + 2 > s->n || s->p[i] != ':' ||
	    s->p[i + 1] != ' ')
		return false;
	span_advance(s, i + 2);
	return true;
}

/* Up to max_digits decimal digits; false if none or above limit. */
static bool parse_decimal(struct span s, size_t max_digits, uint64_t limit,
			  uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < s.n && is_digit(s.p[i]); i++) {
		if (i == max_digits)
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (i == 0 || v > limit)
		return false;
	*out = v;
	return true;
}

/*
 * "port 127.0.0.1:80. Sending cookies.", "port [::]:8080. Dropping
 * request." or, before 5.x, "port 80. Sending cookies.": the port is the
 * number after the last ':' of the address token, or the token itself.
 */
static void parse_syn_flood(struct span rest, struct console_match *m)
{
	struct span token = rest, digits;
	uint64_t port;
	size_t i;

	for (i = 0; i < rest.n && rest.p[i] != ' '; i++)
		;
	token.n = i;
	digits = token;
	for (i = token.n; i > 0; i--) {
		if (token.p[i - 1] == ':') {
			span_advance(&digits, i);
			break;
		}
	}
	for (i = 0; i < digits.n && is_digit(digits.p[i]); i++)
		;
	/* Only the sentence's full stop may follow the number. */
	if ((i == digits.n || (i + 1 == digits.n && digits.p[i] == '.')) &&
	    parse_decimal(digits, 5, UINT16_MAX, &port))
		m->port = (uint16_t)port;
	m->syn_cookies = span_contains(rest, "Sending cookies");
}

static enum console_verdict classify_tcp(struct span msg, struct console_match *m)
{
	/* Older kernels printed "TCP: TCP: ..." (pr_fmt plus literal). */
	while (span_consume(&msg, "TCP: "))
		;
	if (span_starts(msg, "out of memory -- consider tuning tcp_mem"))
		return CV_TCP_OOM;
	if (span_starts(msg, "too many orphaned sockets"))
		return CV_TCP_ORPHANS;
	if (span_starts(msg, "time wait bucket table overflow"))
		return CV_TW_OVERFLOW;
	skip_tag(&msg);		/* "request_sock_TCP: ", "request_sock_TCPv6: " */
	if (span_consume(&msg, "Possible SYN flooding on port ")) {
		parse_syn_flood(msg, m);
		return CV_SYN_FLOOD;
	}
	return CV_NONE;
}

static enum console_verdict classify_conntrack(struct span msg,
					       struct console_match *m)
{
	uint64_t netns;

	/* pr_fmt adds "nf_conntrack: " in front of the literal one. */
	while (span_consume(&msg, "nf_conntrack: "))
		;
	/* Anchored, so "expectation table full" is not a match. */
	if (!span_consume(&msg, "table full"))
		return CV_NONE;
	if (span_consume(&msg, " in netns ") &&
	    parse_decimal(msg, 10, UINT32_MAX, &netns))
		m->netns = (uint32_t)netns;
	return CV_CONNTRACK_FULL;
}

enum console_verdict console_classify(const char *line, size_t len,
				      struct console_match *m)
{
	struct span msg = { line, line ? len : 0 };
	struct console_match local;

	if (!m)
		m = &local;
	memset(m, 0, sizeof(*m));
	strip_line_end(&msg);
	skip_log_prefixes(&msg);
	if (span_consume(&msg, "TCP: "))
		m->verdict = classify_tcp(msg, m);
	else if (span_consume(&msg, "nf_conntrack: "))
		m->verdict = classify_conntrack(msg, m);
	if (m->verdict == CV_NONE)
		memset(m, 0, sizeof(*m));
	return m->verdict;
}

const char *console_verdict_name(enum console_verdict v)
{
	if ((unsigned int)v >= CV_COUNT)
		return "unknown";
	return verdict_names[v];
}

const char *console_verdict_cause(enum console_verdict v)
{
	if ((unsigned int)v >= CV_COUNT)
		return NULL;
	return verdict_causes[v];
}
