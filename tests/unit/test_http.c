// SPDX-License-Identifier: GPL-2.0
// The metrics HTTP server on loopback: addresses, answers, bounds, and that clients cannot stall it.
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "http.h"
#include "test.h"

#define SERVE_ROUNDS 1000 /* x 10 ms at most per exchange */

struct fixture {
	struct http_server *srv;
	int port;
	int renders;
};

static int render_fixed(void *ctx, const char *accept, FILE *body, const char **content_type)
{
	struct fixture *fx = ctx;

	fx->renders++;
	fprintf(body, "m 1\naccept=%s\n", accept ? accept : "(none)");
	*content_type = "text/plain; version=0.0.4";
	return 0;
}

/* Find a free loopback port, then serve on it. */
static int fixture_start(struct fixture *fx)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct http_opts opts = { .path = "/metrics", .render = render_fixed, .ctx = fx };
	socklen_t len = sizeof(sin);
	struct http_addr addr;
	char spec[32];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(fx, 0, sizeof(*fx));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	close(fd);
	fx->port = ntohs(sin.sin_port);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", fx->port);
	if (http_addr_parse(spec, &addr))
		return -1;
	return http_server_new(&addr, &opts, &fx->srv);
}

static int client_connect(const struct fixture *fx)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(fx->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drive the server until it closed fd's connection; the response lands in buf. */
static size_t collect(struct fixture *fx, int fd, char *buf, size_t len)
{
	size_t got = 0;

	for (int i = 0; i < SERVE_ROUNDS; i++) {
		struct pollfd p = { .fd = http_server_fd(fx->srv), .events = POLLIN };
		ssize_t r;

		poll(&p, 1, 10);
		http_server_serve(fx->srv);
		r = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);
		if (r > 0)
			got += r;
		else if (r == 0)
			break;
	}
	buf[got] = '\0';
	return got;
}

static size_t exchange(struct fixture *fx, const char *req, char *buf, size_t len)
{
	int fd = client_connect(fx);
	size_t got = 0;

	buf[0] = '\0';
	if (fd < 0)
		return 0;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req))
		got = collect(fx, fd, buf, len);
	close(fd);
	return got;
}

TEST(http_addr_parse_accepts_numeric_addr_port_only)
{
	static const char *const bad[] = {
		"", ":9100", "9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:91x", "127.0.0.1:+80", "localhost:9100", "::1:9100", "[::1]", "[::1]9100",
		"[1.2.3.4]:80", " 127.0.0.1:80", "127.0.0.1:123456", "[fe80::1%lo]:80",
	};
	struct http_addr a;

	ASSERT_OK(http_addr_parse("127.0.0.1:9100", &a));
	ASSERT_EQ_INT(a.ss.ss_family, AF_INET);
	ASSERT_EQ_INT(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 9100);
	ASSERT_OK(http_addr_parse("0.0.0.0:1", &a));
	ASSERT_OK(http_addr_parse("[::1]:65535", &a));
	ASSERT_EQ_INT(a.ss.ss_family, AF_INET6);
	ASSERT_EQ_INT(ntohs(((struct sockaddr_in6 *)&a.ss)->sin6_port), 65535);
	ASSERT_OK(http_addr_parse("[::]:9100", &a));
	ASSERT_TRUE(http_addr_parse(NULL, &a) < 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ASSERT_TRUE(http_addr_parse(bad[i], &a) < 0))
			printf("  accepted '%s'\n", bad[i]);
}

