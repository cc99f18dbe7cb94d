// SPDX-License-Identifier: GPL-2.0
/*
 * ttload - small, self-limiting TCP/UDP load generator for tcptriage tests.
 *
 *   ttload tcp-server --bind ADDR --port P [--backlog N] [--no-accept]
 *                     [--no-read] [--rcvbuf BYTES] [--close-after-accept]
 *                     [--max-conns N] [--hold-open] [--seconds S]
 *   ttload tcp-client --host ADDR --port P [--conns N] [--bytes B]
 *                     [--hold SECONDS] [--close] [--linger0]
 *                     [--sndbuf BYTES] [--parallel] [--shutdown]
 *                     [--seconds S]
 *   ttload churn      --host ADDR --port P [--seconds S] [--conns-max N]
 *                     [--linger0]
 *   ttload udp-sink   --bind ADDR --port P [--rcvbuf BYTES] [--read] [--seconds S]
 *   ttload udp-flood  --host ADDR --port P [--count N] [--size S] [--pps N]
 *                     [--seconds S]
 *   ttload sockets    --count N [--bind ADDR] [--seconds S]
 *
 * tcp-server prints "ready" once listening and, at the end,
 *   "accepted=N closed=N bytes=B".  --max-conns (default 65536) caps the
 *   sockets it holds.  --hold-open: a connection the peer closed (read()
 *   returns 0) is not closed, so it stays in CLOSE_WAIT until the server
 *   exits; the end line then also says "eof=N" (connections the peer closed).
 * tcp-client connects --conns times sequentially (non-blocking connect, 3 s
 *   timeout each), then writes --bytes on all of them concurrently (a socket
 *   that accepts nothing for 1 s is given up), prints "holding connected=N",
 *   holds for --hold seconds, closes explicitly if --close (with --linger0:
 *   RST), and prints "connected=N failed=M eaddrnotavail=K bytes=B"
 *   (eaddrnotavail is a subset of failed; connections not attempted because
 *   the time limit ran out count as failed).  --parallel starts all --conns
 *   connects at once (non-blocking) and waits up to 3 s for all of them
 *   together.  --shutdown: after writing, shutdown(SHUT_WR) every connection
 *   and keep its descriptor (half-closed: FIN_WAIT2 while the peer holds its
 *   side), printing "shutdown=N" before holding.
 * churn connects, writes a byte and closes, again and again (--linger0: the
 *   close sends a reset); it prints "connections=N rate=R/s failed=M".
 * udp-sink never reads, unless --read: then it reads everything and prints
 *   "received=N" at the end.  Without --read it counts at the end what its
 *   queue still holds and prints "queued=N" (datagrams): a flood's sent count
 *   minus that is what the full buffer refused.
 * udp-flood prints "sent=N failed=M bytes=B"; --pps paces it to at most N
 *   datagrams per second (default: as fast as it can).
 * sockets opens --count UDP sockets, unbound or each bound to a port of
 *   --bind ADDR (raising its descriptor limit, the hard one too when root),
 *   prints "ready sockets=N" and holds them until --seconds have passed: a
 *   namespace with many sockets, cheaply.
 *
 * Every mode stops by itself: --seconds (default 10) is a hard limit on the
 * whole run, and an alarm() backstop kills the process a few seconds later if
 * anything still blocks.  SIGTERM/SIGINT end a run early (summary is printed).
 * Bad usage or numbers: one line on stderr, exit 2.  Runtime failure: exit 1.
 *
 * Build: gcc -std=gnu11 -O2 -Wall -Wextra -Werror tests/tools/ttload.c -o build/ttload
 */
#ifndef _GNU_SOURCE /* the Makefile passes -D_GNU_SOURCE */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECONDS     86400ULL
#define MAX_CONNS       200000ULL
#define MAX_BYTES       (1ULL << 40)
#define MAX_BUF         (1ULL << 30)
#define MAX_COUNT       100000000ULL
#define MAX_CHURN       1000000000ULL
#define CONNECT_TIMEOUT_MS 3000
#define WRITE_STALL_MS     1000

