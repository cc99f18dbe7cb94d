/* Parsers for /proc/net/{netstat,snmp,sockstat}, sysctls and conntrack stats. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

/* procfs files are small; anything bigger is not the file we meant. */
#define PROCFS_MAX_FILE		(16u << 20)
#define CT_MAX_COLUMNS		64
#define NUMBER_MAX_CHARS	32

struct span {
	const char *p;
	size_t n;
};

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

static bool next_token(struct span *rest, struct span *tok)
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
static bool next_content_line(const char **cursor, struct span *line)
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
static bool take_line_prefix(struct span *line, struct span *prefix)
{
	if (!next_token(line, prefix) || prefix->n < 2 ||
	    prefix->p[prefix->n - 1] != ':')
		return false;
	prefix->n--;
	return true;
}

static bool span_eq(struct span a, struct span b)
{
	return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

static bool span_is(struct span a, const char *lit)
{
	return a.n == strlen(lit) && !memcmp(a.p, lit, a.n);
}

static bool span_to_cstr(struct span s, char *buf, size_t bufsz)
{
	if (s.n >= bufsz)
		return false;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return true;
}

/* Decimal; counters above INT64_MAX wrap so uint64_t deltas stay right. */
static int parse_i64(struct span tok, int64_t *out)
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

static int parse_hex_u64(struct span tok, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	char c;

	if (!tok.n || tok.n > 16)
		return -EINVAL;
	for (i = 0; i < tok.n; i++) {
		c = tok.p[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* ---- counter sets ---- */

static struct counter *counters_find(const struct counter_set *cs,
				     const char *name)
{
	size_t i;

	for (i = 0; i < cs->len; i++)
		if (!strcmp(cs->items[i].name, name))
			return &cs->items[i];
	return NULL;
}

static int counters_reserve(struct counter_set *cs, size_t need)
{
	size_t cap = cs->cap ? cs->cap : 64;
	struct counter *items;

	if (need <= cs->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	items = realloc(cs->items, cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	cs->items = items;
	cs->cap = cap;
	return 0;
}

/* Append without looking for duplicates: for the private staging set. */
static int counters_append(struct counter_set *cs, const char *name,
			   int64_t value)
{
	struct counter *c;
	int err;

	err = counters_reserve(cs, cs->len + 1);
	if (err)
		return err;
	c = &cs->items[cs->len++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->value = value;
	return 0;
}

/*
 * Update or append every staged counter. Files list counters in the same
 * order every time, so checking the slot after the previous hit first
 * makes a refresh linear instead of quadratic.
 */
static int counters_merge(struct counter_set *cs, const struct counter_set *staged)
{
	size_t i, hint = 0;
	struct counter *c;
	int err;

	err = counters_reserve(cs, cs->len + staged->len);
	if (err)
		return err;
	for (i = 0; i < staged->len; i++) {
		c = NULL;
		if (hint < cs->len && !strcmp(cs->items[hint].name, staged->items[i].name))
			c = &cs->items[hint];
		if (!c)
			c = counters_find(cs, staged->items[i].name);
		if (!c)
			c = &cs->items[cs->len++];	/* reserved above */
		*c = staged->items[i];
		hint = (size_t)(c - cs->items) + 1;
	}
	return 0;
}

static bool join_name(char out[COUNTER_NAME_MAX], struct span prefix,
		      struct span name)
{
	int n = snprintf(out, COUNTER_NAME_MAX, "%.*s.%.*s", (int)prefix.n,
			 prefix.p, (int)name.n, name.p);

	return n > 0 && n < COUNTER_NAME_MAX;
}

/* One "Prefix: names..." line and its "Prefix: values..." line. */
static int parse_counter_pair(struct counter_set *staged, struct span names,
			      struct span values)
{
	struct span name_prefix, value_prefix, name, value;
	char full[COUNTER_NAME_MAX];
	bool more_names, more_values;
	int64_t v;
	int err;

	if (!take_line_prefix(&names, &name_prefix) ||
	    !take_line_prefix(&values, &value_prefix) ||
	    !span_eq(name_prefix, value_prefix))
		return -EINVAL;
	for (;;) {
		more_names = next_token(&names, &name);
		more_values = next_token(&values, &value);
		if (more_names != more_values)
			return -EINVAL;
		if (!more_names)
			return 0;
		err = parse_i64(value, &v);
		if (err)
			return err;
		if (!join_name(full, name_prefix, name))
			continue;	/* nothing we look up is that long */
		err = counters_append(staged, full, v);
		if (err)
			return err;
	}
}

static int parse_counter_text(struct counter_set *staged, const char *text)
{
	struct span names, values;
	int err;

	while (next_content_line(&text, &names)) {
		if (!next_content_line(&text, &values))
			return -EINVAL;
		err = parse_counter_pair(staged, names, values);
		if (err)
			return err;
	}
	return 0;
}

int counters_parse(struct counter_set *cs, const char *text)
{
	struct counter_set staged = { 0 };
	int err;

	err = parse_counter_text(&staged, text);
	if (!err)
		err = counters_merge(cs, &staged);
	counters_free(&staged);
	return err;
}

int counters_get(const struct counter_set *cs, const char *name, int64_t *out)
{
	const struct counter *c = counters_find(cs, name);

	if (!c)
		return -ENOENT;
	*out = c->value;
	return 0;
}

void counters_reset(struct counter_set *cs)
{
	cs->len = 0;
}

int counters_copy(struct counter_set *dst, const struct counter_set *src)
{
	counters_reset(dst);
	return counters_merge(dst, src);
}

void counters_free(struct counter_set *cs)
{
	free(cs->items);
	cs->items = NULL;
	cs->len = 0;
	cs->cap = 0;
}

int counters_read_file(struct counter_set *cs, const char *path)
{
	char *text;
	int err;

	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = counters_parse(cs, text);
	free(text);
	return err;
}

static int stage_counter_file(struct counter_set *staged, const char *dir,
			      const char *file)
{
	char path[PATH_MAX], *text;
	int n, err;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = parse_counter_text(staged, text);
	free(text);
	return err;
}

int counters_read_netns(struct counter_set *cs, const char *proc_net_dir)
{
	struct counter_set staged = { 0 };
	int err;

	err = stage_counter_file(&staged, proc_net_dir, "netstat");
	if (!err)
		err = stage_counter_file(&staged, proc_net_dir, "snmp");
	if (!err)
		err = counters_merge(cs, &staged);
	counters_free(&staged);
	return err;
}

/* ---- /proc/net/sockstat ---- */

struct sockstat_field {
	const char *prefix;
	const char *key;
	size_t offset;
};

static const struct sockstat_field sockstat_fields[] = {
	{ "sockets", "used",   offsetof(struct sockstat, sockets_used) },
	{ "TCP",     "inuse",  offsetof(struct sockstat, tcp_inuse) },
	{ "TCP",     "orphan", offsetof(struct sockstat, tcp_orphan) },
	{ "TCP",     "tw",     offsetof(struct sockstat, tcp_tw) },
	{ "TCP",     "alloc",  offsetof(struct sockstat, tcp_alloc) },
	{ "TCP",     "mem",    offsetof(struct sockstat, tcp_mem_pages) },
	{ "UDP",     "inuse",  offsetof(struct sockstat, udp_inuse) },
	{ "UDP",     "mem",    offsetof(struct sockstat, udp_mem_pages) },
};

static int64_t *sockstat_slot(struct sockstat *ss, struct span prefix,
			      struct span key)
{
	size_t i;

	for (i = 0; i < sizeof(sockstat_fields) / sizeof(sockstat_fields[0]); i++)
		if (span_is(prefix, sockstat_fields[i].prefix) &&
		    span_is(key, sockstat_fields[i].key))
			return (int64_t *)((char *)ss + sockstat_fields[i].offset);
	return NULL;
}

/* "TCP: inuse 5 orphan 0 ..." is key/value pairs after the prefix. */
static int parse_sockstat_line(struct sockstat *ss, struct span prefix,
			       struct span rest)
{
	struct span key, value;
	int64_t *slot;
	int err;

	while (next_token(&rest, &key)) {
		slot = sockstat_slot(ss, prefix, key);
		if (!next_token(&rest, &value))
			return slot ? -EINVAL : 0;	/* only our fields must be whole */
		if (!slot)
			continue;
		err = parse_i64(value, slot);
		if (err)
			return -EINVAL;
	}
	return 0;
}

int sockstat_parse(const char *text, struct sockstat *ss)
{
	struct sockstat out = {
		-1, -1, -1, -1, -1, -1, -1, -1,
	};
	struct span line, prefix;
	bool saw_tcp = false;
	int err;

	while (next_content_line(&text, &line)) {
		if (!take_line_prefix(&line, &prefix))
			return -EINVAL;
		saw_tcp |= span_is(prefix, "TCP");
		err = parse_sockstat_line(&out, prefix, line);
		if (err)
			return err;
	}
	if (!saw_tcp)
		return -EINVAL;
	*ss = out;
	return 0;
}

int sockstat_read(const char *path, struct sockstat *ss)
{
	char *text;
	int err;

	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = sockstat_parse(text, ss);
	free(text);
	return err;
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

/* ---- /proc/net/stat/nf_conntrack ---- */

struct ct_table {
	struct span names[CT_MAX_COLUMNS];
	uint64_t sums[CT_MAX_COLUMNS];
	size_t ncols;
	size_t rows;
};

static int ct_parse_header(struct ct_table *t, struct span line)
{
	struct span tok;

	while (next_token(&line, &tok)) {
		if (t->ncols == CT_MAX_COLUMNS)
			return -E2BIG;
		t->names[t->ncols++] = tok;
	}
	return 0;
}

static int ct_add_row(struct ct_table *t, struct span line)
{
	struct span tok;
	uint64_t v;
	size_t col;

	for (col = 0; next_token(&line, &tok); col++) {
		if (col == t->ncols || parse_hex_u64(tok, &v))
			return -EINVAL;
		/* "entries" is the global count, repeated on every CPU line. */
		if (t->rows == 0 || !span_is(t->names[col], "entries"))
			t->sums[col] += v;
	}
	if (col != t->ncols)
		return -EINVAL;
	t->rows++;
	return 0;
}

static int ct_stage(const struct ct_table *t, struct counter_set *staged)
{
	char name[COUNTER_NAME_MAX];
	size_t col;
	int err;

	for (col = 0; col < t->ncols; col++) {
		if (!span_to_cstr(t->names[col], name, sizeof(name)))
			continue;
		err = counters_append(staged, name, (int64_t)t->sums[col]);
		if (err)
			return err;
	}
	return 0;
}

int conntrack_stat_parse(const char *text, struct counter_set *cs)
{
	struct counter_set staged = { 0 };
	struct ct_table t = { 0 };
	struct span line;
	int err;

	if (!next_content_line(&text, &line))
		return -EINVAL;
	err = ct_parse_header(&t, line);
	while (!err && next_content_line(&text, &line))
		err = ct_add_row(&t, line);
	if (!err && t.rows == 0)
		err = -EINVAL;
	if (!err)
		err = ct_stage(&t, &staged);
	if (!err)
		err = counters_merge(cs, &staged);
	counters_free(&staged);
	return err;
}

int conntrack_stat_read(const char *path, struct counter_set *cs)
{
	char *text;
	int err;

	err = read_file_all(path, &text, NULL);
	if (err)
		return err;
	err = conntrack_stat_parse(text, cs);
	free(text);
	return err;
}