TEST(http_serves_get_and_head_with_length_and_accept)
{
	struct fixture fx;
	char buf[4096];

	if (!ASSERT_OK(fixture_start(&fx)))
		return;
	exchange(&fx, "GET /metrics HTTP/1.1\r\nHost: x\r\naccept: application/openmetrics-text\r\n\r\n",
		 buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	ASSERT_TRUE(strstr(buf, "\r\nContent-Type: text/plain; version=0.0.4\r\n"));
	ASSERT_TRUE(strstr(buf, "\r\nContent-Length: 40\r\n"));
	ASSERT_TRUE(strstr(buf, "\r\n\r\nm 1\naccept=application/openmetrics-text\n"));
	exchange(&fx, "GET /metrics?debug=1 HTTP/1.0\n\n", buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "\r\n\r\nm 1\naccept=(none)\n"));
	exchange(&fx, "HEAD /metrics HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	ASSERT_TRUE(strstr(buf, "\r\nContent-Length: 18\r\n"));
	ASSERT_TRUE(strstr(buf, "\r\n\r\n") && !strstr(buf, "\r\n\r\n")[4]);
	ASSERT_EQ_INT(fx.renders, 3);
	http_server_free(fx.srv);
}

TEST(http_answers_other_paths_methods_and_garbage_with_one_line)
{
	struct fixture fx;
	char buf[4096];

	if (!ASSERT_OK(fixture_start(&fx)))
		return;
	exchange(&fx, "GET / HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 404 Not Found\r\n", 24));
	ASSERT_TRUE(strstr(buf, "\r\n\r\n404 not found: only GET /metrics is served\n"));
	exchange(&fx, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 405 Method Not Allowed\r\n", 33));
	ASSERT_TRUE(strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
	exchange(&fx, "hello there\r\n\r\n", buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26));
	exchange(&fx, "GET /metrics\r\n\r\n", buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26));
	ASSERT_EQ_INT(fx.renders, 0);
	http_server_free(fx.srv);
}

TEST(http_bounds_request_size)
{
	char req[HTTP_MAX_REQUEST + 100], buf[4096];
	struct fixture fx;

	if (!ASSERT_OK(fixture_start(&fx)))
		return;
	memset(req, 'a', sizeof(req) - 1);
	req[sizeof(req) - 1] = '\0';
	memcpy(req, "GET /metrics HTTP/1.1\r\nX: ", 26);
	exchange(&fx, req, buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.1 431 ", 13));
	ASSERT_EQ_INT(fx.renders, 0);
	http_server_free(fx.srv);
}

TEST(http_idle_and_slow_clients_do_not_stall_scrapes)
{
	int idle[HTTP_MAX_CLIENTS + 4];
	struct fixture fx;
	char buf[4096];
	int n = 0, ok = 0;

	if (!ASSERT_OK(fixture_start(&fx)))
		return;
	/* More idle connections than slots, one of them mid-request. */
	for (n = 0; n < HTTP_MAX_CLIENTS + 4; n++)
		if ((idle[n] = client_connect(&fx)) < 0)
			break;
	if (n)
		send(idle[0], "GET /met", 8, MSG_NOSIGNAL);
	for (int i = 0; i < 50; i++) {
		exchange(&fx, "GET /metrics HTTP/1.1\r\n\r\n", buf, sizeof(buf));
		ok += !strncmp(buf, "HTTP/1.1 200 OK\r\n", 17);
	}
	ASSERT_EQ_INT(n, HTTP_MAX_CLIENTS + 4);
	ASSERT_EQ_INT(ok, 50);
	ASSERT_EQ_INT(fx.renders, 50);
	while (n--)
		close(idle[n]);
	http_server_free(fx.srv);
}

TEST(http_bind_errors_are_reported)
{
	struct fixture fx, second;
	struct http_opts opts = { .path = "/metrics", .render = render_fixed, .ctx = &second };
	struct http_addr addr;
	char spec[32];

	if (!ASSERT_OK(fixture_start(&fx)))
		return;
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", fx.port);
	ASSERT_OK(http_addr_parse(spec, &addr));
	second.srv = NULL;
	ASSERT_EQ_INT(http_server_new(&addr, &opts, &second.srv), -EADDRINUSE);
	ASSERT_TRUE(second.srv == NULL);
	http_server_free(fx.srv);
}
