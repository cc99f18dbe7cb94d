// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include "http.h"

#define LISTENER_TAG UINT32_MAX /* epoll data of the listening socket */
#define ACCEPTS_PER_SERVE 64    /* then let the agent's loop run again */

struct client {
	int fd; /* -1: free slot */
	char req[HTTP_MAX_REQUEST + 1];
	size_t req_len;
	char *resp; /* non-NULL once answered: writing */
	size_t resp_len, resp_off;
	uint64_t deadline_ms;
};

struct http_server {
	int listen_fd;
	int epfd;
	struct http_opts opts;
	struct client clients[HTTP_MAX_CLIENTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s) || strlen(s) > 5)
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

int http_addr_parse(const char *s, struct http_addr *a)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	char host[INET6_ADDRSTRLEN];
	bool bracketed = s && s[0] == '[';
	const char *end, *port;
	uint16_t p;

	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (bracketed) { /* [v6]:port */
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		port = end + 2;
		s++;
	} else {
		end = strrchr(s, ':');
		if (!end || memchr(s, ':', end - s))
			return -EINVAL;
		port = end + 1;
	}
	if (end - s <= 0 || (size_t)(end - s) >= sizeof(host) || parse_port(port, &p))
		return -EINVAL;
	memcpy(host, s, end - s);
	host[end - s] = '\0';
	if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(p);
		a->len = sizeof(*in4);
	} else if (bracketed && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		a->len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	return 0;
}

static void client_close(struct client *c)
{
	close(c->fd); /* also leaves the epoll set */
	free(c->resp);
	c->fd = -1;
	c->resp = NULL;
	c->req_len = c->resp_len = c->resp_off = 0;
}

static void drain(int fd)
{
	char buf[1024];

	for (int i = 0; i < 16 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

static void client_write(struct client *c)
{
	while (c->resp_off < c->resp_len) {
		ssize_t w = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off,
				 MSG_NOSIGNAL);

		if (w > 0)
			c->resp_off += w;
		else if (w < 0 && errno == EINTR)
			continue;
		else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* the rest when the socket is writable again */
		else
			break;
	}
	drain(c->fd); /* unread input would turn our close into a reset that loses the answer */
	client_close(c); /* done (or the peer went away): one request per connection */
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default: return "Internal Server Error";
	}
}

/* Queue the whole response and start writing it; HEAD gets the headers only. */
static void respond(struct http_server *srv, struct client *c, int status, const char *ctype,
		    const char *body, size_t body_len, bool head)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = c - srv->clients };
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n",
		     status, status_text(status), ctype, body_len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (head)
		body_len = 0;
	c->resp = malloc(n + body_len);
	if (!c->resp || epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
		client_close(c);
		return;
	}
	memcpy(c->resp, hdr, n);
	memcpy(c->resp + n, body, body_len);
	c->resp_len = n + body_len;
	client_write(c);
}

static void respond_line(struct http_server *srv, struct client *c, int status, const char *line)
{
	respond(srv, c, status, "text/plain; charset=utf-8", line, strlen(line), false);
}

static void respond_render(struct http_server *srv, struct client *c, const char *accept, bool head)
{
	const char *ctype = "text/plain; charset=utf-8";
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err = f ? srv->opts.render(srv->opts.ctx, accept, f, &ctype) : -ENOMEM;

	if (f && fclose(f) && !err)
		err = -EIO;
	if (err)
		respond_line(srv, c, 500, "500 internal error: cannot render\n");
	else
		respond(srv, c, 200, ctype, body, len, head);
	free(body);
}

/* A header's value (after "Name:" and blanks, up to the line end), or NULL. */
static const char *header_value(const char *req, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);

	for (const char *line = strchr(req, '\n'); line; line = strchr(line, '\n')) {
		const char *v;

		line++;
		if (strncasecmp(line, name, nlen) || line[nlen] != ':')
			continue;
		v = line + nlen + 1;
		v += strspn(v, " \t");
		snprintf(buf, len, "%.*s", (int)strcspn(v, "\r\n"), v);
		return buf;
	}
	return NULL;
}