static volatile sig_atomic_t g_stop;
static const char *g_mode = "";

/* ---------------------------------------------------------------- utils */

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ttload%s%s: ", *g_mode ? " " : "", g_mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void die_sys(const char *what) __attribute__((noreturn));
static void die_sys(const char *what)
{
	fprintf(stderr, "ttload %s: %s: %s\n", g_mode, what, strerror(errno));
	exit(1);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void setup_signals(unsigned long long seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;      /* no SA_RESTART: blocking calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Backstop: default SIGALRM action terminates the process. */
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned int)seconds + 5);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);  /* best effort */
	}
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die_sys("fcntl(O_NONBLOCK)");
}

/* Sleep until `until_ms` (monotonic) or a signal. */
static void sleep_until(int64_t until_ms)
{
	while (!g_stop) {
		int64_t left = until_ms - now_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 200)
			left = 200;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------- options */

enum {
	O_BIND = 1 << 0, O_HOST = 1 << 1, O_PORT = 1 << 2, O_BACKLOG = 1 << 3,
	O_NOACCEPT = 1 << 4, O_NOREAD = 1 << 5, O_RCVBUF = 1 << 6,
	O_CLOSEACC = 1 << 7, O_CONNS = 1 << 8, O_BYTES = 1 << 9, O_HOLD = 1 << 10,
	O_CLOSE = 1 << 11, O_LINGER0 = 1 << 12, O_SNDBUF = 1 << 13,
	O_SECONDS = 1 << 14, O_CONNSMAX = 1 << 15, O_COUNT = 1 << 16,
	O_SIZE = 1 << 17, O_MAXCONNS = 1 << 18, O_HOLDOPEN = 1 << 19,
	O_PARALLEL = 1 << 20, O_SHUTDOWN = 1 << 21, O_READ = 1 << 22, O_PPS = 1 << 23,
};

struct opts {
	unsigned int seen;
	const char *addr;               /* --bind or --host */
	unsigned long long port, backlog, rcvbuf, sndbuf, conns, bytes, hold;
	unsigned long long seconds, conns_max, count, size, max_conns, pps;
	bool no_accept, no_read, close_after_accept, close, linger0;
	bool hold_open, parallel, shutdown, read;
};

struct optdef {
	const char *name;
	unsigned int bit;
	bool has_arg;
	unsigned long long min, max;    /* numeric range; min > max: string */
};

static const struct optdef optdefs[] = {
	{ "bind",               O_BIND,     true,  1, 0 },
	{ "host",               O_HOST,     true,  1, 0 },
	{ "port",               O_PORT,     true,  1, 65535 },
	{ "backlog",            O_BACKLOG,  true,  0, 1000000 },
	{ "no-accept",          O_NOACCEPT, false, 0, 0 },
	{ "no-read",            O_NOREAD,   false, 0, 0 },
	{ "rcvbuf",             O_RCVBUF,   true,  1, MAX_BUF },
	{ "close-after-accept", O_CLOSEACC, false, 0, 0 },
	{ "max-conns",          O_MAXCONNS, true,  1, MAX_CONNS },
	{ "conns",              O_CONNS,    true,  1, MAX_CONNS },
	{ "bytes",              O_BYTES,    true,  0, MAX_BYTES },
	{ "hold",               O_HOLD,     true,  0, MAX_SECONDS },
	{ "close",              O_CLOSE,    false, 0, 0 },
	{ "linger0",            O_LINGER0,  false, 0, 0 },
	{ "sndbuf",             O_SNDBUF,   true,  1, MAX_BUF },
	{ "seconds",            O_SECONDS,  true,  1, MAX_SECONDS },
	{ "conns-max",          O_CONNSMAX, true,  1, MAX_CHURN },
	{ "count",              O_COUNT,    true,  0, MAX_COUNT },
	{ "size",               O_SIZE,     true,  0, 65507 },
	{ "hold-open",          O_HOLDOPEN, false, 0, 0 },
	{ "parallel",           O_PARALLEL, false, 0, 0 },
	{ "shutdown",           O_SHUTDOWN, false, 0, 0 },
	{ "read",               O_READ,     false, 0, 0 },
	{ "pps",                O_PPS,      true,  1, 10000000 },
};

static unsigned long long parse_num(const char *name, const char *s,
				    unsigned long long min, unsigned long long max)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		die_usage("--%s: invalid number '%s' (want %llu..%llu)", name,
			  s ? s : "", min, max);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		die_usage("--%s: invalid number '%s' (want %llu..%llu)", name, s,
			  min, max);
	return v;
}

