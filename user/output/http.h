/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small single-threaded HTTP/1.1 server for one read-only path (the
 * metrics endpoint).  Every socket is non-blocking and the caller drives it
 * from its own event loop: wait for http_server_fd() to be readable (it is
 * an epoll fd), then call http_server_serve().  One request per connection;
 * requests are bounded in size, connections in number and in lifetime, so a
 * slow or hostile client can never stall the agent.
 */
#ifndef __TT_HTTP_H
#define __TT_HTTP_H

#include <stdio.h>
#include <sys/socket.h>

#define HTTP_MAX_REQUEST 8192 /* request line + headers */
#define HTTP_MAX_CLIENTS 16   /* beyond, the oldest still sending its request is dropped */
#define HTTP_CLIENT_MS 5000   /* whole request/response lifetime */

/*
 * Write the body for GET/HEAD of the served path to body; set *content_type
 * (a static string). accept is the request's Accept header, NULL if none.
 * Return 0, or -errno to answer 500.
 */
typedef int (*http_render_fn)(void *ctx, const char *accept, FILE *body,
			      const char **content_type);

struct http_opts {
	const char *path; /* e.g. "/metrics"; any other path gets 404 */
	http_render_fn render;
	void *ctx;
};

struct http_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "127.0.0.1:9100" or "[::1]:9100" (numeric only); 0 or -EINVAL. */
int http_addr_parse(const char *s, struct http_addr *addr);

struct http_server;

/* Bind and listen; 0 or -errno (e.g. -EADDRINUSE, -EACCES). */
int http_server_new(const struct http_addr *addr, const struct http_opts *opts,
		    struct http_server **out);
void http_server_free(struct http_server *srv);
/* Readable when a connection or request is waiting. */
int http_server_fd(const struct http_server *srv);
/* Accept, read, answer and expire without blocking. */
void http_server_serve(struct http_server *srv);

#endif /* __TT_HTTP_H */