static void handle_request(struct http_server *srv, struct client *c)
{
	char method[16], target[1024], accept[512];
	int major, minor;
	bool head;

	if (memchr(c->req, '\0', c->req_len) ||
	    /* NOLINTNEXTLINE(cert-err34-c): one digit each, cannot overflow */
	    sscanf(c->req, "%15[A-Z] %1023[^ \r\n] HTTP/%1d.%1d", method, target, &major, &minor) != 4) {
		respond_line(srv, c, 400, "400 bad request\n");
		return;
	}
	target[strcspn(target, "?#")] = '\0';
	if (strcmp(target, srv->opts.path)) {
		respond_line(srv, c, 404, "404 not found: only GET /metrics is served\n");
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond_line(srv, c, 405, "405 method not allowed: use GET\n");
		return;
	}
	respond_render(srv, c, header_value(c->req, "Accept", accept, sizeof(accept)), head);
}

static bool request_complete(const struct client *c)
{
	return memmem(c->req, c->req_len, "\r\n\r\n", 4) || memmem(c->req, c->req_len, "\n\n", 2);
}

static void client_read(struct http_server *srv, struct client *c)
{
	for (;;) {
		ssize_t r;

		if (c->req_len == HTTP_MAX_REQUEST) {
			respond_line(srv, c, 431, "431 request too large\n");
			return;
		}
		r = recv(c->fd, c->req + c->req_len, HTTP_MAX_REQUEST - c->req_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) { /* EOF before a whole request, or an error */
			client_close(c);
			return;
		}
		c->req_len += r;
		c->req[c->req_len] = '\0';
		if (request_complete(c)) {
			handle_request(srv, c);
			return;
		}
	}
}

/* A free slot, else the oldest one still waiting for its request: idle clients cannot starve scrapes. */
static struct client *slot_for_new(struct http_server *srv)
{
	struct client *oldest = NULL;

	for (int i = 0; i < HTTP_MAX_CLIENTS; i++) {
		struct client *c = &srv->clients[i];

		if (c->fd < 0)
			return c;
		if (!c->resp && (!oldest || c->deadline_ms < oldest->deadline_ms))
			oldest = c;
	}
	if (oldest)
		client_close(oldest);
	return oldest;
}

static void accept_clients(struct http_server *srv)
{
	for (int i = 0; i < ACCEPTS_PER_SERVE; i++) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c;

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return;
		c = slot_for_new(srv);
		if (!c) { /* all busy answering: refuse rather than wait */
			close(fd);
			continue;
		}
		ev.data.u32 = c - srv->clients;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline_ms = now_ms() + HTTP_CLIENT_MS;
	}
}

static void expire_clients(struct http_server *srv)
{
	uint64_t now = now_ms();

	for (int i = 0; i < HTTP_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0 && now >= srv->clients[i].deadline_ms)
			client_close(&srv->clients[i]);
}

void http_server_serve(struct http_server *srv)
{
	struct epoll_event ev[HTTP_MAX_CLIENTS + 1];
	int n = epoll_wait(srv->epfd, ev, HTTP_MAX_CLIENTS + 1, 0);

	for (int i = 0; i < n; i++) {
		struct client *c;

		if (ev[i].data.u32 == LISTENER_TAG) {
			accept_clients(srv);
			continue;
		}
		c = &srv->clients[ev[i].data.u32];
		if (c->fd < 0)
			continue;
		if (c->resp)
			client_write(c);
		else
			client_read(srv, c);
	}
	expire_clients(srv);
}

int http_server_fd(const struct http_server *srv)
{
	return srv->epfd;
}

static int listen_on(const struct http_addr *addr)
{
	int one = 1, err;
	int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&addr->ss, addr->len) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int http_server_new(const struct http_addr *addr, const struct http_opts *opts,
		    struct http_server **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTENER_TAG };
	struct http_server *srv = calloc(1, sizeof(*srv));
	int err;

	if (!srv)
		return -ENOMEM;
	srv->opts = *opts;
	srv->epfd = -1;
	for (int i = 0; i < HTTP_MAX_CLIENTS; i++)
		srv->clients[i].fd = -1;
	srv->listen_fd = listen_on(addr);
	if (srv->listen_fd < 0) {
		err = srv->listen_fd;
		goto cleanup;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev)) {
		err = -errno;
		goto cleanup;
	}
	*out = srv;
	return 0;
cleanup:
	http_server_free(srv);
	return err;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	for (int i = 0; i < HTTP_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			client_close(&srv->clients[i]);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	free(srv);
}