static void store(struct opts *o, const struct optdef *d, const char *val)
{
	unsigned long long v = 0;

	if (d->has_arg && d->min <= d->max)
		v = parse_num(d->name, val, d->min, d->max);
	switch (d->bit) {
	case O_BIND: case O_HOST:
		if (!*val)
			die_usage("--%s: empty address", d->name);
		o->addr = val; break;
	case O_PORT: o->port = v; break;
	case O_BACKLOG: o->backlog = v; break;
	case O_NOACCEPT: o->no_accept = true; break;
	case O_NOREAD: o->no_read = true; break;
	case O_RCVBUF: o->rcvbuf = v; break;
	case O_CLOSEACC: o->close_after_accept = true; break;
	case O_MAXCONNS: o->max_conns = v; break;
	case O_CONNS: o->conns = v; break;
	case O_BYTES: o->bytes = v; break;
	case O_HOLD: o->hold = v; break;
	case O_CLOSE: o->close = true; break;
	case O_LINGER0: o->linger0 = true; break;
	case O_SNDBUF: o->sndbuf = v; break;
	case O_SECONDS: o->seconds = v; break;
	case O_CONNSMAX: o->conns_max = v; break;
	case O_COUNT: o->count = v; break;
	case O_SIZE: o->size = v; break;
	case O_HOLDOPEN: o->hold_open = true; break;
	case O_PARALLEL: o->parallel = true; break;
	case O_SHUTDOWN: o->shutdown = true; break;
	case O_READ: o->read = true; break;
	case O_PPS: o->pps = v; break;
	}
	o->seen |= d->bit;
}

static void parse_opts(struct opts *o, int argc, char **argv,
		       unsigned int allowed, unsigned int required)
{
	memset(o, 0, sizeof(*o));
	o->seconds = 10;
	o->backlog = 128;
	o->conns = 1;
	o->max_conns = 65536;
	o->conns_max = MAX_CHURN;
	o->count = 1000;
	o->size = 100;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		const struct optdef *d = NULL;
		size_t n;

		if (strncmp(a, "--", 2) != 0)
			die_usage("unexpected argument '%s'", a);
		a += 2;
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a) : strlen(a);
		for (size_t k = 0; k < sizeof(optdefs) / sizeof(optdefs[0]); k++)
			if (strlen(optdefs[k].name) == n &&
			    strncmp(optdefs[k].name, a, n) == 0)
				d = &optdefs[k];
		if (!d || !(d->bit & allowed))
			die_usage("unknown option '%s'", argv[i]);
		if (d->has_arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				die_usage("--%s needs a value", d->name);
		} else if (eq) {
			die_usage("--%s takes no value", d->name);
		}
		store(o, d, val);
	}
	for (size_t k = 0; k < sizeof(optdefs) / sizeof(optdefs[0]); k++)
		if ((required & optdefs[k].bit) && !(o->seen & optdefs[k].bit))
			die_usage("--%s is required", optdefs[k].name);
}

/* Parse an IPv4 or IPv6 literal into `ss`. */
static socklen_t make_addr(const char *s, unsigned long long port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return sizeof(*s6);
	}
	die_usage("invalid IPv4/IPv6 address '%s'", s);
}

