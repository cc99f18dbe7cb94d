// SPDX-License-Identifier: GPL-2.0
/*
 * Reading procfs text: a whole file, the scanning every parser shares (lines,
 * tokens, decimal numbers: procfs_int.h), and sysctls, whose files are just
 * numbers.  The parsers of named values are procfs_counters.c (netstat, snmp,
 * conntrack stats) and procfs_sockstat.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "procfs_int.h"

/* procfs files are small; anything bigger is not the file we meant. */
#define PROCFS_MAX_FILE		(16u << 20)
#define NUMBER_MAX_CHARS	32

/* -errno, never 0: callers take 0 for success even if errno was not set. */
static int neg_errno(void)
{
	int r = -errno;

	return r < 0 ? r : -EIO;
}

static int read_fd_all(int fd, char **bufp, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *grown;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < 2) {
			if (cap >= PROCFS_MAX_FILE) {
				free(buf);
				return -EFBIG;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
		/* procfs reports size 0: read until EOF, never trust st_size. */
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = neg_errno();
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	if (lenp)
		*lenp = len;
	return 0;
}

int read_file_all(const char *path, char **buf, size_t *len)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	err = read_fd_all(fd, buf, len);
	close(fd);
	return err;
}

/* ---- text scanning ---- */

static bool next_line(const char **cursor, struct span *line)
{
	const char *p = *cursor, *nl;

	if (!*p)
		return false;
	nl = strchr(p, '\n');
	line->p = p;
	line->n = nl ? (size_t)(nl - p) : strlen(p);
	*cursor = nl ? nl + 1 : p + line->n;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

bool next_token(struct span *rest, struct span *tok)
{
	while (rest->n && is_blank(*rest->p)) {
		rest->p++;
		rest->n--;
	}
	if (!rest->n)
		return false;
	tok->p = rest->p;
	while (rest->n && !is_blank(*rest->p)) {
		rest->p++;
		rest->n--;
	}
	tok->n = (size_t)(rest->p - tok->p);
	return true;
}

/* Next line that has a token, so blank lines and a final '\n' are ignored. */
bool next_content_line(const char **cursor, struct span *line)
{
	struct span probe, tok;

	while (next_line(cursor, line)) {
		probe = *line;
		if (next_token(&probe, &tok))
			return true;
	}
	return false;
}

/* The "TcpExt:" that starts a line, without its colon. */
bool take_line_prefix(struct span *line, struct span *prefix)
{
	if (!next_token(line, prefix) || prefix->n < 2 ||
	    prefix->p[prefix->n - 1] != ':')
		return false;
	prefix->n--;
	return true;
}

bool span_is(struct span a, const char *lit)
{
	return a.n == strlen(lit) && !memcmp(a.p, lit, a.n);
}

bool span_to_cstr(struct span s, char *buf, size_t bufsz)
{
	if (s.n >= bufsz)
		return false;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return true;
}

/* Decimal; counters above INT64_MAX wrap so uint64_t deltas stay right. */
int parse_i64(struct span tok, int64_t *out)
{
	char num[NUMBER_MAX_CHARS], *end;
	long long sv;
	unsigned long long uv;

	if (!span_to_cstr(tok, num, sizeof(num)))
		return -EINVAL;
	errno = 0;
	sv = strtoll(num, &end, 10);
	if (end == num || *end)
		return -EINVAL;
	if (errno != ERANGE) {
		*out = sv;
		return 0;
	}
	if (num[0] == '-')
		return -ERANGE;
	errno = 0;
	uv = strtoull(num, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*out = (int64_t)uv;
	return 0;
}

/* ---- sysctls ---- */

static int parse_long(struct span tok, long *out)
{
	int64_t v;
	int err;

	err = parse_i64(tok, &v);
	if (err)
		return err;
	if (v < LONG_MIN || v > LONG_MAX)
		return -ERANGE;
	*out = (long)v;
	return 0;
}

int sysctl_parse_longs(const char *text, long *vals, int max)
{
	struct span line, tok;
	int count = 0, err;
	long v;

	while (next_line(&text, &line)) {
		while (next_token(&line, &tok)) {
			err = parse_long(tok, &v);
			if (err)
				return err;
			if (count >= max)
				return -E2BIG;
			vals[count++] = v;
		}
	}
	return count;
}

int sysctl_read_longs(const char *path, long *vals, int max)
{
	char *text;
	int ret;

	ret = read_file_all(path, &text, NULL);
	if (ret)
		return ret;
	ret = sysctl_parse_longs(text, vals, max);
	free(text);
	return ret;
}