/* SO_RCVBUF / SO_SNDBUF; as root the FORCE variant, so sizes over net.core.[rw]mem_max count too. */
static void set_buf(int fd, int opt, unsigned long long v, const char *what)
{
	int force = opt == SO_RCVBUF ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
	int iv = (int)v;

	if (!v || !setsockopt(fd, SOL_SOCKET, force, &iv, sizeof(iv)))
		return;
	if (setsockopt(fd, SOL_SOCKET, opt, &iv, sizeof(iv)) < 0)
		die_sys(what);
}

/* ----------------------------------------------------------- tcp-server */

static int cmd_tcp_server(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_storage ss;
	socklen_t sl;
	int lfd, ep, one = 1;
	int64_t deadline;
	unsigned long long accepted = 0, held = 0, closed = 0, bytes = 0, eof = 0;
	static char buf[65536];
	bool listening_in_ep = false;

	parse_opts(&o, argc, argv,
		   O_BIND | O_PORT | O_BACKLOG | O_NOACCEPT | O_NOREAD | O_RCVBUF |
		   O_CLOSEACC | O_MAXCONNS | O_HOLDOPEN | O_SECONDS, O_BIND | O_PORT);
	setup_signals(o.seconds);
	raise_nofile();
	deadline = now_ms() + (int64_t)o.seconds * 1000;
	sl = make_addr(o.addr, o.port, &ss);

	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die_sys("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	set_buf(lfd, SO_RCVBUF, o.rcvbuf, "setsockopt(SO_RCVBUF)"); /* inherited */
	if (bind(lfd, (struct sockaddr *)&ss, sl) < 0)
		die_sys("bind");
	if (listen(lfd, (int)o.backlog) < 0)
		die_sys("listen");
	set_nonblock(lfd);

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die_sys("epoll_create1");
	if (!o.no_accept) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
			die_sys("epoll_ctl");
		listening_in_ep = true;
	}

	printf("ready\n");
	fflush(stdout);

	while (!g_stop) {
		struct epoll_event evs[256];
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			break;
		n = epoll_wait(ep, evs, 256, left > 1000 ? 1000 : (int)left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_sys("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				/* Accept a bounded batch per wakeup. */
				for (int k = 0; k < 256 && listening_in_ep; k++) {
					int c = accept4(lfd, NULL, NULL,
							SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (c < 0) {
						if (errno == EAGAIN || errno == EINTR ||
						    errno == ECONNABORTED)
							break;
						if (errno == EMFILE || errno == ENFILE) {
							/* stop accepting; keep what we hold */
							epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
							listening_in_ep = false;
							break;
						}
						die_sys("accept");
					}
					accepted++;
					if (o.close_after_accept) {
						close(c);
						closed++;
					} else if (o.no_read) {
						held++;         /* hold without reading */
					} else {
						struct epoll_event ev = {
							.events = EPOLLIN | EPOLLRDHUP,
							.data.fd = c };
						if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
							die_sys("epoll_ctl");
						held++;
					}
					if (held >= o.max_conns) {
						epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
						listening_in_ep = false;
					}
				}
				continue;
			}
			/* Read and discard, bounded per wakeup. */
			for (int k = 0; k < 16; k++) {
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r > 0) {
					bytes += (unsigned long long)r;
					continue;
				}
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					break;
				/* EOF or error (e.g. RST) */
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				if (o.hold_open && r == 0) {
					eof++;  /* keep it: CLOSE_WAIT */
					break;
				}
				close(fd);
				closed++;
				held--;
				if (!listening_in_ep && !o.no_accept &&
				    held < o.max_conns) {
					struct epoll_event ev = { .events = EPOLLIN,
								  .data.fd = lfd };
					if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == 0)
						listening_in_ep = true;
				}
				break;
			}
		}
	}
	if (o.hold_open)
		printf("accepted=%llu closed=%llu bytes=%llu eof=%llu\n", accepted, closed,
		       bytes, eof);
	else
		printf("accepted=%llu closed=%llu bytes=%llu\n", accepted, closed, bytes);
	fflush(stdout);
	return 0;
}

/* ----------------------------------------------------------- tcp-client */

enum conn_result { C_OK, C_FAIL, C_EADDRNOTAVAIL };

/*
 * Non-blocking connect with a timeout; returns the connected fd in *out.
 * `setup` options are applied before connect.
 */
static enum conn_result tcp_connect(const struct sockaddr_storage *ss,
				    socklen_t sl, int64_t deadline,
				    unsigned long long sndbuf, bool linger0,
				    int *out)
{
	int fd, err = 0;
	socklen_t el = sizeof(err);
	int64_t until = now_ms() + CONNECT_TIMEOUT_MS;

	*out = -1;
	if (until > deadline)
		until = deadline;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return C_FAIL;  /* EMFILE etc: count as failure */
	set_buf(fd, SO_SNDBUF, sndbuf, "setsockopt(SO_SNDBUF)");
	if (linger0) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
			die_sys("setsockopt(SO_LINGER)");
	}
	if (connect(fd, (const struct sockaddr *)ss, sl) == 0)
		goto ok;
	if (errno == EADDRNOTAVAIL) {
		close(fd);
		return C_EADDRNOTAVAIL;
	}
	if (errno != EINPROGRESS) {
		close(fd);
		return C_FAIL;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int64_t left = until - now_ms();
		int r;

		if (left <= 0 || g_stop) {
			close(fd);
			return C_FAIL;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return C_FAIL;
		}
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		close(fd);
		return err == EADDRNOTAVAIL ? C_EADDRNOTAVAIL : C_FAIL;
	}
ok:
	*out = fd;
	return C_OK;
}

struct wconn {
	int fd;
	unsigned long long left;
	int64_t last_progress;
};

/*
 * --parallel: start every connect at once, then wait up to
 * CONNECT_TIMEOUT_MS (and the deadline) for all of them together.
 * Results land in c[i].fd (-1: failed) and the counters.
 */
static void connect_parallel(const struct sockaddr_storage *ss, socklen_t sl,
			     int64_t deadline, const struct opts *o, struct wconn *c,
			     struct pollfd *pfd, size_t *pidx,
			     unsigned long long *connected, unsigned long long *failed,
			     unsigned long long *eaddr)
{
	int64_t until = now_ms() + CONNECT_TIMEOUT_MS;
	size_t np;

	if (until > deadline)
		until = deadline;
	for (unsigned long long i = 0; i < o->conns; i++) {
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		c[i].fd = -1;
		if (fd < 0) {
			(*failed)++;
			continue;
		}
		set_buf(fd, SO_SNDBUF, o->sndbuf, "setsockopt(SO_SNDBUF)");
		if (o->linger0) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
				die_sys("setsockopt(SO_LINGER)");
		}
		if (connect(fd, (const struct sockaddr *)ss, sl) == 0 || errno == EINPROGRESS) {
			c[i].fd = fd;   /* resolved below */
			continue;
		}
		if (errno == EADDRNOTAVAIL)
			(*eaddr)++;
		(*failed)++;
		close(fd);
	}
	for (;;) {
		int64_t left = until - now_ms();
		int r;

		np = 0;
		for (unsigned long long i = 0; i < o->conns; i++) {
			if (c[i].fd < 0 || c[i].left == ~0ULL)
				continue;
			pfd[np].fd = c[i].fd;
			pfd[np].events = POLLOUT;
			pfd[np].revents = 0;
			pidx[np++] = i;
		}
		if (!np || left <= 0 || g_stop)
			break;
		r = poll(pfd, np, (int)left);
		if (r < 0 && errno != EINTR)
			die_sys("poll");
		for (size_t k = 0; r > 0 && k < np; k++) {
			struct wconn *w = &c[pidx[k]];
			int err = 0;
			socklen_t el = sizeof(err);

			if (!pfd[k].revents)
				continue;
			if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
				if (err == EADDRNOTAVAIL)
					(*eaddr)++;
				(*failed)++;
				close(w->fd);
				w->fd = -1;
				continue;
			}
			w->left = ~0ULL;        /* connected (marker, reset below) */
		}
	}
	for (unsigned long long i = 0; i < o->conns; i++) {
		if (c[i].fd < 0)
			continue;
		if (c[i].left != ~0ULL) {       /* still pending: timed out */
			(*failed)++;
			close(c[i].fd);
			c[i].fd = -1;
			continue;
		}
		(*connected)++;
		c[i].left = o->bytes;
	}
}

static int cmd_tcp_client(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_storage ss;
	socklen_t sl;
	int64_t deadline;
	unsigned long long connected = 0, failed = 0, eaddr = 0, bytes = 0;
	struct wconn *c;
	struct pollfd *pfd;
	size_t *pidx;
	static char buf[65536];

	parse_opts(&o, argc, argv,
		   O_HOST | O_PORT | O_CONNS | O_BYTES | O_HOLD | O_CLOSE |
		   O_LINGER0 | O_SNDBUF | O_PARALLEL | O_SHUTDOWN | O_SECONDS,
		   O_HOST | O_PORT);
	setup_signals(o.seconds);
	raise_nofile();
	deadline = now_ms() + (int64_t)o.seconds * 1000;
	sl = make_addr(o.addr, o.port, &ss);
	memset(buf, 'x', sizeof(buf));

	c = calloc(o.conns, sizeof(*c));
	pfd = calloc(o.conns, sizeof(*pfd));
	pidx = calloc(o.conns, sizeof(*pidx));
	if (!c || !pfd || !pidx)
		die_sys("calloc");

	/* Phase 1: connect sequentially, each with a 3 s timeout (or all at once). */
	if (o.parallel)
		connect_parallel(&ss, sl, deadline, &o, c, pfd, pidx, &connected,
				 &failed, &eaddr);
	for (unsigned long long i = 0; i < o.conns && !o.parallel; i++) {
		c[i].fd = -1;
		if (g_stop || now_ms() >= deadline) {
			failed++;
			continue;
		}
		switch (tcp_connect(&ss, sl, deadline, o.sndbuf, o.linger0, &c[i].fd)) {
		case C_OK:
			connected++;
			c[i].left = o.bytes;
			break;
		case C_EADDRNOTAVAIL:
			eaddr++;
			failed++;
			break;
		case C_FAIL:
			failed++;
			break;
		}
	}

	/*
	 * Phase 2: write --bytes on every connection concurrently.  A socket is
	 * given up on once it has not accepted data for WRITE_STALL_MS.
	 */
	for (unsigned long long i = 0; i < o.conns; i++)
		c[i].last_progress = now_ms();
	while (!g_stop && now_ms() < deadline) {
		size_t np = 0;
		int64_t now = now_ms();
		int64_t left;
		int r;

		for (unsigned long long i = 0; i < o.conns; i++) {
			struct wconn *w = &c[i];

			if (w->fd < 0 || !w->left)
				continue;
			for (;;) {
				size_t chunk = w->left < sizeof(buf) ? w->left : sizeof(buf);
				ssize_t n = send(w->fd, buf, chunk, MSG_NOSIGNAL);

				if (n > 0) {
					w->left -= (unsigned long long)n;
					bytes += (unsigned long long)n;
					w->last_progress = now;
					if (!w->left)
						break;
					continue;
				}
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0 && errno == EAGAIN) {
					if (now - w->last_progress > WRITE_STALL_MS)
						w->left = 0;    /* give up */
					break;
				}
				w->left = 0;    /* error (RST etc.) */
				break;
			}
			if (w->left) {
				pfd[np].fd = w->fd;
				pfd[np].events = POLLOUT;
				pfd[np].revents = 0;
				pidx[np++] = i;
			}
		}
		if (!np)
			break;
		left = deadline - now_ms();
		if (left <= 0)
			break;
		r = poll(pfd, np, left > 100 ? 100 : (int)left);
		if (r < 0 && errno != EINTR)
			die_sys("poll");
	}

	/* Phase 3: (half-close,) hold, then close. */
	if (o.shutdown) {
		unsigned long long done = 0;

		for (unsigned long long i = 0; i < o.conns; i++)
			if (c[i].fd >= 0 && shutdown(c[i].fd, SHUT_WR) == 0)
				done++;
		printf("shutdown=%llu\n", done);
	}
	printf("holding connected=%llu\n", connected);
	fflush(stdout);
	if (o.hold)
		sleep_until(now_ms() + (int64_t)o.hold * 1000 < deadline ?
			    now_ms() + (int64_t)o.hold * 1000 : deadline);
	if (o.close)
		for (unsigned long long i = 0; i < o.conns; i++)
			if (c[i].fd >= 0)
				close(c[i].fd);

	printf("connected=%llu failed=%llu eaddrnotavail=%llu bytes=%llu\n",
	       connected, failed, eaddr, bytes);
	fflush(stdout);
	free(c);
	free(pfd);
	free(pidx);
	return 0;
}

/* ---------------------------------------------------------------- churn */

static int cmd_churn(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_storage ss;
	socklen_t sl;
	int64_t start, deadline, elapsed;
	unsigned long long n = 0, failed = 0;

	parse_opts(&o, argc, argv, O_HOST | O_PORT | O_SECONDS | O_CONNSMAX | O_LINGER0,
		   O_HOST | O_PORT);
	setup_signals(o.seconds);
	start = now_ms();
	deadline = start + (int64_t)o.seconds * 1000;
	sl = make_addr(o.addr, o.port, &ss);

	while (!g_stop && n < o.conns_max && now_ms() < deadline) {
		int fd;

		if (tcp_connect(&ss, sl, deadline, 0, o.linger0, &fd) != C_OK) {
			struct timespec ts = { 0, 1000000 };   /* 1 ms: no hot spin */

			if (g_stop || now_ms() >= deadline)
				break; /* cut short by the run's end: not a failure */
			failed++;
			nanosleep(&ts, NULL);
			continue;
		}
		(void)!send(fd, "x", 1, MSG_NOSIGNAL);
		close(fd);
		n++;
	}
	elapsed = now_ms() - start;
	if (elapsed <= 0)
		elapsed = 1;
	printf("connections=%llu rate=%.1f/s failed=%llu\n", n,
	       (double)n * 1000.0 / (double)elapsed, failed);
	fflush(stdout);
	return 0;
}

/* ------------------------------------------------------------------ udp */

/* Read every datagram until `until_ms` or a signal; print how many. */
static void udp_drain(int fd, int64_t until_ms)
{
	struct timeval tv = { 0, 200000 };      /* wake up to see the deadline */
	unsigned long long n = 0;
	char buf[65536];

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!g_stop && now_ms() < until_ms)
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			n++;
	printf("received=%llu\n", n);
	fflush(stdout);
}

static int cmd_udp_sink(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	parse_opts(&o, argc, argv, O_BIND | O_PORT | O_RCVBUF | O_READ | O_SECONDS,
		   O_BIND | O_PORT);
	setup_signals(o.seconds);
	sl = make_addr(o.addr, o.port, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_sys("socket");
	set_buf(fd, SO_RCVBUF, o.rcvbuf, "setsockopt(SO_RCVBUF)");
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		die_sys("bind");
	printf("ready\n");
	fflush(stdout);
	if (o.read) {
		udp_drain(fd, now_ms() + (int64_t)o.seconds * 1000);
	} else {
		unsigned long long queued = 0;
		char buf[65536];

		sleep_until(now_ms() + (int64_t)o.seconds * 1000);
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			queued++;
		printf("queued=%llu\n", queued);
		fflush(stdout);
	}
	close(fd);
	return 0;
}

static int cmd_udp_flood(int argc, char **argv)
{
	struct opts o;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;
	int64_t start, deadline;
	unsigned long long sent = 0, failed = 0, bytes = 0;
	static char buf[65536];

	parse_opts(&o, argc, argv,
		   O_HOST | O_PORT | O_COUNT | O_SIZE | O_PPS | O_SECONDS, O_HOST | O_PORT);
	setup_signals(o.seconds);
	start = now_ms();
	deadline = start + (int64_t)o.seconds * 1000;
	sl = make_addr(o.addr, o.port, &ss);
	memset(buf, 'u', sizeof(buf));
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_sys("socket");
	for (unsigned long long i = 0; i < o.count && !g_stop; i++) {
		ssize_t r;

		if ((i & 255) == 0 && now_ms() >= deadline)
			break;
		if (o.pps)      /* datagram i leaves no earlier than i / pps seconds in */
			sleep_until(start + (int64_t)(i * 1000 / o.pps));
		r = sendto(fd, buf, o.size, 0, (struct sockaddr *)&ss, sl);
		if (r < 0) {
			failed++;
			continue;
		}
		sent++;
		bytes += (unsigned long long)r;
	}
	close(fd);
	printf("sent=%llu failed=%llu bytes=%llu\n", sent, failed, bytes);
	fflush(stdout);
	return 0;
}

/* -------------------------------------------------------------- sockets */

static int cmd_sockets(int argc, char **argv)
{
	struct opts o;
	struct rlimit rl = { 0, 0 };
	unsigned long long n = 0;

	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int fd;

	parse_opts(&o, argc, argv, O_COUNT | O_BIND | O_SECONDS, O_COUNT);
	setup_signals(o.seconds);
	if (o.addr)
		sl = make_addr(o.addr, 0, &ss);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < o.count + 64)
		rl.rlim_max = o.count + 64;     /* root may raise it, up to fs.nr_open */
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		raise_nofile();
	for (; n < o.count && !g_stop; n++) {
		fd = socket(o.addr ? ss.ss_family : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die_sys("socket");
		if (o.addr && bind(fd, (struct sockaddr *)&ss, sl) < 0)
			die_sys("bind");
	}
	printf("ready sockets=%llu\n", n);
	fflush(stdout);
	sleep_until(now_ms() + (int64_t)o.seconds * 1000);
	return 0;
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fputs("usage: ttload MODE [options]   (every mode: --seconds S, default 10)\n"
	      "  tcp-server --bind ADDR --port P [--backlog N] [--no-accept] [--no-read]\n"
	      "             [--rcvbuf BYTES] [--close-after-accept] [--max-conns N] [--hold-open]\n"
	      "  tcp-client --host ADDR --port P [--conns N] [--bytes B] [--hold S]\n"
	      "             [--close] [--linger0] [--sndbuf BYTES] [--parallel] [--shutdown]\n"
	      "  churn      --host ADDR --port P [--conns-max N] [--linger0]\n"
	      "  udp-sink   --bind ADDR --port P [--rcvbuf BYTES] [--read]\n"
	      "  udp-flood  --host ADDR --port P [--count N] [--size S] [--pps N]\n"
	      "  sockets    --count N [--bind ADDR]\n", f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "tcp-server", cmd_tcp_server },
		{ "tcp-client", cmd_tcp_client },
		{ "churn",      cmd_churn },
		{ "udp-sink",   cmd_udp_sink },
		{ "udp-flood",  cmd_udp_flood },
		{ "sockets",    cmd_sockets },
	};

	if (argc < 2) {
		fputs("ttload: missing mode (try --help)\n", stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			g_mode = cmds[i].name;
			return cmds[i].fn(argc - 2, argv + 2);
		}
	}
	fprintf(stderr, "ttload: unknown mode '%s' (try --help)\n", argv[1]);
	return 2;
}
